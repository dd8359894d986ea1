"""The corpus: Annex 3 workbooks as bureaus really fill them, beyond the cases SPEC §3 lists.

Each case is a workbook built in code the way a bureau clerk fills the form in Excel or WPS —
the layout around the table (titles, unit and date lines, signature and stamp lines, totals,
pre-numbered rows, column numbers), inside it (merged cells, wrapped text, a repeated header,
numbers typed into General cells) and the values people write by hand (dates, phones, yes/no,
institution types, e-mail) — with the decision a careful provincial clerk would take: which rows
are spaces, and for each its disposition, its codes, and what the analyst's 明细 shows.
Every case runs through the whole CLI (`beian run`) on its own inbox.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
import xlwt
from conftest import FORM, LABELS, good_row, write_grid
from helpers import SPACE_NAMES, write_config
from odf import number
from odf.opendocument import OpenDocumentSpreadsheet
from odf.style import Style
from odf.table import CoveredTableCell, Table, TableCell, TableRow
from odf.text import P
from openpyxl.utils import range_boundaries
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.config import Settings

# A whole night through the CLI per case, a hundred cases: the long form; CI runs it (-m slow).
pytestmark = pytest.mark.slow

Grid = list[list[Any]]
OK = ("accepted", "")
TITLE = [FORM.title]
STAMP = [FORM.stamp_label + "长沙市科学技术局"]


def line(**changes: Any) -> list[Any]:
    """One space's row in form order; keyword arguments replace fields of the valid row."""
    row = good_row(**changes)
    return [row[f] for f in FORM.fields]


def spaces(count: int, **changes: Any) -> Grid:
    """``count`` valid rows of distinct spaces (names far apart), with the same changes."""
    return [line(name=SPACE_NAMES[i], **changes) for i in range(count)]


def official(rows: Grid, above: Grid = (), below: Grid = (), header: Grid = ()) -> Grid:
    """Title, stamp line and any lines above the header, the header, the rows, lines below."""
    return [TITLE, STAMP, *above, *(header or [list(LABELS)]), *rows, *below]


def numbered(rows: Grid, blank_to: int = 0) -> Grid:
    """A 序号 column before the form's columns; pre-numbered empty rows up to ``blank_to``."""
    body = [[i + 1, *row] for i, row in enumerate(rows)]
    return body + [[i + 1] for i in range(len(rows), blank_to)]


@dataclass(frozen=True)
class Case:
    """A workbook and the clerk's decision.

    ``expect`` maps every data row (Excel row) to (disposition, codes as ``;``-joined sorted
    text); ``detail`` maps accepted rows to the 明细 values they must show.
    """

    id: str
    grid: Grid
    expect: dict[int, tuple[str, str]]
    detail: dict[int, dict[str, str]] = field(default_factory=dict)
    merges: tuple[str, ...] = ()
    fmt: str = "xlsx"
    stamp_file: str = "长沙市科技局"
    date_format: str | int = ""
    """The number format of the sheet's date cells (a built-in id or a code); "" writes them as
    the writer does by default."""


def one(value: str, column: str, **changes: Any) -> tuple[Grid, dict[int, dict[str, str]]]:
    """A one-space official sheet whose 明细 ``column`` must read ``value``."""
    return official([line(**changes)]), {4: {column: value}}


def value_case(
    id: str, expect: tuple[str, str], column: str = "", value: str = "", **changes: Any
) -> Case:
    """One space with some fields written by hand; accepted rows show ``value`` in ``column``."""
    grid, detail = one(value, column, **changes)
    return Case(id, grid, {4: expect}, detail if column and expect[0] == "accepted" else {})


def shown_as(
    id: str,
    expect: tuple[str, str],
    value: str,
    founded: dt.date,
    date_format: str | int,
    fmt: str = "xlsx",
) -> Case:
    """A real date in the 成立时间 cell under a number format, as Excel or WPS saves it."""
    grid, detail = one(value, FOUNDED, founded=founded)
    return Case(id, grid, {4: expect}, detail, fmt=fmt, date_format=date_format)


TWO = "W_FOUNDED_AMBIGUOUS;W_FOUNDED_TWO_READINGS"
NAME, OPERATOR, ADDRESS, FOUNDED = "众创空间名称", "运营管理主体", "地址", "成立时间（原文）"
KIND, OFFICE, MOBILE, EMAIL = "机构性质", "办公电话", "手机", "电子邮件"
IN_ZONE, ZONE, IN_INC, INC = (
    "是否在国家高新区",
    "所在国家高新区",
    "是否在孵化器或大学科技园",
    "所在孵化器或大学科技园",
)
HIGH_TECH = "长沙高新技术产业开发区"

CASES = [
    # --- around the table ------------------------------------------------------------------
    Case(
        "unit-and-date-lines-above-the-header",
        official(
            spaces(2),
            above=[
                ["", "", "", "", "", "", "", "", "", "", "", "单位：个"],
                ["填报日期：2016年4月10日"],
            ],
        ),
        {6: OK, 7: OK},
    ),
    Case(
        "signature-line-led-by-the-head-of-the-unit",
        official(
            spaces(2),
            below=[
                [
                    "单位负责人：刘洋",
                    "",
                    "",
                    "填表人：王芳",
                    "",
                    "审核人：李强",
                    "",
                    "联系电话：0731-88880000",
                ]
            ],
        ),
        {4: OK, 5: OK},
    ),
    Case(
        "stamp-and-date-under-the-table",
        official(
            spaces(2),
            below=[
                [],
                ["", "", "", "", "", "", "", "", "", "", "（单位盖章）"],
                ["", "", "", "", "", "", "", "", "", "", "2016年4月12日"],
            ],
        ),
        {4: OK, 5: OK},
    ),
    Case(
        "date-in-chinese-numerals-under-the-table",
        official(
            spaces(1), below=[["", "", "", "", "", "", "", "", "", "", "", "二〇一六年四月十二日"]]
        ),
        {4: OK},
    ),
    Case(
        "totals-row-in-the-number-column",
        [TITLE, STAMP, ["序号", *LABELS], *numbered(spaces(3)), ["总计", "3个"]],
        {4: OK, 5: OK, 6: OK},
    ),
    Case(
        "totals-row-spaced-out",
        official(spaces(2), below=[["合　　计", "2个"]]),
        {4: OK, 5: OK},
    ),
    Case(
        "names-numbered-as-a-list-without-a-number-column",
        official([line(name="1、麓谷创客工场"), line(name="（2）岳麓山创新工场")]),
        {4: OK, 5: OK},
        {4: {NAME: "麓谷创客工场"}, 5: {NAME: "岳麓山创新工场"}},
    ),
    Case(
        "pre-numbered-rows-to-the-bottom",
        [TITLE, STAMP, ["序号", *LABELS], *numbered(spaces(2), blank_to=30)],
        {4: OK, 5: OK},
    ),
    Case(
        "column-numbers-under-the-header",
        [TITLE, STAMP, ["序号", *LABELS], list(range(1, 15)), *numbered(spaces(2))],
        {5: OK, 6: OK},
    ),
    Case(
        "column-numbers-in-circled-digits",
        [TITLE, STAMP, list(LABELS), list("①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬"), *spaces(1)],
        {5: OK},
    ),
    Case(
        "header-repeated-where-a-second-page-was-pasted",
        official([*spaces(2), list(LABELS), *spaces(4)[2:]]),
        {4: OK, 5: OK, 7: OK, 8: OK},
    ),
    Case(
        "header-labels-broken-over-three-rows",
        official(
            spaces(1),
            header=[
                [*LABELS[:11], "是否在国家", "是否在国家级科技企业"],
                [*[""] * 11, "高新区", "孵化器或大学科技园"],
                [*[""] * 11, "（请注明所在高新区名称）", "（请注明所在机构名称）"],
            ],
        ),
        {6: OK},
    ),
    Case(
        "contact-columns-grouped-with-column-numbers-below",
        [
            TITLE,
            STAMP,
            [*LABELS[:7], "联系方式", "", "", "", *LABELS[11:]],
            [*[""] * 7, *LABELS[7:11], "", ""],
            list(range(1, 14)),
            *spaces(2),
        ],
        {6: OK, 7: OK},
        merges=("H3:K3", "A3:A4", "B3:B4", "L3:L4", "M3:M4"),
    ),
    Case(
        "header-spelled-with-a-pause-mark",
        official(spaces(1), header=[[*LABELS[:12], "是否在国家级科技企业孵化器、大学科技园"]]),
        {4: OK},
    ),
    Case(
        "example-row-marked-in-the-number-column",
        [
            TITLE,
            STAMP,
            ["序号", *LABELS],
            ["例", *line(name="长沙某创客空间")],
            *numbered(spaces(1)),
        ],
        {5: OK},
    ),
    Case(
        "filling-instructions-under-the-table",
        official(
            spaces(1), below=[["填表说明：1.成立时间填写到月；"], ["2.机构性质从下拉列表选择。"]]
        ),
        {4: OK},
    ),
    Case(
        "zone-answer-and-zone-name-in-two-columns",
        official(
            [
                [*line()[:11], "是", "长沙高新区", "否"],
                [*line(name=SPACE_NAMES[1])[:11], "否", "", "否"],
            ],
            header=[[*LABELS[:12], "所在高新区名称", LABELS[12]]],
        ),
        {4: OK, 5: OK},
        {4: {IN_ZONE: "是", ZONE: "长沙高新技术产业开发区"}, 5: {IN_ZONE: "否", ZONE: ""}},
    ),
    Case(
        "incubator-answer-and-name-in-two-columns",
        official(
            [[*line(incubator="是"), "湖南大学国家大学科技园"]],
            header=[[*LABELS, "孵化器或大学科技园名称"]],
        ),
        {4: OK},
        {4: {IN_INC: "是", INC: "湖南大学国家大学科技园"}},
    ),
    Case(
        "a-zone-committee-answers-yes-without-naming-its-zone",
        [TITLE, [FORM.stamp_label + "长沙高新区管委会"], list(LABELS), line(zone="是")],
        {4: ("accepted", "W_ZONE_FROM_BUREAU")},
        {4: {IN_ZONE: "是", ZONE: HIGH_TECH}},
        stamp_file="长沙高新区管委会",
    ),
    Case(
        "a-zone-committee-answers-its-zone-as-this-district",
        [TITLE, [FORM.stamp_label + "湘潭高新区管委会"], list(LABELS), line(zone="是，本区")],
        {4: ("accepted", "W_ZONE_FROM_BUREAU")},
        {4: {ZONE: "湘潭高新技术产业开发区"}},
        stamp_file="湘潭高新区管委会",
    ),
    Case(
        "a-city-bureau-answers-yes-without-naming-a-zone",
        official([line(zone="是")]),
        {4: ("rejected", "E_ZONE_NAME_MISSING")},
    ),
    Case(
        "group-headings-between-the-spaces",
        official(
            [
                ["（一）长沙县"],
                line(),
                ["二、浏阳市"],
                line(name=SPACE_NAMES[1]),
            ]
        ),
        {5: OK, 7: OK},
    ),
    Case(
        "yes-no-split-into-tick-columns",
        official(
            [
                [*line()[:11], "长沙高新区", "", "", "√"],
                [*line(name=SPACE_NAMES[1])[:11], "", "√", "湖南大学国家大学科技园", ""],
                [*line(name=SPACE_NAMES[2])[:11], "√", "√", "", "√"],
            ],
            header=[
                [*LABELS[:11], LABELS[11], "", LABELS[12], ""],
                [""] * 11 + ["是", "否", "有", "无"],
            ],
        ),
        {5: OK, 6: OK, 7: ("rejected", "E_ZONE_UNKNOWN")},
        {
            5: {IN_ZONE: "是", ZONE: HIGH_TECH, IN_INC: "否"},
            6: {IN_ZONE: "否", IN_INC: "是", INC: "湖南大学国家大学科技园"},
        },
        merges=("L3:M3", "N3:O3", *(f"{c}3:{c}4" for c in "ABCDEFGHIJK")),
    ),
    # --- same as above ------------------------------------------------------------------------
    Case(
        "same-as-above-for-operator-address-and-fax",
        official(
            [
                line(),
                *[
                    line(name=n, operator="同上", address="同上", fax="同上")
                    for n in SPACE_NAMES[1:3]
                ],
            ]
        ),
        {4: OK, 5: OK, 6: OK},
        {
            6: {
                OPERATOR: "长沙麓谷创客科技有限公司",
                ADDRESS: "长沙市岳麓区麓谷大道100号",
                "传真": "0731-88881235",
            }
        },
    ),
    Case(
        "ditto-mark-for-the-type",
        official([line(), line(name=SPACE_NAMES[1], institution_type="〃")]),
        {4: OK, 5: OK},
        {5: {KIND: "民营企业"}},
    ),
    # --- the same as another column of the row ----------------------------------------------
    value_case("fax-same-as-the-phone", OK, "传真", "0731-88881234", fax="同电话"),
    value_case(
        "fax-the-same-as-the-office-phone", OK, "传真", "0731-88881234", fax="与办公电话相同"
    ),
    value_case("head-is-the-contact", OK, "负责人", "李娜", head="同联系人"),
    value_case(
        "a-name-starting-with-tong-is-a-name", OK, NAME, "同心创客空间", name="同心创客空间"
    ),
    value_case(
        "same-as-a-column-the-form-has-not",
        ("rejected", "E_PHONE"),
        fax="同总机",
    ),
    Case(
        "same-as-above-then-same-as-the-phone",
        official(
            [
                line(fax="同电话"),
                line(name=SPACE_NAMES[1], office_phone="0731-88882222", fax="同上"),
            ]
        ),
        {4: OK, 5: OK},
        {4: {"传真": "0731-88881234"}, 5: {"传真": "0731-88882222"}},
    ),
    Case(
        "stamp-line-at-the-foot-of-the-sheet",
        [TITLE, list(LABELS), *spaces(2), [], ["推荐单位（盖章）：", "", "株洲市科学技术局"]],
        {3: OK, 4: OK},
        {3: {"推荐单位": "株洲市科学技术局"}},
        stamp_file="附件3",
    ),
    Case(
        "bureau-named-only-in-the-title",
        [["湘潭市申请备案的众创空间信息汇总表"], list(LABELS), *spaces(1)],
        {3: OK},
        {3: {"推荐单位": "湘潭市科学技术局"}},
        stamp_file="附件3",
    ),
    # --- merged cells in the table -----------------------------------------------------------
    Case(
        "operator-and-address-merged-down-over-three-spaces",
        official(spaces(3)),
        {4: OK, 5: OK, 6: OK},
        {
            r: {OPERATOR: "长沙麓谷创客科技有限公司", ADDRESS: "长沙市岳麓区麓谷大道100号"}
            for r in (4, 5, 6)
        },
        merges=("B4:B6", "C4:C6"),
    ),
    Case(
        "type-and-zone-merged-down",
        official(spaces(2, institution_type="国有企业")),
        {4: OK, 5: OK},
        {5: {KIND: "国有企业", IN_ZONE: "是", ZONE: HIGH_TECH}},
        merges=("E4:E5", "L4:L5"),
    ),
    Case(
        "one-contact-for-two-spaces-merged-down",
        official(spaces(2)),
        {4: OK, 5: OK},
        {5: {MOBILE: "13807310000", EMAIL: "zhangwei@example.com"}},
        merges=("G4:G5", "H4:H5", "I4:I5", "J4:J5", "K4:K5"),
    ),
    Case(
        "no-merged-across-both-answer-columns",
        official(spaces(1, zone="否", incubator="")),
        {4: OK},
        {4: {IN_ZONE: "否", IN_INC: "否"}},
        merges=("L4:M4",),
    ),
    Case(
        "operator-merged-down-in-a-legacy-xls",
        official(spaces(2)),
        {4: OK, 5: OK},
        {5: {OPERATOR: "长沙麓谷创客科技有限公司"}},
        merges=("B4:B5",),
        fmt="xls",
    ),
    Case(
        "operator-and-contact-merged-down-in-an-ods",
        official(spaces(2)),
        {4: OK, 5: OK},
        {5: {OPERATOR: "长沙麓谷创客科技有限公司", MOBILE: "13807310000"}},
        merges=("B4:B5", "G4:G5", "I4:I5"),
        fmt="ods",
    ),
    # --- wrapped text -------------------------------------------------------------------------
    value_case("name-wrapped-inside-a-word", OK, NAME, "麓谷创客工场", name="麓谷创客\n工场"),
    value_case(
        "operator-wrapped-with-indent",
        OK,
        OPERATOR,
        "长沙麓谷创客科技有限公司",
        operator="长沙麓谷创客科技\n  有限公司",
    ),
    value_case(
        "address-wrapped-before-the-number",
        OK,
        ADDRESS,
        "长沙市岳麓区麓谷大道100号",
        address="长沙市岳麓区\r\n麓谷大道\n100号",
    ),
    value_case("type-wrapped", OK, KIND, "民营企业", institution_type="民营\n企业"),
    # --- numbers typed into General cells -----------------------------------------------------
    value_case(
        "founded-2015.10-stored-as-2015.1", ("accepted", TWO), FOUNDED, "2015.1", founded=2015.1
    ),
    value_case(
        "founded-2014.10-stored-as-2014.1", ("accepted", "W_FOUNDED_TWO_READINGS"), founded=2014.1
    ),
    value_case(
        "founded-2016.10-stored-as-2016.1",
        ("rejected", "E_TOO_YOUNG;W_FOUNDED_TWO_READINGS"),
        founded=2016.1,
    ),
    Case(
        "founded-2015.1-in-a-csv-saved-from-a-general-cell",
        official([line(founded="2015.1")]),
        {4: ("accepted", TWO)},
        fmt="csv",
    ),
    Case(
        "founded-2015.1-as-a-number-in-a-legacy-xls",
        official([line(founded=2015.1)]),
        {4: ("accepted", TWO)},
        fmt="xls",
    ),
    value_case(
        "founded-2015.10-typed-as-text",
        ("accepted", "W_FOUNDED_AMBIGUOUS"),
        FOUNDED,
        "2015-10",
        founded="2015.10",
    ),
    value_case("founded-2015.3-as-a-number", OK, FOUNDED, "2015-03", founded=2015.3),
    value_case("founded-2015.12-as-a-number", ("rejected", "E_TOO_YOUNG"), founded=2015.12),
    value_case(
        "founded-datetime-with-a-time",
        OK,
        FOUNDED,
        "2015-03-15",
        founded=dt.datetime(2015, 3, 15, 14, 30),
    ),
    value_case(
        "office-phone-typed-as-a-number-losing-its-0",
        OK,
        OFFICE,
        "0731-88888888",
        office_phone=73188888888,
    ),
    # --- dates written by hand ----------------------------------------------------------------
    value_case("founded-with-hao", OK, FOUNDED, "2015-10-08", founded="2015年10月8号"),
    value_case("founded-two-digit-year", OK, FOUNDED, "2015-03", founded="15年3月"),
    value_case("founded-two-digit-year-with-dots", OK, FOUNDED, "2015-03-15", founded="15.3.15"),
    value_case("founded-with-a-verb", OK, FOUNDED, "2015-03", founded="成立于2015年3月"),
    value_case("founded-dots-with-ri", OK, FOUNDED, "2015-03-15", founded="2015.3.15日"),
    value_case(
        "founded-text-with-midnight", OK, FOUNDED, "2015-03-15", founded="2015-3-15 0:00:00"
    ),
    value_case("founded-first-half-year", OK, FOUNDED, "2015年上半年", founded="2015年上半年"),
    value_case(
        "founded-second-half-year", ("accepted", "W_FOUNDED_AMBIGUOUS"), founded="2015年下半年"
    ),
    value_case("founded-quarter", OK, FOUNDED, "2015年第一季度", founded="2015年第一季度"),
    value_case("founded-chinese-numerals", OK, FOUNDED, "2015-03", founded="二〇一五年三月"),
    value_case(
        "founded-chinese-numerals-with-ling",
        ("accepted", "W_FOUNDED_AMBIGUOUS"),
        FOUNDED,
        "2015-10",
        founded="二零一五年十月",
    ),
    value_case(
        "founded-chinese-numerals-day", ("rejected", "E_TOO_YOUNG"), founded="二〇一五年十月二十日"
    ),
    value_case("founded-approximately", OK, FOUNDED, "2014", founded="2014年左右"),
    value_case("founded-end-of-year", ("rejected", "E_TOO_YOUNG"), founded="2015年底"),
    value_case("founded-mid-month", OK, FOUNDED, "2015-03", founded="2015年3月中旬"),
    value_case(
        "founded-with-a-note-in-brackets",
        OK,
        FOUNDED,
        "2015-03-15",
        founded="2015年3月15日（工商注册）",
    ),
    value_case("founded-registered", OK, FOUNDED, "2015-03-15", founded="2015.03.15注册"),
    value_case(
        "founded-labelled-in-the-cell", OK, FOUNDED, "2015-03", founded="注册时间：2015年3月"
    ),
    value_case("founded-opened", OK, FOUNDED, "2015-03", founded="2015年3月开业"),
    value_case("founded-year-du", OK, FOUNDED, "2014", founded="2014年度"),
    value_case("founded-chinese-commas", OK, FOUNDED, "2015-03-15", founded="2015，3，15"),
    value_case("founded-ideographic-full-stops", OK, FOUNDED, "2015-03-15", founded="2015。3。15"),
    value_case(
        "founded-with-a-second-date-in-a-note-is-asked",
        ("rejected", "E_DATE"),
        founded="2015年3月（2016年迁址）",
    ),
    Case(
        "formula-in-a-legacy-xls-written-by-a-program-that-does-not-calculate",
        official([line(operator=xlwt.Formula('"长沙麓谷"&"创客科技有限公司"'))]),
        {4: ("rejected", "E_REQUIRED")},
        fmt="xls",
    ),
    # --- real dates whose number format shows less than the day --------------------------------
    shown_as(
        "founded-date-shown-as-year-month-custom-format",
        ("accepted", "W_FOUNDED_AMBIGUOUS"),
        "2015-10",
        dt.date(2015, 10, 1),
        'yyyy"年"m"月"',
    ),
    shown_as("founded-date-shown-by-builtin-57", OK, "2015-03", dt.date(2015, 3, 1), 57),
    shown_as("founded-date-shown-by-builtin-17-mmm-yy", OK, "2015-03", dt.date(2015, 3, 1), 17),
    shown_as(
        "founded-date-shown-in-chinese-numerals",
        OK,
        "2015-03",
        dt.date(2015, 3, 1),
        '[DBNum1][$-804]yyyy"年"m"月"',
    ),
    shown_as(
        "founded-date-shown-as-year-month-in-a-legacy-xls",
        ("accepted", "W_FOUNDED_AMBIGUOUS"),
        "2015-10",
        dt.date(2015, 10, 1),
        'yyyy"年"m"月"',
        fmt="xls",
    ),
    shown_as(
        "founded-date-shown-as-year-month-in-ods",
        ("accepted", "W_FOUNDED_AMBIGUOUS"),
        "2015-10",
        dt.date(2015, 10, 1),
        "year-month",
        fmt="ods",
    ),
    shown_as(
        "founded-date-shown-with-its-day-stays-a-day",
        OK,
        "2015-10-01",
        dt.date(2015, 10, 1),
        'yyyy"年"m"月"d"日"',
    ),
    shown_as(
        "founded-date-shown-by-builtin-31-stays-a-day", OK, "2015-10-01", dt.date(2015, 10, 1), 31
    ),
    shown_as("founded-date-shown-as-year-only", OK, "2014", dt.date(2014, 1, 1), 'yyyy"年"'),
    shown_as(
        "founded-date-shown-as-year-only-in-ods", OK, "2014", dt.date(2014, 1, 1), "year", fmt="ods"
    ),
    # --- phones ------------------------------------------------------------------------------
    value_case("office-phone-em-dash", OK, OFFICE, "0731-88888888", office_phone="0731—88888888"),
    value_case(
        "office-phone-area-code-in-brackets",
        OK,
        OFFICE,
        "0731-88888888",
        office_phone="(0731)88888888",
    ),
    value_case(
        "office-phone-two-numbers",
        ("accepted", "W_SEVERAL_VALUES"),
        OFFICE,
        "0731-88888888",
        office_phone="0731-88888888/88888889",
    ),
    value_case(
        "office-phone-switchboard-note",
        ("accepted", "W_PHONE_AREA_ADDED"),
        OFFICE,
        "0731-88888888",
        office_phone="88888888（总机）",
    ),
    value_case(
        "office-phone-with-label", OK, OFFICE, "0731-88881234", office_phone="办公室：0731-88881234"
    ),
    value_case(
        "office-phone-and-mobile-side-by-side",
        ("accepted", "W_SEVERAL_VALUES"),
        OFFICE,
        "0731-88881234",
        office_phone="0731-88881234  13807310000",
    ),
    value_case(
        "fax-two-numbers-optional-field-takes-the-first",
        OK,
        "传真",
        "0731-88881235",
        fax="0731-88881235，0731-88881236",
    ),
    value_case("mobile-grouped-with-spaces", OK, MOBILE, "13807310000", mobile="138 0731 0000"),
    value_case(
        "mobile-with-wechat-note", OK, MOBILE, "13807310000", mobile="13807310000（微信同号）"
    ),
    value_case("mobile-with-country-code", OK, MOBILE, "13807310000", mobile="+86 138-0731-0000"),
    value_case(
        "mobile-two-numbers",
        ("accepted", "W_SEVERAL_VALUES"),
        MOBILE,
        "13807310000",
        mobile="13807310000、13907310000",
    ),
    value_case("mobile-with-a-label-run-in", OK, MOBILE, "13807310000", mobile="手机13807310000"),
    value_case(
        "email-with-a-label-run-in",
        OK,
        EMAIL,
        "zhangwei@example.com",
        email="邮箱zhangwei@example.com",
    ),
    # --- yes/no answers ----------------------------------------------------------------------
    value_case("zone-yes-and-name-with-slash", OK, ZONE, HIGH_TECH, zone="是/长沙高新区"),
    value_case(
        "zone-national-inside-the-official-name",
        OK,
        ZONE,
        HIGH_TECH,
        zone="是，长沙国家高新技术产业开发区",
    ),
    value_case("zone-national-level-before-the-name", OK, ZONE, HIGH_TECH, zone="国家级长沙高新区"),
    value_case("zone-tick-names-no-zone", ("rejected", "E_ZONE_NAME_MISSING"), zone="√"),
    value_case("zone-tick-then-zone", OK, ZONE, HIGH_TECH, zone="√ 长沙高新区"),
    value_case(
        "incubator-check-mark-and-name",
        OK,
        INC,
        "湖南大学国家大学科技园",
        incubator="✓湖南大学国家大学科技园",
    ),
    value_case("zone-yes-indeed", OK, ZONE, HIGH_TECH, zone="是的，在长沙高新区"),
    value_case("incubator-not-moved-in", OK, IN_INC, "否", incubator="未入驻"),
    value_case("incubator-cross", OK, IN_INC, "否", incubator="×"),
    value_case(
        "incubator-you-with-name",
        OK,
        INC,
        "湖南大学国家大学科技园",
        incubator="有，湖南大学国家大学科技园",
    ),
    value_case("incubator-not-the-case", OK, IN_INC, "否", incubator="不是的"),
    # --- institution types -------------------------------------------------------------------
    value_case(
        "type-private-joint-stock-note", OK, KIND, "民营企业", institution_type="民营（股份制）"
    ),
    value_case("type-with-a-space", OK, KIND, "事业单位", institution_type="事业 单位"),
    value_case("type-private-in-nature", OK, KIND, "民营企业", institution_type="民营性质"),
    value_case("type-university", OK, KIND, "事业单位", institution_type="大学"),
    value_case("type-collective", OK, KIND, "其他", institution_type="集体企业"),
    value_case("type-state-wholly-owned", OK, KIND, "国有企业", institution_type="国有独资公司"),
    value_case("type-with-a-full-stop", OK, KIND, "民营企业", institution_type="民营企业。"),
    value_case(
        "type-two-at-once-cannot-be-decided",
        ("rejected", "E_INSTITUTION_TYPE"),
        institution_type="国有/民营",
    ),
    value_case(
        "type-named-only-in-the-note", OK, KIND, "民营企业", institution_type="有限责任公司（民营）"
    ),
    value_case(
        "type-two-notes-cannot-be-decided",
        ("rejected", "E_INSTITUTION_TYPE"),
        institution_type="有限公司（国有）（民营）",
    ),
    value_case("type-private-tech", OK, KIND, "民营企业", institution_type="民营科技型企业"),
    value_case(
        "type-association-as-legal-person", OK, KIND, "其他", institution_type="社会团体法人"
    ),
    # --- e-mail ------------------------------------------------------------------------------
    value_case(
        "email-with-full-stop", OK, EMAIL, "zhangwei@example.com", email="zhangwei@example.com。"
    ),
    value_case(
        "email-mailto", OK, EMAIL, "zhangwei@example.com", email="mailto:zhangwei@example.com"
    ),
    value_case(
        "email-with-label", OK, EMAIL, "zhangwei@example.com", email="邮箱：zhangwei@example.com"
    ),
    value_case(
        "email-two-addresses-one-per-line",
        ("accepted", "W_SEVERAL_VALUES"),
        EMAIL,
        "zhangwei@example.com",
        email="zhangwei@example.com\nlina@example.com",
    ),
    value_case(
        "email-two-addresses",
        ("accepted", "W_SEVERAL_VALUES"),
        EMAIL,
        "zhangwei@example.com",
        email="zhangwei@example.com；lina@example.com",
    ),
    # --- names -------------------------------------------------------------------------------
    value_case(
        "name-full-width-brackets-and-trailing-blanks",
        OK,
        NAME,
        "麓谷创客工场（长沙）",
        name="麓谷创客工场(长沙)\u3000 ",
    ),
]


def write_case(path: Path, case: Case) -> Path:
    """Write the case's sheet in its format, merging its ranges as Excel or WPS would."""
    if case.date_format != "":
        return write_formatted(path, case)
    if case.fmt == "xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "附件3"
        for r, values in enumerate(case.grid, start=1):
            for c, value in enumerate(values, start=1):
                if value not in ("", None):
                    sheet.cell(r, c, value)
        for cells in case.merges:
            sheet.merge_cells(cells)
        book.save(path)
    elif case.fmt == "xls":
        book = xlwt.Workbook(encoding="utf-8")
        sheet = book.add_sheet("附件3")
        spans = [range_boundaries(m) for m in case.merges]
        covered = {
            (r - 1, c - 1)
            for left, top, right, bottom in spans
            for r in range(top, bottom + 1)
            for c in range(left, right + 1)
        }
        for r, values in enumerate(case.grid):
            for c, value in enumerate(values):
                if (r, c) not in covered and value not in ("", None):
                    sheet.write(r, c, value)
        for left, top, right, bottom in spans:
            sheet.write_merge(
                top - 1, bottom - 1, left - 1, right - 1, case.grid[top - 1][left - 1]
            )
        book.save(str(path))
    elif case.fmt == "ods" and case.merges:
        doc = OpenDocumentSpreadsheet()
        doc.spreadsheet.addElement(ods_merge(ods_table("附件3", case.grid, {}), case.merges))
        doc.save(str(path))
    else:
        write_grid(path, case.grid, case.fmt)
    return path


def ods_merge(table: Table, ranges: tuple[str, ...]) -> Table:
    """Merge ``ranges`` (``B4:B6``) as LibreOffice saves a merge: the spans on the top-left cell,
    covered cells for the rest."""
    rows = table.getElementsByType(TableRow)
    for left, top, right, bottom in map(range_boundaries, ranges):
        first = rows[top - 1].childNodes[left - 1]
        first.setAttribute("numberrowsspanned", bottom - top + 1)
        first.setAttribute("numbercolumnsspanned", right - left + 1)
        for r in range(top - 1, bottom):
            for c in range(left - 1, right):
                if (r, c) != (top - 1, left - 1):
                    cell = rows[r].childNodes[c]
                    rows[r].insertBefore(CoveredTableCell(), cell)
                    rows[r].removeChild(cell)
    return table


def write_formatted(path: Path, case: Case) -> Path:
    """Write the case's sheet with its date cells under ``case.date_format``: .xlsx through
    xlsxwriter (which writes a built-in id as that id), .xls through xlwt, .ods through odfpy with
    a date style of the parts the format names (``year-month``, ``year``)."""
    if case.fmt == "ods":
        return write_ods_dates(path, case.grid, case.date_format.split("-"))
    if case.fmt == "xls":
        book = xlwt.Workbook(encoding="utf-8")
        sheet = book.add_sheet("附件3")
        style = xlwt.easyxf(num_format_str=case.date_format)
        for r, values in enumerate(case.grid):
            for c, value in enumerate(values):
                sheet.write(r, c, value, *([style] if isinstance(value, dt.date) else []))
        book.save(str(path))
        return path
    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet("附件3")
        date = book.add_format({"num_format": case.date_format})
        for r, values in enumerate(case.grid):
            for c, value in enumerate(values):
                sheet.write(r, c, value, *([date] if isinstance(value, dt.date) else []))
    return path


def write_ods_dates(path: Path, grid: Grid, parts: list[str]) -> Path:
    """An .ods sheet whose date cells have a date style showing only ``parts`` (year, month)."""
    doc = OpenDocumentSpreadsheet()
    add_date_style(doc, parts)
    doc.spreadsheet.addElement(ods_table("附件3", grid, {"stylename": "date"}))
    doc.save(str(path))
    return path


def add_date_style(doc: OpenDocumentSpreadsheet, parts: list[str]) -> None:
    """A cell style ``date`` showing only ``parts`` of a date (year, month)."""
    shown = number.DateStyle(name="shown")
    for part in parts:
        shown.addElement(number.Year(style="long") if part == "year" else number.Month())
        shown.addElement(number.Text(text="年" if part == "year" else "月"))
    doc.automaticstyles.addElement(shown)
    doc.automaticstyles.addElement(Style(name="date", family="table-cell", datastylename="shown"))


def ods_table(name: str, grid: Grid, dates: dict[str, Any], **attributes: Any) -> Table:
    """One .ods sheet of ``grid`` with typed cells: dates (with the ``dates`` attributes, e.g. a
    style), numbers, text."""
    table = Table(name=name, **attributes)
    for values in grid:
        row = TableRow()
        for value in values:
            if isinstance(value, dt.date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat(), **dates)
            elif isinstance(value, int | float):
                cell = TableCell(valuetype="float", value=value)
            else:
                cell = TableCell(valuetype="string")
            cell.addElement(P(text=str(value)))
            row.addElement(cell)
        table.addElement(row)
    return table


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_clerk_would_decide(case: Case, settings: Settings) -> None:
    write_case(settings.inbox / f"{case.stamp_file}.{case.fmt}", case)
    config = write_config(settings.inbox.parent)  # no prior batch: each case stands alone
    args = ["run", "--config", str(config), "--inbox", str(settings.inbox)]
    args += ["--outbox", str(settings.outbox), "--ledger", str(settings.ledger)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = settings.outbox / settings.batch
    files = read_csv(out / "files.csv")
    assert [f["status"] for f in files] == ["live"], files
    rows = read_csv(out / "dispositions.csv")
    got = {
        int(r["row"]): (
            r["disposition"],
            ";".join(sorted(r["codes"].split(";")) if r["codes"] else ""),
        )
        for r in rows
    }
    assert got == case.expect
    detail = {int(r["来源行"]): r for r in read_csv(out / "明细.csv")}
    for row, values in case.detail.items():
        assert {k: detail[row][k] for k in values} == values, row


def test_the_corpus_is_large_and_every_case_has_a_decision() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    assert all(c.expect for c in CASES)
