"""Read an Annex 1 form (众创空间基本信息表): Word ``.docx``, a workbook laid out the same way, or
a ``.doc``/``.wps`` converted by LibreOffice when it is installed.

Every layout becomes the same thing first: rows of (grid column, text) with a merged cell's
repeats dropped, so one parser finds values beside their labels, the marked 机构性质 choice, the
two contact rows under their column header and the seven narratives with the limits printed in
their labels. A document is a form when it carries the title and enough labels: its content
decides, never its name. Nothing here judges a value; :mod:`pipeline.packet.assemble` does.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.cells import cell_address
from pipeline.core.model import FormRead
from pipeline.core.packet_spec import LIMIT, PacketSpec
from pipeline.core.problems import Problem, problem
from pipeline.core.schema import fold
from pipeline.core.values import cell_text
from pipeline.packet.annex1_blocks import Block, Row, body_blocks
from pipeline.packet.convert import ConversionFailed, to_docx
from pipeline.read.filetype import (
    MAX_FILE_BYTES,
    OLE_MAGIC,
    ZIP_MAGIC,
    check_declared_sizes,
    human_size,
    inspect_part,
)
from pipeline.read.grids import load_sheets
from pipeline.read.guards import FileRefused

_WORD_STREAM = "WordDocument".encode("utf-16-le")
# A binary spreadsheet (Excel, WPS 表格) holds one of these streams; a WPS 文字 file that lacks
# Word's stream is still a document when it is named .wps or .doc.
_SHEET_STREAMS = tuple(name.encode("utf-16-le") for name in ("Workbook", "Book"))
_COLON = ":"
FORMAT_NAMES = {"doc": ".doc 或 .wps", "pdf": "PDF", "image": "图片"}
"""How F_ANNEX1_FORMAT names the format of a form that cannot be read."""
_NOTES = re.compile(r"\([^()]*\)")


@dataclass
class FormResult:
    """A read attempt: the forms a file holds (none: a document that is no form), or a
    refusal."""

    fmt: str
    forms: list[FormRead]
    problems: list[Problem] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.problems)

    @property
    def form(self) -> FormRead | None:
        """The first form, for callers that read one space's own form."""
        return self.forms[0] if self.forms else None


def word_kind(path: Path) -> str:
    """``docx`` for a Word 2007+ package, ``doc`` for a binary Word/WPS document, else ``""``."""
    try:
        with path.open("rb") as f:
            head = f.read(8)
        if head.startswith(ZIP_MAGIC):
            with zipfile.ZipFile(path) as archive:
                return "docx" if "word/document.xml" in archive.namelist() else ""
        if head.startswith(OLE_MAGIC) and path.stat().st_size <= MAX_FILE_BYTES:
            data = path.read_bytes()
            sheet = any(name in data for name in _SHEET_STREAMS)
            named = path.suffix.lower() in (".doc", ".wps") and not sheet
            return "doc" if _WORD_STREAM in data or named else ""
    except (OSError, zipfile.BadZipFile):
        return ""
    return ""


def names_title(path: Path, title: str) -> bool:
    """Whether a binary document carries the form's title (Word keeps Chinese text as UTF-16)."""
    data = path.read_bytes()
    return any(title.encode(enc) in data for enc in ("utf-16-le", "gb18030"))


def docx_blocks(path: Path) -> list[Block]:
    """The document's paragraphs and table rows in reading order (pipeline/annex1_blocks.py)."""
    from docx import Document  # python-docx only when a Word form arrives (start-up time)

    return body_blocks(Document(str(path)).element.body)


def grid_rows(grid: list[list[Any]]) -> list[Row]:
    """A sheet's rows as (column, text) of every cell (a merged range keeps its first)."""
    return [[(c, cell_text(value).strip()) for c, value in enumerate(values)] for values in grid]


def _clean_label(text: str, spec: PacketSpec) -> str:
    folded = fold(text)
    for note in spec.seal_notes:
        folded = folded.replace(fold(note), "")
    return folded.rstrip(_COLON + "*")


def strip_seal(text: str, spec: PacketSpec) -> str:
    """A value without the form's printed seal note (运营机构名称 shows （盖章） in its cell)."""
    for note in spec.seal_notes:
        text = text.replace(note, "")
    return text.strip()


class Labels:
    """Which label a cell is, if any: a field, a section, a contact role or column."""

    def __init__(self, spec: PacketSpec) -> None:
        self.spec = spec
        self.fields = {fold(s): f.field for f in spec.fields for s in f.spellings}
        self.roles = {fold(r.label): r.field for r in spec.roles}
        self.columns = {fold(s): c.field for c in spec.contact_columns for s in c.spellings}
        self.sections = [(fold(s.short_label), s) for s in spec.sections]
        self.other = {fold(spec.contact_section)}

    def section(self, text: str) -> Any:
        """The section a cell names: its label once the notes in brackets are removed (the
        limit, 含导师、培训…), so a narrative that starts with the same words is no label."""
        key = _clean_label(_NOTES.sub("", unicodedata.normalize("NFKC", text)), self.spec)
        return next((s for name, s in self.sections if key == name), None)

    def field(self, text: str) -> str | None:
        """The field a label names, with or without a unit or note in brackets (场地面积（㎡））."""
        key = _clean_label(text, self.spec)
        found = self.fields.get(key)
        return found or self.fields.get(_clean_label(_NOTES.sub("", fold(text)), self.spec))

    def is_label(self, text: str) -> bool:
        key = _clean_label(text, self.spec)
        known = self.roles | self.columns
        named = self.field(text) is not None or self.section(text) is not None
        return named or key in known or key in self.other

    def inline(self, text: str) -> tuple[str, str] | None:
        """``label：value`` typed in one cell (or the value on the label's next line)."""
        head, rest = _split_label(text)
        field_name = self.field(head) if rest else None
        return (field_name, rest) if field_name else None

    def inline_section(self, text: str) -> tuple[Any, str, str] | None:
        """A narrative written in its label's own cell, after a colon or on the next line:
        (section, the label as printed, the narrative)."""
        head, rest = _split_label(text)
        section = self.section(head) if rest else None
        return (section, head, rest) if section is not None else None


def _split_label(text: str) -> tuple[str, str]:
    """(label, the rest) of a cell cut at its first colon or line break; ("", "") when it has
    neither. The rest keeps its characters as typed."""
    cuts = [i for i in (text.find("："), text.find(_COLON), text.find("\n")) if i > 0]
    if not cuts:
        return "", ""
    return text[: min(cuts)].strip(), text[min(cuts) + 1 :].strip()


def _until_label(cells: Row, labels: Labels) -> list[str]:
    """The texts after a label up to the next label (a choice may span several cells)."""
    out = []
    for _, text in cells:
        if text and labels.is_label(text):
            break
        if text:
            out.append(text)
    return out


def _where(row: int, col: int, layout: str) -> str:
    return cell_address(row + 1, col) if layout == "sheet" else f"表格第 {row + 1} 行"


def _section_value(found: FormRead, section: Any, label: str, value: str, at: str) -> None:
    limit = LIMIT.search(unicodedata.normalize("NFKC", label))
    printed = int(limit[1]) if limit else section.limit
    found.sections[section.field] = (label, printed, value)
    found.where[section.field] = at


def parse_rows(
    texts: Iterable[str], rows: list[Row], spec: PacketSpec, layout: str, first: int = 0
) -> FormRead:
    """Find every value beside its label; ``layout`` is ``table`` (Word) or ``sheet``;
    ``first`` is the number of the first row (a document holding several forms)."""
    labels = Labels(spec)
    found = FormRead()
    for r, row in enumerate(rows):
        for i, (col, text) in enumerate(row):
            if not text:
                continue
            nxt = row[i + 1] if i + 1 < len(row) else None
            value = " ".join(_until_label(row[i + 1 :], labels))
            at = _where(r + first, nxt[0] if nxt else col, layout)
            name, section = labels.field(text), labels.section(text)
            if name is not None:
                found.values[name], found.where[name] = strip_seal(value, spec), at
            elif section is not None:
                if nxt is None and r + 1 < len(rows) and len(rows[r + 1]) == 1:
                    below = rows[r + 1][0][1]
                    value = "" if labels.is_label(below) else below
                    at = _where(r + first + 1, rows[r + 1][0][0], layout)
                _section_value(found, section, text, value, at)
            elif (pair := labels.inline(text)) is not None:
                found.values[pair[0]], found.where[pair[0]] = strip_seal(pair[1], spec), at
            elif (narrative := labels.inline_section(text)) is not None:
                own = _where(r + first, col, layout)
                _section_value(found, narrative[0], narrative[1], narrative[2], own)
    _contacts(rows, labels, found, layout, first)
    found.labels = len(found.values) + len(found.sections) + len(found.contacts)
    return found


def _contacts(rows: list[Row], labels: Labels, found: FormRead, layout: str, first: int) -> None:
    """The rows 负责人/联系人 read under the header row 姓名 手机 电子邮件 传真, by grid column."""
    header: dict[int, str] = {}
    for r, row in enumerate(rows):
        named = {col: labels.columns.get(_clean_label(t, labels.spec)) for col, t in row if t}
        columns = {col: name for col, name in named.items() if name}
        if len(columns) >= 2:
            header = columns
            continue
        role = next(
            (
                labels.roles[k]
                for _, t in row
                if (k := _clean_label(t, labels.spec)) in labels.roles
            ),
            None,
        )
        if role is None or not header:
            continue
        cells = dict(row)
        found.contacts[role] = {name: cells.get(col, "").strip() for col, name in header.items()}
        for col, name in header.items():
            found.where[f"{role}.{name}"] = _where(r + first, col, layout)


def is_form(texts: Iterable[str], rows: list[Row], found: FormRead, spec: PacketSpec) -> bool:
    """The title somewhere, and at least ``min_labels`` labels found."""
    return names_form([*texts, *(t for row in rows for _, t in row)], spec) and (
        found.labels >= spec.min_labels
    )


def names_form(texts: Iterable[str], spec: PacketSpec) -> bool:
    title = fold(spec.title)
    return any(title in fold(t) for t in texts)


def clean_placeholders(text: str, spec: PacketSpec) -> str:
    """A text without the placeholders of unfilled fields (单击或点击此处输入文字。)."""
    for shown in spec.placeholders:
        for end in ("。", ".", ""):
            text = text.replace(shown + end, "")
    return text.strip()


def _texts(block: Block) -> list[str]:
    return [block.text] if block.row is None else [t for _, t in block.row if t]


def _names_space(block: Block, labels: Labels) -> bool:
    """Whether the block holds the 众创空间名称 label (alone or as ``label：value``)."""
    heads = [unicodedata.normalize("NFKC", t).partition(_COLON)[0] for t in _texts(block)]
    return any(labels.field(head) == "name" for head in heads if head)


def _pieces(blocks: list[Block], spec: PacketSpec) -> list[list[Block]]:
    """The document cut where a form starts: at its title, at a new page that names a space
    (众创空间名称), or at a second 众创空间名称 in the same piece (forms pasted one after
    another); a page that names no space continues the form before it."""
    labels, title = Labels(spec), fold(spec.title)
    pieces: list[list[Block]] = []
    for block in blocks:
        titled = any(title in fold(t) for t in _texts(block))
        named = _names_space(block, labels)
        again = named and any(_names_space(b, labels) for b in pieces[-1]) if pieces else False
        if not pieces or titled or (block.page and named) or again:
            pieces.append([])
        pieces[-1].append(block)
    return pieces


def read_forms(blocks: list[Block], spec: PacketSpec, layout: str = "table") -> list[FormRead]:
    """Every form of a document, top to bottom: a document may hold several spaces' forms."""
    for block in blocks:
        block.text = clean_placeholders(block.text, spec)
        if block.row is not None:
            block.row = [(c, clean_placeholders(t, spec)) for c, t in block.row]
    if not names_form([b.text for b in blocks] + [t for b in blocks for _, t in b.row or []], spec):
        return []
    forms, first = [], 0
    for piece in _pieces(blocks, spec):
        rows = [b.row for b in piece if b.row is not None]
        found = parse_rows([b.text for b in piece if b.row is None], rows, spec, layout, first)
        first += len(rows)
        if found.labels >= spec.min_labels:
            found.stamp = _stamp([t for b in piece for t in _texts(b)], spec)
            forms.append(found)
    return forms


def _stamp(texts: list[str], spec: PacketSpec) -> str:
    """The text after the recommending unit's marker (推荐单位意见：…), where a bureau signs."""
    for text in texts:
        for marker in spec.stamp_markers:
            _, found, rest = text.partition(marker)
            if found:
                return rest.strip(" ：:\n")
    return ""


def _read_docx(path: Path, spec: PacketSpec) -> list[FormRead]:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise FileRefused(
            "F_TOO_LARGE", size=human_size(path.stat().st_size), limit=human_size(MAX_FILE_BYTES)
        )
    try:
        with zipfile.ZipFile(path) as archive:
            check_declared_sizes(archive.infolist())
            for info in archive.infolist():
                if info.filename.endswith((".xml", ".rels")):
                    inspect_part(archive, info)
        blocks = docx_blocks(path)
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError) as exc:
        raise FileRefused("F_UNREADABLE", detail="Word 文件结构损坏") from exc
    return read_forms(blocks, spec)


def read_word(
    path: Path, file: str, spec: PacketSpec, kind: str, soffice: Path | None
) -> FormResult:
    """A ``.docx`` read directly; a ``.doc``/``.wps`` converted with ``soffice`` (LibreOffice,
    found once by the caller), else refused with F_ANNEX1_FORMAT (save it as .docx) when it
    carries the form's title; one that does not is a supporting document.
    """
    try:
        if kind == "docx":
            return FormResult("docx", _read_docx(path, spec))
        if soffice is None:
            if names_title(path, spec.title):
                absent = unreadable(file, "doc", "（本机未安装 LibreOffice）")
                return FormResult("doc", [], [absent])
            return FormResult("doc", [])
        with to_docx(soffice, path) as converted:
            return FormResult("doc", _read_docx(converted, spec))
    except FileRefused as refusal:
        return FormResult(kind, [], [problem(refusal.code, file=file, **refusal.params)])
    except ConversionFailed as failed:
        detail = f"（LibreOffice 转换失败：{failed}）"
        return FormResult(kind, [], [unreadable(file, "doc", detail)])


def unreadable(file: str, fmt: str, detail: str) -> Problem:
    """F_ANNEX1_FORMAT: the form arrived, but not in a form beian can read."""
    shown = FORMAT_NAMES.get(fmt, fmt)
    return problem("F_ANNEX1_FORMAT", file=file, format=shown, detail=detail)


def read_sheet_form(path: Path, fmt: str, spec: PacketSpec) -> tuple[str, FormRead] | None:
    """The form laid out in a workbook: (sheet, form) of the first sheet that is one."""
    for name, _visible, grid, _merges in load_sheets(path, fmt):
        rows = grid_rows(grid)
        found = parse_rows([], rows, spec, "sheet")
        if is_form([], rows, found, spec):
            return name, found
    return None
