"""``python -m polyapprox`` = the ``polyapprox`` command.

Ctrl-C is handled before anything else is imported: until the command starts running, an interrupt ends
the process at once with one line and exit code 130 (``polyapprox.cli.main`` takes over from there; the
same handler is installed by ``entry`` for the console script). Only Python's own start-up, before this
file runs, is outside its reach.
"""

import os
import signal

signal.signal(signal.SIGINT, lambda signum, frame: (os.write(2, b"polyapprox: interrupted\n"), os._exit(130)))

from polyapprox.cli.main import entry  # noqa: E402  (after the handler, on purpose)

entry()
