"""The packet's tables for the outputs: 附件核对 and the packet lines of a bureau's 回执.

Computed from the :class:`BatchResult` only (the rows carry what
:mod:`pipeline.packet.assemble` found), so the workbook, the receipts and dispositions.csv
say the same thing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.model import BatchResult, FileOutcome
from pipeline.core.problems import Problem
from pipeline.write.report import accepted

KINDS = range(1, 10)
CHECK_COLUMNS = [
    "推荐单位",
    "众创空间名称",
    "来源文件",
    "来源行",
    "附件1",
    "不一致（字段：表3值 ≠ 附件1值）",
    "超出字数",
    "未填写或非数字",
    *(f"第{k}类" for k in KINDS),
    "未分类",
    "附件2文件数",
    "盖章",
]
NO_FORM = "未收到"
ELECTRONIC = "附件1为电子文件，不查"
"""A Word or Excel form is the electronic copy and carries no seal (SPEC §15)."""
TABLE_UNSEALED = "附件3扫描件缺推荐单位盖章"


def unsealed_tables(result: BatchResult) -> set[str]:
    """Annex 3 files read from a scan whose stamp line bears no seal."""
    return {
        f.file
        for f in result.files
        if any(p.code == "W_SEAL_MISSING" and p.row is None for p in f.problems)
    }


def check_frame(result: BatchResult) -> pd.DataFrame:
    """附件核对: one line per accepted space, in binder order: its form, every disagreement,
    the over-long and empty sections, the nine kinds ✓/✗ and the 未分类 count, and the seals of
    scans (盖章): the form's places, and a scanned Annex 3 without the bureau's seal."""
    rows = accepted(result)
    if rows.empty or "annex1" not in rows:
        return pd.DataFrame(columns=CHECK_COLUMNS)
    present = "," + rows["annex2_kinds"].astype(str) + ","
    frame = pd.DataFrame(
        {
            "推荐单位": rows["bureau"],
            "众创空间名称": rows["name"],
            "来源文件": rows["file"],
            "来源行": rows["row"],
            "附件1": rows["annex1"].where(rows["annex1"] != "", NO_FORM),
            "不一致（字段：表3值 ≠ 附件1值）": rows["annex1_mismatch"],
            "超出字数": rows["annex1_long"],
            "未填写或非数字": rows["annex1_empty"],
        }
    )
    for k in KINDS:
        frame[f"第{k}类"] = np.where(present.str.contains(f",{k},", regex=False), "✓", "✗")
    frame["未分类"] = rows["annex2_unclassified"].astype(int)
    frame["附件2文件数"] = rows["annex2_files"].astype(int)
    seals = rows["annex1_seals"] if "annex1_seals" in rows else pd.Series("", index=rows.index)
    form = np.where(seals != "", "附件1" + seals, np.where(rows["annex1"] != "", ELECTRONIC, ""))
    unsealed = rows["file"].isin(unsealed_tables(result)).to_numpy()
    frame["盖章"] = np.where(unsealed, [f"{s}；{TABLE_UNSEALED}".lstrip("；") for s in form], form)
    return frame.reset_index(drop=True)


def bureau_packet_problems(result: BatchResult, outcome: FileOutcome) -> list[Problem]:
    """Problems of the bureau's forms that belong to no row of its workbook (a form matching no
    space): the bureau's 回执 lists them after its own file's problems."""
    if outcome.bureau is None or outcome.status != "live":
        return []
    return [
        p
        for f in result.files
        if f.status == "annex1" and f.bureau is not None and f.bureau.code == outcome.bureau.code
        for p in f.problems
        if p.row is None
    ]


def packet_summary(result: BatchResult, outcome: FileOutcome) -> str:
    """One line for the 回执's 概况: how many forms and documents of the bureau were taken."""
    if outcome.bureau is None:
        return ""
    mine = [
        f for f in result.files if f.bureau is not None and f.bureau.code == outcome.bureau.code
    ]
    forms = sum(f.status == "annex1" for f in mine)
    documents = sum(f.status == "annex2" for f in mine)
    if not forms and not documents:
        return ""
    return (
        f"收到附件1 {forms} 份、附件2证明文件 {documents} 个；"
        "核对结果见“问题清单”中附件1、附件2各行。"
    )
