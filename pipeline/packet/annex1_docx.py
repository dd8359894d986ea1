"""The Annex 1 form as a Word document: blank for ``beian template``, or filled (the sample batch
and the tests build real forms with it).

The layout is the notice's: the title, one table of five grid columns with merged value cells,
the 机构性质 options with empty boxes (a chosen one gets a tick), the contact block, the seven
sections with their limits, the signature lines. Every label comes from ``schemas/``, so the
template and the reader cannot drift apart. The zip is written with fixed timestamps, so the
same form gives the same bytes (the committed template is compared with a fresh one).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from docx.table import Table, _Row

from pipeline.core.atomic import write_atomic
from pipeline.core.packet_spec import FieldSpec, PacketSpec, load_packet
from pipeline.core.schema import FormSpec, load_form

COLUMNS = 5
WIDE = [1, COLUMNS - 1]
"""A label and one value across the rest of the row."""
PAIR = [1, 1, 1, COLUMNS - 3]
"""Two labels, each with its value."""
BOX, TICK = "□", "☑"
ZIP_TIME = (2016, 4, 8, 0, 0, 0)
SIGNATURES = (
    "负责人签名：              运营机构（盖章）\n\n                            年   月   日",
    "推荐单位意见：\n\n负责人签名：                 单位（签章）\n\n"
    "                               年    月    日",
)
BUILD_SECTION = "众创空间建设情况"


@dataclass
class FormValues:
    """What a space writes into its form; empty strings leave a cell blank.

    ``choice`` is the institution type to tick, or ``choice_text`` the cell exactly as typed.
    ``contacts`` maps 负责人/联系人 to (姓名, 手机, 电子邮件, 传真).
    """

    values: dict[str, str] = field(default_factory=dict)
    choice: str = ""
    choice_text: str = ""
    contacts: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)
    sections: dict[str, str] = field(default_factory=dict)


def choice_cell(options: list[str], chosen: str, mark: str = TICK) -> str:
    """``事业单位□ 国有企业□ 民营企业☑  其他□`` with ``chosen`` ticked."""
    return " ".join(f"{t}{mark if t == chosen else BOX}" for t in options)


def _row(table: Table, cells: list[str], spans: list[int]) -> _Row:
    """Append a row: each text in a cell spanning its number of grid columns."""
    row = table.add_row()
    col = 0
    for text, span in zip(cells, spans, strict=True):
        cell = row.cells[col]
        if span > 1:
            cell = cell.merge(row.cells[col + span - 1])
        cell.text = text
        col += span
    return row


def build(spec: PacketSpec, form: FormSpec, filled: FormValues | None = None) -> DocumentObject:
    """The form as a python-docx Document, blank or filled."""
    given = filled or FormValues()
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "宋体", Pt(10.5)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(spec.title)
    run.bold, run.font.size = True, Pt(16)
    table = doc.add_table(rows=0, cols=COLUMNS)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    choice = given.choice_text or choice_cell(spec.choice_column(form).options, given.choice)
    seal = spec.seal_notes[0] if spec.seal_notes else ""

    def shown(f: FieldSpec) -> str:
        if f.compare == "choice":
            return choice
        return given.values.get(f.field, "") + (seal if f.sealed else "")

    by_name = {f.field: f for f in spec.fields}
    for names in spec.layout:
        cells = [text for n in names for text in (by_name[n].label, shown(by_name[n]))]
        _row(table, cells, WIDE if len(names) == 1 else PAIR)
    _row(table, [spec.contact_section], [COLUMNS])
    _row(table, ["", *(c.label for c in spec.contact_columns)], [1] * COLUMNS)
    for role in spec.roles:
        people = given.contacts.get(role.label, ("", "", "", ""))
        _row(table, [role.label, *people], [1] * COLUMNS)
    _row(table, [BUILD_SECTION], [COLUMNS])
    for section in spec.sections:
        _row(table, [section.label, given.sections.get(section.field, "")], WIDE)
    for text in SIGNATURES:
        _row(table, [text], [COLUMNS])
    return doc


def save(doc: DocumentObject, path: Path) -> None:
    """Save with fixed zip timestamps: the same form, the same bytes."""
    buffer = io.BytesIO()
    doc.save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))


def template_name(spec: PacketSpec) -> str:
    return f"附件1-{spec.title}.docx"


def write_form(
    path: Path, spec: PacketSpec, form: FormSpec, filled: FormValues | None = None
) -> Path:
    """Write a blank or filled form atomically at ``path``."""
    write_atomic(path, lambda tmp: save(build(spec, form, filled), tmp))
    return path


def write_blank(form_path: Path, directory: Path) -> Path | None:
    """The blank Annex 1 beside the Annex 3 template; None when the form names no packet."""
    spec = load_packet(form_path)
    if spec is None:
        return None
    return write_form(Path(directory) / template_name(spec), spec, load_form(form_path))
