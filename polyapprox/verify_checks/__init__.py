"""Check modules for ``polyapprox verify`` (listed in ``polyapprox.verify.CHECK_MODULES``).

Each module registers checks with ``polyapprox.verify.register``; every check proves its statement with
``polyapprox.symbolic.prove_equal`` (imported inside the check, so importing a module stays cheap).
"""
