"""The number format a date cell is shown with decides the precision a clerk reads (issue 13)."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import xlsxwriter
from conftest import FORM, annex3_grid, good_row
from xlsxwriter.utility import xl_col_to_name

from pipeline.read import cellformats
from pipeline.read.cellformats import MONTH, YEAR, code_precision
from pipeline.read.workbook import read_file


@pytest.mark.parametrize(
    ("code", "precision"),
    [
        ('yyyy"年"m"月"', MONTH),
        ("mmm-yy", MONTH),
        ("yyyy/mm", MONTH),
        ('[DBNum1][$-804]yyyy"年"m"月"', MONTH),
        ('yyyy"年"', YEAR),
        ("yyyy", YEAR),
        ('yyyy"年"m"月"d"日"', ""),
        ("yyyy-mm-dd", ""),
        ("yyyy-mm-dd hh:mm", ""),
        ("m/d/yy", ""),
        ('yyyy"年" h:mm', YEAR),  # the m after h is minutes
        ("mm:ss", ""),
        ("General", ""),
        ("0.00", ""),
        ('"day "yyyy', YEAR),  # quoted text is not a part
        ('yyyy"年"m"月";@', MONTH),  # the first section shows a number
    ],
)
def test_a_format_shows_the_parts_it_names(code: str, precision: str) -> None:
    assert code_precision(code) == precision


def test_the_builtin_chinese_date_formats_are_data() -> None:
    builtin = cellformats.builtin_dates()
    assert {i for i, code in builtin.items() if code_precision(code) == MONTH} == {
        17,
        27,
        36,
        50,
        52,
        57,
    }
    assert code_precision(builtin[31]) == code_precision(builtin[14]) == ""


def write_dates(path: Path, num_format: str | int, founded: list[dt.date]) -> Path:
    grid = annex3_grid([good_row(name=f"空间{i}", founded=d) for i, d in enumerate(founded)])
    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet("附件3")
        shown = book.add_format({"num_format": num_format})
        for r, values in enumerate(grid):
            for c, value in enumerate(values):
                sheet.write(r, c, value, *([shown] if isinstance(value, dt.date) else []))
    return path


def test_only_the_date_cells_read_as_shown(tmp_path: Path) -> None:
    path = write_dates(tmp_path / "a.xlsx", 57, [dt.date(2015, 3, 1), dt.date(2014, 10, 1)])
    (table,) = read_file(path, path.name, FORM).tables
    assert table.frame[["name", "founded"]].to_numpy().tolist() == [
        ["空间0", "2015年3月"],
        ["空间1", "2014年10月"],
    ]


def edited(source: Path, part: str, edit: Callable[[bytes], bytes]) -> Path:
    """A copy of the workbook ``source`` with one part changed by ``edit``."""
    target = source.with_name("edited.xlsx")
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for item in original.infolist():
            data = original.read(item)
            copy.writestr(item, edit(data) if item.filename == part else data)
    return target


def founded(path: Path) -> list[str]:
    (table,) = read_file(path, path.name, FORM).tables
    return table.frame["founded"].tolist()


def test_formats_that_cannot_be_read_leave_the_day(tmp_path: Path) -> None:
    """The values were read already: a styles part calamine reads and ElementTree does not (an
    undeclared prefix) costs the month, not the file."""
    shown = write_dates(tmp_path / "a.xlsx", 57, [dt.date(2015, 3, 1)])
    bad = edited(
        shown, "xl/styles.xml", lambda x: x.replace(b"</styleSheet>", b"<bad:x/></styleSheet>")
    )
    assert founded(bad) == ["2015-03-01"]


def test_a_style_attribute_before_the_reference_is_found(tmp_path: Path) -> None:
    col = xl_col_to_name(FORM.fields.index("founded")).encode()

    def swap(sheet: bytes) -> bytes:
        swapped = sheet.replace(b'<c r="' + col + b'4" s="', b'<c s="').replace(
            b'"><v>42064', b'" r="' + col + b'4"><v>42064'
        )
        assert b'<c s="' in swapped
        return swapped

    shown = write_dates(tmp_path / "a.xlsx", 57, [dt.date(2015, 3, 1)])
    assert founded(edited(shown, "xl/worksheets/sheet1.xml", swap)) == ["2015年3月"]
