"""Failures of the run itself (not of a bureau's data), mapped to exit codes in ``cli.py``.

Exit codes (SPEC §12): 0 done; 1 ``check`` found errors; 2 a bad option, config or input the
clerk controls (:class:`ConfigError`); 3 something cannot be written (:class:`OutputError`);
75 another run holds the lock (:class:`LockedError`); 130 interrupted.
"""

from __future__ import annotations

import errno
from pathlib import Path

EXIT_DONE = 0
EXIT_CHECK_FAILED = 1
EXIT_INTERRUPTED = 130
INTERRUPTED = ("已中断：", "本次运行被中止，输出文件和台账都没有改动。")
"""What Ctrl+C prints (its head in red on a console), wherever it lands."""


class BeianError(Exception):
    """The run could not complete; the message is Chinese and says what to do."""

    exit_code = 2


class ConfigError(BeianError):
    """The config file, an option or another input the clerk controls is invalid."""

    exit_code = 2


class OutputError(BeianError):
    """An output, the ledger, the lock or a receipt could not be written."""

    exit_code = 3


class LockedError(BeianError):
    """Another run holds the lock on this inbox."""

    exit_code = 75


def _blocking_file(path: Path) -> Path | None:
    """The nearest existing ancestor of ``path`` that is a file where a folder must be."""
    for parent in path.parents:
        if parent.exists():
            return parent if not parent.is_dir() else None
    return None


def write_failure(exc: OSError, what: str = "") -> OutputError:
    """A Chinese :class:`OutputError` for an ``OSError`` met while writing ``what``: it names the
    path in the way and says how to clear it."""
    path = Path(exc.filename) if exc.filename else None
    blocker = _blocking_file(path) if path is not None else None
    if blocker is not None or isinstance(exc, FileExistsError | NotADirectoryError):
        where = blocker or path
        reason = f"{where} 是一个文件，而这里需要一个文件夹；请删除或改名这个文件，或换一个位置。"
    elif isinstance(exc, IsADirectoryError):
        reason = f"{path} 是一个文件夹，而这里要写一个文件；请改名该文件夹，或换一个位置。"
    elif isinstance(exc, PermissionError):
        reason = (
            f"没有写入 {path} 的权限（文件夹只读，或文件正在 Excel/WPS 中打开）；"
            "请关闭该文件，或换一个可写的文件夹。"
        )
    elif exc.errno == errno.ENOSPC:
        reason = f"磁盘已满，无法写入 {path}；请清理磁盘后重新运行。"
    else:
        reason = f"{path}（{exc.strerror or exc}）。请检查该位置是否存在、是否可写。"
    return OutputError(f"无法写入{what}：{reason}")
