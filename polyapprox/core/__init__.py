"""The exact core: the ``Net`` data model, parameter counting, the JSON format, net algebra, atomic writes.

Pure Python over ``fractions.Fraction``; imports neither torch, sympy, numpy nor scipy (``tests/test_layers.py``).
"""
