"""Read a scanned page on this machine: its text boxes, put back into the cells of its table.

The OCR is the optional ``ocr`` extra (``pip install beian[ocr]``): rapidocr-onnxruntime, whose
models ship inside the wheel, so nothing is fetched at run time. Without it :func:`available`
is False and scans stay unread (the run summary says how to add it).

A page is an image file (JPEG, PNG, TIFF, …) or a page of a PDF without a text layer, rendered
with pypdfium2. It is straightened by its table (:mod:`pipeline.read.scan_grid`), read, and turned
upside up when its title stands in the bottom half (the OCR reads each upside-down line right,
but the lines come in reverse order). Each text box then goes into the table cell holding its
centre; a box outside the table is page text (the title, the lines under the table).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.read.filetype import MAX_FILE_BYTES, human_size
from pipeline.read.guards import FileRefused

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"}
SCAN_SUFFIXES = IMAGE_SUFFIXES | {".pdf"}
DPI = 150
"""Pages are read at 150 dpi: enough for 10.5-point print, and half the OCR time of 200 dpi."""
MAX_SIDE = 2200
"""A photo larger than this (pixels, longer side) is scaled down to it before reading."""
MAX_PAGES = 20
"""Pages of one file read at most; a form or a summary table is at the front of its file."""
MAX_PIXELS = 60_000_000
"""An image declaring more pixels than this is refused unread (a decompression bomb)."""
INSTALL = "pip install beian[ocr]"
UNSURE = "\ufffd"
"""What a cell the OCR could not read reliably holds for the parsers; never a real value."""


def available() -> bool:
    """Whether the ``ocr`` extra is installed (checked without importing it)."""
    return all(importlib.util.find_spec(m) for m in ("rapidocr_onnxruntime", "cv2", "PIL"))


@cache
def _engine() -> Any:
    """The OCR engine, built once per worker process (loading the models takes a second)."""
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


@dataclass(frozen=True)
class Box:
    """A recognised line of text in page pixels, with the OCR's confidence (0–1)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    score: float

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)


@dataclass
class Page:
    """One read page: its straightened image, every box, and the table's rows of cells with the
    boxes each holds (in reading order)."""

    number: int
    image: np.ndarray
    boxes: list[Box]
    rows: list[list[tuple[Any, list[Box]]]] = field(default_factory=list)
    outside: list[Box] = field(default_factory=list)


def has_text_layer(path: Path) -> bool:
    """Whether a PDF carries text on its first pages (then it is no scan: issue 23's reader)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        for index in range(min(len(document), 3)):
            text = document[index].get_textpage().get_text_range()
            if text.strip():
                return True
        return False
    finally:
        document.close()


def page_images(path: Path) -> list[np.ndarray]:
    """The file's pages as RGB arrays (at most :data:`MAX_PAGES`); refused when too large."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise FileRefused(
            "F_TOO_LARGE", size=human_size(path.stat().st_size), limit=human_size(MAX_FILE_BYTES)
        )
    if path.suffix.lower() == ".pdf":
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(str(path))
        try:
            return [
                _fit(np.asarray(document[i].render(scale=DPI / 72).to_pil().convert("RGB")))
                for i in range(min(len(document), MAX_PAGES))
            ]
        finally:
            document.close()
    from PIL import Image, ImageSequence

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    with Image.open(path) as image:
        return [
            _fit(np.asarray(frame.convert("RGB")))
            for _, frame in zip(range(MAX_PAGES), ImageSequence.Iterator(image), strict=False)
        ]


def _fit(image: np.ndarray) -> np.ndarray:
    import cv2

    side = max(image.shape[:2])
    if side <= MAX_SIDE:
        return np.ascontiguousarray(image)
    scale = MAX_SIDE / side
    size = (int(image.shape[1] * scale), int(image.shape[0] * scale))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def recognise(image: np.ndarray) -> list[Box]:
    """Every text line the OCR finds on the image."""
    found, _ = _engine()(image)
    boxes = []
    for corners, text, score in found or []:
        xs, ys = [p[0] for p in corners], [p[1] for p in corners]
        boxes.append(Box(str(text), min(xs), min(ys), max(xs), max(ys), float(score)))
    return boxes


def title_lines(image: np.ndarray, band: float, lines: int = 3) -> list[str]:
    """The tallest lines of the page's top band and of its bottom band turned round (where the
    title of a page scanned upside down stands): a form's title is its largest print. Only those
    few lines are recognised, so knowing a licence or a photo for no form costs ~1 s."""
    cut = max(1, int(image.shape[0] * band))
    strip = np.ascontiguousarray(np.vstack([image[:cut], image[-cut:][::-1, ::-1]]))
    found, _ = _engine()(strip, use_rec=False, use_cls=False)
    spans = [
        (
            int(min(p[1] for p in c)),
            int(max(p[1] for p in c)),
            int(min(p[0] for p in c)),
            int(max(p[0] for p in c)),
        )
        for c in found or []
    ]
    tallest = sorted(spans, key=lambda s: s[0] - s[1])[:lines]
    texts = []
    for y0, y1, x0, x1 in tallest:
        read, _ = _engine()(np.ascontiguousarray(strip[y0:y1, x0:x1]), use_det=False)
        texts += [str(r[0]) for r in read or []]
    return texts


def without_seals(image: np.ndarray) -> np.ndarray:
    """The page with red ink turned to paper, so a seal pressed over a line does not hide it
    from the OCR (print under the seal is darker than red and stays)."""
    import cv2

    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
    hue, sat, val = hsv[:, :, 0], hsv[:, :, 1], hsv[:, :, 2]
    red = ((hue <= 12) | (hue >= 168)) & (sat >= 50) & (val >= 130)  # not the print's dark edges
    clean = image.copy()
    clean[red] = 255
    return clean


def upside_down(boxes: list[Box], height: int, titles: tuple[str, ...]) -> bool:
    """A page whose title line stands in its bottom half was scanned upside down."""
    from pipeline.core.schema import fold

    keys = [fold(t) for t in titles]
    places = [b.centre[1] for b in boxes if any(k and k in fold(b.text) for k in keys)]
    return bool(places) and min(places) > height / 2


def read_page(image: np.ndarray, number: int, titles: tuple[str, ...]) -> Page:
    """Straighten, read, turn upright if needed, and fill the table's cells."""
    import cv2

    from pipeline.read.scan_grid import straighten, table_cells

    page = straighten(image)
    boxes = recognise(without_seals(page))
    if upside_down(boxes, page.shape[0], titles):
        page = np.ascontiguousarray(cv2.rotate(page, cv2.ROTATE_180))
        h, w = page.shape[:2]
        boxes = [Box(b.text, w - b.x1, h - b.y1, w - b.x0, h - b.y0, b.score) for b in boxes]
    cells = table_cells(page)
    boxes = [part for b in boxes for part in split_across(b, cells)]
    found = Page(number, page, boxes)
    taken: set[int] = set()
    for row in cells:
        filled = []
        for cell in row:
            inside = [
                i
                for i, b in enumerate(boxes)
                if i not in taken
                and cell.x0 <= b.centre[0] < cell.x1
                and cell.y0 <= b.centre[1] < cell.y1
            ]
            taken.update(inside)
            filled.append((cell, reading_order([boxes[i] for i in inside])))
        found.rows.append(filled)
    found.outside = reading_order([b for i, b in enumerate(boxes) if i not in taken])
    return found


def split_across(box: Box, cells: list[list[Any]]) -> list[Box]:
    """A line the OCR read across a cell's ruled edge (成立时间 机构性质 as one line) cut at the
    edge, its characters shared out by width (Chinese characters are of one width)."""
    row = next((r for r in cells if r[0].y0 <= box.centre[1] < r[0].y1), None)
    width = box.x1 - box.x0
    if row is None or width <= 0 or len(box.text) < 2:
        return [box]
    edges = [c.x1 for c in row[:-1] if box.x0 + width * 0.1 < c.x1 < box.x1 - width * 0.1]
    if not edges:
        return [box]
    parts, start, left = [], 0, box.x0
    for edge in [*edges, box.x1]:
        end = round(len(box.text) * (edge - box.x0) / width)
        if end > start:
            parts.append(Box(box.text[start:end], left, box.y0, edge, box.y1, box.score))
        start, left = end, edge
    return parts


def reading_order(boxes: list[Box]) -> list[Box]:
    """Boxes line by line (a box starts a new line below the last one's middle), left to right."""
    lines: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: b.y0):
        if lines and box.centre[1] < max(b.y1 for b in lines[-1]):
            lines[-1].append(box)
        else:
            lines.append([box])
    return [b for line in lines for b in sorted(line, key=lambda b: b.x0)]


def cell_text(boxes: list[Box]) -> str:
    """A cell's text: its lines joined as the writer wrote them (Chinese wraps without spaces)."""
    return "".join(b.text for b in boxes).strip()


def cell_score(boxes: list[Box]) -> float:
    """The OCR's confidence in a cell: that of its least certain line."""
    return min((b.score for b in boxes), default=1.0)
