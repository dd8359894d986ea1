"""The ``beian`` console entry: start the reading workers before the command line's own imports,
and leave without tearing the interpreter down.

Every file is read in a spawned worker process (pipeline/read/sandbox.py) that must start an
interpreter and import the reader, pandas among it, before it reads anything. Started here, first
thing, the workers get ready while this process imports the command line and the library and
reads its configuration. Only the commands that read files start them, and not for ``--help``.

Tearing the interpreter down clears every module and collects its garbage: with the ≈1,200
modules of pandas, pyarrow, pandera and pydantic a command loads, that is a large share of a
short command such as ``beian check`` (docs/benchmarks/tricks.md has the measured figure). So the
first exit handler this process registers — which the interpreter runs last, after every other
handler (workers stopped, logging flushed) and after every thread has been joined — flushes the
standard streams and ends the process with the command's status (:func:`leave`).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import sys
from collections.abc import Sequence

READING_COMMANDS = {"run": 1, "check": 1}
"""Workers worth starting early per command: one; sandbox.guarded starts a second when the
files to read are worth it (sandbox.workers_for), and a quiet night reads nothing at all."""
_HELP = {"-h", "--help"}


def workers_to_start(argv: Sequence[str]) -> int:
    """How many reading workers the command line ``argv`` (program name left out) needs at once."""
    if not argv or _HELP & set(argv):
        return 0
    return READING_COMMANDS.get(argv[0], 0)


def exit_status(code: str | int | None) -> int:
    """The process's exit status for ``SystemExit(code)``, as the interpreter computes it:
    None is success, an integer is itself, anything else (printed by the interpreter) is 1."""
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


class Leaving:
    """The status the command ended with, for the last exit handler."""

    def __init__(self) -> None:
        self.status = 1

    def leave(self) -> None:
        """Flush the standard streams and end the process now, with the command's status."""
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
                stream.flush()
        os._exit(self.status)


def main() -> None:
    """Start the workers the command needs, then run the command line (pipeline.cli)."""
    leaving = Leaving()
    atexit.register(leaving.leave)  # registered first, so run last
    # Named as ``python -m pipeline`` names it, the main module is not re-imported by the spawned
    # workers (see pipeline.cli.main); it must be so before the first worker starts.
    sys.modules["__main__"].__spec__ = importlib.util.find_spec("pipeline.__main__")
    count = workers_to_start(sys.argv[1:])
    if count:
        from pipeline.read.sandbox import prestart

        prestart(count)
    from pipeline.cli import main as cli_main

    try:
        cli_main()
    except SystemExit as done:
        leaving.status = exit_status(done.code)
        raise
    leaving.status = 0
