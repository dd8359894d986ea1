"""Safe to run every night (SPEC §7, §8): one run at a time, and a run that dies at any point
leaves last night's outputs whole and the ledger without a half-recorded run."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import REPO, good_row
from filelock import FileLock
from test_end_to_end import read_csv, run_cli
from test_ledger import dump
from test_over_time import ZONE, nightly, snapshot

import pipeline.core.atomic
import pipeline.run
import pipeline.state.ledger
import pipeline.write.publish
from pipeline.core.config import Settings
from pipeline.core.errors import OutputError
from pipeline.write.workbook import consolidated_name


class Killed(BaseException):
    """The run dies here, as on Ctrl-C or a shutdown: not an ``Exception`` anyone catches."""


def held_lock(path: str, seconds: float) -> threading.Thread:
    """Another run holding the lock for ``seconds``, in a thread of its own."""
    taken = threading.Event()

    def hold() -> None:
        with FileLock(path):
            taken.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    taken.wait()
    return thread


@pytest.mark.slow  # kills and waits on real processes
def test_a_second_run_waits_for_the_first_to_finish(settings: Settings, make_workbook) -> None:
    make_workbook([good_row()])
    first = held_lock(f"{settings.ledger}.lock", 0.5)
    started = time.monotonic()
    report = pipeline.run.run(settings, wait=10)
    first.join()
    assert time.monotonic() - started >= 0.5
    assert report.counts["accepted"] == 1


HOLDER = """
import sys
from filelock import FileLock
with FileLock(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_second_run_gives_up_with_exit_75(settings: Settings, make_workbook) -> None:
    make_workbook([good_row()])
    lock = f"{settings.ledger}.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, lock],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        started = time.monotonic()
        second = run_cli(settings, "--wait", "0.3")
        waited = time.monotonic() - started
    finally:
        holder.communicate("")
    assert second.exit_code == 75
    said, path = ("".join(text.split()) for text in (second.output, str(settings.ledger)))
    assert (
        f"错误：另一个汇总（beianrun，或网上报送站点的“立即汇总”）正在汇总这个批次（台账{path}）。"
        "请等它结束后再运行" in said
    )
    assert "删除" not in said
    assert waited >= 0.3
    assert not settings.ledger.exists() and not settings.batch_dir.exists()
    assert run_cli(settings).exit_code == 0


# --- interrupted runs -------------------------------------------------------------------------


def last_night(settings: Settings, make_workbook) -> tuple[dict, dict]:
    """Night one is written and recorded; tonight a zone committee's file has arrived."""
    make_workbook([good_row()])
    nightly(settings)
    before = snapshot(settings.outbox), dump(settings.ledger)
    make_workbook([good_row(name="麓谷智能制造众创空间")], name="长沙高新区.xlsx", stamp=ZONE)
    return before


def assert_next_run_completes(settings: Settings) -> None:
    report = nightly(settings)
    assert report.changed and report.counts["accepted"] == 2
    assert len(read_csv(settings.batch_dir / "dispositions.csv")) == 2
    leftovers = [p.name for p in settings.batch_dir.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def half_written(owner: object, name: str, call: int) -> Callable[..., None]:
    """``owner.name`` whose ``call``-th call writes half of its file and then dies."""
    original = getattr(owner, name)
    calls = itertools.count(1)

    def write(*args: object, **kwargs: object) -> None:
        original(*args, **kwargs)
        if next(calls) == call:
            path = Path(str(args[1]))
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
            raise Killed(f"killed while writing {path.name}")

    return write


WRITERS = [
    pytest.param(pipeline.write.publish, "write_consolidated", 1, id="workbook"),
    pytest.param(pipeline.write.publish, "write_frame_csv", 1, id="dispositions.csv"),
    pytest.param(pipeline.write.publish, "write_frame_csv", 2, id="files.csv"),
    pytest.param(pipeline.write.publish, "write_frame_csv", 3, id="待核对重复.csv"),
    pytest.param(pipeline.write.publish, "write_frame_csv", 4, id="明细.csv"),
    pytest.param(pd.DataFrame, "to_parquet", 1, id="明细.parquet"),
]


@pytest.mark.slow  # kills a real process mid-write, once per output
@pytest.mark.parametrize(("owner", "name", "call"), WRITERS)
def test_a_run_killed_while_writing_leaves_last_nights_outputs(
    settings: Settings, make_workbook, monkeypatch: pytest.MonkeyPatch, owner, name, call
) -> None:
    outputs, ledger = last_night(settings, make_workbook)
    with monkeypatch.context() as m:
        m.setattr(owner, name, half_written(owner, name, call))
        with pytest.raises(Killed):
            nightly(settings)
    assert snapshot(settings.outbox) == outputs
    assert dump(settings.ledger) == ledger
    assert_next_run_completes(settings)


def failing_rename(settings: Settings, call: int) -> Callable[..., None]:
    """os.replace that fails (a file open in Excel on Windows, a full disk) on the ``call``-th
    output renamed into the batch folder."""
    original = pipeline.core.atomic.os.replace
    calls = itertools.count(1)

    def replace(src: object, dst: object) -> None:
        if Path(str(dst)).parent == settings.batch_dir and next(calls) == call:
            raise PermissionError(13, "另一个程序正在使用此文件", str(dst))
        original(src, dst)

    return replace


@pytest.mark.slow  # a whole night per case: the long form, run by CI
@pytest.mark.parametrize("call", range(1, 7))
def test_a_run_failing_to_rename_leaves_last_nights_outputs(
    settings: Settings, make_workbook, monkeypatch: pytest.MonkeyPatch, call: int
) -> None:
    outputs, ledger = last_night(settings, make_workbook)
    with monkeypatch.context() as m:
        m.setattr(pipeline.core.atomic.os, "replace", failing_rename(settings, call))
        with pytest.raises(OutputError, match="无法写入输出文件"):
            nightly(settings)
    assert snapshot(settings.outbox) == outputs
    assert dump(settings.ledger) == ledger
    assert_next_run_completes(settings)


def test_a_run_killed_mid_ledger_transaction_records_nothing(
    settings: Settings, make_workbook, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ledger = last_night(settings, make_workbook)
    original = pipeline.state.ledger._plain
    calls = itertools.count(1)

    def plain(value: object) -> object:
        if next(calls) == 3:
            raise Killed("killed while recording rows")
        return original(value)

    with monkeypatch.context() as m:
        m.setattr(pipeline.state.ledger, "_plain", plain)
        with pytest.raises(Killed):
            nightly(settings)
    assert dump(settings.ledger) == ledger
    assert_outputs_whole(settings)
    assert_next_run_completes(settings)


def assert_outputs_whole(settings: Settings) -> None:
    """Every output opens: the workbook, the CSVs and the Parquet table."""
    out = settings.batch_dir
    openpyxl.load_workbook(out / consolidated_name(settings), read_only=True).close()
    for csv_name in ("dispositions.csv", "files.csv", "待核对重复.csv", "明细.csv"):
        pd.read_csv(out / csv_name)
    pd.read_parquet(out / "明细.parquet")


# --- a real kill: the process ends on the spot, no handler runs -------------------------------

KILLED_RUN = """
import itertools, json, os, sys
from dataclasses import replace
from pathlib import Path

import pipeline.core.atomic, pipeline.state.ledger
from pipeline.core.config import load_settings
from pipeline.run import run

paths, where = json.loads(sys.argv[1]), sys.argv[2]
settings = replace(
    load_settings(Path(paths.pop("config"))), priors=(), **{k: Path(v) for k, v in paths.items()}
)
calls = itertools.count(1)
if where == "ledger":
    plain = pipeline.state.ledger._plain
    pipeline.state.ledger._plain = lambda v: os._exit(9) if next(calls) == 3 else plain(v)
else:
    rename = os.replace
    pipeline.core.atomic.os.replace = lambda src, dst: (
        os._exit(9) if Path(dst).parent == settings.batch_dir else rename(src, dst)
    )
run(settings, wait=0)
"""


def killed_run(settings: Settings, where: str) -> int:
    paths = {
        "config": str(REPO / "beian.toml"),
        "inbox": str(settings.inbox),
        "outbox": str(settings.outbox),
        "ledger": str(settings.ledger),
        "decisions": str(settings.decisions),
    }
    done = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, json.dumps(paths), where],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode


def finals(folder: Path) -> dict[str, tuple[int, bytes]]:
    """The outputs proper, without a dead run's temporary files."""
    return {name: v for name, v in snapshot(folder).items() if not Path(name).name.startswith(".")}


@pytest.mark.slow  # kills a real process outright
@pytest.mark.parametrize("where", ["publish", "ledger"])
def test_a_process_killed_outright_leaves_things_whole(
    settings: Settings, make_workbook, where: str
) -> None:
    outputs, ledger = last_night(settings, make_workbook)
    assert killed_run(settings, where) == 9
    assert dump(settings.ledger) == ledger
    if where == "publish":
        assert finals(settings.outbox) == outputs
    else:
        assert_outputs_whole(settings)
    report = nightly(settings)
    assert report.changed and report.counts["accepted"] == 2


@pytest.mark.slow  # kills a real process
def test_the_next_run_clears_a_killed_runs_temporary_files(
    settings: Settings, make_workbook
) -> None:
    last_night(settings, make_workbook)
    assert killed_run(settings, "publish") == 9
    assert_next_run_completes(settings)
