"""The records the stages hand forward: what became of each file, and the whole batch."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from pipeline.core.config import Settings
from pipeline.core.packet_spec import PacketSpec
from pipeline.core.problems import Problem
from pipeline.core.schema import Bureau, FormSpec, Registers

Grid = list[list[Any]]
"""A sheet as read: rows of cell values, row 0 the sheet's first row."""
Merge = tuple[tuple[int, int], tuple[int, int]]
"""A merged range, 0-based (top, left), (bottom, right)."""

DISPOSITIONS = ("accepted", "rejected", "duplicate_prior", "duplicate_batch")


class FileStatus(StrEnum):
    """What became of a file. The first eight are the statuses of files.csv (SPEC §7, §10); the
    last three are steps on the way that no output ever shows: a file not yet judged, a readable
    submission before the live one of its bureau is chosen, a document not yet placed."""

    LIVE = "live"
    SUPERSEDED = "superseded"
    REJECTED = "rejected"
    DEFERRED = "deferred"
    IGNORED = "ignored"
    ANNEX1 = "annex1"
    ANNEX2 = "annex2"
    ARCHIVE = "archive"
    """An archive opened as a folder of its name; its members have their own (SPEC §10)."""
    UNJUDGED = ""
    CANDIDATE = "candidate"
    DOCUMENT = "document"


PACKET_STATUSES = (FileStatus.ANNEX1, FileStatus.ANNEX2)
"""An Annex 1 form that was read, an Annex 2 document assigned to a space (SPEC §10)."""
# ``beian check`` names its receipt <file stem>-回执.xlsx; the nightly run never reads one.
RECEIPT_SUFFIX = "-回执"


@dataclass
class SheetTable:
    """The Annex 3 table found in one sheet.

    ``frame`` holds the text of every field as sent (``""`` when empty), indexed by Excel row
    number; ``columns`` maps each found field to its 0-based column; ``grid`` is the whole sheet as
    read, kept so the feedback workbook can show the bureau its own sheet; ``merges`` its merged
    ranges (0-based (top, left), (bottom, right)).
    """

    sheet: str
    header_rows: tuple[int, ...]
    columns: dict[str, int]
    frame: pd.DataFrame
    stamp: str
    grid: Grid
    skipped: dict[int, str] = field(default_factory=dict)
    merges: list[Merge] = field(default_factory=list)
    title: str = ""


@dataclass
class ReadResult:
    """What reading one file produced: its tables (one per filled sheet, in workbook order), or
    file-level problems saying why not."""

    file: str
    path: Path
    fmt: str
    tables: list[SheetTable]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return bool(self.tables) and not any(p.severity == "file" for p in self.problems)


@dataclass
class FormRead:
    """What one form says, as typed, with where each value stands (table row or Excel cell)."""

    values: dict[str, str] = field(default_factory=dict)
    contacts: dict[str, dict[str, str]] = field(default_factory=dict)
    sections: dict[str, tuple[str, int, str]] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)
    labels: int = 0
    stamp: str = ""
    """The recommending unit's line (推荐单位意见 … 单位（签章）), which may name the bureau."""
    unsure: set[str] = field(default_factory=set)
    """Fields a scan did not read reliably (blank, and named in W_SCAN_UNSURE, not checked)."""
    scanned: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    """What reading a scan raised, as (code, field or place, params), for the matched row."""


class Unapplied(NamedTuple):
    """A line of decisions.csv that was not applied, and why (shown as 未应用)."""

    line: int
    name: str
    other: str
    verdict: str
    reason: str


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
    status: FileStatus
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
    forms: list[FormRead] = field(default_factory=list)
    """The Annex 1 forms the file holds (a document may hold several spaces' forms)."""

    def __setattr__(self, name: str, value: Any) -> None:
        """A status is one of :class:`FileStatus`, however a stage spells it: a typo fails at
        once, where it is made, instead of leaving a file out of every count."""
        if name == "status":
            value = FileStatus(value)
        super().__setattr__(name, value)

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
    """Per file that replaces its bureau's earlier one: 与上次相比 (pipeline/write/compare.py)."""

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
