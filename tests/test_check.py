"""`beian check FILE…`: the nightly validation for one bureau, before it sends (issue #3)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
from conftest import annex3_grid, good_row, write_grid
from helpers import (
    SPACE_NAMES,
    TEMPLATE,
    dropdown,
    fill_template,
    header_columns,
    marked_cells,
    write_config,
)
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.config import Settings, load_settings
from pipeline.core.schema import load_registers
from pipeline.run import consolidate_batch
from pipeline.selfcheck import check_file
from pipeline.write.marked import FILLS
from pipeline.write.template import SHEET

runner = CliRunner()
STAMP = "长沙市科学技术局"
FOUNDED = dt.date(2014, 5, 20)

# One mistake per column, each on its own row, with the code the validator must raise.
MISTAKES: list[tuple[str, Any, str]] = [
    ("name", "", "E_REQUIRED"),
    ("operator", "", "E_REQUIRED"),
    ("address", "", "E_REQUIRED"),
    ("founded", "2015年13月", "E_DATE"),
    ("institution_type", "股份制", "E_INSTITUTION_TYPE"),
    ("head", "", "E_REQUIRED"),
    ("contact", "", "E_REQUIRED"),
    ("office_phone", "0735-22331", "E_PHONE"),
    ("mobile", "1390733123", "E_MOBILE"),
    ("fax", "传真待定", "E_PHONE"),
    ("email", "lina.example.com", "E_EMAIL"),
    ("zone", "是", "E_ZONE_NAME_MISSING"),
    ("incubator", "是", "E_INCUBATOR_NAME_MISSING"),
]


def check(folder: Path, *args: object) -> Any:
    config = write_config(folder)
    return runner.invoke(
        app, ["check", "--config", str(config), *map(str, args)], catch_exceptions=False
    )


def template_columns() -> dict[str, str]:
    """Field -> column letter in the committed template."""
    ws = openpyxl.load_workbook(TEMPLATE)[SHEET]
    return {f: openpyxl.utils.get_column_letter(c) for f, c in header_columns(ws).items()}


def test_filled_template_passes_with_every_dropdown_value(
    tmp_path: Path, settings: Settings
) -> None:
    ws = openpyxl.load_workbook(TEMPLATE)[SHEET]
    types, zones = dropdown(ws, "institution_type"), dropdown(ws, "zone")
    rows = [
        good_row(
            name=SPACE_NAMES[i], founded=FOUNDED, institution_type=types[i % len(types)], zone=zone
        )
        for i, zone in enumerate(zones)
    ]
    path = fill_template(tmp_path / "报送" / "附件3.xlsx", rows, stamp=STAMP)

    result = check(tmp_path, path)
    assert result.exit_code == 0, result.output
    assert "未发现问题" in result.output
    assert (tmp_path / "报送" / "附件3-回执.xlsx").is_file()

    checked = check_file(settings, path)
    outcome = checked.files[0]
    assert outcome.problems == []
    assert checked.counts()["accepted"] == len(zones)
    assert set(checked.rows["institution_type"]) == set(types)
    national = {z.official_name for z in load_registers().national_zones(settings.deadline)}
    assert set(checked.rows["zone"]) == national | {""}


def test_a_mistake_in_each_column_fails_and_names_each_cell(
    tmp_path: Path, settings: Settings
) -> None:
    rows = [
        good_row(**{"name": SPACE_NAMES[i], "founded": FOUNDED, field: value})
        for i, (field, value, _) in enumerate(MISTAKES)
    ]
    path = fill_template(tmp_path / "附件3.xlsx", rows, stamp=STAMP)
    letters = template_columns()
    expected = [(f"{letters[field]}{4 + i}", code) for i, (field, _, code) in enumerate(MISTAKES)]

    result = check(tmp_path, path)
    assert result.exit_code == 1
    for cell, _ in expected:
        assert cell in result.output

    outcome = check_file(settings, path).files[0]
    assert [(p.cell, p.code) for p in outcome.problems] == expected
    marks = marked_cells(openpyxl.load_workbook(tmp_path / "附件3-回执.xlsx")["标注"])
    assert {cell: colour for cell, (colour, _) in marks.items()} == {
        cell: "FF" + FILLS["error"].lstrip("#") for cell, _ in expected
    }


def test_feedback_is_written_beside_the_file_or_to_out(tmp_path: Path, make_workbook) -> None:
    path = make_workbook([good_row()], name="长沙市科技局.xlsx")
    assert check(tmp_path, path).exit_code == 0
    assert (path.parent / "长沙市科技局-回执.xlsx").is_file()
    out = tmp_path / "回执"
    assert check(tmp_path, path, "--out", out).exit_code == 0
    assert [p.name for p in out.iterdir()] == ["长沙市科技局-回执.xlsx"]


def test_exit_1_when_any_file_has_an_error(tmp_path: Path, make_workbook) -> None:
    good = make_workbook([good_row()], name="长沙市科技局.xlsx")
    bad = make_workbook(
        [good_row(mobile="1390733123")], name="株洲市科技局.xlsx", stamp="株洲市科学技术局"
    )
    result = check(tmp_path, good, bad)
    assert result.exit_code == 1
    assert "株洲市科学技术局" in result.output and "I4" in result.output
    assert {p.name for p in good.parent.glob("*-回执.xlsx")} == {
        "长沙市科技局-回执.xlsx",
        "株洲市科技局-回执.xlsx",
    }


def test_warnings_alone_do_not_fail(tmp_path: Path, make_workbook) -> None:
    path = make_workbook([good_row(office_phone="88881234")])
    result = check(tmp_path, path)
    assert result.exit_code == 0
    assert "H4" in result.output and "0731-88881234" in result.output


def test_already_filed_in_a_prior_batch_is_explained(tmp_path: Path, make_workbook) -> None:
    prior = write_grid(tmp_path / "prior" / "首批.xlsx", annex3_grid([good_row()]), "xlsx")
    path = make_workbook([good_row(), good_row(name="岳麓山创新工场")])
    config = write_config(tmp_path, ("2016年度首批", prior))
    result = runner.invoke(app, ["check", "--config", str(config), str(path)])
    assert result.exit_code == 0, result.output
    assert "往批已备案 1" in result.output
    listed = openpyxl.load_workbook(path.parent / "长沙市科技局-回执.xlsx")["问题清单"]
    lines = list(listed.iter_rows(min_row=2, values_only=True))
    assert [(line[0], line[6]) for line in lines] == [("A4", "往批已备案")]
    assert "已在2016年度首批报送备案" in lines[0][3] and "无需处理" in lines[0][4]


def test_a_running_process_reads_a_changed_prior_batch_again(tmp_path: Path, make_workbook) -> None:
    """The prior batches are kept between checks (the intake site checks many files), but a
    prior file rewritten since is read again: its spaces are the ones judged."""
    prior_path = tmp_path / "prior" / "首批.xlsx"
    write_grid(prior_path, annex3_grid([good_row(name="岳麓山创新工场")]), "xlsx")
    settings = load_settings(write_config(tmp_path, ("2016年度首批", prior_path)))
    path = make_workbook([good_row(), good_row(name="岳麓山创新工场")])
    first = check_file(settings, path)
    assert sorted(first.rows["disposition"]) == ["accepted", "duplicate_prior"]
    write_grid(prior_path, annex3_grid([good_row(), good_row(name="湘江智谷众创空间")]), "xlsx")
    again = check_file(settings, path)
    assert list(again.rows.sort_values("row")["disposition"]) == ["duplicate_prior", "accepted"]
    assert sorted(again.prior["name"]) == sorted([good_row()["name"], "湘江智谷众创空间"])


def test_a_file_that_is_no_workbook_gets_a_feedback_workbook(tmp_path: Path) -> None:
    path = tmp_path / "长沙市科技局.xls"
    path.write_text("<html><table><tr><td>众创空间名称</td></tr></table></html>", encoding="utf-8")
    result = check(tmp_path, path)
    assert result.exit_code == 1
    assert "不支持的文件格式" in result.output
    book = openpyxl.load_workbook(tmp_path / "长沙市科技局-回执.xlsx")
    assert book.sheetnames == ["概况", "问题清单"]


def test_values_are_printed_verbatim_never_as_markup(tmp_path: Path, make_workbook) -> None:
    path = make_workbook([good_row(mobile="[/b]")])
    result = check(tmp_path, path)
    assert result.exit_code == 1
    assert "[/b]" in result.output


def test_check_finds_what_the_nightly_run_finds(settings: Settings, make_workbook) -> None:
    rows = [
        good_row(),
        good_row(name="岳麓山创新工场", founded="2016-01-18", email="x"),
        good_row(name="橘子洲青年空间", office_phone="88881234"),
    ]
    path = make_workbook(rows, name="长沙市科技局.xlsx")
    nightly = consolidate_batch(settings)
    checked = check_file(settings, path)
    assert [(p.cell, p.code) for p in checked.problems] == [
        (p.cell, p.code) for p in nightly.problems
    ]
    assert checked.rows["disposition"].tolist() == nightly.rows["disposition"].tolist()


def test_bad_options_exit_2(tmp_path: Path, make_workbook) -> None:
    path = make_workbook([good_row()])
    result = check(tmp_path, path, "--deadline", "2016-13-01")
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_check_a_missing_file_says_so_in_chinese(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["check", str(tmp_path / "没有这个文件.xlsx")])
    assert result.exit_code == 2
    assert "找不到文件" in result.output and "没有这个文件.xlsx" in result.output


def test_check_json_prints_the_records_the_library_returns(
    tmp_path: Path, settings: Settings
) -> None:
    """``beian check --json`` and ``pipeline.check`` give the same records (frictionless-style)."""
    import json

    import pipeline

    path = write_grid(
        tmp_path / "长沙市科技局.xlsx",
        annex3_grid([good_row(), good_row(name="另一个空间", mobile="123")]),
        "xlsx",
    )
    config = write_config(tmp_path)
    result = runner.invoke(app, ["check", str(path), "--config", str(config), "--json"])
    assert result.exit_code == 1, result.output
    printed = json.loads(result.stdout)
    records = pipeline.check([path], config=config)
    assert printed == json.loads(json.dumps(records, ensure_ascii=False))
    assert [r["valid"] for r in records] == [False]
    assert [p["code"] for p in records[0]["problems"]] == ["E_MOBILE"]
    assert records[0]["problems"][0]["cell"] == "I5"


def test_consolidate_returns_one_record_per_row(settings: Settings, make_workbook) -> None:
    """``pipeline.consolidate`` is the night's dispositions as records, nothing written."""
    import pipeline

    make_workbook([good_row(), good_row(name="另一个空间", email="x")])
    records = pipeline.consolidate(inbox=settings.inbox)
    assert [(r["disposition"], r["codes"]) for r in records] == [
        ("accepted", ""),
        ("rejected", "E_EMAIL"),
    ]
    assert not settings.outbox.exists()
