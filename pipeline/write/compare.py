"""与上次相比 (SPEC §14): what a bureau's new file changed against the file it replaces.

The ledger keeps each file's rows and problems (pipeline/state/review_store.py, built here by
:func:`snapshot_rows` and :func:`snapshot_problems`); when a bureau's new file is judged, it is
compared with the bureau's file received last before it: spaces added and removed (by the §5
name key), fields changed (old → new, as the binder prints them), each earlier problem 已改正 or
仍存在, and the problems that are new. The receipt shows it as a sheet, the site as a section.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline.core.model import BatchResult, FileOutcome
from pipeline.write.report import printed

COLUMNS = ["类别", "众创空间名称", "位置", "上次", "本次"]
ADDED, REMOVED, CHANGED = "新增众创空间", "删除众创空间", "内容修改"
FIXED, STANDING, NEW, MOOT = "已改正", "仍存在", "新问题", "随众创空间删除"
KINDS = (ADDED, REMOVED, CHANGED, FIXED, STANDING, NEW, MOOT)


@dataclass(frozen=True)
class Comparison:
    """A file against the one it replaces: the earlier file, when it came, and the lines."""

    earlier: str
    received: str
    lines: list[dict[str, Any]]

    def count(self, kind: str) -> int:
        return sum(line["类别"] == kind for line in self.lines)

    def summary(self) -> str:
        """One sentence for the 回执's 概况 and the site page."""
        counts = "、".join(f"{kind} {self.count(kind)} 项" for kind in KINDS if self.count(kind))
        since = f"与上次报送的 {self.earlier}（{self.received[:16]} 收到）相比"
        return f"{since}：{counts or '没有变化'}。"

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.lines, columns=COLUMNS)


def snapshot_rows(result: BatchResult, outcome: FileOutcome) -> list[dict[str, Any]]:
    """The file's rows as kept: name key, name, disposition, codes, the fields as printed
    (column-wise: a file of 50,000 rows is kept in a second, not row by row)."""
    rows = result.rows[result.rows["file"] == outcome.file] if len(result.rows) else result.rows
    if rows.empty:
        return []
    labels = [c.label for c in result.form.columns]
    texts = [
        pd.Series(printed(rows, c), index=rows.index).fillna("").astype(str)
        for c in result.form.columns
    ]
    codes = rows["codes"] if "codes" in rows else pd.Series("", index=rows.index)
    # Python lists, zipped: DataFrame.to_dict on Arrow strings is ten times slower.
    fields = (
        dict(zip(labels, values, strict=True))
        for values in zip(*(t.tolist() for t in texts), strict=True)
    )
    places = zip(
        *(rows[c].tolist() for c in ("row", "key", "name", "disposition")),
        codes.tolist(),
        strict=True,
    )
    return [
        {"row": int(r), "key": k, "name": n, "disposition": d, "codes": c, "fields": f}
        for (r, k, n, d, c), f in zip(places, fields, strict=True)
    ]


def snapshot_problems(result: BatchResult, outcome: FileOutcome) -> list[dict[str, Any]]:
    """The file's problems as kept, each with the name key of its row ("" for the file)."""
    keys: dict[tuple[str, int], str] = {}
    if len(result.rows):
        mine = result.rows[result.rows["file"] == outcome.file]
        places = zip(mine["sheet"], mine["row"].astype(int), strict=True)
        keys = dict(zip(places, mine["key"], strict=True))
    return [
        {
            "key": keys.get((p.sheet, p.row), "") if p.row is not None else "",
            "cell": p.cell,
            "column": p.column,
            "code": p.code,
            "severity": p.severity,
            "value": p.value,
            "message": p.message,
        }
        for p in outcome.problems
    ]


def _where(p: dict[str, Any]) -> str:
    return " ".join(part for part in (p["cell"], p["column"]) if part) or "整个文件"


def compare(
    earlier: dict[str, Any], rows: list[dict[str, Any]], problems: list[dict[str, Any]]
) -> Comparison:
    """The lines of 与上次相比 between an earlier snapshot and a file's rows and problems."""
    old = {r["key"]: r for r in earlier["rows"]}
    new = {r["key"]: r for r in rows}
    lines = [(ADDED, new[k]["name"], "", "", "") for k in new if k not in old]
    lines += [(REMOVED, old[k]["name"], "", "", "") for k in old if k not in new]
    for key in (k for k in new if k in old):
        before, after = old[key]["fields"], new[key]["fields"]
        lines += [
            (CHANGED, new[key]["name"], label, before.get(label, ""), value)
            for label, value in after.items()
            if before.get(label, "") != value
        ]
    names = {**{k: r["name"] for k, r in old.items()}, **{k: r["name"] for k, r in new.items()}}

    def ident(p: dict[str, Any]) -> tuple[str, str, str]:
        return (p["key"], p["column"], p["code"])

    now = {ident(p): p for p in problems}
    then = {ident(p): p for p in earlier["problems"]}
    for at, p in then.items():
        if p["key"] and p["key"] not in new:
            kind, current = MOOT, ""
        elif at in now:
            kind, current = STANDING, now[at]["message"]
        else:
            kind, current = FIXED, ""
        lines.append((kind, names.get(p["key"], ""), _where(p), p["message"], current))
    lines += [
        (NEW, names.get(p["key"], ""), _where(p), "", p["message"])
        for at, p in now.items()
        if at not in then
    ]
    return Comparison(
        earlier["file"],
        earlier["received"],
        [dict(zip(COLUMNS, line, strict=True)) for line in lines],
    )


def compare_outcome(
    result: BatchResult, outcome: FileOutcome, earlier: dict[str, Any]
) -> Comparison:
    """A judged file against the bureau's earlier snapshot."""
    return compare(earlier, snapshot_rows(result, outcome), snapshot_problems(result, outcome))
