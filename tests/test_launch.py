"""The console entry (pipeline/launch.py): reading workers start before the CLI imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MakeWorkbook, good_row
from helpers import write_config

from pipeline import sandbox
from pipeline.launch import workers_to_start

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("argv", "count"),
    [
        (["run", "--inbox", "收件箱"], 2),
        (["check", "长沙.xlsx"], 1),
        (["run", "--help"], 0),
        (["check", "-h"], 0),
        (["status"], 0),
        (["--version"], 0),
        ([], 0),
    ],
)
def test_only_reading_commands_start_workers_early(argv: list[str], count: int) -> None:
    assert workers_to_start(argv) == count


def test_prestarted_worker_is_the_one_that_reads(make_workbook: MakeWorkbook) -> None:
    """A worker started ahead is kept and used: no second start for a one-file read."""
    from pipeline.config import load_settings
    from pipeline.schema import load_form

    settings = load_settings(REPO / "beian.toml")
    sandbox.prestart(1)
    assert sandbox._workers
    started = {w.process.pid for w in sandbox._workers}
    path = make_workbook([good_row()])
    (result,) = sandbox.read_files(
        [(path, path.name)], load_form(settings.form), sandbox.caps(settings)
    )
    assert result.ok and len(result.table.frame) == 1
    assert started <= {w.process.pid for w in sandbox._workers}


def test_beian_entry_checks_a_file_end_to_end(tmp_path: Path, make_workbook: MakeWorkbook) -> None:
    """``python -m pipeline check`` goes through the launcher: workers started first, the check's
    verdict and exit code as through the command line itself."""
    config = write_config(tmp_path)
    bad = make_workbook([good_row(email="lina.example.com")], name="株洲市科技局.xlsx")
    args = [sys.executable, "-m", "pipeline", "check", "--config", str(config), str(bad)]
    failed = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path)
    assert failed.returncode == 1 and "未通过 1" in failed.stdout, failed.stdout + failed.stderr
