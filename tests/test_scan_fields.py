"""From a scanned page's cells to the form's fields (no OCR run: the boxes are given), so every
rule of "right or flagged" is tripped and passed exactly: a doubtful value is blank and named,
a cell with ink but no text read is named, a lost tick is recovered only when it is certain."""

from __future__ import annotations

import numpy as np
import pytest
from forms import FORM, SPEC

pytest.importorskip("cv2", reason="the ocr extra is not installed: pip install beian[ocr]")

from pipeline.core.scan_spec import load_scan_spec
from pipeline.packet.annex1 import Labels, parse_rows
from pipeline.packet.scan import UNSURE, _choice, page_rows, unsure_fields
from pipeline.read.ocr import Box, Page
from pipeline.read.scan_grid import Cell

SCAN = load_scan_spec()
OPTIONS = [option for option, _ in SPEC.choice_column(FORM).choices]
ROW_HEIGHT = 40


def page(rows: list[list[tuple[str, float]]], ink: set[tuple[int, int]] = frozenset()) -> Page:
    """A page whose table has ``rows`` of (text, confidence) cells, 200 px wide each; a cell in
    ``ink`` (row, column) is empty of text but written in."""
    image = np.full((ROW_HEIGHT * (len(rows) + 1), 1200, 3), 255, np.uint8)
    found = Page(1, image, [])
    for r, cells in enumerate(rows):
        y0, y1 = r * ROW_HEIGHT, (r + 1) * ROW_HEIGHT
        row = []
        for c, (text, confidence) in enumerate(cells):
            cell = Cell(c, c * 200, y0, (c + 1) * 200, y1)
            boxes = (
                [Box(text, cell.x0 + 8, y0 + 8, cell.x1 - 8, y1 - 8, confidence)] if text else []
            )
            if (r, c) in ink:
                image[y0 + 12 : y1 - 12, cell.x0 + 20 : cell.x0 + 120] = 0
            row.append((cell, boxes))
        found.rows.append(row)
    return found


def fields(scanned: Page) -> tuple[dict[str, str], list[str]]:
    rows = page_rows(scanned, Labels(SPEC), SCAN)
    found = parse_rows(["众创空间基本信息表"], rows, SPEC, "table")
    unsure = [label for _, label in unsure_fields(found, SPEC)]
    return found.values, unsure


def test_a_confident_reading_is_kept() -> None:
    values, unsure = fields(page([[("众创空间名称", 1.0), ("麓谷创客工场", 0.97)]]))
    assert values["name"] == "麓谷创客工场"
    assert "众创空间名称" not in unsure


def test_a_doubtful_value_is_blank_and_named() -> None:
    values, unsure = fields(page([[("场地面积", 1.0), ("约1,2O0平方米", 0.61)]]))
    assert values["area"] == ""
    assert "场地面积" in unsure


def test_ink_without_text_is_named_and_an_empty_cell_is_not() -> None:
    values, unsure = fields(
        page([[("组织活动次数", 1.0), ("", 1.0), ("场地面积", 1.0), ("", 1.0)]], ink={(0, 1)})
    )
    assert values["events"] == "" and "组织活动次数" in unsure
    assert values["area"] == "" and "场地面积" not in unsure


def test_a_field_whose_label_was_not_read_is_named() -> None:
    _, unsure = fields(page([[("众创空间名称", 1.0), ("麓谷创客工场", 1.0)]]))
    assert {"运营机构名称", "地址", "成立时间", "主要负责人简介"} <= set(unsure)


@pytest.mark.parametrize(
    ("read", "given"),
    [
        # the tick lost, every other box read: the one without a box is the ticked one
        ("事业单位□国有企业□民营企业其他□", "事业单位□国有企业□民营企业☑其他□"),
        ("事业单位□国有企业□民营企业√其他□", "事业单位□国有企业□民营企业√其他□"),  # tick read
        ("事业单位□国有企业民营企业其他□", UNSURE),  # two options without a box: which?
        ("民营企业", "民营企业"),  # typed, no boxes at all
    ],
)
def test_a_lost_tick_is_recovered_only_when_certain(read: str, given: str) -> None:
    assert _choice(read, SPEC, OPTIONS) == given
