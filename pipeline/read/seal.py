"""Is there a red seal where the form asks for one?

Official seals in China are red ink. A page is judged at each place its form prints for a seal
(``schemas/scan.toml``): the table cell whose text names the place (运营机构（盖章）, 推荐单位意见),
or the line above the table for Annex 3's stamp line; the area searched reaches beyond it, since a
seal is stamped over the line and spills out. Red pixels are counted in HSV (hue near red,
saturated, bright): black print, grey noise and a blue pen are not red; faded red still is. A
seal belongs to the place its centre stands on, so the bureau's seal in the box below does not
count for the operator's line above it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.core.scan_spec import ScanSpec, SealPlace
from pipeline.core.schema import fold
from pipeline.read.ocr import Box, Page, cell_text


@dataclass(frozen=True)
class SealFinding:
    """One place on one page: whether a seal is there; ``located`` False when neither its text
    nor its row could be found (the place itself is then unknown)."""

    page: int
    place: str
    found: bool
    located: bool = True


def red_mask(image: np.ndarray, spec: ScanSpec) -> np.ndarray:
    """Pixels of seal ink: hue within ``spec.hue`` of red, saturated and bright enough."""
    import cv2

    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
    hue, sat, val = hsv[:, :, 0], hsv[:, :, 1], hsv[:, :, 2]
    reddish = (hue <= spec.hue) | (hue >= 180 - spec.hue)
    return reddish & (sat >= spec.min_saturation) & (val >= spec.min_value)


def _region(page: Page, place: SealPlace) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the place before the reach is added, or None."""
    keys = [fold(a) for a in place.anchors]
    for row in page.rows:
        if any(any(k in fold(cell_text(boxes)) for k in keys) for _, boxes in row):
            return row[0][0].y0, row[0][0].y1, row[0][0].x0, row[-1][0].x1
    if place.row == 0:
        above = [b for b in page.outside if any(k in fold(b.text) for k in keys)]
        top = page.rows[0][0][0].y0 if page.rows else page.image.shape[0]
        lines = above or [b for b in page.outside if b.y1 <= top]
        if lines:
            line = _lowest(lines)
            return int(line.y0), int(line.y1), 0, page.image.shape[1]
        return None
    if len(page.rows) >= abs(place.row):
        row = page.rows[place.row]
        return row[0][0].y0, row[0][0].y1, row[0][0].x0, row[-1][0].x1
    return None


def _lowest(lines: list[Box]) -> Box:
    return max(lines, key=lambda b: b.y1)


def seal_centres(image: np.ndarray, spec: ScanSpec) -> list[tuple[float, float]]:
    """The centres of the red marks big enough to be a seal (red pixels joined across the gaps
    between a seal's ring, star and characters, at least ``min_share`` of the page). Two seals
    stamped close together join into one mark: the round seals in it are told apart by their
    rings; a mark with no ring (an oval seal) counts by its middle."""
    import cv2

    mask = red_mask(image, spec).astype(np.uint8)
    joined = cv2.dilate(mask, np.ones((15, 15), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined)
    least = spec.min_share * image.shape[0] * image.shape[1]
    rings = _rings(mask, image.shape[1])
    centres: list[tuple[float, float]] = []
    for label in range(1, count):
        x, y, w, h = stats[label][:4]
        red = int(mask[y : y + h, x : x + w][labels[y : y + h, x : x + w] == label].sum())
        if red < least:
            continue
        inside = [(cx, cy) for cx, cy in rings if labels[int(cy), int(cx)] == label]
        centres += inside or [(x + w / 2, y + h / 2)]
    return centres


def _rings(mask: np.ndarray, width: int) -> list[tuple[float, float]]:
    """Centres of red rings a seal's size (3.6–5 cm across, on a page about 21 cm wide) whose
    circumference is at least half inked: an official seal's ring, not a chance arc."""
    import cv2

    per_cm = width / 21.0
    found = cv2.HoughCircles(
        cv2.GaussianBlur(mask * 255, (5, 5), 0),
        cv2.HOUGH_GRADIENT,
        dp=1.5,
        minDist=1.5 * per_cm,
        param1=100,
        param2=40,
        minRadius=int(1.8 * per_cm),
        maxRadius=int(2.5 * per_cm),
    )
    if found is None:
        return []
    inked = cv2.dilate(mask, np.ones((7, 7), np.uint8))
    angles = np.linspace(0, 2 * np.pi, 90, endpoint=False)
    rings = []
    for x, y, r in found[0]:
        xs = np.clip((x + r * np.cos(angles)).astype(int), 0, mask.shape[1] - 1)
        ys = np.clip((y + r * np.sin(angles)).astype(int), 0, mask.shape[0] - 1)
        if inked[ys, xs].mean() >= 0.5:
            rings.append((float(x), float(y)))
    return rings


def find_seal(page: Page, place: SealPlace, spec: ScanSpec) -> SealFinding:
    """Whether the page carries a red seal centred on ``place`` (its region with the reach)."""
    region = _region(page, place)
    if region is None:
        return SealFinding(page.number, place.place, False, located=False)
    top, bottom, left, right = region
    reach = spec.reach * page.image.shape[0]
    found = any(
        top - reach <= y <= bottom + reach and left - reach <= x <= right + reach
        for x, y in seal_centres(page.image, spec)
    )
    return SealFinding(page.number, place.place, found)
