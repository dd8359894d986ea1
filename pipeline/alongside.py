"""Run one half of the write stage in a second process while this process writes the other.

The night's outputs split in two independent halves: the consolidated workbook (one xlsxwriter
workbook, which only one core can write) and the bureaus' 回执. Where the platform can fork,
the receipts are written by a forked child that shares the night's result with this process
(nothing is copied up front or pickled; pages are shared until written), so both cores work.
Where it cannot (Windows has only spawn, which would re-import every module and pickle the
whole result, costing more than it saves on a small night), or when this process runs other
threads (a fork copies their locks in whatever state they are in), the work runs here, after
the block, exactly as before.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection

from pipeline.errors import OutputError


def can_fork() -> bool:
    """Fork only where it exists and no other thread could hold a lock the child inherits."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _child(work: Callable[[], None], done: Connection) -> None:
    """Run ``work`` and report how it ended: None, or the exception to raise in the parent."""
    try:
        work()
    except BaseException as exc:  # reported to the parent, which raises it
        done.send(exc)
    else:
        done.send(None)
    finally:
        done.close()


@contextmanager
def alongside(work: Callable[[], None]) -> Iterator[None]:
    """Run ``work`` while the with-block runs: in a forked child where :func:`can_fork`, else
    here after the block. Either way it has finished when the block exits, and its exception,
    if any, is raised then. If the block itself fails, the child is stopped, not awaited."""
    if not can_fork():
        yield
        work()
        return
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(work, send), daemon=True)
    child.start()
    send.close()
    try:
        yield
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
