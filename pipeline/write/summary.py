"""The closing summary after ``beian run``: counts per bureau, then where the outputs are."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from pipeline.write.labels import DISPOSITION_LABELS


def frame_table(frame: pd.DataFrame, title: str = "", highlight: pd.Series | None = None) -> Table:
    """Any report frame as a rich table: values escaped (a cell may hold ``[/b]``), long text
    folded, the 合计 row in bold, rows flagged in ``highlight`` in red."""
    table = Table(title=title or None, title_justify="left", header_style="bold")
    for i, col in enumerate(frame.columns):
        numeric = i > 0 and frame[col].dtype.kind in "iuf"
        table.add_column(
            str(col),
            justify="right" if numeric else "left",
            overflow="fold",
            no_wrap=i == 0,
            min_width=_widest(frame[col]) if numeric else None,  # a number is never folded
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


FOLDED_WIDTH = 4
"""Cells a text column keeps when the table is squeezed (its text folds onto more lines)."""


def _widest(values: pd.Series) -> int:
    return max((cell_len(str(v)) for v in values.tolist()), default=0)


def whole_width(frame: pd.DataFrame) -> int:
    """The narrowest width at which a table of ``frame`` keeps its first column and every number
    whole: the first column at its widest (header too), numbers at their widest (their headers
    fold), other text folded, plus borders and padding."""
    widths = []
    for i, col in enumerate(frame.columns):
        if i == 0:
            widths.append(max(_widest(frame[col]), cell_len(str(col))))
        elif frame[col].dtype.kind in "iuf":
            widths.append(max(_widest(frame[col]), 2))
        else:
            widths.append(FOLDED_WIDTH)
    return sum(widths) + 3 * len(widths) + 1


class FrameView:
    """A report frame for the terminal: a table where it fits whole, else one plain line per row
    ("名称：列 值，列 值"), so a narrow console (COLUMNS=40) still shows every number."""

    def __init__(self, frame: pd.DataFrame, title: str = "", highlight: pd.Series | None = None):
        self.frame, self.title, self.highlight = frame, title, highlight

    def __rich_console__(
        self, console: Console, options: ConsoleOptions
    ) -> Iterator[RenderableType]:
        if options.max_width >= whole_width(self.frame):
            yield frame_table(self.frame, self.title, self.highlight)
            return
        if self.title:
            yield Text(self.title, style="bold")
        first, *rest = self.frame.columns
        for record in self.frame.to_dict("records"):
            shown = [f"{c} {record[c]}" for c in rest if not pd.isna(record[c]) and record[c] != ""]
            yield Text(f"{record[first]}：" + "，".join(shown), overflow="fold")
