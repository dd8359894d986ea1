"""Seals and ruled tables on drawn pages (no OCR needed, only the extra's OpenCV): a red seal is
found at its place, faded or over print; a seal in the box below does not count for the line
above; blue ink and black print are no seal; a skewed or photographed table is made square."""

from __future__ import annotations

import numpy as np
import pytest
from scans import photo, rotate, seal

from pipeline.core.scan_spec import load_scan_spec
from pipeline.read.ocr import Box, Page
from pipeline.read.scan_grid import straighten, table_cells
from pipeline.read.seal import find_seal

cv2 = pytest.importorskip("cv2")
SPEC = load_scan_spec()
OPERATOR, BUREAU = SPEC.places_of("annex1")
ROWS = [120, 200, 280, 360, 560, 760]
LEFT, MIDDLE, RIGHT = 150, 400, 1100


def ruled() -> np.ndarray:
    """A white A4 page at 150 dpi with a ruled table: five rows, two columns in the first three."""
    page = np.full((1650, 1250, 3), 255, np.uint8)
    for y in ROWS:
        cv2.line(page, (LEFT, y), (RIGHT, y), (0, 0, 0), 2)
    for x in (LEFT, RIGHT):
        cv2.line(page, (x, ROWS[0]), (x, ROWS[-1]), (0, 0, 0), 2)
    cv2.line(page, (MIDDLE, ROWS[0]), (MIDDLE, ROWS[3]), (0, 0, 0), 2)
    for y in ROWS[:-1]:
        cv2.putText(page, "text", (LEFT + 20, y + 50), cv2.FONT_HERSHEY_SIMPLEX, 1, (0, 0, 0), 2)
    return page


def page_of(image: np.ndarray, texts: dict[int, str] | None = None) -> Page:
    """The page as the reader sees it: its cells, with ``texts`` in the first cell of a row."""
    page = Page(1, image, [])
    for r, row in enumerate(table_cells(image)):
        boxes = []
        if texts and r in texts:
            c = row[0]
            boxes = [Box(texts[r], c.x0 + 5, c.y0 + 5, c.x0 + 200, c.y0 + 40, 1.0)]
        page.rows.append([(cell, boxes if i == 0 else []) for i, cell in enumerate(row)])
    return page


SIGNED = {3: "负责人签名：运营机构（盖章）年月日", 4: "推荐单位意见：负责人签名：单位（签章）"}


def test_the_table_is_cut_into_its_rows_and_cells() -> None:
    rows = table_cells(ruled())
    assert [len(r) for r in rows] == [2, 2, 2, 1, 1]
    assert rows[0][1].col == 1 and rows[3][0].col == 0


@pytest.mark.parametrize(
    ("stamped", "operator", "bureau"),
    [
        ({}, False, False),
        ({"operator": 0.0}, True, False),
        ({"bureau": 0.0}, False, True),
        ({"operator": 0.0, "bureau": 0.0}, True, True),
        ({"operator": 0.6, "bureau": 0.5}, True, True),  # faded ink
    ],
)
def test_each_seal_is_found_at_its_own_place(stamped, operator, bureau) -> None:
    image = ruled()
    centres = {
        "operator": (500, (ROWS[3] + ROWS[4]) // 2),
        "bureau": (500, (ROWS[4] + ROWS[5]) // 2),
    }
    for name, fade in stamped.items():
        image = seal(image, centres[name], fade)
    page = page_of(image, SIGNED)
    assert find_seal(page, OPERATOR, SPEC).found is operator
    assert find_seal(page, BUREAU, SPEC).found is bureau


def test_a_seal_spilling_over_the_line_above_counts_only_where_its_centre_is() -> None:
    image = seal(ruled(), (500, ROWS[4] + 60))  # the bureau's seal, near the top of its box
    page = page_of(image, SIGNED)
    assert not find_seal(page, OPERATOR, SPEC).found
    assert find_seal(page, BUREAU, SPEC).found


def test_blue_ink_and_black_print_are_no_seal() -> None:
    image = ruled()
    cv2.circle(image, (500, (ROWS[3] + ROWS[4]) // 2), 60, (30, 40, 200), 6)  # a blue stamp
    cv2.circle(image, (500, (ROWS[4] + ROWS[5]) // 2), 60, (20, 20, 20), 6)  # black print
    page = page_of(image, SIGNED)
    assert not find_seal(page, OPERATOR, SPEC).found
    assert not find_seal(page, BUREAU, SPEC).found


def test_a_place_whose_text_was_not_read_is_found_by_its_row() -> None:
    image = seal(ruled(), (500, (ROWS[3] + ROWS[4]) // 2))
    found = find_seal(page_of(image), OPERATOR, SPEC)
    assert found.located and found.found
    assert not find_seal(page_of(image), BUREAU, SPEC).found


def test_a_page_without_a_table_has_no_place() -> None:
    blank = Page(1, np.full((1650, 1250, 3), 255, np.uint8), [])
    assert not find_seal(blank, OPERATOR, SPEC).located


@pytest.mark.parametrize("distort", [lambda p: rotate(p, 2.0), photo], ids=["skew", "photo"])
def test_a_skewed_or_photographed_table_is_made_square(distort) -> None:
    rows = table_cells(straighten(distort(ruled())))
    assert [len(r) for r in rows] == [2, 2, 2, 1, 1]
