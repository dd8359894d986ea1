"""Shared fixtures: build real Annex 3 workbooks in code, in every input format."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlwt

from pipeline.core.config import Settings, load_settings
from pipeline.core.schema import SCHEMAS_DIR, Bureau, load_form, load_registers
from pipeline.packet.convert import SOFFICE_VARIABLE, find_soffice

REPO = Path(__file__).resolve().parent.parent
FORM = load_form(SCHEMAS_DIR / "annex3_2016.toml")


def edited_schemas(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A copy of schemas/ under ``tmp_path`` whose file ``name`` has ``old`` (which must be there)
    replaced once by ``new``: a form, register or province that differs in one place."""
    folder = tmp_path / "schemas"
    shutil.copytree(SCHEMAS_DIR, folder)
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


LABELS = [c.label for c in FORM.columns]


def bureau(name: str) -> Bureau:
    """A bureau of the register by its full name."""
    found = load_registers().bureau_named(name)
    assert found is not None, name
    return found


GOOD_ROW: dict[str, Any] = {
    "name": "麓谷创客工场",
    "operator": "长沙麓谷创客科技有限公司",
    "address": "长沙市岳麓区麓谷大道100号",
    "founded": "2014-05-20",
    "institution_type": "民营企业",
    "head": "张伟",
    "contact": "李娜",
    "office_phone": "0731-88881234",
    "mobile": "13807310000",
    "fax": "0731-88881235",
    "email": "zhangwei@example.com",
    "zone": "是，长沙高新区",
    "incubator": "否",
}


def good_row(**changes: Any) -> dict[str, Any]:
    """A valid row; keyword arguments replace fields."""
    return {**GOOD_ROW, **changes}


def annex3_grid(rows: Sequence[dict[str, Any]], stamp: str = "长沙市科学技术局") -> list[list[Any]]:
    """The official layout: title, stamp line, header, one line per row (fields in form order)."""
    grid: list[list[Any]] = [
        [FORM.title],
        [FORM.stamp_label + stamp],
        list(LABELS),
    ]
    grid += [[row.get(c.field, "") for c in FORM.columns] for row in rows]
    return grid


def write_grid(path: Path, grid: list[list[Any]], fmt: str, sheet: str = "附件3") -> Path:
    """Write a grid in one of the formats bureaus send: xlsx, xls, ods, csv (GB18030)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = sheet
        for r, values in enumerate(grid, start=1):
            for c, value in enumerate(values, start=1):
                if value not in ("", None):
                    cell = ws.cell(r, c, value)
                    if isinstance(value, str) and value.startswith("="):
                        cell.data_type = "s"
        wb.save(path)
    elif fmt == "xls":
        wb = xlwt.Workbook(encoding="utf-8")
        ws = wb.add_sheet(sheet)
        date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
        for r, values in enumerate(grid):
            for c, value in enumerate(values):
                if isinstance(value, dt.date):
                    ws.write(r, c, value, date_style)
                elif value not in ("", None):
                    ws.write(r, c, value)
        wb.save(str(path))
    elif fmt == "ods":
        import pandas as pd

        width = max(len(r) for r in grid)
        padded = [list(r) + [None] * (width - len(r)) for r in grid]
        pd.DataFrame(padded).to_excel(
            path, engine="odf", header=False, index=False, sheet_name=sheet
        )
    elif fmt == "csv":
        with path.open("w", encoding="gb18030", newline="") as f:
            csv.writer(f).writerows([["" if v is None else v for v in row] for row in grid])
    else:
        raise ValueError(fmt)
    return path


MakeWorkbook = Callable[..., Path]
NO_LIBREOFFICE = "LibreOffice (soffice) is not installed here; CI installs it to run this case"


@pytest.fixture
def without_libreoffice(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run as on a machine without LibreOffice, whatever this one has: the finder is told
    ``BEIAN_SOFFICE=none`` (pipeline/convert.py), so a .doc form is refused ("请另存为 .docx")."""
    monkeypatch.setenv(SOFFICE_VARIABLE, "none")


@pytest.fixture(scope="module")
def without_libreoffice_module() -> Iterator[None]:
    """:func:`without_libreoffice` for a module's shared runs (the sample batch's golden words)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SOFFICE_VARIABLE, "none")
        yield


@pytest.fixture(scope="module")
def without_ocr_module() -> Iterator[None]:
    """The OCR extra hidden for a module's shared runs: the words pinned there are a clerk's
    without it, whether or not this machine has it installed (SPEC §15)."""
    from pipeline.read import ocr

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ocr, "available", lambda: False)
        yield


@pytest.fixture
def libreoffice(monkeypatch: pytest.MonkeyPatch) -> Path:
    """LibreOffice's soffice, found as the run finds it (``BEIAN_SOFFICE`` ignored); the case is
    skipped, saying why, where it is not installed."""
    monkeypatch.delenv(SOFFICE_VARIABLE, raising=False)
    found = find_soffice()
    if found is None:
        pytest.skip(NO_LIBREOFFICE)
    return found


@pytest.fixture
def make_workbook(tmp_path: Path) -> MakeWorkbook:
    """make_workbook(rows, name=..., fmt=..., stamp=...) -> path of a real Annex 3 file."""

    def make(
        rows: Sequence[dict[str, Any]],
        name: str = "长沙市科技局.xlsx",
        fmt: str | None = None,
        stamp: str = "长沙市科学技术局",
        folder: Path | None = None,
    ) -> Path:
        fmt = fmt or Path(name).suffix.lstrip(".")
        return write_grid((folder or tmp_path / "inbox") / name, annex3_grid(rows, stamp), fmt)

    return make


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a batch in tmp_path: empty inbox, own outbox and ledger, no prior batch."""
    (tmp_path / "inbox").mkdir(exist_ok=True)
    return replace(
        load_settings(REPO / "beian.toml"),
        inbox=tmp_path / "inbox",
        outbox=tmp_path / "outbox",
        ledger=tmp_path / "ledger.sqlite",
        decisions=tmp_path / "decisions.csv",
        priors=(),
    )
