"""Copies of the ledger before each night changes it: nothing lives only in one file.

The ledger holds what no input can rebuild (sign-in accounts, decisions, the audit), so before a
night records anything it is copied with SQLite's online backup (``Connection.backup``: a
consistent copy even while the site has it open) to ``backups/`` beside it, under a name that
sorts by time; the newest :data:`KEEP` are kept. The copy is written under a temporary name and
renamed into place, so a half-written backup never looks like a good one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from pathlib import Path

from pipeline.core.atomic import temp_name
from pipeline.core.errors import write_failure

KEEP = 14
FOLDER = "backups"


def backups_of(ledger: Path) -> list[Path]:
    """The ledger's backups, oldest first (their names sort by the time they were taken)."""
    folder = ledger.parent / FOLDER
    return sorted(folder.glob(f"{ledger.stem}-*{ledger.suffix}")) if folder.is_dir() else []


def backup_ledger(db: sqlite3.Connection, ledger: Path, now: dt.datetime | None = None) -> Path:
    """Copy the open ledger ``db`` (whose file is ``ledger``) to backups/ and drop the oldest
    beyond :data:`KEEP`. Raises OutputError (exit 3) when the copy cannot be written: a night
    that cannot keep a copy changes nothing."""
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S-%f")
    target = ledger.parent / FOLDER / f"{ledger.stem}-{stamp}{ledger.suffix}"
    tmp = temp_name(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        copy = sqlite3.connect(tmp)
        try:
            db.backup(copy)
        finally:
            copy.close()
        tmp.replace(target)
        for old in backups_of(ledger)[:-KEEP]:
            old.unlink()
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):  # the folder may be the very thing in the way
            tmp.unlink(missing_ok=True)
        failure = exc if isinstance(exc, OSError) else OSError(0, str(exc), str(target))
        raise write_failure(failure, "台账备份") from exc
    return target
