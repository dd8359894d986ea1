"""The night's log (``beian run --log FILE``): what an unwatched run printed, kept for the morning.

Each run appends one entry — when it ran, its closing summary and warnings as printed, and how it
ended (the exit code and, on failure, the message) — to a UTF-8 file rotated by size, so a
collection window of nightly runs never fills the disk.
"""

from __future__ import annotations

import datetime as dt
import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

from pipeline.core.errors import write_failure

MAX_BYTES = 1 << 20
BACKUPS = 5


def open_log(path: Path) -> logging.Logger:
    """A logger appending to ``path`` (created with its folder), rotated at 1 MB, five kept.

    Opened before the run starts, so a log that cannot be written stops the night before any
    work instead of losing its record."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    except OSError as exc:
        raise write_failure(exc, "运行日志") from exc
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger(f"beian.night.{path.resolve()}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    for old in logger.handlers:
        old.close()
    logger.handlers = [handler]
    return logger


def write_entry(logger: logging.Logger, started: dt.datetime, printed: str, exit_code: int) -> None:
    """One night: a dated heading, what was printed, and how the run ended."""
    ending = "完成" if exit_code == 0 else f"失败（退出码 {exit_code}）"
    logger.info(
        "==== beian run %s ====\n%s\n结果：%s\n",
        started.isoformat(sep=" "),
        printed.rstrip(),
        ending,
    )
    for handler in logger.handlers:
        handler.close()
