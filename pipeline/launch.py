"""The ``beian`` console entry: start the reading workers before the command line's own imports.

Every file is read in a spawned worker process (pipeline/read/sandbox.py) that must start an
interpreter and import the reader, pandas among it, before it reads anything: ≈0.4 s on a small
night's critical path when the workers are started only once the run reaches its reading stage.
Started here, first thing, they get ready while this process imports the command line and the
library and reads its configuration. Only the commands that read files start them, and not for
``--help``.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence

from pipeline.core.errors import EXIT_INTERRUPTED, INTERRUPTED

READING_COMMANDS = {"run": 1, "check": 1}
"""Workers worth starting early per command: one; sandbox.guarded starts a second when the
files to read are worth it (sandbox.workers_for), and a quiet night reads nothing at all."""
_HELP = {"-h", "--help"}


def workers_to_start(argv: Sequence[str]) -> int:
    """How many reading workers the command line ``argv`` (program name left out) needs at once."""
    if not argv or _HELP & set(argv):
        return 0
    return READING_COMMANDS.get(argv[0], 0)


def main() -> None:
    """Start the workers the command needs, then run the command line (pipeline.cli).

    Ctrl+C while the command line is still being imported (a second or two, before its own
    handler is in place) ends the same way as later: the same words and 130, no traceback."""
    try:
        # Named as ``python -m pipeline`` names it, the main module is not re-imported by the
        # spawned workers (see pipeline.cli.main); it must be so before the first worker starts.
        sys.modules["__main__"].__spec__ = importlib.util.find_spec("pipeline.__main__")
        count = workers_to_start(sys.argv[1:])
        if count:
            from pipeline.read.sandbox import prestart

            prestart(count)
        from pipeline.cli import main as cli_main

        cli_main()
    except KeyboardInterrupt:
        sys.stderr.write("".join(INTERRUPTED) + "\n")
        raise SystemExit(EXIT_INTERRUPTED) from None
