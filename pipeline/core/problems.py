"""The one record type every stage produces and every report consumes.

Problems are data, not exceptions: a bad cell yields a :class:`Problem`, and the run goes on.
The Chinese message and fix hint come from ``schemas/codes.toml`` through :func:`problem`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

from pipeline.core.schema import load_catalogue

# The placeholders of a code's message, passed on to problem() as keywords. They may name one of
# problem()'s own fields (a refused file's ``sheet``), so the values stay loosely typed.
MessageParams: TypeAlias = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Problem:
    """A problem found in a bureau's file, at the cell the bureau sees.

    ``row`` is the Excel row number (None for file-level problems); ``cell`` its address (``E7``).
    """

    file: str
    sheet: str
    cell: str
    column: str
    value: str
    code: str
    severity: str
    message: str
    hint: str
    row: int | None = None


class _Blank(dict[str, Any]):
    """Leave unknown placeholders empty instead of failing the run over a message."""

    def __missing__(self, key: str) -> str:
        return ""


def problem(
    code: str,
    *,
    file: str,
    sheet: str = "",
    cell: str = "",
    column: str = "",
    value: object = "",
    row: int | None = None,
    **params: object,
) -> Problem:
    """Build a problem record with its Chinese message and hint filled in from the catalogue."""
    spec = load_catalogue()[code]
    text = "" if value is None else str(value)
    fill = _Blank(column=column, value=text, sheet=sheet, **params)
    return Problem(
        file=file,
        sheet=sheet,
        cell=cell,
        column=column,
        value=text,
        code=code,
        severity=spec.severity,
        message=spec.message.format_map(fill),
        hint=spec.hint.format_map(fill),
        row=row,
    )
