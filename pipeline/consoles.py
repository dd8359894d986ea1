"""The two consoles every command prints to; while a run is logged, both copy what they print to
a log console (the night's log keeps it, pipeline/nightlog.py).

They live apart from the printing of results (pipeline/cli_print.py), which needs the library:
what prints without it (``--help``, ``--version``, an option error) loads no pandas.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console

LOG_WIDTH = 10_000
"""The log's width: wide enough that rich never wraps a line or folds a table cell there."""


class CopyingConsole(Console):
    """A console that also prints everything to the consoles in ``copies``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.copies: list[Console] = []

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*objects, **kwargs)
        for copy in self.copies:
            copy.print(*objects, **kwargs)


console = CopyingConsole()
err = CopyingConsole(stderr=True)


@contextmanager
def logged() -> Iterator[Console]:
    """A log console that gets what both consoles print, in order, rendered unwrapped (whatever
    the terminal's width): its ``export_text()`` is what the night's log keeps."""
    log = Console(
        file=io.StringIO(), width=LOG_WIDTH, record=True, color_system=None, soft_wrap=True
    )
    console.copies.append(log)
    err.copies.append(log)
    try:
        yield log
    finally:
        console.copies.remove(log)
        err.copies.remove(log)
