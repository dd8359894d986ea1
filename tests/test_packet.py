"""The space's packet in the nightly run: forms matched to Annex 3 rows and checked, documents
counted by kind, every W_ANNEX code tripped and passed (SPEC §10)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import openpyxl
import pytest
from conftest import good_row
from forms import CONTACT, HEAD, SPEC, form_values, make_form
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.config import Settings
from pipeline.core.model import BatchResult
from pipeline.run import consolidate_batch
from pipeline.write.workbook import consolidated_name

runner = CliRunner()
SECOND = good_row(name="岳麓山创新工场", operator="岳麓山创新有限公司", head="王强")
FOLDER = "长沙市科技局"
NINE = ["营业执照", "天使投资基金", "房屋租赁协议", "管理机构设置", "入孵及退出办法",
        "入驻企业名单", "毕业证书", "导师聘书", "路演活动照片"]  # fmt: skip


def batch(settings: Settings, make_workbook, rows=None) -> Path:  # type: ignore[no-untyped-def]
    """The bureau's folder with its Annex 3 workbook; forms and documents go beside it."""
    folder = settings.inbox / FOLDER
    make_workbook(rows or [good_row(), SECOND], name="汇总表.xlsx", folder=folder)
    return folder


def codes(result: BatchResult, name: str = "麓谷创客工场") -> list[str]:
    row = result.rows[result.rows["name"] == name].iloc[0]
    return [c for c in row["codes"].split(";") if c.startswith(("W_ANNEX", "F_ANNEX"))]


def status(result: BatchResult, suffix: str) -> tuple[str, str]:
    found = next(f for f in result.files if f.file.endswith(suffix))
    return found.status, found.codes


def test_a_form_that_agrees_raises_nothing_and_gives_its_figures(settings, make_workbook) -> None:
    folder = batch(settings, make_workbook, [good_row()])
    make_form(folder / "麓谷创客工场" / "基本信息表.docx")
    result = consolidate_batch(settings)
    assert codes(result) == []
    row = result.rows.iloc[0]
    assert (row["area"], row["events"], row["residents"]) == (1200.0, 36.0, 20.0)
    assert row["annex1"] == f"{FOLDER}/麓谷创客工场/基本信息表.docx"
    assert status(result, "基本信息表.docx") == ("annex1", "")
    assert len(result.rows) == 1  # forms never add rows


@pytest.mark.slow  # a whole night per case: the long form, run by CI
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"operator": "长沙麓谷孵化器有限公司"}, "运营机构名称"),
        ({"address": "长沙市岳麓区桐梓坡路1号"}, "地址"),
        ({"choice": "国有企业"}, "机构性质"),
        ({"founded": "2015年3月"}, "成立时间"),
        ({"head": ("张卫", *HEAD[1:])}, "负责人"),
        ({"contact": ("李丽", *CONTACT[1:])}, "联系人"),
        ({"contact": (CONTACT[0], "13900000000", *CONTACT[2:])}, "手机"),
        ({"contact": (*CONTACT[:2], "other@example.com", CONTACT[3])}, "电子邮件"),
        ({"contact": (*CONTACT[:3], "0731-88880000")}, "传真"),
    ],
)
def test_every_disagreement_is_a_mismatch_at_the_row(
    settings, make_workbook, change, field
) -> None:
    folder = batch(settings, make_workbook, [good_row()])
    make_form(folder / "基本信息表.docx", form_values(**change))
    result = consolidate_batch(settings)
    assert codes(result) == ["W_ANNEX1_MISMATCH"]
    found = next(p for p in result.problems if p.code == "W_ANNEX1_MISMATCH")
    assert f"“{field}”" in found.message and "基本信息表.docx" in found.message
    assert found.row == 4 and found.file == f"{FOLDER}/汇总表.xlsx"
    assert " ≠ " in result.rows.iloc[0]["annex1_mismatch"]


@pytest.mark.slow  # a whole night per case: the long form, run by CI
@pytest.mark.parametrize(
    "change",
    [
        {"founded": "2014年"},  # an interval that holds the row's day agrees
        {"founded": "2014-05-20"},
        {"operator": "长沙麓谷创客科技有限责任公司"},
        {"address": "长沙市岳麓区 麓谷大道100号"},
        {"contact": (CONTACT[0], "138 0731 0000", "ZhangWei@Example.com", "0731 8888 1235")},
        {"head": (HEAD[0], "", "", ""), "contact": (CONTACT[0], "", "", "")},  # blank: not compared
        {"head": (HEAD[0], "", "", "无"), "contact": (*CONTACT[:3], "/")},  # "none": not compared
        {"head": ("张伟", "13807310000", "", ""), "contact": (CONTACT[0], "13900000000", "", "")},
    ],
)
def test_formatting_differences_agree(settings, make_workbook, change) -> None:
    folder = batch(settings, make_workbook, [good_row()])
    make_form(folder / "基本信息表.docx", form_values(**change))
    assert codes(consolidate_batch(settings)) == []


def test_too_long_counts_characters_other_than_whitespace(settings, make_workbook) -> None:
    folder = batch(settings, make_workbook, [good_row(), SECOND])
    make_form(folder / "a.docx", form_values(sections={"head_profile": "长" * 201}))
    exactly = "长 " * 200 + "\n"  # 200 characters and whitespace: at the limit
    make_form(folder / "b.docx", form_values(sections={"head_profile": exactly}, **SECOND_FORM))
    result = consolidate_batch(settings)
    assert codes(result) == ["W_ANNEX1_TOO_LONG"]
    assert codes(result, "岳麓山创新工场") == []
    assert result.rows.iloc[0]["annex1_long"] == "主要负责人简介：201字（限200字）"


SECOND_FORM = {
    "name": "岳麓山创新工场",
    "operator": "岳麓山创新有限公司",
    "head": ("王强", *HEAD[1:]),
}


def test_empty_sections_and_figures_and_figures_that_are_no_number(settings, make_workbook) -> None:
    folder = batch(settings, make_workbook, [good_row(), SECOND])
    make_form(folder / "a.docx", form_values(sections={"cases": ""}, area=""))
    make_form(folder / "b.docx", form_values(events="二十多次", **SECOND_FORM))
    result = consolidate_batch(settings)
    assert codes(result) == ["W_ANNEX1_EMPTY"]
    assert codes(result, "岳麓山创新工场") == ["W_ANNEX1_NUMBER"]
    empty = [p.column for p in result.problems if p.code == "W_ANNEX1_EMPTY"]
    assert empty == ["附件1：场地面积", "附件1：成功孵化案例"]


def test_missing_only_for_bureaus_that_sent_forms(settings, make_workbook) -> None:
    folder = batch(settings, make_workbook)
    make_workbook([good_row(name="湘江创业营")], name="株洲市科技局.xlsx", stamp="株洲市科学技术局")
    make_form(folder / "基本信息表.docx")
    result = consolidate_batch(settings)
    assert codes(result) == []
    assert codes(result, "岳麓山创新工场") == ["W_ANNEX1_MISSING"]
    assert codes(result, "湘江创业营") == []


def test_an_orphan_form_and_a_near_name_with_the_same_operator(settings, make_workbook) -> None:
    folder = batch(settings, make_workbook, [good_row()])
    make_form(folder / "近名.docx", form_values(name="长沙麓谷创客工场"))
    make_form(folder / "孤儿.docx", form_values(name="麓谷创客工场二期", operator="别的公司"))
    result = consolidate_batch(settings)
    assert codes(result) == ["W_ANNEX1_MISMATCH"]  # matched, and the name's difference shown
    assert result.rows.iloc[0]["annex1_mismatch"] == "众创空间名称：麓谷创客工场 ≠ 长沙麓谷创客工场"
    assert status(result, "近名.docx") == ("annex1", "")
    assert status(result, "孤儿.docx") == ("annex1", "W_ANNEX1_ORPHAN")


def test_the_bureau_of_a_form_without_a_folder_is_its_rows(settings, make_workbook) -> None:
    make_workbook([good_row()])
    make_form(settings.inbox / "麓谷创客工场.docx")
    result = consolidate_batch(settings)
    form = next(f for f in result.files if f.file == "麓谷创客工场.docx")
    assert form.bureau is not None and form.bureau.name == "长沙市科学技术局"


def test_two_forms_for_one_space_the_newer_counts(settings, make_workbook) -> None:
    import os

    folder = batch(settings, make_workbook, [good_row()])
    old = make_form(folder / "旧.docx", form_values(founded="2016年1月"))
    new = make_form(folder / "新.docx")
    os.utime(old, (1_000_000_000, 1_000_000_000))
    os.utime(new, (1_100_000_000, 1_100_000_000))
    result = consolidate_batch(settings)
    assert codes(result) == []
    assert status(result, "旧.docx")[0] == "superseded"
    assert status(result, "新.docx")[0] == "annex1"


def test_a_doc_form_is_refused_and_counts_as_sent(
    settings, make_workbook, without_libreoffice
) -> None:
    """The bureau's only space still without a form is the one the unreadable form is for."""
    folder = batch(settings, make_workbook, [good_row()])
    magic = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le")
    (folder / "基本信息表.doc").write_bytes(magic + SPEC.title.encode("utf-16-le"))
    result = consolidate_batch(settings)
    assert status(result, "基本信息表.doc") == ("rejected", "F_ANNEX1_FORMAT")
    assert codes(result) == ["W_ANNEX1_UNREADABLE"]


def test_documents_are_counted_by_kind(settings, make_workbook) -> None:
    folder = batch(settings, make_workbook)
    for i, name in enumerate(NINE[:3]):
        (folder / "麓谷创客工场" / f"{i}").mkdir(parents=True)
        (folder / "麓谷创客工场" / f"{i}" / f"{name}.pdf").write_bytes(b"%PDF")
    (folder / "麓谷创客工场" / "扫描件001.jpg").write_bytes(b"\xff\xd8")
    for name in NINE:
        (folder / f"岳麓山创新工场-{name}.jpg").write_bytes(b"\xff\xd8")
    (folder / "推荐函.pdf").write_bytes(b"%PDF")
    result = consolidate_batch(settings)
    assert codes(result) == ["W_ANNEX2_MISSING"]
    missing = next(p for p in result.problems if p.code == "W_ANNEX2_MISSING")
    assert "第 4、5、6、7、8、9 类" in missing.message
    assert codes(result, "岳麓山创新工场") == []
    first = result.rows.iloc[0]
    assert (first["annex2"], first["annex2_unclassified"], first["annex2_files"]) == (3, 1, 4)
    assert status(result, "扫描件001.jpg") == ("annex2", "")
    assert status(result, "推荐函.pdf")[0] == "ignored"
    assert len(result.rows) == 2


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def run_cli(settings: Settings) -> str:
    args = ["run", "--inbox", str(settings.inbox), "--outbox", str(settings.outbox)]
    result = runner.invoke(app, [*args, "--ledger", str(settings.ledger)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_end_to_end_workbooks_forms_and_document_folders(settings, make_workbook) -> None:
    folder = batch(settings, make_workbook)
    make_form(folder / "麓谷创客工场" / "基本信息表.docx", form_values(founded="2015年3月"))
    for name in NINE:
        (folder / "麓谷创客工场" / f"{name}.pdf").write_bytes(b"%PDF")
    make_workbook([good_row(name="湘江创业营")], name="株洲市科技局.xlsx", stamp="株洲市科学技术局")
    run_cli(settings)
    out = settings.outbox / settings.batch
    files = {f["file"]: (f["status"], f["codes"]) for f in read_csv(out / "files.csv")}
    assert files[f"{FOLDER}/麓谷创客工场/基本信息表.docx"] == ("annex1", "")
    assert files[f"{FOLDER}/麓谷创客工场/营业执照.pdf"] == ("annex2", "")
    assert len(files) == 12
    rows = {r["name"]: r for r in read_csv(out / "dispositions.csv")}
    assert rows["麓谷创客工场"]["codes"] == "W_ANNEX1_MISMATCH"
    assert rows["岳麓山创新工场"]["codes"] == "W_ANNEX1_MISSING"
    assert rows["湘江创业营"]["codes"] == ""
    assert {r["disposition"] for r in rows.values()} == {"accepted"}
    book = openpyxl.load_workbook(out / consolidated_name(settings))
    detail = list(book["明细"].values)
    header = detail[0]
    by_name = {r[1]: dict(zip(header, r, strict=True)) for r in detail[1:]}
    assert by_name["麓谷创客工场"]["场地面积（平方米）"] == 1200
    assert by_name["麓谷创客工场"]["附件2"] == 9
    assert by_name["岳麓山创新工场"]["附件1"] in (None, "")
    checks = list(book["附件核对"].values)
    lines = {r[1]: dict(zip(checks[0], r, strict=True)) for r in checks[1:]}
    assert len(lines) == 3
    mismatch = lines["麓谷创客工场"]["不一致（字段：表3值 ≠ 附件1值）"]
    assert mismatch == "成立时间：2014-05-20 ≠ 2015年3月"
    assert [lines["麓谷创客工场"][f"第{k}类"] for k in range(1, 10)] == ["✓"] * 9
    assert lines["岳麓山创新工场"]["附件1"] == "未收到"
    receipt = openpyxl.load_workbook(out / "回执" / "长沙市科学技术局.xlsx")
    problems = list(receipt["问题清单"].values)
    mismatch_line = next(r for r in problems if r[0] == "D4")
    assert mismatch_line[1] == "成立时间" and "基本信息表.docx" in mismatch_line[3]
    assert receipt["标注"]["D4"].comment is not None
    overview = {row[0]: row[1] for row in receipt["概况"].values}
    assert overview["附件1、附件2"].startswith("收到附件1 1 份、附件2证明文件 9 个")
    import sqlite3

    with sqlite3.connect(settings.ledger) as db:
        seen = dict(db.execute("SELECT path, status FROM files"))
    assert seen[f"{FOLDER}/麓谷创客工场/营业执照.pdf"] == "annex2"
    assert seen[f"{FOLDER}/麓谷创客工场/基本信息表.docx"] == "annex1"
    # a document added to the inbox is a change: the next night is not quiet
    (folder / "麓谷创客工场" / "活动签到表.pdf").write_bytes(b"%PDF")
    assert "没有变化" not in run_cli(settings)


def test_check_a_form_against_its_own_workbook(
    settings, make_workbook, tmp_path, without_libreoffice
) -> None:
    workbook = make_workbook([good_row()], name="汇总表.xlsx", folder=tmp_path / "mine")
    form = make_form(tmp_path / "mine" / "基本信息表.docx", form_values(choice="国有企业"))
    result = runner.invoke(app, ["check", str(workbook), str(form)])
    assert result.exit_code == 0, result.output
    assert "机构性质" in result.output and "国有企业" in result.output
    alone = runner.invoke(app, ["check", str(form)])
    assert alone.exit_code == 0 and "W_ANNEX1_ORPHAN" not in alone.output
    receipt = openpyxl.load_workbook(tmp_path / "mine" / "基本信息表-回执.xlsx")
    assert any("不在" in str(row[3]) for row in receipt["问题清单"].values)
    doc = tmp_path / "mine" / "基本信息表.doc"
    magic = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le")
    doc.write_bytes(magic + SPEC.title.encode("utf-16-le"))
    refused = runner.invoke(app, ["check", str(workbook), str(doc)])
    assert refused.exit_code == 1 and "文件未受理" in refused.output
    shutil.rmtree(tmp_path / "mine")


def test_a_word_form_is_the_electronic_copy_and_its_seals_are_not_checked(
    settings, make_workbook
) -> None:
    folder = batch(settings, make_workbook, [good_row()])
    make_form(folder / "基本信息表.docx")
    run_cli(settings)
    out = settings.outbox / settings.batch
    rows = read_csv(out / "dispositions.csv")
    assert "W_SEAL_MISSING" not in rows[0]["codes"] and "I_FROM_SCAN" not in rows[0]["codes"]
    checks = list(openpyxl.load_workbook(out / consolidated_name(settings))["附件核对"].values)
    assert dict(zip(checks[0], checks[1], strict=True))["盖章"] == "附件1为电子文件，不查"
