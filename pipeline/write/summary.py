"""The closing summary after ``beian run``: counts per bureau, then where the outputs are."""

from __future__ import annotations

import pandas as pd
from rich.markup import escape
from rich.table import Table

from pipeline.write.report import DISPOSITION_LABELS


def frame_table(frame: pd.DataFrame, title: str = "", highlight: pd.Series | None = None) -> Table:
    """Any report frame as a rich table: values escaped (a cell may hold ``[/b]``), long text
    folded, the 合计 row in bold, rows flagged in ``highlight`` in red."""
    table = Table(title=title or None, title_justify="left", header_style="bold")
    for i, col in enumerate(frame.columns):
        numeric = i > 0 and frame[col].dtype.kind in "iuf"
        table.add_column(
            str(col), justify="right" if numeric else "left", overflow="fold", no_wrap=i == 0
        )
    marked = highlight if highlight is not None else pd.Series(False, index=frame.index)
    for values, mark in zip(frame.itertuples(index=False), marked, strict=True):
        style = "bold" if str(values[0]) == "合计" else "bold red" if mark else None
        table.add_row(*("" if pd.isna(v) else escape(str(v)) for v in values), style=style)
    return table


def counts_line(counts: dict[str, int]) -> str:
    """数据行 N：受理 a，未通过 b，往批已备案 c，本批重复 d."""
    total = sum(counts.values())
    parts = "，".join(f"{DISPOSITION_LABELS[k]} {v}" for k, v in counts.items())
    return f"数据行 {total}：{parts}"
