"""The packet corpus: Annex 1 forms and packets as bureaus really fill and send them (SPEC §10).

Each case builds one bureau's inbox folder in code — its Annex 3 workbook with two spaces and the
forms and documents the way offices send them (see tests/packets.py) — runs ``beian run`` on it
and checks the decision a careful clerk would take: each file's status and codes in files.csv,
each space's W_ANNEX/F_ANNEX codes in dispositions.csv, the figures 明细 shows. The cases and
their decisions are listed in docs/packets-as-sent.md.
"""

from __future__ import annotations

import copy
import csv
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import openpyxl
import pytest
from conftest import annex3_grid, good_row, write_grid
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from forms import SPEC, form_values, make_form, save_as_doc
from helpers import run_night
from packets import (
    PLACEHOLDER,
    content_control,
    cover_letter,
    folder_as_zip,
    form_doc,
    form_pdf,
    into_label_cells,
    joined,
    nested_contacts,
    relabel,
    save_doc,
    zipped,
)
from pdfs import scan_pdf, text_pdf
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.config import Settings
from pipeline.packet.convert import find_soffice

# A night through the CLI per packet case: the long form; CI runs it (-m slow).
pytestmark = pytest.mark.slow

BUREAU = "长沙市科技局"
FIRST, SECOND = "麓谷创客工场", "岳麓山创新工场"
SECOND_ROW = good_row(name=SECOND, operator="岳麓山创新有限公司", head="王强")
SECOND_FORM = {"name": SECOND, "operator": "岳麓山创新有限公司"}
SECOND_HEAD = ("王强", "13907310002", "zw@example.com", "")
THIRD = "橘子洲众创空间"  # a space in no Annex 3 row
NINE = ["营业执照", "天使投资基金", "房屋租赁协议", "管理机构设置", "入孵及退出办法",
        "入驻企业名单", "毕业证书", "导师聘书", "路演活动照片"]  # fmt: skip
Build = Callable[[Path], None]


@dataclass(frozen=True)
class PacketCase:
    """An inbox built by ``build`` (given the inbox; the bureau's workbook is already in
    ``长沙市科技局/``) and the clerk's decision: ``files`` maps the end of a file's inbox path to
    (status, codes); ``rows`` each space's packet codes (sorted, ``;``-joined); ``figures`` the
    明细 values of a space."""

    id: str
    build: Build
    files: dict[str, tuple[str, str]]
    rows: dict[str, str]
    figures: dict[str, dict[str, str]] = field(default_factory=dict)
    libreoffice: bool | None = None
    """True: runs with LibreOffice (skipped where absent); False: as without it."""
    workbook: bool = True


def second() -> dict[str, object]:
    return {"filled": form_values(head=SECOND_HEAD, **SECOND_FORM)}


def both_in_one(page_break: bool, titles: bool) -> Build:
    def build(inbox: Path) -> None:
        doc = joined([form_doc(), form_doc(**second())], page_break=page_break, titles=titles)
        save_doc(doc, inbox / BUREAU / "基本信息表（两家）.docx")

    return build


def three_with_orphan(inbox: Path) -> None:
    third = form_doc(form_values(name=THIRD, operator="橘子洲创业有限公司"))
    doc = joined([form_doc(), form_doc(**second()), third], page_break=True)
    save_doc(doc, inbox / BUREAU / "附件1汇总.docx")


def one_form_over_two_pages(inbox: Path) -> None:
    doc = form_doc()
    table = doc.tables[0]
    split = next(r for r in table.rows if r.cells[0].text == "众创空间建设情况")
    split.cells[0].paragraphs[0].paragraph_format.page_break_before = True
    rest = [r._tr for r in table.rows]
    at = rest.index(split._tr)
    second_table = copy.deepcopy(table._tbl)  # Word splits a table at a hard page break
    for tr in rest[at:]:
        table._tbl.remove(tr)
    for tr in list(second_table.findall(qn("w:tr")))[:at]:
        second_table.remove(tr)
    breaker = parse_xml(f'<w:p {nsdecls("w")}><w:r><w:br w:type="page"/></w:r></w:p>')
    table._tbl.addnext(breaker)
    breaker.addnext(second_table)
    save_doc(doc, inbox / BUREAU / FIRST / "基本信息表.docx")


def plain(**changes: str) -> Build:
    def build(inbox: Path) -> None:
        make_form(inbox / BUREAU / FIRST / "基本信息表.docx", **changes)

    return build


def doc_case(build_doc: Callable[[], object], name: str = "基本信息表.docx") -> Build:
    def build(inbox: Path) -> None:
        save_doc(build_doc(), inbox / BUREAU / FIRST / name)  # type: ignore[arg-type]

    return build


def placeholders(inbox: Path) -> None:
    filled = form_values(area=PLACEHOLDER, address=PLACEHOLDER)
    filled.sections["plans"] = PLACEHOLDER
    save_doc(form_doc(filled), inbox / BUREAU / FIRST / "基本信息表.docx")


def narratives_in_label_cells(inbox: Path) -> None:
    doc = form_doc()
    for row in [r for t in doc.tables for r in t.rows]:
        label = row.cells[0].text
        if any(label == s.label for s in SPEC.sections):
            narrative = row.cells[-1].text
            merged = row.cells[0].merge(row.cells[-1])
            merged.text = f"{label}\n{narrative}"
    save_doc(doc, inbox / BUREAU / FIRST / "基本信息表.docx")


def libreoffice_doc(suffix: str) -> Build:
    def build(inbox: Path) -> None:
        soffice = find_soffice()
        assert soffice is not None
        source = make_form(inbox.parent / "src" / "基本信息表.docx")
        doc = save_as_doc(soffice, source, inbox.parent / "converted")
        target = inbox / BUREAU / FIRST / f"基本信息表{suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        doc.rename(target)

    return build


def binary_doc(inbox: Path) -> None:
    magic = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le")
    path = inbox / BUREAU / FIRST / "基本信息表.doc"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(magic + SPEC.title.encode("utf-16-le"))


def pdf(pages: int = 1, name: str = "基本信息表.pdf") -> Build:
    def build(inbox: Path) -> None:
        form_pdf(inbox / BUREAU / FIRST / name, pages=pages)

    return build


def scan(name: str, folder: str = FIRST) -> Build:
    def build(inbox: Path) -> None:
        scan_pdf(inbox / BUREAU / folder / name)

    return build


def photo(name: str) -> Build:
    def build(inbox: Path) -> None:
        path = inbox / BUREAU / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(64))

    return build


def letter_pdf(inbox: Path) -> None:
    text_pdf(
        inbox / BUREAU / "推荐函.pdf",
        [
            [
                [(40, "关于推荐众创空间备案的函")],
                [(40, "附件1：众创空间基本信息表（见各空间文件夹）")],
            ]
        ],
    )


def whole_packet_zipped(utf8: bool) -> Build:
    def build(inbox: Path) -> None:
        folder = inbox / BUREAU
        make_form(folder / FIRST / "基本信息表.docx")
        make_form(folder / SECOND / "基本信息表.docx", **second())
        for name in NINE:
            (folder / FIRST / f"{name}.pdf").write_bytes(b"%PDF-1.4 scan")
        staged = inbox.parent / "staged" / BUREAU
        staged.parent.mkdir(parents=True)
        folder.rename(staged)
        folder_as_zip(staged, inbox / f"{BUREAU}.zip", utf8=utf8)

    return build


def documents_zipped(inbox: Path) -> None:
    make_form(inbox / BUREAU / FIRST / "基本信息表.docx")
    members = {f"{name}.jpg": b"\xff\xd8\xff\xe0" + bytes(16) for name in NINE}
    zipped(inbox / BUREAU / FIRST / "证明材料.zip", members)


def nested_zip(inbox: Path) -> None:
    inner = zipped(
        inbox.parent / "inner.zip",
        {
            f"{FIRST}/基本信息表.docx": make_form(
                inbox.parent / "src" / "基本信息表.docx"
            ).read_bytes()
        },
    )
    zipped(inbox / BUREAU / "附件.zip", {"各空间附件1.zip": inner.read_bytes()})


def too_deep(inbox: Path) -> None:
    inner = zipped(inbox.parent / "a.zip", {"x.txt": b"x"})
    middle = zipped(inbox.parent / "b.zip", {"a.zip": inner.read_bytes()})
    zipped(inbox / BUREAU / "附件.zip", {"b.zip": middle.read_bytes()})


def encrypted_zip(inbox: Path) -> None:
    zipped(inbox / BUREAU / "附件1.zip", {"基本信息表.docx": b"PK\x03\x04secret"}, encrypted=True)


def zip_slip(inbox: Path) -> None:
    zipped(inbox / BUREAU / "附件.zip", {"../../outside.xlsx": b"x", "说明.txt": b"x"})


def zip_bomb(inbox: Path) -> None:
    zipped(inbox / BUREAU / "附件.zip", {"照片.bmp": bytes(8 * 1024 * 1024)})


def rar(inbox: Path) -> None:
    path = inbox / BUREAU / "附件材料.rar"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"Rar!\x1a\x07\x01\x00" + bytes(64))


def named_after_bureau(inbox: Path) -> None:
    make_form(inbox / f"{BUREAU}-{FIRST}基本信息表.docx")


def orphan_named_after_bureau(inbox: Path) -> None:
    make_form(inbox / f"{BUREAU}-附件1.docx", name=THIRD, operator="橘子洲创业有限公司")


def signed_by_bureau(signed: bool) -> Build:
    """A form for a space in no row at the inbox's top, its bureau only in the recommending
    unit's line (or nowhere)."""

    def build(inbox: Path) -> None:
        doc = form_doc(form_values(name=THIRD, operator="橘子洲创业有限公司"))
        cell = next(c for t in doc.tables for r in t.rows for c in r.cells
                    if c.text.startswith("推荐单位意见"))  # fmt: skip
        if signed:
            cell.text = "推荐单位意见：同意推荐。\n长沙市科学技术局（签章）\n2016年4月10日"
        save_doc(doc, inbox / "基本信息表.docx")

    return build


def two_copies(inbox: Path) -> None:
    old = make_form(inbox / BUREAU / FIRST / "基本信息表（旧）.docx", founded="2016年1月")
    new = form_pdf(inbox / BUREAU / FIRST / "基本信息表（盖章版）.pdf")
    os.utime(old, (1_000_000_000, 1_000_000_000))
    os.utime(new, (1_100_000_000, 1_100_000_000))


def title_in_table(inbox: Path) -> None:
    doc = form_doc()
    title = doc.paragraphs[0]
    title._p.getparent().remove(title._p)
    table = doc.tables[0]
    first = table.rows[0]
    new = table.add_row()
    first._tr.addprevious(new._tr)
    merged = new.cells[0].merge(new.cells[-1])
    merged.text = f"附件1\n{SPEC.title}"
    save_doc(doc, inbox / BUREAU / FIRST / "基本信息表.docx")


F = "基本信息表.docx"
ANNEX1 = ("annex1", "")
UNREAD = ("rejected", "F_ANNEX1_FORMAT")
MISSING = "W_ANNEX1_MISSING"
ORPHAN = ("annex1", "W_ANNEX1_ORPHAN")
AREA_COLUMN = "场地面积（平方米）"
AREA = {AREA_COLUMN: "1200.0", "组织活动次数": "36.0", "入驻团队和企业数": "20.0"}
INLINE = ["众创空间名称", "地址", "运营机构名称"]

CASES = [
    PacketCase("one-form-per-space-folder", plain(), {F: ANNEX1}, {FIRST: "", SECOND: MISSING},
               {FIRST: AREA}),
    PacketCase("two-forms-one-docx-each-titled", both_in_one(False, True),
               {"（两家）.docx": ANNEX1}, {FIRST: "", SECOND: ""}, {FIRST: AREA, SECOND: AREA}),
    PacketCase("two-forms-after-page-break", both_in_one(True, True),
               {"（两家）.docx": ANNEX1}, {FIRST: "", SECOND: ""}),
    PacketCase("two-forms-page-break-no-second-title", both_in_one(True, False),
               {"（两家）.docx": ANNEX1}, {FIRST: "", SECOND: ""}),
    PacketCase("two-forms-pasted-no-break-no-title", both_in_one(False, False),
               {"（两家）.docx": ANNEX1}, {FIRST: "", SECOND: ""}),
    PacketCase("three-forms-one-not-in-annex3", three_with_orphan,
               {"附件1汇总.docx": ("annex1", "W_ANNEX1_ORPHAN")}, {FIRST: "", SECOND: ""}),
    PacketCase("one-form-over-two-pages", one_form_over_two_pages, {F: ANNEX1},
               {FIRST: "", SECOND: MISSING}),
    PacketCase("name-and-address-typed-in-label-cell",
               doc_case(lambda: into_label_cells(form_doc(), INLINE)),
               {F: ANNEX1}, {FIRST: "", SECOND: MISSING}),
    PacketCase("values-on-the-label-s-next-line",
               doc_case(lambda: into_label_cells(form_doc(), INLINE, sep="\n")),
               {F: ANNEX1}, {FIRST: "", SECOND: MISSING}),
    PacketCase("narratives-written-in-label-cell", narratives_in_label_cells, {F: ANNEX1},
               {FIRST: "", SECOND: MISSING}),
    PacketCase("word-placeholders-left-in", placeholders, {F: ANNEX1},
               {FIRST: "W_ANNEX1_EMPTY", SECOND: MISSING}),
    PacketCase("content-control-showing-placeholder",
               doc_case(lambda: content_control(form_doc(), "场地面积", PLACEHOLDER, True)),
               {F: ANNEX1}, {FIRST: "W_ANNEX1_EMPTY", SECOND: MISSING}),
    PacketCase("content-control-filled",
               doc_case(lambda: content_control(form_doc(), "场地面积", "1200平方米", False)),
               {F: ANNEX1}, {FIRST: "", SECOND: MISSING}, {FIRST: {AREA_COLUMN: "1200.0"}}),
    PacketCase("custom-placeholder-text-in-control",
               doc_case(lambda: content_control(form_doc(), "成立时间", "请选择日期", True)),
               {F: ANNEX1}, {FIRST: "", SECOND: MISSING}),
    PacketCase("contacts-in-nested-table", doc_case(lambda: nested_contacts(form_doc())),
               {F: ANNEX1}, {FIRST: "", SECOND: MISSING}),
    PacketCase("labels-with-units",
               doc_case(lambda: relabel(relabel(form_doc(), "场地面积", "场地面积（㎡）"),
                                        "组织活动次数", "组织活动次数（次/年）")),
               {F: ANNEX1}, {FIRST: "", SECOND: MISSING}, {FIRST: AREA}),
    PacketCase("unit-label-does-not-run-into-date",
               doc_case(lambda: relabel(form_doc(founded="2014年5月"), "场地面积", "场地面积(m²)")),
               {F: ANNEX1}, {FIRST: "", SECOND: MISSING}),
    PacketCase("title-inside-the-table-wps-style", title_in_table, {F: ANNEX1},
               {FIRST: "", SECOND: MISSING}),
    PacketCase("doc-saved-by-libreoffice", libreoffice_doc(".doc"), {"基本信息表.doc": ANNEX1},
               {FIRST: "", SECOND: MISSING}, {FIRST: AREA}, libreoffice=True),
    PacketCase("wps-named-binary-saved-by-libreoffice", libreoffice_doc(".wps"),
               {"基本信息表.wps": ANNEX1}, {FIRST: "", SECOND: MISSING}, libreoffice=True),
    PacketCase("doc-without-libreoffice", binary_doc, {"基本信息表.doc": UNREAD},
               {FIRST: "W_ANNEX1_UNREADABLE", SECOND: MISSING}, libreoffice=False),
    PacketCase("pdf-printed-from-word", pdf(), {"基本信息表.pdf": ANNEX1},
               {FIRST: "", SECOND: MISSING}, {FIRST: AREA}),
    PacketCase("pdf-over-two-pages", pdf(pages=2), {"基本信息表.pdf": ANNEX1},
               {FIRST: "", SECOND: MISSING}),
    PacketCase("scanned-form-pdf", scan("基本信息表（盖章扫描件）.pdf"),
               {"扫描件）.pdf": UNREAD}, {FIRST: "W_ANNEX1_UNREADABLE", SECOND: MISSING}),
    PacketCase("photo-of-form-named-after-space", photo(f"{SECOND}-基本信息表.jpg"),
               {"基本信息表.jpg": ("rejected", "F_ANNEX1_FORMAT")},
               {FIRST: MISSING, SECOND: "W_ANNEX1_UNREADABLE"}),
    PacketCase("scanned-licence-is-a-document", scan("营业执照.pdf"),
               {"营业执照.pdf": ("annex2", "")}, {FIRST: "W_ANNEX2_MISSING", SECOND: ""}),
    PacketCase("cover-letter-pdf-is-no-form", letter_pdf, {"推荐函.pdf": ("ignored", "")},
               {FIRST: "", SECOND: ""}),
    PacketCase("cover-letter-docx-is-no-form",
               lambda inbox: cover_letter(inbox / BUREAU / "推荐函.docx"),
               {"推荐函.docx": ("ignored", "")}, {FIRST: "", SECOND: ""}),
    PacketCase("docx-and-stamped-pdf-of-one-form", two_copies,
               {"（旧）.docx": ("superseded", ""), "（盖章版）.pdf": ANNEX1},
               {FIRST: "", SECOND: MISSING}),
    PacketCase("form-bureau-from-file-name", named_after_bureau,
               {"基本信息表.docx": ANNEX1}, {FIRST: "", SECOND: MISSING}),
    PacketCase("orphan-form-bureau-from-file-name", orphan_named_after_bureau,
               {"附件1.docx": ("annex1", "W_ANNEX1_ORPHAN")}, {FIRST: MISSING, SECOND: MISSING}),
    PacketCase("orphan-form-bureau-from-its-stamp-line", signed_by_bureau(True),
               {"基本信息表.docx": ORPHAN}, {FIRST: MISSING, SECOND: MISSING}),
    PacketCase("orphan-form-with-no-bureau-anywhere", signed_by_bureau(False),
               {"基本信息表.docx": ORPHAN}, {FIRST: "", SECOND: ""}),
    PacketCase("whole-packet-zip-gbk-names", whole_packet_zipped(False),
               {f"{BUREAU}.zip": ("archive", ""), f"{FIRST}/基本信息表.docx": ANNEX1,
                f"{FIRST}/营业执照.pdf": ("annex2", ""), "汇总表.xlsx": ("live", "")},
               {FIRST: "", SECOND: ""}, workbook=False),
    PacketCase("whole-packet-zip-utf8-names", whole_packet_zipped(True),
               {f"{BUREAU}.zip": ("archive", ""), f"{SECOND}/基本信息表.docx": ANNEX1},
               {FIRST: "", SECOND: ""}, workbook=False),
    PacketCase("documents-zipped-in-space-folder", documents_zipped,
               {"证明材料.zip": ("archive", ""), "证明材料.zip/导师聘书.jpg": ("annex2", "")},
               {FIRST: "", SECOND: MISSING}),
    PacketCase("zip-inside-zip", nested_zip,
               {"附件.zip": ("archive", ""), "各空间附件1.zip": ("archive", ""),
                f"各空间附件1.zip/{FIRST}/基本信息表.docx": ANNEX1},
               {FIRST: "", SECOND: MISSING}),
    PacketCase("zip-nested-too-deep", too_deep,
               {"附件.zip": ("archive", ""), "b.zip": ("archive", ""),
                "a.zip": ("rejected", "F_ARCHIVE")},
               {FIRST: "", SECOND: ""}),
    PacketCase("encrypted-zip", encrypted_zip, {"附件1.zip": ("rejected", "F_ARCHIVE")},
               {FIRST: "", SECOND: ""}),
    PacketCase("zip-slip-member", zip_slip, {"附件.zip": ("rejected", "F_ARCHIVE")},
               {FIRST: "", SECOND: ""}),
    PacketCase("zip-bomb-member", zip_bomb, {"附件.zip": ("rejected", "F_ARCHIVE")},
               {FIRST: "", SECOND: ""}),
    PacketCase("rar-without-a-tool", rar, {"附件材料.rar": ("rejected", "F_ARCHIVE")},
               {FIRST: "", SECOND: ""}),
]  # fmt: skip


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def without(rows: list[dict[str, str]], *keys: str) -> list[dict[str, str]]:
    """Rows without the columns naming files (a member's path starts with the archive's)."""
    return [{k: v for k, v in r.items() if k not in keys} for r in rows]


def packet_codes(codes: str) -> str:
    return ";".join(sorted(c for c in codes.split(";") if c.startswith(("W_ANNEX", "F_ANNEX"))))


def params(cases: list[PacketCase]) -> list[object]:
    """The cases; those that save and convert a .doc with LibreOffice (two launches, seconds
    each) run with the long forms."""
    slow = [pytest.mark.slow]
    return [pytest.param(c, id=c.id, marks=slow if c.libreoffice else ()) for c in cases]


@pytest.mark.parametrize("case", params(CASES))
def test_a_clerk_would_decide_the_packet(
    case: PacketCase,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    if case.libreoffice is True:
        request.getfixturevalue("libreoffice")
    elif case.libreoffice is False:
        request.getfixturevalue("without_libreoffice")
    grid = annex3_grid([good_row(), SECOND_ROW])
    write_grid(settings.inbox / BUREAU / "汇总表.xlsx", grid, "xlsx")
    case.build(settings.inbox)
    out = run_night(settings)
    files = {f["file"]: (f["status"], f["codes"]) for f in read_csv(out / "files.csv")}
    for suffix, want in case.files.items():
        found = [got for name, got in files.items() if name.endswith(suffix)]
        assert found == [want], (suffix, files)
    rows = {r["name"]: r for r in read_csv(out / "dispositions.csv")}
    assert {name: r["disposition"] for name, r in rows.items()} == {
        FIRST: "accepted",
        SECOND: "accepted",
    }
    assert {name: packet_codes(rows[name]["codes"]) for name in case.rows} == case.rows
    detail = {r["众创空间名称"]: r for r in read_csv(out / "明细.csv")}
    for name, values in case.figures.items():
        assert {k: detail[name][k] for k in values} == values, name


def test_a_zipped_packet_with_gbk_names_consolidates_like_its_folder(
    settings: Settings, tmp_path: Path
) -> None:
    grid = annex3_grid([good_row(), SECOND_ROW])
    write_grid(settings.inbox / BUREAU / "汇总表.xlsx", grid, "xlsx")
    make_form(settings.inbox / BUREAU / FIRST / "基本信息表.docx")
    unzipped = run_night(settings)
    folder_rows = read_csv(unzipped / "dispositions.csv")
    folder_detail = read_csv(unzipped / "明细.csv")
    zipped_inbox = tmp_path / "zipped"
    zipped_inbox.mkdir()
    folder_as_zip(settings.inbox / BUREAU, zipped_inbox / f"{BUREAU}.zip")
    again = run_night(
        replace(settings, inbox=zipped_inbox, outbox=tmp_path / "out2", ledger=tmp_path / "l2")
    )
    assert without(read_csv(again / "dispositions.csv"), "file") == without(folder_rows, "file")
    names = ("来源文件", "附件1")
    assert without(read_csv(again / "明细.csv"), *names) == without(folder_detail, *names)
    files = {f["file"]: f["status"] for f in read_csv(again / "files.csv")}
    assert files[f"{BUREAU}.zip"] == "archive"
    assert files[f"{BUREAU}.zip/{BUREAU}/{FIRST}/基本信息表.docx"] == "annex1"


def test_the_packet_corpus_is_large_and_every_case_has_a_decision() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)
    assert all(c.files and c.rows for c in CASES)


def test_check_a_pdf_form_against_its_workbook(tmp_path: Path) -> None:
    """``beian check`` takes a PDF form like a Word one: read, matched, the mismatch shown."""
    workbook = write_grid(tmp_path / "mine" / "汇总表.xlsx", annex3_grid([good_row()]), "xlsx")
    form = form_pdf(tmp_path / "mine" / "基本信息表.pdf", form_values(founded="2016年1月"))
    result = CliRunner().invoke(app, ["check", str(workbook), str(form)])
    assert result.exit_code == 0, result.output
    receipt = openpyxl.load_workbook(tmp_path / "mine" / "汇总表-回执.xlsx")
    lines = [r for r in receipt["问题清单"].values if r[1] == "成立时间"]
    assert len(lines) == 1 and "2016年1月" in lines[0][3] and "基本信息表.pdf" in lines[0][3]


@pytest.mark.parametrize(
    ("name", "content", "unreadable"),
    [
        ("基本信息表.pdf", b"%PDF-1.4 damaged", True),  # named the form, no text to read
        ("营业执照.pdf", b"%PDF-1.4 damaged", False),  # a supporting document
        ("说明.pdf", None, True),  # the title as a line, its labels not pairable
        ("函.pdf", "letter", False),  # the title inside a sentence
    ],
)
def test_the_one_decision_on_a_form_that_cannot_be_read(
    tmp_path: Path, name: str, content: bytes | str | None, unreadable: bool
) -> None:
    from pipeline.packet.pdfform import read_pdf_or_image

    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is None:
        text_pdf(path, [[[(200, SPEC.title)], [(40, "（本表手写，见扫描件）")]]])
    else:
        text_pdf(path, [[[(40, f"请各单位按附件填写{SPEC.title}并盖章。")]]])
    found = read_pdf_or_image(path, name, SPEC, "pdf")
    assert found.forms == []
    assert [p.code for p in found.problems] == (["F_ANNEX1_FORMAT"] if unreadable else [])
