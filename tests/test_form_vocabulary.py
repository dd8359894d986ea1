"""No field name of the form is spelled in code where the form file can say it: a form whose
fields are all renamed (labels, kinds and rules kept) gives the same reports, cell for cell."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
from conftest import edited_schemas, good_row

from pipeline.core.config import Settings
from pipeline.core.schema import SCHEMAS_DIR
from pipeline.run import consolidate_batch
from pipeline.write import report

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


def rename(path: Path, spelling: str) -> None:
    """Rename every field of RENAMED where ``path`` spells it as ``spelling`` (with ``{}``)."""
    text = path.read_text(encoding="utf-8")
    for old, new in RENAMED.items():
        text = text.replace(spelling.format(old), spelling.format(new))
    path.write_text(text, encoding="utf-8")


def renamed_form(tmp_path: Path) -> Path:
    """A copy of schemas/ whose Annex 3 form names every field differently, and whose Annex 1
    spec points at the renamed fields."""
    folder = tmp_path / "schemas"
    shutil.copytree(SCHEMAS_DIR, folder)
    path = folder / "annex3_2016.toml"
    assert all(f'field = "{old}"\n' in path.read_text(encoding="utf-8") for old in RENAMED)
    rename(path, 'field = "{}"\n')
    rename(folder / "annex1_2016.toml", 'annex3 = "{}"\n')
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
    stock = consolidate_batch(settings)
    other = consolidate_batch(dataclasses.replace(settings, form=renamed_form(tmp_path)))
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


def test_annex1_figures_take_their_columns_from_the_packet_spec(
    tmp_path: Path, settings: Settings, make_workbook
) -> None:
    make_workbook([good_row()])
    folder = edited_schemas(
        tmp_path, "annex1_2016.toml", 'column = "组织活动次数"', 'column = "活动场次"'
    )
    form = folder / "annex3_2016.toml"
    stock = report.detail_frame(consolidate_batch(settings))
    other = report.detail_frame(consolidate_batch(dataclasses.replace(settings, form=form)))
    assert "组织活动次数" in stock.columns and "活动场次" not in stock.columns
    assert list(other.columns) == ["活动场次" if c == "组织活动次数" else c for c in stock.columns]


def test_a_form_without_annex1_spec_has_no_annex1_figures(
    tmp_path: Path, settings: Settings, make_workbook
) -> None:
    make_workbook([good_row()])
    folder = edited_schemas(tmp_path, "annex3_2016.toml", 'packet = "annex1_2016.toml"\n', "")
    form = folder / "annex3_2016.toml"
    detail = report.detail_frame(consolidate_batch(dataclasses.replace(settings, form=form)))
    assert len(detail) == 1
    assert not {"场地面积（平方米）", "组织活动次数", "入驻团队和企业数"} & set(detail.columns)
