"""The SQLite ledger (SPEC §6): versioned schema, one transaction per run, what it remembers."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import REPO, good_row
from test_golden import OLD
from test_over_time import nightly

from pipeline.core.config import Settings
from pipeline.core.errors import BeianError
from pipeline.state import ledger as ledger_module
from pipeline.state.ledger import MIGRATIONS, Ledger
from pipeline.state.status import batch_status, describe_changes, submissions
from pipeline.write.labels import LEGACY_UNKNOWN_BUREAU as LEGACY
from pipeline.write.labels import UNKNOWN_BUREAU as UNKNOWN


def dump(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, and the schema version: the whole state of a ledger."""
    db = sqlite3.connect(path)
    try:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        state = {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
        state["user_version"] = db.execute("PRAGMA user_version").fetchall()
        return state
    finally:
        db.close()


def columns(path: Path, table: str) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
    finally:
        db.close()


def version(path: Path) -> int:
    return dump(path)["user_version"][0][0]


def test_a_new_ledger_has_every_migration(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    Ledger(path).close()
    assert version(path) == len(MIGRATIONS)
    assert {"files", "runs", "rows"} <= set(dump(path))
    Ledger(path).close()
    assert version(path) == len(MIGRATIONS)


def first_version_ledger(path: Path) -> Path:
    """A ledger as the first release of beian left it: migration 1 only, one run recorded."""
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript(MIGRATIONS[0])
    db.execute(
        "INSERT INTO runs (batch, started, finished, inputs, changed, counts) "
        "VALUES ('2016年度第二批', '2016-04-08 22:00:00', '2016-04-08 22:01:00', '{}', 1, '{}')"
    )
    db.execute("PRAGMA user_version = 1")
    db.close()
    return path


def test_an_old_ledger_is_migrated_in_place(tmp_path: Path) -> None:
    path = first_version_ledger(tmp_path / "ledger.sqlite")
    ledger = Ledger(path)
    try:
        run = ledger.last_run("2016年度第二批")
    finally:
        ledger.close()
    assert version(path) == len(MIGRATIONS)
    assert "submissions" in columns(path, "runs")
    assert run is not None
    assert (run["started"], run["submissions"]) == ("2016-04-08 22:00:00", [])


def test_status_of_a_run_recorded_before_the_ledger_kept_submissions(
    settings: Settings,
) -> None:
    first_version_ledger(settings.ledger)
    with pytest.raises(BeianError, match="旧版本 beian 记录，台账中没有报送情况"):
        batch_status(settings)


def test_a_ledger_from_a_newer_beian_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    Ledger(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(BeianError, match="更新版本的 beian"):
        Ledger(path)


def test_a_corrupt_ledger_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    path.write_bytes(b"this is not an SQLite file" * 200)
    with pytest.raises(BeianError, match=r"台账文件 .* 无法打开或已损坏.*请从备份恢复"):
        Ledger(path)


def test_a_failing_migration_leaves_the_ledger_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ledger.sqlite"
    Ledger(path).close()
    before = dump(path)
    broken = "ALTER TABLE runs ADD COLUMN note TEXT; ALTER TABLE no_such_table ADD COLUMN x TEXT;"
    monkeypatch.setattr(ledger_module, "MIGRATIONS", [*MIGRATIONS, broken])
    with pytest.raises(BeianError):
        Ledger(path)
    assert dump(path) == before
    assert "note" not in columns(path, "runs")


def test_a_failed_transaction_is_rolled_back(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    ledger = Ledger(path)
    try:
        with pytest.raises(RuntimeError), ledger.transaction() as db:
            db.execute(
                "INSERT INTO runs (batch, started, finished, inputs, changed, counts) "
                "VALUES ('b', 's', 'f', '{}', 0, '{}')"
            )
            raise RuntimeError("killed half-way")
        assert ledger.last_run("b") is None
    finally:
        ledger.close()


def test_quiet_nights_are_counted_per_batch(settings: Settings, make_workbook) -> None:
    make_workbook([good_row()])
    other = replace(settings, batch="2016年度第三批")
    nightly(settings)
    nightly(other)
    nightly(other)
    nightly(settings)
    assert (batch_status(settings).quiet_runs_since, batch_status(other).quiet_runs_since) == (1, 1)


def test_an_older_ledger_spelling_of_the_unknown_bureau_reads_as_today(
    settings: Settings,
) -> None:
    unknown = settings.inbox / "汇总表(1).xlsx"
    shutil.copy(REPO / "inbox" / unknown.name, unknown)
    os.utime(unknown, (OLD, OLD))
    nightly(settings)
    db = sqlite3.connect(settings.ledger)
    with db:
        db.execute("UPDATE runs SET submissions = replace(submissions, ?, ?)", (UNKNOWN, LEGACY))
    db.close()
    assert LEGACY in json.dumps(dump(settings.ledger)["runs"], ensure_ascii=False)
    shown = batch_status(settings).table
    assert shown.loc[
        shown["其他文件"] == "汇总表(1).xlsx（F_BUREAU_UNKNOWN）", "推荐单位"
    ].tolist() == [UNKNOWN]


def test_an_unknown_file_known_under_the_older_spelling_is_not_new() -> None:
    record = {"推荐单位": LEGACY, "状态": "文件未通过", "其他文件": "汇总表(1).xlsx"}
    before = submissions([record])
    after = submissions([{**record, "推荐单位": UNKNOWN}])
    assert before["推荐单位"].tolist() == [UNKNOWN]
    assert describe_changes(before, after) == ["与上一次汇总相比没有变化。"]
    assert describe_changes(before, submissions([{**record, "其他文件": "新.xlsx"}])) == [
        "新的未识别单位文件：新.xlsx"
    ]
