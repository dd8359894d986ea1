"""The write stage on both cores changes nothing: a row's height computed alone equals the
frame's; the 回执 are written in a second process beside the workbook, and a failure there is the
run's failure."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from pipeline.core.errors import OutputError
from pipeline.write.alongside import alongside, can_fork
from pipeline.write.xlsx import display_width, display_widths, row_height, row_heights

FORKS = can_fork()


TEXT = st.text(st.sampled_from("ab 1，众创空间\n长沙（）"), max_size=60)


@hypothesis_settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(TEXT, st.integers(1, 60)), min_size=1, max_size=4), st.booleans())
def test_one_rows_height_equals_the_frames(cells: list[tuple[str, int]], bold: bool) -> None:
    texts, widths = [t for t, _ in cells], [w for _, w in cells]
    expected = float(row_heights(pd.DataFrame([texts]), widths, bold).iloc[0])
    assert row_height(texts, widths, bold) == expected


@hypothesis_settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=20), st.none()), max_size=12), st.booleans())
def test_a_columns_widths_equal_each_texts(values: list[str | None], as_text: bool) -> None:
    """The column-wide count (pyarrow) equals the one-text count (Python's ``re``) for any
    text, wide characters, line breaks and missing cells included, whatever the dtype."""
    column = pd.Series(values, dtype="str" if as_text else object)
    expected = [display_width("" if v is None else v) for v in values]
    assert display_widths(column).tolist() == expected


def write_pid(path: Path) -> None:
    path.write_text(str(os.getpid()), encoding="utf-8")


def wait_for(path: Path) -> None:
    deadline = time.monotonic() + 30
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.mark.skipif(not FORKS, reason="this platform cannot fork: the work runs in-process")
def test_the_jobs_run_in_a_second_process_beside_the_block(tmp_path: Path) -> None:
    mark = tmp_path / "pid"
    with alongside([lambda: write_pid(mark)]):
        wait_for(mark)  # the block outlasts the job: the child has taken it
    assert int(mark.read_text(encoding="utf-8")) != os.getpid()


def note_job(path: Path, index: int) -> None:
    time.sleep(0.2)  # long enough for the child to start taking jobs however busy the machine
    with path.open("a", encoding="utf-8") as log:
        log.write(f"{index} {os.getpid()}\n")


def test_every_job_runs_once_and_this_process_takes_those_left(tmp_path: Path) -> None:
    """Once the block is done this process takes the jobs the child has not started, so the two
    finish together; no job is run twice or left out."""
    log = tmp_path / "jobs.txt"
    jobs = [partial(note_job, log, i) for i in range(8)]
    with alongside(jobs):
        pass
    done = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    assert sorted(int(i) for i, _ in done) == list(range(8))
    pids = {int(pid) for _, pid in done}
    assert os.getpid() in pids
    assert len(pids) == (2 if FORKS else 1)


def test_with_other_threads_running_the_jobs_run_here_after_the_block(tmp_path: Path) -> None:
    mark, release = tmp_path / "pid", threading.Event()
    waiter = threading.Thread(target=release.wait)
    waiter.start()
    try:
        assert not can_fork()
        with alongside([lambda: write_pid(mark)]):
            assert not mark.exists()
        assert int(mark.read_text(encoding="utf-8")) == os.getpid()
    finally:
        release.set()
        waiter.join()


def fail() -> None:
    raise OutputError("无法写入回执：磁盘已满")


@pytest.mark.parametrize("share", [1, 6], ids=["alone", "among others"])
def test_a_failure_of_a_job_is_raised_when_the_block_ends(share: int) -> None:
    """Whichever process ran the failing job, the failure is the block's."""
    with pytest.raises(OutputError, match="磁盘已满"), alongside([fail] * share):
        pass


def sleep_long() -> None:
    time.sleep(60)


def test_a_failing_block_stops_the_jobs_and_raises_its_own_error() -> None:
    start = time.monotonic()
    with pytest.raises(ValueError, match="the block"), alongside([sleep_long if FORKS else fail]):
        raise ValueError("the block")
    assert time.monotonic() - start < 30


@pytest.mark.skipif(not FORKS, reason="this platform cannot fork: the work runs in-process")
def test_a_work_process_that_dies_is_an_output_error(tmp_path: Path) -> None:
    started = tmp_path / "started"

    def die() -> None:
        started.touch()
        os._exit(9)

    with pytest.raises(OutputError, match="退出码"), alongside([die]):
        wait_for(started)


def test_the_run_commands_progress_bar_starts_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """rich redraws a bar from a thread of its own unless told not to; with that thread running,
    ``beian run`` could not fork and would write every 回执 after the workbook."""
    from pipeline import cli, run

    during: list[int] = []

    def fake_run(settings: object, progress: Callable[[str, int], None], wait: float) -> str:
        progress("长沙市.xlsx", 2)
        during.append(threading.active_count())
        return "done"

    monkeypatch.setattr(run, "run", fake_run)
    before = threading.active_count()
    assert cli._run_with_progress(None, 0.0) == "done"  # type: ignore[arg-type]
    assert during == [before]


def test_without_a_shared_counter_the_jobs_run_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A system without shared semaphores cannot share the jobs: they run here, after the block."""
    from pipeline.write import alongside as module

    monkeypatch.setattr(module, "shared_counter", lambda: None)
    mark = tmp_path / "pid"
    with alongside([lambda: write_pid(mark)]):
        assert not mark.exists()
    assert int(mark.read_text(encoding="utf-8")) == os.getpid()
