"""Excel cell addresses: every stage names a cell the way the bureau sees it (``E7``).

Kept at the bottom, apart from the writers' formats, so reading and checking a workbook never
loads a writing library just to spell an address.
"""

from __future__ import annotations

import re

_A1 = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


def column_letter(col: int) -> str:
    """The letters of a 0-based column: 0 is ``A``, 26 is ``AA``."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def cell_address(row: int, col: int) -> str:
    """1-based Excel row and 0-based column to an address such as ``E7``."""
    return f"{column_letter(col)}{row}"


def coordinate(cell: str) -> tuple[int, int]:
    """The 1-based (row, column) of an A1 address."""
    found = _A1.fullmatch(cell.strip())
    if found is None:
        raise ValueError(f"not an A1 address: {cell!r}")
    col = 0
    for letter in found[1].upper():
        col = col * 26 + ord(letter) - ord("A") + 1
    return int(found[2]), col
