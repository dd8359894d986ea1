"""Find the Annex 3 header in a sheet, and the stamp line that names the bureau.

Labels are matched after folding (NFKC, notes in brackets and required-markers dropped) against
each column's label and aliases in the form file. A header may span several rows — labels under
a merged group cell, a label broken across rows, a note under it — and a field may be given two
columns (是否在国家高新区 | 高新区名称), both of which are found.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from pipeline.core.model import Grid
from pipeline.core.schema import FormSpec, fold
from pipeline.core.values import cell_text

# A header may be split over this many rows (a label broken twice, a note under it).
MAX_HEADER_ROWS = 3

_PAREN = re.compile(r"\(.*?\)|\[.*?\]|【.*?】")
_HEADER_NOISE = re.compile(r"[*＊:：\s]")


def header_key(text: str) -> str:
    """Fold a header cell for matching: NFKC, notes in brackets and required-markers dropped."""
    nfkc = unicodedata.normalize("NFKC", text)
    return _HEADER_NOISE.sub("", _PAREN.sub("", nfkc)).lower()


def header_lookup(form: FormSpec) -> dict[str, str]:
    """Folded header text -> field, from each column's label and aliases."""
    lookup: dict[str, str] = {}
    for col in form.columns:
        for text in (col.label, *col.aliases):
            lookup.setdefault(header_key(text), col.field)
            lookup.setdefault(fold(re.sub(r"[()（）]", "", text)), col.field)
    return lookup


def _match_all(cells: list[Any], lookup: dict[str, str]) -> list[tuple[int, str]]:
    """(column, field) of every header cell that names a field."""
    keys = [header_key(cell_text(v).strip()) for v in cells]
    return [(i, lookup[k]) for i, k in enumerate(keys) if k and k in lookup]


def _match_row(cells: list[str], lookup: dict[str, str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, fld in _match_all(cells, lookup):
        found.setdefault(fld, index)
    return found


def find_header(grid: Grid, form: FormSpec) -> tuple[int, int, dict[str, int]] | None:
    """Locate the header: (first 0-based header row, rows it spans, field -> column).

    A header may span up to ``MAX_HEADER_ROWS`` rows (labels under a merged group cell, a label
    broken across rows): a row continues the ones above when every filled cell of it is a label,
    a note in brackets, or the rest of the label above it. The best score wins; the first row wins
    a tie.
    """
    lookup = header_lookup(form)
    best: tuple[int, int, dict[str, int]] | None = None
    limit = min(form.header_search_rows, len(grid))
    depth = min(limit + MAX_HEADER_ROWS - 1, len(grid))
    rows = [[cell_text(v).strip() for v in grid[r]] for r in range(depth)]
    for r in range(limit):
        found, span = _match_row(rows[r], lookup), 1
        while r + span < len(rows) and span < MAX_HEADER_ROWS:
            stack, below = rows[r : r + span], rows[r + span]
            ticks = _ticks(_joined(stack), below, _answer_columns(found, form), form)
            if not _continues(_joined(stack), below, lookup, set(ticks)):
                break
            joined = _match_stack([*stack, below], lookup)
            if len(joined) <= len(_match_row(below, lookup)):
                break
            found, span = joined, span + 1
        if "name" not in found or len(found) < form.header_min_columns:
            continue
        if best is None or len(found) > len(best[2]):
            best = (r, span, found)
    return best


def _continues(top: list[str], below: list[str], lookup: dict[str, str], ticks: set[int]) -> bool:
    cells = [(c, a, b) for c, (a, b) in enumerate(zip(top, below, strict=False)) if b]
    return bool(cells) and all(
        c in ticks or not header_key(b) or header_key(b) in lookup or header_key(a + b) in lookup
        for c, a, b in cells
    )


def _answer_columns(found: dict[str, int], form: FormSpec) -> dict[int, str]:
    """The columns of the yes/no fields found: column -> field."""
    return {found[c.field]: c.field for c in form.columns if c.answer and c.field in found}


def _ticks(
    top: list[str], below: list[str], answers: dict[int, str], form: FormSpec
) -> dict[int, str]:
    """Cells of ``below`` that split a yes/no field into tick columns (是 | 否 under
    是否在国家高新区, whose label stands over the first and is blank over the rest):
    column -> field."""
    found: dict[int, str] = {}
    owner: int | None = None
    for col, word in enumerate(below):
        if col < len(top) and top[col]:
            owner = col
        if owner in answers and word in form.tick_columns:
            found[col] = answers[owner]
    return found


def tick_columns(
    header: Grid, columns: dict[str, int], form: FormSpec
) -> dict[str, dict[int, str]]:
    """Yes/no fields split into tick columns by the header's last row: field -> {column: word}
    (是 | 否), for a field with two columns or more."""
    if len(header) < 2:
        return {}
    rows = [[cell_text(v).strip() for v in row] for row in header]
    answers = _answer_columns(columns, form)
    found: dict[str, dict[int, str]] = {}
    for col, fld in _ticks(_joined(rows[:-1]), rows[-1], answers, form).items():
        found.setdefault(fld, {})[col] = rows[-1][col]
    return {fld: cols for fld, cols in found.items() if len(cols) > 1}


def _joined(stack: list[list[str]]) -> list[str]:
    """The rows of a header joined down each column."""
    width = max(len(r) for r in stack)
    return ["".join(r[c] if c < len(r) else "" for r in stack) for c in range(width)]


def _match_stack(stack: list[list[str]], lookup: dict[str, str]) -> dict[str, int]:
    """Fields of a header over several rows: labels joined down each column, else the label of
    one row, the lowest first."""
    found = _match_row(_joined(stack), lookup)
    for single in reversed(stack):
        for fld, col in _match_row(single, lookup).items():
            found.setdefault(fld, col)
    return found


def companion_columns(
    header: Grid, columns: dict[str, int], form: FormSpec
) -> dict[str, list[int]]:
    """Further columns whose header names a field already found: 是否在国家高新区 | 高新区名称."""
    lookup = header_lookup(form)
    found: dict[str, list[int]] = {}
    taken = set(columns.values())
    for row in header:
        for col, fld in _match_all(row, lookup):
            if fld in columns and col not in taken:
                found.setdefault(fld, []).append(col)
                taken.add(col)
    return found


def find_stamp(grid: Grid, header_row: int, form: FormSpec, footer: Grid) -> str:
    """The bureau named on the stamp line (text after the colon): above the header, else among
    the ``footer`` lines under the table (…（盖章）：长沙市科学技术局 at the foot of the sheet)."""
    for rows in (grid[:header_row], footer):
        for row in rows:
            texts = [cell_text(v).strip() for v in row]
            for i, text in enumerate(texts):
                if not any(marker in text for marker in form.stamp_markers):
                    continue
                after = re.split(r"[:：]", unicodedata.normalize("NFKC", text))[-1].strip()
                rest = [t for t in texts[i + 1 :] if t]
                if after or rest:
                    return after or rest[0]
    return ""
