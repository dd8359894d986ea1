"""Annex 1 forms that arrive as PDFs or pictures (SPEC §10).

A PDF printed from Word keeps a text layer: each run of text on a line is a rectangle, so a
line of rectangles left to right is a table row, and the labels and values pair as in a Word
table (the grid column of a rectangle is the cluster of its left edge on the page). A scan or a
photo has no text to read: :func:`unreadable_form` is the one decision whether such a file is
still the form that arrived (F_ANNEX1_FORMAT on the file, W_ANNEX1_UNREADABLE on the space's
row) or merely a supporting document.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from pipeline.core.packet_spec import PacketSpec
from pipeline.core.problems import problem
from pipeline.core.schema import fold
from pipeline.packet.annex1 import FormResult, read_forms, read_word, unreadable, word_kind
from pipeline.packet.annex1_blocks import Block, Row
from pipeline.read.filetype import MAX_FILE_BYTES, human_size

PDF_MAGIC = b"%PDF-"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".heic", ".webp"}
MAX_PAGES = 60
"""A form is two to four pages; a PDF beyond this is a document bundle, read no further."""
LINE_POINTS = 4.0
COLUMN_POINTS = 12.0
"""Rectangles whose vertical centres lie this close share a line; left edges this close, a
column (in points)."""

Rect = tuple[float, float, float, float, str]
_ANNEX_PREFIX = re.compile(r"^附件[1一]?[:：、.]?")


def pdf_kind(path: Path) -> str:
    """``pdf`` for a PDF by its content, ``image`` for a picture by its suffix, else ``""``."""
    try:
        with path.open("rb") as f:
            if PDF_MAGIC in f.read(1024):  # readers allow bytes before the header
                return "pdf"
    except OSError:
        return ""
    return "image" if path.suffix.lower() in IMAGE_SUFFIXES else ""


def _page_rects(page: object) -> list[Rect]:
    text = page.get_textpage()  # type: ignore[attr-defined]
    rects = []
    for i in range(text.count_rects()):
        left, bottom, right, top = text.get_rect(i)
        words = text.get_text_bounded(left, bottom, right, top).strip()
        if words:
            rects.append((left, bottom, right, top, words))
    return rects


def _rows(rects: list[Rect]) -> list[Row]:
    """Rectangles grouped into lines top to bottom, each cell at its column cluster."""
    lefts = sorted({round(r[0]) for r in rects})
    clusters: list[float] = []
    for x in lefts:
        if not clusters or x - clusters[-1] > COLUMN_POINTS:
            clusters.append(x)

    def column(x: float) -> int:
        return max(i for i, start in enumerate(clusters) if start <= round(x) + 0.5)

    lines: list[list[Rect]] = []
    for rect in sorted(rects, key=lambda r: (-(r[1] + r[3]) / 2, r[0])):
        middle = (rect[1] + rect[3]) / 2
        if lines and abs((lines[-1][0][1] + lines[-1][0][3]) / 2 - middle) <= LINE_POINTS:
            lines[-1].append(rect)
        else:
            lines.append([rect])
    return [[(column(r[0]), r[4]) for r in sorted(line, key=lambda r: r[0])] for line in lines]


def pdf_blocks(path: Path) -> list[Block]:
    """Every page's text lines as table rows; a new page is marked as Word's page break is."""
    import pypdfium2  # only when a PDF arrives (start-up time)

    document = pypdfium2.PdfDocument(str(path))
    try:
        blocks: list[Block] = []
        for index in range(min(len(document), MAX_PAGES)):
            rows = _rows(_page_rects(document[index]))
            blocks.extend(Block("", row, page=index > 0 and n == 0) for n, row in enumerate(rows))
        return blocks
    finally:
        document.close()


def unreadable_form(
    file: str, fmt: str, texts: list[str], spec: PacketSpec, why: str = ""
) -> FormResult:
    """The one decision for a PDF or picture from which no form could be read: it is the form
    that arrived, unreadable, when its text holds the form's title as a line of its own or,
    with no text at all (a scan, a photo, a damaged PDF), its file name names the form
    (``file_words`` in schemas/); otherwise it is a supporting document. ``why`` says what
    kept it unread."""
    name = fold(PurePosixPath(file).stem)
    named = any(fold(word) in name for word in spec.file_words)
    if titled(texts, spec) or (not any(texts) and named):
        default = "（文字无法逐项识别）" if any(texts) else "（扫描件或图片，没有可读取的文字）"
        return FormResult(fmt, [], [unreadable(file, fmt, why or default)])
    return FormResult(fmt, [])


def titled(texts: list[str], spec: PacketSpec) -> bool:
    """The form's title as a line of its own (附件1 before it allowed), as a form prints it; a
    letter that names the form in a sentence is no form."""
    title = fold(spec.title)
    return any(_ANNEX_PREFIX.sub("", fold(t)) == title for t in texts)


def read_pdf_or_image(path: Path, file: str, spec: PacketSpec, kind: str) -> FormResult:
    """A PDF read from its text layer (several forms, like a Word document), a picture judged
    by its name (:func:`unreadable_form`)."""
    if kind == "image":
        return unreadable_form(file, "image", [], spec)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        too_large = problem(
            "F_TOO_LARGE", file=file, size=human_size(size), limit=human_size(MAX_FILE_BYTES)
        )
        return FormResult("pdf", [], [too_large])
    try:
        blocks = pdf_blocks(path)
    except Exception as exc:  # pypdfium2 raises PdfiumError on damaged and encrypted files
        why = "（PDF 已加密）" if "password" in str(exc).lower() else "（PDF 文件已损坏）"
        return unreadable_form(file, "pdf", [], spec, why)
    forms = read_forms(blocks, spec)
    texts = [t for b in blocks for t in ([b.text] if b.row is None else [t for _, t in b.row])]
    return FormResult("pdf", forms) if forms else unreadable_form(file, "pdf", texts, spec)


def read_form_file(
    path: Path, file: str, spec: PacketSpec, kind: str, soffice: Path | None
) -> FormResult:
    """One file that may hold Annex 1 forms, by its kind (``docx``, ``doc``, ``pdf``, ``image``):
    the task the guarded workers run for the packet (pipeline/packet.py)."""
    if kind in ("docx", "doc"):
        return read_word(path, file, spec, kind, soffice)
    return read_pdf_or_image(path, file, spec, kind)


def form_kind(path: Path) -> str:
    """Which reader a file goes to: a Word document, a PDF, a picture, or none (``""``)."""
    return word_kind(path) or pdf_kind(path)
