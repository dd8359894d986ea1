"""The nightly consolidation, stage by stage: scan, read, normalise, validate, dedupe, dispose.

``consolidate_batch`` is pure with respect to the outbox: it reads the inbox and the prior batches
and returns a :class:`BatchResult`; ``run`` adds the lock, the ledger and the writers. Every data
row of every live file ends in exactly one disposition here, and every report is written from this
one result, so the counts agree everywhere. This module only wires the stages together."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.core.config import Settings
from pipeline.core.model import BatchResult, FileOutcome, batch_problems, record
from pipeline.core.packet_spec import load_packet
from pipeline.core.schema import load_form, load_registers
from pipeline.dedupe import decisions
from pipeline.dedupe.dispose import attach_codes, dispose_rows
from pipeline.dedupe.match import prior_batches
from pipeline.dedupe.verdicts import apply_reviews
from pipeline.packet import assemble as packet
from pipeline.packet.claim import claim
from pipeline.read.sandbox import caps
from pipeline.rules.judged import judge_sheets
from pipeline.rules.validate import Context
from pipeline.state import review_store
from pipeline.state.inbox import read_pending, survey
from pipeline.state.ledger import Ledger
from pipeline.state.lock import locked_ledger
from pipeline.state.setups import refuse_prior_in_batch
from pipeline.write.publish import input_fingerprint, output_paths, write_outputs
from pipeline.write.report import submissions_frame

Progress = Callable[[str, int], None]
"""Called before each file is read, with its inbox path and how many files are to be read."""


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    clock = time.perf_counter()
    yield
    timings[stage] = time.perf_counter() - clock


def consolidate_batch(
    settings: Settings,
    *,
    files: list[FileOutcome] | None = None,
    received: dict[str, dt.datetime] | None = None,
    progress: Progress | None = None,
    history: pd.DataFrame | None = None,
    reviews: pd.DataFrame | None = None,
) -> BatchResult:
    """Read, check and consolidate the inbox; no output is written here.

    ``received`` maps a file's SHA-256 to when the ledger first saw it; files it does not know are
    first seen now. Either is bounded by the file's modification time (pipeline/received.py).
    ``history`` (from the ledger) says when each bureau first sent each space; ``reviews`` holds
    the province's decision in force per space (pipeline/dedupe/verdicts.py).
    """
    started = dt.datetime.now().replace(microsecond=0)
    timings: dict[str, float] = {}
    form, registers = load_form(settings.form), load_registers(settings.form.parent)
    packet_spec, received, limits = load_packet(settings.form), received or {}, caps(settings)
    with _timed(timings, "read"):
        files = survey(settings) if files is None else files
        unread = [f for f in files if not f.status]
        claim(unread, packet_spec, registers, received, started, limits, form)
        live = read_pending(
            files,
            form=form,
            registers=registers,
            limits=limits,
            received=received,
            started=started,
            progress=progress,
        )
    with _timed(timings, "normalise_validate"):
        sheets = [(f, t) for f in live for t in f.tables]  # a Part per sheet of every file
        ctx = Context(
            form, registers, settings.deadline, settings.cutoff, settings.min_age_months, None
        )
        norms, failures = judge_sheets(sheets, ctx)
        for f in live:
            f.norms = [n for (owner, _), n in zip(sheets, norms, strict=True) if owner is f]
        judged = iter(failures)
        for f in live:
            refused = {(p.sheet, p.cell) for p in f.problems if p.row is not None}  # the reader's
            for found in (next(judged) for _ in f.tables):
                f.problems.extend(p for p in found if (p.sheet, p.cell) not in refused)
    with _timed(timings, "dedupe"):
        prior = prior_batches(settings, form, registers)
        decided = decisions.load_decisions(settings.decisions, registers.province)
        rows, matches = dispose_rows(
            live, prior=prior, form=form, registers=registers, decided=decided, history=history
        )
        rows, found = packet.settle(files, rows, form, registers, packet_spec)
        record(live, found)
        rows, returned = apply_reviews(rows, reviews, files, form)
        record(live, returned)
        rows = attach_codes(rows, batch_problems(live))
    result = BatchResult(
        settings, form, registers, files, rows, matches, prior, started, timings, packet=packet_spec
    )
    known = set(rows["key"]) | set(prior["key"]) if live else set(prior["key"])
    result.unapplied = decisions.unapplied(decided, known, registers.province)
    return result


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


def run(
    settings: Settings, *, progress: Progress | None = None, wait: float = 5.0, holder: str = ""
) -> RunReport:
    """The nightly job: lock, survey, consolidate when anything changed, write, record.
    ``holder`` names this run to another that finds the lock held (default: a ``beian run``)."""
    with locked_ledger(settings, wait=wait, holder=holder) as ledger:
        return _run_locked(settings=settings, ledger=ledger, progress=progress)


def _run_locked(*, settings: Settings, ledger: Ledger, progress: Progress | None) -> RunReport:
    """Consolidate and publish unless nothing changed since the last run (a quiet night)."""
    clock = time.perf_counter()
    batch = settings.batch
    known = ledger.known(batch)
    files = survey(settings, known)
    refuse_prior_in_batch(settings, files)
    inputs, last = input_fingerprint(settings, files), ledger.last_run(batch)
    inputs["reviews"] = review_store.reviews_mark(ledger, batch)
    outputs = output_paths(settings)
    waiting = any(known[f.file].status == "deferred" for f in files if f.file in known)
    unchanged = last is not None and last["inputs"] == inputs and not waiting
    if last is not None and unchanged and all(p.exists() for p in outputs):
        started = dt.datetime.now().replace(microsecond=0)
        run_id = ledger.record_quiet(batch, started, inputs, last["counts"])
        timings = {"survey": time.perf_counter() - clock}
        return RunReport(settings, None, False, outputs, run_id, last["counts"], timings)
    result = consolidate_batch(
        settings,
        files=files,
        received=ledger.first_seen(batch),
        progress=progress,
        history=ledger.row_history(batch),
        reviews=review_store.current_reviews(ledger, batch),
    )
    review_store.attach_comparisons(ledger, result)
    recorded: list[int] = []
    submissions = submissions_frame(result).to_dict("records")
    with _timed(result.timings, "write"):
        written = write_outputs(
            result,
            lambda: recorded.append(
                ledger.record(
                    result,
                    inputs,
                    submissions,
                    lambda db: review_store.remember(db, result, result.files),
                )
            ),
        )
    return RunReport(settings, result, True, written, recorded[0], result.counts(), result.timings)
