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
from pipeline.packet.convert import ConversionFailed, find_soffice, to_docx
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

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_WORD_STREAM = "WordDocument".encode("utf-16-le")
# A binary spreadsheet (Excel, WPS 表格) holds one of these streams; a WPS 文字 file that lacks
# Word's stream is still a document when it is named .wps or .doc.
_SHEET_STREAMS = tuple(name.encode("utf-16-le") for name in ("Workbook", "Book"))
_COLON = ":"
_NOTES = re.compile(r"\([^()]*\)")
# Word stores a symbol inserted from a symbol font as <w:sym w:font=… w:char=…>, not as text;
# these are the boxes and ticks of Wingdings and Wingdings 2 that forms use.
_SYMBOLS = {
    ("wingdings 2", 0xF052): "☑",
    ("wingdings 2", 0xF053): "☒",
    ("wingdings 2", 0xF054): "☒",
    ("wingdings 2", 0xF050): "✓",
    ("wingdings 2", 0xF0A3): "□",
    ("wingdings 2", 0xF02A): "□",
    ("wingdings", 0xF0FE): "☑",
    ("wingdings", 0xF0FD): "☒",
    ("wingdings", 0xF0FC): "✓",
    ("wingdings", 0xF0A8): "□",
    ("wingdings", 0xF06F): "□",
    ("wingdings", 0xF06E): "■",
}

Row = list[tuple[int, str]]
"""One table row: (grid column, text) of each distinct cell, left to right; a merged cell once,
an empty one kept (a label with an empty cell beside it has no value, one alone in its row has
its value in the row below)."""


@dataclass
class FormResult:
    """A read attempt: a form, a document that is no form (``form`` None), or a refusal."""

    fmt: str
    form: FormRead | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.problems)


# --- knowing a word-processing file -------------------------------------------------------------


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


# --- docx to rows ---------------------------------------------------------------------------------


def _symbol(element: Any) -> str:
    font = (element.get(f"{_W}font") or "").lower()
    code = int(element.get(f"{_W}char") or "0", 16)
    if code < 0xF000:
        return chr(code)
    return _SYMBOLS.get((font, code), _SYMBOLS.get((font, code | 0xF000), ""))


def element_text(element: Any) -> str:
    """A cell's or paragraph's text with tabs, breaks, symbol-font ticks and the glyph of a
    checkbox content control (python-docx's ``.text`` drops the last two)."""
    paragraphs = element.iter(f"{_W}p") if element.tag != f"{_W}p" else [element]
    lines = []
    for p in paragraphs:
        parts = []
        for node in p.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr", f"{_W}sym"):
            tag = node.tag.removeprefix(_W)
            if tag == "t":
                parts.append(node.text or "")
            elif tag == "sym":
                parts.append(_symbol(node))
            else:
                parts.append("\t" if tag == "tab" else "\n")
        lines.append("".join(parts))
    return "\n".join(lines).strip()


def docx_rows(path: Path) -> tuple[list[str], list[Row]]:
    """Paragraph texts outside tables, and every table row; a merged cell counts once."""
    from docx import Document  # python-docx only when a Word form arrives (start-up time)

    document = Document(str(path))
    texts = [element_text(p._p) for p in document.paragraphs]
    rows: list[Row] = []
    seen: set[int] = set()
    keep = []  # holds the cell elements so their ids stay unique while deduplicating
    for table in document.tables:
        for row in table.rows:
            out: Row = []
            for col, cell in enumerate(row.cells):
                tc = cell._tc
                keep.append(tc)
                if id(tc) in seen:
                    continue
                seen.add(id(tc))
                out.append((col, element_text(tc)))
            rows.append(out)
    return texts, rows


def grid_rows(grid: list[list[Any]]) -> list[Row]:
    """A sheet's rows as (column, text) of every cell (a merged range keeps its first)."""
    return [[(c, cell_text(value).strip()) for c, value in enumerate(values)] for values in grid]


# --- rows to a form -------------------------------------------------------------------------------


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


class _Labels:
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

    def is_label(self, text: str) -> bool:
        key = _clean_label(text, self.spec)
        known = self.fields | self.roles | self.columns
        return key in known or key in self.other or self.section(text) is not None

    def inline(self, text: str) -> tuple[str, str] | None:
        """``label：value`` typed in one cell."""
        normal = unicodedata.normalize("NFKC", text)
        head, sep, rest = normal.partition(_COLON)
        field_name = self.fields.get(_clean_label(head, self.spec)) if sep else None
        return (field_name, rest.strip()) if field_name and rest.strip() else None


def _until_label(cells: Row, labels: _Labels) -> list[str]:
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


def parse_rows(texts: Iterable[str], rows: list[Row], spec: PacketSpec, layout: str) -> FormRead:
    """Find every value beside its label; ``layout`` is ``table`` (Word) or ``sheet``."""
    labels = _Labels(spec)
    found = FormRead()
    for r, row in enumerate(rows):
        for i, (col, text) in enumerate(row):
            if not text:
                continue
            nxt = row[i + 1] if i + 1 < len(row) else None
            value = " ".join(_until_label(row[i + 1 :], labels))
            at = _where(r, nxt[0] if nxt else col, layout)
            key = _clean_label(text, spec)
            section = labels.section(text)
            if key in labels.fields:
                name = labels.fields[key]
                found.values[name], found.where[name] = strip_seal(value, spec), at
            elif section is not None:
                if nxt is None and r + 1 < len(rows) and len(rows[r + 1]) == 1:
                    below = rows[r + 1][0][1]
                    value = "" if labels.is_label(below) else below
                    at = _where(r + 1, rows[r + 1][0][0], layout)
                limit = LIMIT.search(unicodedata.normalize("NFKC", text))
                printed = int(limit[1]) if limit else section.limit
                found.sections[section.field] = (text, printed, value)
                found.where[section.field] = at
            elif (pair := labels.inline(text)) is not None:
                found.values[pair[0]], found.where[pair[0]] = strip_seal(pair[1], spec), at
    _contacts(rows, labels, found, layout)
    found.labels = len(found.values) + len(found.sections) + len(found.contacts)
    return found


def _contacts(rows: list[Row], labels: _Labels, found: FormRead, layout: str) -> None:
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
            found.where[f"{role}.{name}"] = _where(r, col, layout)


def is_form(texts: Iterable[str], rows: list[Row], found: FormRead, spec: PacketSpec) -> bool:
    """The title somewhere, and at least ``min_labels`` labels found."""
    everything = [*texts, *(t for row in rows for _, t in row)]
    title = fold(spec.title)
    return any(title in fold(t) for t in everything) and found.labels >= spec.min_labels


# --- reading a file -------------------------------------------------------------------------------


def _form_of(texts: list[str], rows: list[Row], spec: PacketSpec, layout: str) -> FormRead | None:
    found = parse_rows(texts, rows, spec, layout)
    return found if is_form(texts, rows, found, spec) else None


def _read_docx(path: Path, spec: PacketSpec) -> FormRead | None:
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
        texts, rows = docx_rows(path)
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError) as exc:
        raise FileRefused("F_UNREADABLE", detail="Word 文件结构损坏") from exc
    return _form_of(texts, rows, spec, "table")


def read_word(path: Path, file: str, spec: PacketSpec, kind: str) -> FormResult:
    """A ``.docx`` read directly; a ``.doc``/``.wps`` converted when LibreOffice is installed.

    Without LibreOffice a binary document that carries the form's title is refused with
    F_ANNEX1_FORMAT (save it as .docx); one that does not is a supporting document.
    """
    try:
        if kind == "docx":
            return FormResult("docx", _read_docx(path, spec))
        soffice = find_soffice()
        if soffice is None:
            if names_title(path, spec.title):
                refusal = problem("F_ANNEX1_FORMAT", file=file, detail="（本机未安装 LibreOffice）")
                return FormResult("doc", None, [refusal])
            return FormResult("doc", None)
        with to_docx(soffice, path) as converted:
            return FormResult("doc", _read_docx(converted, spec))
    except FileRefused as refusal:
        return FormResult(kind, None, [problem(refusal.code, file=file, **refusal.params)])
    except ConversionFailed as failed:
        detail = f"（LibreOffice 转换失败：{failed}）"
        return FormResult(kind, None, [problem("F_ANNEX1_FORMAT", file=file, detail=detail)])


def read_sheet_form(path: Path, fmt: str, spec: PacketSpec) -> tuple[str, FormRead] | None:
    """The form laid out in a workbook: (sheet, form) of the first sheet that is one."""
    for name, _visible, grid, _merges in load_sheets(path, fmt):
        rows = grid_rows(grid)
        found = _form_of([], rows, spec, "sheet")
        if found is not None:
            return name, found
    return None
