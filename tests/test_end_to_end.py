"""End to end: the CLI on workbooks built in code, in every input format."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import openpyxl
import pytest
from conftest import REPO, good_row
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.config import Settings
from pipeline.core.schema import load_registers
from pipeline.write.workbook import consolidated_name

runner = CliRunner()


def run_cli(settings: Settings, *extra: str) -> object:
    args = [
        "run",
        "--inbox",
        str(settings.inbox),
        "--outbox",
        str(settings.outbox),
        "--ledger",
        str(settings.ledger),
        *extra,
    ]
    return runner.invoke(app, args, catch_exceptions=False)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow  # a whole night per case: the long form, run by CI
@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods", "csv"])
def test_every_format_is_consolidated(settings: Settings, make_workbook, fmt: str) -> None:
    make_workbook(
        [good_row(), good_row(name="岳麓山创新工场", founded="2015年3月")],
        name=f"长沙市科技局.{fmt}",
    )
    result = run_cli(settings)
    assert result.exit_code == 0, result.output
    out = settings.outbox / settings.batch
    rows = read_csv(out / "dispositions.csv")
    assert [(r["row"], r["disposition"]) for r in rows] == [("4", "accepted"), ("5", "accepted")]
    files = read_csv(out / "files.csv")
    assert [(f["file"], f["status"], f["rows"]) for f in files] == [
        (f"长沙市科技局.{fmt}", "live", "2")
    ]
    book = openpyxl.load_workbook(out / consolidated_name(settings))
    assert book["明细"].max_row == 3


def test_sample_batch_conserves_every_row(settings: Settings, tmp_path: Path) -> None:
    """Every data row of a live file lands in exactly one disposition; counts agree everywhere."""
    shutil.copytree(REPO / "inbox", settings.inbox, dirs_exist_ok=True)
    prior = REPO / "pipeline" / "prior" / "2016年度首批众创空间备案汇总表.xlsx"
    args = ["--prior", str(prior)]
    result = run_cli(settings, *args)
    assert result.exit_code == 0, result.output
    out = settings.outbox / settings.batch
    dispositions = read_csv(out / "dispositions.csv")
    files = read_csv(out / "files.csv")
    live_rows = sum(int(f["rows"]) for f in files if f["status"] == "live")
    assert len(dispositions) == live_rows
    keys = [(d["file"], d["row"]) for d in dispositions]
    assert len(set(keys)) == len(keys)
    assert {d["disposition"] for d in dispositions} == {
        "accepted",
        "rejected",
        "duplicate_prior",
        "duplicate_batch",
    }
    accepted = sum(d["disposition"] == "accepted" for d in dispositions)
    book = openpyxl.load_workbook(out / consolidated_name(settings))
    assert book["明细"].max_row - 1 == accepted
    assert book["汇总表"].max_row - 3 == accepted
    assert f"受理 {accepted}" in result.output
    rejected = sum(d["disposition"] == "rejected" for d in dispositions)
    assert book["未通过"].max_row - 1 == rejected
    inbox_files = [p for p in settings.inbox.rglob("*") if p.is_file()]
    assert len(files) == len(inbox_files)


def test_formula_text_stays_text_everywhere(settings: Settings, make_workbook) -> None:
    hostile = '=HYPERLINK("http://evil.example.com","点我")'
    make_workbook([good_row(address=hostile), good_row(name="+1创客空间", mobile="1380731")])
    assert run_cli(settings).exit_code == 0
    out = settings.outbox / settings.batch
    book = openpyxl.load_workbook(out / consolidated_name(settings))
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    values = [c.value for row in book["汇总表"].iter_rows() for c in row]
    assert hostile in values
    rejected = [c.value for row in book["未通过"].iter_rows() for c in row]
    assert "+1创客空间" in rejected
    for name in ("dispositions.csv", "明细.csv"):
        text = (out / name).read_text(encoding="utf-8-sig")
        assert "\n=" not in text and ",=" not in text and ",+" not in text
    assert "'=HYPERLINK" in (out / "明细.csv").read_text(encoding="utf-8-sig")


def test_run_help_lists_every_option() -> None:
    result = runner.invoke(app, ["run", "--help"])
    assert result.exit_code == 0
    for option in (
        "--inbox",
        "--outbox",
        "--ledger",
        "--batch",
        "--deadline",
        "--prior",
        "--config",
        "--wait",
    ):
        assert option in result.output


def test_status_after_two_runs_shows_every_registered_bureau(settings: Settings) -> None:
    shutil.copytree(REPO / "inbox", settings.inbox, dirs_exist_ok=True)
    prior = REPO / "pipeline" / "prior" / "2016年度首批众创空间备案汇总表.xlsx"
    assert run_cli(settings, "--prior", str(prior)).exit_code == 0
    second = run_cli(settings, "--prior", str(prior))
    assert second.exit_code == 0
    assert "没有变化，未重写任何输出" in second.output
    status = runner.invoke(app, ["status", "--ledger", str(settings.ledger)], terminal_width=200)
    assert status.exit_code == 0, status.output
    for bureau in load_registers().bureaus:
        assert bureau.name in status.output
    assert "尚未报送（9）" in status.output
    assert "此后又运行 1 次，收件箱均无变化。" in status.output


def test_status_before_any_run_says_what_to_do(settings: Settings) -> None:
    result = runner.invoke(app, ["status", "--ledger", str(settings.ledger)])
    assert result.exit_code == 2
    assert "请先运行 beian run" in result.output


def test_a_receipt_left_in_the_inbox_is_not_a_submission(settings: Settings, make_workbook) -> None:
    checked = make_workbook([good_row()])
    assert runner.invoke(app, ["check", str(checked)]).exit_code == 0
    assert (settings.inbox / "长沙市科技局-回执.xlsx").is_file()
    assert run_cli(settings).exit_code == 0
    files = read_csv(settings.outbox / settings.batch / "files.csv")
    assert [(f["file"], f["status"]) for f in files] == [
        ("长沙市科技局-回执.xlsx", "ignored"),
        ("长沙市科技局.xlsx", "live"),
    ]


def test_documents_beside_a_submission_are_ignored(settings: Settings, make_workbook) -> None:
    folder = settings.inbox / "怀化市科技局"
    make_workbook([good_row()], name="汇总表.xlsx", stamp="", folder=folder)
    (folder / "推荐文件.pdf").write_bytes(b"%PDF-1.4 not a sheet")
    assert run_cli(settings).exit_code == 0
    files = read_csv(settings.outbox / settings.batch / "files.csv")
    assert [(f["file"], f["status"]) for f in files] == [
        ("怀化市科技局/推荐文件.pdf", "ignored"),
        ("怀化市科技局/汇总表.xlsx", "live"),
    ]


def test_a_receipt_whose_file_left_the_inbox_is_removed(settings: Settings, make_workbook) -> None:
    stray = make_workbook([good_row()], name="汇总表(1).xlsx", stamp="")
    assert run_cli(settings).exit_code == 0
    receipts = settings.outbox / settings.batch / "回执"
    assert [p.name for p in receipts.iterdir()] == ["未识别单位-汇总表(1).xlsx"]
    stray.rename(settings.inbox / "长沙市科技局-汇总表.xlsx")
    assert run_cli(settings).exit_code == 0
    assert [p.name for p in receipts.iterdir()] == ["长沙市科学技术局.xlsx"]


def test_prior_named_on_the_command_line(settings: Settings, make_workbook) -> None:
    prior = REPO / "pipeline" / "prior" / "2016年度首批众创空间备案汇总表.xlsx"
    make_workbook([good_row(name="神农创客汇")])
    assert run_cli(settings, "--prior", f"2016年度首批={prior}").exit_code == 0
    rows = read_csv(settings.outbox / settings.batch / "dispositions.csv")
    assert [(r["name"], r["disposition"]) for r in rows] == [("神农创客汇", "duplicate_prior")]
    book = openpyxl.load_workbook(
        settings.outbox / settings.batch / "回执" / "长沙市科学技术局.xlsx"
    )
    texts = [c.value for row in book["问题清单"].iter_rows() for c in row if c.value]
    assert any("已在2016年度首批报送备案" in str(t) for t in texts)


def test_an_empty_inbox_still_gives_a_whole_workbook(settings: Settings) -> None:
    result = run_cli(settings)
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(settings.outbox / settings.batch / consolidated_name(settings))
    assert book["汇总表"].max_row == 3
    assert read_csv(settings.outbox / settings.batch / "dispositions.csv") == []
