"""The ``polyapprox`` command line: the argparse entry point (``main``) and one module per group of verbs."""

from polyapprox.cli.main import entry, main

__all__ = ["entry", "main"]
