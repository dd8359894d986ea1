"""The bulk rows of a sheet as worksheet XML, built a block of rows at a time (the fast path).

xlsxwriter spends about 7 µs on every cell (a Python call, a cell tuple, an XML write), and the
night writes every row three times (汇总表, 明细, each bureau's 标注). Here the ``<row>``/``<c>``
elements are built with pyarrow's vectorised string kernels instead (each column typed on its
own, then all the block's cells escaped and marked up at once), and written as xlsxwriter writes
them in its constant-memory mode (inline strings; a text that needs an ``_xHHHH_`` escape goes
to the shared strings, see :class:`SharedStrings`): the same escaping of ``&<>``, ``_xHHHH_``
for control characters and for literal ``_xHHHH_`` text, ``xml:space="preserve"`` for leading
or trailing white space, text cut at 32,767 UTF-16 units, numbers as ``%.16G``, dates as Excel
serial numbers (with the 1900 leap-year quirk), row heights in xlsxwriter's pixel steps. A
value is typed as :func:`pipeline.write.xlsx.write_value` types it, so text always stays text. One
deliberate difference: xlsxwriter writes a text of the shape ``<r>…</r>`` unescaped, as
rich-text markup; here it is escaped and stays the text it was.
"""

from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from xlsxwriter.format import Format

from pipeline.core.cells import column_letter

TEXT_LIMIT = 32_767
"""Excel's limit of a cell's text, in UTF-16 code units (xlsxwriter cuts longer text there)."""
CHUNK_ROWS = 10_000
"""Rows built at a time: bounds the memory of a large sheet's XML."""

_STRING = pa.large_string()
WHITE_SPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""What Python's ``\\s`` matches (``str.isspace``), which xlsxwriter looks for at either end of a
text to add ``xml:space="preserve"``."""
_SPACES = pa.array(list(WHITE_SPACE), _STRING)
_CONTROL_CODES = [*range(0x00, 0x09), *range(0x0B, 0x20)]
_ESCAPES = "_x[0-9a-fA-F]{4}_|[\\x00-\\x08\\x0b-\\x1f\\x{fffe}\\x{ffff}]"
_EPOCH = np.datetime64("1899-12-31", "us")
_DAY_US = 86_400_000_000

# Cell kinds, and what surrounds a value of each kind inside ``<c r=".." s="..">``.
ABSENT, TEXT, PRESERVED, NUMBER, BLANK, SHARED = range(6)
_INLINE = ' t="inlineStr"><is><t'
_OPEN = pa.array(
    [None, _INLINE + ">", _INLINE + ' xml:space="preserve">', "><v>", "/>", ' t="s"><v>'], _STRING
)
_CLOSE = pa.array([None, "</t></is></c>", "</t></is></c>", "</v></c>", "", "</v></c>"], _STRING)


def xf_index(fmt: Format | None) -> int:
    """The index of ``fmt`` among the workbook's cell formats (``s="…"`` of a cell), 0 for none.

    xlsxwriter numbers a format when a cell first uses it and writes only numbered formats to
    styles.xml; it has no public way to ask for the number, so this is the one place that calls
    its private ``Format._get_xf_index`` (tests/test_xlsx_rows.py fails if that changes).
    """
    return 0 if fmt is None else int(fmt._get_xf_index())


@dataclass
class Block:
    """Rows a sheet gets from the fast path: ``frame`` from ``first_row`` (0-based), column 0 on.

    ``styles`` gives each column's format index (:func:`xf_index`), one for the column or one per
    cell; a missing value is written as an empty cell only where it has a format, as
    xlsxwriter's ``write_blank`` does. ``heights`` are row heights in points (None: default).
    """

    frame: pd.DataFrame
    styles: Sequence[int | np.ndarray]
    first_row: int
    heights: np.ndarray | None = None

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.frame) - 1


def _kind_of_type(kind: type) -> str:
    """How :func:`pipeline.write.xlsx.write_value` writes a value of this type."""
    if kind in (type(None), type(pd.NA), type(pd.NaT)):
        return "blank"
    if issubclass(kind, str):
        return "text"
    if issubclass(kind, bool | np.bool_):
        return "answer"
    if issubclass(kind, numbers.Number):
        return "number"
    for moment in (dt.datetime, dt.date, dt.time):
        if issubclass(kind, moment):
            return moment.__name__
    return "other"


def excel_serials(values: np.ndarray, datetimes: np.ndarray) -> np.ndarray:
    """Excel serial numbers of dates and datetimes (``datetime64[us]``), as xlsxwriter computes
    them: whole days since 1899-12-31 plus the fraction of the day, a datetime on 1900-01-01 a
    day less, and every serial after 59 a day more (Excel's 1900 is a leap year)."""
    micros = (values.astype("datetime64[us]") - _EPOCH).astype(np.int64)
    days, rest = np.divmod(micros, _DAY_US)
    seconds, fraction = np.divmod(rest, 1_000_000)
    serial = days + (seconds.astype(float) + fraction.astype(float) / 1e6) / 86400
    serial = serial - (datetimes & (days == 1))
    return serial + (serial > 59)


def _time_serials(times: np.ndarray) -> np.ndarray:
    """Fractions of a day of times of day (a few cells of a bureau's sheet, if any)."""
    seconds = np.array([(t.hour * 60 + t.minute) * 60 + t.second for t in times], dtype=float)
    micros = np.array([t.microsecond for t in times], dtype=float)
    return (seconds + micros / 1e6) / 86400


_TYPE = np.frompyfunc(type, 1, 1)


def by_type(values: np.ndarray, decide: Callable[[type], Any]) -> np.ndarray:
    """``decide`` of each value's type, asked once per distinct type (a column holds a few)."""
    types = _TYPE(values) if len(values) else np.array([], dtype=object)
    decided = np.empty(len(values), dtype=object)
    for kind in set(types):
        decided[types == kind] = decide(kind)
    return decided


def _object_values(values: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """(text or null, number or NaN) of each value of a column of Python objects."""
    kind = by_type(values, _kind_of_type)
    text = np.full(len(values), None, dtype=object)
    number = np.full(len(values), np.nan)
    text[kind == "text"] = values[kind == "text"]
    text[kind == "answer"] = np.where(values[kind == "answer"].astype(bool), "是", "否")
    text[kind == "other"] = [str(v) for v in values[kind == "other"]]
    number[kind == "number"] = values[kind == "number"].astype(float)
    for dates in ("datetime", "date"):
        found = kind == dates
        if found.any():
            stamps = np.array(list(values[found]), dtype="datetime64[us]")
            number[found] = excel_serials(stamps, np.full(len(stamps), dates == "datetime"))
    if (kind == "time").any():
        number[kind == "time"] = _time_serials(values[kind == "time"])
    return pa.array(text, _STRING), number


def _typed_values(column: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """(text or null, number or NaN) of each value; typed columns are converted whole."""
    dtype, size = column.dtype, len(column)
    if pd.api.types.is_bool_dtype(dtype):
        answers = column.map({True: "是", False: "否"}, na_action="ignore").astype(object)
        return pa.array(answers.where(answers.notna(), None), _STRING), np.full(size, np.nan)
    if pd.api.types.is_numeric_dtype(dtype):
        return pa.nulls(size, _STRING), column.to_numpy(dtype=float, na_value=np.nan)
    if pd.api.types.is_datetime64_dtype(dtype):
        stamps = column.to_numpy(dtype="datetime64[us]")
        serial = excel_serials(stamps, np.ones(size, dtype=bool))
        return pa.nulls(size, _STRING), np.where(np.isnat(stamps), np.nan, serial)
    if isinstance(dtype, pd.StringDtype):  # pyarrow-backed after a concat: in several chunks
        text = pa.chunked_array(pa.array(column, _STRING, from_pandas=True)).combine_chunks()
        return text, np.full(size, np.nan)
    return _object_values(column.to_numpy(dtype=object))


def cell_values(column: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """Each value written as text (null where it is not text) or as a number (NaN where it is
    not one, or not finite: written blank); dates become serial numbers."""
    text, number = _typed_values(column)
    return text, np.where(np.isfinite(number), number, np.nan)


def _cut(text: pa.Array) -> pa.Array:
    """Text longer than Excel's limit cut there (in UTF-16 units, never inside a character)."""
    long = pc.fill_null(pc.greater(pc.utf8_length(text), TEXT_LIMIT // 2), False)
    if not pc.any(long).as_py():
        return text
    cut = [_utf16_cut(value) for value in pc.filter(text, long).to_pylist()]
    return pc.replace_with_mask(text, long, pa.array(cut, _STRING))


def _utf16_cut(value: str) -> str:
    units = 0
    for index, char in enumerate(value):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > TEXT_LIMIT:
            return value[:index]
    return value


def escaped(text: pa.Array) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Text as the body of a ``<t>`` element; whether it needs ``xml:space="preserve"``; and
    whether it holds an ``_xHHHH_`` escape (see :class:`SharedStrings`). Most columns hold
    nothing to escape: one scan finds that out."""
    text = _cut(text)
    rare = np.zeros(len(text), dtype=bool)
    if pc.any(pc.match_substring_regex(text, f"[&<>]|{_ESCAPES}")).as_py():
        found = pc.fill_null(pc.match_substring_regex(text, _ESCAPES), False)
        rare = found.to_numpy(zero_copy_only=False)
        if rare.any():
            text = pc.replace_substring_regex(text, "(_x[0-9a-fA-F]{4}_)", "_x005F\\1")
            for code in [*_CONTROL_CODES, 0xFFFE, 0xFFFF]:
                text = pc.replace_substring(text, chr(code), f"_x{code:04X}_")
        for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            text = pc.replace_substring(text, char, entity)
    ends = (pc.utf8_slice_codeunits(text, 0, 1), pc.utf8_slice_codeunits(text, -1))
    preserve = pc.or_(*(pc.is_in(end, value_set=_SPACES) for end in ends))
    return text, preserve.to_numpy(zero_copy_only=False), rare


class SharedStrings:
    """Texts the fast path adds to the workbook's shared strings instead of writing them inline:
    those holding an ``_xHHHH_`` escape (a control character, or such text typed literally).
    Excel and calamine read the escape alike in both places, openpyxl only in shared strings, so
    these few cells are written the way xlsxwriter writes every text; the rest stay inline."""

    def __init__(self, first: int) -> None:
        self.first = first
        self.entries: dict[str, int] = {}
        self.uses = 0

    def indices(self, bodies: list[str], preserve: np.ndarray) -> list[str]:
        """The index of each ``<t>`` body, added on first use."""
        self.uses += len(bodies)
        space = np.where(preserve, ' xml:space="preserve"', "")
        items = [f"<si><t{s}>{b}</t></si>" for b, s in zip(bodies, space, strict=True)]
        for item in items:
            self.entries.setdefault(item, self.first + len(self.entries))
        return [str(self.entries[item]) for item in items]


def number_text(values: np.ndarray) -> np.ndarray:
    """Numbers as xlsxwriter writes them (``%.16G``); whole numbers converted whole."""
    whole = (values == np.round(values)) & (np.abs(values) < 1e15) & ~np.signbit(values)
    text = np.empty(len(values), dtype=object)
    text[whole] = values[whole].astype(np.int64).astype(str)
    text[~whole] = np.char.mod("%.16G", values[~whole])
    return text


def row_height_attributes(heights: np.ndarray) -> np.ndarray:
    """`` ht="…" customHeight="1"`` of rows ``heights`` points tall, in xlsxwriter's pixel steps
    (nothing for the default 15 points)."""
    pixels = np.floor(heights * 4.0 / 3.0 + 0.5)
    attributes = np.char.add(np.char.add(' ht="', np.char.mod("%.16g", pixels * 0.75)), '"')
    return np.where(pixels == 20, "", np.char.add(attributes, ' customHeight="1"')).astype(object)


def cell_kinds(
    text: pa.Array, number: np.ndarray, styles: Any, strings: SharedStrings | None
) -> tuple[np.ndarray, pa.Array]:
    """Each cell's kind, and the text of its value (escaped text, a shared string's index, a
    number, or nothing)."""
    body, preserve, rare = escaped(text)
    is_text = ~np.asarray(pc.is_null(body).to_numpy(zero_copy_only=False), dtype=bool)
    is_number = ~np.isnan(number)
    kinds = np.where(np.asarray(styles) > 0, BLANK, ABSENT).astype(np.int8)
    kinds = np.broadcast_to(kinds, number.shape).copy()
    kinds[is_number] = NUMBER
    kinds[is_text] = np.where(preserve[is_text], PRESERVED, TEXT)
    if not is_number.any() and (strings is None or not rare.any()):
        return kinds, pc.fill_null(body, "")
    shown = np.full(len(number), None, dtype=object)
    shown[is_number] = number_text(number[is_number])
    if strings is not None and rare.any():
        kinds[rare] = SHARED
        bodies = pc.filter(body, pa.array(rare)).to_pylist()
        shown[rare] = strings.indices(bodies, preserve[rare])
    return kinds, pc.coalesce(pa.array(shown, _STRING), body, pa.scalar("", _STRING))


def style_attributes(styles: Any, size: int) -> pa.Array | pa.Scalar:
    """`` s="…"`` of each cell (nothing for format 0)."""
    attribute = np.vectorize(lambda s: f' s="{s}"' if s else "", otypes=[object])
    if np.ndim(styles) == 0:
        return pa.scalar(str(attribute(styles)), _STRING)
    found, index = np.unique(np.asarray(styles), return_inverse=True)
    return pc.take(pa.array(attribute(found), _STRING), pa.array(index.reshape(size)))


def block_cells(
    chunk: pd.DataFrame, numbers_: pa.Array, styles: list[Any], strings: SharedStrings | None
) -> tuple[list[pa.Array], np.ndarray]:
    """The ``<c>`` elements of each column of ``chunk`` ("" where a cell is absent), and which
    rows have a cell. Each column is typed on its own; then the columns, end to end, are escaped
    and marked up as one: each step's fixed cost is paid once per block, not once per column
    (a 回执's sheets are a few dozen rows of fifteen columns)."""
    size, width = chunk.shape
    if not width:
        return [], np.zeros(size, dtype=bool)
    typed = [cell_values(column) for _, column in chunk.items()]
    text = pa.concat_arrays([t for t, _ in typed])
    number = np.concatenate([n for _, n in typed])
    style = np.concatenate([np.broadcast_to(np.asarray(s), size) for s in styles])
    kinds, values = cell_kinds(text, number, style.astype(int), strings)
    letters = [f'<c r="{column_letter(col)}' for col in range(width)]
    cells = pc.binary_join_element_wise(
        pa.array(np.repeat(np.array(letters, dtype=object), size), _STRING),
        pa.concat_arrays([numbers_] * width),
        pa.scalar('"', _STRING),
        style_attributes(style, len(style)),
        _by_kind(_OPEN, kinds),
        values,
        _by_kind(_CLOSE, kinds),
        pa.scalar("", _STRING),
    )
    cells = pc.fill_null(cells, "")
    there = (kinds != ABSENT).reshape(width, size)
    return [cells.slice(col * size, size) for col in range(width)], there.any(axis=0)


def _by_kind(table: pa.Array, kinds: np.ndarray) -> pa.Array | pa.Scalar:
    """``table``'s entry for each cell's kind; one scalar when the cells are of one kind."""
    if len(kinds) and (kinds == kinds[0]).all():
        return table[int(kinds[0])]
    return pc.take(table, pa.array(kinds))


def rows_xml(block: Block, strings: SharedStrings | None = None) -> Iterator[memoryview]:
    """The block's ``<row>`` elements as UTF-8, at most :data:`CHUNK_ROWS` rows at a time; a row
    with no cell and the default height is left out, as xlsxwriter leaves it out."""
    for start in range(0, len(block.frame), CHUNK_ROWS):
        chunk = block.frame.iloc[start : start + CHUNK_ROWS].reset_index(drop=True)
        numbers_ = pa.array(
            (np.arange(len(chunk)) + block.first_row + start + 1).astype(str), _STRING
        )
        styles = [
            np.asarray(s)[start : start + len(chunk)] if np.ndim(s) else s for s in block.styles
        ]
        cells, filled = block_cells(chunk, numbers_, styles, strings)
        height = np.full(len(chunk), "", dtype=object)
        if block.heights is not None:
            height = row_height_attributes(np.asarray(block.heights)[start : start + len(chunk)])
        xml = pc.binary_join_element_wise(
            pa.scalar('<row r="', _STRING),
            numbers_,
            pa.scalar('"', _STRING),
            pa.array(height, _STRING),
            pa.scalar(">", _STRING),
            *cells,
            pa.scalar("</row>", _STRING),
            pa.scalar("", _STRING),
        )
        kept = filled | (height != "")
        yield _utf8(xml if kept.all() else pc.filter(xml, pa.array(kept)))


def _utf8(strings: pa.Array) -> memoryview:
    """The strings of an array one after another, as UTF-8 (its data buffer, not copied per
    string)."""
    if len(strings) == 0:
        return memoryview(b"")
    _, offsets, data = strings.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[
        strings.offset : strings.offset + len(strings) + 1
    ]
    return memoryview(data)[bounds[0] : bounds[-1]]
