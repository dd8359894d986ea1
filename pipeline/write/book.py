"""A workbook written by xlsxwriter whose bulk rows come from the fast path (pipeline/xlsx_rows.py).

xlsxwriter keeps doing what it does well (styles, titles and headers, merged cells, Excel tables,
comments, data validation, charts, print setup, defined names) and writes its package to memory;
the bulk rows of each sheet are registered as a :class:`Block` instead of written cell by cell.
Closing the book copies the package to its path and splices every block's rows into its sheet's
``<sheetData>`` (rows are streamed a chunk at a time, so a large sheet never sits in memory as
one string), widening ``<dimension>`` to cover them; a table's range is widened in its part
(:meth:`Book.add_table`) and the few texts that need an escape join the shared strings. The
caller stages the path as before, so the workbook is still published atomically.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_cell_to_rowcol, xl_range, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from pipeline.write.rows import Block, SharedStrings, rows_xml, xf_index
from pipeline.write.xlsx import Formats, column_widths, new_workbook, print_setup, row_heights

COMPRESSION = 1
"""zlib level of the package. The 32 MB of XML of a 40,000-row 明细 deflate in 0.57 s at level 1
against 1.31 s at xlsxwriter's level 6, into 5.1 MB instead of 4.3 (2026-11-30, load 4.8)."""

SHARED = "xl/sharedStrings.xml"
_SHEET_DATA = re.compile(r"<sheetData/>|<sheetData>(.*?)</sheetData>", re.S)
_ROW = re.compile(r'<row r="(\d+)"[^>]*?(?:/>|>.*?</row>)', re.S)
_DIMENSION = re.compile(r'<dimension ref="([A-Z]+\d+)(?::([A-Z]+\d+))?"/>')


class Book:
    """An xlsxwriter workbook in memory plus the blocks of rows the fast path adds on closing."""

    def __init__(self, path: Path, title: str, made_by: str) -> None:
        self.path = path
        self._package = io.BytesIO()
        self.workbook = new_workbook(self._package, title, made_by, in_memory=True)
        self._blocks: dict[str, Block] = {}
        self._tables: dict[str, tuple[str, str]] = {}

    def _part(self, ws: Worksheet) -> str:
        return f"xl/worksheets/sheet{self.workbook.worksheets().index(ws) + 1}.xml"

    def add_rows(self, ws: Worksheet, block: Block) -> None:
        """Write ``block`` into ``ws``; xlsxwriter must write no cell in the block's rows."""
        if self._part(ws) in self._blocks:
            raise ValueError(f"{ws.name} has its block of rows already")
        if len(block.frame):
            self._blocks[self._part(ws)] = block

    def add_table(
        self, ws: Worksheet, first_row: int, last_row: int, last_col: int, options: dict[str, Any]
    ) -> None:
        """An Excel table from ``first_row`` (its header) to ``last_row``, columns 0 on, one per
        sheet. xlsxwriter keeps a note of every cell of a table's range (a dictionary entry
        each: seconds, and hundreds of MB, for a large sheet), so it gets the header and one row,
        and the range is widened in the table's part when the book is closed."""
        short = min(last_row, first_row + 1)
        ws.add_table(first_row, 0, short, last_col, options)
        if short < last_row:
            wide = (
                xl_range(first_row, 0, short, last_col),
                xl_range(first_row, 0, last_row, last_col),
            )
            self._tables[self._part(ws)] = wide

    def close(self) -> None:
        """Write the workbook at :attr:`path`."""
        self.workbook.close()
        with (
            zipfile.ZipFile(self._package) as package,
            zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESSION) as out,
        ):
            table = package.read(SHARED) if SHARED in package.namelist() else None
            strings = SharedStrings(shared_count(table)) if table is not None else None
            widen = {table_part(package, sheet): refs for sheet, refs in self._tables.items()}
            for info in package.infolist():
                block = self._blocks.get(info.filename)
                if info.filename == SHARED:
                    continue
                if block is not None:
                    with out.open(info.filename, "w") as part:
                        for piece in spliced(package.read(info).decode(), block, strings):
                            part.write(piece)
                    continue
                data = package.read(info)
                if info.filename in widen:
                    short, wide = widen[info.filename]
                    data = data.replace(f'ref="{short}"'.encode(), f'ref="{wide}"'.encode())
                out.writestr(info, data, compresslevel=COMPRESSION)
            if table is not None and strings is not None:
                out.writestr(package.getinfo(SHARED), shared_table(table.decode(), strings))


def table_part(package: zipfile.ZipFile, sheet: str) -> str:
    """The part of the (one) table of a sheet part, from the sheet's relationships."""
    folder, name = sheet.rsplit("/", 1)
    rels = package.read(f"{folder}/_rels/{name}.rels").decode()
    target = re.search(r'Target="\.\./tables/(table\d+\.xml)"', rels)
    if target is None:
        raise ValueError(f"{sheet} has no table")
    return f"xl/tables/{target[1]}"


def shared_count(table: bytes) -> int:
    """How many distinct strings xlsxwriter's shared string table holds."""
    found = re.search(rb'uniqueCount="(\d+)"', table)
    return int(found[1]) if found else 0


def shared_table(xml: str, strings: SharedStrings) -> bytes:
    """xlsxwriter's shared string table with the fast path's strings after its own."""
    if not strings.entries:
        return xml.encode()
    count = int(re.search(r' count="(\d+)"', xml)[1]) + strings.uses  # type: ignore[index]
    unique = strings.first + len(strings.entries)
    xml = re.sub(r' count="\d+" uniqueCount="\d+"', f' count="{count}" uniqueCount="{unique}"', xml)
    end = xml.rindex("</sst>")
    return (xml[:end] + "".join(strings.entries) + xml[end:]).encode()


def extent(block: Block) -> tuple[range, range] | None:
    """The sheet rows and columns (0-based) the block's cells span, None if it has none: a value
    or a format makes a cell (a non-finite number may count where it writes nothing)."""
    styled = np.column_stack(
        [np.broadcast_to(np.asarray(s) > 0, len(block.frame)) for s in block.styles]
    )
    filled = block.frame.notna().to_numpy() | styled
    rows, cols = np.flatnonzero(filled.any(axis=1)), np.flatnonzero(filled.any(axis=0))
    if not len(rows):
        return None
    first = block.first_row
    return range(first + rows[0], first + rows[-1] + 1), range(cols[0], cols[-1] + 1)


def dimension(xml: str, block: Block) -> str:
    """The sheet's ``<dimension>`` widened to cover the block's cells."""
    found, span = _DIMENSION.search(xml), extent(block)
    if found is None or span is None:
        return xml
    rows, cols = span
    top, left = xl_cell_to_rowcol(found[1])
    bottom, right = xl_cell_to_rowcol(found[2] or found[1])
    first = xl_rowcol_to_cell(min(top, rows.start), min(left, cols.start))
    last = xl_rowcol_to_cell(max(bottom, rows.stop - 1), max(right, cols.stop - 1))
    return xml[: found.start()] + f'<dimension ref="{first}:{last}"/>' + xml[found.end() :]


def spliced(xml: str, block: Block, strings: SharedStrings | None) -> Iterator[Any]:
    """The sheet's XML with the block's rows in ``<sheetData>`` among xlsxwriter's own rows (of
    which those inside the block can only be the empty rows xlsxwriter adds for comments)."""
    data = _SHEET_DATA.search(xml)
    if data is None:
        raise ValueError("xlsxwriter wrote a sheet without <sheetData>")
    before, after = [], []
    for row in _ROW.finditer(data[1] or ""):
        number = int(row[1]) - 1
        if number > block.last_row:
            after.append(row[0])
        elif number < block.first_row:
            before.append(row[0])
        elif not row[0].endswith("/>"):
            raise ValueError(f"xlsxwriter wrote cells in row {number + 1}, among the fast rows")
    yield (dimension(xml[: data.start()], block) + "<sheetData>" + "".join(before)).encode()
    yield from rows_xml(block, strings)
    yield ("".join(after) + "</sheetData>" + xml[data.end() :]).encode()


def write_table(
    book: Book,
    ws: Worksheet,
    frame: pd.DataFrame,
    fmt: Formats,
    first_row: int = 0,
    formats: dict[str, Any] | None = None,
) -> None:
    """A frame as an Excel table with filters, a frozen header and fitting widths; rows with a
    wrapping column are as tall as their text."""
    formats = formats or {}
    print_setup(ws, first_row)
    widths = column_widths(frame)
    for i, (col, width) in enumerate(zip(frame.columns, widths, strict=True)):
        ws.set_column(i, i, width, formats.get(col))
    ws.freeze_panes(first_row + 1, 0)
    if not len(frame.columns):
        return
    book.add_table(
        ws,
        first_row,
        first_row + max(len(frame), 1),
        len(frame.columns) - 1,
        {
            "columns": [{"header": str(c)} for c in frame.columns],
            "style": "Table Style Light 9",
            "autofilter": True,
        },
    )
    wrapped = [i for i, c in enumerate(frame.columns) if getattr(formats.get(c), "text_wrap", 0)]
    heights = (
        row_heights(frame.iloc[:, wrapped], [widths[i] for i in wrapped]).to_numpy()
        if wrapped
        else None
    )
    styles = [xf_index(formats.get(c)) for c in frame.columns]
    book.add_rows(ws, Block(frame, styles, first_row + 1, heights))
