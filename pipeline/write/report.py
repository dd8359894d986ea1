"""The tables every report shows, computed once from a :class:`BatchResult` with pandas.

The workbook writer, the CSV exports, the terminal summary and ``beian status`` render these
frames; none of them counts anything on its own, so their numbers cannot disagree.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline.core.model import (
    DISPOSITIONS,
    PACKET_STATUSES,
    BatchResult,
    FileOutcome,
    disposition_table,
)
from pipeline.core.schema import ColumnSpec
from pipeline.dedupe.decisions import unapplied_frame
from pipeline.write.labels import (
    DISPOSITION_LABELS,
    NO_ZONE,
    STATUS_LABELS,
    UNKNOWN_BUREAU,
    WAITING,
)


def bureau_order(result: BatchResult) -> dict[str, int]:
    return {b.name: i for i, b in enumerate(result.registers.bureaus)}


def accepted(result: BatchResult) -> pd.DataFrame:
    """Accepted rows in binder order: bureau as in the register, then name."""
    rows = result.rows
    if rows.empty:
        return rows
    ok = rows[rows["disposition"] == "accepted"]
    order = ok["bureau"].map(bureau_order(result))
    return (
        ok.assign(_order=order)
        .sort_values(["_order", "name"], kind="stable")
        .drop(columns="_order")
    )


def _answer(flag: pd.Series, name: pd.Series) -> pd.Series:
    """是，<name> / 否, as the binder prints the two yes/no columns."""
    return pd.Series("否", index=flag.index).where(flag != "是", "是，" + name).str.rstrip("，")


def date_label(rows: pd.DataFrame, field: str) -> pd.Series:
    """A date column as printed: 2015年3月15日 / 2015年3月 / 2015年 (else the text as written)."""
    start = rows[f"{field}_start"]
    year, month, day = (
        part.astype("Int64").astype(str) for part in (start.dt.year, start.dt.month, start.dt.day)
    )
    precision = rows[f"{field}_precision"]
    label = (year + "年" + month + "月" + day + "日").where(
        precision == "日", year + "年" + month + "月"
    )
    label = label.where(precision != "年", year + "年")
    return label.where(start.notna() & precision.isin(["日", "月", "年"]), rows[field])


def printed(rows: pd.DataFrame, column: ColumnSpec) -> pd.Series | str:
    """A column of 汇总表 as the notice prints it: dates in words, answers as 是，<name> / 否."""
    if rows.empty:
        return ""
    if column.kind == "date":
        return date_label(rows, column.field)
    if column.answer:
        return _answer(rows[f"in_{column.field}"], rows[column.field])
    return rows.get(column.field, "")


def binder_frame(result: BatchResult) -> pd.DataFrame:
    """汇总表: 序号, the form's columns as printed in the notice, 推荐单位."""
    rows = accepted(result)
    out = pd.DataFrame({"序号": range(1, len(rows) + 1)}, index=rows.index)
    for col in result.form.columns:
        out[col.label] = printed(rows, col)
    out["推荐单位"] = rows.get("bureau", "")
    return out.reset_index(drop=True)


def months_old(start: pd.Series, deadline: pd.Timestamp) -> pd.Series:
    """Whole months from founding to the deadline."""
    months = (deadline.year - start.dt.year) * 12 + (deadline.month - start.dt.month)
    return (months - (start.dt.day > deadline.day).astype(int)).astype("Int64")


def _starts(rows: pd.DataFrame, field: str) -> pd.Series:
    """A date column's first days (typed even when there are no rows)."""
    return rows[f"{field}_start"] if len(rows) else pd.Series(dtype="datetime64[ns]")


def detail_parts(rows: pd.DataFrame, column: ColumnSpec, deadline: pd.Timestamp) -> dict[str, Any]:
    """A column's 明细 columns, labelled as the form file's ``detail`` says (DETAIL_PARTS)."""
    field = column.field
    if column.kind == "date":
        start = _starts(rows, field)
        parts = {
            "start": start,
            "text": rows.get(field),
            "year": start.dt.year.astype("Int64"),
            "months": months_old(start, deadline),
        }
    elif column.answer:
        parts = {"answer": rows.get(f"in_{field}"), "name": rows.get(field)}
    else:
        parts = {"value": rows.get(field)}
    return {label: parts[part] for part, label in column.detail}


def annex1_figures(result: BatchResult, rows: pd.DataFrame) -> dict[str, Any]:
    """The figures each space's Annex 1 form gives (its ``number`` fields), under the 明细 label
    the packet spec names as their ``column``; none when the form has no Annex 1 spec."""
    numbers = result.packet.numbers if result.packet else ()
    return {f.column: rows.get(f.field) for f in numbers}


def detail_frame(result: BatchResult) -> pd.DataFrame:
    """明细: one typed row per accepted space, flat, for pivot tables and pandas: the form's
    columns (as its ``detail`` keys say), the packet's figures, then where each row came from."""
    rows = accepted(result)
    deadline = pd.Timestamp(result.settings.deadline)
    columns: dict[str, Any] = {"序号": range(1, len(rows) + 1)}
    for column in result.form.columns:
        columns.update(detail_parts(rows, column, deadline))
    return pd.DataFrame(
        {
            **columns,
            **annex1_figures(result, rows),
            "附件1": rows.get("annex1"),
            "附件2": rows.get("annex2"),
            "推荐单位": rows.get("bureau"),
            "所在市州": rows.get("city"),
            "来源文件": rows.get("file"),
            "来源工作表": rows.get("sheet"),
            "来源行": rows.get("row"),
            "提示": rows.get("warnings"),
        }
    ).reset_index(drop=True)


def detail_dates(result: BatchResult) -> list[str]:
    """The 明细 columns holding dates (the first day of each date column), formatted as dates."""
    return [c.detail_label("start") for c in result.form.of_kind("date")]


def by_bureau_and_type(result: BatchResult) -> pd.DataFrame:
    """Accepted spaces per bureau × option of the form's choice column (机构性质), with 合计
    row and column."""
    rows = accepted(result)
    column = result.form.of_kind("choice")[0]
    types = column.options
    if rows.empty:
        return pd.DataFrame(columns=["推荐单位", *types, "合计"])
    table = pd.crosstab(rows["bureau"], rows[column.field].rename(column.short_label))
    table = table.reindex(columns=types, fill_value=0)
    table = table.reindex(sorted(table.index, key=bureau_order(result).__getitem__))
    table["合计"] = table.sum(axis=1)
    table.loc["合计"] = table.sum()
    return table.rename_axis("推荐单位").reset_index()


def by_zone(result: BatchResult) -> pd.DataFrame:
    """Accepted spaces per national zone of the form's zone column, then those in none."""
    rows = accepted(result)
    column = result.form.of_kind("zone")[0]
    zone = rows[column.field] if len(rows) else pd.Series(dtype=str)
    zones = zone.where(zone != "", NO_ZONE)
    order = [z.official_name for z in result.registers.zones] + [NO_ZONE]
    counts = zones.value_counts().reindex(order).dropna().astype(int)
    return counts.rename_axis(column.detail_label("name")).reset_index(name="众创空间数")


def by_year(result: BatchResult) -> pd.DataFrame:
    """Accepted spaces per year of the form's date column."""
    rows = accepted(result)
    column = result.form.of_kind("date")[0]
    years = _starts(rows, column.field).dt.year.astype("Int64")
    counts = years.value_counts().sort_index()
    return counts.rename_axis(column.detail_label("year")).reset_index(name="众创空间数")


def by_disposition(result: BatchResult) -> pd.DataFrame:
    """Rows per bureau by disposition, every registered bureau that sent a live file."""
    rows = result.rows
    columns = [DISPOSITION_LABELS[d] for d in DISPOSITIONS]
    if rows.empty:
        return pd.DataFrame(columns=["推荐单位", *columns, "合计"])
    table = disposition_table(rows, "bureau")
    table = table.reindex(sorted(table.index, key=bureau_order(result).__getitem__))
    table.columns = columns
    table["合计"] = table.sum(axis=1)
    table.loc["合计"] = table.sum()
    return table.rename_axis("推荐单位").reset_index()


def rejected_frame(result: BatchResult) -> pd.DataFrame:
    """未通过: every rejected row with every reason, cell by cell."""
    rows = result.rows
    columns = ["推荐单位", "文件", "工作表", "行", "众创空间名称", "问题数", "问题", "代码"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    bad = rows[rows["disposition"] == "rejected"]
    errors = pd.DataFrame(
        [
            (p.file, p.sheet, p.row, f"{p.cell} {p.column}：{p.message}{p.hint}", p.code)
            for p in result.problems
            if p.severity == "error"
        ],
        columns=["file", "sheet", "row", "text", "code"],
    )
    grouped = errors.groupby(["file", "sheet", "row"]).agg(
        问题=("text", "\n".join), 问题数=("text", "size"), 代码=("code", lambda s: ";".join(s))
    )
    merged = bad.merge(grouped, left_on=["file", "sheet", "row"], right_index=True, how="left")
    return pd.DataFrame(
        {
            "推荐单位": merged["bureau"],
            "文件": merged["file"],
            "工作表": merged["sheet"],
            "行": merged["row"],
            "众创空间名称": merged["name"],
            "问题数": merged["问题数"].fillna(0).astype(int),
            "问题": merged["问题"].fillna(""),
            "代码": merged["代码"].fillna(""),
        }
    ).reset_index(drop=True)


MATCH_KINDS = {"prior": "往批已备案", "batch": "本批跨单位重复", "file": "同表重复"}
ACTIONS = {"prior": "自动剔除", "batch": "自动剔除", "file": "本行未通过"}


def duplicates_frame(result: BatchResult) -> pd.DataFrame:
    """重复: every duplicate and possible duplicate beside what it matched, score and reason."""
    columns = [
        "类型",
        "处理",
        "相似度",
        "原因",
        "推荐单位",
        "文件",
        "行",
        "名称",
        "运营主体",
        "匹配来源",
        "匹配文件",
        "匹配行",
        "匹配名称",
        "匹配运营主体",
    ]
    rows = result.rows.set_index("uid", drop=False) if len(result.rows) else result.rows
    files = {f.file: f for f in result.files}

    def where(r: pd.Series) -> str:
        """A row's file, with its sheet when the file was filled on several (prior rows: none)."""
        f = files.get(r["file"]) if "sheet" in r else None
        return r["file"] + (f.sheet_suffix(r["sheet"]) if f is not None else "")

    lines = []
    for m in result.matches.itertuples() if len(result.matches) else ():
        row = rows.loc[m.uid]
        if m.kind == "prior":
            other = result.prior.set_index("uid").loc[m.other]
            source = other["batch"]
        else:
            other = rows.loc[m.other]
            source = other["bureau"]
        action = ACTIONS[m.kind] if m.reason != "人工核定为重复" else "人工核定剔除"
        action = action if m.auto else "待人工核对（暂予受理）"
        lines.append(
            (
                MATCH_KINDS[m.kind],
                action,
                m.score,
                m.reason,
                row["bureau"],
                where(row),
                row["row"],
                row["name"],
                row["operator"],
                source,
                where(other),
                other["row"],
                other["name"],
                other["operator"],
            )
        )
    frame = pd.DataFrame(lines, columns=columns)
    return frame


def review_frame(result: BatchResult) -> pd.DataFrame:
    """待核对重复.csv: the possible duplicates awaiting a clerk, in the decisions-file layout.

    The clerk writes 保留 or 删除 under 处理意见 and saves the file as the configured decisions
    file (decisions.csv); 名称 and 匹配名称 are what the decision is keyed on.
    """
    dupes = duplicates_frame(result)
    pending = dupes[dupes["处理"] == "待人工核对（暂予受理）"]
    waiting = pd.DataFrame(
        {
            "名称": pending["名称"],
            "匹配名称": pending["匹配名称"],
            "处理意见": "",
            "推荐单位": pending["推荐单位"],
            "文件": pending["文件"],
            "行": pending["行"],
            "匹配来源": pending["匹配来源"],
            "相似度": pending["相似度"],
            "原因": pending["原因"],
        }
    )
    unapplied = unapplied_frame(result.unapplied, result.settings.decisions.name)
    if unapplied.empty:
        return waiting
    return pd.concat([waiting, unapplied], ignore_index=True).astype(object).fillna("")


def submission_state(live: FileOutcome | None, others: list[FileOutcome]) -> str:
    """A bureau's line in 报送情况: sent; waiting for a file still being copied (never called
    refused: nothing is wrong with it yet); refused; or nothing sent."""
    if live is not None:
        return "已报送"
    if any(f.status == "deferred" for f in others):
        return WAITING
    return "文件未通过" if others else "未报送"


def submissions_frame(result: BatchResult) -> pd.DataFrame:
    """报送情况: every registered bureau, submitted or not, then files no bureau owns."""
    counts = disposition_table(result.rows, "file")
    warnings = pd.Series(
        [p.file for p in result.problems if p.severity == "warning"], dtype=object
    ).value_counts()
    lines = []
    for bureau in result.registers.bureaus:
        mine = [f for f in result.files if f.bureau is not None and f.bureau.code == bureau.code]
        live = next((f for f in mine if f.status == "live"), None)
        others = [f for f in mine if f is not live and f.status not in PACKET_STATUSES]
        c = counts.loc[live.file] if live is not None and live.file in counts.index else None
        status = submission_state(live, others)
        lines.append(
            {
                "推荐单位": bureau.name,
                "类型": bureau.kind,
                "状态": status,
                "采用文件": live.file if live else "",
                "收到时间": live.received.strftime("%Y-%m-%d %H:%M")
                if live and live.received
                else "",
                "数据行": live.data_rows if live else 0,
                "受理": int(c["accepted"]) if c is not None else 0,
                "未通过": int(c["rejected"]) if c is not None else 0,
                "往批已备案": int(c["duplicate_prior"]) if c is not None else 0,
                "本批重复": int(c["duplicate_batch"]) if c is not None else 0,
                "提示": int(warnings.get(live.file, 0)) if live else 0,
                "其他文件": "；".join(f"{f.file}（{STATUS_LABELS[f.status]}）" for f in others),
            }
        )
    for f in result.files:
        if f.bureau is None and f.status not in ("ignored", "archive"):
            lines.append(
                {
                    "推荐单位": UNKNOWN_BUREAU,
                    "类型": "",
                    "状态": STATUS_LABELS[f.status],
                    "采用文件": "",
                    "收到时间": "",
                    "数据行": 0,
                    "受理": 0,
                    "未通过": 0,
                    "往批已备案": 0,
                    "本批重复": 0,
                    "提示": 0,
                    "其他文件": f"{f.file}（{f.codes or f.note}）",
                }
            )
    return pd.DataFrame(lines)
