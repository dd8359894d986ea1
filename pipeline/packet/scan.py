"""Scanned Annex 1 forms (SPEC §15): the page's cells become the rows a Word form gives, and the
same parser (:func:`pipeline.packet.annex1.parse_rows`) finds every value beside its label, so a
scan is matched and checked exactly as a Word form is.

Never silently wrong: a value cell the OCR read with low confidence, or a cell holding ink the
OCR read nothing from, goes to the parser as :data:`UNSURE`; every field that ends up holding it,
or that was not found at all, is blank and named in W_SCAN_UNSURE. Every value read carries
I_FROM_SCAN. The seals are looked for at the places the form prints for them
(:mod:`pipeline.read.seal`).

Two steps, each in the guarded worker: :func:`page_kinds` reads only the top and bottom bands of
each page for a title (cheap: most scans in a packet are licences and photos); :func:`read_form`
reads the form's pages whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.model import FormRead
from pipeline.core.packet_spec import PacketSpec
from pipeline.core.problems import problem
from pipeline.core.scan_spec import ScanSpec, SealPlace, load_scan_spec
from pipeline.core.schema import fold
from pipeline.packet.annex1 import FormResult, Labels, Row, is_form, parse_rows
from pipeline.read import ocr
from pipeline.read.guards import FileRefused
from pipeline.read.scan_grid import ink_share
from pipeline.read.seal import SealFinding, find_seal

UNSURE = ocr.UNSURE
ANNEX1, ANNEX3 = "annex1", "annex3"
OCR_BOX = "口"
"""How the OCR reads an empty check box □."""
SEALS_OK = "齐全"
MAX_FORM_PAGES = 3
"""A scanned form continues on at most two pages after its title page."""


@dataclass
class ScanForm:
    """A scanned form as read: the form (or None), and the pages' seal findings."""

    result: FormResult
    seals: list[SealFinding] = field(default_factory=list)
    pages: int = 0


def page_kinds(path: Path, titles: dict[str, str], band: float) -> list[str]:
    """For every page, the kind whose title its top or bottom band carries (``titles`` maps a
    kind to its title), else ""; a PDF with a text layer is no scan, and a file that opens as no
    image is none either: []."""
    try:
        if path.suffix.lower() == ".pdf" and ocr.has_text_layer(path):
            return []
        images = ocr.page_images(path)
    except (OSError, RuntimeError, ValueError, FileRefused):  # damaged: a document, unread
        return []
    return [ocr.title_kind(image, band, titles) for image in images]


def page_rows(page: ocr.Page, labels: Labels, scan: ScanSpec) -> list[Row]:
    """The table's rows as (grid column, text); an unreliable value cell is :data:`UNSURE`."""
    rows: list[Row] = []
    for row in page.rows:
        out: Row = []
        for cell, boxes in row:
            text = ocr.cell_text(boxes)
            doubtful = ocr.cell_score(boxes) < scan.min_confidence
            inked = not text and ink_share(page.image, cell) >= scan.min_ink
            if text and labels.is_label(text):
                out.append((cell.col, text))
            elif (text and doubtful) or inked:
                out.append((cell.col, UNSURE))
            else:
                out.append((cell.col, text.replace(OCR_BOX, "□")))
        rows.append(out)
    return rows


def _choice(text: str, spec: PacketSpec, options: list[str]) -> str:
    """A tick the OCR lost: when every option but one is followed by an empty box, that one is
    the ticked one (its mark read as nothing); otherwise the text as read."""
    if any(m in text for m in spec.marks):
        return text
    open_ = [o for o in options if o in text and not _boxed(text, o, spec)]
    if len(open_) == 1 and sum(o in text for o in options) == len(options):
        return text.replace(open_[0], open_[0] + spec.marks[0], 1)
    return UNSURE if any(b in text for b in spec.boxes) else text


def _boxed(text: str, option: str, spec: PacketSpec) -> bool:
    after = text[text.index(option) + len(option) :].lstrip()
    return after[:1] in spec.boxes


def unsure_fields(found: FormRead, spec: PacketSpec) -> list[tuple[str, str]]:
    """(key, label) of every field the scan did not read reliably; each is blanked in ``found``."""
    out: list[tuple[str, str]] = []
    for f in spec.fields:
        if UNSURE in found.values.get(f.field, UNSURE):
            found.values[f.field] = ""
            out.append((f.field, f.label))
    for s in spec.sections:
        printed, limit, text = found.sections.get(s.field, (s.label, s.limit, UNSURE))
        if UNSURE in text:
            found.sections[s.field] = (printed, limit, "")
            out.append((s.field, s.short_label))
    for role in spec.roles:
        people = found.contacts.setdefault(role.field, {})
        for column in spec.contact_columns:
            if UNSURE in people.get(column.field, UNSURE):
                people[column.field] = ""
                out.append((f"{role.field}.{column.field}", f"{role.label}{column.label}"))
    return out


def read_form(path: Path, file: str, spec: PacketSpec, first: int, options: list[str]) -> ScanForm:
    """The form whose title stands on page ``first`` (0-based), continued on the pages after
    it until its last seal place has been seen; its seals; its problems as scan notes."""
    scan = load_scan_spec()
    labels = Labels(spec)
    try:
        images = ocr.page_images(path)
    except FileRefused as refusal:
        return ScanForm(
            FormResult("scan", [], [problem(refusal.code, file=file, **refusal.params)])
        )
    pages: list[ocr.Page] = []
    places = scan.places_of(ANNEX1)
    for number in range(first, min(len(images), first + MAX_FORM_PAGES)):
        page = ocr.read_page(images[number], number + 1, (spec.title,))
        pages.append(page)
        if any(any(fold(a) in fold(b.text) for a in places[-1].anchors) for b in page.boxes):
            break
    texts = [b.text for p in pages for b in p.outside]
    rows = [r for p in pages for r in page_rows(p, labels, scan)]
    found = parse_rows(texts, rows, spec, "table")
    if not is_form(texts, rows, found, spec):
        return ScanForm(FormResult("scan", []), pages=len(pages))
    choice = next(f.field for f in spec.fields if f.compare == "choice")
    if choice in found.values:
        found.values[choice] = _choice(found.values[choice], spec, options)
    found.scanned = [("I_FROM_SCAN", "附件1", {})]
    for key, label in unsure_fields(found, spec):
        found.unsure.add(key)
        found.scanned.append(("W_SCAN_UNSURE", label, {"page": str(first + 1)}))
    seals = [_seal(pages, place, scan) for place in places]
    for seal in seals:
        if seal.located and not seal.found:
            found.scanned.append(("W_SEAL_MISSING", seal.place, {"page": str(seal.page)}))
        elif not seal.located:
            found.scanned.append(("W_SCAN_UNSURE", seal.place, {"page": str(seal.page)}))
    return ScanForm(FormResult("scan", [found]), seals, len(pages))


def _seal(pages: list[ocr.Page], place: SealPlace, scan: ScanSpec) -> SealFinding:
    """The place's finding on the page that prints it: the first page where it is located with
    a seal, else where it is located, else the form's last page (place unknown)."""
    findings = [find_seal(p, place, scan) for p in pages]
    located = [f for f in findings if f.located]
    return next((f for f in located if f.found), located[-1] if located else findings[-1])


def seal_summary(form: FormRead) -> str:
    """The 附件核对 盖章 cell of a scanned form: 齐全, or the places without a seal."""
    missing = [label for code, label, _ in form.scanned if code == "W_SEAL_MISSING"]
    return "缺：" + "、".join(missing) if missing else SEALS_OK
