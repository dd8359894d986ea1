"""The mechanisms behind the corpus, one by one: the date grammar, contact cells, layout rules."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import FORM, LABELS, MakeWorkbook, good_row
from forms import form_values, make_form
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.config import Settings
from pipeline.core.dates import HALF_YEAR, QUARTER, TWO_READINGS, read_dates, spell_digits
from pipeline.core.values import drop_enumeration, first_value, join_chinese
from pipeline.read.header import find_header, tick_columns
from pipeline.read.layout import (
    fill_merged,
    join_companions,
    layout_noise,
    same_as_above,
    same_as_column,
    ticked,
)
from pipeline.run import consolidate_batch

# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "spelled"),
    [
        ("二〇一五年三月", "2015年3月"),
        ("二零一五年十月十五日", "2015年10月15日"),
        ("二○一四年十二月三十一日", "2014年12月31日"),
        ("一五年三月", "2015年3月"),
        ("15年3月", "2015年3月"),
        ("98年", "1998年"),
        ("15.3.15", "2015.3.15"),
        ("15.3", "15.3"),
        ("成立于2015年3月", "2015年3月"),
        ("2015年3月至今", "2015年3月"),
        ("约2014年", "2014年"),
        ("2014年左右", "2014年"),
        ("2015-03-15", "2015-03-15"),
        ("长沙", "长沙"),
        ("2015年3月（工商注册）", "2015年3月"),
        ("2015年3月（2016年迁址）", "2015年3月（2016年迁址）"),
        ("注册时间：2015年3月", "2015年3月"),
        ("成立日期2015.3.15", "2015.3.15"),
        ("2015.3.15注册", "2015.3.15"),
        ("2015年3月试运营", "2015年3月"),
        ("2014年度", "2014年"),
    ],
)
def test_spell_digits(text: str, spelled: str) -> None:
    assert spell_digits(pd.Series([text])).iloc[0] == spelled


@pytest.mark.parametrize(
    ("text", "start", "end", "precision", "founded"),
    [
        ("2015年上半年", "2015-01-01", "2015-06-30", HALF_YEAR, "2015年上半年"),
        ("2015下半年", "2015-07-01", "2015-12-31", HALF_YEAR, "2015下半年"),
        ("2015年第三季度", "2015-07-01", "2015-09-30", QUARTER, "2015年第三季度"),
        ("2015年4季度", "2015-10-01", "2015-12-31", QUARTER, "2015年4季度"),
        ("2015.1", "2015-01-01", "2015-10-31", TWO_READINGS, "2015.1"),
        ("2015.10", "2015-10-01", "2015-10-31", "月", "2015-10"),
        ("2015.01", "2015-01-01", "2015-01-31", "月", "2015-01"),
        ("2015.1.5", "2015-01-05", "2015-01-05", "日", "2015-01-05"),
        ("二〇一五年十月二十日", "2015-10-20", "2015-10-20", "日", "2015-10-20"),
        ("2015年初", "2015-01-01", "2015-03-31", QUARTER, "2015年初"),
        ("2015年底", "2015-12-01", "2015-12-31", "月", "2015-12"),
        ("2015年3月中旬", "2015-03-01", "2015-03-31", "月", "2015-03"),
        ("2015年3月15日前", "2015-03-15", "2015-03-15", "日", "2015-03-15"),
        ("2015，3，15", "2015-03-15", "2015-03-15", "日", "2015-03-15"),
        ("2015。3。15", "2015-03-15", "2015-03-15", "日", "2015-03-15"),
        ("2015、3", "2015-03-01", "2015-03-31", "月", "2015-03"),
    ],
)
def test_read_dates(text: str, start: str, end: str, precision: str, founded: str) -> None:
    dates, canonical = read_dates(pd.Series([text]))
    assert dates.loc[0, "start"] == pd.Timestamp(start)
    assert dates.loc[0, "end"] == pd.Timestamp(end)
    assert (dates.loc[0, "precision"], canonical.iloc[0]) == (precision, founded)


@pytest.mark.parametrize(
    "text", ["二〇一五年十三月", "2015年第五季度", "2015年中", "十五", "2015.1.1.1"]
)
def test_read_dates_refuses_what_is_no_date(text: str) -> None:
    dates, canonical = read_dates(pd.Series([text]))
    assert dates.loc[0, "start"] is pd.NaT
    assert canonical.iloc[0] == text


@settings(deadline=None)
@given(st.text(alphabet="〇零一二三四五六七八九十年月日号上下半第季度约左右.0123456789 "))
def test_read_dates_never_raises_and_keeps_start_before_end(text: str) -> None:
    dates, _ = read_dates(pd.Series([text]))
    start, end = dates.loc[0, "start"], dates.loc[0, "end"]
    assert start is pd.NaT or start <= end


# --- contact cells and wrapped text -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0731-88881234", ("0731-88881234", False)),
        ("(0731)88881234", ("(0731)88881234", False)),
        ("88881234（总机）", ("88881234", False)),
        ("手机：13807310000", ("13807310000", False)),
        ("mailto:a@example.com", ("a@example.com", False)),
        ("a@example.com。", ("a@example.com", False)),
        ("0731-88881234/88881235", ("0731-88881234", True)),
        ("13807310000或13907310000", ("13807310000", True)),
        ("a@example.com; b@example.com", ("a@example.com", True)),
        ("手机13807310000", ("13807310000", False)),
        ("邮箱zhangwei@example.com", ("zhangwei@example.com", False)),
        ("张伟@example.com", ("张伟@example.com", False)),
        ("0731-88881234 13807310000", ("0731-88881234", True)),
        ("0731 8888 8888", ("0731 8888 8888", False)),
        ("a@example.com b@example.com", ("a@example.com", True)),
        ("zhangwei @example.com", ("zhangwei @example.com", False)),
        ("0731-88881234 801", ("0731-88881234 801", False)),
        ("", ("", False)),
    ],
)
def test_first_value(text: str, expected: tuple[str, bool]) -> None:
    assert first_value(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("众创\n空间", "众创空间"),
        ("长沙市岳麓区\r\n  100号", "长沙市岳麓区100号"),
        ("Maker\nSpace", "Maker\nSpace"),
        ("张 伟", "张 伟"),
    ],
)
def test_join_chinese(text: str, expected: str) -> None:
    assert join_chinese(pd.Series([text])).iloc[0] == expected


# --- layout -------------------------------------------------------------------------------------


def test_fill_merged_fills_below_the_header_only() -> None:
    grid = [["名称", "主体"], ["", ""], ["A", "甲"], ["B", ""], ["C", ""]]
    merges = [((0, 0), (1, 0)), ((2, 1), (3, 1)), ((4, 0), (4, 1))]
    assert fill_merged(grid, merges, 2) == [
        ["A", "甲"],
        ["B", "甲"],
        ["C", "C"],
    ]


def test_same_as_above_follows_a_chain_and_keeps_a_first_ditto() -> None:
    whole = pd.DataFrame({0: ["同上", "甲", "同上", " 〃 ", "乙"]})
    assert same_as_above(whole, FORM.ditto)[0].tolist() == ["同上", "甲", "甲", "甲", "乙"]


def test_join_companions_reads_two_cells_as_one_answer() -> None:
    text = pd.DataFrame({"zone": ["是", "否", ""]})
    whole = pd.DataFrame({5: ["长沙高新区", "", "长沙高新区"]})
    assert join_companions(text, whole, {"zone": [5]})["zone"].tolist() == [
        "是，长沙高新区",
        "否",
        "长沙高新区",
    ]


def test_same_as_column_takes_the_named_columns_value_in_its_row() -> None:
    text = pd.DataFrame(
        {
            "name": ["同心创客空间", "岳麓"],
            "head": ["同联系人", "王强"],
            "contact": ["李娜", "同上"],
            "office_phone": ["0731-88881234", "0731-88882222"],
            "fax": ["同电话", "与办公电话相同"],
            "mobile": ["同手机", "同总机"],
        },
        dtype=object,
    )
    got = same_as_column(text, FORM)
    assert got.to_dict("list") == {
        "name": ["同心创客空间", "岳麓"],
        "head": ["李娜", "王强"],
        "contact": ["李娜", "同上"],
        "office_phone": ["0731-88881234", "0731-88882222"],
        "fax": ["0731-88881234", "0731-88882222"],
        "mobile": ["同手机", "同总机"],  # itself, and a column the form has not: kept
    }
    assert text.at[0, "fax"] == "同电话"  # the frame given is not changed


def test_layout_noise_names_each_kind_of_row() -> None:
    labels = [c.short_label for c in FORM.columns]
    rows = [
        [str(i) for i in range(1, 14)],
        ["麓谷创客工场", *["x"] * 12],
        labels,
        ["", "", "", "", "", "", "", "", "", "", "（盖章）", "", ""],
        ["", "", "", "", "", "", "", "", "", "", "", "2016年4月12日", ""],
        ["例", *["x"] * 12],
        ["", "", "", "", "", "", "", "", "", "", "", "长沙", ""],
    ]
    whole = pd.DataFrame(rows, index=range(4, 11))
    text = whole.set_axis(FORM.fields, axis=1)
    header = pd.DataFrame([labels])
    assert layout_noise(whole, text, header, FORM) == {
        4: "列序号行",
        6: "重复表头",
        7: "表尾说明",
        8: "表尾说明",
        9: "填写示例行",
    }


def test_layout_noise_reads_a_lone_numbered_heading_as_a_group_heading() -> None:
    rows = [
        ["", "（一）长沙县", *[""] * 11],
        ["一、浏阳市", *[""] * 12],
        ["", "麓谷创客工场", *["x"] * 11],
        ["", "一、麓谷创客工场", "长沙麓谷创客科技有限公司", *[""] * 10],
        ["", "长沙市一、二期", *[""] * 11],
    ]
    whole = pd.DataFrame(rows, index=range(4, 9))
    text = whole.iloc[:, 1:].set_axis(FORM.fields[:12], axis=1)
    header = pd.DataFrame([["序号", *[c.short_label for c in FORM.columns[:12]]]])
    assert layout_noise(whole, text, header, FORM) == {4: "分组标题", 5: "分组标题"}


def test_a_yes_no_field_split_into_tick_columns_reads_the_ticked_word() -> None:
    labels = list(LABELS)
    header = [
        [*labels[:11], labels[11], "", labels[12], ""],
        [""] * 11 + ["是", "否", "有", "无"],
    ]
    start, span, columns = find_header([*header, [""] * 15], FORM)
    assert (start, span, columns["zone"], columns["incubator"]) == (0, 2, 11, 13)
    ticks = tick_columns(header, columns, FORM)
    assert ticks == {"zone": {11: "是", 12: "否"}, "incubator": {13: "有", 14: "无"}}
    whole = pd.DataFrame(
        {11: ["长沙高新区", "", "√", ""], 12: ["", "√", "√", ""], 13: ["", "", "", ""]},
        dtype=object,
    )
    text = pd.DataFrame({"zone": whole[11], "incubator": whole[13]})
    got = ticked(text, whole, ticks, FORM)
    assert got["zone"].tolist() == ["是，长沙高新区", "否", "是，否", ""]
    assert got["incubator"].tolist() == ["", "", "", ""]  # 无 has no cells: nothing ticked


def test_a_lone_yes_no_word_under_a_plain_label_is_no_tick_column() -> None:
    header = [list(LABELS), [""] * 11 + ["是", ""]]
    _, _, columns = find_header(header, FORM)
    assert tick_columns(header, columns, FORM) == {}


def test_drop_enumeration_keeps_names_that_start_with_a_number() -> None:
    names = pd.Series(
        ["1、麓谷创客工场", "（2）岳麓", "12. 创客", "3D打印空间", "1.5度空间", "2015创客"]
    )
    assert drop_enumeration(names).tolist() == [
        "麓谷创客工场",
        "岳麓",
        "创客",
        "3D打印空间",
        "1.5度空间",
        "2015创客",
    ]


# --- the same reading for the Annex 1 form ------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"founded": "二〇一四年五月"}, []),
        ({"founded": "14年5月"}, []),
        ({"founded": "二〇一四年六月"}, ["W_ANNEX1_MISMATCH"]),
    ],
)
def test_the_form_date_is_read_as_the_annex3_date(
    settings: Settings, make_workbook: MakeWorkbook, change: dict[str, str], expected: list[str]
) -> None:
    folder = settings.inbox / "长沙市科学技术局"
    make_workbook([good_row()], name="汇总表.xlsx", folder=folder)
    make_form(folder / "基本信息表.docx", form_values(**change))
    row = consolidate_batch(settings).rows.iloc[0]
    assert [c for c in row["codes"].split(";") if c.startswith("W_ANNEX1")] == expected
