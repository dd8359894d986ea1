"""The consolidated workbook read back with openpyxl: binder layout, typed 明细, 统计, charts."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import good_row

from pipeline.core.config import Settings
from pipeline.core.schema import load_registers
from pipeline.run import run
from pipeline.write.workbook import consolidated_name

ROWS = [
    good_row(),
    good_row(
        name="岳麓山创新工场",
        operator="湖南岳麓山科技有限公司",
        founded="2015年3月",
        institution_type="事业",
        zone="否",
        incubator="是，长沙岳麓山国家大学科技园",
    ),
    good_row(
        name="星沙众创空间",
        operator="长沙星沙创业服务有限公司",
        founded="2013-07-01",
        institution_type="国企",
        zone="否",
    ),
]


@pytest.fixture
def workbook(settings: Settings, make_workbook) -> Path:
    make_workbook(ROWS, name="长沙市科技局.xlsx")
    make_workbook(
        [
            good_row(
                name="株洲芦淞创客空间",
                operator="株洲芦淞科技有限公司",
                office_phone="0731-22881234",
                zone="是，株洲高新区",
            )
        ],
        name="株洲市科技局.xlsx",
        stamp="株洲市科学技术局",
    )
    run(settings)
    return settings.batch_dir / consolidated_name(settings)


def test_sheets_in_order(workbook: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    assert book.sheetnames == ["汇总表", "明细", "统计", "重复", "未通过", "报送情况", "附件核对"]


def test_binder_is_print_ready(workbook: Path) -> None:
    ws = openpyxl.load_workbook(workbook)["汇总表"]
    assert ws["A1"].value == "申请备案的众创空间信息汇总表"
    assert "A1:O1" in {str(r) for r in ws.merged_cells.ranges}
    headers = [c.value for c in ws[3]]
    assert headers[0] == "序号" and headers[-1] == "推荐单位"
    assert headers[5] == "机构性质（事业、国有企业、民营企业等）"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9
    assert ws.print_title_rows == "$3:$3"
    assert ws.print_area is not None and "$A$1:$O$7" in ws.print_area
    assert "第 &P 页 共 &N 页" in ws.oddFooter.center.text
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    # bureaus in register order (长沙 before 株洲), then by name within a bureau
    names = [ws.cell(r, 2).value for r in range(4, 8)]
    assert names == ["岳麓山创新工场", "星沙众创空间", "麓谷创客工场", "株洲芦淞创客空间"]
    assert [ws.cell(r, 15).value for r in range(4, 8)] == ["长沙市科学技术局"] * 3 + [
        "株洲市科学技术局"
    ]
    assert ws.cell(4, 1).value == 1 and ws.cell(7, 1).value == 4


def test_detail_is_a_typed_table(workbook: Path) -> None:
    ws = openpyxl.load_workbook(workbook)["明细"]
    assert list(ws.tables) and ws.freeze_panes == "A2"
    table = ws.tables[next(iter(ws.tables))]
    assert table.ref.startswith("A1:") and table.ref.endswith("5")
    header = {c.value: c.column for c in ws[1]}
    founded = ws.cell(2, header["成立时间"]).value
    assert isinstance(founded, dt.datetime)
    assert ws.cell(2, header["成立时间"]).number_format == "yyyy-mm-dd"
    years = {ws.cell(r, header["成立年份"]).value for r in range(2, 6)}
    assert years <= {2013, 2014, 2015} and all(isinstance(y, int) for y in years)
    flags = {ws.cell(r, header["是否在国家高新区"]).value for r in range(2, 6)}
    assert flags == {"是", "否"}
    types = {ws.cell(r, header["机构性质"]).value for r in range(2, 6)}
    assert types == {"民营企业", "事业单位", "国有企业"}
    assert ws.column_dimensions["B"].width >= 10


def test_stats_totals_match_accepted_and_charts_exist(workbook: Path) -> None:
    ws = openpyxl.load_workbook(workbook)["统计"]
    totals = [r for r in ws.iter_rows(values_only=True) if r[0] == "合计"]
    assert totals[0][-1] == 4  # bureau × institution type: grand total = accepted rows
    detail = pd.read_excel(workbook, sheet_name="明细", engine="calamine")
    assert len(detail) == 4
    with zipfile.ZipFile(workbook) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 4


def test_submissions_list_every_registered_bureau(workbook: Path, settings: Settings) -> None:
    frame = pd.read_excel(workbook, sheet_name="报送情况", engine="calamine")
    registered = [b.name for b in load_registers().bureaus]
    assert frame["推荐单位"].tolist()[: len(registered)] == registered
    status = dict(zip(frame["推荐单位"], frame["状态"], strict=False))
    assert status["长沙市科学技术局"] == "已报送"
    assert status["张家界市科学技术局"] == "未报送"
