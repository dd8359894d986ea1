"""The table corpus, continued: Annex 3 rows as WPS and Excel habits leave them (SPEC §3).

Beyond tests/test_corpus.py (whose machinery runs these cases through ``beian run``): rows that
are no space and carry no number (instruction and marker rows under the header, headings laid
out across the row or ending in a colon), a choice answered by ticking one of the options
printed in the cell, typing artefacts stored with the text, and a bureau's note that it no
longer puts a space forward. The cases and decisions are listed in docs/packets-as-sent.md.
"""

from __future__ import annotations

from typing import Any

import openpyxl
import pytest
import test_corpus as corpus
from conftest import FORM, LABELS
from test_corpus import (
    ADDRESS,
    HIGH_TECH,
    IN_INC,
    IN_ZONE,
    KIND,
    MOBILE,
    NAME,
    OK,
    STAMP,
    TITLE,
    ZONE,
    Case,
    line,
    official,
    spaces,
)

from pipeline.core.config import Settings
from pipeline.read.asfilled import chosen_in_cell

# A night through the CLI per table case: the long form; CI runs it (-m slow).
pytestmark = pytest.mark.slow

WITHDRAWN = ("rejected", "E_WITHDRAWN")
BUREAU = "长沙市科学技术局"
NOTE = [*LABELS, "备注"]
WIDTH = len(LABELS)
INSTRUCTIONS = ["必填", "必填", "必填", "格式：2015年3月", "下拉选择", "必填", "必填", "必填",
                "必填", "选填", "必填", "下拉选择", "下拉选择"]  # fmt: skip


def noted(note: str, **changes: Any) -> list[Any]:
    """A space's row with a 备注 cell after the form's columns."""
    return [*line(**changes), note]


def across(text: str) -> list[str]:
    return [text] * WIDTH


CASES = [
    Case(
        "instruction-row-under-the-header",
        official(spaces(2), header=[list(LABELS), INSTRUCTIONS]),
        {5: OK, 6: OK},
    ),
    Case(
        "arrow-marker-row-under-the-header",
        official(spaces(2), header=[list(LABELS), ["↓"] * WIDTH]),
        {5: OK, 6: OK},
    ),
    Case(
        "heading-merged-across-the-row",
        [TITLE, STAMP, list(LABELS), across("一、长沙市本级"), *spaces(1),
         across("二、长沙高新区"), line(name="岳麓山创新工场")],
        {5: OK, 7: OK},
        merges=("A4:M4", "A6:M6"),
    ),
    Case(
        "heading-without-numbering-merged",
        [TITLE, STAMP, list(LABELS), across("高新区内"), *spaces(2)],
        {5: OK, 6: OK},
        merges=("A4:M4",),
    ),
    Case(
        "heading-ending-in-a-colon",
        [TITLE, STAMP, list(LABELS), ["长沙高新区："], *spaces(2)],
        {5: OK, 6: OK},
    ),
    Case(
        "city-heading-with-its-count",
        [TITLE, STAMP, list(LABELS), ["长沙市（2个）"], *spaces(2), ["浏阳市本级"],
         line(name="岳麓山创新工场二期")],
        {5: OK, 6: OK, 8: OK},
    ),
    Case(
        "part-heading-in-the-name-column",
        [TITLE, STAMP, list(LABELS), ["", "第一部分 高新区内"], *spaces(1)],
        {5: OK},
    ),
    Case(
        "zone-ticked-with-its-name",
        official([line(zone="☑是（长沙高新区） □否")]),
        {4: OK},
        {4: {IN_ZONE: "是", ZONE: HIGH_TECH}},
    ),
    Case(
        "institution-ticked-before-the-option",
        official([line(institution_type="☑民营企业 □国有企业 □事业单位 □其他")]),
        {4: OK},
        {4: {KIND: "民营企业"}},
    ),
    Case(
        "institution-ticked-after-the-option",
        official([line(institution_type="事业单位□ 国有企业☑ 民营企业□ 其他□")]),
        {4: OK},
        {4: {KIND: "国有企业"}},
    ),
    Case(
        "yes-no-ticked-after-the-word",
        official([line(incubator="是□ 否■")]),
        {4: OK},
        {4: {IN_INC: "否"}},
    ),
    Case(
        "options-printed-none-ticked",
        official([line(institution_type="□民营企业 □国有企业 □事业单位 □其他")]),
        {4: ("rejected", "E_REQUIRED")},
    ),
    Case(
        "two-options-ticked",
        official([line(institution_type="☑民营企业 ☑国有企业 □事业单位")]),
        {4: ("rejected", "E_INSTITUTION_TYPE")},
    ),
    Case(
        "escaped-line-end-kept-as-text-in-an-xls",
        official([line(address="长沙市岳麓区_x000D_麓谷大道100号")]),
        {4: OK},
        {4: {ADDRESS: "长沙市岳麓区麓谷大道100号"}},
        fmt="xls",
    ),
    Case(
        "apostrophe-forcing-text-before-the-mobile",
        official([line(mobile="'13807310000")]),
        {4: OK},
        {4: {MOBILE: "13807310000"}},
    ),
    Case(
        "html-space-pasted-into-the-name",
        official([line(name="麓谷创客工场&nbsp;")]),
        {4: OK},
        {4: {NAME: "麓谷创客工场"}},
    ),
    Case(
        "withdrawn-in-the-note-column",
        official([noted(""), noted("该空间已撤回申请", name="岳麓山创新工场")], header=[NOTE]),
        {4: OK, 5: WITHDRAWN},
    ),
    Case(
        "not-recommended-this-batch-in-the-note",
        official([noted("暂不推荐，待整改后下批报送")], header=[NOTE]),
        {4: WITHDRAWN},
    ),
    Case(
        "no-longer-recommended-beside-the-name",
        official([line(name="麓谷创客工场（不再推荐）")]),
        {4: WITHDRAWN},
    ),
    Case(
        "an-ordinary-note-is-no-withdrawal",
        official([noted("已入驻团队20个，拟扩建二期")], header=[NOTE]),
        {4: OK},
    ),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_clerk_would_decide_the_table(case: Case, settings: Settings) -> None:
    corpus.test_a_clerk_would_decide(case, settings)


def test_the_table_corpus_adds_fifteen_cases() -> None:
    assert len(CASES) >= 15
    assert not {c.id for c in CASES} & {c.id for c in corpus.CASES}


def test_the_receipt_says_why_a_withdrawn_row_is_not_counted(settings: Settings) -> None:
    case = next(c for c in CASES if c.id == "withdrawn-in-the-note-column")
    corpus.test_a_clerk_would_decide(case, settings)
    receipt = openpyxl.load_workbook(settings.outbox / settings.batch / "回执" / f"{BUREAU}.xlsx")
    lines = [row for row in receipt["问题清单"].values if row[0] == "N5"]
    assert len(lines) == 1
    assert "该空间已撤回申请" in lines[0][3] and "不予受理" in lines[0][3]


@pytest.mark.parametrize(
    ("cell", "read"),
    [
        ("☑民营企业 □国有企业", "民营企业"),
        ("是■ 否□", "是"),
        ("是□否■", "否"),
        ("□是 ☑否", "否"),
        ("√是 □否", "是"),
        ("□民营企业 □国有企业", ""),
        ("民营企业", "民营企业"),
        ("麓谷□创客", "麓谷□创客"),  # one stray box: no printed options
    ],
)
def test_a_ticked_option_inside_a_cell(cell: str, read: str) -> None:
    marks, boxes = frozenset(FORM.choice_marks), frozenset(FORM.choice_boxes)
    assert chosen_in_cell(cell, marks, boxes) == read
