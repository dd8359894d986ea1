"""The province decides (SPEC §14): review decisions through ``beian review``, 退回 with its
reason in the receipt until the bureau resubmits, the 评审 sheet, the 推荐名单, 与上次相比."""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

import openpyxl
import pytest
from conftest import good_row
from test_end_to_end import runner
from test_over_time import Night, fate, night, nightly, sheet_records  # noqa: F401

from pipeline.cli import app
from pipeline.core.config import Settings
from pipeline.dedupe.verdicts import read_review_file

CITY = "长沙市科学技术局"
FIRST = [
    good_row(name="麓谷创客工场"),
    good_row(name="岳麓山创新工场", operator="长沙岳麓山科技有限公司"),
    good_row(name="橘子洲青年空间", operator="长沙橘子洲文化有限公司"),
    good_row(name="湘江创业营", operator="湘江创业服务有限公司", mobile="12345"),
    good_row(name="星沙众创", operator="星沙众创科技有限公司", address="北京市海淀区中关村1号"),
]


def review(settings: Settings, lines: list[list[str]], encoding: str = "utf-8-sig") -> object:
    """``beian review`` on a file of these lines under the official header."""
    path = settings.inbox.parent / "评审.csv"
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows([["推荐单位", "众创空间名称", "结论", "理由"], *lines])
    args = ["review", str(path), "--ledger", str(settings.ledger), "--who", "王科长"]
    return runner.invoke(app, args, catch_exceptions=False)


@pytest.fixture
def reviewed(settings: Settings, make_workbook, night: Night, monkeypatch) -> Settings:  # noqa: F811
    """Night 1: 长沙 sends five spaces; the clerk then records decisions (one line bad)."""
    monkeypatch.chdir(settings.inbox.parent)
    (settings.inbox.parent / "beian.toml").write_text(
        '[batch]\nname = "2016年度第二批"\ndeadline = "2016-04-14"\n'
        '[paths]\ninbox = "inbox"\noutbox = "outbox"\nledger = "ledger.sqlite"\n'
        'decisions = "decisions.csv"\n',
        encoding="utf-8",
    )
    make_workbook(FIRST, name="长沙/第一次.xlsx")
    night(1)
    nightly(settings)
    answer = review(
        settings,
        [
            ["长沙市科技局", "麓谷创客工场", "推荐", ""],
            [CITY, "岳麓山创新工场", "退回", "场地租赁协议已过期，请补充新协议"],
            [CITY, "橘子洲青年空间", "不推荐", "服务功能单一"],
            [CITY, "星沙众创", "退回", ""],
            [CITY, "湘江创业营", "推荐", ""],
            [CITY, "不存在的空间", "推荐", ""],
            [CITY, "星沙众创", "待定", ""],
        ],
        encoding="gbk",
    )
    assert answer.exit_code == 0, answer.output
    assert "已记录 3 条评审结论" in answer.output
    return settings


def test_review_lines_named_on_the_console(reviewed: Settings) -> None:
    answer = review(
        reviewed,
        [
            [CITY, "星沙众创", "退回", ""],
            [CITY, "湘江创业营", "推荐", ""],
            [CITY, "不存在的空间", "推荐", ""],
            [CITY, "星沙众创", "待定", ""],
            ["某某局", "星沙众创", "推荐", ""],
        ],
    )
    out = answer.output
    assert answer.exit_code == 0
    assert "已记录 0 条" in out
    assert "第 2 行：退回必须写明理由" in out
    assert "第 3 行：“湘江创业营”不是长沙市科学技术局现用文件中受理的众创空间" in out
    assert "第 4 行：“不存在的空间”不是" in out
    assert "第 5 行：结论“待定”无法识别（应为 推荐/不推荐/退回）" in out
    assert "第 6 行：推荐单位“某某局”不在名录中" in out


def test_decisions_apply_and_hold_on_later_nights(reviewed: Settings, night: Night) -> None:  # noqa: F811
    for n in (2, 3):
        night(n)
        nightly(reviewed)
        assert fate(reviewed)["岳麓山创新工场"] == ("rejected", "E_RETURNED")
        assert fate(reviewed)["麓谷创客工场"][0] == "accepted"
    decided = read_csv_bom(reviewed.batch_dir / "评审结论.csv")
    assert sorted(
        (d["众创空间名称"], d["结论"], d["理由"], d["评审人"]) for d in decided
    ) == sorted(
        [
            ("橘子洲青年空间", "不推荐", "服务功能单一", "王科长"),
            ("麓谷创客工场", "推荐", "", "王科长"),
            ("岳麓山创新工场", "退回", "场地租赁协议已过期，请补充新协议", "王科长"),
        ]
    )
    receipt = openpyxl.load_workbook(reviewed.batch_dir / "回执" / f"{CITY}.xlsx")
    listed = [r for r in receipt["问题清单"].iter_rows(values_only=True) if r[0] == "A5"]
    assert len(listed) == 1
    assert listed[0][3].startswith("省里审核后退回本行：场地租赁协议已过期，请补充新协议")
    assert listed[0][6] == "未通过"


def test_review_sheet(reviewed: Settings, night: Night) -> None:  # noqa: F811
    night(2)
    nightly(reviewed)
    lines = {r["众创空间名称"]: r for r in sheet_records(reviewed, "评审")}
    assert set(lines) == {"麓谷创客工场", "岳麓山创新工场", "橘子洲青年空间", "星沙众创"}
    assert lines["麓谷创客工场"]["结论"] == "推荐"
    assert lines["岳麓山创新工场"]["结论"] == "退回"
    assert lines["星沙众创"]["结论"] is None
    assert lines["麓谷创客工场"]["运营主体在湖南省注册"] == "✓"
    assert lines["星沙众创"]["运营主体在湖南省注册"] == "✗"
    assert lines["麓谷创客工场"]["成立满半年"] == "✓"
    assert lines["星沙众创"]["提示数"] == 1
    assert lines["麓谷创客工场"]["附件2类数"] == 0
    book = openpyxl.load_workbook(
        reviewed.batch_dir / "湖南省众创空间备案汇总表_2016年度第二批.xlsx"
    )
    ws = book["评审"]
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert list(ws.tables)  # an Excel table: filters, sortable


def test_recommended_list_holds_exactly_the_recommended(reviewed: Settings, night: Night) -> None:  # noqa: F811
    path = reviewed.batch_dir / "湖南省推荐备案众创空间名单_2016年度第二批.xlsx"
    assert not path.exists()
    night(2)
    nightly(reviewed)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["推荐名单", "材料目录"]
    values = [r for r in book["推荐名单"].iter_rows(values_only=True)]
    assert values[0][0] == "湖南省推荐备案众创空间名单"
    assert "湖南省科学技术厅（盖章）" in values[1][0]
    assert [r[1] for r in values[3:]] == ["麓谷创客工场"]
    catalogue = list(book["材料目录"].iter_rows(values_only=True))
    assert catalogue[1] == ("序号", "推荐单位", "众创空间名称", "装订顺序", "材料", "文件")
    assert catalogue[2][:5] == (1, CITY, "麓谷创客工场", 1, "附件1 众创空间基本信息表")


def test_return_clears_when_the_bureau_resubmits(
    reviewed: Settings,
    make_workbook,
    night: Night,  # noqa: F811
) -> None:
    night(2)
    nightly(reviewed)
    second = [
        FIRST[0],
        FIRST[1],  # 退回 — sent again in a new file: reviewed again
        {**FIRST[2], "address": "长沙市天心区湘江中路2号"},
        {**FIRST[3], "mobile": "13807310001"},  # E_MOBILE fixed
        good_row(name="梅溪湖创想家", operator="梅溪湖科技有限公司", email="not-an-email"),
    ]  # 星沙众创 removed
    make_workbook(second, name="长沙/第二次.xlsx")
    night(3)
    nightly(reviewed)
    assert fate(reviewed)["岳麓山创新工场"] == ("accepted", "")
    lines = {r["众创空间名称"]: r for r in sheet_records(reviewed, "评审")}
    assert lines["岳麓山创新工场"]["结论"] is None
    assert "待重新评审" in lines["岳麓山创新工场"]["理由"]
    assert lines["麓谷创客工场"]["结论"] == "推荐"  # 推荐 holds across files
    receipt = openpyxl.load_workbook(reviewed.batch_dir / "回执" / f"{CITY}.xlsx")
    compared = list(receipt["与上次相比"].iter_rows(values_only=True))
    assert compared[0] == ("类别", "众创空间名称", "位置", "上次", "本次")
    kinds = {(r[0], r[1]) for r in compared[1:]}
    assert ("新增众创空间", "梅溪湖创想家") in kinds
    assert ("删除众创空间", "星沙众创") in kinds
    assert ("已改正", "岳麓山创新工场") in kinds  # the 退回
    assert ("已改正", "湘江创业营") in kinds  # E_MOBILE
    assert ("新问题", "梅溪湖创想家") in kinds
    assert ("随众创空间删除", "星沙众创") in kinds
    changed = [r for r in compared if r[0] == "内容修改"]
    assert [(r[1], r[3], r[4]) for r in changed if r[2] == "地址"] == [
        ("橘子洲青年空间", "长沙市岳麓区麓谷大道100号", "长沙市天心区湘江中路2号")
    ]
    overview = [r for r in receipt["概况"].iter_rows(values_only=True) if r[0] == "与上次相比"]
    assert "第一次.xlsx" in overview[0][1] and "新增众创空间 1 项" in overview[0][1]


def test_a_first_file_has_no_comparison(settings: Settings, make_workbook, night: Night) -> None:  # noqa: F811
    make_workbook(FIRST[:1], name="长沙/第一次.xlsx")
    night(1)
    nightly(settings)
    receipt = openpyxl.load_workbook(settings.batch_dir / "回执" / f"{CITY}.xlsx")
    assert "与上次相比" not in receipt.sheetnames


def read_csv_bom(path: Path) -> list[dict[str, str]]:
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.DictReader(data.decode("utf-8-sig").splitlines()))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "utf-16"])
def test_the_review_file_is_read_in_every_encoding_of_decisions(tmp_path: Path, encoding) -> None:
    path = tmp_path / "评审.csv"
    text = (
        " 推荐单位 ,众创空间名称,结论,理由\n"
        "长沙市,麓谷创客工场,同意推荐,\n"
        "长沙市,湘江创业营,退回, 缺少租赁协议 \n"
    )
    path.write_bytes(text.encode(encoding))
    lines = read_review_file(path)
    assert [(x.bureau, x.name, x.verdict, x.reason, x.refused) for x in lines] == [
        ("长沙市", "麓谷创客工场", "推荐", "", ""),
        ("长沙市", "湘江创业营", "退回", "缺少租赁协议", ""),
    ]


def test_a_review_file_missing_a_column_or_not_text_is_named(tmp_path: Path) -> None:
    path = tmp_path / "评审.csv"
    path.write_text("推荐单位,众创空间名称,结论\n长沙市,麓谷创客工场,推荐\n", encoding="utf-8")
    (line,) = read_review_file(path)
    assert line.refused == "文件缺少列 理由（应有 推荐单位,众创空间名称,结论,理由）"
    path.write_bytes(b"PK\x03\x04\x00\x00\xff\xfe\x00binary")
    (line,) = read_review_file(path)
    assert line.refused == "评审.csv 不是文本表格（无法识别编码）"
