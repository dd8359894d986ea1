"""The records the stages hand forward: what became of each file, and the whole batch."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.annex1 import FormRead
from pipeline.config import Settings
from pipeline.dedupe import Unapplied
from pipeline.packet_spec import PacketSpec
from pipeline.problems import Problem
from pipeline.read import SheetTable
from pipeline.schema import Bureau, FormSpec, Registers

DISPOSITIONS = ("accepted", "rejected", "duplicate_prior", "duplicate_batch")
PACKET_STATUSES = ("annex1", "annex2")
"""An Annex 1 form that was read, an Annex 2 document assigned to a space (SPEC §10)."""
# ``beian check`` names its receipt <file stem>-回执.xlsx; the nightly run never reads one.
RECEIPT_SUFFIX = "-回执"


@dataclass
class FileOutcome:
    """One file of the inbox and what became of it.

    ``problems`` is the one store of the file's problems: every stage appends to the file it
    judged, and the batch's list (:attr:`BatchResult.problems`) is derived from these lists.
    ``tables`` holds one table per filled sheet in workbook order, ``norms`` their normalised
    rows (same order); a data row is known by (file, sheet, row).
    """

    file: str
    path: Path
    status: str
    size: int = 0
    mtime: float = 0.0
    sha256: str = ""
    received: dt.datetime | None = None
    bureau: Bureau | None = None
    bureau_source: str = ""
    fmt: str = ""
    problems: list[Problem] = field(default_factory=list)
    tables: list[SheetTable] = field(default_factory=list)
    norms: list[pd.DataFrame] = field(default_factory=list)
    note: str = ""
    annex1: FormRead | None = None

    @property
    def codes(self) -> str:
        """The codes about the file as a whole (a refusal, an Annex 1 form matching no row)."""
        return ";".join(dict.fromkeys(p.code for p in self.problems if p.row is None))

    @property
    def data_rows(self) -> int:
        return sum(len(t.frame) for t in self.tables)

    def table_of(self, sheet: str) -> SheetTable:
        """The table read from ``sheet`` (sheet names are unique within a workbook)."""
        return next(t for t in self.tables if t.sheet == sheet)

    def sheet_suffix(self, sheet: str) -> str:
        """What follows the file's name where a message names a row of it: the sheet, when the
        file was filled on several."""
        return f" 工作表“{sheet}”" if len(self.tables) > 1 else ""


@dataclass
class BatchResult:
    """Everything the reports need, computed once."""

    settings: Settings
    form: FormSpec
    registers: Registers
    files: list[FileOutcome]
    rows: pd.DataFrame
    matches: pd.DataFrame
    prior: pd.DataFrame
    started: dt.datetime
    timings: dict[str, float] = field(default_factory=dict)
    unapplied: list[Unapplied] = field(default_factory=list)
    """Lines of the decisions file that could not be applied (pipeline/decisions.py)."""
    packet: PacketSpec | None = None
    """The Annex 1/2 spec of the form (pipeline/packet_spec.py), None when the form has none."""
    comparisons: dict[str, Any] = field(default_factory=dict)
    """Per file that replaces its bureau's earlier one: 与上次相比 (pipeline/compare.py)."""

    def counts(self) -> dict[str, int]:
        return disposition_counts(self.rows)

    @property
    def problems(self) -> list[Problem]:
        """Every problem of the batch, derived from the files that own them (see FileOutcome)."""
        return batch_problems(self.files)


def batch_problems(files: list[FileOutcome]) -> list[Problem]:
    """The problems of ``files``, file by file, each file's in the order they were found."""
    return [p for f in files for p in f.problems]


def record(files: list[FileOutcome], found: list[Problem]) -> None:
    """Give each problem to the file it is about: the only way a stage records problems found
    across files (dispositions, packets), so no problem exists outside its file."""
    by_file = {f.file: f for f in files}
    for p in found:
        by_file[p.file].problems.append(p)


def disposition_table(rows: pd.DataFrame, by: str) -> pd.DataFrame:
    """Data rows by ``by`` (bureau, file) and disposition, one column per disposition in order:
    the one place dispositions are counted; every total, per file or per batch, derives from it."""
    if rows.empty:
        return pd.DataFrame(columns=list(DISPOSITIONS), dtype=int)
    counted = rows.groupby([by, "disposition"]).size().unstack(fill_value=0)  # crosstab: 3× slower
    return counted.reindex(columns=DISPOSITIONS, fill_value=0)


def disposition_counts(rows: pd.DataFrame) -> dict[str, int]:
    """Data rows by disposition, every disposition present (zero when none)."""
    totals = disposition_table(rows, "file").sum()
    return {d: int(totals[d]) for d in DISPOSITIONS}
