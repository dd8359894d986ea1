"""The machine-readable outputs: ``dispositions.csv`` and ``files.csv`` (SPEC §7).

UTF-8 with a header line, paths relative to the inbox with ``/``. A value starting with
``= + - @`` gets a leading apostrophe so that a spreadsheet opening the file shows text and never
evaluates a formula; the same guard as every other output.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DISPOSITION_COLUMNS = ["bureau", "file", "sheet", "row", "disposition", "codes", "name"]
FILE_COLUMNS = ["file", "bureau", "status", "codes", "rows"]
_FORMULA_START = ("=", "+", "-", "@")


def defuse(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text that a spreadsheet would read as a formula with an apostrophe."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            text = out[col].astype(str)
            risky = text.str.startswith(_FORMULA_START)
            out[col] = text.where(~risky, "'" + text)
    return out


def write_frame_csv(frame: pd.DataFrame, path: Path, *, bom: bool = False) -> None:
    """Write a frame as CSV (UTF-8, with a BOM when Excel users will open it)."""
    encoding = "utf-8-sig" if bom else "utf-8"
    defuse(frame).to_csv(path, index=False, encoding=encoding, lineterminator="\n")


def dispositions_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """One line per data row of every live file, in file order, then sheet and row order as read
    (the rows' ids follow each file's sheets in workbook order)."""
    if rows.empty:
        return pd.DataFrame(columns=DISPOSITION_COLUMNS)
    return rows.sort_values(["file", "uid"], kind="stable")[DISPOSITION_COLUMNS]


def files_frame(files: list) -> pd.DataFrame:
    """One line per file in the inbox with its status, file-level codes and data rows read."""
    return pd.DataFrame(
        [
            (f.file, f.bureau.name if f.bureau else "", f.status, f.codes, f.data_rows)
            for f in files
        ],
        columns=FILE_COLUMNS,
    )
