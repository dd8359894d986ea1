"""A scanned Annex 3 page (SPEC §15), for a bureau that sent only the stamped printout: each page
that carries the table's title becomes a sheet's grid — the lines above the table one a row, then
the table's rows with each cell's text at its grid column — and from there the Annex 3 reader
reads it exactly as it reads a workbook (:func:`pipeline.read.workbook.read_file`).

A cell the OCR read with low confidence, or with ink but no text, is blank with W_SCAN_UNSURE at
that cell; every row read carries I_FROM_SCAN; the bureau's seal is looked for at the stamp line
(W_SEAL_MISSING when none is there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.core.problems import Problem, problem
from pipeline.core.scan_spec import ScanSpec, load_scan_spec
from pipeline.core.schema import FormSpec
from pipeline.read import ocr
from pipeline.read.scan_grid import ink_share
from pipeline.read.seal import find_seal

UNSURE = ocr.UNSURE
ANNEX3 = "annex3"
PAGE = "第{}页"


def is_scan(path: Path) -> bool:
    """An image or PDF that the OCR extra can read (without it, the reader refuses it as before)."""
    return path.suffix.lower() in ocr.SCAN_SUFFIXES and ocr.available()


def _grid(page: ocr.Page, scan: ScanSpec) -> list[list[Any]]:
    top = page.rows[0][0][0].y0 if page.rows else page.image.shape[0]
    above = [b for b in page.outside if b.centre[1] < top]
    lines: list[list[Any]] = []
    for box in above:  # reading order: a new line where a box starts below the last one
        if lines and box.y0 < lines[-1][1]:
            lines[-1][0] += box.text
        else:
            lines.append([box.text, box.y1])
    grid: list[list[Any]] = [[text] for text, _ in lines]
    width = 1 + max((cell.col for row in page.rows for cell, _ in row), default=0)
    for row in page.rows:
        values: list[Any] = [""] * width
        for cell, boxes in row:
            text = ocr.cell_text(boxes)
            unsure = text and ocr.cell_score(boxes) < scan.min_confidence
            inked = not text and ink_share(page.image, cell) >= scan.min_ink
            values[cell.col] = UNSURE if unsure or inked else text
        grid.append(values)
    return grid


def scan_sheets(path: Path, file: str, form: FormSpec) -> tuple[list[Any], list[Problem]]:
    """The Annex 3 pages of a scan as (name, visible, grid, merges) sheets, and the missing
    seals; a scan without the title gives no sheet (the reader then says it has no header)."""
    scan = load_scan_spec()
    sheets: list[Any] = []
    found: list[Problem] = []
    for number, image in enumerate(ocr.page_images(path), start=1):
        if not ocr.title_kind(image, scan.title_band, {ANNEX3: form.title}):
            continue
        page = ocr.read_page(image, number, (form.title,))
        name = PAGE.format(number)
        sheets.append((name, True, _grid(page, scan), []))
        for place in scan.places_of(ANNEX3):
            seal = find_seal(page, place, scan)
            if not seal.found:
                found.append(
                    problem(
                        "W_SEAL_MISSING",
                        file=file,
                        sheet=name,
                        document=file,
                        page=number,
                        place=place.place,
                    )
                )
    return sheets, found


def unsure_cells(file: str, table: Any, labels: dict[str, str]) -> list[Problem]:
    """Blank every unsure cell of a scanned table (W_SCAN_UNSURE there); I_FROM_SCAN on every
    row read."""
    from pipeline.core.cells import cell_address

    out: list[Problem] = []
    page = table.sheet
    for row in table.frame.index:
        first = next(iter(table.columns), None)
        out.append(
            problem(
                "I_FROM_SCAN",
                file=file,
                sheet=page,
                row=int(row),
                document=file,
                cell=cell_address(int(row), table.columns[first]) if first else "",
            )
        )
        for fld, col in table.columns.items():
            if UNSURE in str(table.frame.at[row, fld]):
                table.frame.at[row, fld] = ""
                out.append(
                    problem(
                        "W_SCAN_UNSURE",
                        file=file,
                        sheet=page,
                        row=int(row),
                        cell=cell_address(int(row), col),
                        column=labels.get(fld, fld),
                        document=file,
                        page=page.strip("第页"),
                        field=labels.get(fld, fld),
                    )
                )
    return out
