"""The tolerant reader (SPEC §3) and bureau identification (SPEC §4), on files built in code."""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
import xlwt
from conftest import FORM, LABELS, annex3_grid, good_row, write_grid

from pipeline.core.bureau import identify_bureau, match_bureau
from pipeline.core.model import ReadResult
from pipeline.core.schema import load_registers
from pipeline.read import filetype
from pipeline.read import workbook as read
from pipeline.read.workbook import read_file

REGISTERS = load_registers()
SHEET_PART = "xl/worksheets/sheet1.xml"


def read_path(path: Path) -> ReadResult:
    return read_file(path, path.name, FORM)


def problems(result: ReadResult) -> list[tuple[str, str]]:
    """Problems as (cell, code), frictionless-style."""
    return [(p.cell, p.code) for p in result.problems]


def file_codes(result: ReadResult) -> list[str]:
    return [p.code for p in result.problems if p.severity == "file"]


def names(result: ReadResult) -> dict[int, str]:
    assert len(result.tables) == 1, result.problems
    return result.tables[0].frame["name"].to_dict()


def save_xlsx(path: Path, sheets: dict[str, list[list[Any]]], hidden: tuple[str, ...] = ()) -> Path:
    """Several sheets with openpyxl, in order; ``hidden`` sheets are hidden."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, grid in sheets.items():
        sheet = book.create_sheet(title)
        for values in grid:
            sheet.append(values)
        if title in hidden:
            sheet.sheet_state = "hidden"
    book.save(path)
    return path


def zip_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def plain_text(xml: bytes) -> bytes:
    """Non-ASCII character references as UTF-8, so an edit finds the text whether openpyxl wrote
    it with lxml (``&#38271;``) or without (UTF-8)."""
    return re.sub(rb"&#(\d+);", lambda m: _utf8_ref(int(m[1])), xml)


def _utf8_ref(code: int) -> bytes:
    return chr(code).encode() if code > 127 else b"&#%d;" % code


def edited_xlsx(tmp_path: Path, edit: Callable[[bytes], bytes], name: str = "edited.xlsx") -> Path:
    """A real Annex 3 .xlsx whose first sheet's XML has been edited by ``edit``."""
    source = write_grid(tmp_path / "source.xlsx", annex3_grid([good_row()]), "xlsx")
    parts = zip_parts(source)
    parts[SHEET_PART] = edit(plain_text(parts[SHEET_PART]))
    return rezip(tmp_path / name, parts)


# --- every format, the official layout --------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods", "csv"])
def test_official_layout_in_every_format(tmp_path: Path, fmt: str) -> None:
    rows = [good_row(), good_row(name="岳麓山创新工场")]
    result = read_path(write_grid(tmp_path / f"a.{fmt}", annex3_grid(rows), fmt))
    assert result.fmt == fmt
    assert problems(result) == []
    (table,) = result.tables
    assert table.header_rows == (3,)
    assert table.stamp == "长沙市科学技术局"
    assert names(result) == {4: "麓谷创客工场", 5: "岳麓山创新工场"}
    assert table.frame.loc[4].to_dict() == good_row()
    assert table.columns == {field: i for i, field in enumerate(FORM.fields)}


def test_xlsm_is_read_as_a_workbook(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "a.xlsx", annex3_grid([good_row()]), "xlsx")
    result = read_path(path.rename(tmp_path / "a.xlsm"))
    assert (result.fmt, names(result)) == ("xlsx", {4: "麓谷创客工场"})


def test_xlsxwriter_workbook(tmp_path: Path) -> None:
    path = tmp_path / "w.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("附件3")
    for r, values in enumerate(annex3_grid([good_row()])):
        sheet.write_row(r, 0, values)
    book.close()
    assert names(read_path(path)) == {4: "麓谷创客工场"}


def test_gb18030_csv_with_rare_characters(tmp_path: Path) -> None:
    row = good_row(name="㵘水创客空间", head="欧阳䶮")
    result = read_path(write_grid(tmp_path / "a.csv", annex3_grid([row]), "csv"))
    assert len(result.tables) == 1, result.problems
    assert result.tables[0].frame.loc[4, "head"] == "欧阳䶮"
    assert names(result) == {4: "㵘水创客空间"}


def test_utf8_csv_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    lines = [",".join(map(str, r)) for r in annex3_grid([good_row(zone="否")])]
    path.write_text("\n".join(lines), encoding="utf-8-sig")
    assert names(read_path(path)) == {4: "麓谷创客工场"}


# --- finding the header ---------------------------------------------------------------------


def test_header_anywhere_in_the_first_twenty_rows(tmp_path: Path) -> None:
    grid = [["说明"]] * 16 + annex3_grid([good_row()])
    result = read_path(write_grid(tmp_path / "a.xlsx", grid, "xlsx"))
    assert len(result.tables) == 1, result.problems
    assert result.tables[0].header_rows == (19,)
    assert result.tables[0].stamp == "长沙市科学技术局"
    assert names(result) == {20: "麓谷创客工场"}


def test_header_below_row_twenty_is_not_found(tmp_path: Path) -> None:
    grid = [["说明"]] * 20 + annex3_grid([good_row()])
    result = read_path(write_grid(tmp_path / "a.xlsx", grid, "xlsx"))
    assert file_codes(result) == ["F_NO_HEADER"]
    assert not result.tables


def test_header_split_over_two_rows_with_merged_cells(tmp_path: Path) -> None:
    """The contact columns grouped under a merged 联系方式 cell; other labels merged down."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([FORM.title])
    sheet.append([FORM.stamp_label + "湘潭市科学技术局"])
    sheet.append([*LABELS[:7], "联系方式", None, None, None, *LABELS[11:]])
    sheet.append([*[None] * 7, *LABELS[7:11], None, None])
    for col in [*range(1, 8), 12, 13]:
        sheet.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
    sheet.merge_cells(start_row=3, start_column=8, end_row=3, end_column=11)
    sheet.append([good_row()[f] for f in FORM.fields])
    path = tmp_path / "merged.xlsx"
    book.save(path)
    result = read_path(path)
    assert len(result.tables) == 1, result.problems
    assert result.tables[0].header_rows == (3, 4)
    assert result.tables[0].stamp == "湘潭市科学技术局"
    assert result.tables[0].frame.loc[5].to_dict() == good_row()


def test_label_broken_across_two_rows(tmp_path: Path) -> None:
    top = ["众创空间", *LABELS[1:11], "是否在国家高新区", LABELS[12]]
    below = ["名称", *[""] * 10, "（请注明所在高新区名称）", ""]
    grid = [[FORM.title], top, below, [good_row()[f] for f in FORM.fields]]
    result = read_path(write_grid(tmp_path / "a.xlsx", grid, "xlsx"))
    assert len(result.tables) == 1, result.problems
    assert result.tables[0].header_rows == (2, 3)
    assert result.tables[0].frame.loc[4].to_dict() == good_row()


def test_labels_with_breaks_spaces_half_width_brackets_and_dropped_notes(tmp_path: Path) -> None:
    labels = [
        "众创空间\n名称",
        " 运营管理 主体 ",
        "地\u3000址",
        "成立时间*",
        "机构性质(事业、国有企业、民营企业等)",
        "负责人",
        "联系人",
        "办公电话",
        "手 机",
        "传真",
        "电子邮件",
        "是否在国家高新区",
        "是否在国家级科技企业孵化器或大学科技园(请注明所在机构名称)",
    ]
    grid = [labels, [good_row()[f] for f in FORM.fields]]
    result = read_path(write_grid(tmp_path / "a.xlsx", grid, "xlsx"))
    assert len(result.tables) == 1, result.problems
    assert result.tables[0].columns == {field: i for i, field in enumerate(FORM.fields)}
    assert result.tables[0].frame.loc[2].to_dict() == good_row()


def test_columns_reordered_with_extra_number_and_remark_columns(tmp_path: Path) -> None:
    order = list(reversed(FORM.fields))
    label_of = dict(zip(FORM.fields, LABELS, strict=True))
    header = ["序号", *(label_of[f] for f in order), "备注"]
    row = good_row()
    grid = [header, [1, *(row[f] for f in order), "新建"]]
    result = read_path(write_grid(tmp_path / "a.xlsx", grid, "xlsx"))
    assert len(result.tables) == 1, result.problems
    assert result.tables[0].columns["name"] == 13
    assert result.tables[0].columns["incubator"] == 1
    assert result.tables[0].frame.loc[2].to_dict() == row


def test_data_on_a_later_sheet_beside_a_hidden_one(tmp_path: Path) -> None:
    old = annex3_grid([good_row(name=f"旧空间{i}") for i in range(5)])
    sheets = {
        "填表说明": [["填表说明"], ["1. 请勿修改表头"]],
        "下拉选项": old,
        "附件3": annex3_grid([good_row()]),
    }
    result = read_path(save_xlsx(tmp_path / "a.xlsx", sheets, hidden=("下拉选项",)))
    assert len(result.tables) == 1, result.problems
    assert result.tables[0].sheet == "附件3"
    assert names(result) == {4: "麓谷创客工场"}


def test_a_hidden_sheet_is_used_when_it_alone_has_the_header(tmp_path: Path) -> None:
    sheets = {"封面": [["封面"]], "附件3": annex3_grid([good_row()])}
    result = read_path(save_xlsx(tmp_path / "a.xlsx", sheets, hidden=("附件3",)))
    assert names(result) == {4: "麓谷创客工场"}


def test_stamp_in_a_cell_beside_its_label(tmp_path: Path) -> None:
    grid = annex3_grid([good_row()])
    grid[1] = ["推荐单位（盖章）：", "", "株洲市科学技术局"]
    result = read_path(write_grid(tmp_path / "a.xlsx", grid, "xlsx"))
    assert len(result.tables) == 1, result.problems
    assert result.tables[0].stamp == "株洲市科学技术局"


# --- rows that are not spaces ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_blank_example_and_footer_rows_are_skipped(tmp_path: Path, fmt: str) -> None:
    grid = annex3_grid(
        [
            good_row(name="XX众创空间（示例）"),
            good_row(),
            {},
            good_row(name="岳麓山创新工场"),
        ]
    )
    grid += [
        [],
        ["填表人：王芳", "", "联系电话：0731-88880000"],
        ["注：1. 成立时间填写到日。"],
        ["", "2. 机构性质请从下拉列表选择。"],
    ]
    result = read_path(write_grid(tmp_path / f"a.{fmt}", grid, fmt))
    assert names(result) == {5: "麓谷创客工场", 7: "岳麓山创新工场"}
    assert len(result.tables) == 1, result.problems
    assert result.tables[0].skipped == {
        4: "填写示例行",
        6: "空行",
        8: "空行",
        9: "表尾说明",
        10: "表尾说明",
        11: "表尾说明",
    }


# --- values as bureaus type them --------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_numbers_where_text_was_meant(tmp_path: Path, fmt: str) -> None:
    row = good_row(mobile=13807310000.0, office_phone=88881234.0, fax=73188881235)
    result = read_path(write_grid(tmp_path / f"a.{fmt}", annex3_grid([row]), fmt))
    assert len(result.tables) == 1, result.problems
    got = result.tables[0].frame.loc[4]
    assert (got["mobile"], got["office_phone"], got["fax"]) == (
        "13807310000",
        "88881234",
        "73188881235",
    )


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_excel_dates_and_serials(tmp_path: Path, fmt: str) -> None:
    rows = [
        good_row(founded=dt.date(2015, 3, 15)),
        good_row(name="B", founded=dt.datetime(2015, 3, 16)),
        good_row(name="C", founded=42078),
    ]
    result = read_path(write_grid(tmp_path / f"a.{fmt}", annex3_grid(rows), fmt))
    assert len(result.tables) == 1, result.problems
    assert result.tables[0].frame["founded"].tolist() == ["2015-03-15", "2015-03-16", "42078"]


def test_odd_characters_survive_reading_except_invisible_ones(tmp_path: Path) -> None:
    row = good_row(
        name="麓谷\u200b创客\ufeff工场",
        operator="长沙麓谷创客科技有限公司\u00a0",
        email="ｚｈａｎｇｗｅｉ＠ｅｘａｍｐｌｅ．ｃｏｍ",
        head="张\x07伟\x1f",
    )
    result = read_path(write_grid(tmp_path / "a.csv", annex3_grid([row]), "csv"))
    assert len(result.tables) == 1, result.problems
    got = result.tables[0].frame.loc[4]
    assert got["name"] == "麓谷创客工场"
    assert got["operator"] == "长沙麓谷创客科技有限公司\u00a0"
    assert got["email"] == "ｚｈａｎｇｗｅｉ＠ｅｘａｍｐｌｅ．ｃｏｍ"
    assert got["head"] == "张伟"


def test_formula_cached_values_are_used_and_errors_reported(tmp_path: Path) -> None:
    path = tmp_path / "f.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("附件3")
    rows = [good_row(), good_row(name="B"), good_row(name="C"), good_row(name="D")]
    for r, values in enumerate(annex3_grid(rows)):
        sheet.write_row(r, 0, values)
    sheet.write_formula("F4", "=G4", None, "李娜")
    sheet.write_formula("D5", "=1/0", None, "#DIV/0!")
    sheet.write_formula("A7", '=IF(1,"","x")', None, "")
    book.close()
    parts = zip_parts(path)
    # A formula never calculated (as openpyxl or a script leaves it) has no cached <v> at all,
    # and a #REF! left behind by a deleted sheet is an error value without a formula.
    parts[SHEET_PART] = re.sub(
        rb'<c r="I6"[^>]*>.*?</c>', b'<c r="I6"><f>SUM(Z1:Z2)</f></c>', parts[SHEET_PART]
    )
    parts[SHEET_PART] = re.sub(
        rb'<c r="K6"[^>]*>.*?</c>', b'<c r="K6" t="e"><v>#REF!</v></c>', parts[SHEET_PART]
    )
    parts[SHEET_PART] = parts[SHEET_PART].replace(b'<c r="A7"', b'<c r="A7" t="str"', 1)
    result = read_path(rezip(path, parts))
    assert problems(result) == [("D5", "E_FORMULA"), ("I6", "E_FORMULA"), ("K6", "E_FORMULA")]
    assert [p.message for p in result.problems] == [
        "单元格是公式，计算结果为错误值 #DIV/0!。",
        "单元格是公式，没有保存计算结果（公式未计算）。",
        "单元格是公式，计算结果为错误值 #REF!。",
    ]
    assert len(result.tables) == 1, result.problems
    assert result.tables[0].frame.loc[4, "head"] == "李娜"
    assert result.tables[0].frame.loc[5, "founded"] == ""


def write_ods_formulas(path: Path, grid: list[list[Any]], formulas: dict[str, str]) -> Path:
    """An .ods of ``grid`` (all text) whose cells named in ``formulas`` (A1 address → saved
    result, "" for none) hold a formula, as LibreOffice saves it or a script writes it."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P
    from openpyxl.utils.cell import get_column_letter

    doc = OpenDocumentSpreadsheet()
    table = Table(name="附件3")
    for r, values in enumerate(grid, start=1):
        row = TableRow()
        for c, value in enumerate(values, start=1):
            result = formulas.get(f"{get_column_letter(c)}{r}")
            if result is None:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
            elif result:  # saved: LibreOffice writes the value type, the value and its text
                cell = TableCell(valuetype="string", formula=f'of:="{result}"')
                cell.addElement(P(text=result))
            else:
                cell = TableCell(formula="of:=SUM([.Z1:.Z2])")
            row.addElement(cell)
        table.addElement(row)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path


def test_ods_formulas_read_their_saved_result_and_one_without_is_refused(tmp_path: Path) -> None:
    rows = [good_row(), good_row(name="B")]
    path = write_ods_formulas(tmp_path / "f.ods", annex3_grid(rows), {"F4": "李娜", "B5": ""})
    result = read_path(path)
    assert problems(result) == [("B5", "E_FORMULA")]
    assert result.problems[0].message == "单元格是公式，没有保存计算结果（公式未计算）。"
    assert len(result.tables) == 1, result.problems
    assert result.tables[0].frame.loc[4, "head"] == "李娜"


def test_an_xls_formula_always_has_a_saved_result(tmp_path: Path) -> None:
    """BIFF keeps a result in every FORMULA record: a writer that does not calculate (xlwt) saves
    the empty string, which reads as an empty cell, not as an uncalculated formula."""
    grid = annex3_grid([good_row(), good_row(name="B")])
    grid[4][1] = xlwt.Formula('"长沙"&"麓谷"')
    result = read_path(write_grid(tmp_path / "f.xls", grid, "xls"))
    assert problems(result) == []
    assert len(result.tables) == 1, result.problems
    assert result.tables[0].frame.loc[5, "operator"] == ""


@pytest.mark.parametrize("fmt", ["xls", "ods", "csv"])
def test_error_values_as_text_are_formula_errors(tmp_path: Path, fmt: str) -> None:
    rows = [good_row(founded="#REF!"), good_row(name="B", mobile="#N/A")]
    result = read_path(write_grid(tmp_path / f"a.{fmt}", annex3_grid(rows), fmt))
    assert problems(result) == [("D4", "E_FORMULA"), ("I5", "E_FORMULA")]
    assert result.problems[0].message == "单元格是公式，计算结果为错误值 #REF!。"


def test_formula_problems_outside_the_table_are_not_reported(tmp_path: Path) -> None:
    """A 序号 column of uncalculated =ROW()-3 formulas is not the bureau's data."""
    grid = [["序号", *LABELS], [None, *(good_row()[f] for f in FORM.fields)]]
    path = write_grid(tmp_path / "a.xlsx", grid, "xlsx")
    parts = zip_parts(path)
    parts[SHEET_PART] = parts[SHEET_PART].replace(
        b'<c r="B2"', b'<c r="A2"><f>ROW()-1</f></c><c r="B2"', 1
    )
    assert problems(read_path(rezip(path, parts))) == []


def test_a_cell_over_excel_limit_is_an_error_not_data(tmp_path: Path) -> None:
    """Excel and openpyxl cannot write such a cell; other programs can."""
    huge = "长" * 40_000
    path = edited_xlsx(tmp_path, lambda xml: xml.replace("长沙市岳麓区".encode(), huge.encode()))
    result = read_path(path)
    assert problems(result) == [("C4", "E_TOO_LONG")]
    assert "40008 个字符" in result.problems[0].message
    assert len(result.tables) == 1, result.problems
    assert len(result.tables[0].frame.loc[4, "address"]) < 100
    assert all(len(str(v)) <= read.EXCEL_CELL_LIMIT for r in result.tables[0].grid for v in r)


def test_a_cell_far_over_the_csv_field_limit_is_an_error_not_a_crash(tmp_path: Path) -> None:
    row = good_row(operator="长" * 200_000)
    result = read_path(write_grid(tmp_path / "a.csv", annex3_grid([row]), "csv"))
    assert problems(result) == [("B4", "E_TOO_LONG")]
    assert names(result) == {4: "麓谷创客工场"}


def test_utf16_text_export(tmp_path: Path) -> None:
    """Excel's "Unicode text (*.txt)": UTF-16 with a BOM, tab-separated."""
    path = tmp_path / "a.txt"
    lines = ["\t".join(map(str, r)) for r in annex3_grid([good_row()])]
    path.write_text("\r\n".join(lines), encoding="utf-16")
    result = read_path(path)
    assert (result.fmt, names(result)) == ("csv", {4: "麓谷创客工场"})


# --- files known by content --------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1])
def test_empty_files(tmp_path: Path, size: int) -> None:
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"P"[:size])
    result = read_path(path)
    assert file_codes(result) == ["F_EMPTY"]
    assert f"{size} 字节" in result.problems[0].message


def test_csv_named_xlsx_and_xlsx_named_csv(tmp_path: Path) -> None:
    csv_path = write_grid(tmp_path / "c.csv", annex3_grid([good_row()]), "csv")
    xlsx_path = write_grid(tmp_path / "x.xlsx", annex3_grid([good_row()]), "xlsx")
    as_xlsx = read_path(csv_path.rename(tmp_path / "c.xlsx"))
    as_csv = read_path(xlsx_path.rename(tmp_path / "x.csv"))
    assert (as_xlsx.fmt, names(as_xlsx)) == ("csv", {4: "麓谷创客工场"})
    assert (as_csv.fmt, names(as_csv)) == ("xlsx", {4: "麓谷创客工场"})


@pytest.mark.parametrize(("src", "dst"), [("xlsx", "xls"), ("ods", "xlsx"), ("xls", "xlsx")])
def test_workbook_with_the_wrong_extension(tmp_path: Path, src: str, dst: str) -> None:
    path = write_grid(tmp_path / f"a.{src}", annex3_grid([good_row()]), src)
    result = read_path(path.rename(tmp_path / f"b.{dst}"))
    assert (result.fmt, names(result)) == (src, {4: "麓谷创客工场"})


@pytest.mark.parametrize(
    "content",
    [
        "<html><body><table><tr><td>众创空间名称</td></tr></table></body></html>",
        '\ufeff<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office">',
        "MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=x\r\n\r\n--x\r\n",
    ],
    ids=["html", "xml-2003", "mht"],
)
def test_web_pages_saved_as_xls_are_unsupported(tmp_path: Path, content: str) -> None:
    path = tmp_path / "a.xls"
    path.write_text(content, encoding="utf-8")
    assert file_codes(read_path(path)) == ["F_UNSUPPORTED"]


def test_xlsb_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsb"
    rezip(path, {"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x83\x01\x00"})
    result = read_path(path)
    assert file_codes(result) == ["F_UNSUPPORTED"]
    assert ".xlsb" in result.problems[0].message


def test_a_plain_zip_is_unsupported(tmp_path: Path) -> None:
    path = rezip(tmp_path / "a.xlsx", {"readme.txt": b"hello"})
    assert file_codes(read_path(path)) == ["F_UNSUPPORTED"]


@pytest.mark.parametrize("keep", [0.5, 0.95])
def test_truncated_zip_is_unreadable(tmp_path: Path, keep: float) -> None:
    path = write_grid(tmp_path / "a.xlsx", annex3_grid([good_row()]), "xlsx")
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    assert file_codes(read_path(path)) == ["F_UNREADABLE"]


def test_damaged_sheet_xml_is_unreadable(tmp_path: Path) -> None:
    path = edited_xlsx(tmp_path, lambda xml: xml[: len(xml) // 2])
    assert file_codes(read_path(path)) == ["F_UNREADABLE"]


def test_garbage_bytes_are_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "a.xls"
    path.write_bytes(bytes(range(256)) * 8)
    assert file_codes(read_path(path)) == ["F_UNREADABLE"]


def ole_container(stream_names: list[str]) -> bytes:
    """A minimal compound file (CFB v3): one FAT sector, one directory sector, empty streams.

    This is the container Office uses for a password-protected .xlsx (EncryptionInfo and
    EncryptedPackage streams beside each other).
    """
    free, end, fat_sector = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", free) * 108
    )
    fat = struct.pack("<II", fat_sector, end) + struct.pack("<I", free) * 126

    def entry(name: str, kind: int, child: int = free, right: int = free) -> bytes:
        encoded = (name + "\0").encode("utf-16-le")
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", free, right, child)
            + bytes(16 + 4 + 16)
            + struct.pack("<IQ", end, 0)
        )

    streams = [
        entry(name, 2, right=i + 2 if i + 1 < len(stream_names) else free)
        for i, name in enumerate(stream_names)
    ]
    directory = entry("Root Entry", 5, child=1) + b"".join(streams)
    return header + fat + directory.ljust(512, b"\0")


def test_password_protected_workbook(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    path.write_bytes(ole_container(["EncryptionInfo", "EncryptedPackage"]))
    result = read_path(path)
    assert file_codes(result) == ["F_ENCRYPTED"]
    assert "密码" in result.problems[0].message


def test_an_ole_file_that_is_not_a_workbook_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "a.xls"
    path.write_bytes(ole_container(["WordDocument"]))
    assert file_codes(read_path(path)) == ["F_UNREADABLE"]


# --- hostile files -----------------------------------------------------------------------------


def raw_deflate(data: bytes, final: bool = True) -> bytes:
    """``data`` as raw deflate; not ``final``: ends on a full flush, so more may follow."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = compressor.compress(data)
    return packed + (compressor.flush() if final else compressor.flush(zlib.Z_FULL_FLUSH))


def raw_zip(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip from (name, raw deflate data, CRC-32, declared uncompressed size) entries."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, data, crc, size in entries:
        offset = out.tell()
        encoded = name.encode()
        fields = (20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0)
        out.write(b"PK\x03\x04" + struct.pack("<5H3L2H", *fields) + encoded + data)
        fields = (20, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0, 0, 0, 0, 0)
        central.write(b"PK\x01\x02" + struct.pack("<6H3L5H2L", *fields, offset) + encoded)
    start, directory = out.tell(), central.getvalue()
    n = len(entries)
    eocd = b"PK\x05\x06" + struct.pack("<4H2LH", 0, 0, n, n, len(directory), start, 0)
    return out.getvalue() + directory + eocd


BOMB_BLOCK, BOMB_BLOCKS = b" " * (1 << 20), 512


def bomb_workbook(tmp_path: Path, declared: int | None) -> Path:
    """A real workbook whose sheet part inflates to 512 MB of blanks after its real XML.

    ``declared`` is the uncompressed size written in the zip headers (None: the true size).
    After a full flush the compressor starts afresh, so one compressed block can be repeated.
    """
    source = write_grid(tmp_path / "source.xlsx", annex3_grid([good_row()]), "xlsx")
    entries = []
    for name, data in zip_parts(source).items():
        if name != SHEET_PART:
            entries.append((name, raw_deflate(data), zlib.crc32(data), len(data)))
            continue
        packed = raw_deflate(data, final=False)
        packed += raw_deflate(BOMB_BLOCK, final=False) * BOMB_BLOCKS + raw_deflate(b"")
        crc = zlib.crc32(data)
        for _ in range(BOMB_BLOCKS):
            crc = zlib.crc32(BOMB_BLOCK, crc)
        size = len(data) + BOMB_BLOCKS * len(BOMB_BLOCK)
        entries.append((name, packed, crc, size if declared is None else declared))
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(raw_zip(entries))
    return path


@pytest.fixture
def opened_parts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Names of the zip parts the reader opens."""
    opened: list[str] = []
    original = zipfile.ZipFile.open

    def spy(self: zipfile.ZipFile, name: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(name.filename if isinstance(name, zipfile.ZipInfo) else name)
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    yield opened


def test_zip_bomb_is_refused_from_its_directory_without_inflating(
    tmp_path: Path, opened_parts: list[str]
) -> None:
    path = bomb_workbook(tmp_path, declared=None)
    opened_parts.clear()
    clock = time.perf_counter()
    result = read_path(path)
    assert time.perf_counter() - clock < 1.0
    assert file_codes(result) == ["F_UNSAFE"]
    assert "压缩炸弹" in result.problems[0].message
    assert SHEET_PART not in opened_parts


def test_zip_bomb_lying_about_its_size_is_refused_while_inflating(tmp_path: Path) -> None:
    path = bomb_workbook(tmp_path, declared=4000)
    clock = time.perf_counter()
    result = read_path(path)
    assert time.perf_counter() - clock < 2.0
    assert file_codes(result) == ["F_UNSAFE"]


def test_shared_strings_bomb_is_refused(tmp_path: Path) -> None:
    source = write_grid(tmp_path / "source.xlsx", annex3_grid([good_row()]), "xlsx")
    parts = zip_parts(source)
    parts["xl/sharedStrings.xml"] = b"<sst/>" + b" " * (20 << 20)
    path = rezip(tmp_path / "bomb.xlsx", parts)
    assert path.stat().st_size < 2 << 20
    assert file_codes(read_path(path)) == ["F_UNSAFE"]


ENTITIES = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
)


@pytest.mark.parametrize("padding", [0, 10_000], ids=["prologue", "after-long-comment"])
def test_xml_entity_declarations_are_refused(tmp_path: Path, padding: int) -> None:
    comment = b"<!--" + b"x" * padding + b"-->" if padding else b""

    def edit(xml: bytes) -> bytes:
        body = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", xml)
        return ENTITIES.replace(b"\n<!DOCTYPE", b"\n" + comment + b"<!DOCTYPE") + body

    result = read_path(edited_xlsx(tmp_path, edit))
    assert file_codes(result) == ["F_UNSAFE"]
    assert "实体" in result.problems[0].message


def test_utf16_part_with_entities_is_refused(tmp_path: Path) -> None:
    def edit(xml: bytes) -> bytes:
        body = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", xml).decode()
        text = ENTITIES.decode().replace('"1.0"', '"1.0" encoding="UTF-16"') + body
        return b"\xff\xfe" + text.encode("utf-16-le")

    assert file_codes(read_path(edited_xlsx(tmp_path, edit))) == ["F_UNSAFE"]


def test_dimension_claiming_a_million_rows_reads_only_real_rows(tmp_path: Path) -> None:
    def edit(xml: bytes) -> bytes:
        edited = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:Z1000000"/>', xml)
        assert edited != xml
        return edited

    clock = time.perf_counter()
    result = read_path(edited_xlsx(tmp_path, edit))
    assert time.perf_counter() - clock < 2.0
    assert problems(result) == []
    assert len(result.tables) == 1, result.problems
    assert len(result.tables[0].grid) == 4
    assert names(result) == {4: "麓谷创客工场"}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_too_many_rows_is_refused_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.setattr(filetype, "MAX_DATA_ROWS", 5)
    rows = [good_row(name=f"空间{i}") for i in range(6)]
    result = read_path(write_grid(tmp_path / f"a.{fmt}", annex3_grid(rows), fmt))
    assert file_codes(result) == ["F_TOO_MANY_ROWS"]
    assert not result.tables
    fine = read_path(write_grid(tmp_path / f"b.{fmt}", annex3_grid(rows[:5]), fmt))
    assert len(names(fine)) == 5


def test_a_long_unrelated_sheet_does_not_refuse_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filetype, "MAX_DATA_ROWS", 5)
    sheets = {"附件3": annex3_grid([good_row()]), "下拉选项": [[f"选项{i}"] for i in range(100)]}
    result = read_path(save_xlsx(tmp_path / "a.xlsx", sheets, hidden=("下拉选项",)))
    assert names(result) == {4: "麓谷创客工场"}


def test_too_large_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filetype, "MAX_FILE_BYTES", 1000)
    path = write_grid(tmp_path / "a.xlsx", annex3_grid([good_row()]), "xlsx")
    assert file_codes(read_path(path)) == ["F_TOO_LARGE"]


def test_no_header(tmp_path: Path) -> None:
    grid = [["会议通知"], ["各市州科技局："], ["请于4月14日前报送。"]]
    result = read_path(write_grid(tmp_path / "a.xlsx", grid, "xlsx"))
    assert file_codes(result) == ["F_NO_HEADER"]


@pytest.mark.parametrize(
    "rows", [[], [{}, {}], [good_row(name="示例：XX众创空间")]], ids=["none", "blank", "example"]
)
def test_header_without_rows(tmp_path: Path, rows: list[dict[str, Any]]) -> None:
    grid = [*annex3_grid(rows), ["填表人：王芳"]]
    result = read_path(write_grid(tmp_path / "a.xlsx", grid, "xlsx"))
    assert file_codes(result) == ["F_NO_ROWS"]
    assert result.problems[0].sheet == "附件3"


def test_refusal_message_names_the_sheet(tmp_path: Path) -> None:
    result = read_path(write_grid(tmp_path / "a.xlsx", annex3_grid([]), "xlsx"))
    assert "工作表“附件3”" in result.problems[0].message


# --- which bureau sent a file --------------------------------------------------------------------


def bureau_of(stamp: str, file: str) -> tuple[str | None, str]:
    bureau, source = identify_bureau(stamp, file, REGISTERS)
    return (bureau.name if bureau else None), source


@pytest.mark.parametrize(
    ("stamp", "file", "expected"),
    [
        ("长沙市科学技术局", "汇总表.xlsx", ("长沙市科学技术局", "盖章行")),
        ("长沙市科技局", "株洲市科技局.xlsx", ("长沙市科学技术局", "盖章行")),
        ("", "岳阳市科技局/汇总表.xlsx", ("岳阳市科学技术局", "文件夹")),
        ("", "2016/岳阳市/第二批/汇总表.xlsx", ("岳阳市科学技术局", "文件夹")),
        ("", "郴州/岳阳市/汇总表.xlsx", ("岳阳市科学技术局", "文件夹")),
        ("", "株洲市科技局-众创空间汇总表.xlsx", ("株洲市科学技术局", "文件名")),
        ("湘西州科技局", "a.xlsx", ("湘西土家族苗族自治州科学技术局", "盖章行")),
        ("长沙高新区管委会", "长沙市.xlsx", ("长沙高新技术产业开发区管理委员会", "盖章行")),
        ("", "长沙高新区管委会-汇总.xlsx", ("长沙高新技术产业开发区管理委员会", "文件名")),
        ("（盖章）", "汇总表(1).xlsx", (None, "")),
        ("", "汇总表(1).xlsx", (None, "")),
    ],
)
def test_identify_bureau(stamp: str, file: str, expected: tuple[str | None, str]) -> None:
    assert bureau_of(stamp, file) == expected


def test_longest_alias_wins() -> None:
    zone = match_bureau("长沙高新区管委会", REGISTERS)
    city = match_bureau("长沙市", REGISTERS)
    assert zone is not None and zone.kind == "高新区"
    assert city is not None and city.name == "长沙市科学技术局"
    assert match_bureau("", REGISTERS) is None
    assert match_bureau("北京市科学技术委员会", REGISTERS) is None


def test_stamp_read_from_the_sheet_names_the_bureau(tmp_path: Path) -> None:
    path = write_grid(
        tmp_path / "汇总表.xlsx", annex3_grid([good_row()], stamp="益阳市科技局"), "xlsx"
    )
    result = read_path(path)
    assert len(result.tables) == 1, result.problems
    assert bureau_of(result.tables[0].stamp, "汇总表.xlsx") == ("益阳市科学技术局", "盖章行")


def test_a_csv_with_an_unclosed_quote_is_refused_not_swallowed(tmp_path: Path) -> None:
    lines = [",".join(annex3_grid([])[2]), '"未闭合引号,张家界某公司,地址', "第二行,公司,地址"]
    path = tmp_path / "张家界市科技局.csv"
    path.write_text("\n".join(lines), encoding="gb18030")
    assert file_codes(read_path(path)) == ["F_UNREADABLE"]


def test_the_filled_sheet_wins_over_an_empty_copy_of_the_template(tmp_path: Path) -> None:
    path = tmp_path / "邵阳市科技局.xlsx"
    wb = openpyxl.Workbook()
    empty = wb.active
    empty.title = "原表"
    for row in annex3_grid([]):
        empty.append(row)
    filled = wb.create_sheet("填报")
    grid = annex3_grid([good_row(), good_row(name="资江创客空间")])
    grid[2] = [label if i != 9 else "传 真 号" for i, label in enumerate(grid[2])]
    for row in grid:
        filled.append(row)
    wb.save(path)
    result = read_path(path)
    assert len(result.tables) == 1 and result.tables[0].sheet == "填报"
    assert len(result.tables[0].frame) == 2
