"""Convert a binary Word or WPS document to ``.docx`` with LibreOffice, when it is installed.

The one place beian runs another program: only for ``.doc``/``.wps`` forms, headless, into a
temporary folder, with a time limit. Without LibreOffice the caller refuses the form and asks
for a ``.docx`` instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CONVERT_SECONDS = 120
_WINDOWS_FOLDERS = ("ProgramFiles", "ProgramFiles(x86)")
_WINDOWS_PROGRAM = Path("LibreOffice") / "program" / "soffice.exe"


class ConversionFailed(Exception):
    """LibreOffice ran but gave no document; the message says why, in Chinese."""


def find_soffice() -> Path | None:
    """LibreOffice's ``soffice`` on PATH, or in its usual Windows folder; None when absent."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return Path(found)
    for variable in _WINDOWS_FOLDERS:
        base = os.environ.get(variable)
        if base and (Path(base) / _WINDOWS_PROGRAM).is_file():
            return Path(base) / _WINDOWS_PROGRAM
    return None


@contextmanager
def to_docx(soffice: Path, source: Path) -> Iterator[Path]:
    """The converted copy of ``source`` in a temporary folder, removed afterwards.

    A private user profile keeps a LibreOffice the clerk has open from blocking the conversion.
    """
    with tempfile.TemporaryDirectory(prefix="beian-") as tmp:
        folder = Path(tmp)
        profile = (folder / "profile").as_uri()
        command = [
            str(soffice),
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "docx",
            "--outdir",
            str(folder),
            str(source),
        ]
        try:
            subprocess.run(command, capture_output=True, timeout=CONVERT_SECONDS, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ConversionFailed(f"超过 {CONVERT_SECONDS} 秒未完成") from exc
        except OSError as exc:
            raise ConversionFailed(str(exc)) from exc
        converted = folder / f"{source.stem}.docx"
        if not converted.is_file():
            raise ConversionFailed("没有生成 .docx 文件")
        yield converted
