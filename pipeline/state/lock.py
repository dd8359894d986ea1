"""One run at a time per ledger: the lock file beside it, taken before any work is done.

The inbox must exist and the outbox be creatable first, so a wrong path creates nothing; a place
that cannot be written (a file where the outbox or the ledger's folder must be) stops the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from pipeline.core.config import Settings
from pipeline.core.errors import LockedError, write_failure
from pipeline.state.inbox import require_inbox
from pipeline.state.ledger import Ledger


@contextmanager
def locked_ledger(settings: Settings, *, wait: float) -> Iterator[Ledger]:
    """The batch's ledger, open and held against any other run until the block ends."""
    require_inbox(settings.inbox)
    try:
        settings.outbox.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_failure(exc, "输出文件夹") from exc
    lock = FileLock(f"{settings.ledger}.lock", timeout=wait)
    try:
        lock.acquire()
    except Timeout as exc:
        raise LockedError(
            f"另一个 beian run 正在处理（锁文件 {settings.ledger}.lock）。请等它结束后再运行；"
            "如确认没有其他运行，可删除该锁文件。"
        ) from exc
    except OSError as exc:
        raise write_failure(exc, "锁文件") from exc
    try:
        ledger = Ledger(settings.ledger)
        try:
            yield ledger
        finally:
            ledger.close()
    finally:
        lock.release()
