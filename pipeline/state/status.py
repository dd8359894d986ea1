"""``beian status``: who submitted what and when, who is missing, what changed since the last run.

Everything comes from the ledger: the 报送情况 table each run recorded (the same facts as the
workbook's sheet), compared with the run before it. Nothing is re-read from the inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.core.config import Settings
from pipeline.core.errors import BeianError
from pipeline.state.ledger import Ledger
from pipeline.write.labels import LEGACY_UNKNOWN_BUREAU, UNKNOWN_BUREAU

COUNT_COLUMNS = ("受理", "未通过", "往批已备案", "本批重复")


@dataclass(frozen=True)
class Status:
    """The latest run's 报送情况, when it ran, and the changes since the run before."""

    table: pd.DataFrame
    run_started: str
    quiet_runs_since: int
    changes: list[str]

    @property
    def missing(self) -> list[str]:
        return self.table.loc[self.table["状态"] == "未报送", "推荐单位"].tolist()


def describe_changes(before: pd.DataFrame, after: pd.DataFrame) -> list[str]:
    """Plain sentences, one per bureau whose submission or counts changed between two runs."""
    if before.empty:
        return ["首次运行：以上为全部报送情况。"]
    old = before.set_index("推荐单位")
    lines = []
    for record in after.to_dict("records"):
        name = record["推荐单位"]
        if name not in old.index or name == UNKNOWN_BUREAU:
            continue
        prev = old.loc[name]
        if isinstance(prev, pd.DataFrame):
            prev = prev.iloc[0]
        parts = []
        if prev["状态"] != record["状态"]:
            parts.append(f"{prev['状态']} → {record['状态']}")
        if record["采用文件"] and prev["采用文件"] != record["采用文件"]:
            parts.append(f"采用新文件 {record['采用文件']}")
        elif record["采用文件"] and prev["收到时间"] != record["收到时间"]:
            parts.append(f"重新报送 {record['采用文件']}")
        for col in COUNT_COLUMNS:
            if int(prev[col]) != int(record[col]):
                parts.append(f"{col} {int(prev[col])} → {int(record[col])}")
        if parts:
            lines.append(f"{name}：" + "，".join(parts))
    unknown_before = set(old.loc[old.index == UNKNOWN_BUREAU, "其他文件"]) if len(old) else set()
    for record in after.to_dict("records"):
        if record["推荐单位"] == UNKNOWN_BUREAU and record["其他文件"] not in unknown_before:
            lines.append(f"新的{UNKNOWN_BUREAU}文件：{record['其他文件']}")
    return lines or ["与上一次汇总相比没有变化。"]


def submissions(records: list[dict]) -> pd.DataFrame:
    """A run's recorded 报送情况, the unknown bureau spelled as today even in an older ledger
    (read-time, so ``status`` never writes to the ledger it only reads)."""
    table = pd.DataFrame(records)
    if table.empty:
        return table
    return table.replace({"推荐单位": {LEGACY_UNKNOWN_BUREAU: UNKNOWN_BUREAU}})


def require_ledger(path: Path) -> None:
    """Commands that read what the nights recorded need a ledger: say to run first when there
    is none yet (opening one would create an empty ledger)."""
    if not path.is_file():
        raise BeianError(f"台账 {path} 还不存在：请先运行 beian run。")


def batch_status(settings: Settings) -> Status:
    """Read the ledger; fails with a clear message when no run has been recorded yet."""
    require_ledger(settings.ledger)
    ledger = Ledger(settings.ledger)
    try:
        latest = ledger.last_changed_run(settings.batch)
        if latest is None:
            raise BeianError(f"台账中没有批次“{settings.batch}”的汇总记录：请先运行 beian run。")
        if not latest["submissions"]:
            raise BeianError(
                f"批次“{settings.batch}”最近一次汇总由旧版本 beian 记录，台账中没有报送情况；"
                "收件箱下次有变化、运行 beian run 之后即可查看。"
            )
        previous = ledger.last_changed_run(settings.batch, before=latest["id"])
        quiet = ledger.runs_after(settings.batch, latest["id"])
    finally:
        ledger.close()
    table = submissions(latest["submissions"])
    before = submissions(previous["submissions"]) if previous else pd.DataFrame()
    return Status(table, latest["started"], quiet, describe_changes(before, table))
