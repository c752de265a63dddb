"""``python -m polyapprox`` = the ``polyapprox`` command."""

from polyapprox.cli import entry

entry()
