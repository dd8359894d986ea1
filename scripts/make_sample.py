"""Generate the sample batch in ``inbox/`` and the January first batch in ``prior/``.

Run ``/work/venv/bin/python scripts/make_sample.py``. Output is deterministic: fixed seed, fixed
document dates and zip timestamps, fixed mtimes (CST) giving the received order. The script
prints every planted quirk with its cell; summary (Excel rows; data rows in brackets):

prior/2016年度首批众创空间备案汇总表.xlsx  汇总表: title, empty stamp line, 序号 + 13 official
    headers + 推荐单位; 15 clean spaces [4-18]; mtime 2016-01-20.
inbox/ (received order)
  04-09 长沙市科技局-众创空间汇总表.xlsx [5-15] official layout. A4 example row; A5 麓谷创客工场
        (kept; copy in 长沙高新区); A8 prior dup, half-width brackets; I9 mobile float;
        H10 W_PHONE_AREA_ADDED; D11 E_TOO_YOUNG; D12 W_FOUNDED_AMBIGUOUS; C13 =HYPERLINK text;
        G14 formula =F14 (cached); D15 2015年3月; footer rows 17-18.
  04-09 株洲市科技局-众创空间汇总表.xls [4-12] H4 phone as number, 0 lost; A5 prior dup (exact);
        D6/D10 Excel serials; E7 E_INSTITUTION_TYPE; A8 near match of 芯城创客空间 (株洲 prefix,
        有限责任公司: automatic duplicate_prior); I9 E_MOBILE; mobiles as numbers.
  04-10 汇总表(1).xlsx [4-8] stamp line empty: F_BUREAU_UNKNOWN.
  04-10 湘潭市科技局-众创空间汇总表.ods [4-10] D4-D6 2015.3 / 2015-3 / 20150315; K7 E_EMAIL;
        K8 ＠; H9 full-width phone.
  04-11 衡阳市科技局-众创空间汇总表.csv (GB18030) [4-11] A4 prior dup (Ｅ); D5-D7 201503 / 2014年 /
        2015年3月15日; F8 E_REQUIRED; A9 zero-width space, B9 NBSP; I10 full-width mobile.
  04-11 岳阳市科技局/汇总表.xlsx [3,4,6,7,9,10] no stamp line (folder names the bureau), blank
        rows; A3 W_POSSIBLE_DUPLICATE (岳阳南湖众创空间, other operator); C6 W_ADDRESS_OUTSIDE.
  04-12 长沙高新区管委会-众创空间汇总表.xlsx [4-11] 序号 =ROW()-3, 备注; M4/M5/M6 zone answers
        在… / 是（…）/ 长沙国家高新区; N7 E_INCUBATOR_NAME_MISSING; I8 "+86-731-…"; O9 "=1+1"
        text; M10 W_ZONE_BUREAU; B11 麓谷创客工场 duplicate_batch.
  04-12 常德市科技局-众创空间汇总表.xlsx [5-10] header split over rows 3-4 (merged cells, line
        breaks); L6 E_ZONE_UNKNOWN (常德高新区); D8 E_DATE (2015年13月).
  04-12 娄底市科技局-众创空间汇总表.xls an HTML table saved as .xls (web export): F_UNSUPPORTED.
        (Not a 0-byte file: a fresh clone gives every file a new mtime, and an empty file modified
        minutes ago is deferred as "still being copied", which the sample should not depend on.)
  04-13 郴州市科技局-众创空间汇总表.xlsx sheet 填表说明, data on 附件3 [4-10], hidden 下拉选项;
        A8 E_DUPLICATE_ROW (of row 5); H9 E_PHONE.
  04-13 益阳市科技局-众创空间汇总表.xlsx [4-10] columns reordered, 序号 + 备注, half-width
        brackets, stamp "推荐单位："; G4 E_ZONE_NAME_MISSING; E5/E6 2015/3/15, 2015.03.15;
        D7 国企, D8 事业.
  04-14 邵阳市科技局-众创空间汇总表.xlsx [4-8] notes dropped from headers, stamp
        "填报单位（盖章）："; D4 number 20150315; D5 serial 41640; E6 其它, E7 民办非企业;
        footer rows 10-11.
Missing bureaus: 张家界, 永州, 怀化 (its spaces are in 汇总表(1)), 湘西, 娄底 (web export only),
and the 株洲/湘潭/益阳/衡阳/郴州 zone committees.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import EllipsisType
from typing import Literal

import xlsxwriter
import xlwt
from docx import Document
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P
from openpyxl.utils import get_column_letter
from rapidfuzz import fuzz
from xlsxwriter.format import Format as XlsxFormat
from xlsxwriter.worksheet import Worksheet

from pipeline.core.packet_spec import load_packet
from pipeline.core.schema import SCHEMAS_DIR, load_form
from pipeline.packet.annex1_docx import FormValues, choice_cell
from pipeline.packet.annex1_docx import build as build_form
from pipeline.packet.annex1_docx import save as save_form

ROOT = Path(__file__).resolve().parent.parent
INBOX = ROOT / "inbox"
PRIOR = ROOT / "pipeline" / "prior"
SEED = 20160408
CST = dt.timezone(dt.timedelta(hours=8))
ZIP_TIME = (2016, 4, 1, 0, 0, 0)

# The form as the pipeline knows it: title, stamp line, the 13 headers as printed in Annex 3.
FORM = load_form(SCHEMAS_DIR / "annex3_2016.toml")
TITLE = FORM.title
STAMP_LABEL = FORM.stamp_label
FIELDS = tuple(FORM.fields)
OFFICIAL = {c.field: c.label for c in FORM.columns}
EXTRA_LABELS = {"serial": "序号", "remark": "备注", "bureau": "推荐单位"}
WIDTHS = {"name": 22, "operator": 26, "address": 30, "email": 24, "zone": 20, "incubator": 24}
CONTACT_GROUP = ("office_phone", "mobile", "fax", "email")


# --- cells and rows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Formula:
    """A formula with its cached value; ``expr`` may name fields of the same row: ``={head}``."""

    expr: str
    cached: str | float


Cell = str | int | float | dt.date | Formula | None


@dataclass(frozen=True)
class Space:
    """One Annex 3 row as the bureau typed it, plus the problems planted in it."""

    name: Cell
    operator: Cell
    address: Cell
    founded: Cell
    institution_type: Cell
    head: Cell
    contact: Cell
    office_phone: Cell
    mobile: Cell
    fax: Cell
    email: Cell
    zone: Cell
    incubator: Cell
    remark: Cell = None
    bureau: str = ""
    expect: tuple[tuple[str, str], ...] = ()  # (what should happen, column key)


def fullwidth(text: str) -> str:
    """Digits, letters, @ and - typed with a Chinese IME in full-width mode: 0731 -> ０７３１."""
    return "".join(
        chr(ord(c) + 0xFEE0) if (c.isascii() and c.isalnum()) or c in "@-" else c for c in text
    )


def quirk(space: Space, column: str, tag: str, value: Cell | EllipsisType = ...) -> Space:
    """``space`` with ``column`` set to ``value`` (unless omitted) and ``tag`` expected there."""
    changes: dict[str, object] = {} if value is ... else {column: value}
    return replace(space, **changes, expect=(*space.expect, (tag, column)))


# --- invented but realistic content -----------------------------------------------------------


def words(text: str) -> tuple[str, ...]:
    """A whitespace-separated list written as one string (keeps the data tables compact)."""
    return tuple(text.split())


@dataclass(frozen=True)
class City:
    name: str
    area: str
    local: str  # first digit and length of a local number, e.g. "8/8" -> 8xxxxxxx
    streets: tuple[str, ...]  # "district/street"; the first two lie in the city's zone
    brands: tuple[str, ...]  # place words for space names; each is used once
    zone: str = ""  # short name of its national high-tech zone in April 2016
    incubators: tuple[str, ...] = ()

    @property
    def short(self) -> str:
        return self.name.removesuffix("市")


def city(name: str, area: str, local: str, streets: str, brands: str, extra: str = "") -> City:
    """A city from whitespace-separated lists; ``extra`` is "zone incubator…" ("-" for no zone)."""
    zone, *incubators = words(extra) or ("-",)
    return City(
        name,
        area,
        local,
        words(streets),
        words(brands),
        "" if zone == "-" else zone,
        tuple(incubators),
    )


CITIES = {
    c.short: c
    for c in (
        city(
            "长沙市",
            "0731",
            "8/8",
            "岳麓区/麓松路 岳麓区/桐梓坡西路 雨花区/韶山中路 天心区/芙蓉南路 开福区/湘江中路 "
            "芙蓉区/五一大道 望城区/雷锋大道",
            "岳麓 橘洲 梅溪湖 芙蓉 湘江 天心 雨花 开福 洋湖 金霞 浏阳河 捞刀河 坪塘 含浦 黄兴 "
            "白沙 天马 东塘 洪山 月湖 马栏山 侯家塘 桐梓坡 枫林",
            "长沙高新区 长沙岳麓山国家大学科技园 长沙星沙国家级科技企业孵化器",
        ),
        city(
            "株洲市",
            "0731",
            "2/8",
            "天元区/栗雨路 天元区/珠江北路 芦淞区/建设中路 荷塘区/红旗中路 石峰区/田心大道",
            "炎帝 醴陵 攸州 茶乡 田心 白关 清水塘 建宁 栗雨 董家塅 荷塘",
            "株洲高新区 株洲栗雨国家级科技企业孵化器",
        ),
        city(
            "湘潭市",
            "0731",
            "5/8",
            "岳塘区/晓塘路 岳塘区/芙蓉大道 雨湖区/建设北路 雨湖区/羊牯塘路",
            "莲城 雨湖 韶峰 昭山 九华 窑湾 板塘 白石 盘龙",
            "湘潭高新区 湘潭九华国家级科技企业孵化器",
        ),
        city(
            "衡阳市",
            "0734",
            "8/7",
            "蒸湘区/船山大道 蒸湘区/解放大道 雁峰区/先锋路 石鼓区/中山北路 珠晖区/东风路",
            "石鼓 蒸湘 珠晖 雁峰 南岳 来雁 酃湖 回雁 船山 岣嵝",
            "衡阳高新区 衡阳雁峰国家级科技企业孵化器",
        ),
        city(
            "岳阳市",
            "0730",
            "8/7",
            "岳阳楼区/巴陵中路 岳阳楼区/东茅岭路 云溪区/长岭路 君山区/君山大道",
            "巴陵 洞庭 君山 云溪 汨罗 金鹗 楼西",
            "- 岳阳巴陵国家级科技企业孵化器",
        ),
        city(
            "常德市",
            "0736",
            "7/7",
            "武陵区/朗州路 武陵区/人民路 鼎城区/鼎城大道 武陵区/皂果路",
            "武陵 桃花源 柳叶湖 沅水 善卷 澧水 德山 丁玲",
        ),
        city(
            "郴州市",
            "0735",
            "2/7",
            "苏仙区/高新大道 苏仙区/郴州大道 北湖区/国庆北路 北湖区/五岭大道",
            "林邑 苏仙 北湖 东江湖 桂阳 飞天山 万华岩",
            "郴州高新区",
        ),
        city(
            "益阳市",
            "0737",
            "4/7",
            "赫山区/龙岭大道 赫山区/康富路 赫山区/银城大道 资阳区/五一西路",
            "资江 梓山湖 赫山 桃花仑 会龙山 银城 龙岭 安化",
            "益阳高新区",
        ),
        city(
            "邵阳市",
            "0739",
            "5/7",
            "大祥区/城南路 双清区/宝庆东路 北塔区/西湖路 大祥区/敏州路",
            "宝庆 双清 大祥 北塔 武冈 邵水",
        ),
        city(
            "怀化市",
            "0745",
            "2/7",
            "鹤城区/迎丰路 鹤城区/人民南路 鹤城区/锦溪路",
            "鹤城 五溪 舞水 芷江 洪江 沅陵 雪峰",
        ),
    )
}

SUFFIXES = words(
    "众创空间 创客空间 创客工场 创业咖啡 创新工场 创客汇 青年创业园 梦工场 创业苗圃 创客中心 "
    "双创基地 创业孵化基地 互联网创业社区 文创空间 智造空间 电商创业园"
)
BUSINESSES = words(
    "科技 信息科技 创业服务 企业孵化器管理 文化传播 网络科技 投资管理 电子商务 智能科技"
)
PEOPLE = [
    (name, pinyin)
    for name, pinyin in (
        pair.split(":")
        for pair in words(
            "张伟:zhangwei 王芳:wangfang 李娜:lina 刘洋:liuyang 陈静:chenjing 杨帆:yangfan "
            "赵磊:zhaolei 黄敏:huangmin 周杰:zhoujie 吴婷:wuting 徐军:xujun 孙丽:sunli "
            "胡斌:hubin 朱琳:zhulin 高翔:gaoxiang 林涛:lintao 何勇:heyong 郭蕾:guolei "
            "罗敏:luomin 梁宇:liangyu 宋佳:songjia 郑浩:zhenghao 谢婷:xieting 唐亮:tangliang "
            "邓辉:denghui 曹阳:caoyang 彭琦:pengqi 曾玲:zengling 肖鹏:xiaopeng 谭晓:tanxiao "
            "贺军:hejun 易琳:yilin 欧阳平:ouyangping 向东:xiangdong 龙飞:longfei 蒋峰:jiangfeng"
        )
    )
]
# Names of the planted duplicates; generated names keep clear of them.
PLANTED_NAMES = (
    "麓谷创客工场",
    "星城创业咖啡（五一广场店）",
    "神农创客汇",
    "芯城创客空间",
    "株洲芯城创客空间",
    "雁城E创空间",
    "岳阳南湖众创空间",
    "南湖众创空间",
)
UNLIKE = 75.0
DOMAINS = ("example.com", "example.com", "example.net", "example.org", "example.cn")
MOBILE_PREFIXES = ("138", "139", "186", "135", "137", "150", "151", "158", "187", "189", "136")
TYPE_SPELLINGS = {
    "民营企业": ("民营企业", "民营企业", "民营企业", "民营", "私营企业", "民企"),
    "国有企业": ("国有企业", "国有企业", "国企", "国有控股"),
    "事业单位": ("事业单位", "事业单位", "事业", "事业性质"),
    "其他": ("其他", "其它", "社会团体", "民办非企业"),
}
NO_ANSWERS = ("否", "否", "否", "否", "无", "不在", "/")


class Gen:
    """Deterministic generator of clean rows.

    Every brand (hence name and operator) is used once, and a generated name is kept clearly
    unlike every other name (fuzzy ratio below ``UNLIKE``), so the only duplicates and near
    matches in the sample are the planted ones.
    """

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.brands = {key: list(city.brands) for key, city in CITIES.items()}
        for pool in self.brands.values():
            self.rng.shuffle(pool)
        self.names: list[str] = list(PLANTED_NAMES)

    def unlike_name(self, brand: str) -> str:
        """``brand`` + a suffix, the first (in random order) unlike every name used so far."""
        suffixes = self.rng.sample(SUFFIXES, len(SUFFIXES))
        for suffix in suffixes:
            if all(fuzz.ratio(brand + suffix, other) < UNLIKE for other in self.names):
                break
        self.names.append(brand + suffix)
        return brand + suffix

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def fixed(self, city: City) -> str:
        first, length = city.local.split("/")
        local = first + self.digits(int(length) - 1)
        pattern = self.rng.choice(("{a}-{n}", "{a}-{n}", "{a}-{n}", "{a} {n}", "（{a}）{n}"))
        return pattern.format(a=city.area, n=local)

    def mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + self.digits(8)

    def founded(self) -> dt.date:
        first, last = dt.date(2012, 1, 1).toordinal(), dt.date(2015, 9, 30).toordinal()
        return dt.date.fromordinal(self.rng.randint(first, last))

    def zone_answer(self, city: City, inside: bool) -> str:
        if not inside:
            return self.rng.choice(NO_ANSWERS)
        official = city.zone.replace("高新区", "高新技术产业开发区")
        pattern = self.rng.choice(("是，{z}", "是，{z}", "是（{z}）", "是,{z}", "在{o}"))
        return pattern.format(z=city.zone, o=official)

    def incubator_answer(self, city: City) -> str:
        if not city.incubators or self.rng.random() > 0.25:
            return self.rng.choice(NO_ANSWERS)
        return self.rng.choice(("是，{}", "是（{}）", "在{}")).format(
            self.rng.choice(city.incubators)
        )

    def operator(self, city: City, brand: str, kind: str) -> str:
        if kind == "国有企业":
            return f"{city.short}{brand}{self.rng.choice(('投资发展集团', '科技园建设'))}有限公司"
        if kind == "事业单位":
            return f"{city.name}{brand}{self.rng.choice(('科技创业服务中心', '生产力促进中心'))}"
        if kind == "其他":
            return f"{city.short}{brand}{self.rng.choice(('创新创业促进会', '青年创业者协会'))}"
        return f"{city.short}{brand}{self.rng.choice(BUSINESSES)}有限公司"

    def address(self, city: City, inside: bool) -> str:
        district, street = self.rng.choice(city.streets[:2] if inside else city.streets).split("/")
        number = self.rng.randint(1, 688)
        rest = self.rng.choice(
            (
                "",
                f"{self.rng.randint(1, 9)}栋{self.rng.randint(2, 18)}楼",
                f"创业大厦{self.rng.choice('ABC')}座",
            )
        )
        province = self.rng.choice(("湖南省", "湖南省", ""))
        return f"{province}{city.name}{district}{street}{number}号{rest}"

    def space(
        self, key: str, *, inside: bool | None = None, kind: str = "", **values: Cell
    ) -> Space:
        """A clean row for a space in city ``key``; ``kind`` fixes the institution type,
        ``values`` override generated fields."""
        city, rng = CITIES[key], self.rng
        brand = self.brands[key].pop()
        kind = kind or rng.choices(list(TYPE_SPELLINGS), weights=(55, 15, 20, 10))[0]
        head, contact = rng.sample(PEOPLE, 2)
        inside = bool(city.zone) and (rng.random() < 0.4 if inside is None else inside)
        row = {
            "name": self.unlike_name(brand),
            "operator": self.operator(city, brand, kind),
            "address": self.address(city, inside),
            "founded": self.founded(),
            "institution_type": rng.choice(TYPE_SPELLINGS[kind]),
            "head": head[0],
            "contact": contact[0],
            "office_phone": self.fixed(city),
            "mobile": self.mobile(),
            "fax": self.fixed(city) if rng.random() < 0.5 else None,
            "email": f"{contact[1]}{rng.choice(('', '2015', '88', '0731', '666'))}"
            f"@{rng.choice(DOMAINS)}",
            "zone": self.zone_answer(city, inside),
            "incubator": self.incubator_answer(city),
        }
        return Space(**(row | values))


# --- sheet layout -------------------------------------------------------------------------------

HeaderStyle = Literal["official", "halfwidth", "short", "split"]
FileFormat = Literal["xlsx", "xls", "ods", "csv"]


@dataclass(frozen=True)
class Grid:
    """One worksheet as rows of cells; merges are 0-based (row1, col1, row2, col2)."""

    name: str
    rows: list[list[Cell]]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    header_rows: tuple[int, ...] = ()
    widths: tuple[int, ...] = ()
    hidden: bool = False
    active: bool = False


@dataclass(frozen=True)
class Layout:
    """How one bureau laid its Annex 3 sheet out."""

    stamp: str | None = None  # text after the stamp label; None: no stamp line at all
    stamp_label: str = STAMP_LABEL
    header: HeaderStyle = "official"
    order: tuple[str, ...] = FIELDS
    serial: Literal["", "number", "formula"] = ""
    remark: bool = False
    bureau_column: bool = False
    sheet: str = "Sheet1"
    before: tuple[Grid, ...] = ()
    after: tuple[Grid, ...] = ()
    blank_after: frozenset[int] = frozenset()  # 1-based data rows followed by a blank row
    example: Space | None = None
    footer: tuple[str, ...] = ()


def columns_of(layout: Layout) -> list[str]:
    """Column keys left to right: fields plus serial / remark / bureau."""
    return [
        *(["serial"] if layout.serial else []),
        *layout.order,
        *(["remark"] if layout.remark else []),
        *(["bureau"] if layout.bureau_column else []),
    ]


def header_label(key: str, style: HeaderStyle) -> str:
    label = OFFICIAL.get(key) or EXTRA_LABELS[key]
    if style == "halfwidth":
        return label.replace("（", "(").replace("）", ")")
    if style == "short":
        return re.sub(r"（.*?）", "", label)
    return label


Merge = tuple[int, int, int, int]


def header_rows(
    keys: list[str], style: HeaderStyle, top: int
) -> tuple[list[list[Cell]], list[Merge]]:
    """The header row(s) and their merges; ``split`` spreads the header over two merged rows."""
    if style != "split":
        return [[header_label(k, style) for k in keys]], []
    upper: list[Cell] = []
    lower: list[Cell] = []
    merges: list[Merge] = []
    for col, key in enumerate(keys):
        label = header_label(key, "official")
        if key in CONTACT_GROUP:
            upper.append("联系方式" if key == CONTACT_GROUP[0] else None)
            lower.append(label)
        elif key in ("zone", "incubator"):
            head, note = label.split("（", 1)
            upper.append(head)
            lower.append("（" + note)
        else:
            upper.append(label.replace("（", "\n（"))
            lower.append(None)
            merges.append((top, col, top + 1, col))
    first = keys.index(CONTACT_GROUP[0])
    merges.append((top, first, top, first + len(CONTACT_GROUP) - 1))
    return [upper, lower], merges


def resolve(value: Cell, keys: list[str], excel_row: int) -> Cell:
    """Fill a formula's ``{field}`` placeholders with the addresses of this row's cells."""
    if not isinstance(value, Formula):
        return value
    where = {k: f"{get_column_letter(1 + i)}{excel_row}" for i, k in enumerate(keys)}
    return replace(value, expr=value.expr.format(**where))


def data_cells(space: Space, keys: list[str], number: int, excel_row: int, layout: Layout) -> list:
    serial: Cell = number
    if layout.serial == "formula":
        serial = Formula(f"=ROW()-{excel_row - number}", number)
    cells = {"serial": serial, "remark": space.remark, "bureau": space.bureau}
    return [resolve(cells[k] if k in cells else getattr(space, k), keys, excel_row) for k in keys]


@dataclass(frozen=True)
class Placed:
    """Where a planted quirk landed: sheet, cell address, tag, space name."""

    sheet: str
    cell: str
    tag: str
    name: str


def build_sheet(rows: Sequence[Space], layout: Layout) -> tuple[Grid, list[Placed], list[int]]:
    """Lay rows out as the bureau would; returns the grid, planted quirks and data row numbers."""
    keys = columns_of(layout)
    width = len(keys)
    grid: list[list[Cell]] = [[TITLE]]
    merges = [(0, 0, 0, width - 1)]
    if layout.stamp is not None:
        merges.append((len(grid), 0, len(grid), width - 1))
        grid.append([layout.stamp_label + layout.stamp])
    head, head_merges = header_rows(keys, layout.header, len(grid))
    header_at = tuple(range(len(grid), len(grid) + len(head)))
    merges += head_merges
    grid += head
    placed: list[Placed] = []
    if layout.example is not None:
        grid.append(data_cells(layout.example, keys, 0, len(grid) + 1, layout))
        placed.append(Placed(layout.sheet, f"A{len(grid)}", "example row (skipped)", "示例"))
    numbers = []
    for number, space in enumerate(rows, start=1):
        excel_row = len(grid) + 1
        grid.append(data_cells(space, keys, number, excel_row, layout))
        numbers.append(excel_row)
        for tag, key in space.expect:
            cell = f"{get_column_letter(1 + keys.index(key))}{excel_row}"
            placed.append(Placed(layout.sheet, cell, tag, str(space.name).strip()))
        if number in layout.blank_after:
            grid.append([])
    if layout.footer:
        grid.append([])
    grid += [[line] for line in layout.footer]
    widths = tuple(WIDTHS.get(k, 12) for k in keys)
    sheet = Grid(layout.sheet, grid, merges, header_at, widths, active=True)
    return sheet, placed, numbers


# --- writers ------------------------------------------------------------------------------------


def is_formula_like(text: str) -> bool:
    return text[:1] in ("=", "+", "-", "@")


def write_xlsx(path: Path, sheets: Sequence[Grid]) -> None:
    options = {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    with xlsxwriter.Workbook(path, options) as book:
        book.set_properties({"author": "科技局", "created": dt.datetime(2016, 4, 1, 9, 0)})
        fmt = {
            "date": book.add_format({"num_format": "yyyy-mm-dd", "border": 1}),
            "text": book.add_format({"border": 1}),
            "quoted": book.add_format({"border": 1, "quote_prefix": True}),
            "number": book.add_format({"border": 1, "num_format": "0"}),
            "header": book.add_format(
                {
                    "bold": True,
                    "border": 1,
                    "text_wrap": True,
                    "align": "center",
                    "valign": "vcenter",
                }
            ),
            "title": book.add_format({"bold": True, "font_size": 16, "align": "center"}),
            "plain": book.add_format({}),
        }
        for sheet in sheets:
            ws = book.add_worksheet(sheet.name)
            for col, width in enumerate(sheet.widths):
                ws.set_column(col, col, width)
            for r, row in enumerate(sheet.rows):
                for c, value in enumerate(row):
                    xlsx_cell(ws, r, c, value, fmt, row_style(sheet, r))
            for r1, c1, r2, c2 in sheet.merges:
                style = "title" if r1 == 0 else "header" if r1 in sheet.header_rows else "plain"
                ws.merge_range(r1, c1, r2, c2, sheet.rows[r1][c1] or "", fmt[style])
            if sheet.hidden:
                ws.hide()
            if sheet.active:
                ws.activate()


def row_style(sheet: Grid, r: int) -> str:
    if r in sheet.header_rows:
        return "header"
    return "plain" if r == 0 or not sheet.header_rows or r < sheet.header_rows[0] else "data"


def xlsx_cell(
    ws: Worksheet, r: int, c: int, value: Cell, fmt: dict[str, XlsxFormat], style: str
) -> None:
    if value is None:
        return
    if style == "header":
        ws.write_string(r, c, str(value), fmt["header"])
    elif isinstance(value, Formula):
        ws.write_formula(r, c, value.expr, fmt["text"], value.cached)
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, value, fmt["date"])
    elif isinstance(value, int | float):
        ws.write_number(r, c, value, fmt["number" if style == "data" else "plain"])
    else:
        kind = "plain" if style != "data" else "quoted" if is_formula_like(value) else "text"
        ws.write_string(r, c, value, fmt[kind])


def write_xls(path: Path, sheets: Sequence[Grid]) -> None:
    book = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for sheet in sheets:
        ws = book.add_sheet(sheet.name, cell_overwrite_ok=True)
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                value = value.cached if isinstance(value, Formula) else value
                if isinstance(value, dt.date):
                    ws.write(r, c, value, date_style)
                elif value is not None:
                    ws.write(r, c, value)
        for r1, c1, r2, c2 in sheet.merges:
            ws.merge(r1, r2, c1, c2)
        ws.visibility = int(sheet.hidden)
    book.save(str(path))


def write_ods(path: Path, sheets: Sequence[Grid]) -> None:
    doc = OpenDocumentSpreadsheet()
    for sheet in sheets:
        table = Table(name=sheet.name)
        for row in sheet.rows:
            tr = TableRow()
            for value in row:
                tr.addElement(ods_cell(value))
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    doc.save(str(path))


def ods_cell(value: Cell) -> TableCell:
    value = value.cached if isinstance(value, Formula) else value
    if value is None:
        return TableCell()
    if isinstance(value, dt.date):
        cell = TableCell(valuetype="date", datevalue=value.isoformat())
    elif isinstance(value, int | float):
        cell = TableCell(valuetype="float", value=str(value))
    else:
        cell = TableCell(valuetype="string")
    cell.addElement(P(text=csv_text(value)))
    return cell


def csv_text(value: Cell) -> str:
    """A cell as Chinese Excel shows it (and saves it in a CSV)."""
    value = value.cached if isinstance(value, Formula) else value
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return f"{value.year}/{value.month}/{value.day}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_csv(path: Path, sheets: Sequence[Grid]) -> None:
    (sheet,) = sheets
    width = max(len(row) for row in sheet.rows)
    with path.open("w", encoding="gb18030", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        for row in sheet.rows:
            writer.writerow([csv_text(v) for v in row] + [""] * (width - len(row)))


WRITERS = {"xlsx": write_xlsx, "xls": write_xls, "ods": write_ods, "csv": write_csv}


def freeze_zip(path: Path) -> None:
    """Rewrite a zip container with fixed timestamps so the bytes (and SHA-256) never change."""
    with zipfile.ZipFile(path) as src:
        parts = [(info, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w") as out:
        for info, data in parts:
            fixed = zipfile.ZipInfo(info.filename, ZIP_TIME)
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            out.writestr(fixed, data)


def set_received(path: Path, when: dt.datetime) -> None:
    stamp = when.replace(tzinfo=CST).timestamp()
    os.utime(path, (stamp, stamp))


def write_annex3(
    path: Path, rows: Sequence[Space], fmt: FileFormat, layout: Layout, received: dt.datetime
) -> tuple[list[Placed], list[int]]:
    """Write one Annex 3 workbook (any format) and set its mtime; returns the planted quirks."""
    sheet, placed, numbers = build_sheet(rows, layout)
    path.parent.mkdir(parents=True, exist_ok=True)
    WRITERS[fmt](path, [*layout.before, sheet, *layout.after])
    if fmt in ("xlsx", "ods"):
        freeze_zip(path)
    set_received(path, received)
    return placed, numbers


# --- the batch ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    path: str  # relative to inbox/
    bureau: str
    fmt: FileFormat
    rows: tuple[Space, ...]
    layout: Layout
    received: dt.datetime
    notes: str = ""


def april(day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2016, 4, day, hour, minute)


def prior_rows(gen: Gen) -> list[Space]:
    """The January first batch: 15 clean spaces from various bureaus (推荐单位 filled in)."""
    plan = (
        ("长沙", "长沙市科学技术局", 3),
        ("长沙", "长沙高新技术产业开发区管理委员会", 2),
        ("株洲", "株洲市科学技术局", 2),
        ("湘潭", "湘潭市科学技术局", 1),
        ("衡阳", "衡阳市科学技术局", 2),
        ("岳阳", "岳阳市科学技术局", 1),
        ("常德", "常德市科学技术局", 1),
        ("郴州", "郴州高新技术产业开发区管理委员会", 1),
        ("益阳", "益阳市科学技术局", 1),
        ("怀化", "怀化市科学技术局", 1),
    )
    rows = []
    for key, bureau, count in plan:
        inside = "高新" in bureau or None
        rows += [replace(gen.space(key, inside=inside), bureau=bureau) for _ in range(count)]
    named = {
        0: {"name": "星城创业咖啡（五一广场店）", "operator": "长沙星城咖啡文化传播有限公司"},
        5: {"name": "神农创客汇", "operator": "株洲神农创业服务有限公司"},
        6: {"name": "芯城创客空间", "operator": "株洲芯城科技有限公司"},
        8: {"name": "雁城E创空间", "operator": "衡阳雁城互联网科技有限公司"},
        10: {"name": "岳阳南湖众创空间", "operator": "岳阳南湖文化创意有限公司"},
    }
    for index, values in named.items():
        rows[index] = replace(rows[index], institution_type="民营企业", **values)
    return rows


def prior_layout() -> Layout:
    return Layout(stamp="", serial="number", bureau_column=True, sheet="汇总表")


EXAMPLE = Space(
    "XX众创空间（示例）",
    "XX科技有限公司",
    "湖南省XX市XX区XX路XX号",
    "2015年3月",
    "民营企业",
    "张三",
    "李四",
    "0731-8XXXXXXX",
    "138XXXXXXXX",
    None,
    "xxx@example.com",
    "是，长沙高新区",
    "否",
)
FOOTER = (
    "填表人：王丽　　审核人：李强　　联系电话：0731-88661234",
    "注：成立时间请填写到月；机构性质填写事业单位、国有企业、民营企业或其他。",
)


def changsha_city(gen: Gen, prior: dict[str, Space], shared: Space) -> Submission:
    rows = [gen.space("长沙") for _ in range(9)]
    rows[2] = quirk(rows[2], "mobile", "mobile stored as float 13807310000.0", 13807310000.0)
    rows[3] = quirk(rows[3], "office_phone", "W_PHONE_AREA_ADDED (no area code)", "88881234")
    rows[4] = quirk(rows[4], "founded", "E_TOO_YOUNG (real date 2016-01-18)", dt.date(2016, 1, 18))
    rows[5] = quirk(rows[5], "founded", "W_FOUNDED_AMBIGUOUS", "2015年10月")
    link = '=HYPERLINK("http://map.example.com/?q=1","湖南省长沙市岳麓区麓松路188号")'
    rows[6] = quirk(rows[6], "address", "text starting with = (never a formula)", link)
    formula = Formula("={head}", str(rows[7].head))
    rows[7] = quirk(rows[7], "contact", "formula =F… with cached value", formula)
    rows[8] = quirk(rows[8], "founded", "text date 2015年3月", "2015年3月")
    again = prior["星城创业咖啡（五一广场店）"]
    again = replace(again, name="星城创业咖啡 (五一广场店) ", bureau="")
    rows.insert(2, quirk(again, "name", "duplicate_prior (half-width brackets, trailing blank)"))
    rows.insert(0, quirk(shared, "name", "accepted: first copy of cross-bureau duplicate"))
    layout = Layout(stamp="长沙市科学技术局", example=EXAMPLE, footer=FOOTER)
    return Submission(
        "长沙市科技局-众创空间汇总表.xlsx",
        "长沙市科学技术局",
        "xlsx",
        tuple(rows),
        layout,
        april(9, 10, 12),
    )


def changsha_zone(gen: Gen, shared: Space) -> Submission:
    rows = [gen.space("长沙", inside=True) for _ in range(6)]
    rows[0] = quirk(
        rows[0], "zone", "zone answer 在长沙高新技术产业开发区", "在长沙高新技术产业开发区"
    )
    rows[1] = quirk(rows[1], "zone", "zone answer 是（长沙高新区）", "是（长沙高新区）")
    rows[2] = quirk(rows[2], "zone", "zone answer without 是 (means yes)", "长沙国家高新区")
    rows[3] = quirk(rows[3], "incubator", "E_INCUBATOR_NAME_MISSING", "是")
    phone = "+86-731-8" + gen.digits(7)
    rows[4] = quirk(rows[4], "office_phone", "office phone starting with + (valid)", phone)
    rows[5] = quirk(rows[5], "remark", "=1+1 stored as text in 备注", "=1+1")
    zhuzhou = quirk(gen.space("株洲", inside=True), "zone", "W_ZONE_BUREAU", "是，株洲高新区")
    copy = replace(shared, contact="曾玲", mobile=gen.mobile(), expect=())
    rows += [zhuzhou, quirk(copy, "name", "duplicate_batch (sent first by 长沙市科学技术局)")]
    rows[0] = quirk(rows[0], "serial", "序号 formula =ROW()-3 with cached value")
    layout = Layout(stamp="长沙高新区管委会", serial="formula", remark=True)
    return Submission(
        "长沙高新区管委会-众创空间汇总表.xlsx",
        "长沙高新技术产业开发区管理委员会",
        "xlsx",
        tuple(rows),
        layout,
        april(12, 9, 45),
    )


def zhuzhou(gen: Gen, prior: dict[str, Space]) -> Submission:
    rows = [gen.space("株洲") for _ in range(7)]
    rows = [replace(r, mobile=float(r.mobile)) if i % 2 else r for i, r in enumerate(rows)]
    rows[0] = quirk(
        rows[0], "office_phone", "office phone as number, leading 0 lost", 73122881234.0
    )
    rows[1] = quirk(rows[1], "founded", "Excel serial 41913 (2014-10-01), no date format", 41913)
    rows[2] = quirk(rows[2], "institution_type", "E_INSTITUTION_TYPE", "股份制")
    rows[3] = quirk(rows[3], "mobile", "E_MOBILE (10 digits)", "1390733123")
    rows[4] = quirk(rows[4], "founded", "Excel serial 41275 (2013-01-01)", 41275.0)
    exact = replace(prior["神农创客汇"], bureau="")
    near = replace(
        prior["芯城创客空间"], name="株洲芯城创客空间", operator="株洲芯城科技有限责任公司"
    )
    near = replace(near, bureau="", founded="2014年6月")
    rows.insert(1, quirk(exact, "name", "duplicate_prior (exact copy)"))
    rows.insert(4, quirk(near, "name", "duplicate_prior (near match: 株洲 prefix + 有限责任公司)"))
    return Submission(
        "株洲市科技局-众创空间汇总表.xls",
        "株洲市科学技术局",
        "xls",
        tuple(rows),
        Layout(stamp="株洲市科技局"),
        april(9, 16, 40),
    )


def unknown_bureau(gen: Gen) -> Submission:
    rows = tuple(gen.space("怀化") for _ in range(5))
    return Submission(
        "汇总表(1).xlsx",
        "(none: F_BUREAU_UNKNOWN)",
        "xlsx",
        rows,
        Layout(stamp=""),
        april(10, 9, 5),
        "stamp line empty, name without bureau: F_BUREAU_UNKNOWN",
    )


def xiangtan(gen: Gen) -> Submission:
    rows = [gen.space("湘潭") for _ in range(7)]
    for i, (text, tag) in enumerate(
        (
            ("2015.3", "date 2015.3"),
            ("2015-3", "date 2015-3"),
            ("20150315", "date 20150315 as text"),
        )
    ):
        rows[i] = quirk(rows[i], "founded", tag, text)
    rows[3] = quirk(rows[3], "email", "E_EMAIL (no @)", str(rows[3].email).replace("@", ""))
    rows[4] = quirk(rows[4], "email", "full-width ＠ (valid)", fullwidth(str(rows[4].email)))
    rows[5] = quirk(
        rows[5], "office_phone", "full-width digits (valid)", fullwidth(str(rows[5].office_phone))
    )
    rows[6] = quirk(rows[6], "zone", "zone answer 是（湘潭高新区）", "是（湘潭高新区）")
    return Submission(
        "湘潭市科技局-众创空间汇总表.ods",
        "湘潭市科学技术局",
        "ods",
        tuple(rows),
        Layout(stamp="湘潭市科学技术局"),
        april(10, 11, 30),
    )


def hengyang(gen: Gen, prior: dict[str, Space]) -> Submission:
    rows = [gen.space("衡阳") for _ in range(7)]
    for i, text in enumerate(("201503", "2014年", "2015年3月15日")):
        rows[i] = quirk(rows[i], "founded", f"date {text}", text)
    rows[3] = quirk(rows[3], "head", "E_REQUIRED (负责人 empty)", None)
    name = str(rows[4].name)
    rows[4] = quirk(rows[4], "name", "zero-width space inside", name[:2] + "\u200b" + name[2:])
    rows[4] = quirk(rows[4], "operator", "trailing NBSP", f"{rows[4].operator}\u00a0")
    rows[5] = quirk(rows[5], "mobile", "full-width digits (valid)", fullwidth(str(rows[5].mobile)))
    again = replace(prior["雁城E创空间"], name="雁城Ｅ创空间 ", bureau="", founded="2015年5月")
    rows.insert(0, quirk(again, "name", "duplicate_prior (full-width Ｅ, trailing blank)"))
    return Submission(
        "衡阳市科技局-众创空间汇总表.csv",
        "衡阳市科学技术局",
        "csv",
        tuple(rows),
        Layout(stamp="衡阳市科技局"),
        april(11, 8, 50),
        "GB18030 CSV",
    )


def yueyang(gen: Gen) -> Submission:
    rows = [gen.space("岳阳") for _ in range(5)]
    outside = "广东省深圳市南山区科技园南区高新南一道18号"
    rows[1] = quirk(rows[1], "address", "W_ADDRESS_OUTSIDE", outside)
    lake = gen.space("岳阳", name="南湖众创空间", operator="岳阳市南湖新区建设投资有限公司")
    lake = replace(lake, institution_type="国有企业")
    rows.insert(0, quirk(lake, "name", "W_POSSIBLE_DUPLICATE (岳阳南湖众创空间, other operator)"))
    layout = Layout(stamp=None, blank_after=frozenset({2, 4}))
    return Submission(
        "岳阳市科技局/汇总表.xlsx",
        "岳阳市科学技术局",
        "xlsx",
        tuple(rows),
        layout,
        april(11, 15, 20),
        "no stamp line: bureau from the folder; blank rows",
    )


def changde(gen: Gen) -> Submission:
    rows = [gen.space("常德") for _ in range(6)]
    rows[1] = quirk(rows[1], "zone", "E_ZONE_UNKNOWN (not national in 2016)", "是，常德高新区")
    rows[3] = quirk(rows[3], "founded", "E_DATE", "2015年13月")
    return Submission(
        "常德市科技局-众创空间汇总表.xlsx",
        "常德市科学技术局",
        "xlsx",
        tuple(rows),
        Layout(stamp="常德市科学技术局", header="split"),
        april(12, 14, 10),
        "header split over rows 3-4, merged cells, line breaks",
    )


def chenzhou(gen: Gen) -> Submission:
    rows = [gen.space("郴州", inside=i % 2 == 0) for i in range(6)]
    rows[4] = quirk(rows[4], "office_phone", "E_PHONE", "0735-22331")
    rows.insert(4, quirk(replace(rows[1], expect=()), "name", "E_DUPLICATE_ROW (copy of row 5)"))
    guide = Grid(
        "填表说明", [["填表说明"], ["1. 每个众创空间填写一行。"], ["2. 成立时间填写到月。"]]
    )
    lists = Grid("下拉选项", [[t] for t in TYPE_SPELLINGS], hidden=True)
    layout = Layout(stamp="郴州市科技局", sheet="附件3", before=(guide,), after=(lists,))
    return Submission(
        "郴州市科技局-众创空间汇总表.xlsx",
        "郴州市科学技术局",
        "xlsx",
        tuple(rows),
        layout,
        april(13, 10, 0),
        "data on sheet 2 (附件3); hidden sheet 下拉选项",
    )


def yiyang(gen: Gen) -> Submission:
    kinds = ("", "", "", "国有企业", "事业单位", "", "")
    rows = [gen.space("益阳", kind=kind) for kind in kinds]
    rows[0] = quirk(rows[0], "zone", "E_ZONE_NAME_MISSING", "是")
    rows[1] = quirk(rows[1], "founded", "date 2015/3/15", "2015/3/15")
    rows[2] = quirk(rows[2], "founded", "date 2015.03.15", "2015.03.15")
    rows[3] = quirk(rows[3], "institution_type", "synonym 国企", "国企")
    rows[4] = quirk(rows[4], "institution_type", "synonym 事业", "事业")
    rows[5] = replace(rows[5], remark="拟推荐")
    order = words(
        "name operator institution_type founded address zone incubator "
        "head contact mobile office_phone fax email"
    )
    layout = Layout(
        stamp="益阳市科技局",
        stamp_label="推荐单位：",
        header="halfwidth",
        order=order,
        serial="number",
        remark=True,
    )
    return Submission(
        "益阳市科技局-众创空间汇总表.xlsx",
        "益阳市科学技术局",
        "xlsx",
        tuple(rows),
        layout,
        april(13, 16, 25),
        "columns reordered, 序号 + 备注, half-width brackets",
    )


def shaoyang(gen: Gen) -> Submission:
    rows = [gen.space("邵阳", kind=kind) for kind in ("", "", "其他", "其他", "")]
    rows[0] = quirk(rows[0], "founded", "founded as the number 20150315", 20150315)
    rows[1] = quirk(rows[1], "founded", "Excel serial 41640 (2014-01-01)", 41640)
    rows[2] = quirk(rows[2], "institution_type", "synonym 其它", "其它")
    rows[3] = quirk(rows[3], "institution_type", "synonym 民办非企业", "民办非企业")
    footer = ("填报人：邓辉　　联系电话：0739-5321234", "注：本表一式二份。")
    layout = Layout(
        stamp="邵阳市科技局", stamp_label="填报单位（盖章）：", header="short", footer=footer
    )
    return Submission(
        "邵阳市科技局-众创空间汇总表.xlsx",
        "邵阳市科学技术局",
        "xlsx",
        tuple(rows),
        layout,
        april(14, 9, 15),
        "parenthetical notes dropped from headers",
    )


def submissions(gen: Gen, prior: dict[str, Space]) -> list[Submission]:
    shared = gen.space(
        "长沙", name="麓谷创客工场", operator="长沙麓谷创客科技有限公司", inside=True
    )
    shared = replace(shared, zone="是，长沙高新区", founded=dt.date(2014, 5, 20))
    return [
        changsha_city(gen, prior, shared),
        zhuzhou(gen, prior),
        unknown_bureau(gen),
        xiangtan(gen),
        hengyang(gen, prior),
        yueyang(gen),
        changsha_zone(gen, shared),
        changde(gen),
        chenzhou(gen),
        yiyang(gen),
        shaoyang(gen),
    ]


WEB_EXPORT = ("娄底市科技局-众创空间汇总表.xls", april(12, 17, 30))
WEB_EXPORT_HTML = """<html><head><meta charset="utf-8">
<title>申请备案的众创空间信息汇总表</title></head>
<body><table border="1">
<tr><td colspan="13">申请备案的众创空间信息汇总表</td></tr>
<tr><td>众创空间名称</td><td>运营管理主体</td><td>地址</td><td>成立时间</td></tr>
<tr><td>涟水河创客空间</td><td>娄底涟水创业服务有限公司</td><td>娄底市娄星区乐坪大道8号</td><td>2014-06</td></tr>
</table></body></html>
"""


# --- the space's own packet: Annex 1 forms and Annex 2 documents (SPEC §10) -----------------------

PACKET = load_packet(SCHEMAS_DIR / "annex3_2016.toml")
KIND_FILES = {
    1: "营业执照副本.pdf",
    2: "天使投资基金协议.pdf",
    3: "房屋租赁协议.pdf",
    4: "管理机构设置及职能.docx",
    5: "入孵条件及退出办法.pdf",
    6: "入驻企业名单.xlsx",
    7: "管理团队毕业证书.jpg",
    8: "创业导师聘书.jpg",
    9: "路演活动签到表及照片.jpg",
}
FAKE_BYTES = {".pdf": b"%PDF-1.4\n% sample document\n", ".jpg": b"\xff\xd8\xff\xe0 sample"}
CANONICAL_TYPE = {
    s: canonical for canonical, spellings in TYPE_SPELLINGS.items() for s in spellings
}


def accepted_plain(rows: Sequence[Space]) -> list[Space]:
    """Rows the run accepts whose values a form can repeat (no formula, no link text)."""
    return [
        s
        for s in rows
        if not any(tag.startswith(("E_", "duplicate")) for tag, _ in s.expect)
        and isinstance(s.founded, dt.date | str)
        and isinstance(s.address, str)
        and not s.address.startswith("=")
        and not isinstance(s.contact, Formula)
    ]


def typed(value: Cell) -> str:
    """A cell as the space types it again in its form: a date in words, a number as digits."""
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, float):
        return str(int(value))
    return "" if value is None else str(value)


def narrative(space: Space, topic: str, length: int) -> str:
    """Invented but plausible prose about a space, about ``length`` characters."""
    sentence = (
        f"{space.name}由{space.operator}运营，围绕{topic}持续完善服务体系，"
        "联合高校、投资机构和行业龙头企业为创业团队提供低成本、便利化、全要素的服务。"
    )
    return (sentence * (length // len(sentence) + 1))[:length]


def form_of(space: Space, rng: random.Random, **changes: str) -> FormValues:
    """The Annex 1 a space fills in, agreeing with its Annex 3 row unless ``changes`` say not."""
    values = {
        "name": str(space.name),
        "operator": str(space.operator),
        "address": str(space.address),
        "founded": typed(space.founded),
        "area": f"{rng.choice(('约', ''))}{rng.randrange(300, 5000, 50)}平方米",
        "events": f"{rng.randint(8, 60)}次",
        "residents": f"{rng.randint(5, 45)}{rng.choice(('家', '个', '余家'))}",
    }
    assert PACKET is not None
    sections = {
        s.field: narrative(space, s.short_label, rng.randint(s.limit // 3, s.limit * 2 // 3))
        for s in PACKET.sections
    }
    head = (str(space.head), "", "", "")
    contact = (str(space.contact), typed(space.mobile), str(space.email), typed(space.fax))
    return FormValues(
        values=values | {k: v for k, v in changes.items() if k in values},
        choice=CANONICAL_TYPE.get(str(space.institution_type), ""),
        contacts={"负责人": head, "联系人": contact},
        sections=sections | {k: v for k, v in changes.items() if k in sections},
    )


def write_packet_form(path: Path, filled: FormValues, when: dt.datetime) -> None:
    assert PACKET is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    save_form(build_form(PACKET, FORM, filled), path)
    set_received(path, when)


def write_documents(
    folder: Path, kinds: Sequence[int], extra: Sequence[str], when: dt.datetime
) -> None:
    """Supporting documents named as offices name them; ``extra`` are names no keyword knows."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in [KIND_FILES[k] for k in kinds] + list(extra):
        path = folder / name
        if path.suffix == ".docx":
            document = Document()
            document.add_paragraph(path.stem)
            document.save(str(path))
            freeze_zip(path)
        elif path.suffix == ".xlsx":
            write_xlsx(path, [Grid("名单", [["序号", "企业名称"], [1, "示例科技有限公司"]])])
            freeze_zip(path)
        else:
            path.write_bytes(FAKE_BYTES[path.suffix])
        set_received(path, when)


def packets(subs: Sequence[Submission]) -> list[str]:
    """Forms and documents for three bureaus: clean, mismatched, over-long and empty, an orphan,
    a .doc (refused without LibreOffice), a form laid out in a workbook; returns the plants."""
    rng = random.Random(SEED + 1)
    by_bureau = {sub.bureau: sub for sub in subs}
    city = accepted_plain(by_bureau["长沙市科学技术局"].rows)
    zone = accepted_plain(by_bureau["长沙高新技术产业开发区管理委员会"].rows)
    planted = []
    folder = INBOX / "长沙市科技局-附件"
    when = april(13, 18, 0)
    clean, mismatched, wordy, *others = city
    write_packet_form(folder / str(clean.name) / "基本信息表.docx", form_of(clean, rng), when)
    write_documents(folder / str(clean.name), range(1, 10), (), when)
    planted.append(f"{clean.name}: clean form, all nine kinds of documents")
    founded = mismatched.founded
    assert isinstance(founded, dt.date)
    wrong = form_of(
        mismatched,
        rng,
        founded=f"{founded.year - 1}年",
        operator=f"{CITIES['长沙'].name}创客服务中心",
    )
    write_packet_form(folder / str(mismatched.name) / "基本信息表.docx", wrong, when)
    write_documents(folder / str(mismatched.name), (1, 3, 6, 8, 9), ("扫描件001.jpg",), when)
    planted.append(
        f"{mismatched.name}: W_ANNEX1_MISMATCH (成立时间, 运营机构名称); W_ANNEX2_MISSING"
    )
    long_text = narrative(wordy, "负责人经历", 260)
    heavy = form_of(wordy, rng, head_profile=long_text, cases="", area="两千平米左右")
    write_packet_form(folder / f"{wordy.name}-基本信息表.docx", heavy, when)
    planted.append(f"{wordy.name}: W_ANNEX1_TOO_LONG, W_ANNEX1_EMPTY, W_ANNEX1_NUMBER")
    for space in others[:-1]:
        write_packet_form(folder / f"{space.name}.docx", form_of(space, rng), when)
    planted.append(f"{others[-1].name}: no form, W_ANNEX1_MISSING")
    orphan = form_of(clean, rng, name="橘洲青年创客营", operator="长沙橘洲青创科技有限公司")
    write_packet_form(folder / "橘洲青年创客营.docx", orphan, when)
    planted.append("橘洲青年创客营.docx: W_ANNEX1_ORPHAN")
    doc = INBOX / "湘潭市科技局-附件" / "基本信息表.doc"
    doc.parent.mkdir(parents=True, exist_ok=True)
    assert PACKET is not None
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le")
    doc.write_bytes(ole + PACKET.title.encode("utf-16-le"))
    set_received(doc, when)
    planted.append("湘潭市科技局-附件/基本信息表.doc: F_ANNEX1_FORMAT without LibreOffice")
    space = zone[0]
    sheet_form = INBOX / "长沙高新区管委会-附件" / f"{space.name}-基本信息表.xlsx"
    write_sheet_form(sheet_form, form_of(space, rng), when)
    for kind in (1, 3, 8):
        name = f"{space.name}-{KIND_FILES[kind]}"
        (sheet_form.parent / name).write_bytes(FAKE_BYTES.get(Path(name).suffix, b"%PDF-1.4\n"))
        set_received(sheet_form.parent / name, when)
    planted.append(f"{space.name}: form laid out in a workbook; documents named after the space")
    return planted


def write_sheet_form(path: Path, filled: FormValues, when: dt.datetime) -> None:
    """The form typed into a workbook: labels and values side by side, as some offices do."""
    assert PACKET is not None
    label = {f.field: f.label for f in PACKET.fields}
    v = filled.values
    rows: list[list[Cell]] = [[PACKET.title]]
    for key in ("name", "operator", "address"):
        rows.append([label[key], v[key]])
    rows.append([label["institution_type"], choice_cell(FORM, filled.choice)])
    rows.append([label["founded"], v["founded"], label["area"], v["area"]])
    rows.append([label["events"], v["events"], label["residents"], v["residents"]])
    rows.append([PACKET.contact_section])
    rows.append([None, *(c.label for c in PACKET.contact_columns)])
    for role in PACKET.roles:
        rows.append([role.label, *filled.contacts[role.label]])
    for section in PACKET.sections:
        rows.append([section.label, filled.sections[section.field]])
    path.parent.mkdir(parents=True, exist_ok=True)
    write_xlsx(path, [Grid("基本信息表", rows)])
    freeze_zip(path)
    set_received(path, when)


def report(path: str, bureau: str, count: int, numbers: list[int], placed: list[Placed]) -> None:
    """Print one file's planted quirks (a CSV has no sheet name)."""
    print(f"{path}  [{bureau}]  {count} rows (Excel rows {numbers[0]}–{numbers[-1]})")
    for p in placed:
        where = p.cell if path.endswith(".csv") else f"{p.sheet}!{p.cell}"
        print(f"    {where:<10} {p.tag}  〔{p.name}〕")


def main() -> None:
    gen = Gen(SEED)
    prior_list = prior_rows(gen)
    prior_path = PRIOR / "2016年度首批众创空间备案汇总表.xlsx"
    placed, numbers = write_annex3(
        prior_path, prior_list, "xlsx", prior_layout(), dt.datetime(2016, 1, 20, 17, 0)
    )
    report("prior/" + prior_path.name, "2016年度首批", len(prior_list), numbers, placed)
    prior = {str(s.name): s for s in prior_list}
    subs = submissions(gen, prior)
    for sub in subs:
        placed, numbers = write_annex3(
            INBOX / sub.path, sub.rows, sub.fmt, sub.layout, sub.received
        )
        report(sub.path, sub.bureau, len(sub.rows), numbers, placed)
        if sub.notes:
            print(f"    file: {sub.notes}")
    web = INBOX / WEB_EXPORT[0]
    web.write_text(WEB_EXPORT_HTML, encoding="utf-8")
    set_received(web, WEB_EXPORT[1])
    print(f"{WEB_EXPORT[0]}  [娄底市科学技术局]  HTML table saved as .xls: F_UNSUPPORTED")
    print("packets (Annex 1 forms, Annex 2 documents):")
    for line in packets(subs):
        print(f"    {line}")


if __name__ == "__main__":
    main()
