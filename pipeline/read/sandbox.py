"""Read every file in a guarded worker process, so that no file can take the run down.

The reading libraries are native code: a hostile file can make them allocate terabytes and abort
the process, which no ``try`` catches. So each file is read by
:func:`pipeline.read.workbook.read_file` in a worker process under a memory cap and a time
limit. A worker that dies, aborts, outgrows its memory or its time is killed and replaced, and
its file gets an F_ code; the other files go on.

The caps hold on every platform through a watchdog in the parent that polls each busy worker's
resident memory (psutil) and its time; where the OS has address-space limits (Linux), the worker
also sets ``RLIMIT_AS`` before each file, so an allocation far beyond the cap fails at once
instead of between two polls. Workers are started with ``spawn`` semantics (as on Windows) and
kept for the life of the process: an interpreter and its pandas import are paid once per worker,
not once per file. At most two workers read files in parallel. The ``beian`` command starts them
before its own imports (:func:`prestart`, pipeline/launch.py), so they get ready meanwhile; this
module therefore imports nothing heavy itself.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import psutil

from pipeline.core.errors import BeianError
from pipeline.core.problems import Problem, problem
from pipeline.read.readcache import reads

if TYPE_CHECKING:
    from pipeline.core.config import Settings
    from pipeline.core.model import ReadResult
    from pipeline.core.schema import FormSpec

try:  # address-space limits exist on Linux and macOS, not on Windows
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

MAX_WORKERS = 2
WORKER_BYTES = 1_000_000
"""Input worth one more reading worker: starting one costs ≈0.5 s of a core (an interpreter
importing pandas), about what reading 1 MB of .xlsx (≈8,000 rows) takes, so a night of small
files is read sooner by the worker already running than by starting a second."""
POLL_SECONDS = 0.02
MAX_FAILED_STARTS = 3
ADDRESS_HEADROOM_MB = 4096
"""Address space allowed beyond the cap: allocators (pyarrow's among them) reserve large ranges
they never touch. The watchdog enforces the cap on memory in use; the OS limit only has to stop
the allocation of terabytes at once."""
PRELOAD = ("pipeline.read.workbook",)
"""What a worker imports before it says it is ready: the reader of most of its files."""
_MB = 1024 * 1024
_CONTEXT = multiprocessing.get_context("spawn")
T = TypeVar("T")


@dataclass(frozen=True)
class Caps:
    """What one file's read may take: memory beyond the idle worker (MB) and wall time (s);
    reading a scan by OCR may take ``page_seconds`` a page instead."""

    memory_mb: int = 1024
    seconds: float = 60.0
    page_seconds: float = 30.0


def caps(settings: Settings) -> Caps:
    """The configured caps on reading one file (memory, time)."""
    return Caps(settings.read_memory_mb, settings.read_seconds, settings.page_seconds)


class WorkerError(BeianError):
    """No worker process could be started at all: the run cannot read any file."""


def serve_worker(conn: Connection, preload: Sequence[str] = ()) -> None:
    """The worker's loop: import ``preload``, then read the files it is sent, one at a time,
    until told to stop.

    Its error output goes nowhere: a reader that aborts prints a native backtrace the clerk
    need not see, since the file's F_ code says what happened."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    for module in preload:
        importlib.import_module(module)
    conn.send("ready")
    while True:
        try:
            task, args, memory_mb = conn.recv()
        except EOFError:  # the parent is gone
            return
        _limit_address_space(memory_mb)
        try:
            answer: tuple[str, Any] = ("ok", task(*args))
        except MemoryError:
            answer = ("memory", "")
        except Exception as exc:  # a reader bug on a hostile file must not end the worker
            answer = ("crash", type(exc).__name__)
        conn.send(answer)


def _limit_address_space(memory_mb: int) -> None:
    """Let this file's read map at most the cap and the headroom beyond what the worker maps."""
    if resource is None:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = psutil.Process().memory_info().vms + (memory_mb + ADDRESS_HEADROOM_MB) * _MB
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


class _Worker:
    """One worker process, its pipe, and the file it is reading."""

    def __init__(self) -> None:
        self.conn, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=serve_worker, args=(child, PRELOAD), daemon=True)
        self.process.start()
        child.close()
        self.ready = False
        self.job: int | None = None
        self.started = 0.0
        self.base_rss = 0

    def give(self, index: int, job: tuple[Callable[..., Any], tuple[Any, ...], int]) -> bool:
        """Hand a job over; False when the worker has died meanwhile (it is collected later)."""
        self.base_rss = self.rss()
        try:
            self.conn.send(job)
        except OSError:
            return False
        self.job, self.started = index, time.monotonic()
        return True

    def rss(self) -> int:
        try:
            return int(psutil.Process(self.process.pid).memory_info().rss)
        except psutil.Error:
            return 0

    def stop(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


_workers: list[_Worker] = []
_failed_starts: list[str] = []
"""Why workers died before becoming ready since one last did: a few such deaths in a row mean
no worker can start at all (a broken installation), which fails the run."""
_lock = threading.Lock()


def prestart(count: int) -> None:
    """Start ``count`` workers now, to become ready in the background while this process goes on
    with its own imports and set-up; :func:`guarded` uses them (and starts more if it needs)."""
    with _lock:
        _grow(min(count, MAX_WORKERS, os.cpu_count() or 1))


def read_files(
    jobs: Sequence[tuple[Path, str]],
    form: FormSpec,
    caps: Caps,
    done: Callable[[str], None] | None = None,
) -> list[ReadResult]:
    """Read Annex 3 from (path, name) pairs in guarded workers; results in the order of ``jobs``.

    ``done`` is called with each file's name as its read ends. Never raises for a bad file.
    """
    from pipeline.core.model import ReadResult
    from pipeline.read.workbook import read_file  # pandas: only where files are read

    return guarded(
        read_file,
        [(file, (path, file, form)) for path, file in jobs],
        caps,
        lambda index, found: ReadResult(jobs[index][1], jobs[index][0], "", [], [found]),
        done,
    )


def guarded(
    task: Callable[..., T],
    jobs: Sequence[tuple[str, tuple[Any, ...]]],
    caps: Caps,
    refuse: Callable[[int, Problem], T],
    done: Callable[[str], None] | None = None,
) -> list[T]:
    """``task(*args)`` for every (file name, args) job in guarded workers, in the order of
    ``jobs``. ``task`` is a module-level function (workers are spawned, so it is pickled by name)
    whose first argument is the file's path; a job whose worker hit a cap or died is
    ``refuse(index, F_ problem)`` instead. A read kept from an earlier call
    (:mod:`pipeline.read.readcache`, when switched on) is not read again."""
    results: list[Any] = [None] * len(jobs)
    keys = [reads.key(task, args) for _, args in jobs]
    queue: deque[int] = deque()
    for index, key in enumerate(keys):
        kept, results[index] = reads.get(key)
        if not kept:
            queue.append(index)
        elif done:
            done(jobs[index][0])
    wanted = workers_for([jobs[i][1][0] for i in queue]) if queue else 0
    with _lock:
        while queue or any(w.job is not None for w in _workers):
            _grow(wanted)
            for worker in _workers:
                if worker.ready and worker.job is None and queue:
                    index = queue.popleft()
                    if not worker.give(index, (task, jobs[index][1], caps.memory_mb)):
                        queue.appendleft(index)
            for index, answer in _collect(caps):
                file = jobs[index][0]
                ok = answer[0] == "ok"
                results[index] = answer[1] if ok else refuse(index, _refusal(file, answer, caps))
                if ok:
                    reads.put(keys[index], answer[1])
                if done:
                    done(file)
    return results


def workers_for(paths: Sequence[Path]) -> int:
    """How many workers reading ``paths`` is worth: one, and one more per :data:`WORKER_BYTES`
    of input, at most one per file, per core and :data:`MAX_WORKERS`. Workers already running
    (started ahead, or kept by the intake site) are used whatever this says."""
    size = 0
    for path in paths:
        try:
            size += path.stat().st_size
        except OSError:  # the reader says what is wrong with it
            continue
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1, len(paths), 1 + size // WORKER_BYTES))


def _grow(count: int) -> None:
    """Start workers until there are ``count`` (each becomes ready in the background). A dead
    worker stays listed until :func:`_collect` has seen its exit and settled its file."""
    while len(_workers) < count:
        _workers.append(_Worker())


def _collect(caps: Caps) -> list[tuple[int, tuple[str, Any]]]:
    """Wait briefly for answers, then judge every busy worker's memory and time."""
    waiting = [w.conn for w in _workers] + [w.process.sentinel for w in _workers]
    ready = set(wait(waiting, timeout=POLL_SECONDS))
    finished: list[tuple[int, tuple[str, Any]]] = []
    for worker in list(_workers):
        answer = _judge(worker, ready, caps)
        if answer == "ready":
            worker.ready = True
            _failed_starts.clear()
            continue
        if answer is None:
            continue
        if worker.job is None:  # an idle worker died: replaced on the next round
            if not worker.ready:
                _failed_starts.append(_exit_detail(worker))
            if len(_failed_starts) >= MAX_FAILED_STARTS:
                why = _failed_starts[-1]
                raise WorkerError(
                    f"无法启动读取文件的工作进程（{why}）；请重新安装 beian 后再运行。"
                )
            worker.stop()
            _workers.remove(worker)
            continue
        index, worker.job = worker.job, None
        if answer[0] != "ok":
            worker.stop()
            _workers.remove(worker)
        finished.append((index, answer))
    return finished


def _judge(worker: _Worker, ready: set[Any], caps: Caps) -> Any:
    """A worker's answer, or why it is being stopped: ("crash" | "time" | "memory", detail);
    None while it is still reading within its caps, or idle."""
    if worker.conn in ready:
        try:
            return worker.conn.recv()
        except (EOFError, OSError):
            return ("crash", _exit_detail(worker))
    if worker.process.sentinel in ready:
        return ("crash", _exit_detail(worker))
    if worker.job is None:
        return None
    if time.monotonic() - worker.started > caps.seconds:
        return ("time", "")
    if worker.rss() - worker.base_rss > caps.memory_mb * _MB:
        return ("memory", "")
    return None


def _exit_detail(worker: _Worker) -> str:
    worker.process.join(1)
    code = worker.process.exitcode
    return f"退出码 {code}" if code is not None else "进程无响应"


def _refusal(file: str, answer: tuple[str, str], caps: Caps) -> Problem:
    """The F_ problem of a file whose worker hit a cap or died."""
    kind, detail = answer
    if kind == "memory":
        return problem("F_READ_LIMIT", file=file, what="内存", limit=f"{caps.memory_mb} MB")
    if kind == "time":
        return problem("F_READ_LIMIT", file=file, what="时间", limit=f"{caps.seconds:g} 秒")
    return problem("F_READ_CRASH", file=file, detail=detail)
