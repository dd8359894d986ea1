"""The province's review of accepted spaces (SPEC §14): reading the clerk's review file and
applying the decisions to a night's rows.

A decision is 推荐, 不推荐 or 退回 (with a reason) on one space of one bureau, kept in the
ledger (pipeline/state/review_store.py). 推荐 and 不推荐 hold on every later night; 退回 holds
only on the file it was made on (its SHA-256): the row is rejected with E_RETURNED carrying the
clerk's reason until the bureau sends a newer file, whose rows the clerk then reviews again. The
review file is read as decisions.csv is (UTF-8 with or without BOM, GBK, UTF-16, headers
trimmed).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from pipeline.core.model import FileOutcome
from pipeline.core.problems import Problem
from pipeline.core.schema import SCHEMAS_DIR, FormSpec
from pipeline.dedupe.decisions import clean_cell, table_rows, table_text
from pipeline.dedupe.dispose import at_name_cell

WORDS = SCHEMAS_DIR / "review.toml"
RETURNED = "退回"
RECOMMENDED = "推荐"
REVIEW_COLUMNS = ("review", "review_reason", "review_by", "review_at", "review_note")
"""What each row carries after :func:`apply_reviews`: the 结论 in force, its 理由, who, when,
and a note when a 退回 lapsed because the bureau sent a newer file."""


@dataclass(frozen=True)
class Condition:
    """A basic condition of the notice the 评审 sheet shows: by a check, or by an Annex 2 kind."""

    label: str
    check: str = ""
    kind: int = 0


@dataclass(frozen=True)
class ReviewWords:
    """schemas/review.toml: the file's columns, the 结论 words, the conditions shown."""

    columns: dict[str, str]
    verdicts: dict[str, str]
    """word (lower-cased) -> the 结论 it means."""
    conditions: tuple[Condition, ...]

    @property
    def shown(self) -> str:
        return "/".join(dict.fromkeys(self.verdicts.values()))


@cache
def review_words(path: Path = WORDS) -> ReviewWords:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    verdicts = {w.lower(): said for said, words in data["verdicts"].items() for w in words}
    conditions = tuple(Condition(**c) for c in data["conditions"])
    return ReviewWords(dict(data["columns"]), verdicts, conditions)


class ReviewLine(NamedTuple):
    """One line of a review file: where it is, what it says, and why it was not applied."""

    line: int
    bureau: str
    name: str
    verdict: str
    reason: str
    refused: str = ""


def read_review_file(path: Path, words: ReviewWords | None = None) -> list[ReviewLine]:
    """Every non-blank line of the review file, each either a decision to record or refused
    (``refused`` says why: an unknown 结论, a 退回 without 理由, an empty name, a missing column,
    a file that is not text)."""
    words = words or review_words()
    text = table_text(path.read_bytes())
    if text is None:
        return [ReviewLine(0, "", "", "", "", f"{path.name} 不是文本表格（无法识别编码）")]
    header, records = table_rows(text)
    wanted = [words.columns[k] for k in ("bureau", "name", "verdict", "reason")]
    missing = [label for label in wanted if label not in header]
    if missing:
        reason = f"文件缺少列 {'、'.join(missing)}（应有 {','.join(wanted)}）"
        return [ReviewLine(1, "", "", "", "", reason)]
    return [
        review_line(number, [record.get(label) or "" for label in wanted], words)
        for number, record in records
    ]


def review_line(number: int, given: list[str], words: ReviewWords | None = None) -> ReviewLine:
    """One decision as the clerk gave it (推荐单位, 名称, 结论, 理由: a line of the file, or a
    form on the clerk page), judged: names cleaned, the 结论 word understood, a 退回 without 理由
    refused."""
    words = words or review_words()
    bureau, name, said = (clean_cell(v) for v in given[:3])
    reason = given[3].strip()  # the clerk's words, as written
    verdict = words.verdicts.get(said.lower(), "")
    refused = ""
    if not verdict:
        refused = f"结论“{said}”无法识别（应为 {words.shown}）"
    elif not bureau or not name:
        refused = f"{words.columns['bureau']}或{words.columns['name']}为空"
    elif verdict == RETURNED and not reason:
        refused = "退回必须写明理由（推荐单位将看到它）"
    return ReviewLine(number, bureau, name, verdict, reason, refused)


def _returned(
    row: pd.Series, decision: pd.Series, form: FormSpec, files: dict[str, FileOutcome]
) -> Problem:
    """E_RETURNED at the row's name cell, carrying the clerk's reason."""
    return at_name_cell(
        "E_RETURNED",
        row,
        form,
        files,
        reason=decision["reason"],
        who=decision["who"],
        time=str(decision["time"])[:16],
    )


def apply_reviews(
    rows: pd.DataFrame, reviews: pd.DataFrame, files: list[FileOutcome], form: FormSpec
) -> tuple[pd.DataFrame, list[Problem]]:
    """Give each accepted row the decision in force on it; a 退回 made on the row's own file
    rejects the row with E_RETURNED. ``reviews`` is the latest decision per bureau and name key
    (columns bureau, key, verdict, reason, sha256, who, time)."""
    rows = rows.assign(**dict.fromkeys(REVIEW_COLUMNS, ""))
    if rows.empty or reviews is None or reviews.empty:
        return rows, []
    by_file = {f.file: f for f in files}
    latest = reviews.set_index(["bureau", "key"])
    found: list[Problem] = []
    for index in rows.index[rows["disposition"] == "accepted"]:
        row = rows.loc[index]
        at = (row["bureau"], row["key"])
        if at not in latest.index:
            continue
        decision = latest.loc[at]
        if decision["verdict"] == RETURNED and decision["sha256"] != by_file[row["file"]].sha256:
            note = (
                f"{str(decision['time'])[:16]} 曾退回（{decision['reason']}），"
                "推荐单位已重新报送，待重新评审"
            )
            rows.loc[index, "review_note"] = note
            continue
        rows.loc[index, list(REVIEW_COLUMNS[:4])] = [
            decision["verdict"],
            decision["reason"],
            decision["who"],
            str(decision["time"])[:16],
        ]
        if decision["verdict"] == RETURNED:
            rows.loc[index, "disposition"] = "rejected"
            found.append(_returned(row, decision, form, by_file))
    return rows, found
