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

from pipeline.core.schema import fold
from pipeline.read.filetype import MAX_FILE_BYTES, human_size
from pipeline.read.guards import FileRefused

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"}
SCAN_SUFFIXES = IMAGE_SUFFIXES | {".pdf"}
DPI = 150
"""Pages are read at 150 dpi: enough for 10.5-point print, and half the OCR time of 200 dpi."""
MAX_SIDE = 2200
"""A photo larger than this (pixels, longer side) is scaled down to it before reading."""
DET_SIDE = 1280
"""Text lines are found on the page scaled to this longer side (pixels): 10.5-point print at
150 dpi stays ~16 px tall, well within the detector's reach."""
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


def find_lines(image: np.ndarray) -> list[np.ndarray]:
    """The four corners of every text line on the image, in its own pixels. Lines are found on
    the image scaled to :data:`DET_SIDE`: a line of print stays tall enough for the detector,
    and finding costs a fraction of what it does at full size."""
    import cv2

    scale = min(1.0, DET_SIDE / max(image.shape[:2]))
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    found, _ = _engine()(small, use_rec=False, use_cls=False)
    return [np.asarray(corners, np.float32) / scale for corners in found or []]


def read_lines(image: np.ndarray, lines: list[np.ndarray]) -> list[tuple[str, float]]:
    """The text and confidence of each line, cut from the image at full size, turned the right
    way up line by line, then recognised in batches (the package's own classifier and
    recogniser, as its one-call API uses them)."""
    if not lines:
        return []
    engine = _engine()
    crops, _, _ = engine.text_cls(engine.get_crop_img_list(image, lines))
    read, _ = engine.text_rec(crops)
    return [(str(r[0]), float(r[1])) for r in read]


def recognise(image: np.ndarray) -> list[Box]:
    """Every text line the OCR finds on the image and reads with at least the package's own
    minimum confidence (a line below it is dropped, as the one-call API drops it)."""
    lines = find_lines(image)
    floor = _engine().text_score
    boxes = []
    for corners, (text, score) in zip(lines, read_lines(image, lines), strict=True):
        if score >= floor:
            (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
            boxes.append(Box(text, float(x0), float(y0), float(x1), float(y1), score))
    return boxes


def title_kind(image: np.ndarray, band: float, titles: dict[str, str], lines: int = 3) -> str:
    """The kind (a key of ``titles``) whose title the page carries in its top band or in its
    bottom band turned round (where the title of a page scanned upside down stands), else "".

    A form's title is its largest print, so the tallest lines there are read one by one (height
    measured along a line's own side, which a skewed long line does not inflate), at most
    ``lines`` of them, stopping at the first that completes a title: a form costs one short
    line, a licence or a photo three. A seal stamped over the title is taken out first."""
    cut = max(1, int(image.shape[0] * band))
    strip = without_seals(np.vstack([image[:cut], image[-cut:][::-1, ::-1]]))
    found = find_lines(strip)
    tallest = sorted(found, key=lambda c: -float(np.linalg.norm(c[3] - c[0])))[:lines]
    keys = {kind: fold(title) for kind, title in titles.items()}
    text = ""
    for line in tallest:
        text += fold("".join(t for t, _ in read_lines(strip, [line])))
        kind = next((k for k, key in keys.items() if key in text), "")
        if kind:
            return kind
    return ""


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
