"""Which .xlsx writer for beian's bulk sheets? Cells per second on sheets shaped like ours.

Run by hand from the repository root with the project's environment; the candidates other than
xlsxwriter are installed for the evaluation only (they are not dependencies of beian)::

    .venv/bin/python -m pip install rustpy-xlsxwriter pyexcelerate
    .venv/bin/python benchmarks/bench_writers.py --rows 40000 --repeat 3

Three sheets are written, each the way beian's writers lay it out (``pipeline/write_workbook.py``,
``pipeline/write_marked.py``), from one generated frame of 13 Annex 3 columns, by every writer and
by beian's own fast path (``pipeline/xlsx_book.py``: xlsxwriter for everything but the bulk rows,
which are built a column at a time and spliced in), at its zlib level and at xlsxwriter's (6):

- 汇总表 (the binder): a merged title and stamp line, a bold wrapped header, every cell a bordered
  wrapped string, a height for every row, A4 landscape print setup with repeated header rows.
- 明细 (the analyst's sheet): typed values (strings, dates with a date format, numbers) in an
  Excel table with filters and a frozen header.
- 标注 (a 回执's marked copy): every value at its place, about 5 % of the cells filled and
  carrying a comment.

Each writer is timed on each sheet in a fresh process-local run, best of ``--repeat``; the load
average is printed beside every figure. A writer that cannot express a feature writes the sheet
without it, and the feature table says so: the speed of a sheet that lacks a feature we use is not
a like-for-like figure. Every written file is read back with openpyxl to check that text stays
text (a name such as ``=HYPERLINK(...)`` must not become a formula) and dates stay dates.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import xlsxwriter

from pipeline.core.schema import SCHEMAS_DIR, load_form
from pipeline.write import book as xlsx_book
from pipeline.write.book import Book
from pipeline.write.rows import Block, xf_index

# The sheets' columns as the form file names them (schemas/), never a copy of its labels.
FORM = load_form(SCHEMAS_DIR / "annex3_2016.toml")
COLUMNS = [column.short_label for column in FORM.columns]
DATE_COLUMN = FORM.column("founded").short_label
NUMBER_COLUMN = FORM.column("mobile").short_label
WIDTHS = [30, 30, 40, 12, 12, 8, 8, 14, 14, 14, 24, 18, 10]
TRAP = '=HYPERLINK("http://example.com")'
FONT = "宋体"
MARKED_SHARE = 0.05


def make_frame(rows: int, seed: int) -> pd.DataFrame:
    """Rows that look like a batch: CJK names and addresses, dates, phone numbers."""
    rng = random.Random(seed)
    chars = "云启星汇博智联优达恒瑞华思源和泰嘉盛信宏安卓睿拓鼎远晨光峰望凯誉正佳弘裕锦腾骏诚"
    name = ["".join(rng.choices(chars, k=8)) + "众创空间" for _ in range(rows)]
    name[0] = TRAP
    start = dt.datetime(2005, 1, 1)
    return pd.DataFrame(
        {
            "众创空间名称": name,
            "运营主体名称": [
                "".join(rng.choices(chars, k=6)) + "科技有限公司" for _ in range(rows)
            ],
            "地址": [f"长沙市岳麓区麓谷大道{rng.randrange(1, 999)}号创业大厦" for _ in range(rows)],
            "成立时间": [start + dt.timedelta(days=rng.randrange(3900)) for _ in range(rows)],
            "机构性质": rng.choices(["民营企业", "国有企业", "事业单位", "其他"], k=rows),
            "负责人": [
                "".join(rng.choices("王李张刘陈杨黄赵伟芳娜秀英", k=3)) for _ in range(rows)
            ],
            "联系人": [
                "".join(rng.choices("王李张刘陈杨黄赵伟芳娜秀英", k=2)) for _ in range(rows)
            ],
            "办公电话": [f"0731-8{rng.randrange(10**7):07d}" for _ in range(rows)],
            "手机": [float(13_800_000_000 + rng.randrange(10**8)) for _ in range(rows)],
            "传真": [f"0731-8{rng.randrange(10**7):07d}" if i % 2 else None for i in range(rows)],
            "电子邮箱": [f"office{i}@example.com" for i in range(rows)],
            "是否在国家高新区": rng.choices(["否", "是，长沙高新区", "是，株洲高新区"], k=rows),
            "是否国家级孵化器": ["否"] * rows,
        }
    )


def marks(rows: int, seed: int) -> dict[tuple[int, int], str]:
    """About 5 % of the data cells, with the comment text a 回执 gives them."""
    rng = random.Random(seed + 1)
    text = "错误：手机号码应为 11 位数字。\n修改建议：请填写 11 位手机号码，如 13800000000。"
    count = int(rows * len(COLUMNS) * MARKED_SHARE)
    return {(rng.randrange(rows), rng.randrange(len(COLUMNS))): text for _ in range(count)}


def plain_rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Plain Python values, missing as None (what beian's writers iterate over)."""
    columns = [s.astype(object).where(s.notna(), None).tolist() for _, s in frame.items()]
    return list(zip(*columns, strict=True))


# --- xlsxwriter (today's writer) ------------------------------------------------------------------


def xw_value(ws: Any, r: int, c: int, value: Any, fmt: Any) -> None:
    if value is None:
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, str):
        ws.write_string(r, c, value, fmt)
    elif isinstance(value, dt.datetime):
        ws.write_datetime(r, c, value, fmt)
    else:
        ws.write_number(r, c, value, fmt)


def binder_top(ws: Any, header: Any, cell: Any) -> None:
    """汇总表's widths, merged title and stamp line, and header row."""
    last = len(COLUMNS) - 1
    for c, width in enumerate(WIDTHS):
        ws.set_column(c, c, width)
    ws.merge_range(0, 0, 0, last, "众创空间备案汇总表", header)
    ws.merge_range(1, 0, 1, last, "湖南省科学技术厅（盖章）：", cell)
    for c, label in enumerate(COLUMNS):
        ws.write_string(2, c, label, header)


def binder_print(ws: Any) -> None:
    """汇总表's print setup: A4 landscape, one page wide, the header on every page."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(2)
    ws.freeze_panes(3, 2)


def detail_columns(wb: Any, ws: Any, base: dict[str, Any]) -> list[Any]:
    """明细's column formats (a date format on the date column), widths and frozen header."""
    date = wb.add_format({**base, "num_format": "yyyy-mm-dd"})
    formats = [date if col == DATE_COLUMN else None for col in COLUMNS]
    for c, width in enumerate(WIDTHS):
        ws.set_column(c, c, width, formats[c])
    ws.freeze_panes(1, 0)
    return formats


def marked_formats(wb: Any, ws: Any) -> tuple[Any, Any, Any, Any]:
    """标注's formats (plain, date, and both filled) and its header row."""
    plain = wb.add_format({"font_name": FONT, "font_size": 10})
    date = wb.add_format({"font_name": FONT, "font_size": 10, "num_format": "yyyy-mm-dd"})
    fill = {"font_name": FONT, "font_size": 10, "bg_color": "#FFC7CE", "pattern": 1}
    marked_plain = wb.add_format(fill)
    marked_date = wb.add_format({**fill, "num_format": "yyyy-mm-dd"})
    for c, label in enumerate(COLUMNS):
        ws.write_string(0, c, label, plain)
    return plain, date, marked_plain, marked_date


def xlsxwriter_sheet(constant_memory: bool) -> Callable[[str, pd.DataFrame, Path, dict], None]:
    def write(sheet: str, frame: pd.DataFrame, path: Path, marked: dict) -> None:
        options = {
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "constant_memory": constant_memory,
        }
        wb = xlsxwriter.Workbook(str(path), options)
        base = {"font_name": FONT, "font_size": 10, "valign": "vcenter"}
        header = wb.add_format({**base, "bold": True, "border": 1, "text_wrap": True})
        ws = wb.add_worksheet(sheet)
        rows = plain_rows(frame)
        last = len(COLUMNS) - 1
        if sheet == "汇总表":
            cell = wb.add_format({**base, "border": 1, "text_wrap": True})
            binder_top(ws, header, cell)
            for r, values in enumerate(rows, start=3):
                ws.set_row(r, 33)
                for c, value in enumerate(values):
                    ws.write_string(r, c, "" if value is None else str(value), cell)
            binder_print(ws)
        elif sheet == "明细":
            formats = detail_columns(wb, ws, base)
            if constant_memory:  # no tables in constant-memory mode: beian adds a filter
                for c, label in enumerate(COLUMNS):
                    ws.write_string(0, c, label, header)
                ws.autofilter(0, 0, len(rows), last)
            else:
                ws.add_table(
                    0,
                    0,
                    len(rows),
                    last,
                    {"columns": [{"header": c} for c in COLUMNS], "style": "Table Style Light 9"},
                )
            for r, values in enumerate(rows, start=1):
                for c, value in enumerate(values):
                    xw_value(ws, r, c, value, formats[c])
        else:  # 标注
            plain, date, marked_plain, marked_date = marked_formats(wb, ws)
            comment = {"author": "beian", "font_name": FONT, "width": 300, "height": 60}
            for r, values in enumerate(rows):
                for c, value in enumerate(values):
                    text = marked.get((r, c))
                    is_date = isinstance(value, dt.datetime)
                    if text is None:
                        xw_value(ws, r + 1, c, value, date if is_date else plain)
                    else:
                        xw_value(ws, r + 1, c, value, marked_date if is_date else marked_plain)
                        ws.write_comment(r + 1, c, text, comment)
        wb.close()

    return write


# --- beian's fast path: xlsxwriter for the frame of a sheet, the bulk rows spliced in ----------


def fast_sheet(level: int) -> Callable[[str, pd.DataFrame, Path, dict], None]:
    """The sheet as beian writes it since the fast path (pipeline/xlsx_book.py): xlsxwriter
    writes everything but the bulk rows, which are built a column at a time and spliced in;
    the package deflated at zlib ``level``."""

    def write(sheet: str, frame: pd.DataFrame, path: Path, marked: dict) -> None:
        xlsx_book.COMPRESSION = level
        book = Book(path, sheet, "bench_writers")
        wb = book.workbook
        base = {"font_name": FONT, "font_size": 10, "valign": "vcenter"}
        header = wb.add_format({**base, "bold": True, "border": 1, "text_wrap": True})
        ws = wb.add_worksheet(sheet)
        last = len(COLUMNS) - 1
        if sheet == "汇总表":
            cell = wb.add_format({**base, "border": 1, "text_wrap": True})
            binder_top(ws, header, cell)
            text = frame.astype(object).where(frame.notna(), "").astype(str)
            heights = np.full(len(frame), 33.0)
            book.add_rows(ws, Block(text, [xf_index(cell)] * len(COLUMNS), 3, heights))
            binder_print(ws)
        elif sheet == "明细":
            formats = detail_columns(wb, ws, base)
            book.add_table(
                ws,
                0,
                len(frame),
                last,
                {"columns": [{"header": c} for c in COLUMNS], "style": "Table Style Light 9"},
            )
            book.add_rows(ws, Block(frame, [xf_index(f) for f in formats], 1))
        else:  # 标注
            plain, date, marked_plain, marked_date = marked_formats(wb, ws)
            is_marked = np.zeros(frame.shape, dtype=bool)
            rows, cols = zip(*marked, strict=True) if marked else ((), ())
            is_marked[list(rows), list(cols)] = True
            styles = []
            for c, col in enumerate(COLUMNS):
                kinds = (date, marked_date) if col == DATE_COLUMN else (plain, marked_plain)
                styles.append(np.where(is_marked[:, c], *(xf_index(k) for k in kinds[::-1])))
            book.add_rows(ws, Block(frame, styles, 1))
            comment = {"author": "beian", "font_name": FONT, "width": 300, "height": 60}
            for (r, c), text in marked.items():
                ws.write_comment(r + 1, c, text, comment)
        book.close()

    return write


# --- rustpy-xlsxwriter ----------------------------------------------------------------------------


def rustpy_sheet(sheet: str, frame: pd.DataFrame, path: Path, marked: dict) -> None:
    """One declarative call per sheet. No Excel tables, no per-cell format or comment: 明细 gets
    an autofilter, 标注 is written without its marks."""
    from rustpy_xlsxwriter import FastExcel, Format

    header = Format().set_font_name(FONT).set_font_size(10).set_bold().set_border("thin")
    excel = FastExcel(str(path))
    if sheet == "汇总表":
        cell = Format().set_font_name(FONT).set_font_size(10).set_border("thin").set_text_wrap()
        excel.sheet(
            sheet,
            frame.astype(object).where(frame.notna(), "").astype(str),
            header_row=2,
            header_format=header,
            merge_ranges=[
                (0, 0, 0, len(COLUMNS) - 1, "众创空间备案汇总表", header),
                (1, 0, 1, len(COLUMNS) - 1, "湖南省科学技术厅（盖章）：", cell),
            ],
            column_widths=WIDTHS,
            column_formats=[cell] * len(COLUMNS),
            row_heights={r: 33 for r in range(3, len(frame) + 3)},
            page_setup={
                "landscape": True,
                "paper_size": 9,
                "fit_to_pages": (1, 0),
                "repeat_rows": 2,
            },
        )
    elif sheet == "明细":
        date = Format().set_font_name(FONT).set_num_format("yyyy-mm-dd")
        excel.sheet(
            sheet,
            frame,
            header_format=header,
            column_widths=WIDTHS,
            column_formats={DATE_COLUMN: date},
            autofilter=True,
        )
    else:
        excel.sheet(sheet, frame, column_widths=WIDTHS)
    excel.save()


# --- pyexcelerate ---------------------------------------------------------------------------------


def pyexcelerate_sheet(sheet: str, frame: pd.DataFrame, path: Path, marked: dict) -> None:
    """Whole rows at once; styles per range or cell. No tables, comments, print setup."""
    from pyexcelerate import Alignment, Borders, Fill, Font, Style, Workbook
    from pyexcelerate.Border import Border
    from pyexcelerate.Color import Color
    from pyexcelerate.Format import Format as PxFormat
    from pyexcelerate.Panes import Panes

    wb = Workbook()
    rows = [list(r) for r in plain_rows(frame)]
    font = Font(family=FONT, size=10)
    if sheet == "汇总表":
        data = [["众创空间备案汇总表"], ["湖南省科学技术厅（盖章）："], COLUMNS]
        data += [["" if v is None else str(v) for v in r] for r in rows]
        ws = wb.new_sheet(sheet, data=data)
        ws.range((1, 1), (1, len(COLUMNS))).merge()
        ws.range((2, 1), (2, len(COLUMNS))).merge()
        border = Borders.Borders(left=Border(), right=Border(), top=Border(), bottom=Border())
        style = Style(size=33, font=font, borders=border, alignment=Alignment(wrap_text=True))
        for r in range(4, len(rows) + 4):  # a row style: border, wrap and height at once
            ws.set_row_style(r, style)
        ws.panes = Panes(2, 3)
    elif sheet == "明细":
        ws = wb.new_sheet(sheet, data=[COLUMNS, *rows])
        c = COLUMNS.index(DATE_COLUMN) + 1
        ws.set_col_style(c, Style(format=PxFormat("yyyy-mm-dd")))
        ws.panes = Panes(0, 1)
    else:
        ws = wb.new_sheet(sheet, data=[COLUMNS, *rows])
        ws.set_col_style(COLUMNS.index(DATE_COLUMN) + 1, Style(format=PxFormat("yyyy-mm-dd")))
        fill = Style(fill=Fill(background=Color(255, 199, 206)))
        for r, c in marked:  # fill only: pyexcelerate has no comments
            ws.set_cell_style(r + 2, c + 1, fill)
    wb.save(str(path))


WRITERS: dict[str, Callable[[str, pd.DataFrame, Path, dict], None]] = {
    "xlsxwriter": xlsxwriter_sheet(False),
    "xlsxwriter constant_memory": xlsxwriter_sheet(True),
    "beian fast path": fast_sheet(xlsx_book.COMPRESSION),
    "beian fast path, deflate 6": fast_sheet(6),
    "rustpy-xlsxwriter": rustpy_sheet,
    "pyexcelerate": pyexcelerate_sheet,
}

# What each writer can express of what beian's workbooks use (from each library's API, and for the
# two sheets it cannot write as ours, from trying): Excel tables, per-cell comments, data
# validation (the template), native charts (统计), print setup (A4, fit, repeated rows),
# constant memory, per-cell formats (标注's fills).
FEATURES = [
    "Excel tables",
    "cell comments",
    "data validation",
    "charts",
    "print setup",
    "constant memory",
    "per-cell formats",
]
SUPPORT: dict[str, list[str]] = {
    "xlsxwriter": ["yes", "yes", "yes", "yes", "yes", "no (option)", "yes"],
    "xlsxwriter constant_memory": ["no", "yes", "yes", "yes", "yes", "yes", "yes"],
    "beian fast path": ["yes", "yes", "yes", "yes", "yes", "yes (rows streamed)", "yes"],
    "beian fast path, deflate 6": ["yes", "yes", "yes", "yes", "yes", "yes (rows streamed)", "yes"],
    "rustpy-xlsxwriter": [
        "no (autofilter)",
        "header cells only",
        "per column",
        "simple, own layout",
        "yes",
        "yes (default)",
        "per column/row",
    ],
    "pyexcelerate": ["no", "no", "no", "no", "no", "no", "yes"],
}


def read_back(path: Path, sheet: str) -> str:
    """'ok' when text stayed text and dates stayed dates, else what went wrong."""
    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb.worksheets[0]
    first = 4 if sheet == "汇总表" else 2
    row = next(ws.iter_rows(min_row=first, max_row=first))
    name, founded = row[0], row[COLUMNS.index(DATE_COLUMN)]
    problems = []
    if name.data_type != "s" or name.value != TRAP:
        problems.append(f"name became {name.data_type}:{name.value!r}")
    if sheet != "汇总表" and not isinstance(founded.value, dt.datetime):
        problems.append(f"date became {founded.value!r}")
    wb.close()
    return "; ".join(problems) or "ok"


def available(name: str) -> bool:
    module = {"rustpy-xlsxwriter": "rustpy_xlsxwriter", "pyexcelerate": "pyexcelerate"}.get(name)
    if module is None:
        return True
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=40_000, help="data rows (default 40,000)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N (default 3)")
    parser.add_argument("--seed", type=int, default=20160408)
    args = parser.parse_args(argv)
    frame = make_frame(args.rows, args.seed)
    marked = marks(args.rows, args.seed)
    cells = args.rows * len(COLUMNS)
    print(
        f"{args.rows:,} rows x {len(COLUMNS)} columns = {cells:,} cells a sheet; "
        f"{len(marked):,} marked cells in 标注; best of {args.repeat}"
    )
    print(f"{'writer':<28}{'sheet':<8}{'best s':>8}{'cells/s':>11}{'load':>6}  all (s)  read back")
    with tempfile.TemporaryDirectory(prefix="beian-writers-") as tmp:
        for name, write in WRITERS.items():
            if not available(name):
                print(f"{name:<28}not installed")
                continue
            for sheet in ("汇总表", "明细", "标注"):
                path = Path(tmp) / f"{name}-{sheet}.xlsx".replace(" ", "_")
                walls, load = [], os.getloadavg()[0]
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    write(sheet, frame, path, marked)
                    walls.append(time.perf_counter() - start)
                best = min(walls)
                print(
                    f"{name:<28}{sheet:<8}{best:>8.2f}{cells / best:>11,.0f}{load:>6.2f}  "
                    f"{[round(w, 2) for w in walls]}  {read_back(path, sheet)}",
                    flush=True,
                )
    print()
    print("| writer | " + " | ".join(FEATURES) + " |")
    print("|---" * (len(FEATURES) + 1) + "|")
    for name, row in SUPPORT.items():
        print(f"| {name} | " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
