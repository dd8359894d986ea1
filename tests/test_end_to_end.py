"""End to end: the CLI on workbooks built in code, in every input format."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from conftest import good_row
from pipeline.cli import app
from pipeline.config import Settings
from pipeline.write_workbook import consolidated_name

runner = CliRunner()


def run_cli(settings: Settings, *extra: str) -> object:
    args = ["run", "--inbox", str(settings.inbox), "--outbox", str(settings.outbox),
            "--ledger", str(settings.ledger), *extra]
    return runner.invoke(app, args, catch_exceptions=False)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods", "csv"])
def test_every_format_is_consolidated(settings: Settings, make_workbook, fmt: str) -> None:
    make_workbook([good_row(), good_row(name="岳麓山创新工场", founded="2015年3月")],
                  name=f"长沙市科技局.{fmt}")
    result = run_cli(settings)
    assert result.exit_code == 0, result.output
    out = settings.outbox / settings.batch
    rows = read_csv(out / "dispositions.csv")
    assert [(r["row"], r["disposition"]) for r in rows] == [("4", "accepted"), ("5", "accepted")]
    files = read_csv(out / "files.csv")
    assert [(f["file"], f["status"], f["rows"]) for f in files] == [
        (f"长沙市科技局.{fmt}", "live", "2")
    ]
    book = openpyxl.load_workbook(out / consolidated_name(settings.batch))
    assert book["明细"].max_row == 3
