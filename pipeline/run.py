"""The nightly consolidation, stage by stage: scan, read, normalise, validate, dedupe, dispose.

``consolidate`` is pure with respect to the outbox: it reads the inbox and the prior batches and
returns a :class:`BatchResult`; ``run`` adds the lock, the ledger and the writers. Every data row
of every live file ends in exactly one disposition here, and every report is written from this
one result, so the counts agree everywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from filelock import FileLock, Timeout

from pipeline import __version__, decisions, dedupe, packet
from pipeline.atomic import clear_leftovers, staged
from pipeline.bureau import identify_bureau
from pipeline.config import Settings
from pipeline.errors import ConfigError, LockedError, write_failure
from pipeline.ledger import Ledger, Seen
from pipeline.model import RECEIPT_SUFFIX, BatchResult, FileOutcome
from pipeline.normalise import normalise
from pipeline.packet_spec import load_packet
from pipeline.problems import Problem, problem
from pipeline.read import ReadResult, cell_address
from pipeline.report import detail_frame, review_frame, submissions_frame
from pipeline.sandbox import Caps, read_files
from pipeline.schema import FormSpec, Registers, load_form, load_registers
from pipeline.validate import Context, Part, validate_batch
from pipeline.write_csv import dispositions_frame, files_frame, write_frame_csv
from pipeline.write_feedback import write_all_feedback
from pipeline.write_workbook import consolidated_name, write_consolidated

DEFER_SECONDS = 10 * 60
_IGNORED_PREFIXES = ("~$", ".~lock.", ".", "~")


# --- the inbox --------------------------------------------------------------------------------


def ignored_reason(name: str) -> str:
    """Why a file is not a submission, or ``""``: lock files of Excel, WPS and LibreOffice,
    hidden files and the receipts ``beian check`` writes beside a checked file. Documents are
    not ignored here: they may be Annex 1 forms or Annex 2 documents (:mod:`pipeline.packet`)."""
    if name.startswith(_IGNORED_PREFIXES) or name.lower() in {"thumbs.db", "desktop.ini"}:
        return "临时文件或隐藏文件"
    if Path(name).stem.endswith(RECEIPT_SUFFIX):
        return "beian check 生成的回执"
    return ""


def require_inbox(inbox: Path) -> None:
    if not inbox.is_dir():
        raise ConfigError(f"收件箱文件夹 {inbox} 不存在；请创建它，或用 --inbox 指定。")


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
            outcome = FileOutcome(file=rel, path=path, status="")
            reason = ignored_reason(name)
            if reason:
                outcome.status, outcome.note = "ignored", reason
            elif path.is_symlink() and not path.resolve().is_relative_to(root):
                outcome.status = "rejected"
                outcome.problems.append(
                    problem("F_UNSAFE", file=rel, detail="快捷方式（符号链接）指向收件箱以外")
                )
            found.append(outcome)
    return sorted(found, key=lambda f: f.file)


def fingerprint(outcome: FileOutcome) -> None:
    """Size, modification time and SHA-256 of a file's content, read in chunks."""
    stat = outcome.path.stat()
    digest = hashlib.sha256()
    with outcome.path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    outcome.size, outcome.mtime, outcome.sha256 = stat.st_size, stat.st_mtime, digest.hexdigest()


def read_outcome(
    outcome: FileOutcome, result: ReadResult, registers: Registers, now: float
) -> None:
    """Take one file's read and decide its bureau and whether it is rejected or deferred."""
    outcome.fmt, outcome.table, outcome.problems = result.fmt, result.table, result.problems
    stamp = result.table.stamp if result.table else ""
    title = result.table.title if result.table else ""
    outcome.bureau, outcome.bureau_source = identify_bureau(stamp, outcome.file, registers, title)
    if not result.ok:
        recent = now - outcome.mtime < DEFER_SECONDS
        unreadable = any(p.code in ("F_UNREADABLE", "F_EMPTY") for p in result.problems)
        outcome.status = "deferred" if recent and unreadable else "rejected"
        return
    if outcome.bureau is None:
        detail = f"（盖章行为“{stamp}”）" if stamp else ""
        outcome.problems.insert(0, problem("F_BUREAU_UNKNOWN", file=outcome.file, detail=detail))
        outcome.status = "rejected"
        return
    outcome.status = "candidate"


def caps(settings: Settings) -> Caps:
    """The configured caps on reading one file (memory, time)."""
    return Caps(settings.read_memory_mb, settings.read_seconds)


def choose_live(files: list[FileOutcome]) -> None:
    """One live submission per bureau: the latest received, ties by modification time."""
    by_bureau: dict[str, list[FileOutcome]] = {}
    for f in files:
        if f.status == "candidate" and f.bureau is not None:
            by_bureau.setdefault(f.bureau.code, []).append(f)
    for group in by_bureau.values():
        group.sort(key=lambda f: (f.received or dt.datetime.min, f.mtime, f.file))
        newest = group[-1]
        newest.status = "live"
        for older in group[:-1]:
            older.status, older.superseded_by = "superseded", newest.file


# --- rows -----------------------------------------------------------------------------------------


def rows_of(live: list[FileOutcome]) -> pd.DataFrame:
    """One frame of every data row of the live files, in received order, with a unique id."""
    frames = []
    for f in live:
        assert f.norm is not None and f.table is not None and f.bureau is not None
        frame = f.norm.copy()
        frame.insert(0, "row", frame.index.astype(int))
        frame.insert(0, "sheet", f.table.sheet)
        frame.insert(0, "file", f.file)
        frame.insert(0, "city", f.bureau.city)
        frame.insert(0, "bureau", f.bureau.name)
        frame.insert(0, "received", pd.Timestamp(f.received))
        frames.append(frame.reset_index(drop=True))
    if not frames:
        return pd.DataFrame(columns=["received", "bureau", "city", "file", "sheet", "row", "name"])
    rows = pd.concat(frames, ignore_index=True)
    rows.insert(0, "uid", range(len(rows)))
    return rows


def rank_rows(rows: pd.DataFrame, history: pd.DataFrame | None) -> pd.DataFrame:
    """Order rows by when each space was first received from its bureau, then by file order.

    A bureau that resubmits keeps its place for the rows it sent before, so a space sent first
    by a city and later by a zone committee stays the city's even after the city corrects
    another row of its file. Two copies first seen the same night: the one accepted before wins.
    """
    first = rows["received"]
    accepted = pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns]")
    if history is not None and len(history):
        known = history.assign(key=dedupe.name_key(history["name"]))
        known = known.groupby(["bureau", "key"], as_index=False)[
            ["first_seen", "first_accepted"]
        ].min()
        merged = rows[["bureau", "key"]].merge(known, on=["bureau", "key"], how="left")
        merged.index = rows.index
        first = merged["first_seen"].fillna(first).combine(first, min)
        accepted = merged["first_accepted"]
    order = pd.DataFrame({"first": first, "accepted": accepted, "uid": rows["uid"]})
    ranked = order.sort_values(["first", "accepted", "uid"], kind="stable", na_position="last")
    return rows.assign(rank=pd.Series(range(len(ranked)), index=ranked.index))


def add_keys(frame: pd.DataFrame, registers: Registers) -> pd.DataFrame:
    cities = sorted({b.city for b in registers.bureaus})
    key = dedupe.name_key(frame["name"])
    return frame.assign(
        key=key,
        opkey=dedupe.operator_key(frame["operator"]),
        city_key=dedupe.strip_city(key, cities),
    )


def load_prior(settings: Settings, form: FormSpec, registers: Registers) -> pd.DataFrame:
    """The spaces of earlier batches, read with the same tolerant reader as the inbox."""
    frames = []
    for prior in settings.priors:
        if not prior.path.is_file():
            raise ConfigError(
                f"找不到往批汇总表 {prior.path}（{prior.name}）；请检查配置或 --prior。"
            )
    jobs = [(prior.path, prior.path.name) for prior in settings.priors]
    for prior, result in zip(settings.priors, read_files(jobs, form, caps(settings)), strict=True):
        if result.table is None:
            reasons = "；".join(p.message for p in result.problems)
            raise ConfigError(f"往批汇总表 {prior.path} 无法读取：{reasons}")
        table = result.table.frame
        frames.append(
            pd.DataFrame(
                {
                    "batch": prior.name,
                    "name": table["name"].str.strip(),
                    "operator": table["operator"].str.strip(),
                    "file": prior.path.name,
                    "row": table.index.astype(int),
                }
            )
        )
    columns = ["uid", "batch", "name", "operator", "file", "row", "key", "opkey", "city_key"]
    if not frames:
        return pd.DataFrame(columns=columns)
    prior = pd.concat(frames, ignore_index=True)
    prior = prior[prior["name"] != ""].reset_index(drop=True)
    prior.insert(0, "uid", range(len(prior)))
    return add_keys(prior, registers)


# --- dispositions -------------------------------------------------------------------------------


def _row_problem(
    code: str, row: pd.Series, form: FormSpec, live: dict[str, FileOutcome], **params: object
) -> Problem:
    """A duplicate notice at the name cell of a row."""
    outcome = live[row["file"]]
    assert outcome.table is not None
    col = outcome.table.columns.get("name", 0)
    return problem(
        code,
        file=row["file"],
        sheet=row["sheet"],
        cell=cell_address(int(row["row"]), col),
        column=form.column("name").short_label,
        value=row["name"],
        row=int(row["row"]),
        **params,
    )


def dispose(
    rows: pd.DataFrame,
    prior: pd.DataFrame,
    problems: list[Problem],
    form: FormSpec,
    live: dict[str, FileOutcome],
    decisions: dedupe.Decisions,
) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """Give every row exactly one disposition; return rows, duplicate matches, added problems.

    Precedence: already filed in a prior batch, then rejected for errors, then a duplicate of
    another bureau's row, else accepted. A row filed before needs no fixing, so it is reported as
    already filed even if it also has errors.
    """
    added: list[Problem] = []
    error_rows = {(p.file, p.row) for p in problems if p.severity == "error"}
    keyed = list(zip(rows["file"], rows["row"], strict=True))
    rejected = pd.Series([k in error_rows for k in keyed], index=rows.index)

    repeats = dedupe.within_file(rows, rejected)
    by_uid = rows.set_index("uid", drop=False)
    for m in repeats.itertuples():
        added.append(
            _row_problem(
                "E_DUPLICATE_ROW",
                by_uid.loc[m.uid],
                form,
                live,
                other_row=by_uid.at[m.other, "row"],
            )
        )
    rejected |= rows["uid"].isin(repeats["uid"])

    prior_matches = dedupe.match_prior(rows, prior, decisions)
    prior_by_uid = prior.set_index("uid") if len(prior) else prior
    auto_prior = prior_matches[prior_matches["auto"].astype(bool)]
    dup_prior = rows["uid"].isin(auto_prior["uid"])
    for m in auto_prior.itertuples():
        other = prior_by_uid.loc[m.other]
        added.append(
            _row_problem(
                "I_DUPLICATE_PRIOR",
                by_uid.loc[m.uid],
                form,
                live,
                batch=other["batch"],
                other_name=other["name"],
            )
        )

    open_rows = rows[~rejected & ~dup_prior]
    batch_matches = dedupe.match_batch(open_rows, decisions)
    auto_batch = batch_matches[batch_matches["auto"].astype(bool)]
    dup_batch = rows["uid"].isin(auto_batch["uid"])
    for m in auto_batch.itertuples():
        later, kept = by_uid.loc[m.uid], by_uid.loc[m.other]
        # both bureaus are told: the later copy is left out, the kept one sent by another too
        for code, row, other in (
            ("I_DUPLICATE_BATCH", later, kept),
            ("I_SENT_BY_OTHER", kept, later),
        ):
            added.append(
                _row_problem(
                    code,
                    row,
                    form,
                    live,
                    other_bureau=other["bureau"],
                    other_file=other["file"],
                    other_row=other["row"],
                )
            )

    possible = pd.concat(
        [
            prior_matches[~prior_matches["auto"].astype(bool)],
            batch_matches[~batch_matches["auto"].astype(bool)],
        ],
        ignore_index=True,
    )
    possible = possible[~possible["uid"].isin(rows.loc[rejected | dup_prior | dup_batch, "uid"])]
    possible = possible.drop_duplicates("uid")
    for m in possible.itertuples():
        source = prior_by_uid if m.kind == "prior" else by_uid
        other = source.loc[m.other]
        where = other["batch"] if m.kind == "prior" else f"{other['bureau']}报送"
        added.append(
            _row_problem(
                "W_POSSIBLE_DUPLICATE",
                by_uid.loc[m.uid],
                form,
                live,
                other_where=where,
                other_name=other["name"],
                other_operator=other["operator"],
                score=f"{m.score:.0f}",
            )
        )

    disposition = pd.Series("accepted", index=rows.index, dtype=object)
    disposition[dup_batch] = "duplicate_batch"
    disposition[rejected] = "rejected"
    disposition[dup_prior] = "duplicate_prior"
    matches = pd.concat([repeats, auto_prior, auto_batch, possible], ignore_index=True)
    return rows.assign(disposition=disposition), matches, added


def attach_codes(rows: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    """Every code raised on a row, in the order raised, joined with ';'; warnings as text."""
    if not problems or rows.empty:
        return rows.assign(codes="", warnings="")
    table = pd.DataFrame(
        [(p.file, p.row, p.code, p.severity, p.message) for p in problems if p.row is not None],
        columns=["file", "row", "code", "severity", "message"],
    )
    codes = table.drop_duplicates(["file", "row", "code"]).groupby(["file", "row"])["code"]
    joined = codes.agg(";".join).rename("codes")
    warn = table[table["severity"] == "warning"].groupby(["file", "row"])["message"]
    warnings = warn.agg("；".join).rename("warnings")
    out = rows.merge(joined, left_on=["file", "row"], right_index=True, how="left")
    out = out.merge(warnings, left_on=["file", "row"], right_index=True, how="left")
    return out.fillna({"codes": "", "warnings": ""})


# --- the whole consolidation --------------------------------------------------------------------


Progress = Callable[[str, int], None]
"""Called before each file is read, with its inbox path and how many files are to be read."""


def survey(settings: Settings, known: dict[str, Seen] | None = None) -> list[FileOutcome]:
    """Scan the inbox and fingerprint every file; an unchanged file (same path, size and
    modification time as the ledger recorded) is not even hashed again."""
    files = scan_inbox(settings.inbox)
    for outcome in files:
        if outcome.status:
            continue
        stat = outcome.path.stat()
        seen = (known or {}).get(outcome.file)
        if seen is not None and (seen.size, seen.mtime) == (stat.st_size, stat.st_mtime):
            outcome.size, outcome.mtime, outcome.sha256 = stat.st_size, stat.st_mtime, seen.sha256
        else:
            fingerprint(outcome)
    return files


def consolidate(
    settings: Settings,
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
    for f in live:
        assert f.table is not None
        f.norm = normalise(f.table.frame, form, f.bureau, registers)
        parts.append(Part(f.file, f.table, f.norm, f.bureau))
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


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else "-"


def input_fingerprint(settings: Settings, files: list[FileOutcome]) -> dict[str, str]:
    """Everything a run's outputs depend on; equal fingerprints mean identical outputs."""
    inputs = {f"inbox/{f.file}": f.sha256 or f.status for f in files}
    inputs["settings"] = repr((settings.batch, settings.deadline, settings.min_age_months))
    for prior in settings.priors:
        inputs[f"prior/{prior.name}"] = _digest(prior.path)
    inputs["decisions"] = _digest(settings.decisions)
    for schema in sorted(settings.form.parent.glob("*.*")):
        inputs[f"schemas/{schema.name}"] = _digest(schema)
    inputs["beian"] = __version__
    return inputs


def output_paths(settings: Settings) -> list[Path]:
    """The batch's outputs: workbook, the two machine CSVs, the clerk's review list, and the
    明细 table for analysts as CSV (UTF-8 with BOM, so Excel opens it) and Parquet."""
    out = settings.batch_dir
    names = [
        consolidated_name(settings.batch),
        "dispositions.csv",
        "files.csv",
        "待核对重复.csv",
        "明细.csv",
        "明细.parquet",
    ]
    return [out / name for name in names]


def write_outputs(result: BatchResult, confirm: Callable[[], None] | None = None) -> list[Path]:
    """Every output of the batch, staged under temporary names and published together;
    ``confirm`` (the ledger's record of the night) must succeed for them to stay published."""
    paths = output_paths(result.settings)
    workbook, dispositions, files, review, detail_csv, detail_parquet = paths
    detail = detail_frame(result)
    clear_leftovers(result.settings.batch_dir)
    with staged(confirm) as staging:
        write_consolidated(result, staging.path(workbook), detail)
        write_frame_csv(dispositions_frame(result.rows), staging.path(dispositions))
        write_frame_csv(files_frame(result.files), staging.path(files))
        write_frame_csv(review_frame(result), staging.path(review), bom=True)
        write_frame_csv(detail, staging.path(detail_csv), bom=True)
        detail.to_parquet(staging.path(detail_parquet), index=False)
        receipts = write_all_feedback(result, result.settings.batch_dir / "回执", staging)
    for stale in set(result.settings.batch_dir.glob("回执/*.xlsx")) - set(receipts):
        stale.unlink(missing_ok=True)  # a receipt for a file that is no longer in the inbox
    return paths + receipts


def run(settings: Settings, progress: Progress | None = None, wait: float = 5.0) -> RunReport:
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
        settings, files, ledger.first_seen(batch), progress, ledger.row_history(batch)
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
