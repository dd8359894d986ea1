"""Judge uploaded files at once, in the context of the batch as it stands (SPEC §11).

An upload is judged by the nightly consolidation itself (:func:`pipeline.run.consolidate_batch`),
not a copy of it: the inbox is surveyed as the nightly run would, the upload joins it as its
bureau's newest submission, and every rule applies — the checks, duplicates within the file, against
the prior batches, against the rows other bureaus have sent so far, and the clerk's decisions.
Several uploads of different bureaus that arrive together are judged in one consolidation.

The upload is read from a staging path outside the scanned inbox under the inbox path it will
have; only when its stamp line agrees with the bureau that signed in is it moved into
``inbox/<bureau>/`` (a bureau cannot replace another bureau's submission).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.cells import cell_address
from pipeline.core.config import Settings
from pipeline.core.model import DISPOSITIONS, BatchResult, FileOutcome, FileStatus, SheetTable
from pipeline.core.problems import Problem, problem
from pipeline.core.schema import Bureau
from pipeline.core.values import cell_text
from pipeline.run import consolidate_batch
from pipeline.state import review_store
from pipeline.state.inbox import survey
from pipeline.state.ledger import Ledger
from pipeline.write.feedback import file_counts, write_feedback
from pipeline.write.marked import cell_marks, comment_text

GRID_ROWS = 1000
"""Rows of the bureau's own sheet shown on the page (the 回执 holds them all)."""
GRID_TEXT = 200
"""Characters of one cell shown on the page."""


@dataclass
class Upload:
    """One file a bureau sent through the site, staged and fingerprinted, not yet in the inbox."""

    id: str
    bureau: Bureau
    file: str
    staged: Path
    original: str
    sha256: str
    size: int
    received: dt.datetime


@dataclass
class Verdict:
    """What the site answers about one upload."""

    upload: Upload
    status: str
    counts: dict[str, int]
    problems: list[Problem]
    sheets: list[dict[str, Any]] = field(default_factory=list)
    """Each sheet read, in workbook order: its name and its marked grid (the page shows each;
    the JSON answer keeps SPEC §11's keys, each problem naming its sheet)."""
    compare: dict[str, Any] | None = None
    """与上次相比 when the upload replaces the bureau's earlier file (pipeline/write/compare.py)."""

    @property
    def stray(self) -> bool:
        """Stamped for another bureau than the one that signed in: kept out of the inbox."""
        return any(p.code == "F_BUREAU_MISMATCH" for p in self.problems)

    def as_json(self) -> dict[str, Any]:
        """The SPEC §11 answer (without the receipt link, which the web layer adds)."""
        return {
            "id": self.upload.id,
            "file": self.upload.original,
            "bureau": self.upload.bureau.name,
            "status": self.status,
            "counts": self.counts,
            "problems": [
                {
                    key: getattr(p, key)
                    for key in (
                        "sheet",
                        "cell",
                        "column",
                        "value",
                        "code",
                        "severity",
                        "message",
                        "hint",
                    )
                }
                for p in self.problems
            ],
        }


def received_times(
    ledger: Ledger, settings: Settings, uploads: list[Upload]
) -> dict[str, dt.datetime]:
    """When the ledger first saw each content, the uploads included (received now); the
    consolidation bounds each by its file's modification time (pipeline/received.py), as the
    night does, so a file copied into the inbox last week stays older than this upload."""
    received = ledger.first_seen(settings.batch)
    for u in uploads:
        received[u.sha256] = min(received.get(u.sha256, u.received), u.received)
    return received


def _outcome(upload: Upload) -> FileOutcome:
    stat = upload.staged.stat()
    return FileOutcome(
        file=upload.file,
        path=upload.staged,
        status=FileStatus.UNJUDGED,
        size=upload.size,
        mtime=stat.st_mtime,
        sha256=upload.sha256,
    )


def consolidate_with(settings: Settings, ledger: Ledger, uploads: list[Upload]) -> BatchResult:
    """The nightly consolidation of the inbox as it stands, plus the uploads."""
    files = survey(settings, ledger.known(settings.batch))
    taken = {u.file for u in uploads}
    files = [f for f in files if f.file not in taken] + [_outcome(u) for u in uploads]
    received = received_times(ledger, settings, uploads)
    result = consolidate_batch(
        settings,
        files=files,
        received=received,
        history=ledger.row_history(settings.batch),
        reviews=review_store.current_reviews(ledger, settings.batch),
    )
    review_store.attach_comparisons(ledger, result)
    return result


def mismatch(upload: Upload, outcome: FileOutcome) -> Problem | None:
    """F_BUREAU_MISMATCH when the file's stamp line names another bureau than the signed-in one."""
    if outcome.bureau is None or outcome.bureau.code == upload.bureau.code:
        return None
    return problem(
        "F_BUREAU_MISMATCH",
        file=upload.file,
        stamped=outcome.bureau.name,
        bureau=upload.bureau.name,
    )


def grid_of(table: SheetTable, problems: list[Problem]) -> list[list[dict[str, str]]]:
    """The bureau's sheet as read, cell by cell: text, mark (error/warning) and why."""
    marks = cell_marks([p for p in problems if p.sheet == table.sheet])
    width = max((len(r) for r in table.grid[:GRID_ROWS]), default=0)
    grid = []
    for r, values in enumerate(table.grid[:GRID_ROWS]):
        line = []
        for c in range(width):
            value = values[c] if c < len(values) else None
            text = cell_text(value)
            cell = cell_address(r + 1, c)
            found = marks.get(cell, [])
            mark = "error" if any(p.severity == "error" for p in found) else "warning"
            line.append(
                {
                    "cell": cell,
                    "text": text[:GRID_TEXT],
                    "mark": mark if found else "",
                    "why": comment_text(found) if found else "",
                }
            )
        grid.append(line)
    return grid


def verdict_of(result: BatchResult, upload: Upload) -> Verdict:
    """The upload's status, counts, problems and marked grid in a judged batch."""
    outcome = next(f for f in result.files if f.file == upload.file)
    wrong = mismatch(upload, outcome)
    if wrong is not None:
        outcome.problems.insert(0, wrong)
        outcome.status = FileStatus.REJECTED
        if len(result.rows):
            result.rows = result.rows[result.rows["file"] != upload.file]
    # The site wrote the file itself, whole: an unreadable upload is refused, not deferred.
    if outcome.status == FileStatus.DEFERRED:
        outcome.status = FileStatus.REJECTED
    status = outcome.status
    counts = file_counts(result, outcome) if status == "live" else dict.fromkeys(DISPOSITIONS, 0)
    found = list(outcome.problems) + (packet_problems(result, upload) if status == "annex1" else [])
    views = [{"sheet": t.sheet, "grid": grid_of(t, outcome.problems)} for t in outcome.tables]
    compared = result.comparisons.get(upload.file) if status == "live" else None
    shown = None if compared is None else {"summary": compared.summary(), "lines": compared.lines}
    return Verdict(upload, status, counts, found, views, shown)


def packet_problems(result: BatchResult, upload: Upload) -> list[Problem]:
    """For an uploaded Annex 1 form: the W_ANNEX problems now standing on the bureau's live
    Annex 3 rows (a mismatch is reported at the row's cell, not in the form)."""
    live = {f.file for f in result.files if f.status == "live" and f.bureau == upload.bureau}
    return [
        p for p in result.problems if p.file in live and p.code.startswith(("W_ANNEX1", "W_ANNEX2"))
    ]


def judge(
    settings: Settings, ledger: Ledger, uploads: list[Upload], receipts: Path
) -> list[Verdict]:
    """Judge uploads of distinct bureaus together, write each 回执, and move each accepted file
    into the inbox. A file stamped for another bureau stays out, and the rest are judged again
    without it, so it cannot have stood in for that bureau's submission."""
    result = consolidate_with(settings, ledger, uploads)
    verdicts = {u.id: verdict_of(result, u) for u in uploads}
    strays = [u for u in uploads if verdicts[u.id].stray]
    rest = [u for u in uploads if u not in strays]
    if strays and rest:
        result = consolidate_with(settings, ledger, rest)
        verdicts.update({u.id: verdict_of(result, u) for u in rest})
    receipts.mkdir(parents=True, exist_ok=True)
    for upload in uploads:
        outcome = next(f for f in result.files if f.file == upload.file) if upload in rest else None
        if outcome is not None:
            write_feedback(result, outcome, receipts / f"{upload.id}.xlsx")
            store(settings, upload)
            with ledger.transaction() as db:
                review_store.remember(db, result, [outcome])
        else:
            write_stray_receipt(settings, upload, receipts)
    return [verdicts[u.id] for u in uploads]


def write_stray_receipt(settings: Settings, upload: Upload, receipts: Path) -> None:
    """The 回执 of a file stamped for another bureau, judged on its own, then the staged copy is
    discarded (it never enters the inbox)."""
    result = consolidate_batch(
        settings, files=[_outcome(upload)], received={upload.sha256: upload.received}
    )
    outcome = result.files[0]
    wrong = mismatch(upload, outcome)
    if wrong is not None:
        outcome.problems.insert(0, wrong)
    outcome.status = FileStatus.REJECTED
    result.rows = result.rows.iloc[0:0]
    write_feedback(result, outcome, receipts / f"{upload.id}.xlsx")
    upload.staged.unlink(missing_ok=True)


def store(settings: Settings, upload: Upload) -> Path:
    """Move the staged file to its inbox path; a name already taken is never overwritten."""
    target = settings.inbox / upload.file
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise FileExistsError(target)
    os.replace(upload.staged, target)
    return target
