"""Helpers for the bureau-side tests: the committed template, filling it, reading marks back."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
from conftest import FORM, REPO
from openpyxl.worksheet.worksheet import Worksheet
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.config import Settings
from pipeline.write.template import HEADER_ROW, SHEET, stamp_name_cell, template_name

TEMPLATE = REPO / "pipeline" / "templates" / template_name(FORM)
INSTITUTION_FIELD = "institution_type"
ZONE_FIELD = "zone"

# Spaces with names far enough apart that no near-duplicate rule links them.
SPACE_NAMES = [
    "麓谷创客工场",
    "岳麓山创新工场",
    "橘子洲青年空间",
    "湘江创业营",
    "星沙众创",
    "梅溪湖创想家",
    "马栏山文创空间",
    "浏阳河孵化港",
    "天心阁创意园",
    "洋湖科创中心",
    "望城青年梦工场",
    "黄花创业谷",
    "金霞电商港",
    "坪塘智造空间",
]


def write_config(folder: Path, *priors: tuple[str, Path]) -> Path:
    """A beian.toml for the 2016 second batch in ``folder``, with the given prior batches."""
    lines = ["[batch]", 'name = "2016年度第二批"', 'deadline = "2016-04-14"', "min_age_months = 6"]
    for name, path in priors:
        lines += ["[[prior]]", f'name = "{name}"', f'path = "{path.as_posix()}"']
    path = folder / "beian.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_night(settings: Settings) -> Path:
    """``beian run`` through the command line over ``settings``' folders, which must succeed;
    the batch's output folder."""
    config = write_config(settings.inbox.parent)
    args = ["run", "--config", str(config), "--inbox", str(settings.inbox)]
    args += ["--outbox", str(settings.outbox), "--ledger", str(settings.ledger)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return settings.outbox / settings.batch


def header_columns(ws: Worksheet) -> dict[str, int]:
    """Field -> 1-based column, from the template's own header row."""
    by_label = {c.label: c.field for c in FORM.columns}
    return {
        by_label[cell.value]: cell.column for cell in ws[HEADER_ROW + 1] if cell.value in by_label
    }


def fill_template(
    dest: Path, rows: Sequence[dict[str, Any]], stamp: str | None = None, source: Path = TEMPLATE
) -> Path:
    """Fill a template as a bureau would, one space per row below the header; "" leaves it blank."""
    book = openpyxl.load_workbook(source)
    ws = book[SHEET]
    if stamp is not None:
        ws[stamp_name_cell(FORM)] = stamp
    columns = header_columns(ws)
    for offset, row in enumerate(rows):
        for field, value in row.items():
            ws.cell(HEADER_ROW + 2 + offset, columns[field], value if value != "" else None)
    dest.parent.mkdir(parents=True, exist_ok=True)
    book.save(dest)
    return dest


def dropdown(ws: Worksheet, field: str) -> list[str]:
    """The values a template's dropdown offers for a field's data cells."""
    letter = openpyxl.utils.get_column_letter(header_columns(ws)[field])
    for check in ws.data_validations.dataValidation:
        if check.type == "list" and str(check.sqref).startswith(f"{letter}{HEADER_ROW + 2}:"):
            return check.formula1.strip('"').split(",")
    raise AssertionError(f"no dropdown on column {letter}")


def marked_cells(ws: Worksheet) -> dict[str, tuple[str, str]]:
    """Every cell with a fill or a comment: address -> (fill colour, comment text)."""
    found = {}
    for row in ws.iter_rows():
        for cell in row:
            filled = cell.fill is not None and cell.fill.fill_type == "solid"
            if filled or cell.comment is not None:
                colour = cell.fill.fgColor.rgb if filled else ""
                found[cell.coordinate] = (colour, cell.comment.text if cell.comment else "")
    return found
