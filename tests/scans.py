"""Scans made in code the way scans really look (SPEC §15): the Annex 1 form and an Annex 3
sheet rendered by LibreOffice, rasterised by pypdfium2, then stamped, turned, skewed, noised,
blurred, saved as JPEG or photographed at an angle. Rendered base pages are cached for the
test session (LibreOffice takes seconds a page)."""

from __future__ import annotations

import subprocess
import tempfile
from functools import cache
from pathlib import Path

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2", reason="the ocr extra is not installed: pip install beian[ocr]")
pdfium = pytest.importorskip("pypdfium2", reason="the ocr extra is not installed")
pytest.importorskip("rapidocr_onnxruntime", reason="the ocr extra is not installed")

from forms import form_values, make_form  # noqa: E402
from PIL import Image  # noqa: E402

from pipeline.packet.annex1_docx import FormValues  # noqa: E402
from pipeline.packet.convert import find_soffice  # noqa: E402
from pipeline.read.scan_grid import table_cells  # noqa: E402

DPI = 150
SHEET_DPI = 200
"""A landscape table of fourteen columns is printed small: bureaus scan it at 200 dpi."""
RED = (200, 30, 35)


def need_soffice() -> str:
    soffice = find_soffice()
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: the scans are rendered with it")
    return str(soffice)


def render(path: Path, dpi: int = DPI) -> list[np.ndarray]:
    """A document's pages as RGB arrays: LibreOffice to PDF, pypdfium2 to pixels."""
    with tempfile.TemporaryDirectory() as out:
        profile = f"-env:UserInstallation={(Path(out) / 'profile').as_uri()}"  # private: no lock
        subprocess.run(
            [
                need_soffice(),
                profile,
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
                out,
                str(path),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        document = pdfium.PdfDocument(str(Path(out) / (path.stem + ".pdf")))
        try:
            return [
                np.asarray(page.render(scale=dpi / 72).to_pil().convert("RGB")) for page in document
            ]
        finally:
            document.close()


_FORMS: dict[str, np.ndarray] = {}


def form_page(**changes: object) -> np.ndarray:
    """The filled Annex 1 form of GOOD_ROW's space as a clean page (a copy: callers draw on it)."""
    filled: FormValues = form_values(**changes)  # type: ignore[arg-type]
    key = repr(filled)
    if key not in _FORMS:
        with tempfile.TemporaryDirectory() as folder:
            _FORMS[key] = render(make_form(Path(folder) / "form.docx", filled))[0]
    return _FORMS[key].copy()


@cache
def _sheet_page(rows: tuple[tuple[str, ...], ...], bureau: str) -> np.ndarray:
    """The printout as a bureau makes it: title, stamp line, the ruled table, landscape. Laid out
    in a Word document because this machine's LibreOffice has Writer only, not Calc; on paper
    the two look alike."""
    from conftest import FORM, LABELS
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    section.left_margin = section.right_margin = Cm(1.5)
    style = document.styles["Normal"]
    style.font.name, style.font.size = "宋体", Pt(9)
    title = document.add_paragraph().add_run(FORM.title)
    title.bold, title.font.size = True, Pt(16)
    document.add_paragraph(FORM.stamp_label + bureau)
    table = document.add_table(rows=1 + len(rows), cols=1 + len(LABELS))
    table.style = "Table Grid"
    for c, label in enumerate(["序号", *LABELS]):
        table.cell(0, c).text = label
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate([str(r), *values]):
            table.cell(r, c).text = value
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "annex3.docx"
        document.save(str(path))
        return render(path, SHEET_DPI)[0]


def sheet_page(rows: list[dict[str, object]], bureau: str = "长沙市科学技术局") -> np.ndarray:
    """An Annex 3 summary table filled with ``rows`` and printed (landscape, one page)."""
    from conftest import FORM

    cells = tuple(tuple(str(row.get(c.field, "")) for c in FORM.columns) for row in rows)
    return _sheet_page(cells, bureau).copy()


def stamp_place(image: np.ndarray) -> tuple[int, int]:
    """Where the bureau stamps its Annex 3: on the stamp line just above the table."""
    first = table_cells(image)[0]
    return (first[0].x0 + (first[-1].x1 - first[0].x0) // 3, first[0].y0 - SHEET_DPI // 5)


# --- seals ----------------------------------------------------------------------------------------


def seal(
    image: np.ndarray, centre: tuple[int, int], fade: float = 0.0, dpi: int = DPI
) -> np.ndarray:
    """A round official seal 4 cm across (ring, star, an arc of characters) pressed in red ink
    over what is there; ``fade`` 0–1 lightens the ink as an old pad does."""
    ink = tuple(int(c + (255 - c) * fade) for c in RED)
    layer = np.full_like(image, 255)
    radius = int(dpi * 2 / 2.54)  # 2 cm
    cv2.circle(layer, centre, radius, ink, thickness=max(3, radius // 12))
    star = [
        (
            int(centre[0] + (radius // 3 if k % 2 == 0 else radius // 7) * np.sin(k * np.pi / 5)),
            int(centre[1] - (radius // 3 if k % 2 == 0 else radius // 7) * np.cos(k * np.pi / 5)),
        )
        for k in range(10)
    ]
    cv2.fillPoly(layer, [np.array(star, dtype=np.int32)], ink)
    for k in range(9):
        angle = np.pi * (0.8 + 1.4 * k / 8)
        x = int(centre[0] + radius * 0.75 * np.cos(angle))
        y = int(centre[1] + radius * 0.75 * np.sin(angle))
        side = radius // 10
        cv2.rectangle(layer, (x - side, y - side), (x + side, y + side), ink, thickness=2)
    return np.minimum(image, layer)  # ink multiplies: the print shows through the seal


def seal_places(image: np.ndarray) -> dict[str, tuple[int, int]]:
    """Where a clerk stamps the form: over 运营机构（盖章） and in the 推荐单位意见 box."""
    rows = table_cells(image)
    operator, bureau = rows[-2], rows[-1]
    left, right = operator[0].x0, operator[-1].x1
    return {
        "operator": (left + (right - left) * 2 // 5, (operator[0].y0 + operator[0].y1) // 2),
        "bureau": (left + (right - left) * 2 // 5, (bureau[0].y0 + bureau[0].y1) // 2),
    }


def sealed(image: np.ndarray, places: tuple[str, ...] = ("operator", "bureau"), fade=0.0):  # type: ignore[no-untyped-def]
    where = seal_places(image)
    for name in places:
        image = seal(image, where[name], fade)
    return image


# --- what scanners and cameras do --------------------------------------------------------------


def rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    """Turned on the glass by ``degrees`` (the page grows white corners)."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), borderValue=(255, 255, 255))


def upside_down(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image[::-1, ::-1])


def noise(image: np.ndarray, sigma: float = 12.0, seed: int = 7) -> np.ndarray:
    grain = np.random.default_rng(seed).normal(0, sigma, image.shape)
    return np.clip(image.astype(float) + grain, 0, 255).astype(np.uint8)


def blur(image: np.ndarray, size: int = 3) -> np.ndarray:
    return cv2.GaussianBlur(image, (size, size), 0)


def grey_paper(image: np.ndarray, shade: int = 225) -> np.ndarray:
    """A cheap scanner's grey paper: white becomes ``shade``."""
    return (image.astype(float) * shade / 255).astype(np.uint8)


def photo(image: np.ndarray, tilt: float = 0.06) -> np.ndarray:
    """A phone photo taken at an angle: the page a trapezium on a darker desk, unevenly lit."""
    h, w = image.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dx, dy = w * tilt, h * tilt / 2
    dst = np.float32([[dx, dy], [w - dx * 0.3, 0], [w, h - dy], [0, h]])
    warped = cv2.warpPerspective(
        image, cv2.getPerspectiveTransform(src, dst), (w, h), borderValue=(90, 80, 70)
    )
    light = np.linspace(0.8, 1.0, w)[None, :, None]
    return (warped.astype(float) * light).astype(np.uint8)


def save(image: np.ndarray, path: Path, quality: int = 80) -> Path:
    """As JPEG (at ``quality``), PNG, TIFF or an image-only PDF, by the suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    picture = Image.fromarray(image)
    if path.suffix.lower() in (".jpg", ".jpeg"):
        picture.save(path, quality=quality)
    elif path.suffix.lower() == ".pdf":
        picture.save(path, resolution=DPI)
    else:
        picture.save(path)
    return path
