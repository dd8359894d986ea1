"""`beian template`: the official Annex 3 layout with checks drawn from schemas/ (issue #3)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import FORM, LABELS, REPO, good_row
from helpers import TEMPLATE, dropdown, fill_template, header_columns
from openpyxl.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.config import Settings
from pipeline.selfcheck import check_file
from pipeline.write.template import (
    GUIDE_SHEET,
    NUMBERED_ROWS,
    SHEET,
    stamp_name_cell,
    template_name,
)

runner = CliRunner()
CONFIG = REPO / "beian.toml"
SIX_ZONES_2016 = [
    "否",
    "是，长沙高新区",
    "是，株洲高新区",
    "是，湘潭高新区",
    "是，益阳高新区",
    "是，衡阳高新区",
    "是，郴州高新区",
]


@pytest.fixture(scope="module")
def committed() -> Workbook:
    return openpyxl.load_workbook(TEMPLATE)


def describe(path: Path) -> dict[str, Any]:
    """What a clerk sees in a template: values, merges, checks, locks, formats, print setup."""
    book = openpyxl.load_workbook(path)
    out: dict[str, Any] = {"sheets": book.sheetnames}
    for ws in book.worksheets:
        cells = list(ws.iter_rows())
        out[ws.title] = {
            "values": [[c.value for c in row] for row in cells],
            "locked": [[c.protection.locked for c in row] for row in cells],
            "formats": [[c.number_format for c in row] for row in cells],
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "checks": [
                (
                    str(v.sqref),
                    v.type,
                    v.operator,
                    v.formula1,
                    v.formula2,
                    v.promptTitle,
                    v.prompt,
                    v.errorTitle,
                    v.error,
                    v.errorStyle,
                )
                for v in ws.data_validations.dataValidation
            ],
            "protected": ws.protection.sheet,
            "print": (
                ws.page_setup.orientation,
                ws.page_setup.paperSize,
                ws.page_setup.fitToWidth,
                ws.print_title_rows,
                ws.print_area,
            ),
            "widths": {k: d.width for k, d in ws.column_dimensions.items()},
        }
    return out


def data_check(book: Workbook, field: str) -> DataValidation:
    """The validation on a field's data cells (from row 4 down)."""
    ws = book[SHEET]
    letter = openpyxl.utils.get_column_letter(header_columns(ws)[field])
    return next(
        v for v in ws.data_validations.dataValidation if str(v.sqref).startswith(f"{letter}4:")
    )


def test_committed_template_matches_what_the_command_generates(tmp_path: Path) -> None:
    result = runner.invoke(app, ["template", "--config", str(CONFIG), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    fresh = tmp_path / TEMPLATE.name
    assert describe(fresh) == describe(TEMPLATE), (
        "templates/ is stale: regenerate it with `beian template --out pipeline/templates`"
    )


def test_official_layout_title_stamp_line_and_printed_headers(committed: Workbook) -> None:
    ws = committed[SHEET]
    assert committed.sheetnames == [SHEET, GUIDE_SHEET]
    assert ws["A1"].value == "申请备案的众创空间信息汇总表"
    assert ws["A2"].value == "市州、省直管县市科技局或国家级高新区管委会（盖章）："
    assert ws[stamp_name_cell(FORM)].value is None
    assert [c.value for c in ws[3]] == ["序号", *LABELS]
    assert LABELS[4] == "机构性质（事业、国有企业、民营企业等）"
    assert [ws.cell(r, 1).value for r in range(4, 4 + NUMBERED_ROWS + 1)] == [
        *range(1, NUMBERED_ROWS + 1),
        None,
    ]


def test_dropdowns_offer_the_validators_lists(committed: Workbook) -> None:
    ws = committed[SHEET]
    assert dropdown(ws, "institution_type") == ["事业单位", "国有企业", "民营企业", "其他"]
    assert dropdown(ws, "zone") == SIX_ZONES_2016
    for field in ("institution_type", "zone"):
        check = data_check(committed, field)  # an absent style is Excel's default, stop
        assert (check.errorStyle or "stop", check.showErrorMessage) == ("stop", True)


def test_zone_dropdown_follows_the_register_by_deadline(tmp_path: Path) -> None:
    later = tmp_path / "2017"
    result = runner.invoke(
        app, ["template", "--config", str(CONFIG), "--deadline", "2017-06-30", "--out", str(later)]
    )
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(later / TEMPLATE.name)[SHEET]
    assert dropdown(ws, "zone") == [*SIX_ZONES_2016, "是，常德高新区"]


def test_date_length_and_email_checks(committed: Workbook) -> None:
    cutoff_serial = (dt.date(2015, 10, 14) - dt.date(1899, 12, 30)).days
    founded = data_check(committed, "founded")
    assert (founded.type, founded.operator, founded.formula1) == (
        "date",
        "lessThanOrEqual",
        str(cutoff_serial),
    )
    assert "2015年3月15日" in founded.prompt
    for field, bounds in [
        ("office_phone", ("11", "20")),
        ("fax", ("11", "20")),
        ("mobile", ("11", "11")),
    ]:
        check = data_check(committed, field)  # an absent operator is Excel's default, between
        assert (check.type, check.operator or "between", (check.formula1, check.formula2)) == (
            "textLength",
            "between",
            bounds,
        )
    email = data_check(committed, "email")
    assert email.type == "custom"
    assert '"@"' in email.formula1 and "L4" in email.formula1


def test_every_header_has_an_input_hint(committed: Workbook) -> None:
    ws = committed[SHEET]
    hints = {str(v.sqref): v for v in ws.data_validations.dataValidation}
    for cell in ws[3]:
        hint = hints[cell.coordinate]
        assert hint.showInputMessage and hint.promptTitle and hint.prompt, cell.coordinate
    assert "0731-88881234" in hints["I3"].prompt
    assert "选填" in hints["K3"].promptTitle


def test_header_cells_protected_data_cells_open(committed: Workbook) -> None:
    ws = committed[SHEET]
    assert ws.protection.sheet
    assert ws.protection.insertRows is False  # False: inserting rows is not forbidden
    assert all(ws[a].protection.locked for a in ("A1", "A2"))
    assert all(c.protection.locked for c in ws[3])
    assert not ws[stamp_name_cell(FORM)].protection.locked
    for row in (4, 3 + NUMBERED_ROWS):
        assert not any(c.protection.locked for c in ws[row])
    phones = [ws.cell(4, header_columns(ws)[f]).number_format for f in ("office_phone", "mobile")]
    assert phones == ["@", "@"]


def test_a4_landscape_with_header_on_every_page(committed: Workbook) -> None:
    ws = committed[SHEET]
    assert (ws.page_setup.orientation, ws.page_setup.paperSize) == ("landscape", 9)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.print_title_rows == "$3:$3"


def test_guide_explains_the_rules_in_chinese(committed: Workbook) -> None:
    text = "\n".join(
        str(v) for row in committed[GUIDE_SHEET].iter_rows(values_only=True) for v in row if v
    )
    for column in FORM.columns:
        assert column.short_label in text
    for fact in (
        "2015-10-14",
        "2016-04-14",
        "2016年度首批",
        "郴州高新区",
        stamp_name_cell(FORM),
        "事业单位、国有企业、民营企业",
    ):
        assert fact in text
    assert "常德" not in text


def test_bureau_option_fills_the_stamp_line_and_identifies_the_file(
    tmp_path: Path, settings: Settings
) -> None:
    result = runner.invoke(
        app,
        [
            "template",
            "--config",
            str(CONFIG),
            "--bureau",
            "长沙高新区管委会",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    name = "长沙高新技术产业开发区管理委员会"
    path = tmp_path / f"附件3-申请备案的众创空间信息汇总表-{name}.xlsx"
    assert openpyxl.load_workbook(path)[SHEET][stamp_name_cell(FORM)].value == name
    filled = fill_template(tmp_path / "附件3.xlsx", [good_row()], source=path)
    outcome = check_file(settings, filled).files[0]
    assert (outcome.bureau.name if outcome.bureau else None, outcome.bureau_source) == (
        name,
        "盖章行",
    )


def test_unknown_bureau_is_refused_with_the_register(tmp_path: Path) -> None:
    result = runner.invoke(app, ["template", "--bureau", "火星市科技局", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "不在登记名单" in result.output
    assert not list(tmp_path.iterdir())


def test_template_name_follows_the_form() -> None:
    assert TEMPLATE.name == "附件3-申请备案的众创空间信息汇总表.xlsx"
    assert template_name(FORM) == TEMPLATE.name
