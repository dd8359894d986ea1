"""Load the form definition, the problem-code catalogue and the registers from ``schemas/``.

Rules, labels, synonyms and registers are data; this module turns them into small typed, frozen
objects that every stage shares. Nothing here knows a column by name except through the spec.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pipeline.errors import ConfigError


def _schemas_dir() -> Path:
    """``schemas/`` beside the package in a checkout (editable install), else the copy a regular
    install puts under ``<prefix>/share/beian/schemas``."""
    checkout = Path(__file__).resolve().parent.parent / "schemas"
    installed = Path(sys.prefix) / "share" / "beian" / "schemas"
    return checkout if checkout.is_dir() or not installed.is_dir() else installed


SCHEMAS_DIR = _schemas_dir()


def fold(text: str) -> str:
    """Fold text for matching labels and names: NFKC, no whitespace, lower case."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


@dataclass(frozen=True)
class ColumnSpec:
    """One Annex 3 column: its printed label, the aliases bureaus use, its kind and rules."""

    field: str
    label: str
    aliases: tuple[str, ...]
    kind: str
    required: bool
    rules: tuple[str, ...]
    width: int

    @property
    def short_label(self) -> str:
        """The label without its parenthetical note, as a clerk says it."""
        return self.label.split("（")[0]


@dataclass(frozen=True)
class FormSpec:
    """The whole form: columns in printed order plus the words used to read and judge it."""

    id: str
    title: str
    stamp_label: str
    stamp_markers: tuple[str, ...]
    footer_prefixes: tuple[str, ...]
    example_markers: tuple[str, ...]
    header_search_rows: int
    header_min_columns: int
    columns: tuple[ColumnSpec, ...]
    institution_types: dict[str, tuple[str, ...]]
    no_answers: tuple[str, ...]
    no_prefixes: tuple[str, ...]
    yes_prefixes: tuple[str, ...]
    answer_filler: tuple[str, ...]
    home_province: str
    other_provinces: tuple[str, ...]
    none_words: tuple[str, ...] = ()
    footer_words: tuple[str, ...] = ()
    example_labels: tuple[str, ...] = ()
    ditto: tuple[str, ...] = ()
    own_zone_words: tuple[str, ...] = ()
    source: Path = Path()
    """The form file this spec was read from, so later checks can name it."""

    @property
    def fields(self) -> list[str]:
        return [c.field for c in self.columns]

    def column(self, field_name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.field == field_name)

    @property
    def institution_lookup(self) -> dict[str, str]:
        """Every folded spelling of an institution type mapped to its canonical value."""
        lookup: dict[str, str] = {}
        for canonical, synonyms in self.institution_types.items():
            for spelling in (canonical, *synonyms):
                lookup[fold(spelling)] = canonical
        return lookup


@dataclass(frozen=True)
class CodeSpec:
    """A problem code: severity from its prefix, the Chinese message template and fix hint."""

    code: str
    message: str
    hint: str

    @property
    def severity(self) -> str:
        return {"F": "file", "E": "error", "W": "warning", "I": "notice"}[self.code[0]]


@dataclass(frozen=True)
class Bureau:
    """A submitting unit of the register (schemas/bureaus.csv)."""

    code: str
    name: str
    kind: str
    city: str
    area_code: str
    zone: str
    aliases: tuple[str, ...]

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Zone:
    """A high-tech zone of the province with the date it became national."""

    official_name: str
    short_name: str
    city: str
    national_since: dt.date
    aliases: tuple[str, ...]

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.official_name, self.short_name, *self.aliases)


@dataclass(frozen=True)
class Registers:
    """The bureau and zone registers, in register order."""

    bureaus: tuple[Bureau, ...]
    zones: tuple[Zone, ...]

    def national_zones(self, on: dt.date) -> tuple[Zone, ...]:
        return tuple(z for z in self.zones if z.national_since <= on)

    def bureau_named(self, name: str) -> Bureau | None:
        return next((b for b in self.bureaus if b.name == name), None)


@dataclass(frozen=True)
class Catalogue:
    """All problem codes by name."""

    codes: dict[str, CodeSpec] = field(default_factory=dict)

    def __getitem__(self, code: str) -> CodeSpec:
        return self.codes[code]


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(";") if part.strip())


KINDS = ("text", "name", "date", "choice", "fixed_phone", "mobile", "email", "zone", "incubator")
"""The column kinds normalise.py knows how to read; a form file may use no other."""


def check_columns(path: Path, columns: list[dict], codes: set[str]) -> None:
    """Refuse a form file whose columns name an unknown kind or rule code, naming the entry,
    instead of passing it silently (kind) or failing mid-run with a KeyError (code)."""
    for number, column in enumerate(columns, start=1):
        where = f"表样文件 {path} 第 {number} 个 [[columns]]（field = {column.get('field', '')}）"
        if column.get("kind") not in KINDS:
            raise ConfigError(
                f"{where}的 kind “{column.get('kind', '')}” 未知；可用：{'、'.join(KINDS)}。"
            )
        unknown = [c for c in column.get("rules", ()) if c not in codes]
        if unknown:
            raise ConfigError(
                f"{where}的 rules 中有未定义的代码 {'、'.join(unknown)}；"
                "请先在 schemas/codes.toml 中写明它的提示和修改建议。"
            )


@cache
def load_form(path: Path) -> FormSpec:
    """Read a form definition such as schemas/annex3_2016.toml; kinds and codes checked."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    form = data["form"]
    check_columns(Path(path), data["columns"], set(load_catalogue().codes))
    columns = tuple(
        ColumnSpec(
            field=c["field"],
            label=c["label"],
            aliases=tuple(c.get("aliases", ())),
            kind=c["kind"],
            required=bool(c.get("required", False)),
            rules=tuple(c.get("rules", ())),
            width=int(c.get("width", 14)),
        )
        for c in data["columns"]
    )
    return FormSpec(
        id=form["id"],
        title=form["title"],
        stamp_label=form["stamp_label"],
        stamp_markers=tuple(form["stamp_markers"]),
        footer_prefixes=tuple(form["footer_prefixes"]),
        example_markers=tuple(form["example_markers"]),
        header_search_rows=int(form["header_search_rows"]),
        header_min_columns=int(form["header_min_columns"]),
        columns=columns,
        institution_types={k: tuple(v) for k, v in data["institution_types"].items()},
        no_answers=tuple(data["answers"]["no"]),
        no_prefixes=tuple(data["answers"]["no_prefixes"]),
        yes_prefixes=tuple(data["answers"]["yes_prefixes"]),
        answer_filler=tuple(data["answers"]["filler"]),
        home_province=data["provinces"]["home"],
        other_provinces=tuple(data["provinces"]["others"]),
        none_words=tuple(data.get("optional", {}).get("none_words", ())),
        footer_words=tuple(form.get("footer_words", ())),
        example_labels=tuple(form.get("example_labels", ())),
        ditto=tuple(form.get("ditto", ())),
        own_zone_words=tuple(data["answers"].get("own_zone", ())),
        source=Path(path),
    )


@cache
def load_catalogue(path: Path = SCHEMAS_DIR / "codes.toml") -> Catalogue:
    """Read schemas/codes.toml: every code's Chinese message and fix hint."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    return Catalogue({code: CodeSpec(code, v["message"], v["hint"]) for code, v in data.items()})


@cache
def load_registers(directory: Path = SCHEMAS_DIR) -> Registers:
    """Read the bureau and zone registers (CSV, UTF-8, one row per unit)."""
    with (Path(directory) / "bureaus.csv").open(encoding="utf-8", newline="") as f:
        bureaus = tuple(
            Bureau(
                code=r["code"],
                name=r["name"],
                kind=r["kind"],
                city=r["city"],
                area_code=r["area_code"],
                zone=r.get("zone", "") or "",
                aliases=_split(r.get("aliases", "")),
            )
            for r in csv.DictReader(f)
        )
    with (Path(directory) / "hightech_zones.csv").open(encoding="utf-8", newline="") as f:
        zones = tuple(
            Zone(
                official_name=r["official_name"],
                short_name=r["short_name"],
                city=r["city"],
                national_since=dt.date.fromisoformat(r["national_since"]),
                aliases=_split(r.get("aliases", "")),
            )
            for r in csv.DictReader(f)
        )
    return Registers(bureaus, zones)
