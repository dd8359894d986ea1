"""The xlsx grid guard (pipeline/guards.py) skips chunks without a wide address: it must refuse
exactly the sheets whose some address, read one by one, lies beyond XFD1048576."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.read.guards import FileRefused, _beyond_grid, check_xlsx_grid

REFS = st.tuples(
    st.text(alphabet="ABXDFZabxfe", max_size=4),
    st.from_regex(r"0{0,3}[1-9][0-9]{0,8}", fullmatch=True),
)


def sheet(refs: list[tuple[str, str]], filler: int) -> zipfile.ZipFile:
    """An archive whose one sheet holds a cell at each address, ``filler`` bytes apart."""
    cells = "".join(f'{" " * filler}<c r="{letters}{digits}"/>' for letters, digits in refs)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/worksheets/sheet1.xml", f"<worksheet>{cells}</worksheet>")
    return zipfile.ZipFile(buffer)


@settings(deadline=None, max_examples=100)
@given(st.lists(REFS, max_size=12), st.sampled_from([0, 1000, 300_000]))
@example([("XFE", "1")], 0)
@example([("A", "1048577")], 0)
@example([("", "2000000")], 1000)
@example([("XFD", "1048576"), ("a", "0001048576")], 0)
def test_grid_guard_refuses_exactly_the_sheets_with_an_address_beyond(
    refs: list[tuple[str, str]], filler: int
) -> None:
    beyond = any(_beyond_grid(a.encode(), d.encode()) for a, d in refs)
    archive = sheet(refs, filler)
    if beyond:
        with pytest.raises(FileRefused):
            check_xlsx_grid(archive)
    else:
        check_xlsx_grid(archive)
