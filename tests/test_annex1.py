"""Reading Annex 1 forms: Word tables with merged cells, marked choices, limits in the labels,
the same form laid out in a workbook, and .doc without LibreOffice (SPEC §10)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from conftest import FORM
from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from forms import GOOD_FORM, SPEC, form_values, make_form

from pipeline.core.errors import ConfigError
from pipeline.core.packet_spec import load_packet, parse_packet
from pipeline.packet.annex1 import names_title, read_sheet_form, read_word, word_kind
from pipeline.packet.checks import chosen_type, parse_number
from pipeline.packet.convert import find_soffice, to_docx


def read(path: Path):  # type: ignore[no-untyped-def]
    found = read_word(path, path.name, SPEC, word_kind(path))
    assert not found.problems
    return found.form


def test_a_filled_form_reads_back_every_value(tmp_path: Path) -> None:
    form = read(make_form(tmp_path / "表.docx"))
    assert form is not None
    assert {k: form.values[k] for k in GOOD_FORM} == GOOD_FORM
    assert chosen_type(form.values["institution_type"], SPEC, FORM) == "民营企业"
    assert form.contacts["head"] == {
        "person": "张伟",
        "mobile": "13907310002",
        "email": "zw@example.com",
        "fax": "",
    }
    assert form.contacts["contact"]["mobile"] == "13807310000"
    assert [form.sections[s.field][1] for s in SPEC.sections] == [
        200,
        500,
        1000,
        500,
        500,
        500,
        800,
    ]
    assert form.where["founded"] == "表格第 5 行"


def test_a_form_is_known_by_its_content_not_its_name(tmp_path: Path) -> None:
    assert read(make_form(tmp_path / "说明.docx")) is not None
    letter = Document()
    letter.add_paragraph("关于推荐众创空间备案的函")
    letter.add_paragraph("附件1：众创空间基本信息表（见各空间文件夹）")
    letter.save(str(tmp_path / "众创空间基本信息表.docx"))
    assert word_kind(tmp_path / "众创空间基本信息表.docx") == "docx"
    assert read(tmp_path / "众创空间基本信息表.docx") is None


@pytest.mark.parametrize(
    ("text", "chosen"),
    [
        ("事业单位□ 国有企业□ 民营企业☑ 其他□", "民营企业"),
        ("事业单位□ 国有企业■ 民营企业□ 其他□", "国有企业"),
        ("☑事业单位 □国有企业 □民营企业 □其他", "事业单位"),
        ("事业单位□ 国有企业□ 民营企业√ 其他□", "民营企业"),
        ("事业单位□ 国有企业□ 民营企业✓ 其他□", "民营企业"),
        ("事业单位□ 国有企业□ 民营企业□ 其他是", "其他"),
        ("事业单位（ ）国有企业（√）民营企业（ ）其他（ ）", "国有企业"),
        ("民营", "民营企业"),
        ("事业单位□ 国有企业□ 民营企业□ 其他□", ""),
        ("事业单位☑ 国有企业☑ 民营企业□ 其他□", "事业单位、国有企业"),
    ],
)
def test_the_institution_type_is_marked_in_the_usual_ways(text: str, chosen: str) -> None:
    assert chosen_type(text, SPEC, FORM) == chosen


def test_a_tick_from_a_symbol_font_and_merged_label_cells(tmp_path: Path) -> None:
    """Word's Insert Symbol stores ✓ as <w:sym>; a label merged down the left is read once."""
    doc = Document()
    doc.add_paragraph(SPEC.title)
    table = doc.add_table(rows=6, cols=4)
    table.cell(0, 0).text = "众创空间名称："
    table.cell(0, 1).merge(table.cell(0, 3)).text = "麓谷创客工场"
    table.cell(1, 0).text = "机构性质"
    choice = table.cell(1, 1).merge(table.cell(1, 3)).paragraphs[0]
    choice.add_run("事业单位□ 民营企业")
    choice.add_run()._r.append(
        parse_xml(f'<w:sym {nsdecls("w")} w:font="Wingdings 2" w:char="F052"/>')
    )
    table.cell(2, 0).text = "地址：长沙市岳麓区麓谷大道100号"
    table.cell(3, 0).merge(table.cell(5, 0)).text = "联系方式"
    for col, label in enumerate(("", "姓名", "手机"), start=1):
        if label:
            table.cell(3, col).text = label
    table.cell(4, 1).text, table.cell(4, 2).text = "负责人", "张伟"
    table.cell(4, 3).text = "13907310002"
    table.cell(5, 1).text = "联系人"
    path = tmp_path / "form.docx"
    doc.save(str(path))
    form = read(path)
    assert form is not None
    assert form.values["name"] == "麓谷创客工场"
    assert form.values["address"] == "长沙市岳麓区麓谷大道100号"
    assert chosen_type(form.values["institution_type"], SPEC, FORM) == "民营企业"


def test_the_limit_printed_in_the_label_counts(tmp_path: Path) -> None:
    doc = Document()
    doc.add_paragraph(SPEC.title)
    table = doc.add_table(rows=5, cols=2)
    for r, (label, value) in enumerate(
        [
            ("众创空间名称", "麓谷创客工场"),
            ("运营机构名称", "长沙麓谷创客科技有限公司"),
            ("地址", "长沙"),
            ("主要负责人简介（限 100 字）", "长" * 150),
            ("成功孵化案例", "案例"),
        ]
    ):
        table.cell(r, 0).text, table.cell(r, 1).text = label, value
    path = tmp_path / "form.docx"
    doc.save(str(path))
    form = read(path)
    assert form is not None
    assert form.sections["head_profile"][1:] == (100, "长" * 150)
    assert form.sections["cases"][1] == 500  # no limit printed: the schema's


def test_the_form_laid_out_in_a_workbook(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append([SPEC.title])
    ws.append(["众创空间名称", "麓谷创客工场", None, None])
    ws.merge_cells("B2:D2")
    ws.append(["运营机构名称", "长沙麓谷创客科技有限公司（盖章）"])
    ws.append(["机构性质", "事业单位□", "国有企业□", "民营企业☑"])
    ws.append(["成立时间", "2014年5月", "场地面积", "1200㎡"])
    ws.append([None, "姓名", "手机", "电子邮件", "传真"])
    ws.append(["负责人", "张伟", "13907310002", "zw@example.com", None])
    path = tmp_path / "基本信息表.xlsx"
    book.save(path)
    _sheet, form = read_sheet_form(path, "xlsx", SPEC) or ("", None)
    assert form is not None
    assert form.values["operator"] == "长沙麓谷创客科技有限公司"
    assert chosen_type(form.values["institution_type"], SPEC, FORM) == "民营企业"
    assert form.values["area"] == "1200㎡"
    assert form.contacts["head"]["mobile"] == "13907310002"
    assert form.where["founded"] == "B5"


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1200", 1200.0),
        ("约1,200平方米", 1200.0),
        ("1200 ㎡", 1200.0),
        ("1200m²", 1200.0),
        ("30余家", 30.0),
        ("36次", 36.0),
        ("1.2万平方米", 12000.0),
        ("0", 0.0),
        ("二十家", None),
        ("很多", None),
        ("1000-1500平方米", None),
    ],
)
def test_figures_with_their_units(text: str, number: float | None) -> None:
    assert parse_number(text, SPEC) == number


def ole_doc(path: Path, text: str) -> Path:
    """The bytes a binary Word file shows to a sniffer: OLE header, stream name, UTF-16 text."""
    magic = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    path.write_bytes(magic + "WordDocument".encode("utf-16-le") + text.encode("utf-16-le"))
    return path


@pytest.mark.skipif(find_soffice() is not None, reason="LibreOffice is installed here")
def test_a_doc_form_without_libreoffice_is_refused_with_a_fix(tmp_path: Path) -> None:
    path = ole_doc(tmp_path / "基本信息表.doc", f"{SPEC.title} 众创空间名称")
    assert word_kind(path) == "doc" and names_title(path, SPEC.title)
    found = read_word(path, path.name, SPEC, "doc")
    assert [p.code for p in found.problems] == ["F_ANNEX1_FORMAT"]
    assert "请另存为 .docx" in found.problems[0].hint
    assert "LibreOffice" in found.problems[0].message


def test_a_wps_file_is_known_as_a_document_an_xls_is_not(tmp_path: Path) -> None:
    magic = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    (tmp_path / "表.wps").write_bytes(magic + SPEC.title.encode("utf-16-le"))
    (tmp_path / "表.doc").write_bytes(magic + "Workbook".encode("utf-16-le"))
    assert word_kind(tmp_path / "表.wps") == "doc"
    assert word_kind(tmp_path / "表.doc") == ""  # an Excel workbook saved under a .doc name


@pytest.mark.skipif(find_soffice() is not None, reason="LibreOffice is installed here")
def test_a_doc_that_is_no_form_is_a_document(tmp_path: Path) -> None:
    found = read_word(ole_doc(tmp_path / "导师聘书.doc", "聘书"), "导师聘书.doc", SPEC, "doc")
    assert found.problems == [] and found.form is None


@pytest.mark.skipif(find_soffice() is None, reason="LibreOffice is not installed")
def test_a_doc_form_is_converted_by_libreoffice(tmp_path: Path) -> None:
    soffice = find_soffice()
    assert soffice is not None
    source = make_form(tmp_path / "src" / "表.docx")
    with to_docx(soffice, source) as again:  # any conversion proves the machinery; make a .doc
        assert again.is_file()
    import subprocess

    subprocess.run(
        [str(soffice), "--headless", "--convert-to", "doc", "--outdir", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    found = read_word(tmp_path / "表.doc", "表.doc", SPEC, "doc")
    assert found.problems == [] and found.form is not None
    assert found.form.values["name"] == GOOD_FORM["name"]


def test_the_packet_spec_is_validated(tmp_path: Path) -> None:
    import tomllib

    from pipeline.core.schema import SCHEMAS_DIR

    data = tomllib.loads((SCHEMAS_DIR / "annex1_2016.toml").read_text(encoding="utf-8"))
    assert parse_packet(data, tmp_path / "a.toml").title == SPEC.title
    broken = {**data, "sections": [{"field": "x", "label": "简介"}]}
    with pytest.raises(ConfigError, match="字数限制"):
        parse_packet(broken, tmp_path / "a.toml")
    eight = {**data, "annex2": {**data["annex2"], "kinds": data["annex2"]["kinds"][:8]}}
    with pytest.raises(ConfigError, match="第 1–9 类"):
        parse_packet(eight, tmp_path / "a.toml")
    with pytest.raises(ConfigError, match="缺少"):
        parse_packet({k: v for k, v in data.items() if k != "contacts"}, tmp_path / "a.toml")
    for layout in (data["form"]["layout"][1:], [*data["form"]["layout"], ["name"]], [["x"]]):
        moved = {**data, "form": {**data["form"], "layout": layout}}
        with pytest.raises(ConfigError, match="layout"):
            parse_packet(moved, tmp_path / "a.toml")
    three = [["name", "operator", "address"], *data["form"]["layout"][3:]]
    with pytest.raises(ConfigError, match="layout"):
        parse_packet({**data, "form": {**data["form"], "layout": three}}, tmp_path / "a.toml")
    form = tmp_path / "annex3.toml"
    form.write_text('[form]\nid = "x"\n', encoding="utf-8")
    assert load_packet(form) is None


def test_a_blank_form_is_still_a_form(tmp_path: Path) -> None:
    blank = read(
        make_form(tmp_path / "空白.docx", form_values(choice="", **dict.fromkeys(GOOD_FORM, "")))
    )
    assert blank is not None and blank.values["name"] == ""


def test_beian_template_writes_the_blank_form_as_committed(tmp_path: Path) -> None:
    from conftest import REPO
    from typer.testing import CliRunner

    from pipeline.cli import app
    from pipeline.packet.annex1_docx import template_name

    result = CliRunner().invoke(app, ["template", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    fresh = tmp_path / template_name(SPEC)
    assert f"附件1模板：{fresh}" in result.output.replace("\n", "")
    committed = REPO / "pipeline" / "templates" / template_name(SPEC)
    assert fresh.read_bytes() == committed.read_bytes(), (
        "templates/ is stale: regenerate it with `beian template --out pipeline/templates`"
    )
    blank = read(fresh)
    assert (
        blank is not None
        and len(blank.sections) == 7
        and set(blank.contacts)
        == {
            "head",
            "contact",
        }
    )
