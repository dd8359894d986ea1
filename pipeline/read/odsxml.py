"""Walking one sheet of an .ods (content.xml) by Excel row and column, for what calamine does not
give: the cells' date styles (:mod:`pipeline.read.cellformats`), formulas saved without a
result, and merged cells.

The sheet is streamed (iterparse, each row cleared once read), never loaded as a DOM; repeated
rows and columns (``number-rows-repeated``, ``number-columns-repeated``) count as many as they
stand for, as calamine counts them.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree import ElementTree

TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
# The attributes in which a spreadsheet saves a cell's value (a formula's last result).
_VALUES = tuple(
    f"{OFFICE}{kind}"
    for kind in ("value", "date-value", "time-value", "boolean-value", "string-value")
)


def sheet_rows(
    content: bytes, sheet: str, outside: Callable[[ElementTree.Element], None]
) -> Iterator[tuple[int, ElementTree.Element, list[str | None]]]:
    """(Excel row, row element, default cell style of each column) for every row of ``sheet``;
    ``outside`` sees every element closed outside the sheet (the styles before it)."""
    row, defaults, inside = 1, [], False
    for event, elem in ElementTree.iterparse(io.BytesIO(content), events=("start", "end")):
        if elem.tag == f"{TABLE}table":
            if event == "end" and inside:
                return
            inside = elem.get(f"{TABLE}name") == sheet
        elif event == "start":
            continue
        elif not inside:
            outside(elem)
            if elem.tag == f"{TABLE}table-row":
                elem.clear()
        elif elem.tag == f"{TABLE}table-column":
            defaults += [elem.get(f"{TABLE}default-cell-style-name")] * repeat(elem, "columns")
        elif elem.tag == f"{TABLE}table-row":
            yield row, elem, defaults
            row += repeat(elem, "rows")
            elem.clear()


def cells(row: ElementTree.Element) -> Iterator[tuple[int, ElementTree.Element]]:
    """(0-based column, cell) of a row's cells and covered cells, each repeat counted."""
    at = 0
    for cell in row:
        yield at, cell
        at += repeat(cell, "columns")


def cell_at(row: ElementTree.Element, col: int) -> ElementTree.Element | None:
    """The cell covering column ``col``, or None past the row's last cell."""
    found = None
    for at, cell in cells(row):
        if at > col:
            break
        found = cell
    return found


def repeat(elem: ElementTree.Element, what: str) -> int:
    return int(elem.get(f"{TABLE}number-{what}-repeated", "1"))


def formula_issues(path: Path, sheet: str) -> dict[tuple[int, int], str]:
    """Cells of an .ods sheet holding a formula saved without its result: no value attribute and
    no text. LibreOffice, WPS and Excel always save the result; a program that writes formulas
    without calculating them does not. Only a file with formulas is walked."""
    with zipfile.ZipFile(path) as archive:
        content = archive.read("content.xml")
    if b"table:formula=" not in content:
        return {}
    issues: dict[tuple[int, int], str] = {}
    for number, row, _ in sheet_rows(content, sheet, lambda _: None):
        for col, cell in cells(row):
            if cell.get(f"{TABLE}formula") is None or any(map(cell.get, _VALUES)):
                continue
            if not "".join(cell.itertext()).strip():
                issues[(number, col)] = "没有保存计算结果（公式未计算）"
    return issues


def merged_ranges(path: Path) -> dict[str, list[tuple[tuple[int, int], tuple[int, int]]]]:
    """Sheet → its merged ranges, 0-based ((top, left), (bottom, right)), as calamine gives them
    for .xlsx and .xls (for .ods it gives none): from each cell's ``number-rows-spanned`` and
    ``number-columns-spanned``. Only a file with merged cells is walked."""
    with zipfile.ZipFile(path) as archive:
        content = archive.read("content.xml")
    if b"-spanned=" not in content:
        return {}
    found: dict[str, list[tuple[tuple[int, int], tuple[int, int]]]] = {}
    sheet, row = "", 0
    for event, elem in ElementTree.iterparse(io.BytesIO(content), events=("start", "end")):
        if event == "start":
            if elem.tag == f"{TABLE}table":
                sheet, row = elem.get(f"{TABLE}name", ""), 0
            continue
        if elem.tag != f"{TABLE}table-row":
            continue
        for col, cell in cells(elem):
            down = int(cell.get(f"{TABLE}number-rows-spanned", "1"))
            across = int(cell.get(f"{TABLE}number-columns-spanned", "1"))
            if down > 1 or across > 1:
                found.setdefault(sheet, []).append(((row, col), (row + down - 1, col + across - 1)))
        row += repeat(elem, "rows")
        elem.clear()
    return found
