"""问题清单: one line per problem of a file, in reading order, with the fate of its row.

The 回执 writes it as a sheet, ``beian check`` prints it in the terminal; both take it from here,
so the terminal never imports a workbook writer.
"""

from __future__ import annotations

import pandas as pd

from pipeline.core.cells import coordinate
from pipeline.core.model import BatchResult, FileOutcome
from pipeline.core.problems import Problem
from pipeline.write.labels import DISPOSITION_LABELS
from pipeline.write.packet_report import bureau_packet_problems

SEVERITY_LABELS = {"file": "文件未受理", "error": "错误", "warning": "提示", "notice": "说明"}
PROBLEM_COLUMNS = ["单元格", "列", "填写内容", "问题", "修改建议", "类别", "本行处理"]


def position(p: Problem) -> tuple[int, int]:
    """(Excel row, column number) of a problem; file-level problems come first."""
    return coordinate(p.cell) if p.cell else (p.row or 0, 0)


def file_problems(outcome: FileOutcome) -> list[Problem]:
    """The file's problems in reading order: sheet by sheet as in the workbook, by row, then
    column; problems about the file or about no table's sheet first."""
    order = {t.sheet: i + 1 for i, t in enumerate(outcome.tables)}
    return sorted(outcome.problems, key=lambda p: (order.get(p.sheet, 0), *position(p)))


def cell_label(p: Problem, outcome: FileOutcome) -> str:
    """Where the problem is, as the bureau finds it: the cell (with its sheet, Excel's way, when
    the file was filled on several sheets), the row, a sheet left out (W_OTHER_SHEETS), the file,
    or another file (a form of the bureau's)."""
    if p.cell:
        return f"{p.sheet}!{p.cell}" if len(outcome.tables) > 1 else p.cell
    if p.row:
        return f"第 {p.row} 行"
    if p.file != outcome.file:
        return p.file
    return f"工作表“{p.sheet}”" if p.sheet and p.severity != "file" else "整个文件"


def file_rows(result: BatchResult, outcome: FileOutcome) -> pd.DataFrame:
    """The file's data rows: file, row number and disposition (the rest is not copied: each
    回执 asks twice, and a large batch has many columns)."""
    rows = result.rows
    if not len(rows):
        return rows
    return rows.loc[rows["file"] == outcome.file, ["file", "sheet", "row", "disposition"]]


def problems_frame(result: BatchResult, outcome: FileOutcome) -> pd.DataFrame:
    """问题清单: cell, column, value as sent, what is wrong, how to fix, kind, the row's fate."""
    rows = file_rows(result, outcome)
    at = zip(rows["sheet"], rows["row"], rows["disposition"], strict=True) if len(rows) else ()
    fate = {(sheet, row): disposition for sheet, row, disposition in at}
    packet = bureau_packet_problems(result, outcome)
    lines = [
        (
            cell_label(p, outcome),
            p.column,
            p.value,
            p.message,
            p.hint,
            SEVERITY_LABELS[p.severity],
            DISPOSITION_LABELS.get(fate.get((p.sheet, p.row), ""), ""),
        )
        for p in file_problems(outcome) + packet
    ]
    return pd.DataFrame(lines, columns=PROBLEM_COLUMNS)
