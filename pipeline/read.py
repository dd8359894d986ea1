"""Read a bureau's file into the Annex 3 table: raw text per field, each value at its Excel address.

Files are known by their content, never their name. Zip-based workbooks are inspected before any
parser sees them (size, compression ratio, XML entity declarations), so hostile files are refused
in bounded time and memory. Cell values come from python-calamine (cached values of formulas);
for .xlsx the sheet XML is scanned once more only when it holds formulas or error values, because
calamine reports both as empty cells; other formats carry an error value as its text (#REF!).
"""

from __future__ import annotations

import copy
import csv
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import python_calamine
from openpyxl.utils import get_column_letter

from pipeline import guards
from pipeline.cfb import cfb_damage
from pipeline.guards import FileRefused
from pipeline.header import companion_columns, find_header, find_stamp
from pipeline.header import header_key as header_key
from pipeline.header import header_lookup as header_lookup
from pipeline.layout import (
    Merge,
    fill_merged,
    first_filled,
    join_companions,
    layout_noise,
    same_as_above,
)
from pipeline.problems import Problem, problem
from pipeline.schema import FormSpec
from pipeline.values import cell_text

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 400 * 1024 * 1024
MAX_PART_RATIO = 200
MAX_DATA_ROWS = 50_000
EXCEL_CELL_LIMIT = 32_767

Grid = list[list[Any]]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_BOMB = "解压后体积异常巨大（疑似压缩炸弹）"
_ENTITY_MARKERS = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)
_MARKER_OVERLAP = max(map(len, _ENTITY_MARKERS))
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]"
)
_ERROR_VALUES = (
    "#NULL!",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#N/A",
    "#GETTING_DATA",
)
_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


@dataclass
class SheetTable:
    """The Annex 3 table found in one sheet.

    ``frame`` holds the text of every field as sent (``""`` when empty), indexed by Excel row
    number; ``columns`` maps each found field to its 0-based column; ``grid`` is the whole sheet as
    read, kept so the feedback workbook can show the bureau its own sheet.
    """

    sheet: str
    header_rows: tuple[int, ...]
    columns: dict[str, int]
    frame: pd.DataFrame
    stamp: str
    grid: Grid
    skipped: dict[int, str] = field(default_factory=dict)
    others: dict[str, int] = field(default_factory=dict)
    title: str = ""


@dataclass
class ReadResult:
    """What reading one file produced: a table, or file-level problems saying why not."""

    file: str
    path: Path
    fmt: str
    table: SheetTable | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return self.table is not None and not any(p.severity == "file" for p in self.problems)


def cell_address(row: int, col: int) -> str:
    """1-based Excel row and 0-based column to an address such as ``E7``."""
    return f"{get_column_letter(col + 1)}{row}"


def human_size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


# --- knowing a file by its content -----------------------------------------------------------


def sniff(path: Path) -> str:
    """Return the real format of a file: xlsx, ods, xls or csv; refuse anything else."""
    size = path.stat().st_size
    if size <= 1:
        raise FileRefused("F_EMPTY", size=size)
    if size > MAX_FILE_BYTES:
        raise FileRefused("F_TOO_LARGE", size=human_size(size), limit=human_size(MAX_FILE_BYTES))
    with path.open("rb") as f:
        head = f.read(4096)
    if head.startswith(_ZIP_MAGIC):
        return inspect_zip(path)
    if head.startswith(_OLE_MAGIC):
        data = path.read_bytes()
        if "EncryptionInfo".encode("utf-16-le") in data:
            raise FileRefused("F_ENCRYPTED")
        damage = cfb_damage(data)
        if damage:
            raise FileRefused("F_UNREADABLE", detail=damage)
        return "xls"
    if head.startswith(_UTF16_BOMS):
        return "csv"
    if b"\x00" in head:
        raise FileRefused("F_UNREADABLE", detail="不是 Excel、WPS 或 CSV 文件")
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<", b"{", b"mime-version:")):
        kind = "JSON 数据" if lowered.startswith(b"{") else "网页（HTML/XML/MHT）"
        raise FileRefused("F_UNSUPPORTED", detail=f"文件内容是{kind}，只是扩展名像表格")
    return "csv"


def inspect_zip(path: Path) -> str:
    """Check a zip container before parsing: its kind, its size inflated, XML entity tricks.

    Sizes are first judged from the zip directory, which costs nothing; then every XML part is
    inflated in chunks, never past the size it declares, and scanned for entity declarations.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            kind = _zip_kind({i.filename for i in archive.infolist()})
            guards.check_zip_sizes(archive.infolist(), path.stat().st_size)
            _check_declared_sizes(archive.infolist())
            for info in archive.infolist():
                if info.filename.endswith((".xml", ".rels")):
                    _inspect_part(archive, info)
            if kind == "xlsx":
                guards.check_xlsx_grid(archive)
            else:
                guards.check_ods_repeats(archive, row_cap())
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as exc:
        # ValueError: a member name that is not UTF-8, a negative offset (tests/test_fuzz_read.py)
        raise FileRefused(
            "F_UNREADABLE", detail="压缩结构损坏（文件可能未完整保存或传输中断）"
        ) from exc
    return kind


def _zip_kind(names: set[str]) -> str:
    if "xl/workbook.bin" in names:
        raise FileRefused("F_UNSUPPORTED", detail="Excel 二进制工作簿（.xlsb）")
    if "mimetype" in names:
        return "ods"
    if "xl/workbook.xml" in names:
        return "xlsx"
    raise FileRefused("F_UNSUPPORTED", detail="压缩包，不是 Excel 或 WPS 表格")


def _check_declared_sizes(infos: list[zipfile.ZipInfo]) -> None:
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise FileRefused("F_ENCRYPTED")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_UNZIPPED_BYTES or (info.file_size > 10_000_000 and ratio > MAX_PART_RATIO):
            raise FileRefused("F_UNSAFE", detail=_BOMB)


def _inspect_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Inflate one part in chunks: refuse it when it outgrows its declared size (a bomb that lies
    in the directory) or declares XML entities anywhere (a DOCTYPE may follow a long comment)."""
    probe = copy.copy(info)
    probe.file_size = info.file_size + 1  # zipfile stops at the declared size: look one past it
    # typeshed types ZipInfo.CRC as int, but zipfile skips its own check when it is None
    probe.CRC = None  # type: ignore[assignment]  # checked below, once the whole part is known to be no larger than declared
    seen, crc, tail = 0, 0, b""
    with archive.open(probe) as part:
        while chunk := part.read(1 << 20):
            seen += len(chunk)
            if seen > info.file_size:
                raise FileRefused("F_UNSAFE", detail=_BOMB)
            crc = zlib.crc32(chunk, crc)
            window = tail + chunk
            if any(marker in window for marker in _ENTITY_MARKERS):
                raise FileRefused("F_UNSAFE", detail="XML 中含有实体声明（DOCTYPE/ENTITY）")
            tail = window[-_MARKER_OVERLAP:]
    if crc != info.CRC or seen != info.file_size:
        raise zipfile.BadZipFile(f"{info.filename} is damaged")


# --- loading grids ------------------------------------------------------------------------------


def row_cap() -> int:
    """Rows loaded per sheet: a sheet that reaches this many holds too many to be Annex 3."""
    return MAX_DATA_ROWS + 100


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
            sheets.append((meta.name, visible, grid, _merges(sheet)))
    return sheets


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
    encodings = ("utf-16",) if data.startswith(_UTF16_BOMS) else ("utf-8-sig", "gb18030")
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


def formula_issues(path: Path, sheet_name: str) -> dict[tuple[int, int], str]:
    """Cells of an .xlsx sheet holding a formula error or a formula without a cached value.

    Keys are (Excel row, 0-based column). Only sheets that contain formulas or error values are
    parsed, so the common case costs one decompression and a substring test. A formula whose
    cached value is the empty string (``t="str"`` with an empty ``<v>``) has been calculated.
    """
    with zipfile.ZipFile(path) as archive:
        part = _sheet_part(archive, sheet_name)
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


def _sheet_part(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    """Find the XML part of a sheet by its name through workbook.xml and its relationships."""
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    for sheet in book.iter(f"{_SHEET_NS}sheet"):
        if sheet.get("name") == sheet_name:
            target = targets.get(sheet.get(f"{_REL_NS}id"), "")
            if target.startswith("/"):
                return target.lstrip("/")
            return str(PurePosixPath("xl") / target)
    return None


# --- cell text ----------------------------------------------------------------------------------


def text_column(values: pd.Series) -> pd.Series:
    """Turn a column of raw cell values into clean text: no control or zero-width characters."""
    text = values.map(cell_text, na_action="ignore").fillna("").astype(str)
    return text.str.replace(_CONTROL, "", regex=True)


# --- from grid to table ---------------------------------------------------------------------------


def build_table(
    name: str, grid: Grid, form: FormSpec, merges: list[Merge] | None = None
) -> SheetTable | None:
    """Cut the Annex 3 table out of a sheet's grid, or None when the sheet has no header."""
    found = find_header(grid, form)
    if found is None:
        return None
    start, span, columns = found
    first_data = start + span
    body = filled_columns(fill_merged(grid, merges or [], first_data))
    body.index = pd.RangeIndex(first_data + 1, first_data + 1 + len(body))
    whole = same_as_above(body.apply(text_column), form.ditto) if len(body.columns) else body
    text = pd.DataFrame(
        {fld: whole[columns[fld]] if columns.get(fld) in whole else "" for fld in form.fields},
        index=body.index,
    )
    text = join_companions(text, whole, companion_columns(grid[start:first_data], columns, form))
    head = pd.DataFrame(grid[start:first_data], dtype=object).reindex(columns=whole.columns)
    skipped = layout_noise(whole, text, head.apply(text_column), form)
    skipped |= classify_noise(whole, text, form)
    kept = text.drop(index=list(skipped))
    header_rows = tuple(range(start + 1, first_data + 1))
    footer = [grid[row - 1] for row, why in skipped.items() if why == "表尾说明"]
    stamp = find_stamp(grid, start, form, footer)
    title = " ".join(t for row in grid[:start] for t in map(cell_text, row) if t.strip())
    return SheetTable(name, header_rows, columns, kept, stamp, grid, skipped, title=title)


def filled_columns(rows: Grid) -> pd.DataFrame:
    """The rows as a frame of their non-empty columns only, each labelled by its position in the
    sheet: one stray cell in column XFD must not cost 16,384 columns of conversions (found by
    tests/test_fuzz_read.py). Rectangular grids go through one numpy array."""
    if len({len(r) for r in rows}) > 1:
        frame = pd.DataFrame(rows, dtype=object)
        return frame.loc[:, (frame.notna() & frame.ne("")).any()]
    cells = np.empty((len(rows), len(rows[0]) if rows else 0), dtype=object)
    cells[:] = rows
    keep = np.flatnonzero((pd.notna(cells) & (cells != "")).any(axis=0))
    return pd.DataFrame(cells[:, keep], columns=keep, dtype=object)


def classify_noise(whole: pd.DataFrame, text: pd.DataFrame, form: FormSpec) -> dict[int, str]:
    """Rows that are not spaces: blank, the template's example row, footer and note lines.

    ``whole`` is every column of the rows as text, ``text`` the form's fields. Everything below
    the first footer line that fills fewer than three fields is footer too.
    """
    stripped = text.apply(lambda s: s.str.strip())
    filled = stripped.ne("").sum(axis=1)
    footer = (
        first_filled(whole).str.replace(r"\s", "", regex=True).str.startswith(form.footer_prefixes)
    )
    after_footer = footer.cummax() & (filled < 3)
    example = stripped["name"].str.contains("|".join(map(re.escape, form.example_markers)))
    reasons = pd.Series("", index=text.index, dtype=object)
    reasons[filled == 0] = "空行"
    reasons[example & (filled > 0)] = "填写示例行"
    reasons[(footer | after_footer) & (filled > 0)] = "表尾说明"
    return {int(k): v for k, v in reasons[reasons != ""].items()}


def error_values(table: SheetTable) -> dict[tuple[int, int], str]:
    """Cells whose text is an Excel error value: how .xls, .ods and CSV carry a formula error."""
    issues: dict[tuple[int, int], str] = {}
    for fld, col in table.columns.items():
        values = table.frame[fld].str.strip()
        for row, value in values[values.isin(_ERROR_VALUES)].items():
            issues[(int(row), col)] = f"计算结果为错误值 {value}"
    return issues


def cell_problems(
    file: str, table: SheetTable, formulas: dict[tuple[int, int], str], labels: dict[str, str]
) -> list[Problem]:
    """Cells the reader itself must refuse: formula errors and values over Excel's cell limit."""
    found: list[Problem] = []
    by_col = {col: fld for fld, col in table.columns.items()}
    for (row, col), detail in sorted(formulas.items()):
        fld = by_col.get(col)
        if fld is None or row not in table.frame.index:
            continue
        found.append(
            problem(
                "E_FORMULA",
                file=file,
                sheet=table.sheet,
                cell=cell_address(row, col),
                column=labels[fld],
                row=row,
                detail=detail,
            )
        )
    lengths = table.frame.apply(lambda s: s.str.len())
    for fld in table.frame.columns:
        for row in lengths.index[lengths[fld] > EXCEL_CELL_LIMIT]:
            length = int(lengths.at[row, fld])
            shortened = table.frame.at[row, fld][:60] + "…（内容过长，已截断）"
            table.frame.at[row, fld] = shortened
            table.grid[int(row) - 1][table.columns[fld]] = shortened
            found.append(
                problem(
                    "E_TOO_LONG",
                    file=file,
                    sheet=table.sheet,
                    cell=cell_address(int(row), table.columns[fld]),
                    column=labels[fld],
                    row=int(row),
                    length=length,
                )
            )
    return found


def read_file(path: Path, file: str, form: FormSpec) -> ReadResult:
    """Read one inbox file. Never raises for bad input: refusals become F_ problems."""
    fmt = ""
    try:
        fmt = sniff(path)
        table = pick_table(load_sheets(path, fmt), form)
        if table is None:
            raise FileRefused(
                "F_NO_HEADER", rows=form.header_search_rows, min=form.header_min_columns
            )
        truncated = len(table.grid) > row_cap()
        if truncated or len(table.frame) > MAX_DATA_ROWS:
            rows = f"{row_cap()}+" if truncated else len(table.frame)
            raise FileRefused("F_TOO_MANY_ROWS", sheet=table.sheet, rows=rows, limit=MAX_DATA_ROWS)
        if table.frame.empty:
            raise FileRefused("F_NO_ROWS", sheet=table.sheet)
        formulas = formula_issues(path, table.sheet) if fmt == "xlsx" else {}
        formulas |= error_values(table)
    except FileRefused as refusal:
        return _refused(path, file, fmt, refusal.code, **refusal.params)
    except OSError as exc:
        detail = f"读取失败（{exc.strerror or exc}）"
        return _refused(path, file, fmt, "F_UNREADABLE", detail=detail)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        detail = f"工作表结构损坏（{str(exc)[:120]}）"
        return _refused(path, file, fmt, "F_UNREADABLE", detail=detail)
    labels = {c.field: c.short_label for c in form.columns}
    others = [
        problem("W_OTHER_SHEETS", file=file, sheet=name, rows=rows, used=table.sheet)
        for name, rows in table.others.items()
    ]
    return ReadResult(file, path, fmt, table, others + cell_problems(file, table, formulas, labels))


def _refused(path: Path, file: str, fmt: str, code: str, **params: Any) -> ReadResult:
    return ReadResult(file, path, fmt, None, [problem(code, file=file, **params)])


def pick_table(
    sheets: list[tuple[str, bool, Grid, list[Merge]]], form: FormSpec
) -> SheetTable | None:
    """The sheet that holds Annex 3: visible before hidden, with rows before without (an empty
    copy of the template beside the filled sheet is not the submission), then the best header
    and the most rows. Other visible sheets with rows are noted in ``others`` (W_OTHER_SHEETS).
    """
    best: SheetTable | None = None
    best_key: tuple[int, int, int, int] = (-1, -1, -1, -1)
    filled: dict[str, int] = {}
    for name, visible, grid, merges in sheets:
        table = build_table(name, grid, form, merges)
        if table is None:
            continue
        key = (int(visible), int(len(table.frame) > 0), len(table.columns), len(table.frame))
        if visible and len(table.frame):
            filled[name] = len(table.frame)
        if key > best_key:
            best, best_key = table, key
    if best is not None:
        best.others = {name: rows for name, rows in filled.items() if name != best.sheet}
    return best
