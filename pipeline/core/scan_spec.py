"""What reading scans needs from ``schemas/scan.toml``: confidence and ink thresholds, what a red
seal is, and the places the forms print for seals."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipeline.core.errors import ConfigError
from pipeline.core.schema import SCHEMAS_DIR


@dataclass(frozen=True)
class SealPlace:
    """A place a form prints for a seal: its name, the texts that mark it, and the table row it
    is when none of them was read (counted from the table's end; 0 the line above the table)."""

    form: str
    place: str
    anchors: tuple[str, ...]
    row: int


@dataclass(frozen=True)
class ScanSpec:
    min_confidence: float
    min_ink: float
    title_band: float
    hue: int
    min_saturation: int
    min_value: int
    min_share: float
    reach: float
    places: tuple[SealPlace, ...]

    def places_of(self, form: str) -> tuple[SealPlace, ...]:
        return tuple(p for p in self.places if p.form == form)


@cache
def load_scan_spec(path: Path = SCHEMAS_DIR / "scan.toml") -> ScanSpec:
    """The scan settings; a missing or mistyped key stops the run naming it."""
    with path.open("rb") as f:
        data = tomllib.load(f)
    try:
        ocr, seal = data["ocr"], data["seal"]
        places = tuple(
            SealPlace(p["form"], p["place"], tuple(p["anchors"]), int(p["row"]))
            for p in seal["places"]
        )
        return ScanSpec(
            float(ocr["min_confidence"]),
            float(ocr["min_ink"]),
            float(ocr["title_band"]),
            int(seal["hue"]),
            int(seal["min_saturation"]),
            int(seal["min_value"]),
            float(seal["min_share"]),
            float(seal["reach"]),
            places,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path.name} 缺少或写错了设置：{exc}") from exc
