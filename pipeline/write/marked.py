"""标注: the bureau's own sheet in its 回执, every value at its original address, errors filled red
and warnings yellow, each marked cell with a comment saying what is wrong and how to fix it.

The sheet is rebuilt from the cells the reader kept (:attr:`SheetTable.grid`) for every input
format, so a .csv, .xls or .ods looks the same as an .xlsx, and no macro, link or formula of the
original is ever copied. Each value keeps the look it had (a date as a date, a whole number
without decimals): its format is decided per column from the values' types, and the cells are
written by the fast path (pipeline/xlsx_rows.py); only the comments go cell by cell.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from pipeline.core.cells import coordinate
from pipeline.core.model import SheetTable
from pipeline.core.problems import Problem
from pipeline.core.schema import FormSpec
from pipeline.read.workbook import EXCEL_CELL_LIMIT
from pipeline.write.book import Book
from pipeline.write.problem_list import SEVERITY_LABELS
from pipeline.write.rows import Block, by_type, xf_index
from pipeline.write.xlsx import BODY_FONT, display_width

FILLS = {"error": "#FFC7CE", "warning": "#FFEB9C"}
NUMBER_FORMATS = {
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "time": "hh:mm:ss",
    "duration": "[h]:mm:ss",
    "integer": "0",
}
COMMENT_WIDTH = 320
COMMENT_LINE = COMMENT_WIDTH // 7
"""Width units (about 7 pixels each, a CJK character two) on one line of a comment."""
CUT_NOTE = "…（内容过长，已截断）"


def cell_marks(problems: list[Problem]) -> dict[str, list[Problem]]:
    """Errors and warnings by cell address; notices and file-level problems mark no cell."""
    marks: dict[str, list[Problem]] = {}
    for p in problems:
        if p.cell and p.severity in FILLS:
            marks.setdefault(p.cell, []).append(p)
    return marks


def comment_text(found: list[Problem]) -> str:
    return "\n".join(
        f"{SEVERITY_LABELS[p.severity]}：{p.message}\n修改建议：{p.hint}" for p in found
    )


def _type_kind(kind: type) -> str:
    """The look a value of this type needs; a datetime or a float is refined by its value."""
    for base, name in (
        (dt.datetime, "datetime"),
        (dt.date, "date"),
        (dt.time, "time"),
        (dt.timedelta, "duration"),
        (float, "float"),
    ):
        if issubclass(kind, base):
            return name
    return "general"


def value_kinds(values: np.ndarray) -> np.ndarray:
    """Which number format each value needs to look as it did in the bureau's sheet: a datetime
    at midnight is a date, a float with nothing after the point an integer."""
    kinds = by_type(values, _type_kind)
    stamps = kinds == "datetime"
    if stamps.any():
        moments = np.array(list(values[stamps]), dtype="datetime64[us]")
        midnight = moments == moments.astype("datetime64[D]")
        kinds[np.flatnonzero(stamps)[midnight]] = "date"
    floats = kinds == "float"
    if floats.any():
        numbers = values[floats].astype(float)
        whole = np.isfinite(numbers) & (numbers == np.floor(numbers))
        kinds[floats] = np.where(whole, "integer", "general")
    return kinds


def shown(values: np.ndarray) -> np.ndarray:
    """Values as written back: empty text as nothing, text cut to what an Excel cell can hold
    (its start and a note), a number that is not finite as its text."""
    kinds = by_type(values, lambda t: "text" if issubclass(t, str) else _type_kind(t))
    values = values.copy()
    texts = np.flatnonzero(kinds == "text")
    lengths = np.fromiter(map(len, values[texts]), dtype=np.int64, count=len(texts))
    values[texts[lengths == 0]] = None
    long = texts[lengths > EXCEL_CELL_LIMIT]
    values[long] = [text[:200] + CUT_NOTE for text in values[long]]
    floats = np.flatnonzero(kinds == "float")
    odd = floats[~np.isfinite(values[floats].astype(float))]
    values[odd] = [str(v) for v in values[odd]]
    return values


class CellStyles:
    """Formats of 标注, one per (value kind, mark), created on first use."""

    def __init__(self, wb: Workbook) -> None:
        self._wb = wb
        self._made: dict[tuple[str, str], Format] = {}

    def __call__(self, kind: str, mark: str = "") -> Format:
        key = (kind, mark)
        if key not in self._made:
            props: dict[str, Any] = {"font_name": BODY_FONT, "font_size": 10}
            if kind in NUMBER_FORMATS:
                props["num_format"] = NUMBER_FORMATS[kind]
            if mark:
                props.update(bg_color=FILLS[mark], pattern=1)
            self._made[key] = self._wb.add_format(props)
        return self._made[key]


def grid_frame(table: SheetTable, marks: dict[str, list[Problem]]) -> pd.DataFrame:
    """The sheet as read, one object column per sheet column, widened to every marked cell."""
    places = [coordinate(cell) for cell in marks]
    rows = max([len(table.grid), *(r for r, _ in places)])
    cols = max([*map(len, table.grid), *(c for _, c in places), 0])
    cells = np.full((rows, cols), None, dtype=object)
    for r, values in enumerate(table.grid):
        cells[r, : len(values)] = values
    return pd.DataFrame(cells, dtype=object)


def mark_frame(shape: tuple[int, int], marks: dict[str, list[Problem]]) -> np.ndarray:
    """ "error", "warning" or "" for every cell: an error where any problem is one."""
    found = np.full(shape, "", dtype=object)
    for cell, problems in marks.items():
        row, col = coordinate(cell)
        found[row - 1, col - 1] = (
            "error" if any(p.severity == "error" for p in problems) else "warning"
        )
    return found


def write_marked(
    book: Book, ws: Worksheet, table: SheetTable, problems: list[Problem], form: FormSpec
) -> None:
    """标注: every value at its original address; marked cells filled and commented."""
    for field, col in table.columns.items():
        ws.set_column(col, col, form.column(field).width)
    marks = cell_marks(problems)
    frame = grid_frame(table, marks)
    found = mark_frame(frame.shape, marks)
    styles = CellStyles(book.workbook)
    values, formats = {}, []
    for col, column in frame.items():
        cells = column.to_numpy(dtype=object)
        values[col] = shown(cells)
        keys = value_kinds(cells) + "|" + found[:, col]
        index = np.zeros(len(keys), dtype=np.int64)
        for key in set(keys):
            index[keys == key] = xf_index(styles(*key.split("|")))
        written = pd.notna(values[col]) | (found[:, col] != "")
        formats.append(np.where(written, index, 0))
    book.add_rows(ws, Block(pd.DataFrame(values, dtype=object), formats, 0))
    for cell, problems_here in marks.items():
        row, col = coordinate(cell)
        text = comment_text(problems_here)
        lines = sum(-(-display_width(line) // COMMENT_LINE) for line in text.splitlines())
        ws.write_comment(
            row - 1,
            col - 1,
            text,
            {
                "author": "beian",
                "font_name": BODY_FONT,
                "font_size": 10,
                "width": COMMENT_WIDTH,
                "height": 18 * lines + 12,
            },
        )
    if table.header_rows:
        ws.freeze_panes(table.header_rows[-1], 0)
