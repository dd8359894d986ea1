"""Cheap refusals before the expensive parse, wherever a file's format states its own size.

A few kilobytes can claim a sheet of billions of cells (an address beyond Excel's grid, a row
repeated a million times) or parts larger than any zip of their size can hold; the reading library
believes the claim and allocates it. Each check here reads only the structure that makes the
claim, streaming and bounded, and refuses the file with an F_ code before the parse. Legacy .xls
containers are checked the same way in pipeline/cfb.py. The guarded worker (pipeline/sandbox.py)
still catches whatever slips past these checks.
"""

from __future__ import annotations

import re
import zipfile
from typing import Any
from xml.etree import ElementTree

from pipeline.core.problems import MessageParams

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
MAX_SHEET_CELLS = 20_000_000
"""Cells a sheet may span once its repeats are expanded: 400 times a full 50,000-row Annex 3."""
DEFLATE_MAX_RATIO = 1_032
"""The most deflate can shrink anything; a part claiming more lies about its size."""

_CELL_REF = re.compile(rb'\sr="([A-Za-z]*)(\d+)')
_WIDE_REF = re.compile(rb'\sr="(?:[A-Za-z]{3}|[A-Za-z]{0,2}\d{7})')
"""The start of every address that could lie beyond the grid (three letters, or seven digits):
a chunk without one is not looked at address by address."""
_REF_TAIL = 64
_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_ODS_CELLS = (f"{_ODS_TABLE}table-cell", f"{_ODS_TABLE}covered-table-cell")


class FileRefused(Exception):
    """A file refused before or while reading, turned into an F_ problem by ``read_file``."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params: MessageParams = params


def _unsafe(detail: str) -> FileRefused:
    return FileRefused("F_UNSAFE", detail=detail)


def check_zip_sizes(infos: list[zipfile.ZipInfo], archive_size: int) -> None:
    """Refuse part sizes no zip of this size can hold: compressed data larger than the archive,
    a stored part whose sizes differ, a deflated part inflating beyond what deflate can do."""
    if sum(info.compress_size for info in infos) > archive_size:
        raise _unsafe("压缩包内各部分的大小之和超过文件本身")
    for info in infos:
        stored = info.compress_type == zipfile.ZIP_STORED
        if (stored and info.file_size != info.compress_size) or (
            info.file_size > max(info.compress_size, 1) * DEFLATE_MAX_RATIO + 1024
        ):
            raise _unsafe(f"压缩包内部分“{info.filename[:60]}”声明的大小不可能成立")


def check_xlsx_grid(archive: zipfile.ZipFile) -> None:
    """Refuse a worksheet whose cell or row addresses lie beyond Excel's grid (XFD1048576): the
    reader would allocate the whole rectangle up to them. Sheet XML is scanned in 1 MB chunks."""
    for info in archive.infolist():
        if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
            continue
        tail = b""
        with archive.open(info) as part:
            while chunk := part.read(1 << 20):
                window = tail + chunk
                wide = _WIDE_REF.search(window) is not None
                for letters, digits in _CELL_REF.findall(window) if wide else ():
                    if _beyond_grid(letters, digits):
                        ref = (letters + digits[:12]).decode("ascii")
                        raise _unsafe(f"单元格地址 {ref} 超出 Excel 表格范围（XFD1048576）")
                tail = window[-_REF_TAIL:]


def _beyond_grid(letters: bytes, digits: bytes) -> bool:
    if len(letters) > 3 or len(digits.lstrip(b"0")) > 7:
        return True
    column = 0
    for ch in letters.upper():
        column = column * 26 + ch - 64
    return column > EXCEL_MAX_COLUMNS or int(digits) > EXCEL_MAX_ROWS


def check_ods_repeats(archive: zipfile.ZipFile, row_limit: int) -> None:
    """Refuse an .ods whose repeat attributes expand content beyond ``row_limit`` rows or
    :data:`MAX_SHEET_CELLS` cells. Only rows that carry content count: LibreOffice ends every
    sheet with an empty row repeated about a million times, which readers skip."""
    with archive.open("content.xml") as part:
        sheet, row, width, last_row = "", 0, 0, 0
        for event, elem in ElementTree.iterparse(part, events=("start", "end")):
            if event == "start":
                if elem.tag == f"{_ODS_TABLE}table":
                    sheet, row, width, last_row = elem.get(f"{_ODS_TABLE}name", ""), 0, 0, 0
                continue
            if elem.tag != f"{_ODS_TABLE}table-row":
                continue
            repeat = _repeat(elem, "rows")
            used = _content_width(elem)
            if used:
                last_row, width = row + repeat, max(width, used)
                if last_row > row_limit:
                    raise FileRefused(
                        "F_TOO_MANY_ROWS", sheet=sheet, rows=f"{last_row}", limit=row_limit
                    )
                if width > EXCEL_MAX_COLUMNS or last_row * width > MAX_SHEET_CELLS:
                    raise _unsafe(f"工作表“{sheet}”的重复标记展开后单元格过多")
            row += repeat
            elem.clear()


def _repeat(elem: ElementTree.Element, what: str) -> int:
    text = elem.get(f"{_ODS_TABLE}number-{what}-repeated", "1")
    return int(text) if text.isdigit() and len(text) < 10 else 10**10


def _content_width(row: ElementTree.Element) -> int:
    """The column after the last cell of a row that holds a value (0 for an empty row)."""
    column, used = 0, 0
    for cell in row:
        if cell.tag not in _ODS_CELLS:
            continue
        column += _repeat(cell, "columns")
        if cell.get(f"{_ODS_OFFICE}value-type") or len(cell):
            used = column
    return used
