"""One run at a time per ledger: the lock file beside it, taken before any work is done.

The inbox must exist, the batch's paths must not overlap (pipeline/setups.py) and the outbox be
creatable first, so a wrong path creates nothing; a place
that cannot be written (a file where the outbox or the ledger's folder must be) stops the run.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from pipeline.core.config import Settings
from pipeline.core.errors import LockedError, write_failure
from pipeline.state.ledger import Ledger
from pipeline.state.setups import refuse_overlaps

ANYONE = "另一个汇总（beian run，或网上报送站点的“立即汇总”）"


def holder_file(settings: Settings) -> Path:
    """Beside the lock: who holds it, in words (the lock file itself is the system's)."""
    return Path(f"{settings.ledger}.lock.holder")


def cli_holder() -> str:
    return f"beian run（进程 {os.getpid()}，{dt.datetime.now():%Y-%m-%d %H:%M} 开始）"


def _holder(settings: Settings) -> str:
    try:
        return holder_file(settings).read_text(encoding="utf-8").strip() or ANYONE
    except (OSError, UnicodeDecodeError):
        return ANYONE


@contextmanager
def locked_ledger(settings: Settings, *, wait: float, holder: str = "") -> Iterator[Ledger]:
    """The batch's ledger, open and held against any other run until the block ends; ``holder``
    says who holds it, for the message another run shows while it waits."""
    refuse_overlaps(settings)
    try:
        settings.outbox.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_failure(exc, "输出文件夹") from exc
    lock = FileLock(f"{settings.ledger}.lock", timeout=wait)
    try:
        lock.acquire()
    except Timeout as exc:
        raise LockedError(
            f"{_holder(settings)} 正在汇总这个批次（台账 {settings.ledger}）。请等它结束后再运行"
            "（可用 --wait 指定最多等待的秒数）；它结束时系统会自动释放锁。"
        ) from exc
    except OSError as exc:
        raise write_failure(exc, "锁文件") from exc
    try:
        try:
            holder_file(settings).write_text(holder or cli_holder(), encoding="utf-8")
        except OSError as exc:
            raise write_failure(exc, "锁文件") from exc
        ledger = Ledger(settings.ledger)
        try:
            yield ledger
        finally:
            ledger.close()
    finally:
        holder_file(settings).unlink(missing_ok=True)
        lock.release()
