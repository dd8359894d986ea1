"""Which sheets of a workbook are the submission: every visible sheet that holds the Annex 3 table
with rows, in workbook order — a bureau that fills one sheet per district sends them all.

A hidden sheet, or an empty copy of the template, beside filled sheets is not the submission (a
hidden one with spaces of its own is named in the receipt, W_HIDDEN_SHEET); a sheet whose
header is not Annex 3 (a 说明 sheet, a pivot, a chart's data) is not a table; a sheet
that only repeats rows read before (a printing copy, a 汇总 beside its districts) is read once
(I_SHEET_REPEATED). What a
clerk could not decide either is a visible sheet with spaces under a header that names the space
and some Annex 3 columns but too few to read it as the form: it is not consolidated, and the
receipt says so at its name (W_OTHER_SHEETS).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pipeline.core.model import Grid
from pipeline.core.schema import FormSpec
from pipeline.core.values import cell_text
from pipeline.read.header import find_header

if TYPE_CHECKING:  # read.py builds the tables and imports this module, model.py imports read.py
    from pipeline.core.model import FileOutcome, SheetTable

PARTIAL_MIN_COLUMNS = 2
"""Columns a header must name (the space's name among them) to be taken for a spoiled Annex 3."""


def choose_tables(
    built: list[tuple[bool, SheetTable]],
) -> tuple[list[SheetTable], list[SheetTable]]:
    """The tables of the submission from every sheet's (visible, table), in workbook order, and
    the filled sheets that only repeat them.

    Every visible table with rows is taken, except one whose every row stands, field for field,
    on the sheets taken before it: a copy made for printing (附件3 (2)), a district sheet after a
    汇总 sheet that holds all districts, or the 汇总 sheet after its districts — the same spaces,
    read once (I_SHEET_REPEATED). When no visible sheet has rows, the one best candidate stands
    for the file (visible before hidden, with rows before without, the best header, the most rows;
    the first of equals) so the refusal names the sheet it is about, as a clerk reading a file of
    empty templates or of a hidden table only would.
    """
    filled = [table for visible, table in built if visible and len(table.frame)]
    taken, repeats = filled[:1], []
    seen = set(rows_of(filled[0])) if len(filled) > 1 else set()
    for table in filled[1:]:
        rows = set(rows_of(table))
        if rows <= seen:
            repeats.append(table)
        else:
            taken.append(table)
            seen |= rows
    if taken or not built:
        return taken, repeats
    _, best = max(
        built,
        key=lambda b: (int(b[0]), int(len(b[1].frame) > 0), len(b[1].columns), len(b[1].frame)),
    )
    return [best], []


def hidden_left_out(
    built: list[tuple[bool, SheetTable]], taken: list[SheetTable]
) -> list[SheetTable]:
    """Hidden Annex 3 sheets with rows that are not read (visible sheets were): a clerk opening
    the file does not see them, so the bureau is told (W_HIDDEN_SHEET) rather than its spaces
    being dropped without a word; a hidden copy of rows already read says nothing new."""
    names = {table.sheet for table in taken}
    seen = {row for table in taken for row in rows_of(table)}
    return [
        table
        for visible, table in built
        if not visible
        and table.sheet not in names
        and len(table.frame)
        and not set(rows_of(table)) <= seen
    ]


def rows_of(table: SheetTable) -> list[tuple[str, ...]]:
    """A table's rows as tuples of its fields' text, in the form's order (whatever the sheet's)."""
    return list(table.frame.itertuples(index=False, name=None))


def spoiled_sheets(
    sheets: list[tuple[str, bool, Grid]], headed: set[str], form: FormSpec
) -> dict[str, tuple[int, int]]:
    """Visible sheets without the Annex 3 header (not in ``headed``) whose header row names the
    space and at least one more field, with named rows under it: sheet → (rows, fields found)."""
    loose = replace(form, header_min_columns=PARTIAL_MIN_COLUMNS)
    found: dict[str, tuple[int, int]] = {}
    for name, visible, grid in sheets:
        header = find_header(grid, loose) if visible and name not in headed else None
        if header is None:
            continue
        start, span, columns = header
        col = columns["name"]
        names = (cell_text(row[col]).strip() for row in grid[start + span :] if col < len(row))
        rows = sum(map(bool, names))
        if rows:
            found[name] = (rows, len(columns))
    return found


EXCEL_NAME_LIMIT = 31
_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))


def marked_names(sources: list[str], taken: set[str]) -> list[str]:
    """The 回执's 标注 sheet of each source sheet: 标注 alone for a file of one sheet, else
    标注-<sheet> (标注-长沙县), cut to Excel's 31 characters and numbered where two would clash
    (Excel compares sheet names without case) with each other or with ``taken``."""
    if len(sources) == 1:
        return ["标注"]
    used = {name.casefold() for name in taken}
    names = []
    for source in sources:
        base = f"标注-{source.translate(_FORBIDDEN)}"[:EXCEL_NAME_LIMIT]
        name, n = base, 1
        while name.casefold() in used:
            n += 1
            name = f"{base[: EXCEL_NAME_LIMIT - len(str(n)) - 1]}~{n}"
        used.add(name.casefold())
        names.append(name)
    return names


def sheets_read(outcome: FileOutcome) -> str:
    """The sheets a file was read from, for the 回执's 概况: the name, or each with its rows."""
    if len(outcome.tables) == 1:
        return outcome.tables[0].sheet
    return "、".join(f"{t.sheet}（{len(t.frame)} 行）" for t in outcome.tables)
