"""No field name of the form is spelled in code where the form file can say it: a form whose
fields are all renamed (labels, kinds and rules kept) gives the same reports, cell for cell."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
from conftest import good_row

from pipeline import report
from pipeline.config import Settings
from pipeline.run import consolidate
from pipeline.schema import SCHEMAS_DIR

# Every field but the two the duplicate search keys on (name, operator).
RENAMED = {
    "address": "site",
    "founded": "established",
    "institution_type": "nature",
    "head": "leader",
    "contact": "liaison",
    "office_phone": "landline",
    "mobile": "cell",
    "fax": "facsimile",
    "email": "mail",
    "zone": "hightech",
    "incubator": "host",
}


def renamed_form(tmp_path: Path) -> Path:
    """A copy of schemas/ whose Annex 3 form names every field differently."""
    folder = tmp_path / "schemas"
    shutil.copytree(SCHEMAS_DIR, folder)
    path = folder / "annex3_2016.toml"
    text = path.read_text(encoding="utf-8")
    for old, new in RENAMED.items():
        assert f'field = "{old}"\n' in text
        text = text.replace(f'field = "{old}"\n', f'field = "{new}"\n')
    path.write_text(text.replace('packet = "annex1_2016.toml"\n', ""), encoding="utf-8")
    return path


def test_renamed_fields_give_the_same_reports(
    tmp_path: Path, settings: Settings, make_workbook
) -> None:
    make_workbook(
        [
            good_row(),
            good_row(name="星城众创咖啡馆", founded="2016年3月", mobile="123"),
            good_row(name="湘江创客汇", institution_type="外资", zone="是，北京中关村"),
            good_row(name="岳麓众创", founded="2015年10月", incubator="是，"),
            good_row(name="橘洲创客", address="北京市海淀区1号", office_phone="88881234"),
        ]
    )
    stock = consolidate(settings)
    other = consolidate(dataclasses.replace(settings, form=renamed_form(tmp_path)))
    assert {p.code for p in stock.problems} >= {"E_TOO_YOUNG", "E_MOBILE", "E_INSTITUTION_TYPE"}
    assert [(p.cell, p.code, p.message) for p in other.problems] == [
        (p.cell, p.code, p.message) for p in stock.problems
    ]
    for frame in (
        report.binder_frame,
        report.detail_frame,
        report.by_bureau_and_type,
        report.by_zone,
        report.by_year,
        report.rejected_frame,
    ):
        pd.testing.assert_frame_equal(frame(other), frame(stock))
