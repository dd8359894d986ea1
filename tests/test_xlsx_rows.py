"""The fast path writes what xlsxwriter writes: random columns written cell by cell through
xlsxwriter and as spliced blocks read back the same, value and number format, through openpyxl
and calamine; the block lands among xlsxwriter's own rows and comments, in chunks as in one."""

from __future__ import annotations

import datetime as dt
import math
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import FORM
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from pipeline.core.model import SheetTable
from pipeline.core.problems import Problem
from pipeline.write import rows as xlsx_rows
from pipeline.write.book import Book, write_table
from pipeline.write.marked import write_marked
from pipeline.write.rows import Block, xf_index
from pipeline.write.xlsx import Formats, new_workbook, write_value

FORMATS: list[dict[str, Any] | None] = [
    None,
    {"num_format": "yyyy-mm-dd"},
    {"text_wrap": True, "border": 1},
    {"num_format": "0.00", "bg_color": "#FFC7CE", "pattern": 1},
]
TEXT = st.text(
    st.one_of(
        st.characters(codec="utf-8", exclude_categories=["Cs"]),
        st.sampled_from(["&", "<", ">", '"', "_", "x", "0", "F", "\x00", "\x1f", "\t", "\n", "\r"]),
        st.sampled_from(["\u3000", "\xa0", " ", "\ufffe", "\uffff", "众", "😀"]),
    ),
    max_size=12,
) | st.sampled_from(
    ["", " a", "a ", "_x0041_", "_x005F_x0041_", "=1+1", "+86 138", "-3", "007", "1e5", "nan"]
)
NUMBERS = st.one_of(
    st.integers(-(2**60), 2**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.1, -0.0, 1e16, 123456789012345.6, 1 / 3, 2.5e-300]),
)
DATES = st.one_of(
    st.datetimes(dt.datetime(1899, 12, 31), dt.datetime(2200, 1, 1)),
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)),
    st.times(),
    st.sampled_from([dt.datetime(1900, 1, 1, 12), dt.datetime(1900, 2, 28), dt.date(1900, 3, 1)]),
)
VALUES = st.one_of(TEXT, NUMBERS, DATES, st.booleans(), st.none())


def column_of(values: list[Any], typed: str) -> pd.Series:
    """A column as the writers get them: Python objects, or a typed pandas column."""
    if typed == "str":
        return pd.Series([v if isinstance(v, str) else None for v in values], dtype="str")
    if typed == "float":
        floats = [v for v in values if isinstance(v, float)]
        return pd.Series(floats + [math.nan] * (len(values) - len(floats)), dtype=float)
    if typed == "Int64":
        ints = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        return pd.Series(ints + [None] * (len(values) - len(ints)), dtype="Int64")
    if typed == "datetime":
        stamps = [v for v in values if isinstance(v, dt.datetime)]
        return pd.Series(stamps + [None] * (len(values) - len(stamps)), dtype="datetime64[us]")
    if typed == "bool":
        return pd.Series([bool(v) for v in values], dtype=bool)
    return pd.Series(values, dtype=object)


@st.composite
def frames(draw: st.DrawFn) -> tuple[pd.DataFrame, list[int]]:
    rows = draw(st.integers(1, 6))
    columns = {}
    formats = []
    for c in range(draw(st.integers(1, 4))):
        typed = draw(st.sampled_from(["object", "str", "float", "Int64", "datetime", "bool"]))
        columns[f"c{c}"] = column_of(draw(st.lists(VALUES, min_size=rows, max_size=rows)), typed)
        formats.append(draw(st.integers(0, len(FORMATS) - 1)))
    return pd.DataFrame(columns), formats


def rich_markup(value: Any) -> bool:
    """Text xlsxwriter writes unescaped, as rich-text markup (the fast path keeps it text)."""
    return isinstance(value, str) and value.startswith("<r>") and value.endswith("</r>")


def by_xlsxwriter(path: Path, frame: pd.DataFrame, formats: list[int], first: int) -> None:
    wb = new_workbook(path, "t", "test")
    made = [wb.add_format(FORMATS[f]) if FORMATS[f] else None for f in formats]
    ws = wb.add_worksheet("s")
    ws.write_string(0, 0, "title")
    plain = frame.astype(object).where(frame.notna(), None)
    for r, values in enumerate(plain.itertuples(index=False), start=first):
        for c, value in enumerate(values):
            write_value(ws, r, c, value, made[c])
    wb.close()


def by_fast_path(path: Path, frame: pd.DataFrame, formats: list[int], first: int) -> None:
    book = Book(path, "t", "test")
    made = [book.workbook.add_format(FORMATS[f]) if FORMATS[f] else None for f in formats]
    ws = book.workbook.add_worksheet("s")
    ws.write_string(0, 0, "title")
    book.add_rows(ws, Block(frame, [xf_index(f) for f in made], first))
    book.close()


def calamine_values(path: Path) -> Any:
    """calamine's values, or how it failed: it panics on a huge number formatted as a date,
    and must then fail the same way on both files."""
    try:
        return CalamineWorkbook.from_path(str(path)).get_sheet_by_name("s").to_python()
    except BaseException as exc:  # pyo3's PanicException derives from BaseException
        if type(exc).__name__ != "PanicException":
            raise
        return f"panic: {exc}"


def read_back(path: Path) -> tuple[list[list[Any]], Any]:
    """(openpyxl value and number format of every cell, calamine's values)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl: a date format on a number beyond dates
        sheet = openpyxl.load_workbook(path)["s"]
    cells = [[(c.value, c.number_format) for c in row] for row in sheet.iter_rows()]
    return cells, calamine_values(path)


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frames(), st.integers(1, 3))
def test_the_fast_path_reads_back_as_xlsxwriter_writes(
    tmp_path: Path, drawn: tuple[pd.DataFrame, list[int]], first: int
) -> None:
    frame, formats = drawn
    assume(not frame.map(rich_markup).any().any())
    expected, written = tmp_path / "xlsxwriter.xlsx", tmp_path / "fast.xlsx"
    by_xlsxwriter(expected, frame, formats, first)
    by_fast_path(written, frame, formats, first)
    assert read_back(written) == read_back(expected)


def test_text_columns_in_several_chunks_are_written_whole(tmp_path: Path) -> None:
    parts = [
        pd.DataFrame({"a": ["甲", None], "b": [1.5, 2]}),
        pd.DataFrame({"a": ["乙 "], "b": [3]}),
    ]
    frame = pd.concat([p.astype({"a": "str"}) for p in parts], ignore_index=True)
    by_xlsxwriter(tmp_path / "xlsxwriter.xlsx", frame, [0, 2], 1)
    by_fast_path(tmp_path / "fast.xlsx", frame, [0, 2], 1)
    assert read_back(tmp_path / "fast.xlsx") == read_back(tmp_path / "xlsxwriter.xlsx")


def test_text_xlsxwriter_takes_for_markup_stays_text(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": ["<r>x</r>", "<r><t>y</t></r>"]})
    by_fast_path(tmp_path / "fast.xlsx", frame, [0], 1)
    cells, values = read_back(tmp_path / "fast.xlsx")
    assert [row[0][0] for row in cells[1:]] == ["<r>x</r>", "<r><t>y</t></r>"]
    assert [row[0] for row in values[1:]] == ["<r>x</r>", "<r><t>y</t></r>"]


def test_text_beyond_excels_limit_is_cut_as_xlsxwriter_cuts_it(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": ["长" * 40_000, "😀" * 16_400, "a" * 32_767]}, dtype=object)
    by_xlsxwriter(tmp_path / "xlsxwriter.xlsx", frame, [0], 1)
    by_fast_path(tmp_path / "fast.xlsx", frame, [0], 1)
    written = read_back(tmp_path / "fast.xlsx")
    assert written == read_back(tmp_path / "xlsxwriter.xlsx")
    assert [len(row[0][0]) for row in written[0][1:]] == [32_767, 16_383, 32_767]


def test_white_space_is_what_python_calls_space() -> None:
    assert set(xlsx_rows.WHITE_SPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


def sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as package:
        return package.read("xl/worksheets/sheet1.xml").decode()


def test_the_format_index_is_the_one_xlsxwriter_gives_a_cell(tmp_path: Path) -> None:
    """Fails when xlsxwriter changes how it numbers formats (pipeline.write.rows.xf_index)."""
    wb = new_workbook(tmp_path / "a.xlsx", "t", "test")
    ws = wb.add_worksheet("s")
    used, unused = wb.add_format({"bold": True}), wb.add_format({"num_format": "0.000"})
    ws.write_string(0, 0, "x", used)
    assert (xf_index(used), xf_index(unused), xf_index(None)) == (1, 2, 0)
    ws.write_number(1, 0, 1.5, unused)
    wb.close()
    assert re.findall(r'<c r="(A\d)" s="(\d)"', sheet_xml(tmp_path / "a.xlsx")) == [
        ("A1", "1"),
        ("A2", "2"),
    ]
    assert openpyxl.load_workbook(tmp_path / "a.xlsx")["s"]["A2"].number_format == "0.000"


def test_the_block_goes_between_xlsxwriters_rows_and_widens_the_dimension(
    tmp_path: Path,
) -> None:
    book = Book(tmp_path / "a.xlsx", "t", "test")
    ws = book.workbook.add_worksheet("s")
    ws.write_string(0, 1, "above")
    ws.write_string(9, 0, "below")
    ws.write_comment(3, 2, "a comment on a fast cell")
    ws.set_row(1, 39.75)
    heights = np.array([30.0, 15.0, 40.5])
    book.add_rows(
        ws,
        Block(
            pd.DataFrame({"a": ["x", None, "z"], "b": [1, 2, None], "c": "c"}),
            [0, 0, 0],
            2,
            heights,
        ),
    )
    book.close()
    xml = sheet_xml(tmp_path / "a.xlsx")
    assert '<dimension ref="A1:C10"/>' in xml
    assert re.findall(r'<row r="(\d+)"', xml) == ["1", "2", "3", "4", "5", "10"]
    sheet = openpyxl.load_workbook(tmp_path / "a.xlsx")["s"]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=3, max_row=5)] == [
        ["x", 1, "c"],
        [None, 2, "c"],
        ["z", None, "c"],
    ]
    assert sheet["C4"].comment.text == "a comment on a fast cell"
    assert [sheet.row_dimensions[r].height for r in (2, 3, 4, 5)] == [39.75, 30, None, 40.5]


def test_xlsxwriter_cells_among_the_fast_rows_are_refused(tmp_path: Path) -> None:
    book = Book(tmp_path / "a.xlsx", "t", "test")
    ws = book.workbook.add_worksheet("s")
    ws.write_string(3, 0, "in the way")
    book.add_rows(ws, Block(pd.DataFrame({"a": ["x", "y", "z"]}), [0], 2))
    with pytest.raises(ValueError, match="row 4"):
        book.close()


def test_rows_written_in_chunks_equal_rows_written_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = pd.DataFrame({"a": [f"r{i}" for i in range(50)], "b": np.arange(50.0)})
    by_fast_path(tmp_path / "once.xlsx", frame, [0, 2], 1)
    monkeypatch.setattr(xlsx_rows, "CHUNK_ROWS", 7)
    by_fast_path(tmp_path / "chunks.xlsx", frame, [0, 2], 1)
    assert sheet_xml(tmp_path / "chunks.xlsx") == sheet_xml(tmp_path / "once.xlsx")


def test_the_marked_sheet_keeps_each_values_look_and_marks_cells_beyond_the_grid(
    tmp_path: Path,
) -> None:
    grid = [
        ["名称", "日期", "时刻", "数"],
        ["甲", dt.datetime(2014, 5, 20), dt.time(9, 30), 3.0],
        ["", dt.datetime(2014, 5, 20, 8, 15), dt.timedelta(hours=30), 2.5],
        [math.inf, dt.date(2015, 1, 2), None, 7],
        ["长" * 40_000],
    ]
    table = SheetTable("s", (1,), {"name": 0}, pd.DataFrame(), "", grid)
    marks = [
        Problem("f", "s", cell, "", "", "E_X", severity, "错了", "改正")
        for cell, severity in (("A3", "error"), ("B2", "warning"), ("F7", "error"))
    ]
    book = Book(tmp_path / "a.xlsx", "t", "test")
    write_marked(book, book.workbook.add_worksheet("s"), table, marks, FORM)
    book.close()
    sheet = openpyxl.load_workbook(tmp_path / "a.xlsx")["s"]
    looks = [[(c.value, c.number_format) for c in row] for row in sheet.iter_rows(min_row=2)]
    assert looks[:3] == [
        [
            ("甲", "General"),
            (dt.datetime(2014, 5, 20), "yyyy-mm-dd"),
            (dt.time(9, 30), "hh:mm:ss"),
            (3, "0"),
            (None, "General"),
            (None, "General"),
        ],
        [
            (None, "General"),
            (dt.datetime(2014, 5, 20, 8, 15), "yyyy-mm-dd hh:mm"),
            ("1 day, 6:00:00", "[h]:mm:ss"),
            (2.5, "General"),
            (None, "General"),
            (None, "General"),
        ],
        [
            ("inf", "General"),
            (dt.datetime(2015, 1, 2), "yyyy-mm-dd"),
            (None, "General"),
            (7, "General"),
            (None, "General"),
            (None, "General"),
        ],
    ]
    assert sheet["A5"].value == "长" * 200 + "…（内容过长，已截断）"
    fills = {c.coordinate: c.fill.fgColor.rgb for row in sheet.iter_rows() for c in row}
    assert {k for k, v in fills.items() if v == "FFFFC7CE"} == {"A3", "F7"}
    assert {k for k, v in fills.items() if v == "FFFFEB9C"} == {"B2"}
    assert sheet["F7"].comment.text == "错误：错了\n修改建议：改正"


@pytest.mark.parametrize("rows", [0, 1, 30])
def test_a_tables_range_covers_every_row_however_it_was_added(tmp_path: Path, rows: int) -> None:
    frame = pd.DataFrame({"名称": [f"空间{i}" for i in range(rows)], "序号": range(rows)})
    book = Book(tmp_path / "a.xlsx", "t", "test")
    ws = book.workbook.add_worksheet("明细")
    write_table(book, ws, frame, Formats(book.workbook))
    book.close()
    sheet = openpyxl.load_workbook(tmp_path / "a.xlsx")["明细"]
    table = sheet.tables[next(iter(sheet.tables))]
    assert (table.ref, table.autoFilter.ref) == (f"A1:B{max(rows, 1) + 1}",) * 2
    assert [c.value for c in sheet["A"]] == ["名称", *frame["名称"]]
