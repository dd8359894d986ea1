"""The ``beian`` console entry: start the reading workers before the command line's own imports.

Every file is read in a spawned worker process (pipeline/sandbox.py) that must start an
interpreter and import the reader, pandas among it, before it reads anything: ≈0.4 s on a small
night's critical path when the workers are started only once the run reaches its reading stage.
Started here, first thing, they get ready while this process imports the command line and the
library and reads its configuration. Only the commands that read files start them, and not for
``--help``. When the command is done, the process leaves without tearing the interpreter down
(:func:`leave`).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

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
    """Start the workers the command needs, then run the command line (pipeline.cli)."""
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
        leave(done.code)
    leave(0)


def exit_status(code: str | int | None) -> int:
    """The process's exit status for ``SystemExit(code)``, as the interpreter computes it:
    None is success, an integer is itself, anything else is printed and is a failure."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def leave(code: str | int | None) -> NoReturn:
    """End the process with ``code`` as ``sys.exit`` would, without tearing the interpreter down.

    Tearing down clears every module and collects its garbage: with the ≈1,200 modules of pandas,
    pyarrow, pandera and pydantic a night loads, that took 1.1–1.5 s on this 2-core machine
    while it was busy (pandas alone 0.24 s), after the night's work was done and reported
    (2026-11-30; ``beian check`` of a 100-row workbook 2.84 → 2.15 s, old and new alternated).
    What an exit must still do happens first: the exit handlers run (the reading workers are
    stopped, logging is flushed) and the standard streams are flushed; outputs and the ledger
    are closed by the command itself. While another thread still runs (a normal exit would wait
    for it), the normal exit is taken."""
    if threading.active_count() > 1:
        sys.exit(code)
    status = exit_status(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say there
            stream.flush()
    os._exit(status)
