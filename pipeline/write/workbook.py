"""Write the consolidated provincial workbook with xlsxwriter (SPEC §7).

汇总表 is for the binder: the official Annex 3 layout, A4 landscape, header repeated on every page.
明细 is for the analyst: one typed row per space as an Excel table. 统计, 重复, 未通过, 报送情况,
附件核对 and 评审 (pipeline/write/review_sheet.py) follow. Strings are never turned into formulas,
numbers or links: a name such as ``=HYPERLINK(...)`` arrives as text.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from pipeline.core.config import Settings
from pipeline.core.model import BatchResult
from pipeline.core.schema import load_registers
from pipeline.write import packet_report, report
from pipeline.write.book import Book, write_table
from pipeline.write.review_sheet import write_review_sheet
from pipeline.write.rows import Block, xf_index
from pipeline.write.xlsx import (
    BODY_FONT,
    Formats,
    print_setup,
    row_height,
    row_heights,
    write_value,
)

STATS_PAGE_ROWS = 44


def consolidated_name(settings: Settings) -> str:
    """<province>众创空间备案汇总表_<batch>.xlsx, the province from schemas/province.toml."""
    province = load_registers(settings.form.parent).province.name
    return f"{province}众创空间备案汇总表_{settings.batch}.xlsx"


def printed(column: pd.Series) -> pd.Series:
    """A column as the binder prints it: text, missing values as empty text (a text column is
    kept as it is, not converted value by value)."""
    if isinstance(column.dtype, pd.StringDtype):
        return column.fillna("")
    return column.astype(object).where(column.notna(), "").astype(str)


def write_binder(
    book: Book, result: BatchResult, fmt: Formats, sheet: str = "汇总表", title: str = ""
) -> None:
    """The official layout: title, stamp line, header, then every accepted space as text (the
    序号 a number), each row as tall as its wrapped text. The 推荐名单 (pipeline/write/recommend.py)
    is this layout under its own sheet name and title."""
    ws = book.workbook.add_worksheet(sheet)
    frame = report.binder_frame(result)
    widths = [5] + [c.width for c in result.form.columns] + [18]
    last_col = len(widths) - 1
    for i, width in enumerate(widths):
        ws.set_column(i, i, width)
    ws.set_row(0, 30)
    ws.merge_range(0, 0, 0, last_col, title or result.form.title, fmt.title)
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
    texts = frame.iloc[:, 1:].apply(printed)
    cells = pd.concat([frame.iloc[:, :1], texts], axis=1)
    styles = [xf_index(fmt.center)] + [xf_index(fmt.cell)] * len(texts.columns)
    book.add_rows(ws, Block(cells, styles, 3, row_heights(frame, widths).to_numpy()))
    print_setup(ws, header_row=2)
    ws.center_horizontally()
    ws.print_area(0, 0, max(2 + len(frame), 2), last_col)
    ws.freeze_panes(3, 2)


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


def write_consolidated(result: BatchResult, path: Path, detail: pd.DataFrame) -> None:
    """Write the whole workbook to ``path`` (the caller stages it under a temporary name);
    ``detail`` is :func:`report.detail_frame`, which the caller also exports as CSV/Parquet."""
    title = f"{result.registers.province.name}众创空间备案汇总表（{result.settings.batch}）"
    book = Book(path, title, "beian run")
    wb = book.workbook
    fmt = Formats(wb)
    write_binder(book, result, fmt)
    dates = dict.fromkeys(report.detail_dates(result), fmt.date)
    write_table(book, wb.add_worksheet("明细"), detail, fmt, formats={**dates, "提示": fmt.wrap})
    write_stats(wb, result, fmt)
    write_table(book, wb.add_worksheet("重复"), report.duplicates_frame(result), fmt)
    write_table(
        book,
        wb.add_worksheet("未通过"),
        report.rejected_frame(result),
        fmt,
        formats={"问题": fmt.wrap},
    )
    write_table(book, wb.add_worksheet("报送情况"), report.submissions_frame(result), fmt)
    checks = packet_report.check_frame(result)
    wrapped = {c: fmt.wrap for c in checks.columns[5:8]}
    write_table(book, wb.add_worksheet("附件核对"), checks, fmt, formats=wrapped)
    write_review_sheet(book, result, fmt)
    wb.worksheets()[0].activate()
    book.close()
