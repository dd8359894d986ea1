"""Write outputs under a temporary name and rename them into place.

A crash, a full disk or a killed run leaves last night's file whole: readers only ever see a
complete old file or a complete new one. ``os.replace`` is atomic on Windows and POSIX alike.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.errors import OutputError


def temp_name(path: Path) -> Path:
    """A sibling name no reader looks for, unique per process."""
    return path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success move it over ``path``, else remove it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(
            f"无法写入 {path}：{exc.strerror or exc}。请检查磁盘空间和文件夹权限，"
            "并关闭在 Excel 中打开的输出文件。"
        ) from exc
    finally:
        if tmp.exists():
            tmp.unlink()


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` and move the finished file into place."""
    with replacing(path) as tmp:
        write(tmp)
