"""The table of a scanned page: straightened, its ruling lines found, its cells cut out.

Forms are tables, and a table's ruled lines survive what scanning and phone cameras do to a page
far better than its text does. So the page is first made square to its table (the table's
outline, a four-cornered shape, is mapped back onto a rectangle: that undoes skew and a camera's
perspective alike); then the horizontal lines give the rows and the vertical lines met in each
row give that row's cells. Text boxes are put into cells afterwards (:mod:`pipeline.read.ocr`).

Lines are looked for in the red channel, where a red seal is as pale as the paper: a seal pressed
over the table does not cut or invent a line. Everything here is numpy and OpenCV (both come
with the ``ocr`` extra).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

LINE_FRACTION = 30
"""A ruling line is at least 1/30 of the page's width (or height) long."""
ROW_COVER = 0.5
"""A row boundary is a horizontal line across at least half the table's width."""
MIN_TABLE_SHARE = 0.15
"""A table outline smaller than this share of the page is no form's table."""


@dataclass(frozen=True)
class Cell:
    """One cell of the table: its grid column (index of its left line among all the table's
    vertical lines) and its box in page pixels."""

    col: int
    x0: int
    y0: int
    x1: int
    y1: int


def ink_channel(image: np.ndarray) -> np.ndarray:
    """The red channel of an RGB page (grey stays grey; a red seal vanishes into the paper)."""
    return image[:, :, 0] if image.ndim == 3 else image


def _binary(image: np.ndarray) -> np.ndarray:
    import cv2  # the ocr extra: only where a scan is read

    gray = ink_channel(image)
    return cv2.adaptiveThreshold(
        255 - gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 15, -5
    )


def line_masks(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The horizontal and the vertical ruling lines of a page, as two binary masks."""
    import cv2  # the ocr extra: only where a scan is read

    bw = _binary(image)
    h, w = bw.shape
    across = cv2.getStructuringElement(cv2.MORPH_RECT, (max(w // LINE_FRACTION, 10), 1))
    down = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(h // (LINE_FRACTION * 2), 10)))
    horizontal = cv2.dilate(cv2.morphologyEx(bw, cv2.MORPH_OPEN, across), np.ones((3, 3)))
    vertical = cv2.dilate(cv2.morphologyEx(bw, cv2.MORPH_OPEN, down), np.ones((3, 3)))
    return horizontal, vertical


def _corners(points: np.ndarray) -> np.ndarray:
    """Four points ordered top-left, top-right, bottom-right, bottom-left."""
    pts = points.reshape(4, 2).astype(np.float32)
    total, diff = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.array(
        [pts[total.argmin()], pts[diff.argmin()], pts[total.argmax()], pts[diff.argmax()]]
    )


def table_outline(image: np.ndarray) -> np.ndarray | None:
    """The four corners of the page's largest ruled table, or None."""
    import cv2  # the ocr extra: only where a scan is read

    horizontal, vertical = line_masks(image)
    contours, _ = cv2.findContours(
        horizontal | vertical, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    if not contours:
        return None
    biggest = max(contours, key=cv2.contourArea)
    if cv2.contourArea(biggest) < MIN_TABLE_SHARE * image.shape[0] * image.shape[1]:
        return None
    hull = cv2.convexHull(biggest)
    for epsilon in (0.02, 0.04, 0.08):
        approx = cv2.approxPolyDP(hull, epsilon * cv2.arcLength(hull, True), True)
        if len(approx) == 4:
            return _corners(approx)
    rect = cv2.boxPoints(cv2.minAreaRect(biggest))
    return _corners(rect)


def paper_only(image: np.ndarray) -> np.ndarray:
    """A photo's desk around the sheet turned white, so the sheet's edge is no ruled line: the
    sheet is the largest bright region (its print, holes in it, are inside its hull, which is
    that of its outline: a few hundred points rather than every pixel)."""
    import cv2  # the ocr extra: only where a scan is read

    gray = ink_channel(image)
    _, bright = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(bright)
    if count < 2:
        return image
    sheet = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    outline, _ = cv2.findContours(
        (labels == sheet).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    filled = np.zeros(gray.shape, np.uint8)
    cv2.fillConvexPoly(filled, cv2.convexHull(np.vstack(outline)), 1)
    hull = cv2.erode(filled, np.ones((9, 9), np.uint8))  # the sheet's edge itself goes too
    if hull.mean() > 0.98:
        return image
    clean = image.copy()
    clean[hull == 0] = 255
    return clean


def straighten(image: np.ndarray) -> np.ndarray:
    """The page with its table made rectangular and upright (skew and perspective undone; a page
    turned upside down stays so, :mod:`pipeline.read.ocr` turns it by where the title is)."""
    import cv2  # the ocr extra: only where a scan is read

    image = paper_only(image)
    corners = table_outline(image)
    if corners is None:
        return image
    (tl, tr, br, bl) = corners
    width = int(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = int(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    x0, y0 = float(min(tl[0], bl[0])), float(min(tl[1], tr[1]))
    target = np.array(
        [[x0, y0], [x0 + width, y0], [x0 + width, y0 + height], [x0, y0 + height]],
        dtype=np.float32,
    )
    matrix = cv2.getPerspectiveTransform(corners, target)
    size = (max(image.shape[1], int(x0 + width) + 1), max(image.shape[0], int(y0 + height) + 1))
    return cv2.warpPerspective(
        image, matrix, size, flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255)
    )


def _runs(profile: np.ndarray, threshold: float) -> list[int]:
    """Middles of the runs where ``profile`` reaches ``threshold``."""
    on = np.flatnonzero(profile >= threshold)
    if not on.size:
        return []
    breaks = np.flatnonzero(np.diff(on) > 1)
    starts = np.r_[on[0], on[breaks + 1]]
    ends = np.r_[on[breaks], on[-1]]
    return [int((s + e) // 2) for s, e in zip(starts, ends, strict=True)]


def table_cells(image: np.ndarray) -> list[list[Cell]]:
    """The cells of the page's table, row by row, each row's cells left to right; [] when the
    page has no ruled table."""
    import cv2  # the ocr extra: only where a scan is read

    horizontal, vertical = line_masks(image)
    contours, _ = cv2.findContours(
        horizontal | vertical, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    if not contours:
        return []
    x, y, w, h = cv2.boundingRect(max(contours, key=cv2.contourArea))
    inside = np.zeros(horizontal.shape, bool)
    inside[y : y + h, x : x + w] = True  # lines of the table only, not a sheet's edge or a rule
    horizontal, vertical = horizontal * inside, vertical * inside
    cols = np.flatnonzero(horizontal.any(axis=0))
    if not cols.size:
        return []
    left, right = int(cols.min()), int(cols.max())
    rows = _runs((horizontal[:, left : right + 1] > 0).sum(axis=1), ROW_COVER * (right - left))
    bands = [(a, b) for a, b in pairwise(rows) if b - a > 8]
    found: list[list[int]] = []
    for top, bottom in bands:
        middle = vertical[top + (bottom - top) // 4 : bottom - (bottom - top) // 4 + 1]
        found.append(_runs((middle > 0).mean(axis=0), 0.6) if middle.size else [])
    every = sorted(x for xs in found for x in xs)
    lines = _cluster(every, max(6, image.shape[1] // 150))
    table: list[list[Cell]] = []
    for (top, bottom), xs in zip(bands, found, strict=True):
        edges = sorted({_nearest(lines, x) for x in xs} | {0, len(lines) - 1}) if lines else []
        table.append([Cell(a, lines[a], top, lines[b], bottom) for a, b in pairwise(edges)])
    return [row for row in table if row]


def _cluster(values: list[int], gap: int) -> list[int]:
    """Positions closer than ``gap`` merged into their mean."""
    groups: list[list[int]] = []
    for v in values:
        if groups and v - groups[-1][-1] <= gap:
            groups[-1].append(v)
        else:
            groups.append([v])
    return [int(sum(g) / len(g)) for g in groups]


def _nearest(lines: list[int], x: int) -> int:
    return min(range(len(lines)), key=lambda i: abs(lines[i] - x))


def ink_share(image: np.ndarray, cell: Cell) -> float:
    """The share of dark pixels inside a cell, its ruled edges left out: text the OCR did not
    read still leaves ink."""
    pad = max(4, (cell.y1 - cell.y0) // 8)
    inner = ink_channel(image)[cell.y0 + pad : cell.y1 - pad, cell.x0 + pad : cell.x1 - pad]
    return float((inner < 128).mean()) if inner.size else 0.0
