"""What every workbook beian writes shares: fonts and formats, print setup, widths and heights
that fit Chinese text, and one way to write a value by its type.

The writers (the consolidated workbook, the 回执, the template) build on these, so a
font or a page footer is spelled once; their bulk rows go through pipeline/write/book.py.
Strings are never turned into formulas, numbers or links: a name such as ``=HYPERLINK(...)``
arrives as text.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

BODY_FONT = "宋体"
TITLE_FONT = "黑体"
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}
A4 = 9
_WIDE = "[^\x00-\u2e7f]"

BASE_FORMAT: dict[str, Any] = {"font_name": BODY_FONT, "font_size": 10, "valign": "vcenter"}
TITLE_FORMAT = {
    **BASE_FORMAT,
    "font_name": TITLE_FONT,
    "font_size": 16,
    "bold": True,
    "align": "center",
}
HEADER_FORMAT = {
    **BASE_FORMAT,
    "bold": True,
    "border": 1,
    "text_wrap": True,
    "align": "center",
    "bg_color": "#DDEBF7",
}


class Formats:
    """The few cell formats of the consolidated workbook and the 回执, created once."""

    def __init__(self, wb: Workbook) -> None:
        base = BASE_FORMAT
        self.title = wb.add_format(TITLE_FORMAT)
        self.stamp = wb.add_format({**base, "font_size": 11})
        self.header = wb.add_format(HEADER_FORMAT)
        self.cell = wb.add_format({**base, "border": 1, "text_wrap": True})
        self.center = wb.add_format({**base, "border": 1, "align": "center"})
        self.text = wb.add_format(base)
        self.wrap = wb.add_format({**base, "text_wrap": True, "align": "left"})
        self.date = wb.add_format({**base, "num_format": "yyyy-mm-dd"})


def new_workbook(path: Path | BinaryIO, title: str, made_by: str, **options: bool) -> Workbook:
    """An xlsxwriter workbook that never turns text into formulas, numbers or links."""
    target = str(path) if isinstance(path, Path) else path
    wb = xlsxwriter.Workbook(target, {**WORKBOOK_OPTIONS, **options})
    wb.set_properties({"title": title, "author": "beian", "comments": f"由 {made_by} 生成"})
    return wb


def print_setup(ws: Worksheet, header_row: int | None = None) -> None:
    """A4 landscape, fitted to the page width, page numbers in the footer."""
    ws.set_landscape()
    ws.set_paper(A4)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C第 &P 页 共 &N 页")
    if header_row is not None:
        ws.repeat_rows(header_row)


def _arrow_text(texts: pd.Series) -> pa.Array:
    """The column as the cells show it (missing values empty), as one pyarrow string array."""
    if isinstance(texts.dtype, pd.StringDtype):
        return pa.array(texts.fillna(""), type=pa.string())
    shown = texts.astype(object).where(texts.notna(), "")
    return pa.array([str(value) for value in shown], type=pa.string())


def _widths(text: pa.Array) -> np.ndarray:
    """Counted by pyarrow directly: through pandas, each column's count first parses the pattern
    with Python's ``re`` (to decide whether pyarrow may run it), and a workbook sizes a hundred
    columns."""
    return pc.add(pc.utf8_length(text), pc.count_substring_regex(text, _WIDE)).to_numpy()


def display_widths(texts: pd.Series) -> pd.Series:
    """Width of each text in Excel character units: a CJK character counts two."""
    return pd.Series(_widths(_arrow_text(texts)), index=texts.index)


def display_width(text: str) -> int:
    """:func:`display_widths` for one text."""
    return len(text) + len(re.findall(_WIDE, text))


def column_widths(frame: pd.DataFrame, cap: int = 50) -> list[int]:
    """Widths that fit the header and the longest value (of the first 2,000 rows), capped."""
    sample = frame.head(2000)
    widths = []
    for col in frame.columns:
        longest = int(display_widths(sample[col]).max()) if len(sample) else 0
        widths.append(min(cap, max(display_width(str(col)) + 2, longest + 2, 6)))
    return widths


def wrapped_lines(chars: Any, breaks: Any, width: int, bold: bool = False) -> Any:
    """Lines a cell of ``chars`` display characters with ``breaks`` line breaks takes when
    wrapped in a column ``width`` wide (numbers or numpy arrays of them).

    Wrapping breaks early at punctuation and bold glyphs are wider, so the estimate leaves a
    tenth of slack (a fifth for bold); looking at the PDF of 汇总表 showed the header cut
    without it. A line break inside a cell starts a new line.
    """
    slack = 1.2 if bold else 1.1
    return np.ceil(chars * slack / max(width - 2, 1)) + breaks


def points(lines: Any) -> Any:
    """The height in points of a row of ``lines`` lines (13.5 points a line)."""
    return lines * 13.5 + 6


def row_heights(frame: pd.DataFrame, widths: list[int], bold: bool = False) -> pd.Series:
    """Each row tall enough to show every wrapped line (see :func:`wrapped_lines`)."""
    lines = np.ones(len(frame))
    for (_, column), width in zip(frame.items(), widths, strict=True):
        text = _arrow_text(column)
        breaks = pc.count_substring(text, "\n").to_numpy()
        wrapped = wrapped_lines(_widths(text), breaks, width, bold)
        lines = np.maximum(lines, wrapped)
    return pd.Series(points(lines), index=frame.index)


def row_height(values: list[str], widths: list[int], bold: bool = False) -> float:
    """The height of one row of texts, as :func:`row_heights` computes it, without building a
    frame (a 回执's overview asks for one row at a time)."""
    lines = 1.0
    for text, width in zip(values, widths, strict=True):
        lines = max(lines, float(wrapped_lines(display_width(text), text.count("\n"), width, bold)))
    return float(points(lines))


def write_value(ws: Worksheet, row: int, col: int, value: Any, fmt: Any = None) -> None:
    """Write one value by its type; text is always written as text, never as a formula."""
    if value is None or value is pd.NA or value is pd.NaT:
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, str):
        ws.write_string(row, col, value, fmt)
    elif isinstance(value, bool | np.bool_):
        ws.write_string(row, col, "是" if value else "否", fmt)
    elif isinstance(value, numbers.Number):
        number = float(value)  # type: ignore[arg-type]
        if math.isfinite(number):
            ws.write_number(row, col, number, fmt)
        else:
            ws.write_blank(row, col, None, fmt)
    elif isinstance(value, dt.datetime | dt.date | dt.time):
        ws.write_datetime(row, col, value, fmt)
    else:
        ws.write_string(row, col, str(value), fmt)
