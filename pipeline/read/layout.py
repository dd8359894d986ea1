"""How a sheet is laid out around and inside the Annex 3 table, read as a clerk reads it.

The reader finds the header; these rules say what else a filled sheet holds that is not a space:
- merged cells below the header: every cell of a merge holds its value (an operator or address
  merged down over the spaces it runs; a yes/no merged across two columns) — :func:`fill_merged`;
- the row under the header that numbers the columns (1 2 3 …, ①②③, (1)(2)), and the header
  repeated further down where a long table was pasted page by page;
- signature and stamp lines (…（盖章）, 签字：…) and a lone date under the table (2016年4月10日);
- an example row marked in its 序号 cell (例, 示例);
- a group heading between the spaces: a row whose only filled cell is numbered in Chinese
  (一、长沙市, （二）浏阳市);
- a cell reading 同上 ("the same as above") holds the value of the cell above it, and one reading
  同电话 ("the same as the phone") the value of that column in its row;
- a field given two columns (是否在国家高新区 | 高新区名称) is read as the two cells together, and a
  yes/no field split into tick columns (是 | 否) as the word over the ticked one.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from pipeline.core.model import Merge
from pipeline.core.schema import FormSpec
from pipeline.read.header import header_key, header_lookup

_COLUMN_NUMBER = re.compile(r"(?:[(（]?\d{1,2}[)）]?|[①-⑳])")
_WHOLE_DATE = re.compile(
    r"^[\d〇零○一二三四五六七八九十]{4}\s*年\s*[\d一二三四五六七八九十]{1,2}\s*月"
    r"(?:\s*[\d一二三四五六七八九十]{1,3}\s*[日号])?$"
)
_GROUP_HEADING = re.compile(
    r"^(?:[(（][一二三四五六七八九十]{1,3}[)）]|[一二三四五六七八九十]{1,3}[、.．])\s*\S"
)
# The first rows under the header looked at for column numbers.
_NUMBER_ROWS = 2
_strip = np.frompyfunc(str.strip, 1, 1)
_SAME_AS_LENGTH = 16
"""The longest cell :func:`same_as_column` reads as a reference (同办公室电话号码 is 8)."""


def stripped(frame: pd.DataFrame) -> np.ndarray:
    """Every cell's text without the spaces around it, as a 2-D array of ``str``.

    The layout rules look at a sheet cell by cell across its columns: on a bureau's few dozen
    rows, one pass over an array costs a fraction of the fixed cost of a string operation per
    column (≈0.1 ms each, most of a small sheet's reading time).
    """
    cells = frame.to_numpy(dtype=object)
    return _strip(cells) if cells.size else cells


def member(cells: np.ndarray, words: Any) -> np.ndarray:
    """Whether each cell is one of ``words``, as a bool array of the cells' shape."""
    found = np.frompyfunc(frozenset(words).__contains__, 1, 1)(cells) if cells.size else cells
    return np.asarray(found, dtype=bool)


def matches(cells: np.ndarray, pattern: re.Pattern[str], how: str = "search") -> np.ndarray:
    """Whether ``pattern`` finds (``search``) or is (``fullmatch``) each cell, as bools."""
    test = getattr(pattern, how)
    return np.fromiter((test(c) is not None for c in cells.ravel()), bool, cells.size).reshape(
        cells.shape
    )


def fill_merged(grid: list[list[Any]], merges: list[Merge], first_row: int) -> list[list[Any]]:
    """The rows from ``first_row`` (0-based) down, with every merge that starts there filled with
    its top-left value. Merges of the title and header above are left as they are: the header
    finder reads a merged label once."""
    body = [m for m in merges if first_row <= m[0][0] < len(grid) and m[0][1] < len(grid[m[0][0]])]
    if not body:
        return grid[first_row:]
    cells = pd.DataFrame(grid[first_row:], dtype=object).to_numpy(dtype=object, copy=True)
    for (top, left), (bottom, right) in body:
        cells[top - first_row : bottom - first_row + 1, left : right + 1] = grid[top][left]
    return cells.tolist()


def first_filled(cells: np.ndarray) -> np.ndarray:
    """The first non-blank cell of each row of :func:`stripped` cells (``""`` for a blank row)."""
    if not cells.size:
        return np.full(len(cells), "", dtype=object)
    first = (cells != "").argmax(axis=1)
    return cells[np.arange(len(cells)), first]


def same_as_above(whole: pd.DataFrame, ditto: tuple[str, ...]) -> pd.DataFrame:
    """Cells reading 同上 take the value of the cell above them (which may itself be 同上)."""
    marks = member(stripped(whole), ditto)
    if not marks.any():
        return whole
    return whole.mask(marks).ffill().fillna(whole)


def same_as_column(text: pd.DataFrame, form: FormSpec) -> pd.DataFrame:
    """Cells reading 同电话 (a ``same_as`` form of the spec around another column's label or
    alias) take that column's value in their row; a name that is no other column's is kept."""
    forms = [re.escape(f).replace(r"\{\}", "(.+)") for f in form.same_as]
    if not forms or text.empty:
        return text
    pattern = re.compile("|".join(f"(?:{f})" for f in forms))
    starts = tuple({f[:1] for f in form.same_as})
    lookup = header_lookup(form)
    cells = stripped(text)
    short = np.frompyfunc(lambda c: len(c) <= _SAME_AS_LENGTH and c.startswith(starts), 1, 1)
    taken: list[tuple[int, int, int]] = []  # (row, column, the column it names)
    for row, col in np.argwhere(np.asarray(short(cells), dtype=bool)):
        found = pattern.fullmatch(cells[row, col])
        other = (
            lookup.get(header_key(next((g for g in found.groups() if g), ""))) if found else None
        )
        if other is not None and other != text.columns[col] and other in text.columns:
            taken.append((row, col, text.columns.get_loc(other)))
    if not taken:
        return text
    out = text.copy()
    for row, col, other_col in taken:
        out.iat[row, col] = text.iat[row, other_col]
    return out


def ticked(
    text: pd.DataFrame, whole: pd.DataFrame, ticks: dict[str, dict[int, str]], form: FormSpec
) -> pd.DataFrame:
    """Each yes/no field split into tick columns (是 | 否, read.header.tick_columns) reads as
    the word over each ticked column (√ under 否 is 否); other text in a ticked column is the
    name after its word (长沙高新区 under 是 is 是，长沙高新区). Two ticks read as both, which the
    answer rules then refuse as a clerk would."""
    if not ticks:
        return text
    out = text.copy()
    marks = frozenset(form.tick_marks)
    for fld, columns in ticks.items():
        cells = stripped(whole.reindex(columns=list(columns), fill_value=""))
        words = list(columns.values())
        out[fld] = [
            "，".join(
                w if v in marks else f"{w}，{v}" for w, v in zip(words, row, strict=True) if v
            )
            for row in cells
        ]
    return out


def join_companions(
    text: pd.DataFrame, whole: pd.DataFrame, companions: dict[str, list[int]]
) -> pd.DataFrame:
    """Each field with further columns reads as its cells joined by ``，`` (是，长沙高新区)."""
    joined = text.copy()
    for fld, columns in companions.items():
        value = joined[fld].str.strip()
        for col in (c for c in columns if c in whole):
            other = whole[col].str.strip()
            value = value.where(other == "", (value + "，" + other).str.strip("，"))
        joined[fld] = value
    return joined


def layout_noise(
    whole: pd.DataFrame, text: pd.DataFrame, header: pd.DataFrame, form: FormSpec
) -> dict[int, str]:
    """Rows of the table's body that belong to its layout: {Excel row: reason}.

    ``whole`` is every column of the body as text, ``text`` the form's fields, ``header`` the
    header rows' text in the same columns as ``whole``.
    """
    if whole.empty:
        return {}
    cells = stripped(whole)
    filled = cells != ""
    count = filled.sum(axis=1)
    reasons = np.full(len(cells), "", dtype=object)
    lead = cells[:_NUMBER_ROWS]
    numbers = np.zeros(len(cells), dtype=bool)
    numbers[: len(lead)] = (matches(lead, _COLUMN_NUMBER, "fullmatch") | (lead == "")).all(axis=1)
    reasons[numbers & (count >= form.header_min_columns)] = "列序号行"
    labels = stripped(header)
    repeated = sum(
        member(cells[:, i], set(labels[:, i]) - {""}) & filled[:, i] for i in range(cells.shape[1])
    )
    reasons[repeated >= form.header_min_columns] = "重复表头"
    fields_filled = (stripped(text) != "").sum(axis=1)
    joined = np.array(["".join(row) for row in cells], dtype=object)
    words = re.compile("|".join(map(re.escape, form.footer_words)) or r"(?!)")
    signed = matches(joined, words)
    lone_date = (count == 1) & matches(joined, _WHOLE_DATE, "fullmatch")
    reasons[(signed | lone_date) & (fields_filled < 3) & (reasons == "")] = "表尾说明"
    example = {w.strip("：:") for w in form.example_labels}
    labelled = member(
        np.array([c.strip("：:") for c in first_filled(cells)], dtype=object), example
    )
    reasons[labelled & (reasons == "")] = "填写示例行"
    heading = (count == 1) & matches(joined, _GROUP_HEADING)
    reasons[heading & (reasons == "")] = "分组标题"
    return {int(row): why for row, why in zip(whole.index, reasons, strict=True) if why}
