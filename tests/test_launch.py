"""The console entry (pipeline/launch.py): reading workers start before the CLI imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MakeWorkbook, good_row
from helpers import write_config

from pipeline.launch import workers_to_start
from pipeline.read import sandbox

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("argv", "count"),
    [
        (["run", "--inbox", "收件箱"], 1),
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
    from pipeline.core.config import load_settings
    from pipeline.core.schema import load_form

    settings = load_settings(REPO / "beian.toml")
    sandbox.prestart(1)
    assert sandbox._workers
    started = {w.process.pid for w in sandbox._workers}
    path = make_workbook([good_row()])
    (result,) = sandbox.read_files(
        [(path, path.name)], load_form(settings.form), sandbox.caps(settings)
    )
    assert result.ok and len(result.tables[0].frame) == 1
    assert started <= {w.process.pid for w in sandbox._workers}


def test_beian_entry_checks_a_file_end_to_end(tmp_path: Path, make_workbook: MakeWorkbook) -> None:
    """``python -m pipeline check`` goes through the launcher: workers started first, the check's
    verdict and exit code as through the command line itself."""
    config = write_config(tmp_path)
    bad = make_workbook([good_row(email="lina.example.com")], name="株洲市科技局.xlsx")
    args = [sys.executable, "-m", "pipeline", "check", "--config", str(config), str(bad)]
    failed = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path)
    assert failed.returncode == 1 and "未通过 1" in failed.stdout, failed.stdout + failed.stderr


def test_a_second_worker_starts_only_for_input_worth_its_start(tmp_path: Path) -> None:
    """Starting a worker costs about what reading a megabyte does: twenty small workbooks are
    read by one worker, two large ones by two, and a missing file weighs nothing."""
    small = [tmp_path / f"小{i}.xlsx" for i in range(20)]
    for path in small:
        path.write_bytes(b"x" * 10_000)
    large = [tmp_path / "大1.xlsx", tmp_path / "大2.xlsx"]
    for path in large:
        path.write_bytes(b"x" * sandbox.WORKER_BYTES)
    assert sandbox.workers_for(small) == 1
    assert sandbox.workers_for(large) == min(2, os.cpu_count() or 1)
    assert sandbox.workers_for([large[0]]) == 1
    assert sandbox.workers_for([tmp_path / "不存在.xlsx"]) == 1


def test_ctrl_c_while_the_command_line_is_still_loading_is_130_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first second of a night is spent importing the command line, before its own Ctrl+C
    handler is in place; an interrupt there says the same words and exits 130 as later."""
    from types import ModuleType

    from pipeline import launch

    loading = ModuleType("pipeline.cli")

    def interrupted() -> None:
        raise KeyboardInterrupt

    loading.main = interrupted  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pipeline.cli", loading)
    monkeypatch.setattr(sys, "argv", ["beian", "status"])
    with pytest.raises(SystemExit) as ended:
        launch.main()
    assert ended.value.code == 130
    assert capsys.readouterr().err == "已中断：本次运行被中止，输出文件和台账都没有改动。\n"
