"""回执: the feedback workbook every bureau gets, read back with openpyxl (issue #3)."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import REPO, annex3_grid, good_row, write_grid
from helpers import marked_cells
from openpyxl.workbook import Workbook

from pipeline.core.atomic import Staging
from pipeline.core.config import PriorBatch, Settings
from pipeline.core.model import BatchResult
from pipeline.core.problems import problem
from pipeline.core.schema import load_catalogue, load_form
from pipeline.rules.validate import RULES
from pipeline.run import consolidate_batch
from pipeline.state.inbox import survey
from pipeline.write.feedback import write_all_feedback
from pipeline.write.marked import FILLS

RED, YELLOW = ("FF" + FILLS[k].lstrip("#") for k in ("error", "warning"))
CHANGSHA = "长沙市科学技术局"

# Rows 4-8 of 长沙市科技局's file: errors and warnings at known cells (columns A-M, no 序号).
ROWS = [
    good_row(),
    good_row(name="岳麓山创新工场", mobile="1390733123"),
    good_row(name="橘子洲青年空间", office_phone="88881234"),
    good_row(name="湘江创业营", founded="2016-01-18", email="abc"),
    good_row(name="星沙众创", founded="2015年10月", fax="12"),
]
EXPECTED = {
    "I5": (RED, "E_MOBILE"),
    "H6": (YELLOW, "W_PHONE_AREA_ADDED"),
    "D7": (RED, "E_TOO_YOUNG"),
    "K7": (RED, "E_EMAIL"),
    "D8": (YELLOW, "W_FOUNDED_AMBIGUOUS"),
    "J8": (RED, "E_PHONE"),
}


def feedback(result: BatchResult, tmp_path: Path) -> dict[str, Workbook]:
    """Write every 回执 of a batch and open them, by file name."""
    paths = write_all_feedback(result, tmp_path / "回执")
    return {p.name: openpyxl.load_workbook(p) for p in paths}


def overview(book: Workbook) -> dict[str, Any]:
    """概况 as label -> value; the 下一步 sentences joined under 下一步."""
    lines: dict[str, Any] = {}
    label = ""
    for key, value in book["概况"].iter_rows(min_row=3, values_only=True):
        label = key or label
        lines[label] = f"{lines[label]}{value}" if key is None or key == "" else value
    return lines


def listed(book: Workbook) -> list[tuple[Any, ...]]:
    return [row for row in book["问题清单"].iter_rows(min_row=2, values_only=True) if any(row)]


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods", "csv"])
def test_marks_exactly_the_error_and_warning_cells(
    settings: Settings, make_workbook, tmp_path: Path, fmt: str
) -> None:
    make_workbook(ROWS, name=f"长沙市科技局.{fmt}")
    result = consolidate_batch(settings)
    sheet = feedback(result, tmp_path)[f"{CHANGSHA}.xlsx"]["标注"]

    marks = marked_cells(sheet)
    assert {cell: colour for cell, (colour, _) in marks.items()} == {
        cell: colour for cell, (colour, _) in EXPECTED.items()
    }
    for p in result.problems:
        assert p.message in marks[p.cell][1] and p.hint in marks[p.cell][1]
    for r, values in enumerate(annex3_grid(ROWS), start=1):
        for c, value in enumerate(values, start=1):
            assert sheet.cell(r, c).value == (value or None), (r, c)


def test_problem_list_has_one_line_per_problem_sorted_by_row(
    settings: Settings, make_workbook, tmp_path: Path
) -> None:
    make_workbook(ROWS)
    result = consolidate_batch(settings)
    book = feedback(result, tmp_path)[f"{CHANGSHA}.xlsx"]
    assert [c.value for c in book["问题清单"][1]] == [
        "单元格",
        "列",
        "填写内容",
        "问题",
        "修改建议",
        "类别",
        "本行处理",
    ]
    lines = listed(book)
    assert [line[0] for line in lines] == ["I5", "H6", "D7", "K7", "D8", "J8"]
    assert lines[0] == (
        "I5",
        "手机",
        "1390733123",
        "手机号码“1390733123”无效。",
        problem("E_MOBILE", file="").hint,
        "错误",
        "未通过",
    )
    assert lines[1][5:] == ("提示", "受理")


def test_overview_says_what_was_taken_and_what_to_do(
    settings: Settings, make_workbook, tmp_path: Path
) -> None:
    make_workbook(ROWS)
    files = survey(settings)
    received = {f.sha256: dt.datetime(2016, 4, 10, 21, 30) for f in files}
    lines = overview(
        feedback(consolidate_batch(settings, files=files, received=received), tmp_path)[
            f"{CHANGSHA}.xlsx"
        ]
    )
    assert lines["推荐单位"].startswith(CHANGSHA)
    assert lines["采用文件"] == "长沙市科技局.xlsx"
    assert lines["收到时间"] == "2016-04-10 21:30"
    assert (
        lines["数据行"],
        lines["受理"],
        lines["未通过"],
        lines["往批已备案"],
        lines["本批重复"],
        lines["提示"],
    ) == (5, 2, 3, 0, 0, 2)
    assert "有 3 行未通过" in lines["下一步"] and "2016-04-14 前重新报送" in lines["下一步"]
    assert "有 2 处提示" in lines["下一步"]


def test_a_clean_submission_gets_a_receipt(
    settings: Settings, make_workbook, tmp_path: Path
) -> None:
    make_workbook([*ROWS[:1], good_row(name="梅溪湖创想家")])
    book = feedback(consolidate_batch(settings), tmp_path)[f"{CHANGSHA}.xlsx"]
    assert overview(book)["下一步"] == "本次报送的 2 个众创空间已全部受理，无需任何处理。"
    assert listed(book) == []
    assert marked_cells(book["标注"]) == {}


def test_duplicates_are_explained_to_both_bureaus(
    settings: Settings, make_workbook, tmp_path: Path
) -> None:
    prior = write_grid(tmp_path / "prior" / "首批.xlsx", annex3_grid([good_row()]), "xlsx")
    first = make_workbook([good_row(), good_row(name="岳麓山创新工场")])
    later = make_workbook(
        [good_row(name="岳麓山创新工场")], name="长沙高新区管委会.xlsx", stamp="长沙高新区管委会"
    )
    os.utime(first, (1_460_000_000, 1_460_000_000))
    os.utime(later, (1_460_000_100, 1_460_000_100))
    result = consolidate_batch(replace(settings, priors=(PriorBatch("2016年度首批", prior),)))
    books = feedback(result, tmp_path)

    city = books[f"{CHANGSHA}.xlsx"]
    lines = listed(city)
    assert [(line[0], line[6]) for line in lines] == [("A4", "往批已备案"), ("A5", "受理")]
    assert "已在2016年度首批报送备案" in lines[0][3] and "不需要重复报送" in lines[0][4]
    assert "长沙高新技术产业开发区管理委员会 也报送了该众创空间" in lines[1][3]
    assert "不需要重复报送" in overview(city)["下一步"]
    assert marked_cells(city["标注"]) == {}

    zone = listed(books["长沙高新技术产业开发区管理委员会.xlsx"])
    assert [(line[0], line[6]) for line in zone] == [("A4", "本批重复")]
    assert f"已由 {CHANGSHA} 在本批报送" in zone[0][3]


def test_file_level_problems_get_a_receipt_the_clerk_can_forward(
    settings: Settings, make_workbook, tmp_path: Path
) -> None:
    make_workbook([good_row()], name="汇总表(1).xlsx", stamp="")
    (settings.inbox / "娄底市科技局.xls").write_text(
        "<html><table></table></html>", encoding="utf-8"
    )
    make_workbook([good_row()])
    books = feedback(consolidate_batch(settings), tmp_path)
    assert set(books) == {
        f"{CHANGSHA}.xlsx",
        "未识别单位-汇总表(1).xlsx",
        "娄底市科学技术局-娄底市科技局.xlsx",
    }

    unknown = books["未识别单位-汇总表(1).xlsx"]
    assert [(line[0], line[5]) for line in listed(unknown)] == [("整个文件", "文件未受理")]
    assert "无法确定报送单位" in listed(unknown)[0][3]
    assert "本文件未能受理" in overview(unknown)["下一步"]
    assert overview(unknown)["推荐单位"] == "未识别单位"
    assert marked_cells(unknown["标注"]) == {}

    html = books["娄底市科学技术局-娄底市科技局.xlsx"]
    assert html.sheetnames == ["概况", "问题清单"]
    assert "不支持的文件格式" in listed(html)[0][3]


def test_a_superseded_file_is_named_in_the_bureaus_receipt(
    settings: Settings, make_workbook, tmp_path: Path
) -> None:
    old = make_workbook([good_row(mobile="123")], name="长沙市科技局-初稿.xlsx")
    new = make_workbook([good_row()], name="长沙市科技局-修改稿.xlsx")
    os.utime(old, (1_460_000_000, 1_460_000_000))
    os.utime(new, (1_460_000_100, 1_460_000_100))
    books = feedback(consolidate_batch(settings), tmp_path)
    assert list(books) == [f"{CHANGSHA}.xlsx"]
    lines = overview(books[f"{CHANGSHA}.xlsx"])
    assert lines["采用文件"] == "长沙市科技局-修改稿.xlsx"
    assert lines["本单位其他文件"] == "长沙市科技局-初稿.xlsx（已被新文件替换）"


def test_sheet_is_rebuilt_with_types_and_never_with_formulas(
    settings: Settings, tmp_path: Path
) -> None:
    formula = '=HYPERLINK("http://example.com","点我")'
    rows = [good_row(founded=dt.date(2014, 5, 20), operator=formula, mobile="1")]
    write_grid(settings.inbox / "长沙市科技局.xls", annex3_grid(rows), "xls")
    sheet = feedback(consolidate_batch(settings), tmp_path)[f"{CHANGSHA}.xlsx"]["标注"]
    assert (sheet["B4"].value, sheet["B4"].data_type) == (formula, "s")
    assert sheet["D4"].value == dt.datetime(2014, 5, 20)
    assert sheet["D4"].number_format == "yyyy-mm-dd"
    assert list(marked_cells(sheet)) == ["I4"]


def test_an_overlong_cell_is_marked_and_cut(
    settings: Settings, make_workbook, tmp_path: Path
) -> None:
    make_workbook([good_row(address="长" * 40_000)], name="长沙市科技局.csv")
    sheet = feedback(consolidate_batch(settings), tmp_path)[f"{CHANGSHA}.xlsx"]["标注"]
    assert marked_cells(sheet)["C4"][0] == RED
    assert len(sheet["C4"].value) < 32_767


def test_receipts_can_join_the_nights_staging(
    settings: Settings, make_workbook, tmp_path: Path
) -> None:
    make_workbook([good_row()])
    staging = Staging()
    paths = write_all_feedback(consolidate_batch(settings), tmp_path / "回执", staging)
    assert [p.name for p in paths] == [f"{CHANGSHA}.xlsx"]
    assert not paths[0].exists()
    staging.publish()
    assert openpyxl.load_workbook(paths[0]).sheetnames == ["概况", "问题清单", "标注"]


def test_every_code_has_a_chinese_message_and_fix_hint() -> None:
    catalogue = load_catalogue()
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "pipeline").rglob("*.py"))
    raised = set(re.findall(r'"([FEWI]_[A-Z_]+)"', sources)) | set(RULES)
    for form in (REPO / "pipeline" / "schemas").glob("annex3_*.toml"):
        raised |= {code for column in load_form(form).columns for code in column.rules}
    assert {"E_MOBILE", "F_BUREAU_UNKNOWN", "I_DUPLICATE_PRIOR", "E_DUPLICATE_ROW"} <= raised
    chinese = re.compile(r"[\u4e00-\u9fff]")
    for code in sorted(raised):
        assert code in catalogue.codes, f"{code} has no entry in schemas/codes.toml"
        filled = problem(code, file="x.xlsx")
        for text in (filled.message, filled.hint):
            assert chinese.search(text) and "{" not in text and "}" not in text, code
