"""The CLI's exact words on its main paths, line by line, as sqlite-utils' tests pin them.

Substring checks let a message drift (a count dropped, a colon changed) without a failing test;
these compare whole lines of what a clerk reads after ``beian run``, ``check``, ``status`` and
``template`` on the sample batch (inbox/ + prior/, copied with old modification times).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO
from test_golden import OLD
from typer.testing import CliRunner, Result

from pipeline import consoles
from pipeline.cli import app

PRIOR_NAME = "2016年度首批众创空间备案汇总表.xlsx"
NOT_YET = (
    "尚未报送（9）：张家界市科学技术局、永州市科学技术局、怀化市科学技术局、"
    "湘西土家族苗族自治州科学技术局、株洲高新技术产业开发区管理委员会、"
    "湘潭高新技术产业开发区管理委员会、益阳高新技术产业开发区管理委员会、"
    "衡阳高新技术产业开发区管理委员会、郴州高新技术产业开发区管理委员会"
)


@pytest.fixture(scope="module")
def wide() -> Iterator[None]:
    """Rich wraps at 80 columns when not on a terminal; a wide console keeps each line whole."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(consoles.console, "_width", 1000)
        patch.setattr(consoles.err, "_width", 1000)
        yield


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, wide: None) -> Path:
    """A copy of the sample batch: inbox/ with old modification times, and prior/."""
    root = tmp_path_factory.mktemp("batch")
    shutil.copytree(REPO / "inbox", root / "inbox")
    shutil.copytree(REPO / "pipeline" / "prior", root / "prior")
    for path in (root / "inbox").rglob("*"):
        os.utime(path, (OLD, OLD))
    return root


def beian(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def lines(result: Result) -> list[str]:
    return [line.rstrip() for line in result.output.splitlines()]


@pytest.fixture(scope="module")
def runs(
    batch: Path, without_libreoffice_module: None, without_ocr_module: None
) -> tuple[Result, Result, Result]:
    """``beian run`` twice on the batch (the second finds nothing new), then ``beian status``;
    as without LibreOffice and OCR, so the sample's .doc form is refused and its scans are
    received unread with the words pinned here."""
    options = ["--inbox", batch / "inbox", "--outbox", batch / "outbox"]
    options += ["--ledger", batch / "ledger.sqlite", "--prior", batch / "prior" / PRIOR_NAME]
    first, second = beian("run", *options), beian("run", *options)
    return first, second, beian("status", "--ledger", batch / "ledger.sqlite")


def test_run_closes_with_the_summary_lines(
    runs: tuple[Result, Result, Result], batch: Path
) -> None:
    first = runs[0]
    assert first.exit_code == 0, first.output
    assert lines(first)[-10:] == [
        "数据行 74：受理 58，未通过 11，往批已备案 4，本批重复 1",
        "文件：已采用 10，文件未通过 3，附件1 8，附件2 18",
        NOT_YET,
        "文件未通过、需重新报送（1）：娄底市科学技术局",
        "未通过的文件（3）：",
        "  娄底市科技局-众创空间汇总表.xls：不支持的文件格式：文件内容是网页（HTML/XML/MHT），"
        "只是扩展名像表格。",
        "  汇总表(1).xlsx：无法确定报送单位：盖章行、所在文件夹和文件名中都没有登记的"
        "推荐单位名称。",
        "  湘潭市科技局-附件/基本信息表.doc：附件1《众创空间基本信息表》是 .doc 或 .wps 格式，"
        "无法读取（本机未安装 LibreOffice）。",
        "收到扫描件 15 个，本机未安装 OCR，未识别其内容；如需识别请运行：pip install beian[ocr]",
        f"输出：{batch / 'outbox' / '2016年度第二批'}",
    ]


def test_a_second_run_with_nothing_new_says_so_in_one_line(
    runs: tuple[Result, Result, Result],
) -> None:
    second = runs[1]
    assert second.exit_code == 0, second.output
    assert [line for line in lines(second) if line] == [
        "收件箱与上次运行相比没有变化，未重写任何输出。"
        "数据行 74：受理 58，未通过 11，往批已备案 4，本批重复 1"
    ]


def test_status_heading_and_closing_lines(runs: tuple[Result, Result, Result]) -> None:
    status = runs[2]
    assert status.exit_code == 0, status.output
    shown = [line for line in lines(status) if line]
    assert re.fullmatch(r"报送情况（最近一次汇总：\d{4}-\d\d-\d\d \d\d:\d\d:\d\d）", shown[0])
    after_table = shown[shown.index(NOT_YET) :]
    assert after_table[:2] == [NOT_YET, "文件："]
    assert after_table[-3:] == [
        "与上一次汇总相比：",
        "  首次运行：以上为全部报送情况。",
        "此后又运行 1 次，收件箱均无变化。",
    ]


def test_check_of_a_clean_file(batch: Path, tmp_path: Path) -> None:
    result = beian("check", batch / "inbox" / "邵阳市科技局-众创空间汇总表.xlsx", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert lines(result) == [
        "邵阳市科技局-众创空间汇总表.xlsx  推荐单位：邵阳市科学技术局",
        "未发现问题。",
        "数据行 5：受理 5，未通过 0，往批已备案 0，本批重复 0",
        f"回执：{tmp_path / '邵阳市科技局-众创空间汇总表-回执.xlsx'}",
    ]


def test_check_of_a_faulty_file_closes_with_counts_and_receipt(batch: Path, tmp_path: Path) -> None:
    result = beian("check", batch / "inbox" / "长沙市科技局-众创空间汇总表.xlsx", "--out", tmp_path)
    assert result.exit_code == 1, result.output
    shown = lines(result)
    assert shown[0] == "长沙市科技局-众创空间汇总表.xlsx  推荐单位：长沙市科学技术局"
    assert shown[-2:] == [
        "数据行 11：受理 9，未通过 1，往批已备案 1，本批重复 0",
        f"回执：{tmp_path / '长沙市科技局-众创空间汇总表-回执.xlsx'}",
    ]


def test_template_names_the_files_it_wrote(tmp_path: Path, wide: None) -> None:
    result = beian("template", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert lines(result) == [
        f"模板：{tmp_path / '附件3-申请备案的众创空间信息汇总表.xlsx'}",
        f"附件1模板：{tmp_path / '附件1-众创空间基本信息表.docx'}",
    ]
