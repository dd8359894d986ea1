"""Every rule of SPEC §2–§4 trips on a bad cell and stays quiet on a good one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
import pytest
from conftest import FORM, bureau, good_row

from pipeline.core.config import months_before
from pipeline.core.model import SheetTable
from pipeline.core.problems import Problem
from pipeline.core.schema import Bureau, load_registers
from pipeline.rules.normalise import normalise
from pipeline.rules.validate import Context, validate

REGISTERS = load_registers()
DEADLINE = dt.date(2016, 4, 14)
CUTOFF = months_before(DEADLINE, 6)
FIRST_ROW = 4


CHANGSHA = bureau("长沙市科学技术局")
CHANGSHA_ZONE = bureau("长沙高新技术产业开发区管理委员会")


def check(
    rows: Sequence[dict[str, Any]],
    bureau_: Bureau | None = CHANGSHA,
    order: Sequence[str] = FORM.fields,
) -> list[Problem]:
    """Validate rows as the reader hands them over: text, indexed by Excel row from row 4."""
    frame = pd.DataFrame(
        [{f: str(row.get(f, "")) for f in FORM.fields} for row in rows],
        index=range(FIRST_ROW, FIRST_ROW + len(rows)),
    )
    columns = {f: order.index(f) for f in FORM.fields if f in order}
    table = SheetTable("附件3", (3,), columns, frame, "", [])
    ctx = Context(FORM, REGISTERS, DEADLINE, CUTOFF, 6, bureau_)
    return validate("a.xlsx", table, normalise(frame, FORM, bureau_, REGISTERS), ctx)


def cells(
    rows: Sequence[dict[str, Any]], bureau_: Bureau | None = CHANGSHA
) -> list[tuple[str, str]]:
    return [(p.cell, p.code) for p in check(rows, bureau_)]


def one(bureau_: Bureau | None = CHANGSHA, **changes: Any) -> list[tuple[str, str]]:
    return cells([good_row(**changes)], bureau_)


def test_the_good_row_passes() -> None:
    assert (CUTOFF, one()) == (dt.date(2015, 10, 14), [])


# --- E_REQUIRED -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "cell"),
    [
        ("name", "A4"),
        ("operator", "B4"),
        ("address", "C4"),
        ("founded", "D4"),
        ("institution_type", "E4"),
        ("head", "F4"),
        ("contact", "G4"),
        ("office_phone", "H4"),
        ("mobile", "I4"),
        ("email", "K4"),
        ("zone", "L4"),
        ("incubator", "M4"),
    ],
)
def test_required(field: str, cell: str) -> None:
    assert one(**{field: ""}) == [(cell, "E_REQUIRED")]
    assert one(**{field: "  \u3000"}) == [(cell, "E_REQUIRED")]


def test_fax_is_optional() -> None:
    assert one(fax="") == []


def test_required_message_names_the_column() -> None:
    [found] = check([good_row(head="")])
    assert found.message == "“负责人”未填写。"
    assert (found.row, found.sheet, found.column, found.severity) == (4, "附件3", "负责人", "error")


# --- dates and age ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("founded", "expected"),
    [
        ("2015-10-14", []),
        ("2015年10月14日", []),
        ("2015-10-15", [("D4", "E_TOO_YOUNG")]),
        ("2015年10月", [("D4", "W_FOUNDED_AMBIGUOUS")]),
        ("2015年9月", []),
        ("2015年11月", [("D4", "E_TOO_YOUNG")]),
        ("2015年", [("D4", "W_FOUNDED_AMBIGUOUS")]),
        ("2014年", []),
        ("2016年", [("D4", "E_TOO_YOUNG")]),
        ("2016-04-14", [("D4", "E_TOO_YOUNG")]),
        ("2016-04-15", [("D4", "E_DATE")]),
        ("2016年5月", [("D4", "E_DATE")]),
        ("2017年", [("D4", "E_DATE")]),
        ("1949-01-01", []),
        ("1948-12-31", [("D4", "E_DATE")]),
        ("1948年", [("D4", "E_DATE")]),
        ("2015年13月", [("D4", "E_DATE")]),
        ("今年三月", [("D4", "E_DATE")]),
        ("42291", []),  # Excel serial of 2015-10-14
        ("42292", [("D4", "E_TOO_YOUNG")]),
    ],
)
def test_age_boundary(founded: str, expected: list[tuple[str, str]]) -> None:
    assert one(founded=founded) == expected


def test_date_messages() -> None:
    young, late, early, ambiguous = check(
        [
            good_row(founded="2015-10-15"),
            good_row(founded="2016-04-15"),
            good_row(founded="1948年"),
            good_row(founded="2015年10月"),
        ]
    )
    assert (
        young.message == "成立时间“2015-10-15”晚于 2015-10-14，到截止日 2016-04-14 成立不满6个月。"
    )
    assert late.message == "“成立时间”的值“2016-04-15”不是有效日期（晚于截止日期）。"
    assert early.message == "“成立时间”的值“1948年”不是有效日期（早于1949年）。"
    assert "只精确到月份" in ambiguous.message
    assert ambiguous.severity == "warning"


# --- institution type, phones, e-mail ---------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"institution_type": "外资企业"}, [("E4", "E_INSTITUTION_TYPE")]),
        ({"institution_type": "民营"}, []),
        ({"office_phone": "8898"}, [("H4", "E_PHONE")]),
        ({"office_phone": "13807310000"}, [("H4", "E_PHONE")]),
        ({"office_phone": "0731-88881234"}, []),
        ({"office_phone": "88881234"}, [("H4", "W_PHONE_AREA_ADDED")]),
        ({"fax": "传真同电话"}, [("J4", "E_PHONE")]),
        ({"fax": "88881235"}, [("J4", "W_PHONE_AREA_ADDED")]),
        ({"mobile": "1380731000"}, [("I4", "E_MOBILE")]),
        ({"mobile": "0731-88881234"}, [("I4", "E_MOBILE")]),
        ({"mobile": "+86 138 0731 0000"}, []),
        ({"email": "zhangwei@example"}, [("K4", "E_EMAIL")]),
        ({"email": "zhangwei＠example.com"}, []),
    ],
)
def test_values(changes: dict[str, str], expected: list[tuple[str, str]]) -> None:
    assert one(**changes) == expected


def test_area_code_added_message_shows_the_number_stored() -> None:
    [found] = check([good_row(office_phone="88881234")])
    assert (
        found.message == "“办公电话”的值“88881234”没有区号，已按推荐单位所在地补为 0731-88881234。"
    )


def test_without_a_bureau_a_local_number_is_an_error() -> None:
    assert one(None, office_phone="88881234") == [("H4", "E_PHONE")]


# --- zone and incubator -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("否", []),
        ("/", []),
        ("是", [("L4", "E_ZONE_NAME_MISSING")]),
        ("是，长沙高新区", []),
        ("是（湘潭高新区）", []),
        ("在长沙高新技术产业开发区", []),
        ("是，郴州高新区", []),
        ("常德高新区", [("L4", "E_ZONE_UNKNOWN")]),
        ("是，宁乡高新区", [("L4", "E_ZONE_UNKNOWN")]),
        ("是，月亮湾科技园", [("L4", "E_ZONE_UNKNOWN")]),
    ],
)
def test_zone(zone: str, expected: list[tuple[str, str]]) -> None:
    assert one(zone=zone) == expected


def test_zone_unknown_message_says_when_it_became_national() -> None:
    [found] = check([good_row(zone="常德高新区")])
    assert "常德高新技术产业开发区 2017-02-13 才成为国家高新区" in found.message
    assert "长沙高新区" in found.hint and "常德" not in found.hint


@pytest.mark.parametrize(
    ("bureau_", "zone", "expected"),
    [
        (CHANGSHA_ZONE, "是，湘潭高新区", [("L4", "W_ZONE_BUREAU")]),
        (CHANGSHA_ZONE, "是，长沙高新区", []),
        (CHANGSHA_ZONE, "否", []),
        (CHANGSHA, "是，湘潭高新区", []),
    ],
)
def test_zone_committee_naming_another_zone(
    bureau_: Bureau, zone: str, expected: list[tuple[str, str]]
) -> None:
    assert one(bureau_, zone=zone) == expected


def test_zone_bureau_message() -> None:
    [found] = check([good_row(zone="是，湘潭高新区")], CHANGSHA_ZONE)
    assert found.message == (
        "本表由 长沙高新技术产业开发区管理委员会 报送，"
        "但此行填写的高新区是 湘潭高新技术产业开发区。"
    )


@pytest.mark.parametrize(
    ("incubator", "expected"),
    [
        ("否", []),
        ("无", []),
        ("是", [("M4", "E_INCUBATOR_NAME_MISSING")]),
        ("是，湖南大学国家大学科技园", []),
    ],
)
def test_incubator(incubator: str, expected: list[tuple[str, str]]) -> None:
    assert one(incubator=incubator) == expected


# --- address ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("广东省深圳市南山区科技园南区1号", [("C4", "W_ADDRESS_OUTSIDE")]),
        ("北京市海淀区中关村大街1号", [("C4", "W_ADDRESS_OUTSIDE")]),
        ("中国广西壮族自治区南宁市青秀区1号", [("C4", "W_ADDRESS_OUTSIDE")]),
        ("湖南省长沙市岳麓区麓谷大道100号", []),
        ("长沙市天心区北京市场二楼", []),
        ("湖南省长沙市开福区（广东省商会大厦）", []),
    ],
)
def test_address(address: str, expected: list[tuple[str, str]]) -> None:
    assert one(address=address) == expected


def test_address_message_names_the_province() -> None:
    [found] = check([good_row(address="中国广东省深圳市南山区")])
    assert "提到了广东省" in found.message
    assert found.severity == "warning"


# --- many rows, many problems -------------------------------------------------------------------


def test_problems_sorted_by_row_then_column() -> None:
    rows = [
        good_row(mobile="123", name=""),
        good_row(name="岳麓山创新工场"),
        good_row(name="橘子洲创客汇", email="x", founded="2015-12-01", zone="是"),
    ]
    assert cells(rows) == [
        ("A4", "E_REQUIRED"),
        ("I4", "E_MOBILE"),
        ("D6", "E_TOO_YOUNG"),
        ("K6", "E_EMAIL"),
        ("L6", "E_ZONE_NAME_MISSING"),
    ]


def test_cells_follow_the_columns_as_found() -> None:
    order = list(reversed(FORM.fields))
    found = check([good_row(mobile="123")], order=order)
    assert [(p.cell, p.code, p.value) for p in found] == [("E4", "E_MOBILE", "123")]


def test_a_whole_table_of_good_rows_passes() -> None:
    rows = [
        good_row(name=f"众创空间{i}", founded=f"20{10 + i % 5}-0{1 + i % 9}-1{i % 9}")
        for i in range(200)
    ]
    assert check(rows) == []
