"""Normalise and validate the sheets of a batch, keeping each sheet's judgement between
consolidations in a process that lives on (the intake site, with :mod:`pipeline.read.readcache` on).

Both steps judge each row on its own, with its file's bureau and the batch's dates: a sheet's
canonical rows and rule failures depend on nothing but its content, its inbox name, its bureau,
the form, the registers and those dates. So they are kept under a digest of exactly those, as the
steps left them (pickled, a fresh copy on each use), and only the sheets not seen before are
judged — in one batch, as before. Cross-file judgement (duplicates, packets) is never kept.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Sequence

import pandas as pd

from pipeline.core.model import FileOutcome, SheetTable
from pipeline.core.problems import Problem
from pipeline.read.readcache import ReadCache
from pipeline.rules.normalise import normalise_batch
from pipeline.rules.validate import Context, Part, validate_batch

judgements = ReadCache()
"""Kept judgements, on and off with the reads (:func:`pipeline.read.readcache.keep_reads`)."""


def sheet_keys(sheets: Sequence[tuple[FileOutcome, SheetTable]], ctx: Context) -> list[str | None]:
    """The key of each sheet's judgement; None when nothing is kept (or its content is unknown)."""
    if not judgements.on:
        return [None] * len(sheets)
    batch = hashlib.sha256(
        pickle.dumps(
            (ctx.form, ctx.registers, ctx.deadline, ctx.cutoff, ctx.min_age_months, ctx.bureau)
        )
    ).digest()
    keys: list[str | None] = []
    for f, t in sheets:
        if not f.sha256:
            keys.append(None)
            continue
        bureau = f.bureau.code if f.bureau else ""
        mine = pickle.dumps((f.sha256, f.file, t.sheet, bureau))
        keys.append(hashlib.sha256(batch + mine).hexdigest())
    return keys


def judge_sheets(
    sheets: Sequence[tuple[FileOutcome, SheetTable]], ctx: Context
) -> tuple[list[pd.DataFrame], list[list[Problem]]]:
    """Each sheet's normalised rows and rule failures, in ``sheets`` order (kept ones reused)."""
    keys = sheet_keys(sheets, ctx)
    found: list[tuple[pd.DataFrame, list[Problem]] | None] = []
    for key in keys:
        kept, value = judgements.get(key)
        found.append(value if kept else None)
    todo = [i for i, value in enumerate(found) if value is None]
    norms = normalise_batch(
        [(sheets[i][1].frame, sheets[i][0].bureau) for i in todo], ctx.form, ctx.registers
    )
    parts = [
        Part(sheets[i][0].file, sheets[i][1], norm, sheets[i][0].bureau)
        for i, norm in zip(todo, norms, strict=True)
    ]
    for i, norm, problems in zip(todo, norms, validate_batch(parts, ctx), strict=True):
        judgements.put(keys[i], (norm, problems))
        found[i] = (norm, problems)
    done = [value for value in found if value is not None]
    return [norm for norm, _ in done], [problems for _, problems in done]
