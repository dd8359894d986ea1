"""The two consoles every command prints to; both record what they print (the night's log
keeps it, pipeline/nightlog.py).

They live apart from the printing of results (pipeline/cli_print.py), which needs the library:
what prints without it (``--help``, ``--version``, an option error) loads no pandas.
"""

from __future__ import annotations

from rich.console import Console

console = Console(record=True)
err = Console(stderr=True, record=True)
