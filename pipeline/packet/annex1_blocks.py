"""A Word document's body in reading order, as the Annex 1 parser wants it (SPEC §10).

python-docx lists the body's paragraphs and top-level tables separately and skips what stands
inside content controls; offices fill forms in all these ways. Here the body is walked once, top
to bottom: a paragraph becomes a text block, a table its rows (a nested table's rows follow the
row that holds it), a content control its content — empty while it shows Word's placeholder.
Each block remembers whether a page break comes before it, so a document holding several forms
can be cut into one piece per form (:func:`pipeline.packet.annex1.read_forms`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

Row = list[tuple[int, str]]
"""One table row: (grid column, text) of each distinct cell, left to right; a merged cell once,
an empty one kept (a label with an empty cell beside it has no value, one alone in its row has
its value in the row below)."""

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


@dataclass
class Block:
    """A paragraph's text (``row`` None) or a table row; ``page`` when a new page starts here."""

    text: str
    row: Row | None
    page: bool = False


def _symbol(element: Any) -> str:
    font = (element.get(f"{_W}font") or "").lower()
    code = int(element.get(f"{_W}char") or "0", 16)
    if code < 0xF000:
        return chr(code)
    return _SYMBOLS.get((font, code), _SYMBOLS.get((font, code | 0xF000), ""))


def paragraph_text(p: Any) -> str:
    """A paragraph's text with tabs, breaks, symbol-font ticks and the glyph of a checkbox
    content control (python-docx's ``.text`` drops the last two); the text of a content
    control still showing its placeholder is no text."""
    shown = {t for sdt in p.iter(f"{_W}sdt") if _is_placeholder(sdt) for t in sdt.iter()}
    parts = []
    for node in p.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr", f"{_W}sym"):
        if node in shown:
            continue
        tag = node.tag.removeprefix(_W)
        if tag == "t":
            parts.append(node.text or "")
        elif tag == "sym":
            parts.append(_symbol(node))
        else:
            parts.append("\t" if tag == "tab" else "\n")
    return "".join(parts).strip()


def _is_placeholder(sdt: Any) -> bool:
    properties = sdt.find(f"{_W}sdtPr")
    return properties is not None and properties.find(f"{_W}showingPlcHdr") is not None


def _breaks_page(p: Any) -> bool:
    """A paragraph that starts a new page: page-break-before, or a section break before it."""
    properties = p.find(f"{_W}pPr")
    return properties is not None and properties.find(f"{_W}pageBreakBefore") is not None


def _ends_page(p: Any) -> bool:
    """A paragraph after which a new page starts: a hard page break or a section break in it."""
    hard = any(br.get(f"{_W}type") == "page" for br in p.iter(f"{_W}br"))
    properties = p.find(f"{_W}pPr")
    return hard or (properties is not None and properties.find(f"{_W}sectPr") is not None)


def _content(container: Any) -> list[Any]:
    """Block-level children, a content control's content in its place (none while it shows
    its placeholder)."""
    out = []
    for child in container:
        if child.tag == f"{_W}sdt":
            if not _is_placeholder(child):
                inner = child.find(f"{_W}sdtContent")
                out.extend(_content(inner) if inner is not None else [])
        elif child.tag in (f"{_W}p", f"{_W}tbl"):
            out.append(child)
    return out


def _grid_span(tc: Any) -> int:
    span = tc.find(f"{_W}tcPr/{_W}gridSpan")
    return int(span.get(f"{_W}val") or 1) if span is not None else 1


def _continues_merge(tc: Any) -> bool:
    """The lower cells of a vertical merge repeat the top one: they count once, at the top."""
    merge = tc.find(f"{_W}tcPr/{_W}vMerge")
    return merge is not None and (merge.get(f"{_W}val") or "continue") == "continue"


def _children(element: Any, tag: str) -> list[Any]:
    """Direct children with ``tag``, those wrapped in a content control included (Word wraps
    rows and cells of repeating sections that way)."""
    out = []
    for child in element:
        if child.tag == tag:
            out.append(child)
        elif child.tag == f"{_W}sdt":
            inner = child.find(f"{_W}sdtContent")
            out.extend(_children(inner, tag) if inner is not None else [])
    return out


def _table(tbl: Any) -> list[Block]:
    blocks: list[Block] = []
    for tr in _children(tbl, f"{_W}tr"):
        row: Row = []
        nested: list[Block] = []
        col = 0
        for tc in _children(tr, f"{_W}tc"):
            parts = _content(tc)
            if not _continues_merge(tc):
                own = [paragraph_text(p) for p in parts if p.tag == f"{_W}p"]
                row.append((col, "\n".join(own).strip()))
            for inner in (p for p in parts if p.tag == f"{_W}tbl"):
                nested.extend(_table(inner))
            col += _grid_span(tc)
        blocks.append(Block("", row))
        blocks.extend(nested)
    return blocks


def body_blocks(body: Any) -> list[Block]:
    """The body's blocks in reading order."""
    blocks: list[Block] = []
    page = False
    for element in _content(body):
        if element.tag == f"{_W}tbl":
            found = _table(element)
            if found:
                found[0].page = page
                page = False
            blocks.extend(found)
            continue
        blocks.append(Block(paragraph_text(element), None, page or _breaks_page(element)))
        page = _ends_page(element)
    return blocks
