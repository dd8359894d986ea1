"""Knowing a file by its content, never its name: xlsx, ods, xls or csv, or a refusal.

Zip-based workbooks are inspected before any parser sees them (size, compression ratio, XML entity
declarations), so hostile files are refused in bounded time and memory (F_EMPTY, F_TOO_LARGE,
F_ENCRYPTED, F_UNSUPPORTED, F_UNSAFE and F_UNREADABLE for damaged containers are raised here).
"""

from __future__ import annotations

import copy
import zipfile
import zlib
from pathlib import Path

from pipeline.read import guards
from pipeline.read.cfb import cfb_damage
from pipeline.read.guards import FileRefused

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 400 * 1024 * 1024
MAX_PART_RATIO = 200
MAX_DATA_ROWS = 50_000

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_BOMB = "解压后体积异常巨大（疑似压缩炸弹）"
_ENTITY_MARKERS = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)
_MARKER_OVERLAP = max(map(len, _ENTITY_MARKERS))


def human_size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def sniff(path: Path) -> str:
    """Return the real format of a file: xlsx, ods, xls or csv; refuse anything else."""
    size = path.stat().st_size
    if size <= 1:
        raise FileRefused("F_EMPTY", size=size)
    if size > MAX_FILE_BYTES:
        raise FileRefused("F_TOO_LARGE", size=human_size(size), limit=human_size(MAX_FILE_BYTES))
    with path.open("rb") as f:
        head = f.read(4096)
    if head.startswith(ZIP_MAGIC):
        return inspect_zip(path)
    if head.startswith(OLE_MAGIC):
        data = path.read_bytes()
        if "EncryptionInfo".encode("utf-16-le") in data:
            raise FileRefused("F_ENCRYPTED")
        damage = cfb_damage(data)
        if damage:
            raise FileRefused("F_UNREADABLE", detail=damage)
        return "xls"
    if head.startswith(UTF16_BOMS):
        return "csv"
    if b"\x00" in head:
        raise FileRefused("F_UNREADABLE", detail="不是 Excel、WPS 或 CSV 文件")
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<", b"{", b"mime-version:")):
        kind = "JSON 数据" if lowered.startswith(b"{") else "网页（HTML/XML/MHT）"
        raise FileRefused("F_UNSUPPORTED", detail=f"文件内容是{kind}，只是扩展名像表格")
    return "csv"


def inspect_zip(path: Path) -> str:
    """Check a zip container before parsing: its kind, its size inflated, XML entity tricks.

    Sizes are first judged from the zip directory, which costs nothing; then every XML part is
    inflated in chunks, never past the size it declares, and scanned for entity declarations.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            kind = _zip_kind({i.filename for i in archive.infolist()})
            guards.check_zip_sizes(archive.infolist(), path.stat().st_size)
            check_declared_sizes(archive.infolist())
            for info in archive.infolist():
                if info.filename.endswith((".xml", ".rels")):
                    inspect_part(archive, info)
            if kind == "xlsx":
                guards.check_xlsx_grid(archive)
            else:
                guards.check_ods_repeats(archive, row_cap())
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as exc:
        # ValueError: a member name that is not UTF-8, a negative offset (tests/test_fuzz_read.py)
        raise FileRefused(
            "F_UNREADABLE", detail="压缩结构损坏（文件可能未完整保存或传输中断）"
        ) from exc
    return kind


def _zip_kind(names: set[str]) -> str:
    if "xl/workbook.bin" in names:
        raise FileRefused("F_UNSUPPORTED", detail="Excel 二进制工作簿（.xlsb）")
    if "mimetype" in names:
        return "ods"
    if "xl/workbook.xml" in names:
        return "xlsx"
    raise FileRefused("F_UNSUPPORTED", detail="压缩包，不是 Excel 或 WPS 表格")


def check_declared_sizes(infos: list[zipfile.ZipInfo]) -> None:
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise FileRefused("F_ENCRYPTED")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_UNZIPPED_BYTES or (info.file_size > 10_000_000 and ratio > MAX_PART_RATIO):
            raise FileRefused("F_UNSAFE", detail=_BOMB)


def inspect_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Inflate one part in chunks: refuse it when it outgrows its declared size (a bomb that lies
    in the directory) or declares XML entities anywhere (a DOCTYPE may follow a long comment)."""
    probe = copy.copy(info)
    probe.file_size = info.file_size + 1  # zipfile stops at the declared size: look one past it
    # typeshed types ZipInfo.CRC as int, but zipfile skips its own check when it is None
    probe.CRC = None  # type: ignore[assignment]  # checked below, once the whole part is known to be no larger than declared
    seen, crc, tail = 0, 0, b""
    with archive.open(probe) as part:
        while chunk := part.read(1 << 20):
            seen += len(chunk)
            if seen > info.file_size:
                raise FileRefused("F_UNSAFE", detail=_BOMB)
            crc = zlib.crc32(chunk, crc)
            window = tail + chunk
            if any(marker in window for marker in _ENTITY_MARKERS):
                raise FileRefused("F_UNSAFE", detail="XML 中含有实体声明（DOCTYPE/ENTITY）")
            tail = window[-_MARKER_OVERLAP:]
    if crc != info.CRC or seen != info.file_size:
        raise zipfile.BadZipFile(f"{info.filename} is damaged")


def row_cap() -> int:
    """Rows loaded per sheet: a sheet that reaches this many holds too many to be Annex 3."""
    return MAX_DATA_ROWS + 100
