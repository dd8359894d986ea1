"""The write stage on both cores changes nothing: a row's height computed alone equals the
frame's; the 回执 are written in a second process beside the workbook, and a failure there is the
run's failure."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from pipeline.alongside import alongside, can_fork
from pipeline.errors import OutputError
from pipeline.xlsx import display_width, display_widths, row_height, row_heights

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


@pytest.mark.skipif(not FORKS, reason="this platform cannot fork: the work runs in-process")
def test_the_work_runs_in_a_second_process_beside_the_block(tmp_path: Path) -> None:
    mark = tmp_path / "pid"
    with alongside(lambda: write_pid(mark)):
        pass
    assert int(mark.read_text(encoding="utf-8")) != os.getpid()


def test_with_other_threads_running_the_work_runs_here_after_the_block(tmp_path: Path) -> None:
    mark, release = tmp_path / "pid", threading.Event()
    waiter = threading.Thread(target=release.wait)
    waiter.start()
    try:
        assert not can_fork()
        with alongside(lambda: write_pid(mark)):
            assert not mark.exists()
        assert int(mark.read_text(encoding="utf-8")) == os.getpid()
    finally:
        release.set()
        waiter.join()


def fail() -> None:
    raise OutputError("无法写入回执：磁盘已满")


def test_a_failure_of_the_work_is_raised_when_the_block_ends() -> None:
    with pytest.raises(OutputError, match="磁盘已满"), alongside(fail):
        pass


def sleep_long() -> None:
    time.sleep(60)


def test_a_failing_block_stops_the_work_and_raises_its_own_error() -> None:
    start = time.monotonic()
    with pytest.raises(ValueError, match="the block"), alongside(sleep_long if FORKS else fail):
        raise ValueError("the block")
    assert time.monotonic() - start < 30


@pytest.mark.skipif(not FORKS, reason="this platform cannot fork: the work runs in-process")
def test_a_work_process_that_dies_is_an_output_error() -> None:
    with pytest.raises(OutputError, match="退出码"), alongside(lambda: os._exit(9)):
        pass


def test_the_run_commands_progress_bar_starts_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """rich redraws a bar from a thread of its own unless told not to; with that thread running,
    ``beian run`` could not fork and would write every 回执 after the workbook."""
    from pipeline import cli

    during: list[int] = []

    def fake_run(settings: object, progress: Callable[[str, int], None], wait: float) -> str:
        progress("长沙市.xlsx", 2)
        during.append(threading.active_count())
        return "done"

    monkeypatch.setattr(cli, "run", fake_run)
    before = threading.active_count()
    assert cli._run_with_progress(None, 0.0) == "done"  # type: ignore[arg-type]
    assert during == [before]
