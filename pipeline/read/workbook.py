"""Read a bureau's file into the Annex 3 table: raw text per field, each value at its Excel address.

The format is known by content first (:mod:`pipeline.read.filetype`), the sheets are loaded as grids
(:mod:`pipeline.read.grids`), and here the Annex 3 table is found in each of them: header, stamp,
noise rows, and the cell-level refusals (error values, uncalculated formulas, over-long text).
Which sheets are the submission is :mod:`pipeline.read.sheets`' rule.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from pipeline.core.cells import cell_address
from pipeline.core.model import Grid, Merge, ReadResult, SheetTable
from pipeline.core.problems import Problem, problem
from pipeline.core.schema import FormSpec
from pipeline.core.values import cell_text
from pipeline.read import cellformats, filetype, scan_sheet, sheets
from pipeline.read.asfilled import choices_in_cells, marker_rows, withdrawn, without_artefacts
from pipeline.read.grids import formula_issues, load_sheets
from pipeline.read.guards import FileRefused
from pipeline.read.header import companion_columns, find_header, find_stamp, tick_columns
from pipeline.read.header import header_key as header_key
from pipeline.read.header import header_lookup as header_lookup
from pipeline.read.layout import (
    fill_merged,
    first_filled,
    join_companions,
    layout_noise,
    matches,
    member,
    same_as_above,
    same_as_column,
    stripped,
    ticked,
)

EXCEL_CELL_LIMIT = 32_767

_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]"
)
_length = np.frompyfunc(len, 1, 1)
_ERROR_VALUES = (
    "#NULL!",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#N/A",
    "#GETTING_DATA",
)


def text_frame(body: pd.DataFrame) -> pd.DataFrame:
    """Every cell of ``body`` as clean text (:func:`cell_text`, no control or zero-width
    characters), in one pass over the cells rather than one string operation per column."""
    cells = body.to_numpy(dtype=object)
    text = np.full(cells.shape, "", dtype=object)
    given = ~pd.isna(cells)
    text[given] = [_CONTROL.sub("", cell_text(value)) for value in cells[given]]
    return pd.DataFrame(text, index=body.index, columns=body.columns, dtype=object)


def build_table(
    name: str, grid: Grid, form: FormSpec, merges: list[Merge] | None = None
) -> SheetTable | None:
    """Cut the Annex 3 table out of a sheet's grid, or None when the sheet has no header."""
    found = find_header(grid, form)
    if found is None:
        return None
    start, span, columns = found
    first_data = start + span
    body = filled_columns(fill_merged(grid, merges or [], first_data))
    body.index = pd.RangeIndex(first_data + 1, first_data + 1 + len(body))
    whole = same_as_above(text_frame(body), form.ditto)
    text = pd.DataFrame(
        {fld: whole[columns[fld]] if columns.get(fld) in whole else "" for fld in form.fields},
        index=body.index,
    )
    text = ticked(text, whole, tick_columns(grid[start:first_data], columns, form), form)
    text = join_companions(text, whole, companion_columns(grid[start:first_data], columns, form))
    text = choices_in_cells(without_artefacts(same_as_column(text, form), form), form)
    head = pd.DataFrame(grid[start:first_data], dtype=object).reindex(columns=whole.columns)
    skipped = layout_noise(whole, text, text_frame(head), form)
    skipped |= classify_noise(whole, text, form)
    skipped |= {row: why for row, why in marker_rows(whole, form).items() if row not in skipped}
    kept = text.drop(index=list(skipped)).astype(str)
    header_rows = tuple(range(start + 1, first_data + 1))
    footer = [grid[row - 1] for row, why in skipped.items() if why == "表尾说明"]
    stamp = find_stamp(grid, start, form, footer)
    title = " ".join(t for row in grid[:start] for t in map(cell_text, row) if t.strip())
    return SheetTable(name, header_rows, columns, kept, stamp, grid, skipped, merges or [], title)


def filled_columns(rows: Grid) -> pd.DataFrame:
    """The rows as a frame of their non-empty columns only, each labelled by its position in the
    sheet: one stray cell in column XFD must not cost 16,384 columns of conversions (found by
    tests/test_fuzz_read.py). Rectangular grids go through one numpy array."""
    if len({len(r) for r in rows}) > 1:
        frame = pd.DataFrame(rows, dtype=object)
        return frame.loc[:, (frame.notna() & frame.ne("")).any()]
    cells = np.empty((len(rows), len(rows[0]) if rows else 0), dtype=object)
    cells[:] = rows
    keep = np.flatnonzero((pd.notna(cells) & (cells != "")).any(axis=0))
    return pd.DataFrame(cells[:, keep], columns=keep, dtype=object)


def classify_noise(whole: pd.DataFrame, text: pd.DataFrame, form: FormSpec) -> dict[int, str]:
    """Rows that are not spaces: blank, the template's example row, footer and note lines.

    ``whole`` is every column of the rows as text, ``text`` the form's fields. Everything below
    the first footer line that fills fewer than three fields is footer too.
    """
    fields = stripped(text)
    filled = (fields != "").sum(axis=1)
    first = [re.sub(r"\s", "", cell) for cell in first_filled(stripped(whole))]
    footer = np.array([cell.startswith(form.footer_prefixes) for cell in first], dtype=bool)
    after_footer = np.maximum.accumulate(footer) & (filled < 3)
    markers = re.compile("|".join(map(re.escape, form.example_markers)))
    example = matches(fields[:, text.columns.get_loc("name")], markers)
    reasons = np.full(len(fields), "", dtype=object)
    reasons[filled == 0] = "空行"
    reasons[example & (filled > 0)] = "填写示例行"
    reasons[(footer | after_footer) & (filled > 0)] = "表尾说明"
    return {int(row): why for row, why in zip(text.index, reasons, strict=True) if why}


def error_values(table: SheetTable) -> dict[tuple[int, int], str]:
    """Cells whose text is an Excel error value: how .xls, .ods and CSV carry a formula error."""
    fields = list(table.columns)
    cells = stripped(table.frame[fields])
    return {
        (
            int(table.frame.index[row]),
            table.columns[fields[col]],
        ): f"计算结果为错误值 {cells[row, col]}"
        for row, col in np.argwhere(member(cells, _ERROR_VALUES))
    }


def cell_problems(
    file: str, table: SheetTable, formulas: dict[tuple[int, int], str], labels: dict[str, str]
) -> list[Problem]:
    """Cells the reader itself must refuse: formula errors and values over Excel's cell limit."""
    found: list[Problem] = []
    by_col = {col: fld for fld, col in table.columns.items()}
    for (row, col), detail in sorted(formulas.items()):
        fld = by_col.get(col)
        if fld is None or row not in table.frame.index:
            continue
        found.append(
            problem(
                "E_FORMULA",
                file=file,
                sheet=table.sheet,
                cell=cell_address(row, col),
                column=labels[fld],
                row=row,
                detail=detail,
            )
        )
    lengths = _length(table.frame.to_numpy(dtype=object))
    for c, r in np.argwhere(lengths.T > EXCEL_CELL_LIMIT):  # field by field, as the form runs
        row, fld, length = int(table.frame.index[r]), table.frame.columns[c], int(lengths[r, c])
        shortened = table.frame.at[row, fld][:60] + "…（内容过长，已截断）"
        table.frame.at[row, fld] = shortened
        table.grid[row - 1][table.columns[fld]] = shortened
        found.append(
            problem(
                "E_TOO_LONG",
                file=file,
                sheet=table.sheet,
                cell=cell_address(row, table.columns[fld]),
                column=labels[fld],
                row=row,
                length=length,
            )
        )
    return found


def read_file(path: Path, file: str, form: FormSpec) -> ReadResult:
    """Read one inbox file. Never raises for bad input: refusals become F_ problems."""
    fmt, scanned = "", list[Problem]()
    try:
        if scan_sheet.is_scan(path):  # a printout of the table, read by OCR (SPEC §15)
            fmt = "scan"
            loaded, scanned = scan_sheet.scan_sheets(path, file, form)
        else:
            fmt = filetype.sniff(path)
            loaded = load_sheets(path, fmt)
        built = [(v, build_table(name, grid, form, m)) for name, v, grid, m in loaded]
        headed = [(v, t) for v, t in built if t is not None]
        tables, repeats = sheets.choose_tables(headed)
        check_size(tables, form)
        formulas: dict[str, dict[tuple[int, int], str]] = {}
        for table in tables:
            if fmt != "scan":
                show_dates(table, path, fmt, form)
                formulas[table.sheet] = formula_issues(path, fmt, table.sheet)
            formulas[table.sheet] = formulas.get(table.sheet, {}) | error_values(table)
    except FileRefused as refusal:
        return _refused(path, file, fmt, refusal.code, **refusal.params)
    except OSError as exc:
        detail = f"读取失败（{exc.strerror or exc}）"
        return _refused(path, file, fmt, "F_UNREADABLE", detail=detail)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        detail = f"工作表结构损坏（{str(exc)[:120]}）"
        return _refused(path, file, fmt, "F_UNREADABLE", detail=detail)
    labels = {c.field: c.short_label for c in form.columns}
    names = {t.sheet for _, t in headed}
    spoiled = sheets.spoiled_sheets([(n, v, g) for n, v, g, _ in loaded], names, form)
    found = [
        problem("W_OTHER_SHEETS", file=file, sheet=name, rows=rows, found=count)
        for name, (rows, count) in spoiled.items()
    ] + [problem("I_SHEET_REPEATED", file=file, sheet=t.sheet, rows=len(t.frame)) for t in repeats]
    found += [
        problem("W_HIDDEN_SHEET", file=file, sheet=t.sheet, rows=len(t.frame))
        for t in sheets.hidden_left_out(headed, tables)
    ]
    for table in tables:
        if fmt == "scan":
            found += scan_sheet.unsure_cells(file, table, labels)
        found += cell_problems(file, table, formulas[table.sheet], labels)
        found += withdrawn(file, table.sheet, table.grid, table.frame.index, form)
    return ReadResult(file, path, fmt, tables, found + scanned)


def check_size(tables: list[SheetTable], form: FormSpec) -> None:
    """Refuse a file without the table, with too many rows (all its sheets together), or none."""
    if not tables:
        raise FileRefused("F_NO_HEADER", rows=form.header_search_rows, min=form.header_min_columns)
    cut = [t.sheet for t in tables if len(t.grid) > filetype.row_cap()]
    total = sum(len(t.frame) for t in tables)
    if cut or total > filetype.MAX_DATA_ROWS:
        rows = f"{filetype.row_cap()}+" if cut else total
        names = "、".join(cut or [t.sheet for t in tables])
        raise FileRefused("F_TOO_MANY_ROWS", sheet=names, rows=rows, limit=filetype.MAX_DATA_ROWS)
    if not total:
        raise FileRefused("F_NO_ROWS", sheet=tables[0].sheet)


def show_dates(table: SheetTable, path: Path, fmt: str, form: FormSpec) -> None:
    """Date cells whose number format hides the day read as shown: 2015年3月 is a month. A date
    merged down over several rows reads as shown in every row it covers."""
    for fld in (c.field for c in form.of_kind("date")):
        col = table.columns.get(fld)
        if col is not None:
            shown = cellformats.shown_dates(
                path, fmt, table.sheet, table.grid, table.frame.index, col
            )
            shown |= merged_below(shown, table.merges, col, table.frame.index)
            table.frame.loc[list(shown), fld] = list(shown.values())


def merged_below(
    shown: dict[int, str], merges: list[Merge], col: int, rows: pd.Index
) -> dict[int, str]:
    """The rows (Excel numbers, among ``rows``) a merge in column ``col`` covers below a top cell
    read as shown, each with the top cell's text: the cells under a merge hold no value or
    format of their own."""
    return {
        row: shown[top + 1]
        for (top, left), (bottom, right) in merges
        if left <= col <= right and top + 1 in shown
        for row in range(top + 2, bottom + 2)
        if row in rows
    }


def _refused(path: Path, file: str, fmt: str, code: str, **params: Any) -> ReadResult:
    return ReadResult(file, path, fmt, [], [problem(code, file=file, **params)])
