"""CLI verbs; one module per group of verbs, each with ``add_parsers(subparsers)``."""
