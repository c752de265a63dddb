"""Exact constructions; each returns a ``Net`` with exact rational weights and documented size."""
