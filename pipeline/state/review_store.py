"""The ledger's part of the province's review (SPEC §14): decisions and what each file held.

``reviews`` keeps every decision ever recorded (who, when, on which file); the latest per bureau
and space is the one in force. ``snapshots`` keeps, per file content, its rows (name key, the
fields as printed, disposition, codes) and its problems: the clerk reviews the spaces of each
bureau's current file, and a bureau's next file is compared with it (与上次相比). Both are
written only here, in the caller's transaction where there is one.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipeline.core.bureau import match_bureau
from pipeline.core.model import BatchResult, FileOutcome
from pipeline.core.schema import Registers
from pipeline.dedupe.match import name_key_of
from pipeline.dedupe.verdicts import RETURNED, ReviewLine
from pipeline.write.compare import compare_outcome, snapshot_problems, snapshot_rows

if TYPE_CHECKING:
    from pipeline.state.ledger import Ledger

SNAPSHOT_STATUSES = ("live", "rejected")


def remember(db: sqlite3.Connection, result: BatchResult, outcomes: list[FileOutcome]) -> None:
    """Keep what each judged Annex 3 file of a bureau held, as judged now (in ``db``'s
    transaction: the night's record and its snapshots stand or fall together)."""
    for f in outcomes:
        if f.status not in SNAPSHOT_STATUSES or f.bureau is None or not f.sha256:
            continue
        if any(p.code.startswith("F_ANNEX1") for p in f.problems):
            continue  # a refused Annex 1 form is not the bureau's Annex 3
        db.execute(
            "INSERT OR REPLACE INTO snapshots (batch, sha256, bureau, file, received, status, "
            "rows, problems) VALUES (?,?,?,?,?,?,?,?)",
            (
                result.settings.batch,
                f.sha256,
                f.bureau.name,
                f.file,
                (f.received or result.started).isoformat(sep=" "),
                f.status,
                json.dumps(snapshot_rows(result, f), ensure_ascii=False),
                json.dumps(snapshot_problems(result, f), ensure_ascii=False),
            ),
        )


SNAPSHOT_KEYS = ("sha256", "bureau", "file", "received", "status", "rows", "problems")


def _snapshot(row: tuple[Any, ...] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    found = dict(zip(SNAPSHOT_KEYS, row, strict=True))
    found["rows"], found["problems"] = json.loads(found["rows"]), json.loads(found["problems"])
    return found


def current_file(ledger: Ledger, batch: str, bureau: str) -> dict[str, Any] | None:
    """The bureau's live file as last judged (a night or an upload): its newest live snapshot."""
    return _snapshot(
        ledger.db.execute(
            f"SELECT {', '.join(SNAPSHOT_KEYS)} FROM snapshots WHERE batch = ? AND bureau = ? "
            "AND status = 'live' ORDER BY received DESC LIMIT 1",
            (batch, bureau),
        ).fetchone()
    )


def earlier_file(
    ledger: Ledger, batch: str, outcome: FileOutcome, started: dt.datetime
) -> dict[str, Any] | None:
    """The file of the same bureau received last before ``outcome`` (other content)."""
    if outcome.bureau is None or not outcome.sha256:
        return None
    received = (outcome.received or started).isoformat(sep=" ")
    return _snapshot(
        ledger.db.execute(
            f"SELECT {', '.join(SNAPSHOT_KEYS)} FROM snapshots WHERE batch = ? AND bureau = ? "
            "AND sha256 != ? AND received <= ? ORDER BY received DESC LIMIT 1",
            (batch, outcome.bureau.name, outcome.sha256, received),
        ).fetchone()
    )


def reviewable(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of a file the clerk may decide on: accepted, or already 退回 (rejected only so)."""
    return [
        r
        for r in snapshot["rows"]
        if r["disposition"] == "accepted"
        or (r["disposition"] == "rejected" and _only_returned(snapshot, r["key"]))
    ]


def _only_returned(snapshot: dict[str, Any], key: str) -> bool:
    errors = {
        p["code"] for p in snapshot["problems"] if p["key"] == key and p["severity"] == "error"
    }
    return errors == {"E_RETURNED"}


def current_reviews(ledger: Ledger, batch: str) -> pd.DataFrame:
    """The decision in force per bureau and space: the latest recorded."""
    return pd.read_sql_query(
        "SELECT bureau, key, name, verdict, reason, sha256, who, time FROM reviews r "
        "WHERE batch = ? AND id = (SELECT MAX(id) FROM reviews s WHERE s.batch = r.batch "
        "AND s.bureau = r.bureau AND s.key = r.key) ORDER BY id",
        ledger.db,
        params=(batch,),
    )


def record_reviews(
    ledger: Ledger, batch: str, lines: list[ReviewLine], who: str, registers: Registers
) -> list[ReviewLine]:
    """Record every line that names an accepted space of its bureau's current file, in one
    transaction; return every line not recorded, each with its reason."""
    now = dt.datetime.now().isoformat(sep=" ", timespec="seconds")
    refused, taken = [], []
    files: dict[str, dict[str, Any] | None] = {}
    for line in lines:
        if line.refused:
            refused.append(line)
            continue
        bureau = match_bureau(line.bureau, registers)
        if bureau is None:
            refused.append(line._replace(refused=f"推荐单位“{line.bureau}”不在名录中"))
            continue
        if bureau.name not in files:
            files[bureau.name] = current_file(ledger, batch, bureau.name)
        current = files[bureau.name]
        key = name_key_of(line.name, registers.province)
        if current is None or key not in {r["key"] for r in reviewable(current)}:
            where = f"{bureau.name}现用文件" if current else f"{bureau.name}（尚无受理的文件）"
            refused.append(line._replace(refused=f"“{line.name}”不是{where}中受理的众创空间"))
            continue
        taken.append((bureau.name, line, key, current["sha256"]))
    with ledger.transaction() as db:
        db.executemany(
            "INSERT INTO reviews (batch, bureau, name, key, verdict, reason, sha256, who, time) "
            "VALUES (?,?,?,?,?,?,?,?,?)",
            [
                (batch, b, line.name, key, line.verdict, line.reason, sha, who, now)
                for b, line, key, sha in taken
            ],
        )
    return refused


def returned_rows(ledger: Ledger, batch: str, bureau: str) -> list[dict[str, Any]]:
    """The bureau's spaces 退回 on its current file: name, reason, when (its site page)."""
    current = current_file(ledger, batch, bureau)
    if current is None:
        return []
    reviews = current_reviews(ledger, batch)
    mine = reviews[
        (reviews["bureau"] == bureau)
        & (reviews["verdict"] == RETURNED)
        & (reviews["sha256"] == current["sha256"])
    ]
    return mine[["name", "reason", "time"]].to_dict("records")


def attach_comparisons(ledger: Ledger, result: BatchResult) -> None:
    """与上次相比 for every judged Annex 3 file of a bureau that replaces an earlier one."""
    for f in result.files:
        if f.status in SNAPSHOT_STATUSES and f.bureau is not None:
            earlier = earlier_file(ledger, result.settings.batch, f, result.started)
            if earlier is not None:
                result.comparisons[f.file] = compare_outcome(result, f, earlier)


def reviews_mark(ledger: Ledger, batch: str) -> str:
    """A fingerprint of the batch's decisions: a new one makes the night recompute."""
    count, last = ledger.db.execute(
        "SELECT COUNT(*), MAX(id) FROM reviews WHERE batch = ?", (batch,)
    ).fetchone()
    return f"{count}:{last}"
