"""The intake site's state: settings, the ledger's site tables, uploads judged in turn, runs.

Everything the pages and the JSON API do goes through a :class:`Site`. Each call opens its own
ledger connection (SQLite connections stay in their thread). Uploads wait in one queue; whoever
holds the judging lock takes every waiting upload of distinct bureaus and judges them in one
consolidation (:func:`pipeline.intake.judge`), so twenty bureaus uploading at once cost a few
consolidations, not twenty.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from pipeline.core.config import Settings
from pipeline.core.errors import BeianError
from pipeline.core.model import DISPOSITIONS
from pipeline.core.problems import problem
from pipeline.core.schema import Bureau, Registers, load_registers
from pipeline.intake import Upload, Verdict, judge
from pipeline.read.ocr import SCAN_SUFFIXES
from pipeline.read.readcache import keep_reads
from pipeline.state.accounts import Account, lookup, verify
from pipeline.state.ledger import Ledger
from pipeline.state.status import batch_status
from pipeline.web.jobs import Jobs
from pipeline.write.publish import output_paths

MAX_UPLOAD = 20 * 1024 * 1024
STAGING = ".beian-uploads"
"""Folder inside the inbox where uploads wait to be judged (hidden: the nightly scan skips it)."""
RECEIPTS = "网上报送回执"
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".txt"}
SUFFIXES = WORKBOOK_SUFFIXES | {".docx", ".doc", ".wps"} | SCAN_SUFFIXES
"""Kept on a stored upload's generated name: workbooks, Annex 1 forms in Word, and forms printed
to PDF or scanned (the clerk opens them from the inbox by their suffix)."""
AUDIT_SHOWN = 500
ORIGINAL_KEPT = 255
"""Characters of an uploaded file's original name kept in the ledger (it is shown, never a path)."""


def site_key(ledger: Ledger) -> str:
    """The cookie-signing key: made once, kept in the ledger (never in the repository)."""
    row = ledger.db.execute("SELECT value FROM site WHERE key = 'secret'").fetchone()
    if row:
        return str(row[0])
    with ledger.transaction() as db:
        db.execute(
            "INSERT OR IGNORE INTO site (key, value) VALUES ('secret', ?)",
            (secrets.token_urlsafe(48),),
        )
    return str(ledger.db.execute("SELECT value FROM site WHERE key = 'secret'").fetchone()[0])


def stored_suffix(original: str) -> str:
    """The extension kept on the generated name: a known spreadsheet one, else ``.dat``."""
    match = re.search(r"\.[A-Za-z0-9]{1,5}$", original)
    suffix = match.group(0).lower() if match else ""
    return suffix if suffix in SUFFIXES else ".dat"


class Site:
    """One running site over one batch."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.registers: Registers = load_registers(settings.form.parent)
        # Beside the batch folder, not in it: the nightly run clears temporary files there.
        self.receipts = settings.outbox / RECEIPTS / settings.batch
        self.staging = settings.inbox / STAGING
        with self.ledger() as ledger:
            self.key = site_key(ledger)
        self.jobs = Jobs(settings)
        keep_reads()  # judge each upload without reading the rest of the inbox again
        self._judging = threading.Lock()
        self._queue: list[tuple[Upload, Future[Verdict]]] = []
        self._queue_lock = threading.Lock()
        self._in_flight: Counter[str] = Counter()
        self._last_arrival = 0

    @contextmanager
    def ledger(self) -> Iterator[Ledger]:
        ledger = Ledger(self.settings.ledger)
        try:
            yield ledger
        finally:
            ledger.close()

    def sign_in(self, code: str) -> Account | None:
        with self.ledger() as ledger:
            return verify(ledger, code)

    def account(self, name: str, issued: str) -> Account | None:
        """The account of a session, if its code has not been reset since."""
        with self.ledger() as ledger:
            found = lookup(ledger, name)
        return found if found is not None and found.issued == issued else None

    def end_session(self, sid: str, until: float) -> None:
        """Keep a signed-out session ended until its cookie would have expired (and forget the
        ones past that)."""
        with self.ledger() as ledger, ledger.transaction() as db:
            db.execute("DELETE FROM ended_sessions WHERE until < ?", (time.time(),))
            db.execute(
                "INSERT OR IGNORE INTO ended_sessions (sid, until) VALUES (?, ?)", (sid, until)
            )

    def session_ended(self, sid: str) -> bool:
        with self.ledger() as ledger:
            found = ledger.db.execute("SELECT 1 FROM ended_sessions WHERE sid = ?", (sid,))
            return found.fetchone() is not None

    def audit(
        self,
        account: str,
        address: str,
        action: str,
        outcome: str,
        original: str = "",
        sha256: str = "",
    ) -> None:
        now = dt.datetime.now().isoformat(sep=" ", timespec="seconds")
        with self.ledger() as ledger, ledger.transaction() as db:
            db.execute(
                "INSERT INTO audit (time, account, address, action, original, sha256, outcome) "
                "VALUES (?,?,?,?,?,?,?)",
                (now, account, address, action, original, sha256, outcome),
            )

    def audit_log(self) -> list[dict[str, Any]]:
        keys = ("time", "account", "address", "action", "original", "sha256", "outcome")
        with self.ledger() as ledger:
            rows = ledger.db.execute(
                f"SELECT {', '.join(keys)} FROM audit ORDER BY id DESC LIMIT ?", (AUDIT_SHOWN,)
            ).fetchall()
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def bureau(self, account: Account) -> Bureau:
        found = self.registers.bureau_named(account.name)
        assert found is not None, account.name
        return found

    @contextmanager
    def upload_slot(self, bureau: str) -> Iterator[bool]:
        """Hold one of the bureau's uploads for today while it is received and judged: yields
        False when ``[site] uploads_per_day`` are used up (in the ledger or in flight)."""
        midnight = dt.datetime.combine(dt.date.today(), dt.time()).isoformat(sep=" ")
        with self.ledger() as ledger:
            done = ledger.db.execute(
                "SELECT COUNT(*) FROM uploads WHERE bureau = ? AND received >= ?",
                (bureau, midnight),
            ).fetchone()[0]
        with self._queue_lock:
            used = done + self._in_flight[bureau]
            free = used < self.settings.uploads_per_day
            if free:
                self._in_flight[bureau] += 1
        try:
            yield free
        finally:
            if free:
                with self._queue_lock:
                    self._in_flight[bureau] -= 1

    def stage(self, account: Account, original: str, source: IO[bytes]) -> Upload:
        """Copy an uploaded body to the staging folder under a generated name, hashing it."""
        bureau = self.bureau(account)
        original = original[:ORIGINAL_KEPT]
        upload_id = secrets.token_hex(8)
        now = dt.datetime.now()
        suffix = stored_suffix(original)
        self.staging.mkdir(parents=True, exist_ok=True)
        staged = self.staging / f"{upload_id}{suffix}"
        digest = hashlib.sha256()
        size = 0
        with staged.open("xb") as out:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        name = f"网上报送-{now:%Y%m%d-%H%M%S}-{upload_id[:6]}{suffix}"
        return Upload(
            upload_id,
            bureau,
            f"{bureau.name}/{name}",
            staged,
            original,
            digest.hexdigest(),
            size,
            now,
        )

    def receive(self, upload: Upload) -> Verdict:
        """Judge an upload (with whatever else is waiting), record it, and answer."""
        future: Future[Verdict] = Future()
        with self._queue_lock:
            self._arrived(upload)
            self._queue.append((upload, future))
        while not future.done():
            with self._judging:
                if future.done():
                    break
                self._judge_waiting()
        return future.result()

    def _arrived(self, upload: Upload) -> None:
        """Stamp the upload received as it joins the queue (under the queue's lock), to the
        microsecond and strictly after the one before: an upload judged later then never ranks
        before one already answered, not even within the same second. Its staged file is given
        the very same modification time, so the night, which bounds a received time by the
        file's (pipeline/core/received.py), reads the same instant."""
        micros = max(time.time_ns() // 1000, self._last_arrival + 1)
        self._last_arrival = micros
        os.utime(upload.staged, ns=(micros * 1000, micros * 1000))
        upload.received = dt.datetime.fromtimestamp(upload.staged.stat().st_mtime)

    def _judge_waiting(self) -> None:
        with self._queue_lock:
            taken: list[tuple[Upload, Future[Verdict]]] = []
            bureaus: set[str] = set()
            for item in self._queue:
                if item[0].bureau.code not in bureaus:
                    bureaus.add(item[0].bureau.code)
                    taken.append(item)
            self._queue = [item for item in self._queue if item not in taken]
        uploads = [u for u, _ in taken]
        try:
            with self.ledger() as ledger:
                verdicts = judge(self.settings, ledger, uploads, self.receipts)
                self._record(ledger, verdicts)
        except Exception as exc:  # a file that breaks the judging is refused, never a 500
            for upload, future in taken:
                if not future.done():
                    future.set_result(self._unreadable(upload, exc))
            return
        for (_, future), verdict in zip(taken, verdicts, strict=True):
            future.set_result(verdict)

    def _unreadable(self, upload: Upload, exc: Exception) -> Verdict:
        upload.staged.unlink(missing_ok=True)
        found = problem("F_UNREADABLE", file=upload.file, detail=type(exc).__name__)
        verdict = Verdict(upload, "rejected", dict.fromkeys(DISPOSITIONS, 0), [found])
        with self.ledger() as ledger:
            self._record(ledger, [verdict])
        return verdict

    def _record(self, ledger: Ledger, verdicts: list[Verdict]) -> None:
        with ledger.transaction() as db:
            for v in verdicts:
                u = v.upload
                result = {**v.as_json(), "grids": v.sheets, "compare": v.compare}
                db.execute(
                    "INSERT INTO uploads (id, batch, bureau, path, original, sha256, size, "
                    "received, status, result) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        u.id,
                        self.settings.batch,
                        u.bureau.name,
                        u.file,
                        u.original,
                        u.sha256,
                        u.size,
                        u.received.isoformat(sep=" "),
                        v.status,
                        json.dumps(result, ensure_ascii=False, default=str),
                    ),
                )

    def uploads(self, bureau: str | None = None) -> list[dict[str, Any]]:
        """Uploads of this batch, newest first (one bureau's, or all); the newest accepted file
        of each bureau is marked live, unless a consolidation since took another file of that
        bureau (sent another way, into the inbox): then that file is live, not the upload."""
        keys = ("id", "bureau", "path", "original", "sha256", "size", "received", "status")
        query = f"SELECT {', '.join(keys)}, result FROM uploads WHERE batch = ?"
        params: tuple[str, ...] = (self.settings.batch,)
        if bureau is not None:
            query += " AND bureau = ?"
            params += (bureau,)
        with self.ledger() as ledger:
            rows = ledger.db.execute(query + " ORDER BY received DESC", params).fetchall()
        started, nightly = self.nightly()
        found, seen = [], set()
        for row in rows:
            item = dict(zip(keys, row[:-1], strict=True))
            item["counts"] = json.loads(row[-1])["counts"]
            taken = nightly.get(item["bureau"], {}).get("file", "")
            replaced = started > item["received"] and taken != item["path"]
            item["live"] = item["status"] == "live" and item["bureau"] not in seen and not replaced
            if item["status"] == "live":
                seen.add(item["bureau"])
            found.append(item)
        return found

    def upload(self, upload_id: str, bureau: str | None) -> dict[str, Any] | None:
        """One upload with its judged result; None when it is not this bureau's (or unknown)."""
        with self.ledger() as ledger:
            row = ledger.db.execute(
                "SELECT bureau, result, received FROM uploads WHERE id = ? AND batch = ?",
                (upload_id, self.settings.batch),
            ).fetchone()
        if row is None or (bureau is not None and row[0] != bureau):
            return None
        return {**json.loads(row[1]), "received": row[2]}

    def receipt(self, upload_id: str) -> Path:
        return self.receipts / f"{upload_id}.xlsx"

    def days_left(self, today: dt.date | None = None) -> int:
        return (self.settings.deadline - (today or dt.date.today())).days

    def nightly(self) -> tuple[str, dict[str, dict[str, str]]]:
        """When the latest consolidation ran ("" when none did) and, per bureau, its line: the
        file it took ("" when none) and its state (已报送, 等待下次汇总 for a file still being
        copied, 文件未通过, 未报送)."""
        try:
            found = batch_status(self.settings)
        except BeianError:
            return "", {}
        lines = {
            r["推荐单位"]: {"file": r["采用文件"] or "", "state": r["状态"]}
            for r in found.table.fillna("").to_dict("records")
        }
        return found.run_started, lines

    def status(self) -> list[dict[str, Any]]:
        """报送情况: every registered bureau, missing ones first — submitted when it has a live
        upload or the latest consolidation took a file of it (sent by other means)."""
        _, nightly = self.nightly()
        latest: dict[str, dict[str, Any]] = {}
        live: dict[str, dict[str, Any]] = {}
        for item in self.uploads():
            latest.setdefault(item["bureau"], item)
            if item["live"]:
                live[item["bureau"]] = item
        table = []
        for b in self.registers.bureaus:
            current = live.get(b.name)
            last = latest.get(b.name)
            night = nightly.get(b.name, {"file": "", "state": ""})
            table.append(
                {
                    "bureau": b.name,
                    "submitted": current is not None or bool(night["file"]),
                    "nightly_file": night["file"],
                    "nightly_state": night["state"],
                    "file": current["original"] if current else "",
                    "received": current["received"] if current else "",
                    "last_upload": last["received"] if last else "",
                    "last_status": last["status"] if last else "",
                    "counts": current["counts"] if current else dict.fromkeys(DISPOSITIONS, 0),
                }
            )
        return sorted(table, key=lambda r: r["submitted"])

    def outputs(self) -> list[Path]:
        """The latest consolidated outputs that exist, by the nightly run's own list."""
        return [p for p in output_paths(self.settings) if p.is_file()]

    def clear_staging(self) -> None:
        """Uploads left half-staged by a stopped server are not kept."""
        shutil.rmtree(self.staging, ignore_errors=True)
