"""Load the form definition, the problem-code catalogue and the registers from ``schemas/``.

Rules, labels, synonyms and registers are data; this module turns them into small typed, frozen
objects that every stage shares. Nothing here knows a column by name except through the spec.
"""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pipeline.core.errors import ConfigError
from pipeline.core.formfile import ANSWER_KINDS, DETAIL_PARTS, check_sections
from pipeline.core.packaged import SCHEMAS_DIR


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
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """For kind choice: each option with the spellings that mean it (a table of the form file)."""
    detail: tuple[tuple[str, str], ...] = ()
    """The column's 明细 columns as (part, label), in the kind's order of parts (DETAIL_PARTS)."""

    @property
    def short_label(self) -> str:
        """The label without its parenthetical note, as a clerk says it."""
        return short_label(self.label)

    @property
    def answer(self) -> bool:
        """A yes/no column that names what it answers (是，长沙高新区); normalise adds
        ``in_<field>`` for the 是/否."""
        return self.kind in ANSWER_KINDS

    @property
    def options(self) -> list[str]:
        """A choice column's canonical options, in the form file's order."""
        return [option for option, _ in self.choices]

    @property
    def choice_lookup(self) -> dict[str, str]:
        """Every folded spelling of a choice column's options mapped to its option."""
        return {fold(s): option for option, spellings in self.choices for s in (option, *spellings)}

    def detail_label(self, part: str) -> str:
        return dict(self.detail)[part]


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
    no_answers: tuple[str, ...]
    no_prefixes: tuple[str, ...]
    yes_prefixes: tuple[str, ...]
    answer_filler: tuple[str, ...]
    none_words: tuple[str, ...] = ()
    footer_words: tuple[str, ...] = ()
    example_labels: tuple[str, ...] = ()
    ditto: tuple[str, ...] = ()
    same_as: tuple[str, ...] = ()
    own_zone_words: tuple[str, ...] = ()
    zone_qualifiers: tuple[str, ...] = ()
    tick_columns: tuple[str, ...] = ()
    tick_marks: tuple[str, ...] = ()
    source: Path = Path()
    """The form file this spec was read from, so later checks can name it."""

    @property
    def fields(self) -> list[str]:
        return [c.field for c in self.columns]

    def column(self, field_name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.field == field_name)

    def of_kind(self, kind: str) -> list[ColumnSpec]:
        """The columns read as ``kind``, in form order (the reports' date, zone or choice column
        is found this way, never by its field name)."""
        return [c for c in self.columns if c.kind == kind]


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
class Province:
    """The province the registers belong to (schemas/province.toml): its names as printed and
    as written, its department, and the other provinces an address may name."""

    name: str
    short: str
    department: str
    others: tuple[str, ...]

    @property
    def spellings(self) -> tuple[str, ...]:
        """Longest first, so 湖南省 is taken whole before 湖南."""
        return tuple(sorted({self.name, self.short}, key=len, reverse=True))


@dataclass(frozen=True)
class Registers:
    """The bureau and zone registers, in register order, and the province they belong to."""

    bureaus: tuple[Bureau, ...]
    zones: tuple[Zone, ...]
    province: Province

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


def short_label(label: str) -> str:
    return label.split("（")[0]


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(";") if part.strip())


@cache
def load_form(path: Path) -> FormSpec:
    """Read a form definition such as schemas/annex3_2016.toml, checked whole: sections, keys,
    types, kinds and codes."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"无法读取表样文件 {path}：{exc}；请检查 beian.toml 中 form 的写法。"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"表样文件 {path} 不是有效的 TOML：{exc}；请改正该行。") from exc
    check_sections(Path(path), data, set(load_catalogue().codes))
    form = data["form"]
    columns = tuple(
        ColumnSpec(
            field=c["field"],
            label=c["label"],
            aliases=tuple(c.get("aliases", ())),
            kind=c["kind"],
            required=bool(c.get("required", False)),
            rules=tuple(c.get("rules", ())),
            width=int(c.get("width", 14)),
            choices=tuple((k, tuple(v)) for k, v in data.get(c.get("choices", ""), {}).items()),
            detail=_detail(c),
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
        no_answers=tuple(data["answers"]["no"]),
        no_prefixes=tuple(data["answers"]["no_prefixes"]),
        yes_prefixes=tuple(data["answers"]["yes_prefixes"]),
        answer_filler=tuple(data["answers"]["filler"]),
        none_words=tuple(data.get("optional", {}).get("none_words", ())),
        footer_words=tuple(form.get("footer_words", ())),
        example_labels=tuple(form.get("example_labels", ())),
        ditto=tuple(form.get("ditto", ())),
        same_as=tuple(form.get("same_as", ())),
        own_zone_words=tuple(data["answers"].get("own_zone", ())),
        zone_qualifiers=tuple(data["answers"].get("zone_qualifiers", ())),
        tick_columns=tuple(data["answers"].get("tick_columns", ())),
        tick_marks=tuple(data["answers"].get("tick_marks", ())),
        source=Path(path),
    )


def _detail(column: dict) -> tuple[tuple[str, str], ...]:
    """(part, 明细 label) in the kind's order; a one-part column defaults to its short label."""
    given = column.get("detail") or {"value": short_label(column["label"])}
    return tuple((part, given[part]) for part in DETAIL_PARTS.get(column["kind"], ("value",)))


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
    return Registers(bureaus, zones, load_province(Path(directory) / "province.toml"))


PROVINCE_KEYS = {"name": str, "short": str, "department": str, "others": list}


def load_province(path: Path) -> Province:
    """Read schemas/province.toml; a missing, unknown or mistyped key is a ConfigError naming
    the file and the key."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for key in sorted(data.keys() - PROVINCE_KEYS.keys()):
        raise ConfigError(
            f"省份文件 {path} 中的键 {key} 未知；请删去或改正，可用：{'、'.join(PROVINCE_KEYS)}。"
        )
    for key, kind in PROVINCE_KEYS.items():
        if not isinstance(data.get(key), kind) or not data[key]:
            shape = "文字" if kind is str else "列表"
            raise ConfigError(f"省份文件 {path} 缺少 {key}，或它不是{shape}；请按原样写明 {key}。")
    return Province(data["name"], data["short"], data["department"], tuple(data["others"]))
