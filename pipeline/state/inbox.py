"""The inbox: which files are submissions, which are deferred, ignored, superseded.

Scanning never follows a link out of the inbox; fingerprints (size, time, SHA-256) let an unchanged
file skip hashing; one live submission per bureau is chosen here (F_UNSAFE, F_BUREAU_UNKNOWN are
raised here).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.core.bureau import identify_bureau
from pipeline.core.config import Settings
from pipeline.core.model import RECEIPT_SUFFIX, FileOutcome, FileStatus, ReadResult
from pipeline.core.problems import problem
from pipeline.core.received import order_key, stamp_received
from pipeline.core.schema import FormSpec, Registers
from pipeline.read.archives import open_archives
from pipeline.read.sandbox import Caps, read_files
from pipeline.state.ledger import Seen
from pipeline.state.setups import require_inbox, sha256_of

DEFER_SECONDS = 10 * 60
_IGNORED_PREFIXES = ("~$", ".~lock.", ".", "~")


def ignored_reason(name: str) -> str:
    """Why a file is not a submission, or ``""``: lock files of Excel, WPS and LibreOffice,
    hidden files and the receipts ``beian check`` writes beside a checked file. Documents are
    not ignored here: they may be Annex 1 forms or Annex 2 documents
    (:mod:`pipeline.packet.assemble`)."""
    if name.startswith(_IGNORED_PREFIXES) or name.lower() in {"thumbs.db", "desktop.ini"}:
        return "临时文件或隐藏文件"
    if Path(name).stem.endswith(RECEIPT_SUFFIX):
        return "beian check 生成的回执"
    return ""


def scan_inbox(inbox: Path) -> list[FileOutcome]:
    """Every file below the inbox, in path order. Links pointing outside are never followed."""
    require_inbox(inbox)
    root = inbox.resolve()
    found: list[FileOutcome] = []
    for folder, dirs, names in os.walk(inbox, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(folder) / name
            rel = path.relative_to(inbox).as_posix()
            outcome = FileOutcome(file=rel, path=path, status=FileStatus.UNJUDGED)
            reason = ignored_reason(name)
            if reason:
                outcome.status, outcome.note = FileStatus.IGNORED, reason
            elif path.is_symlink() and not path.resolve().is_relative_to(root):
                outcome.status = FileStatus.REJECTED
                outcome.problems.append(
                    problem("F_UNSAFE", file=rel, detail="快捷方式（符号链接）指向收件箱以外")
                )
            found.append(outcome)
    return sorted(found, key=lambda f: f.file)


def fingerprint(outcome: FileOutcome) -> None:
    """Size, modification time and SHA-256 of a file's content, read in chunks."""
    stat = outcome.path.stat()
    outcome.size, outcome.mtime = stat.st_size, stat.st_mtime
    outcome.sha256 = sha256_of(outcome.path)


def read_outcome(
    outcome: FileOutcome, result: ReadResult, registers: Registers, now: float
) -> None:
    """Take one file's read and decide its bureau and whether it is rejected or deferred."""
    outcome.fmt, outcome.tables, outcome.problems = result.fmt, result.tables, result.problems
    stamp = next((t.stamp for t in result.tables if t.stamp), "")
    title = next((t.title for t in result.tables if t.title), "")
    outcome.bureau, outcome.bureau_source = identify_bureau(stamp, outcome.file, registers, title)
    if not result.ok:
        recent = now - outcome.mtime < DEFER_SECONDS
        unreadable = any(p.code in ("F_UNREADABLE", "F_EMPTY") for p in result.problems)
        outcome.status = FileStatus.DEFERRED if recent and unreadable else FileStatus.REJECTED
        return
    if outcome.bureau is None:
        detail = f"（盖章行为“{stamp}”）" if stamp else ""
        outcome.problems.insert(0, problem("F_BUREAU_UNKNOWN", file=outcome.file, detail=detail))
        outcome.status = FileStatus.REJECTED
        return
    outcome.status = FileStatus.CANDIDATE


def read_pending(
    files: list[FileOutcome],
    *,
    form: FormSpec,
    registers: Registers,
    limits: Caps,
    received: dict[str, dt.datetime],
    started: dt.datetime,
    progress: Callable[[str, int], None] | None,
) -> list[FileOutcome]:
    """Read every file no earlier step set aside (in guarded workers), decide each one's bureau
    and status, and return the live submissions in received order."""
    now = time.time()
    pending = [f for f in files if not f.status]
    done = (lambda name: progress(name, len(pending))) if progress else None
    reads = read_files([(f.path, f.file) for f in pending], form, limits, done)
    for outcome, read in zip(pending, reads, strict=True):
        stamp_received(outcome, received, started)
        read_outcome(outcome, read, registers, now)
    choose_live(files)
    return sorted((f for f in files if f.status == "live"), key=order_key)


def choose_live(files: list[FileOutcome]) -> None:
    """One live submission per bureau: the latest received, ties by modification time (a
    refused or deferred file is no candidate, so it never hands the rows to an older file)."""
    by_bureau: dict[str, list[FileOutcome]] = {}
    for f in files:
        if f.status == "candidate" and f.bureau is not None:
            by_bureau.setdefault(f.bureau.code, []).append(f)
    for group in by_bureau.values():
        group.sort(key=order_key)
        newest = group[-1]
        newest.status = FileStatus.LIVE
        for older in group[:-1]:
            older.status = FileStatus.SUPERSEDED


def survey(settings: Settings, known: dict[str, Seen] | None = None) -> list[FileOutcome]:
    """Scan the inbox, open its archives (pipeline/read/archives.py) and fingerprint every file; an
    unchanged file (same path, size and modification time as the ledger recorded) is not even
    hashed again."""
    files = open_archives(scan_inbox(settings.inbox))
    for outcome in files:
        reason = "" if outcome.status else ignored_reason(outcome.path.name)
        if reason:  # a member of an archive: the same lock and hidden files
            outcome.status, outcome.note = FileStatus.IGNORED, reason
        if outcome.status:
            continue
        stat = outcome.path.stat()
        seen = (known or {}).get(outcome.file)
        if seen is not None and (seen.size, seen.mtime) == (stat.st_size, stat.st_mtime):
            outcome.size, outcome.mtime, outcome.sha256 = stat.st_size, stat.st_mtime, seen.sha256
        else:
            fingerprint(outcome)
    return files
