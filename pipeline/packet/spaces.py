"""The accepted rows as the packet step reads them and the values it sets in them.

The step looks rows up per form, per document and per space without a form (thousands a night),
which pandas makes slow one row at a time: so the rows it matches against are plain records,
grouped by bureau once, and what it sets is written into the frame once at the end.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pandas as pd

from pipeline.core.schema import Bureau


class Space(NamedTuple):
    """An accepted Annex 3 row as the packet step needs it."""

    uid: int
    key: str
    opkey: str
    city_key: str
    bureau: str
    name: str


def spaces_of(accepted: pd.DataFrame) -> list[Space]:
    """The accepted rows as :class:`Space` records, in row order (none from an empty frame,
    which may lack the key columns)."""
    if accepted.empty:
        return []
    columns = [accepted[c].tolist() for c in Space._fields]
    return [Space(int(uid), *rest) for uid, *rest in zip(*columns, strict=True)]


class Accepted:
    """The accepted rows, all of them and by bureau."""

    def __init__(self, spaces: list[Space]) -> None:
        self.all = spaces
        self.by_bureau: dict[str, list[Space]] = {}
        self._keys: dict[str | None, list[tuple[int, str]]] = {}
        for s in spaces:
            self.by_bureau.setdefault(s.bureau, []).append(s)

    def of(self, bureau: Bureau | None) -> list[Space]:
        """A bureau's accepted rows (every row when the bureau is unknown)."""
        return self.by_bureau.get(bureau.name, []) if bureau else self.all

    def keys_of(self, bureau: Bureau | None) -> list[tuple[int, str]]:
        """(uid, name key) of a bureau's accepted rows (every row's when the bureau is unknown):
        what :func:`pipeline.packet.annex2.place` matches a document's path against."""
        name = bureau.name if bureau else None
        if name not in self._keys:
            self._keys[name] = [(s.uid, s.key) for s in self.of(bureau)]
        return self._keys[name]


class Packet:
    """The rows as the packet step reads them (where each row is; a whole row only for a space
    whose form is checked) and the values it sets in them: per packet column, by uid, written
    into the frame once at the end (pandas is slow one row at a time)."""

    WHERE = ("file", "sheet", "row", "bureau")

    def __init__(self, rows: pd.DataFrame) -> None:
        self.rows = rows
        self.position = {uid: i for i, uid in enumerate(rows["uid"].tolist() if len(rows) else [])}
        columns = [rows[c].tolist() if len(rows) else [] for c in self.WHERE]
        self.places = [
            dict(zip(self.WHERE, cells, strict=True)) for cells in zip(*columns, strict=True)
        ]
        self.sets: dict[str, dict[int, Any]] = {}

    def where(self, uid: int) -> dict[str, Any]:
        """The row's file, sheet, row number and bureau."""
        return self.places[self.position[uid]]

    def row(self, uid: int) -> pd.Series:
        """The whole row."""
        return self.rows.iloc[self.position[uid]]

    def set(self, uid: int, **values: Any) -> None:
        for column, value in values.items():
            self.sets.setdefault(column, {})[uid] = value

    def written(self) -> pd.DataFrame:
        """The rows with every value set."""
        columns = {}
        for column, values in self.sets.items():
            cells = self.rows[column].tolist()
            for uid, value in values.items():
                cells[self.position[uid]] = value
            columns[column] = cells
        return self.rows.assign(**columns) if columns else self.rows
