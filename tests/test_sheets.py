"""A submission split over several filled sheets: one sheet per district, as a clerk reads it.

Each case is a workbook built in code — .xlsx, .xls or .ods — with the clerk's decision for every
data row, known by its sheet and row: every visible sheet holding the Annex 3 table with rows is
taken; a hidden sheet, an empty copy of the template, a 说明 sheet or a pivot is not; a visible
sheet whose header names the space but too few Annex 3 columns is named (W_OTHER_SHEETS) and left
out. Every case runs through the whole CLI (`beian run`); the receipt, `beian check` and the
intake site are driven on a multi-sheet file too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
import xlwt
from conftest import FORM, LABELS, write_grid
from forms import form_values, make_form
from helpers import SPACE_NAMES, marked_cells, run_night, write_config
from odf.opendocument import OpenDocumentSpreadsheet
from odf.style import Style, TableProperties
from serve_helpers import CHANGSHA, serve_batch, upload
from test_corpus import TITLE, add_date_style, line, ods_merge, ods_table, official, read_csv
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.config import Settings
from pipeline.read import filetype
from pipeline.read.sheets import EXCEL_NAME_LIMIT, marked_names
from pipeline.read.workbook import read_file
from pipeline.run import consolidate_batch

Grid = list[list[Any]]
OK = ("accepted", "")


@dataclass(frozen=True)
class Sheet:
    name: str
    grid: Grid
    hidden: bool = False


@dataclass(frozen=True)
class Book:
    """A workbook and the clerk's decision: (sheet, Excel row) → (disposition, sorted codes),
    and the codes about the file as a whole."""

    id: str
    sheets: tuple[Sheet, ...]
    expect: dict[tuple[str, int], tuple[str, str]]
    file_codes: str = ""
    fmt: str = "xlsx"
    file: str = "长沙市科技局"


def district(*spaces: int, **changes: Any) -> Grid:
    """An official district sheet (title, stamp, header) with the spaces of these indexes."""
    return official([line(name=SPACE_NAMES[i], **changes) for i in spaces])


def reversed_columns(grid: Grid) -> Grid:
    """The same sheet with the table's columns in the opposite order (title and stamp kept)."""
    return [*grid[:2], *(list(reversed(row)) for row in grid[2:])]


THREE = (
    Sheet("长沙县", district(0, 1)),
    Sheet("浏阳市", district(2)),
    Sheet("宁乡市", district(3, 4)),
)
THREE_OK = {
    ("长沙县", 4): OK,
    ("长沙县", 5): OK,
    ("浏阳市", 4): OK,
    ("宁乡市", 4): OK,
    ("宁乡市", 5): OK,
}

BOOKS = [
    *(Book(f"three-districts-{fmt}", THREE, THREE_OK, fmt=fmt) for fmt in ("xlsx", "xls", "ods")),
    *(
        Book(
            f"hidden-filled-sheet-{fmt}",
            (Sheet("长沙县", district(0)), Sheet("旧表", district(1), True), THREE[1]),
            {("长沙县", 4): OK, ("浏阳市", 4): OK},
            file_codes="W_HIDDEN_SHEET",
            fmt=fmt,
        )
        for fmt in ("xlsx", "xls", "ods")
    ),
    Book(
        "a-hidden-copy-of-rows-read-says-nothing",
        (Sheet("长沙县", district(0, 1)), Sheet("备份", district(1), True)),
        {("长沙县", 4): OK, ("长沙县", 5): OK},
    ),
    Book(
        "empty-template-beside-filled-sheets",
        (Sheet("模板", official([])), Sheet("长沙县", district(0)), THREE[1]),
        {("长沙县", 4): OK, ("浏阳市", 4): OK},
    ),
    Book(
        "columns-in-another-order-on-one-sheet",
        (THREE[0], Sheet("浏阳市", reversed_columns(district(2, 3)))),
        {("长沙县", 4): OK, ("长沙县", 5): OK, ("浏阳市", 4): OK, ("浏阳市", 5): OK},
        fmt="xls",
    ),
    Book(
        "a-copy-of-the-sheet-for-printing-is-read-once",
        (Sheet("附件3", district(0, 1)), Sheet("附件3 (2)", district(0, 1))),
        {("附件3", 4): OK, ("附件3", 5): OK},
        file_codes="I_SHEET_REPEATED",
    ),
    Book(
        "a-summary-sheet-before-its-districts-is-the-submission",
        (Sheet("汇总", district(0, 1, 2)), Sheet("长沙县", district(0, 1)), THREE[1]),
        {("汇总", 4): OK, ("汇总", 5): OK, ("汇总", 6): OK},
        file_codes="I_SHEET_REPEATED",
    ),
    Book(
        "a-summary-sheet-after-its-districts-is-read-once",
        (Sheet("长沙县", district(0, 1)), THREE[1], Sheet("汇总", district(0, 1, 2))),
        {("长沙县", 4): OK, ("长沙县", 5): OK, ("浏阳市", 4): OK},
        file_codes="I_SHEET_REPEATED",
        fmt="ods",
    ),
    Book(
        "same-space-on-two-sheets-first-kept",
        (Sheet("长沙县", district(0, 1)), Sheet("浏阳市", district(1, 2))),
        {
            ("长沙县", 4): OK,
            ("长沙县", 5): OK,
            ("浏阳市", 4): ("rejected", "E_DUPLICATE_ROW"),
            ("浏阳市", 5): OK,
        },
    ),
    Book(
        "an-error-on-one-sheet-not-on-the-same-row-of-another",
        (Sheet("长沙县", district(0)), Sheet("浏阳市", district(1, mobile="1390733123"))),
        {("长沙县", 4): OK, ("浏阳市", 4): ("rejected", "E_MOBILE")},
        fmt="ods",
    ),
    Book(
        "errors-on-the-same-row-of-two-sheets-stay-apart",
        (
            Sheet("长沙县", district(0, mobile="1390733123")),
            Sheet("浏阳市", district(1, email="lina.example.com")),
        ),
        {("长沙县", 4): ("rejected", "E_MOBILE"), ("浏阳市", 4): ("rejected", "E_EMAIL")},
        fmt="xls",
    ),
    Book(
        "spoiled-header-sheet-named-not-guessed",
        (
            Sheet("长沙县", district(0)),
            Sheet("浏阳市", [TITLE, [LABELS[0], LABELS[1], "地点", "时间"], line()[:2]]),
        ),
        {("长沙县", 4): OK},
        file_codes="W_OTHER_SHEETS",
    ),
    Book(
        "notes-and-pivot-sheets-are-not-tables",
        (
            Sheet("填表说明", [["填表说明"], ["1.众创空间名称请填写全称。"], ["2.请加盖公章。"]]),
            Sheet("长沙县", district(0, 1)),
            Sheet("统计", [["推荐单位", LABELS[0], "数量"], ["长沙县", SPACE_NAMES[0], 1]]),
        ),
        {("长沙县", 4): OK, ("长沙县", 5): OK},
    ),
    Book(
        "stamp-on-the-first-sheet-only",
        (Sheet("长沙县", district(0)), Sheet("浏阳市", [list(LABELS), line(name=SPACE_NAMES[1])])),
        {("长沙县", 4): OK, ("浏阳市", 2): OK},
        file="汇总表",
    ),
]


def write_book(path: Path, sheets: tuple[Sheet, ...], fmt: str) -> Path:
    """Write the sheets in workbook order in ``fmt``, hiding the hidden ones."""
    if fmt == "xlsx":
        book = openpyxl.Workbook()
        book.remove(book.active)
        for sheet in sheets:
            ws = book.create_sheet(sheet.name)
            for values in sheet.grid:
                ws.append(values)
            ws.sheet_state = "hidden" if sheet.hidden else "visible"
        book.save(path)
    elif fmt == "xls":
        xls = xlwt.Workbook(encoding="utf-8")
        dates = xlwt.easyxf(num_format_str="yyyy-mm-dd")
        for sheet in sheets:
            ws = xls.add_sheet(sheet.name)
            ws.visibility = int(sheet.hidden)
            for r, values in enumerate(sheet.grid):
                for c, value in enumerate(values):
                    ws.write(r, c, value, *([dates] if isinstance(value, dt.date) else []))
        xls.save(str(path))
    else:
        write_ods(path, sheets)
    return path


def write_ods(path: Path, sheets: tuple[Sheet, ...]) -> None:
    doc = OpenDocumentSpreadsheet()
    hidden = Style(name="hidden", family="table")
    hidden.addElement(TableProperties(display=False))
    doc.automaticstyles.addElement(hidden)
    for sheet in sheets:
        shown = {"stylename": hidden} if sheet.hidden else {}
        doc.spreadsheet.addElement(ods_table(sheet.name, sheet.grid, {}, **shown))
    doc.save(str(path))


def sorted_codes(codes: str) -> str:
    return ";".join(sorted(codes.split(";"))) if codes else ""


@pytest.mark.slow  # a whole night per case: the long form, run by CI
@pytest.mark.parametrize("case", BOOKS, ids=[c.id for c in BOOKS])
def test_a_clerk_takes_every_filled_sheet(case: Book, settings: Settings) -> None:
    write_book(settings.inbox / f"{case.file}.{case.fmt}", case.sheets, case.fmt)
    out = run_night(settings)
    files = read_csv(out / "files.csv")
    assert [(f["status"], f["codes"]) for f in files] == [("live", case.file_codes)], files
    assert files[0]["rows"] == str(len(case.expect))
    rows = read_csv(out / "dispositions.csv")
    got = {(r["sheet"], int(r["row"])): (r["disposition"], sorted_codes(r["codes"])) for r in rows}
    assert got == case.expect
    assert list(got) == list(case.expect)  # in workbook order, then row order
    detail = [(r["来源工作表"], int(r["来源行"])) for r in read_csv(out / "明细.csv")]
    assert set(detail) == {at for at, (fate, _) in case.expect.items() if fate == "accepted"}
    (book,) = out.glob("*.xlsx")
    head, *lines = openpyxl.load_workbook(book)["未通过"].iter_rows(values_only=True)
    failed = [dict(zip(head, line, strict=True)) for line in lines]
    assert {(r["工作表"], r["行"]): ("rejected", sorted_codes(r["代码"])) for r in failed} == {
        at: fate for at, fate in case.expect.items() if fate[0] == "rejected"
    }


def test_the_receipt_marks_each_sheet_on_its_own_标注(settings: Settings) -> None:
    sheets = (Sheet("长沙县", district(0)), Sheet("浏阳市", district(1, mobile="1390733123")))
    write_book(settings.inbox / "长沙市科技局.xlsx", sheets, "xlsx")
    receipt = openpyxl.load_workbook(run_night(settings) / "回执" / "长沙市科学技术局.xlsx")
    assert receipt.sheetnames == ["概况", "问题清单", "标注-长沙县", "标注-浏阳市"]
    mobile = f"{openpyxl.utils.get_column_letter(FORM.fields.index('mobile') + 1)}4"
    assert marked_cells(receipt["标注-长沙县"]) == {}
    assert list(marked_cells(receipt["标注-浏阳市"])) == [mobile]
    assert receipt["标注-浏阳市"][mobile].value == "1390733123"
    listed = [row[0] for row in receipt["问题清单"].iter_rows(min_row=2, values_only=True)]
    assert f"浏阳市!{mobile}" in listed
    overview = {r[0]: r[1] for r in receipt["概况"].iter_rows(values_only=True) if r[0]}
    assert overview["工作表"] == "长沙县（1 行）、浏阳市（1 行）"


def test_a_sheet_left_out_is_named_in_the_receipt(settings: Settings) -> None:
    spoiled = next(c for c in BOOKS if c.id == "spoiled-header-sheet-named-not-guessed")
    write_book(settings.inbox / "长沙市科技局.xlsx", spoiled.sheets, "xlsx")
    receipt = openpyxl.load_workbook(run_night(settings) / "回执" / "长沙市科学技术局.xlsx")
    (where, _, _, message, _, kind, _), *_ = receipt["问题清单"].iter_rows(
        min_row=2, values_only=True
    )
    assert (where, kind) == ("工作表“浏阳市”", "提示")
    assert message.startswith("工作表“浏阳市”有“众创空间名称”列和 1 行数据，但表头只识别出 3 列")
    assert receipt.sheetnames == ["概况", "问题清单", "标注"]


def test_a_sheet_read_once_is_explained_in_the_receipt(settings: Settings) -> None:
    summary = next(c for c in BOOKS if c.id.startswith("a-summary-sheet-before"))
    write_book(settings.inbox / "长沙市科技局.xlsx", summary.sheets, "xlsx")
    receipt = openpyxl.load_workbook(run_night(settings) / "回执" / "长沙市科学技术局.xlsx")
    listed = [(r[0], r[5]) for r in receipt["问题清单"].iter_rows(min_row=2, values_only=True)]
    assert listed == [("工作表“长沙县”", "说明"), ("工作表“浏阳市”", "说明")]
    assert receipt.sheetnames == ["概况", "问题清单", "标注"]


def test_a_duplicate_across_sheets_names_the_sheet_it_repeats(settings: Settings) -> None:
    sheets = (Sheet("长沙县", district(0)), Sheet("浏阳市", district(0, 1)))
    write_book(settings.inbox / "长沙市科技局.xlsx", sheets, "xlsx")
    out = run_night(settings)
    receipt = openpyxl.load_workbook(out / "回执" / "长沙市科学技术局.xlsx")
    messages = [row[3] for row in receipt["问题清单"].iter_rows(min_row=2, values_only=True)]
    assert any("与工作表“长沙县”第 4 行是同一个众创空间" in m for m in messages), messages
    (book,) = out.glob("*.xlsx")
    repeats = list(openpyxl.load_workbook(book)["重复"].iter_rows(values_only=True))
    line = dict(zip(repeats[0], repeats[1], strict=True))
    assert (line["文件"], line["行"]) == ("长沙市科技局.xlsx 工作表“浏阳市”", 4)
    assert (line["匹配文件"], line["匹配行"]) == ("长沙市科技局.xlsx 工作表“长沙县”", 4)


def test_check_reads_every_sheet_and_writes_a_标注_each(tmp_path: Path) -> None:
    sheets = (Sheet("长沙县", district(0)), Sheet("浏阳市", district(1, mobile="1390733123")))
    path = write_book(tmp_path / "长沙市科技局.xlsx", sheets, "xls")
    config = write_config(tmp_path)
    result = CliRunner().invoke(app, ["check", "--config", str(config), str(path)])
    assert "工作表：长沙县（1 行）、浏阳市（1 行）" in result.output, result.output
    assert "浏阳市!" in result.output
    receipt = openpyxl.load_workbook(tmp_path / "长沙市科技局-回执.xlsx")
    assert receipt.sheetnames[2:] == ["标注-长沙县", "标注-浏阳市"]


def test_the_intake_site_answers_sheet_by_sheet(settings: Settings, tmp_path: Path) -> None:
    spoiled = next(c for c in BOOKS if c.id == "spoiled-header-sheet-named-not-guessed")
    sheets = (
        Sheet("长沙县", district(0)),
        Sheet("浏阳市", district(1, 2, mobile="1390733123")),
        Sheet("旧表", spoiled.sheets[1].grid),
    )
    data = write_book(tmp_path / "a.xlsx", sheets, "xlsx").read_bytes()
    client = serve_batch(settings).client(CHANGSHA)
    body = upload(client, data).json()
    assert body["status"] == "live"
    mobile = f"{openpyxl.utils.get_column_letter(FORM.fields.index('mobile') + 1)}"
    assert [(p["sheet"], p["cell"], p["code"]) for p in body["problems"]] == [
        ("旧表", "", "W_OTHER_SHEETS"),
        ("浏阳市", f"{mobile}4", "E_MOBILE"),
        ("浏阳市", f"{mobile}5", "E_MOBILE"),
    ]
    assert body["counts"]["accepted"] == 1 and body["counts"]["rejected"] == 2
    page = client.get(f"/uploads/{body['id']}").text
    assert "工作表“长沙县”" in page and "工作表“浏阳市”" in page
    assert f"<td>浏阳市!{mobile}4</td>" in page and "<td>工作表“旧表”</td>" in page


def test_a_prior_batch_split_over_sheets_is_read_whole(settings: Settings, tmp_path: Path) -> None:
    prior = write_book(tmp_path / "往批.xlsx", (THREE[0], THREE[1]), "xlsx")
    config = write_config(settings.inbox.parent, ("2016年度首批", prior))
    write_grid(settings.inbox / "长沙市科技局.xlsx", district(2, 5), "xlsx")
    args = ["run", "--config", str(config), "--inbox", str(settings.inbox)]
    args += ["--outbox", str(settings.outbox), "--ledger", str(settings.ledger)]
    assert CliRunner().invoke(app, args).exit_code == 0
    rows = read_csv(settings.outbox / settings.batch / "dispositions.csv")
    assert [(r["name"], r["disposition"]) for r in rows] == [
        (SPACE_NAMES[2], "duplicate_prior"),
        (SPACE_NAMES[5], "accepted"),
    ]


@pytest.mark.parametrize(("rows", "refused"), [(3, False), (4, True)])
def test_the_row_cap_counts_every_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int, refused: bool
) -> None:
    monkeypatch.setattr(filetype, "MAX_DATA_ROWS", 3)
    sheets = (Sheet("长沙县", district(0, 1)), Sheet("浏阳市", district(*range(2, rows))))
    path = write_book(tmp_path / "a.xlsx", sheets, "xlsx")
    result = read_file(path, path.name, FORM)
    codes = [p.code for p in result.problems]
    assert codes == (["F_TOO_MANY_ROWS"] if refused else [])
    if refused:
        assert "工作表“长沙县、浏阳市”有 4 行数据" in result.problems[0].message


def test_标注_names_fit_excel_and_never_clash() -> None:
    assert marked_names(["附件3"], {"概况"}) == ["标注"]
    long = "某某县" * 12
    names = marked_names([long + "甲", long + "乙", "A/B", "a/b", "概况"], {"概况", "问题清单"})
    assert all(len(n) <= EXCEL_NAME_LIMIT for n in names)
    assert len({n.casefold() for n in names}) == len(names)
    assert names[0] == f"标注-{long}"[:EXCEL_NAME_LIMIT]
    assert names[2:] == ["标注-A_B", "标注-a_b~2", "标注-概况"]


def merged_date_book(path: Path, fmt: str) -> Path:
    """Three spaces founded the same month, the date typed once in a cell merged down over their
    rows (4–6) and formatted to show year and month."""
    grid = official([line(name=SPACE_NAMES[i]) for i in range(3)])
    col = FORM.fields.index("founded")
    founded = dt.date(2015, 3, 1)
    if fmt == "ods":
        return merged_ods(path, grid, col, founded)
    if fmt == "xls":
        book = xlwt.Workbook(encoding="utf-8")
        ws = book.add_sheet("附件3")
        for r, values in enumerate(grid):
            for c, value in enumerate(values):
                if not (r >= 3 and c == col):
                    ws.write(r, c, value)
        ws.write_merge(3, 5, col, col, founded, xlwt.easyxf(num_format_str='yyyy"年"m"月"'))
        book.save(str(path))
        return path
    with xlsxwriter.Workbook(path) as book:
        ws = book.add_worksheet("附件3")
        for r, values in enumerate(grid):
            for c, value in enumerate(values):
                if not (r >= 3 and c == col):
                    ws.write(r, c, value)
        ws.merge_range(3, col, 5, col, founded, book.add_format({"num_format": 'yyyy"年"m"月"'}))
    return path


def merged_ods(path: Path, grid: Grid, col: int, founded: dt.date) -> Path:
    """The .ods of :func:`merged_date_book`: the date cell merged over rows 4–6 as LibreOffice
    saves a merge, styled to show year and month."""
    doc = OpenDocumentSpreadsheet()
    add_date_style(doc, ["year", "month"])
    grid[3][col] = founded  # the merge's top cell; ods_merge covers the two below
    letter = openpyxl.utils.get_column_letter(col + 1)
    table = ods_table("附件3", grid, {"stylename": "date"})
    doc.spreadsheet.addElement(ods_merge(table, (f"{letter}4:{letter}6",)))
    doc.save(str(path))
    return path


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_a_date_merged_down_reads_as_shown_in_every_row(tmp_path: Path, fmt: str) -> None:
    path = merged_date_book(tmp_path / f"a.{fmt}", fmt)
    (table,) = read_file(path, path.name, FORM).tables
    assert table.frame["founded"].to_dict() == {4: "2015年3月", 5: "2015年3月", 6: "2015年3月"}


def test_a_date_merged_down_is_one_month_in_明细(settings: Settings) -> None:
    merged_date_book(settings.inbox / "长沙市科技局.xlsx", "xlsx")
    detail = read_csv(run_night(settings) / "明细.csv")
    assert len({r["成立时间"] for r in detail}) == 1 and len(detail) == 3


def test_one_sheet_keeps_its_receipt_as_before(settings: Settings) -> None:
    write_book(settings.inbox / "长沙市科技局.xlsx", (Sheet("附件3", district(0)),), "xlsx")
    receipt = openpyxl.load_workbook(run_night(settings) / "回执" / "长沙市科学技术局.xlsx")
    assert receipt.sheetnames == ["概况", "问题清单", "标注"]


def test_an_annex1_form_is_checked_against_its_row_on_the_second_sheet(
    settings: Settings,
) -> None:
    folder = settings.inbox / "长沙市科技局"
    folder.mkdir()
    other = official([line(name=SPACE_NAMES[1], operator="岳麓山创新有限公司")])
    sheets = (Sheet("长沙县", other), Sheet("浏阳市", official([line()])))
    write_book(folder / "汇总表.xlsx", sheets, "xlsx")
    make_form(folder / "基本信息表.docx", form_values(operator="长沙麓谷孵化器有限公司"))
    found = [p for p in consolidate_batch(settings).problems if p.code == "W_ANNEX1_MISMATCH"]
    operator = openpyxl.utils.get_column_letter(FORM.fields.index("operator") + 1)
    assert [(p.sheet, p.cell) for p in found] == [("浏阳市", f"{operator}4")]
