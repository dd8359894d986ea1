"""The nightly consolidation, stage by stage: scan, read, normalise, validate, dedupe, dispose.

``consolidate`` is pure with respect to the outbox: it reads the inbox and the prior batches and
returns a :class:`BatchResult`; ``run`` adds the lock, the ledger and the writers. Every data row
of every live file ends in exactly one disposition here, and every report is written from this
one result, so the counts agree everywhere.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from filelock import FileLock, Timeout

from pipeline import decisions, packet
from pipeline.config import Settings
from pipeline.dedupe import add_keys, load_prior, rank_rows
from pipeline.dispose import attach_codes, dispose, rows_of
from pipeline.errors import LockedError, write_failure
from pipeline.inbox import choose_live, read_outcome, require_inbox, survey
from pipeline.ledger import Ledger
from pipeline.model import BatchResult, FileOutcome
from pipeline.normalise import normalise_batch
from pipeline.packet_spec import load_packet
from pipeline.problems import Problem
from pipeline.publish import input_fingerprint, output_paths, write_outputs
from pipeline.report import submissions_frame
from pipeline.sandbox import caps, read_files
from pipeline.schema import load_form, load_registers
from pipeline.validate import Context, Part, validate_batch

Progress = Callable[[str, int], None]
"""Called before each file is read, with its inbox path and how many files are to be read."""


def consolidate(
    settings: Settings,
    *,
    files: list[FileOutcome] | None = None,
    received: dict[str, dt.datetime] | None = None,
    progress: Progress | None = None,
    history: pd.DataFrame | None = None,
) -> BatchResult:
    """Read, check and consolidate the inbox; no output is written here.

    ``received`` maps a file's SHA-256 to when the ledger first saw it; files it does not know are
    received now. ``history`` (from the ledger) says when each bureau first sent each space.
    """
    started = dt.datetime.now().replace(microsecond=0)
    clock = time.perf_counter()
    timings: dict[str, float] = {}
    form = load_form(settings.form)
    registers = load_registers(settings.form.parent)
    files = survey(settings) if files is None else files
    now = time.time()
    packet_spec = load_packet(settings.form)
    packet.claim(
        [f for f in files if not f.status],
        packet_spec,
        registers,
        received or {},
        started,
        caps(settings),
    )
    pending = [f for f in files if not f.status]
    done = (lambda name: progress(name, len(pending))) if progress else None
    reads = read_files([(f.path, f.file) for f in pending], form, caps(settings), done)
    for outcome, read in zip(pending, reads, strict=True):
        outcome.received = (received or {}).get(outcome.sha256, started)
        read_outcome(outcome, read, registers, now)
    choose_live(files)
    live = sorted(
        (f for f in files if f.status == "live"),
        key=lambda f: (f.received or started, f.mtime, f.file),
    )
    timings["read"] = time.perf_counter() - clock

    clock = time.perf_counter()
    problems: list[Problem] = [
        p for f in files for p in f.problems if f.status == "live" or p.severity == "file"
    ]
    parts = []
    tables = [f.table for f in live if f.table is not None]
    norms = normalise_batch(
        [(t.frame, f.bureau) for t, f in zip(tables, live, strict=True)], form, registers
    )
    for f, table, norm in zip(live, tables, norms, strict=True):
        f.norm = norm
        parts.append(Part(f.file, table, norm, f.bureau))
    ctx = Context(
        form, registers, settings.deadline, settings.cutoff, settings.min_age_months, None
    )
    for f, judged in zip(live, validate_batch(parts, ctx), strict=True):
        refused = {p.cell for p in f.problems if p.row is not None}
        found = [p for p in judged if p.cell not in refused]
        f.problems.extend(found)
        problems.extend(found)
    timings["normalise_validate"] = time.perf_counter() - clock

    clock = time.perf_counter()
    prior = load_prior(settings, form, registers)
    rows = rows_of(live)
    rows = rank_rows(add_keys(rows, registers), history) if live else rows
    by_file = {f.file: f for f in live}
    decided = decisions.load_decisions(settings.decisions)
    if live:
        rows, matches, added = dispose(rows, prior, problems, form, by_file, decided)
    else:
        rows, matches, added = rows.assign(disposition=[]), pd.DataFrame(), []
    rows, found = packet.settle(files, rows, form, registers, packet_spec)
    added += found
    for p in added:
        by_file[p.file].problems.append(p)
    problems.extend(added)
    rows = attach_codes(rows, problems)
    timings["dedupe"] = time.perf_counter() - clock
    known = set(rows["key"]) | set(prior["key"]) if live else set(prior["key"])
    result = BatchResult(
        settings, form, registers, files, rows, problems, matches, prior, started, timings
    )
    result.unapplied = decisions.unapplied(decided, known)
    return result


# --- the nightly job ------------------------------------------------------------------------------


@dataclass
class RunReport:
    """What ``beian run`` tells the clerk: the result (None on a quiet night) and where it went."""

    settings: Settings
    result: BatchResult | None
    changed: bool
    outputs: list[Path]
    run_id: int
    counts: dict[str, int]
    timings: dict[str, float]


def run(settings: Settings, *, progress: Progress | None = None, wait: float = 5.0) -> RunReport:
    """The nightly job: lock, survey, consolidate when anything changed, write, record.

    Nothing is created before the inbox is known to exist; a place that cannot be written
    (a file where the outbox or the ledger's folder must be) stops the run before any work.
    """
    require_inbox(settings.inbox)
    try:
        settings.outbox.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_failure(exc, "输出文件夹") from exc
    lock = FileLock(f"{settings.ledger}.lock", timeout=wait)
    try:
        lock.acquire()
    except Timeout as exc:
        raise LockedError(
            f"另一个 beian run 正在处理（锁文件 {settings.ledger}.lock）。请等它结束后再运行；"
            "如确认没有其他运行，可删除该锁文件。"
        ) from exc
    except OSError as exc:
        raise write_failure(exc, "锁文件") from exc
    try:
        ledger = Ledger(settings.ledger)
        try:
            return _run_locked(settings, ledger, progress)
        finally:
            ledger.close()
    finally:
        lock.release()


def _run_locked(settings: Settings, ledger: Ledger, progress: Progress | None) -> RunReport:
    clock = time.perf_counter()
    known = ledger.known(settings.batch)
    files = survey(settings, known)
    inputs = input_fingerprint(settings, files)
    last = ledger.last_run(settings.batch)
    outputs = output_paths(settings)
    waiting = any(known[f.file].status == "deferred" for f in files if f.file in known)
    unchanged = last is not None and last["inputs"] == inputs and not waiting
    if unchanged and last is not None and all(p.exists() for p in outputs):
        started = dt.datetime.now().replace(microsecond=0)
        run_id = ledger.record_quiet(settings.batch, started, inputs, last["counts"])
        return RunReport(
            settings,
            None,
            False,
            outputs,
            run_id,
            last["counts"],
            {"survey": time.perf_counter() - clock},
        )
    batch = settings.batch
    result = consolidate(
        settings,
        files=files,
        received=ledger.first_seen(batch),
        progress=progress,
        history=ledger.row_history(batch),
    )
    clock = time.perf_counter()
    recorded: list[int] = []
    submissions = submissions_frame(result).to_dict("records")
    written = write_outputs(
        result, lambda: recorded.append(ledger.record(result, inputs, submissions))
    )
    result.timings["write"] = time.perf_counter() - clock
    run_id = recorded[0]
    return RunReport(settings, result, True, written, run_id, result.counts(), result.timings)
