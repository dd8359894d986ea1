"""Normalising what bureaus type (SPEC §3, §4): dates as intervals, phones, e-mail, answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import phonenumbers
import pytest
from conftest import FORM, bureau, good_row
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.schema import Bureau, load_registers
from pipeline.rules.normalise import (
    area_code_length,
    chinese_brackets,
    choice_value,
    clean_frame,
    clean_text,
    match_zone,
    normalise,
    parse_answer,
    parse_dates,
    parse_email,
    parse_fixed,
    parse_mobile,
)

REGISTERS = load_registers()


CHANGSHA = bureau("长沙市科学技术局")
ZHANGJIAJIE = bureau("张家界市科学技术局")


def norm_row(bureau_: Bureau | None = CHANGSHA, **changes: Any) -> pd.Series:
    """One row, as read (all text), normalised; index = Excel row 4."""
    raw = pd.DataFrame([{k: str(v) for k, v in good_row(**changes).items()}], index=[4])
    return normalise(raw, FORM, bureau_, REGISTERS).loc[4]


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end", "precision", "canonical"),
    [
        ("2015年3月", "2015-03-01", "2015-03-31", "月", "2015-03"),
        ("2015年3月15日", "2015-03-15", "2015-03-15", "日", "2015-03-15"),
        ("2015.3", "2015-03-01", "2015-03-31", "月", "2015-03"),
        ("2015.03.15", "2015-03-15", "2015-03-15", "日", "2015-03-15"),
        ("2015-3", "2015-03-01", "2015-03-31", "月", "2015-03"),
        ("2015/3/15", "2015-03-15", "2015-03-15", "日", "2015-03-15"),
        ("20150315", "2015-03-15", "2015-03-15", "日", "2015-03-15"),
        ("201503", "2015-03-01", "2015-03-31", "月", "2015-03"),
        ("2015年", "2015-01-01", "2015-12-31", "年", "2015"),
        ("2015", "2015-01-01", "2015-12-31", "年", "2015"),
        ("42078", "2015-03-15", "2015-03-15", "日", "2015-03-15"),
        ("2015-03-15", "2015-03-15", "2015-03-15", "日", "2015-03-15"),
        ("2016年2月", "2016-02-01", "2016-02-29", "月", "2016-02"),
        ("２０１５年３月１５日", "2015-03-15", "2015-03-15", "日", "2015-03-15"),
        ("2015 年 3 月", "2015-03-01", "2015-03-31", "月", "2015-03"),
        ("2015年03月份", "2015-03-01", "2015-03-31", "月", "2015-03"),
        ("2015年3月15号", "2015-03-15", "2015-03-15", "日", "2015-03-15"),
        ("2015.3.", "2015-03-01", "2015-03-31", "月", "2015-03"),
        ("2015-03-15 00:00:00", "2015-03-15", "2015-03-15", "日", "2015-03-15"),
        ("2015-03-15T09:30:00", "2015-03-15", "2015-03-15", "日", "2015-03-15"),
        ("2015/3/15 9:30", "2015-03-15", "2015-03-15", "日", "2015-03-15"),
        ("42078.0", "2015-03-15", "2015-03-15", "日", "2015-03-15"),
    ],
)
def test_date_forms(text: str, start: str, end: str, precision: str, canonical: str) -> None:
    row = norm_row(founded=text)
    assert row["founded_start"] == pd.Timestamp(start)
    assert row["founded_end"] == pd.Timestamp(end)
    assert (row["founded_precision"], row["founded"]) == (precision, canonical)


@pytest.mark.parametrize(
    "text", ["", "abc", "2015-02-30", "2015年13月", "201513", "15.3.15", "二〇一五年", "3/15/2015"]
)
def test_not_dates(text: str) -> None:
    dates = parse_dates(pd.Series([text]))
    assert dates.loc[0, "start"] is pd.NaT
    assert dates.loc[0, "end"] is pd.NaT
    assert dates.loc[0, "precision"] == ""


def test_parse_dates_keeps_the_index() -> None:
    dates = parse_dates(pd.Series(["2015年3月", "x"], index=[7, 9]))
    assert list(dates.index) == [7, 9]
    assert list(dates.columns) == ["start", "end", "precision"]


# --- phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0731-88988998", "0731-88988998"),
        ("0731 8898 8998", "0731-88988998"),
        ("0731-8898-8998", "0731-88988998"),
        ("(0731)88988998", "0731-88988998"),
        ("（0731）88988998", "0731-88988998"),
        ("+86 731 88988998", "0731-88988998"),
        ("+86-731-88988998", "0731-88988998"),
        ("0086 731 88988998", "0731-88988998"),
        ("０７３１－８８９８８９９８", "0731-88988998"),
        ("0731—88988998", "0731-88988998"),
        ("73188988998", "0731-88988998"),
        ("7448212345", "0744-8212345"),
        ("010-12345678", "010-12345678"),
        ("0744-8212345", "0744-8212345"),
        ("0731-88988998转801", "0731-88988998转801"),
        ("0731-88988998-801", "0731-88988998转801"),
        ("0731-88988998 分机 12", "0731-88988998转12"),
    ],
)
def test_fixed_lines(text: str, expected: str) -> None:
    assert parse_fixed(text, "0731") == (expected, True, False)


@pytest.mark.parametrize(
    ("text", "area", "expected"),
    [
        ("88988998", "0731", "0731-88988998"),
        ("8898 8998", "0731", "0731-88988998"),
        ("88988998.0", "0731", "0731-88988998"),
        ("8212345", "0744", "0744-8212345"),
    ],
)
def test_local_number_takes_the_bureau_area_code(text: str, area: str, expected: str) -> None:
    assert parse_fixed(text, area) == (expected, True, True)


@pytest.mark.parametrize(
    ("text", "area"),
    [
        ("8212345", "0731"),  # 0731 numbers have eight digits
        ("88988998", "0744"),  # 0744 numbers have seven
        ("88988998", ""),  # no bureau, no area code to add
        ("0731-8898899", "0731"),
        ("13807310000", "0731"),  # a mobile is not an office line
        ("400-123-4567", "0731"),
        ("0731-88988998/88988999", "0731"),
        ("无", "0731"),
        ("", "0731"),
        ("1.38073E+10", "0731"),
    ],
)
def test_not_fixed_lines(text: str, area: str) -> None:
    assert parse_fixed(text, area) == (text, False, False)


@pytest.mark.parametrize(
    "text",
    [
        "13807310000",
        "138 0731 0000",
        "138-0731-0000",
        "+86 13807310000",
        "+8613807310000",
        "008613807310000",
        "86-13807310000",
        "１３８０７３１００００",
        "13807310000.0",
    ],
)
def test_mobiles(text: str) -> None:
    assert parse_mobile(text) == ("13807310000", True)


@pytest.mark.parametrize(
    "text",
    ["1380731000", "12345678901", "0731-88988998", "1.38073E+10", "13807310000、13907310000", ""],
)
def test_not_mobiles(text: str) -> None:
    assert parse_mobile(text) == (text, False)


def test_phones_in_a_table_use_the_bureau() -> None:
    row = norm_row(
        ZHANGJIAJIE, office_phone="8212345", fax="0744-8212346", mobile="１３８０７３１００００"
    )
    assert (row["office_phone"], row["office_phone_valid"], row["office_phone_area_added"]) == (
        "0744-8212345",
        True,
        True,
    )
    assert (row["fax"], row["fax_area_added"]) == ("0744-8212346", False)
    assert (row["mobile"], row["mobile_valid"]) == ("13807310000", True)


# --- e-mail -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("zhangwei@example.com", "zhangwei@example.com"),
        ("zhangwei＠example.com", "zhangwei@example.com"),
        ("ｚｈａｎｇｗｅｉ＠ｅｘａｍｐｌｅ．ｃｏｍ", "zhangwei@example.com"),
        (" zhangwei@example.com ", "zhangwei@example.com"),
        ("zhangwei @ example.com", "zhangwei@example.com"),
        ("zhangwei@example。com", "zhangwei@example.com"),
        ("Zhang.Wei@EXAMPLE.com", "Zhang.Wei@example.com"),
    ],
)
def test_emails(text: str, expected: str) -> None:
    assert parse_email(text) == (expected, True)


@pytest.mark.parametrize(
    "text",
    [
        "zhangwei@example",
        "zhangwei@@example.com",
        "zhangwei.example.com",
        "zhangwei@example.com;li@example.com",
        "无",
        "",
    ],
)
def test_not_emails(text: str) -> None:
    assert parse_email(text) == (text, False)


# --- institution types ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("事业单位", "事业单位"),
        ("事业", "事业单位"),
        ("事业性质", "事业单位"),
        ("国企", "国有企业"),
        ("国有", "国有企业"),
        ("国有控股", "国有企业"),
        ("民营", "民营企业"),
        ("民企", "民营企业"),
        ("私营", "民营企业"),
        ("私营企业", "民营企业"),
        (" 民营 企业 ", "民营企业"),
        ("民营企业（有限责任公司）", "民营企业"),
        ("社会团体", "其他"),
        ("民办非企业", "其他"),
        ("协会", "其他"),
        ("其它", "其他"),
        ("有限公司", ""),
        ("外资", ""),
        ("", ""),
    ],
)
def test_institution_synonyms(text: str, expected: str) -> None:
    assert choice_value(text, FORM.column("institution_type")) == expected


def test_institution_type_in_a_table_keeps_unknown_text() -> None:
    known, unknown = norm_row(institution_type="民企"), norm_row(institution_type="外资")
    assert (known["institution_type"], known["institution_type_valid"]) == ("民营企业", True)
    assert (unknown["institution_type"], unknown["institution_type_valid"]) == ("外资", False)


# --- zone and incubator answers ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["否", "无", "不在", "/", "／", "否。", "不在国家高新区", "否（在省级高新区）", "暂无", "N"],
)
def test_no_answers(text: str) -> None:
    assert parse_answer(text, FORM) == ("否", "")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("是", ""),
        ("是的", ""),
        ("是（）", ""),
        ("是，长沙高新区", "长沙高新区"),
        ("是,长沙高新区", "长沙高新区"),
        ("是；长沙高新区", "长沙高新区"),
        ("是 长沙高新区", "长沙高新区"),
        ("是（湘潭高新区）", "湘潭高新区"),
        ("长沙国家高新区", "长沙国家高新区"),
        ("在长沙高新技术产业开发区", "长沙高新技术产业开发区"),
        ("位于长沙高新区内", "长沙高新区"),
        ("是，湖南大学国家大学科技园", "湖南大学国家大学科技园"),
    ],
)
def test_yes_answers(text: str, named: str) -> None:
    assert parse_answer(text, FORM) == ("是", named)


def test_empty_answer_is_unanswered() -> None:
    assert parse_answer("  ", FORM) == ("", "")


@pytest.mark.parametrize(
    ("text", "official", "since"),
    [
        ("长沙高新区", "长沙高新技术产业开发区", "1991-03-06"),
        ("长沙国家高新区", "长沙高新技术产业开发区", "1991-03-06"),
        ("长沙高新技术产业开发区", "长沙高新技术产业开发区", "1991-03-06"),
        ("长沙市高新区", "长沙高新技术产业开发区", "1991-03-06"),
        ("麓谷", "长沙高新技术产业开发区", "1991-03-06"),
        ("湘潭高新区", "湘潭高新技术产业开发区", "2009-03-18"),
        ("株洲市高新技术产业开发区", "株洲高新技术产业开发区", "1992-11-09"),
        ("常德高新区", "常德高新技术产业开发区", "2017-02-13"),
    ],
)
def test_zone_register(text: str, official: str, since: str) -> None:
    zone = match_zone(text, REGISTERS.zones)
    assert zone is not None
    assert (zone.official_name, zone.national_since) == (official, dt.date.fromisoformat(since))


@pytest.mark.parametrize(
    "text", ["长沙国家高新技术产业开发区", "国家级长沙高新区", "长沙高新区（国家级）"]
)
def test_zone_qualified_as_national_anywhere(text: str) -> None:
    zone = match_zone(text, REGISTERS.zones, FORM.zone_qualifiers)
    assert zone is not None and zone.official_name == "长沙高新技术产业开发区"
    assert match_zone("国家级", REGISTERS.zones, FORM.zone_qualifiers) is None


@pytest.mark.parametrize("text", ["", "宁乡经开区", "岳麓山大学科技城"])
def test_zone_not_in_register(text: str) -> None:
    assert match_zone(text, REGISTERS.zones) is None


def test_zone_answer_in_a_table() -> None:
    inside = norm_row(zone="是（湘潭高新区）")
    assert (inside["in_zone"], inside["zone_text"], inside["zone"]) == (
        "是",
        "湘潭高新区",
        "湘潭高新技术产业开发区",
    )
    assert inside["zone_since"] == pd.Timestamp("2009-03-18")
    provincial = norm_row(zone="常德高新区")
    assert (provincial["in_zone"], provincial["zone"]) == ("是", "常德高新技术产业开发区")
    assert provincial["zone_since"] > pd.Timestamp("2016-04-14")
    outside = norm_row(zone="否")
    assert (outside["in_zone"], outside["zone"], outside["zone_text"]) == ("否", "", "")
    assert outside["zone_since"] is pd.NaT


def test_incubator_answer_in_a_table() -> None:
    row = norm_row(incubator="是(湖南大学国家大学科技园)")
    assert (row["in_incubator"], row["incubator"]) == ("是", "湖南大学国家大学科技园")


# --- text ---------------------------------------------------------------------------------------


def test_names_are_stored_nfkc_collapsed_with_chinese_brackets() -> None:
    row = norm_row(name="  麓谷\u3000创客 \u00a0 工场(长沙) ", operator="长沙ＡＢＣ科技有限公司")
    assert row["name"] == "麓谷 创客 工场（长沙）"
    assert row["operator"] == "长沙ABC科技有限公司"


def test_normalise_keeps_the_excel_row_index() -> None:
    raw = pd.DataFrame([{k: str(v) for k, v in good_row().items()}] * 2, index=[5, 9])
    assert list(normalise(raw, FORM, CHANGSHA, REGISTERS).index) == [5, 9]


# --- properties ---------------------------------------------------------------------------------


def name_key(text: str) -> str:
    return chinese_brackets(clean_text(pd.Series([text]))).iloc[0]


@settings(deadline=None)
@given(st.text())
def test_clean_text_is_idempotent(text: str) -> None:
    once = clean_text(pd.Series([text]))
    assert clean_text(once).iloc[0] == once.iloc[0]


@settings(deadline=None)
@given(st.text())
def test_name_key_is_idempotent(text: str) -> None:
    assert name_key(name_key(text)) == name_key(text)


@pytest.mark.slow  # fuzzing at full size
@settings(deadline=None)
@given(st.text())
def test_parsers_never_raise(text: str) -> None:
    assert isinstance(parse_fixed(text, "0731")[1], bool)
    assert isinstance(parse_mobile(text)[1], bool)
    assert isinstance(parse_email(text)[1], bool)
    assert parse_answer(text, FORM)[0] in ("是", "否", "")
    match_zone(text, REGISTERS.zones)
    choice_value(text, FORM.column("institution_type"))
    assert len(parse_dates(pd.Series([text]))) == 1


@pytest.mark.slow  # fuzzing at full size
@settings(deadline=None)
@given(st.from_regex(r"\A[0-9０-９ \-()+.年月日/]{0,24}\Z"))
def test_parsers_never_raise_on_number_like_text(text: str) -> None:
    parse_fixed(text, "0744")
    parse_mobile(text)
    dates = parse_dates(pd.Series([text]))
    start, end = dates.loc[0, "start"], dates.loc[0, "end"]
    assert start is pd.NaT or start <= end


@pytest.mark.parametrize(
    "number", ["01062345678", "02162345678", "02012345678", "073188988998", "07348612345"]
)
def test_area_code_length_agrees_with_phonenumbers(number: str) -> None:
    parsed = phonenumbers.parse(number, "CN")
    nsn = phonenumbers.national_significant_number(parsed)
    assert area_code_length(nsn) == phonenumbers.length_of_geographical_area_code(parsed)


@settings(deadline=None, max_examples=60)
@given(
    st.lists(
        st.tuples(*[st.one_of(st.none(), st.text("众创 \n１a（", max_size=6))] * 3),
        max_size=12,
    )
)
def test_cleaning_the_frame_at_once_is_cleaning_each_column(rows: list[tuple]) -> None:
    raw = pd.DataFrame(rows, columns=["名称", "地址", "电话"], dtype="str")
    raw.index = raw.index + 4
    pd.testing.assert_frame_equal(clean_frame(raw), raw.apply(clean_text))
