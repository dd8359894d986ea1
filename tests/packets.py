"""Annex 1 forms and packets built in code the ways offices fill and send them (SPEC §10).

Word habits: several spaces' forms in one document (each with its title, or after a page break),
a value typed into the label's own cell, Word's placeholder texts left in unfilled fields,
content controls, a nested table, labels with their unit; sending habits: one .zip for the whole
packet (member names in GBK, as Windows' "send to compressed folder" writes them), a PDF printed
from Word, a scan or a phone photo of the signed paper form.
"""

from __future__ import annotations

import copy
import io
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

from conftest import FORM
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from forms import SPEC, form_values
from pdfs import Cell, text_pdf

from pipeline.packet.annex1_docx import FormValues, build

PLACEHOLDER = "单击或点击此处输入文字。"


def form_doc(filled: FormValues | None = None, **changes: str) -> DocumentObject:
    """The notice's form, filled for GOOD_ROW's space (keywords replace values)."""
    return build(SPEC, FORM, filled or form_values(**changes))


def save_doc(doc: DocumentObject, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def joined(
    docs: Sequence[DocumentObject], page_break: bool = False, titles: bool = True
) -> DocumentObject:
    """Several forms in one document, one after another, as a bureau pastes them together:
    each after a page break or not, each keeping its title or only the first."""
    first = docs[0]
    body = first.element.body
    section = body[-1] if body[-1].tag == qn("w:sectPr") else None
    for doc in docs[1:]:
        if page_break:
            paragraph = first.add_paragraph()
            paragraph.add_run().add_break(WD_BREAK.PAGE)
        elements = [e for e in doc.element.body if e.tag != qn("w:sectPr")]
        if not titles:
            elements = elements[1:]  # the title paragraph
        for element in elements:
            if section is not None:
                section.addprevious(copy.deepcopy(element))
            else:
                body.append(copy.deepcopy(element))
    return first


def cells_with(doc: DocumentObject, text: str) -> list:  # type: ignore[type-arg]
    """The table cells whose whole text is ``text`` (labels), in document order."""
    found = []
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                if cell.text == text and all(c._tc is not cell._tc for c in found):
                    found.append(cell)
    return found


def relabel(doc: DocumentObject, old: str, new: str) -> DocumentObject:
    """A label printed another way (场地面积 → 场地面积（㎡）)."""
    for cell in cells_with(doc, old):
        cell.text = new
    return doc


def value_cell(doc: DocumentObject, label: str):  # type: ignore[no-untyped-def]
    """The cell right of ``label`` in its row."""
    for table in doc.tables:
        for row in table.rows:
            cells = row.cells
            for i, cell in enumerate(cells):
                if cell.text == label:
                    return next(c for c in cells[i + 1 :] if c._tc is not cell._tc)
    raise KeyError(label)


def into_label_cells(doc: DocumentObject, labels: Sequence[str], sep: str = "：") -> DocumentObject:
    """``label：value`` (or the value on the label's next line, ``sep="\n"``) typed into the
    label's cell, the value cell emptied (a habit of forms laid out as one wide column)."""
    for label in labels:
        target = value_cell(doc, label)
        value = target.text
        target.text = ""
        cells_with(doc, label)[0].text = f"{label}{sep}{value}"
    return doc


def content_control(
    doc: DocumentObject, label: str, text: str, placeholder: bool
) -> DocumentObject:
    """The value of ``label`` inside a plain-text content control, still showing Word's
    placeholder or filled in."""
    cell = value_cell(doc, label)
    shown = "<w:showingPlcHdr/>" if placeholder else ""
    sdt = parse_xml(
        f"<w:sdt {nsdecls('w')}><w:sdtPr><w:alias w:val='{label}'/>{shown}<w:text/></w:sdtPr>"
        f"<w:sdtContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:sdtContent></w:sdt>"
    )
    tc = cell._tc
    for p in tc.findall(qn("w:p")):
        tc.remove(p)
    tc.append(sdt)
    return doc


def nested_contacts(doc: DocumentObject) -> DocumentObject:
    """The contact block as a small table nested in one cell of the form (copied forms often
    end up so): the outer rows of the block are emptied."""
    header = cells_with(doc, "姓名")[0]
    outer_rows = []
    for table in doc.tables:
        for row in table.rows:
            if any(c._tc is header._tc for c in row.cells) or row.cells[0].text in (
                "负责人",
                "联系人",
            ):
                outer_rows.append(row)
    texts = [[c.text for c in row.cells] for row in outer_rows]
    for row in outer_rows[1:]:
        row._tr.getparent().remove(row._tr)
    holder = outer_rows[0]
    merged = holder.cells[0].merge(holder.cells[-1])
    merged.text = ""
    inner = merged.add_table(rows=0, cols=len(texts[0]))
    for values in texts:
        cells = inner.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = value
    merged.add_paragraph()
    return doc


def cover_letter(path: Path, bureau: str = "长沙市科学技术局") -> Path:
    doc = Document()
    doc.add_paragraph("关于推荐2016年度第二批众创空间备案的函")
    doc.add_paragraph(f"{bureau}推荐以下众创空间，附件1：众创空间基本信息表见各空间文件夹。")
    return save_doc(doc, path)


def form_pdf(path: Path, filled: FormValues | None = None, pages: int = 1) -> Path:
    """The form printed to PDF from Word: the title, each row's cells left to right at their
    columns, the contact block under its header, each narrative under its label."""
    given = filled or form_values()
    by_field = {f.field: f for f in SPEC.fields}
    lines: list[list[Cell]] = [[(220, SPEC.title)]]
    for names in SPEC.layout:
        line: list[Cell] = []
        for i, name in enumerate(names):
            value = given.values.get(name, "") if name != "institution_type" else "民营企业☑"
            line += [(40 + 260 * i, by_field[name].label), (160 + 270 * i, value)]
        lines.append(line)
    lines.append([(40, SPEC.contact_section)])
    columns = (100, 170, 260, 420)
    lines.append([(x, c.label) for x, c in zip(columns, SPEC.contact_columns, strict=True)])
    for role in SPEC.roles:
        people = given.contacts.get(role.label, ("", "", "", ""))
        cells = [(x, v) for x, v in zip(columns, people, strict=True) if v]
        lines.append([(40, role.label), *cells])
    narratives: list[list[Cell]] = []
    for section in SPEC.sections:
        label = f"{section.short_label}（限{section.limit}字）"
        narratives += [[(40, label)], [(60, given.sections.get(section.field, ""))]]
    if pages == 1:
        return text_pdf(path, [lines + narratives])
    return text_pdf(path, [lines, narratives])


def zipped(
    path: Path, members: dict[str, bytes], utf8: bool = False, encrypted: bool = False
) -> Path:
    """A zip as Windows writes it: member names in GBK without the UTF-8 flag (or with it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, (2016, 4, 10, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    raw = buffer.getvalue()
    if not utf8 or encrypted:
        raw = _gbk_names(raw, encrypted)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return path


def _gbk_names(raw: bytes, encrypted: bool) -> bytes:
    """The same members with GBK names and no UTF-8 flag (bit 11), as Windows writes them
    (zipfile always writes UTF-8 names, so the archive is rebuilt header by header); with the
    encryption flag (bit 0) when ``encrypted``, as a zip with a password declares itself."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    out = bytearray()
    central = bytearray()
    for info, data in entries:
        name = info.filename.encode("gbk")
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        body = compressor.compress(data) + compressor.flush()
        crc = zlib.crc32(data)
        flags = (info.flag_bits & ~0x800 & ~0x8) | (0x1 if encrypted else 0)
        dos_time = (info.date_time[3] << 11) | (info.date_time[4] << 5) | (info.date_time[5] // 2)
        dos_date = ((info.date_time[0] - 1980) << 9) | (info.date_time[1] << 5) | info.date_time[2]
        offset = len(out)
        local = b"PK\x03\x04" + _u16(20) + _u16(flags) + _u16(8) + _u16(dos_time) + _u16(dos_date)
        local += _u32(crc) + _u32(len(body)) + _u32(len(data)) + _u16(len(name)) + _u16(0)
        out += local + name + body
        entry = b"PK\x01\x02" + _u16(20) + _u16(20) + _u16(flags) + _u16(8) + _u16(dos_time)
        entry += _u16(dos_date) + _u32(crc) + _u32(len(body)) + _u32(len(data))
        entry += _u16(len(name)) + _u16(0) + _u16(0) + _u16(0) + _u16(0) + _u32(0) + _u32(offset)
        central += entry + name
    end = b"PK\x05\x06" + _u16(0) + _u16(0) + _u16(len(entries)) + _u16(len(entries))
    end += _u32(len(central)) + _u32(len(out)) + _u16(0)
    buffer.write(bytes(out + central + end))
    return buffer.getvalue()


def _u16(value: int) -> bytes:
    return value.to_bytes(2, "little")


def _u32(value: int) -> bytes:
    return value.to_bytes(4, "little")


def folder_as_zip(folder: Path, path: Path, utf8: bool = False) -> Path:
    """Every file below ``folder`` in a zip of ``path``, with the folder's name as its root."""
    members = {
        f"{folder.name}/{p.relative_to(folder).as_posix()}": p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    return zipped(path, members, utf8=utf8)
