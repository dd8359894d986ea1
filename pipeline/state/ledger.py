"""The ledger: an SQLite file remembering every file seen, every run and every row's fate.

It answers three questions for the nightly job: when was this content first received (which
orders resubmissions and cross-bureau duplicates), has anything changed since the last run (a
quiet night rewrites nothing), and what happened before (``beian status``). The schema is
versioned with ordered migrations, as sqlite-utils does; each run is recorded in one
transaction, so a run killed half-way leaves the ledger as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import SupportsInt

import pandas as pd

from pipeline.core.errors import BeianError, ConfigError, OutputError, write_failure
from pipeline.core.model import BatchResult
from pipeline.state.backup import backup_ledger

MIGRATIONS: list[str] = [
    """
    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        batch TEXT NOT NULL,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime REAL NOT NULL,
        bureau TEXT NOT NULL DEFAULT '',
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT '',
        codes TEXT NOT NULL DEFAULT '',
        rows INTEGER NOT NULL DEFAULT 0,
        UNIQUE (batch, path, sha256)
    );
    CREATE INDEX files_sha ON files (batch, sha256);
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        batch TEXT NOT NULL,
        started TEXT NOT NULL,
        finished TEXT NOT NULL,
        inputs TEXT NOT NULL,
        changed INTEGER NOT NULL,
        counts TEXT NOT NULL
    );
    CREATE TABLE rows (
        run_id INTEGER NOT NULL REFERENCES runs (id),
        file TEXT NOT NULL,
        bureau TEXT NOT NULL,
        row INTEGER NOT NULL,
        disposition TEXT NOT NULL,
        codes TEXT NOT NULL,
        name TEXT NOT NULL
    );
    CREATE INDEX rows_run ON rows (run_id);
    """,
    """
    ALTER TABLE runs ADD COLUMN submissions TEXT NOT NULL DEFAULT '[]';
    """,
    # The intake site (beian serve): sign-in accounts, its signing key, uploads and the audit log.
    """
    CREATE TABLE accounts (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        handle TEXT NOT NULL UNIQUE,
        hash TEXT NOT NULL,
        issued TEXT NOT NULL
    );
    CREATE TABLE site (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE uploads (
        id TEXT PRIMARY KEY,
        batch TEXT NOT NULL,
        bureau TEXT NOT NULL,
        path TEXT NOT NULL,
        original TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        received TEXT NOT NULL,
        status TEXT NOT NULL,
        result TEXT NOT NULL
    );
    CREATE INDEX uploads_bureau ON uploads (batch, bureau, received);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        time TEXT NOT NULL,
        account TEXT NOT NULL,
        address TEXT NOT NULL,
        action TEXT NOT NULL,
        original TEXT NOT NULL DEFAULT '',
        sha256 TEXT NOT NULL DEFAULT '',
        outcome TEXT NOT NULL
    );
    """,
    # The province's review (pipeline/state/review_store.py): decisions per space, and what each
    # file held (rows and problems), which a bureau's next file is compared with (与上次相比).
    """
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY,
        batch TEXT NOT NULL,
        bureau TEXT NOT NULL,
        name TEXT NOT NULL,
        key TEXT NOT NULL,
        verdict TEXT NOT NULL,
        reason TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        who TEXT NOT NULL,
        time TEXT NOT NULL
    );
    CREATE INDEX reviews_space ON reviews (batch, bureau, key);
    CREATE TABLE snapshots (
        batch TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        bureau TEXT NOT NULL,
        file TEXT NOT NULL,
        received TEXT NOT NULL,
        status TEXT NOT NULL,
        rows TEXT NOT NULL,
        problems TEXT NOT NULL,
        PRIMARY KEY (batch, sha256)
    );
    """,
    # Sessions signed out before their time, kept until their cookie would have expired anyway.
    """
    CREATE TABLE ended_sessions (sid TEXT PRIMARY KEY, until REAL NOT NULL);
    """,
]


@dataclass(frozen=True)
class Seen:
    """What the ledger knows about one content at one path."""

    sha256: str
    size: int
    mtime: float
    first_seen: dt.datetime
    status: str = ""


class Ledger:
    """A thin wrapper over the SQLite connection; one per run, used under the run lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise write_failure(exc, "台账") from exc
        try:
            self.db = _open(path)
        except sqlite3.OperationalError as exc:
            raise OutputError(
                f"台账文件 {path} 无法打开或写入（{exc}）：请确认它是一个可写的文件，"
                "所在文件夹可写，或用 --ledger 指定另一个台账文件。"
            ) from exc
        except sqlite3.DatabaseError as exc:
            raise BeianError(
                f"台账文件 {path} 无法打开或已损坏：{exc}。请从备份恢复，"
                "或改用新的 --ledger 文件（将从头建立台账）。"
            ) from exc

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; any failure rolls it back and is reported as the ledger
        not being writable (exit 3), with nothing of the night recorded."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise OutputError(
                f"无法写入台账 {self.path}（{exc}）；"
                "本次没有发布任何输出，上次的输出和台账保持不变。"
                "请确认台账文件及其文件夹可写、磁盘未满，然后重新运行。"
            ) from exc

    def known(self, batch: str) -> dict[str, Seen]:
        """Per inbox path, the newest content recorded for it (to skip hashing unchanged files)."""
        rows = self.db.execute(
            "SELECT path, sha256, size, mtime, first_seen, status FROM files WHERE batch = ? "
            "ORDER BY last_seen",
            (batch,),
        ).fetchall()
        return {p: Seen(s, z, m, dt.datetime.fromisoformat(f), st) for p, s, z, m, f, st in rows}

    def row_history(self, batch: str) -> pd.DataFrame:
        """Per bureau and space name: the first night a valid copy was received, and the first
        night it was accepted (NaT if never), which breaks ties between bureaus.

        Rejected rows do not count: the first copy that could be filed is the one that stays.
        """
        return pd.read_sql_query(
            "SELECT r.bureau, r.name, MIN(u.started) AS first_seen, "
            "MIN(CASE WHEN r.disposition = 'accepted' THEN u.started END) AS first_accepted "
            "FROM rows r JOIN runs u ON u.id = r.run_id WHERE u.batch = ? "
            "AND r.disposition IN ('accepted', 'duplicate_batch') GROUP BY r.bureau, r.name",
            self.db,
            params=(batch,),
            parse_dates=["first_seen", "first_accepted"],
        )

    def first_seen(self, batch: str) -> dict[str, dt.datetime]:
        """Per content (SHA-256), when the ledger first saw it in this batch: at a run, or when
        a bureau uploaded it on the intake site, whichever came first."""
        rows = self.db.execute(
            "SELECT sha256, MIN(t) FROM (SELECT sha256, first_seen AS t FROM files WHERE batch = ? "
            "UNION ALL SELECT sha256, received FROM uploads WHERE batch = ? AND status = 'live') "
            "GROUP BY sha256",
            (batch, batch),
        ).fetchall()
        return {sha: dt.datetime.fromisoformat(when) for sha, when in rows}

    def last_run(self, batch: str) -> dict | None:
        row = self.db.execute("SELECT MAX(id) FROM runs WHERE batch = ?", (batch,)).fetchone()
        return None if row[0] is None else self.run(row[0])

    def last_changed_run(self, batch: str, before: int | None = None) -> dict | None:
        """The latest run that produced outputs (optionally before run id ``before``)."""
        row = self.db.execute(
            "SELECT id FROM runs WHERE batch = ? AND changed = 1 AND id < ? ORDER BY id DESC "
            "LIMIT 1",
            (batch, before if before is not None else 1 << 62),
        ).fetchone()
        return None if row is None else self.run(row[0])

    def runs_after(self, batch: str, run_id: int) -> int:
        """How many runs of the batch came after run ``run_id``."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM runs WHERE batch = ? AND id > ?", (batch, run_id)
        ).fetchone()
        return int(row[0])

    def run(self, run_id: int) -> dict:
        keys = ("id", "started", "finished", "inputs", "changed", "counts", "submissions")
        row = self.db.execute(
            f"SELECT {', '.join(keys)} FROM runs WHERE id = ?", (run_id,)
        ).fetchone()
        record = dict(zip(keys, row, strict=True))
        for key in ("inputs", "counts", "submissions"):
            record[key] = json.loads(record[key])
        return record

    def record_quiet(
        self, batch: str, started: dt.datetime, inputs: dict[str, str], counts: dict[str, int]
    ) -> int:
        """Record a run that found nothing new and wrote nothing."""
        with self.transaction() as db:
            return _insert_run(db, batch, started, inputs, False, counts)

    def record(
        self,
        result: BatchResult,
        inputs: dict[str, str],
        submissions: list[dict[str, object]],
        also: Callable[[sqlite3.Connection], None] | None = None,
    ) -> int:
        """Record one run that wrote outputs: its files, the run, every row and the 报送情况
        table as shown (so ``beian status`` repeats exactly what the workbook said). The ledger
        is copied to backups/ first (pipeline/state/backup.py); ``also`` writes more in the same
        transaction (the files' snapshots: state/review_store.py)."""
        batch = result.settings.batch
        seen = result.started.isoformat(sep=" ")
        backup_ledger(self.db, self.path)
        with self.transaction() as db:
            for f in result.files:
                if not f.sha256:
                    continue
                first = (f.received or result.started).isoformat(sep=" ")
                db.execute(
                    "INSERT INTO files (batch, path, sha256, size, mtime, bureau, first_seen, "
                    "last_seen, status, codes, rows) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
                    "ON CONFLICT (batch, path, sha256) DO UPDATE SET "
                    "last_seen = excluded.last_seen, status = excluded.status, "
                    "codes = excluded.codes, rows = excluded.rows, "
                    "bureau = excluded.bureau, mtime = excluded.mtime",
                    (
                        batch,
                        f.file,
                        f.sha256,
                        f.size,
                        f.mtime,
                        f.bureau.name if f.bureau else "",
                        first,
                        seen,
                        f.status,
                        f.codes,
                        f.data_rows,
                    ),
                )
            run_id = _insert_run(
                db, batch, result.started, inputs, True, result.counts(), submissions
            )
            if len(result.rows):
                frame = result.rows[["file", "bureau", "row", "disposition", "codes", "name"]]
                db.executemany(
                    "INSERT INTO rows (run_id, file, bureau, row, disposition, codes, name) "
                    "VALUES (?,?,?,?,?,?,?)",
                    ((run_id, *map(_plain, r)) for r in frame.itertuples(index=False)),
                )
            if also is not None:
                also(db)
        return run_id


def _open(path: Path) -> sqlite3.Connection:
    """Connect and bring the schema up to date; never leave a connection open on failure (on
    Windows it would keep the file locked)."""
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        db.execute("PRAGMA foreign_keys = ON")
        check_identity(db, path)
        migrate(db)
    except BaseException:
        db.close()
        raise
    return db


def _insert_run(
    db: sqlite3.Connection,
    batch: str,
    started: dt.datetime,
    inputs: dict[str, str],
    changed: bool,
    counts: dict[str, int],
    submissions: list[dict[str, object]] | None = None,
) -> int:
    finished = dt.datetime.now().replace(microsecond=0)
    cursor = db.execute(
        "INSERT INTO runs (batch, started, finished, inputs, changed, counts, submissions) "
        "VALUES (?,?,?,?,?,?,?)",
        (
            batch,
            started.isoformat(sep=" "),
            finished.isoformat(sep=" "),
            json.dumps(inputs, ensure_ascii=False),
            int(changed),
            json.dumps(counts),
            json.dumps(submissions or [], ensure_ascii=False, default=str),
        ),
    )
    return int(cursor.lastrowid or 0)


def _plain(value: object) -> object:
    """A numpy integer (the row number) as a Python int, which sqlite3 can store."""
    numpy_number = hasattr(value, "item") and not isinstance(value, str)
    return int(value) if numpy_number and isinstance(value, SupportsInt) else value


LEDGER_TABLES = frozenset({"files", "runs", "rows"})


def check_identity(db: sqlite3.Connection, path: Path) -> None:
    """Refuse an SQLite file that is not a beian ledger (another program's database given as
    ``--ledger``): adopting it would write beian's tables into someone else's data. A ledger is
    empty (new), or carries a schema version and beian's tables."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if (version == 0 and tables) or (version > 0 and not tables >= LEDGER_TABLES):
        raise ConfigError(
            f"{path} 是一个 SQLite 数据库，但不是 beian 台账（其中的表："
            f"{'、'.join(sorted(tables)) or '无'}）；beian 不会改动它。"
            "请用 --ledger 或 beian.toml 的 ledger 指定 beian 的台账文件（不存在时会新建）。"
        )


def migrate(db: sqlite3.Connection) -> None:
    """Apply the migrations this ledger has not seen yet, each in its own transaction."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise BeianError(
            f"台账由更新版本的 beian 建立（台账版本 {version}，本程序只认识到 {len(MIGRATIONS)}）。"
            "请升级 beian 后再运行，或改用新的 --ledger 文件。"
        )
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in filter(str.strip, script.split(";")):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
