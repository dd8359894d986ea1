"""What a date cell shows: its number format decides the precision a clerk reads.

A real date typed as 2015年3月 is stored as the day 2015-03-01 under a format that shows only the
year and month (``yyyy"年"m"月"``, built-in 57 in Chinese Excel and WPS); the clerk reads a month,
and so must the reader (SPEC §4: the age is judged over the whole month). calamine gives values,
not formats, so the formats of the date column's cells are read here, and only when that column
holds dates: .xlsx from ``xl/styles.xml`` and the cells' ``s`` attribute (a regular expression over
the sheet part, restricted to the one column: no DOM of a big sheet), .xls from its XF and FORMAT
records (xlrd, whose ``formatting_info`` reads them), .ods from the cell's style and its
``number:date-style``. A format whose shown parts lack the day gives a month, one that also lacks
the month a year; every other cell keeps the day it holds.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import tomllib
import zipfile
from collections.abc import Callable, Collection, Iterator
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from xlsxwriter.utility import xl_col_to_name

from pipeline.core.schema import SCHEMAS_DIR
from pipeline.read import odsxml
from pipeline.read.grids import sheet_part, styles_part

MONTH, YEAR = "月", "年"

_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
_NUMBER = "{urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0}"
# What a format code shows besides its date parts: quoted text, escaped and filler characters,
# [$-804] locales, [DBNum1] numerals, [Red] colours and [h] elapsed hours.
_LITERAL = re.compile(r'"[^"]*"|\\.|_.|\*.|\[[^\]]*\]')
# An m next to an hour or before seconds is minutes, not the month.
_MINUTES = re.compile(r"h+[^ymd]*?m+|m+(?=[^ymd]*s)")
_STYLE_ATTRIBUTE = re.compile(rb'\ss="(\d+)"')


@cache
def builtin_dates() -> dict[int, str]:
    """The built-in date formats by id, as zh-CN Excel shows them (schemas/number_formats.toml)."""
    with (SCHEMAS_DIR / "number_formats.toml").open("rb") as f:
        table = tomllib.load(f)["builtin_dates"]
    return {int(key): str(code) for key, code in table.items()}


def code_precision(code: str) -> str:
    """The precision a number format code shows a date at: ``月`` without the day, ``年`` without
    day and month, ``""`` for a day (or a format that is not a date's)."""
    parts = _MINUTES.sub("", _LITERAL.sub("", code).split(";")[0].lower())
    if "y" not in parts or "d" in parts:
        return ""
    return MONTH if "m" in parts else YEAR


def shown_text(value: dt.date, precision: str) -> str:
    """The date as the cell shows it: 2015年3月, or 2015年."""
    return f"{value.year}年{value.month}月" if precision == MONTH else f"{value.year}年"


def precisions(path: Path, fmt: str, sheet: str, col: int, rows: Collection[int]) -> dict[int, str]:
    """The precision (``月``/``年``) of each of ``rows`` (Excel rows) in 0-based column ``col``
    whose format hides the day; cells showing the day are left out."""
    reader = _READERS.get(fmt)
    if reader is None:
        return {}
    return {row: p for row, p in reader(path, sheet, col, set(rows)) if p}


def _xlsx(path: Path, sheet: str, col: int, rows: set[int]) -> Iterator[tuple[int, str]]:
    with zipfile.ZipFile(path) as archive:
        part = sheet_part(archive, sheet)
        styles = styles_part(archive)
        if part is None or styles is None:
            return
        shown = [code_precision(code) for code in _xlsx_formats(archive.read(styles))]
        data = archive.read(part)
    # The cells' references, not the cells: a pattern that starts with literal text is searched
    # fast (a few ms over a 10,000-row sheet); one for the whole <c> tag, or led by \b, is not.
    cell = re.compile(rb'r="' + xl_col_to_name(col).encode() + rb'(\d+)"([^>]*)>')
    for match in cell.finditer(data):
        row = int(match.group(1))
        if row in rows and data[match.start() - 1 : match.start()].isspace():
            # s usually follows r; a writer putting it first has it between the tag's < and r
            style = _STYLE_ATTRIBUTE.search(match.group(2)) or _STYLE_ATTRIBUTE.search(
                data, data.rfind(b"<", 0, match.start()), match.start()
            )
            xf = int(style.group(1)) if style else 0
            yield row, shown[xf] if xf < len(shown) else ""


def _xlsx_formats(styles: bytes) -> list[str]:
    """The number format code of every cell style (``cellXfs``), in order: the file's own
    ``numFmt`` for an id, else the built-in one."""
    root = ElementTree.fromstring(styles)
    codes = builtin_dates() | {
        int(f.get("numFmtId", "0")): f.get("formatCode", "")
        for f in root.iter(f"{_SHEET_NS}numFmt")
    }
    xfs = root.find(f"{_SHEET_NS}cellXfs")
    return [codes.get(int(xf.get("numFmtId", "0")), "") for xf in xfs or ()]


def _xls(path: Path, sheet: str, col: int, rows: set[int]) -> Iterator[tuple[int, str]]:
    import xlrd  # only for an .xls whose date column holds dates

    book = xlrd.open_workbook(file_contents=path.read_bytes(), formatting_info=True, on_demand=True)
    try:
        cells = book.sheet_by_name(sheet)
        builtin = builtin_dates()
        for row in rows:
            if row - 1 >= cells.nrows or col >= cells.row_len(row - 1):
                continue
            key = book.xf_list[cells.cell_xf_index(row - 1, col)].format_key
            found = book.format_map.get(key)  # the file's own FORMAT record, as in .xlsx
            code = found.format_str if found is not None else builtin.get(key, "")
            yield row, code_precision(code)
    finally:
        book.release_resources()


def _ods(path: Path, sheet: str, col: int, rows: set[int]) -> Iterator[tuple[int, str]]:
    styles = _OdsStyles()
    with zipfile.ZipFile(path) as archive:
        for _, elem in ElementTree.iterparse(io.BytesIO(archive.read("styles.xml"))):
            styles.feed(elem)
        content = archive.read("content.xml")
    for row, elem, defaults in odsxml.sheet_rows(content, sheet, styles.feed):
        if row in rows:
            cell = odsxml.cell_at(elem, col)
            if cell is not None and cell.get(f"{odsxml.OFFICE}value-type") == "date":
                default = defaults[col] if col < len(defaults) else None
                name = cell.get(f"{odsxml.TABLE}style-name") or default or ""
                yield row, styles.cells.get(name, "")


class _OdsStyles:
    """Cell style name → the precision its date style shows (``""`` for a day). Date styles come
    before the cell styles naming them, in styles.xml and in content.xml's automatic styles."""

    def __init__(self) -> None:
        self.dates: dict[str, str] = {}
        self.cells: dict[str, str] = {}

    def feed(self, elem: ElementTree.Element) -> None:
        if elem.tag == f"{_NUMBER}date-style":
            parts = {child.tag.removeprefix(_NUMBER) for child in elem}
            precision = "" if "day" in parts else MONTH if "month" in parts else YEAR
            self.dates[elem.get(f"{_STYLE}name", "")] = precision if "year" in parts else ""
        elif elem.tag == f"{_STYLE}style" and elem.get(f"{_STYLE}family") == "table-cell":
            data_style = elem.get(f"{_STYLE}data-style-name", "")
            self.cells[elem.get(f"{_STYLE}name", "")] = self.dates.get(data_style, "")


_READERS: dict[str, Callable[[Path, str, int, set[int]], Iterator[tuple[int, str]]]] = {
    "xlsx": _xlsx,
    "xls": _xls,
    "ods": _ods,
}


def shown_dates(
    path: Path, fmt: str, sheet: str, grid: list[list[Any]], rows: Collection[int], col: int
) -> dict[int, str]:
    """The text a clerk reads in each date cell of column ``col`` whose format hides the day
    (row → 2015年3月). Nothing is opened when the column holds no date. The values were read
    already: formats that cannot be read leave each cell the day it holds."""
    dates = {
        row: grid[row - 1][col]
        for row in rows
        if col < len(grid[row - 1]) and isinstance(grid[row - 1][col], dt.date)
    }
    if not dates:
        return {}
    try:
        shown = precisions(path, fmt, sheet, col, dates)
    except Exception:  # zip, XML and xlrd errors alike: the day stays, as before this reader
        return {}
    return {row: shown_text(dates[row], precision) for row, precision in shown.items()}
