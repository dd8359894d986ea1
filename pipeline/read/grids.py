"""Loading grids: every sheet of a workbook (or a CSV) as rows of cell values, and the cells of an
.xlsx whose formulas calamine cannot show (errors, formulas never calculated)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

import python_calamine

from pipeline.core.model import Grid, Merge
from pipeline.read import odsxml
from pipeline.read.filetype import MAX_FILE_BYTES, UTF16_BOMS, row_cap
from pipeline.read.guards import FileRefused

_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def load_sheets(path: Path, fmt: str) -> list[tuple[str, bool, Grid, list[Merge]]]:
    """Every sheet as (name, visible, rows of values, merged ranges), at most ``row_cap() + 1``
    rows each.

    CSV is one visible sheet. Workbooks are opened by content (calamine sniffs the format), so a
    workbook with the wrong extension reads as what it is.
    """
    if fmt == "csv":
        return [(path.stem, True, _csv_grid(path), [])]
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes()))
    except BaseException as exc:  # calamine raises its own types for every kind of damage
        raise _calamine_refusal(exc) from exc
    sheets = []
    spans = _ods_merges(path) if fmt == "ods" else {}
    with book:
        for meta in book.sheets_metadata:
            if str(meta.typ).endswith("ChartSheet"):
                continue
            try:
                sheet = book.get_sheet_by_name(meta.name)
                grid = sheet.to_python(skip_empty_area=False, nrows=row_cap() + 1)
            except BaseException as exc:
                raise _calamine_refusal(exc) from exc
            visible = str(meta.visible).endswith("Visible")
            sheets.append((meta.name, visible, grid, spans.get(meta.name) or _merges(sheet)))
    return sheets


def _ods_merges(path: Path) -> dict[str, list[Merge]]:
    """An .ods file's merged ranges by sheet (calamine reads none); a content.xml that cannot be
    walked leaves the values unmerged, as :func:`_merges` does."""
    try:
        return odsxml.merged_ranges(path)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError):
        return {}


def _merges(sheet: python_calamine.CalamineSheet) -> list[Merge]:
    """The sheet's merged ranges; merge records calamine cannot read leave the values unmerged,
    as a sheet without merges reads, rather than refusing the file."""
    try:
        return list(sheet.merged_cell_ranges or [])
    except Exception:  # calamine's own error types for a damaged merge record
        return []


def _calamine_refusal(exc: BaseException) -> FileRefused:
    """A parse failure as a refusal. A panic inside calamine's Rust code arrives as pyo3's
    PanicException, a BaseException (found by tests/test_fuzz_read.py): it is a damaged file
    too. Interrupts and exits are not."""
    if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
        raise exc
    text = str(exc).lower()
    if isinstance(exc, python_calamine.PasswordError) or "password" in text or "encrypt" in text:
        return FileRefused("F_ENCRYPTED")
    return FileRefused("F_UNREADABLE", detail=f"解析失败（{str(exc)[:120]}）")


def _csv_grid(path: Path) -> Grid:
    """Decode a CSV as UTF-16 (Excel's "Unicode text", with its BOM), UTF-8 (with or without BOM)
    or, as Chinese Excel saves it, GB18030."""
    data = path.read_bytes()
    encodings = ("utf-16",) if data.startswith(UTF16_BOMS) else ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileRefused("F_UNREADABLE", detail="文本编码无法识别")
    # The most frequent separator in the first lines: csv.Sniffer guesses wrong when a title line
    # without separators comes first, as in Annex 3.
    delimiter = max(",\t;", key=text[:4096].count)
    limit = csv.field_size_limit(MAX_FILE_BYTES)  # a long cell is E_TOO_LONG, not a crash
    try:
        # strict: an unclosed quote refuses the file instead of swallowing the rows after it
        reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
        rows = [row for _, row in zip(range(row_cap() + 1), reader, strict=False)]
    except csv.Error as exc:
        raise FileRefused("F_UNREADABLE", detail=f"CSV 格式错误（{exc}）") from exc
    finally:
        csv.field_size_limit(limit)
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows]


def formula_issues(path: Path, fmt: str, sheet_name: str) -> dict[tuple[int, int], str]:
    """Cells of a sheet holding a formula error or a formula without a saved result, keyed by
    (Excel row, 0-based column). An .xls always saves a result (BIFF has a place for it in every
    FORMULA record; a writer that does not calculate saves the empty string, read as an empty
    cell); errors saved as results reach every format as text (``read.error_values``)."""
    if fmt == "ods":
        return odsxml.formula_issues(path, sheet_name)
    return _xlsx_formula_issues(path, sheet_name) if fmt == "xlsx" else {}


def _xlsx_formula_issues(path: Path, sheet_name: str) -> dict[tuple[int, int], str]:
    """Cells of an .xlsx sheet holding a formula error or a formula without a cached value.

    Only sheets that contain formulas or error values are parsed, so the common case costs one
    decompression and a substring test. A formula whose cached value is the empty string
    (``t="str"`` with an empty ``<v>``) has been calculated.
    """
    with zipfile.ZipFile(path) as archive:
        part = sheet_part(archive, sheet_name)
        if part is None:
            return {}
        data = archive.read(part)
    if b"<f" not in data and b't="e"' not in data:
        return {}
    issues: dict[tuple[int, int], str] = {}
    for _, elem in ElementTree.iterparse(io.BytesIO(data)):
        if elem.tag == f"{_SHEET_NS}row":
            elem.clear()
        if elem.tag != f"{_SHEET_NS}c":
            continue
        formula = elem.find(f"{_SHEET_NS}f")
        value = elem.find(f"{_SHEET_NS}v")
        ref = elem.get("r", "")
        if elem.get("t") == "e":
            issues[_parse_ref(ref)] = f"计算结果为错误值 {value.text if value is not None else ''}"
        elif formula is not None and (
            value is None or (value.text is None and elem.get("t") != "str")
        ):
            issues[_parse_ref(ref)] = "没有保存计算结果（公式未计算）"
    return issues


def _parse_ref(ref: str) -> tuple[int, int]:
    match = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    if not match:
        return (0, 0)
    col = 0
    for ch in match.group(1):
        col = col * 26 + ord(ch) - 64
    return (int(match.group(2)), col - 1)


def sheet_part(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    """Find the XML part of a sheet by its name through workbook.xml and its relationships."""
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    targets = {r.get("Id"): r.get("Target", "") for r in _book_relationships(archive)}
    for sheet in book.iter(f"{_SHEET_NS}sheet"):
        if sheet.get("name") == sheet_name:
            return _part_path(targets.get(sheet.get(f"{_REL_NS}id"), ""))
    return None


def styles_part(archive: zipfile.ZipFile) -> str | None:
    """The workbook's styles part (cell formats), found through its relationships."""
    for rel in _book_relationships(archive):
        if rel.get("Type", "").endswith("/styles"):
            return _part_path(rel.get("Target", ""))
    return None


def _book_relationships(archive: zipfile.ZipFile) -> ElementTree.Element:
    return ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))


def _part_path(target: str) -> str:
    """A relationship target of workbook.xml as a path inside the archive."""
    return target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
