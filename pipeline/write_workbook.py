"""Write the consolidated provincial workbook with xlsxwriter (SPEC §7).

汇总表 is for the binder: the official Annex 3 layout, A4 landscape, header repeated on every page.
明细 is for the analyst: one typed row per space as an Excel table. 统计, 重复, 未通过 and 报送情况
follow. Strings are never turned into formulas, numbers or links: a name such as ``=HYPERLINK(...)``
arrives as text.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from pipeline import packet_report, report
from pipeline.config import Settings
from pipeline.model import BatchResult
from pipeline.schema import load_registers

BODY_FONT = "宋体"
TITLE_FONT = "黑体"
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}
A4 = 9
_WIDE = "[^\x00-\u2e7f]"
LARGE_BATCH_ROWS = 20_000
STATS_PAGE_ROWS = 44


def consolidated_name(settings: Settings) -> str:
    """<province>众创空间备案汇总表_<batch>.xlsx, the province from schemas/province.toml."""
    province = load_registers(settings.form.parent).province.name
    return f"{province}众创空间备案汇总表_{settings.batch}.xlsx"


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
    """The workbook's few cell formats, created once."""

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


def new_workbook(path: Path, title: str, made_by: str, **options: bool) -> Workbook:
    """An xlsxwriter workbook that never turns text into formulas, numbers or links."""
    wb = xlsxwriter.Workbook(str(path), {**WORKBOOK_OPTIONS, **options})
    wb.set_properties({"title": title, "author": "beian", "comments": f"由 {made_by} 生成"})
    return wb


def display_widths(texts: pd.Series) -> pd.Series:
    """Width of each text in Excel character units: a CJK character counts two."""
    text = texts.astype(object).where(texts.notna(), "").astype(str)
    return text.str.len() + text.str.count(_WIDE)


def display_width(text: str) -> int:
    """:func:`display_widths` for one text."""
    return len(text) + len(re.findall(_WIDE, text))


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


def column_widths(frame: pd.DataFrame, cap: int = 50) -> list[int]:
    """Widths that fit the header and the longest value (of the first 2,000 rows), capped."""
    sample = frame.head(2000)
    widths = []
    for col in frame.columns:
        longest = int(display_widths(sample[col]).max()) if len(sample) else 0
        widths.append(min(cap, max(display_width(str(col)) + 2, longest + 2, 6)))
    return widths


def python_rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """The frame's rows as tuples of plain Python values, missing values as None.

    Converting column by column first keeps the per-cell write loop free of pandas indexing.
    """
    columns = [s.astype(object).where(s.notna(), None).tolist() for _, s in frame.items()]
    return list(zip(*columns, strict=True)) if columns else []


def print_setup(ws: Worksheet, header_row: int | None = None) -> None:
    """A4 landscape, fitted to the page width, page numbers in the footer."""
    ws.set_landscape()
    ws.set_paper(A4)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C第 &P 页 共 &N 页")
    if header_row is not None:
        ws.repeat_rows(header_row)


def write_table(
    ws: Worksheet,
    frame: pd.DataFrame,
    fmt: Formats,
    first_row: int = 0,
    formats: dict[str, Any] | None = None,
) -> None:
    """A frame as an Excel table with filters, a frozen header and fitting widths.

    In constant-memory mode (large batches) xlsxwriter cannot add a table; the header row then
    gets an autofilter instead, which filters the same way ("套用表格格式" is one click away).
    """
    formats = formats or {}
    print_setup(ws, first_row)
    widths = column_widths(frame)
    for i, (col, width) in enumerate(zip(frame.columns, widths, strict=True)):
        ws.set_column(i, i, width, formats.get(col))
    ws.freeze_panes(first_row + 1, 0)
    last_row = first_row + max(len(frame), 1)
    if len(frame.columns) and ws.constant_memory:
        for c, label in enumerate(frame.columns):
            ws.write_string(first_row, c, str(label), fmt.header)
        ws.autofilter(first_row, 0, last_row, len(frame.columns) - 1)
    elif len(frame.columns):
        ws.add_table(
            first_row,
            0,
            last_row,
            len(frame.columns) - 1,
            {
                "columns": [{"header": str(c)} for c in frame.columns],
                "style": "Table Style Light 9",
                "autofilter": True,
            },
        )
    column_formats = [formats.get(c) for c in frame.columns]
    wrapped = [c for c in frame.columns if getattr(formats.get(c), "text_wrap", 0)]
    heights: list[float | None] = (
        row_heights(
            frame[wrapped], [widths[list(frame.columns).index(c)] for c in wrapped]
        ).tolist()
        if wrapped
        else [None] * len(frame)
    )
    for r, (height, values) in enumerate(
        zip(heights, python_rows(frame), strict=True), start=first_row + 1
    ):
        if height is not None:
            ws.set_row(r, height)
        for c, value in enumerate(values):
            write_value(ws, r, c, value, column_formats[c])


# --- 汇总表 ---------------------------------------------------------------------------------------


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
        text = column.astype(object).where(column.notna(), "").astype(str)
        wrapped = wrapped_lines(
            display_widths(text).to_numpy(), text.str.count("\n").to_numpy(), width, bold
        )
        lines = np.maximum(lines, wrapped)
    return pd.Series(points(lines), index=frame.index)


def row_height(values: list[str], widths: list[int], bold: bool = False) -> float:
    """The height of one row of texts, as :func:`row_heights` computes it, without building a
    frame (a 回执's overview asks for one row at a time)."""
    lines = 1.0
    for text, width in zip(values, widths, strict=True):
        lines = max(lines, float(wrapped_lines(display_width(text), text.count("\n"), width, bold)))
    return float(points(lines))


def write_binder(wb: Workbook, result: BatchResult, fmt: Formats) -> None:
    ws = wb.add_worksheet("汇总表")
    frame = report.binder_frame(result)
    widths = [5] + [c.width for c in result.form.columns] + [18]
    last_col = len(widths) - 1
    for i, width in enumerate(widths):
        ws.set_column(i, i, width)
    ws.set_row(0, 30)
    ws.merge_range(0, 0, 0, last_col, result.form.title, fmt.title)
    ws.merge_range(
        1,
        0,
        1,
        last_col,
        f"{result.registers.province.department}（盖章）：            批次：{result.settings.batch}"
        f"            共 {len(frame)} 个众创空间",
        fmt.stamp,
    )
    header_height = max(row_height([str(c) for c in frame.columns], widths, bold=True), 30)
    ws.set_row(2, header_height)
    for c, label in enumerate(frame.columns):
        ws.write_string(2, c, str(label), fmt.header)
    heights = row_heights(frame, widths).tolist()
    for r, (height, values) in enumerate(zip(heights, python_rows(frame), strict=True), start=3):
        ws.set_row(r, height)
        ws.write_number(r, 0, values[0], fmt.center)
        for c, text in enumerate(values[1:], start=1):
            ws.write_string(r, c, "" if text is None else str(text), fmt.cell)
    print_setup(ws, header_row=2)
    ws.center_horizontally()
    ws.print_area(0, 0, max(2 + len(frame), 2), last_col)
    ws.freeze_panes(3, 2)


# --- 统计 -----------------------------------------------------------------------------------------


def write_stats(wb: Workbook, result: BatchResult, fmt: Formats) -> None:
    """Four crosstabs one under another, each with a native chart to its right."""
    ws = wb.add_worksheet("统计")
    print_setup(ws)
    ws.set_column(0, 0, 34)
    ws.set_column(1, 8, 11)
    blocks = [
        ("按推荐单位和机构性质统计（受理）", report.by_bureau_and_type(result), "bar", True),
        ("按所在国家高新区统计（受理）", report.by_zone(result), "column", False),
        ("按成立年份统计（受理）", report.by_year(result), "column", False),
        ("按推荐单位统计处理结果（全部数据行）", report.by_disposition(result), "bar", True),
    ]
    row = 0
    breaks = []
    for title, table, kind, stacked in blocks:
        height = max(len(table) + 2, 16)
        if row and row % STATS_PAGE_ROWS + height > STATS_PAGE_ROWS:
            row = (row // STATS_PAGE_ROWS + 1) * STATS_PAGE_ROWS
            breaks.append(row)
        ws.write_string(row, 0, title, fmt.header)
        for c, label in enumerate(table.columns):
            ws.write_string(row + 1, c, str(label), fmt.header)
        for r, values in enumerate(table.itertuples(index=False), start=row + 2):
            for c, value in enumerate(values):
                write_value(ws, r, c, value, fmt.center if c else fmt.cell)
        if len(table):
            add_chart(wb, ws, title, table, row, kind, stacked)
        row += height + 2
    ws.set_h_pagebreaks(breaks)


def add_chart(
    wb: Workbook, ws: Worksheet, title: str, table: pd.DataFrame, row: int, kind: str, stacked: bool
) -> None:
    """A chart of a block; the 合计 row and column are left out of the plotted series."""
    body = len(table) - (1 if str(table.iloc[-1, 0]) == "合计" else 0)
    series_cols = [c for c in range(1, len(table.columns)) if table.columns[c] != "合计"]
    chart = wb.add_chart({"type": kind, "subtype": "stacked"} if stacked else {"type": kind})
    first, last = row + 2, row + 1 + body
    for c in series_cols:
        chart.add_series(
            {
                "name": ["统计", row + 1, c],
                "categories": ["统计", first, 0, last, 0],
                "values": ["统计", first, c, last, c],
                "data_labels": {"value": not stacked},
            }
        )
    chart.set_title({"name": title, "name_font": {"name": BODY_FONT, "size": 11}})
    chart.set_legend(
        {"position": "bottom", "font": {"name": BODY_FONT}}
        if len(series_cols) > 1
        else {"none": True}
    )
    axis_font = {"num_font": {"name": BODY_FONT, "size": 9}}
    chart.set_x_axis(axis_font)
    chart.set_y_axis({**axis_font, "reverse": kind == "bar"})
    chart.set_size({"width": 620, "height": max(300, 22 * body + 90)})
    ws.insert_chart(row, len(table.columns) + 1, chart)


# --- the workbook ---------------------------------------------------------------------------------


def write_consolidated(result: BatchResult, path: Path, detail: pd.DataFrame) -> None:
    """Write the whole workbook to ``path`` (the caller stages it under a temporary name);
    ``detail`` is :func:`report.detail_frame`, which the caller also exports as CSV/Parquet."""
    large = len(result.rows) > LARGE_BATCH_ROWS
    title = f"{result.registers.province.name}众创空间备案汇总表（{result.settings.batch}）"
    wb = new_workbook(path, title, "beian run", constant_memory=large, in_memory=not large)
    fmt = Formats(wb)
    write_binder(wb, result, fmt)
    dates = dict.fromkeys(report.detail_dates(result), fmt.date)
    write_table(wb.add_worksheet("明细"), detail, fmt, formats={**dates, "提示": fmt.wrap})
    write_stats(wb, result, fmt)
    write_table(wb.add_worksheet("重复"), report.duplicates_frame(result), fmt)
    write_table(
        wb.add_worksheet("未通过"),
        report.rejected_frame(result),
        fmt,
        formats={"问题": fmt.wrap},
    )
    write_table(wb.add_worksheet("报送情况"), report.submissions_frame(result), fmt)
    checks = packet_report.check_frame(result)
    wrapped = {c: fmt.wrap for c in checks.columns[5:8]}
    write_table(wb.add_worksheet("附件核对"), checks, fmt, formats=wrapped)
    wb.worksheets()[0].activate()
    wb.close()
