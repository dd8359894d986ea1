"""Share the jobs of one half of the write stage between a second process and this one.

The night's outputs split in two independent halves: the consolidated workbook (one xlsxwriter
workbook, which only one core can write) and the bureaus' 回执, one job each. Where the platform
can fork, a forked child takes the 回执 one by one while this process writes the workbook, and
once it has, this process takes the ones the child has not started: the two cores finish
together whichever half was longer (on a small night the twenty 回执 took twice the workbook's
time). The child shares the night's result with this process (nothing is copied up front or
pickled; pages are shared until written). Where the platform cannot fork (Windows has only
spawn, which would re-import every module and pickle the whole result, costing more than it
saves on a small night), or when this process runs other threads (a fork copies their locks in
whatever state they are in), every job runs here, after the block, exactly as before.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized

from pipeline.core.errors import OutputError

Job = Callable[[], None]


def can_fork() -> bool:
    """Fork only where it exists and no other thread could hold a lock the child inherits."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def shared_counter() -> Synchronized | None:
    """A counter of the jobs taken, shared by the processes forked after it; None where the
    system gives no shared semaphore (a container without ``/dev/shm``): the jobs then run in
    this process."""
    try:
        return multiprocessing.get_context("fork").Value("i", 0)
    except OSError:
        return None


def take(jobs: Sequence[Job], taken: Synchronized) -> None:
    """Run the jobs nobody has taken yet, one at a time, until none is left; ``taken`` (shared by
    both processes) is the index of the next job to take."""
    while True:
        with taken.get_lock():
            index = taken.value
            taken.value = index + 1
        if index >= len(jobs):
            return
        jobs[index]()


def _child(jobs: Sequence[Job], taken: Synchronized, done: Connection) -> None:
    """Take jobs and report how it ended: None, or the exception to raise in the parent."""
    try:
        take(jobs, taken)
    except BaseException as exc:  # reported to the parent, which raises it
        done.send(exc)
    else:
        done.send(None)
    finally:
        done.close()


@contextmanager
def alongside(jobs: Sequence[Job]) -> Iterator[None]:
    """Run ``jobs`` while the with-block runs: a forked child takes them where :func:`can_fork`,
    and this process takes those left once the block is done; else all run here after the
    block. Either way every job has run once when the block exits, and the first failure is
    raised then. If the block itself fails, the child is stopped, not awaited."""
    taken = shared_counter() if can_fork() else None
    if taken is None:
        yield
        for job in jobs:
            job()
        return
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(jobs, taken, send), daemon=True)
    child.start()
    send.close()
    try:
        yield
        take(jobs, taken)
    except BaseException:
        child.terminate()
        child.join()
        raise
    try:
        failure = receive.recv()
    except EOFError:  # the child died without a word (killed, out of memory)
        failure = OutputError(
            f"写回执的进程意外结束（退出码 {child.exitcode}），可能是内存不足；"
            "本次输出均未发布，请关闭其他程序后重新运行。"
        )
    finally:
        receive.close()
        child.join()
    if failure is not None:
        raise failure
