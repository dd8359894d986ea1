"""The space's own packet as data: the Annex 1 form's labels and limits, the Annex 2 kinds.

The Annex 3 form names its companion (``packet = "annex1_2016.toml"`` in its ``[form]``); this
module reads that file into small frozen objects and validates it, so a typo in ``schemas/``
stops the run with a message naming the key instead of silently checking nothing.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pipeline.core.errors import ConfigError
from pipeline.core.schema import ColumnSpec, FormSpec

LIMIT = re.compile(r"限\s*(\d+)\s*字")
COMPARES = {"key", "date", "choice", "person", "mobile", "email", "fixed_phone"}
KINDS = 9


@dataclass(frozen=True)
class FieldSpec:
    """A label with one value beside it; ``annex3`` names the field it is checked against."""

    field: str
    label: str
    aliases: tuple[str, ...]
    annex3: str = ""
    compare: str = ""
    number: bool = False
    column: str = ""
    sealed: bool = False

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.label, *self.aliases)


@dataclass(frozen=True)
class SectionSpec:
    """A narrative section; ``limit`` is the one printed in the schema's label."""

    field: str
    label: str
    limit: int

    @property
    def short_label(self) -> str:
        """The label without its notes, which is how it is recognised in a form."""
        return self.label.split("（")[0].split("(")[0]


@dataclass(frozen=True)
class KindSpec:
    """One of Annex 2's nine kinds of documents and the words that name it."""

    number: int
    title: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class PacketSpec:
    """Everything about Annex 1 and Annex 2 the reader and the checks need."""

    id: str
    title: str
    min_labels: int
    seal_notes: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    marks: tuple[str, ...]
    boxes: tuple[str, ...]
    contact_section: str
    roles: tuple[FieldSpec, ...]
    contact_columns: tuple[FieldSpec, ...]
    sections: tuple[SectionSpec, ...]
    units: tuple[str, ...]
    multipliers: dict[str, float]
    unclassified: str
    kinds: tuple[KindSpec, ...]
    layout: tuple[tuple[str, ...], ...] = ()
    """The blank form's rows of fields, top to bottom, one or two fields a row (annex1_docx)."""

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.field == name)

    def choice_column(self, form: FormSpec) -> ColumnSpec:
        """The Annex 3 column the form's choice field is compared with (its ``annex3``): its
        options and spellings are the form's too, so both forms offer the same words."""
        return form.column(next(f.annex3 for f in self.fields if f.compare == "choice"))

    @property
    def numbers(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.number)


def _field(entry: dict[str, Any], where: str) -> FieldSpec:
    for key in ("field", "label"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise ConfigError(f"{where} 缺少文字项 {key}。")
    compare = entry.get("compare", "")
    if compare and compare not in COMPARES:
        raise ConfigError(f"{where} 的 compare = “{compare}”未知；可用：{'、'.join(COMPARES)}。")
    return FieldSpec(
        field=entry["field"],
        label=entry["label"],
        aliases=tuple(entry.get("aliases", ())),
        annex3=entry.get("annex3", ""),
        compare=compare,
        number=bool(entry.get("number", False)),
        column=entry.get("column", entry["label"]),
        sealed=bool(entry.get("sealed", False)),
    )


def _layout(
    rows: list[list[str]], fields: tuple[FieldSpec, ...], path: Path
) -> tuple[tuple[str, ...], ...]:
    """``[form] layout``: every field once, one or two a row, so the blank form prints them all."""
    layout = tuple(tuple(row) for row in rows)
    placed = [name for row in layout for name in row]
    if sorted(placed) != sorted(f.field for f in fields) or not all(0 < len(r) < 3 for r in layout):
        raise ConfigError(
            f"{path} 的 [form] layout 须把每个 [[fields]] 的 field 各列一次，每行一至两项。"
        )
    return layout


def _section(entry: dict[str, Any], where: str) -> SectionSpec:
    found = LIMIT.search(entry.get("label", ""))
    if found is None:
        raise ConfigError(f"{where} 的 label 中没有字数限制（如“（限200字）”）。")
    return SectionSpec(entry["field"], entry["label"], int(found[1]))


def _kinds(entries: list[dict[str, Any]], path: Path) -> tuple[KindSpec, ...]:
    kinds = tuple(
        KindSpec(int(k["number"]), k["title"], tuple(k["keywords"]))
        for k in sorted(entries, key=lambda k: int(k["number"]))
    )
    if [k.number for k in kinds] != list(range(1, KINDS + 1)) or not all(k.keywords for k in kinds):
        raise ConfigError(f"{path} 的 [[annex2.kinds]] 须为第 1–9 类，每类至少一个关键词。")
    return kinds


def parse_packet(data: dict[str, Any], path: Path) -> PacketSpec:
    """Build and validate the spec from the TOML's data; ConfigError names what is wrong."""
    try:
        form, contacts = data["form"], data["contacts"]
        fields = tuple(_field(f, f"{path} [[fields]]") for f in data["fields"])
        spec = PacketSpec(
            id=form["id"],
            title=form["title"],
            min_labels=int(form["min_labels"]),
            seal_notes=tuple(form.get("seal_notes", ())),
            fields=fields,
            marks=tuple(data["choice"]["marks"]),
            boxes=tuple(data["choice"]["boxes"]),
            contact_section=contacts["section"],
            roles=tuple(
                _field(
                    {"field": r["annex3"], "label": r["role"], **r}, f"{path} [[contacts.roles]]"
                )
                for r in contacts["roles"]
            ),
            contact_columns=tuple(
                _field(c, f"{path} [[contacts.columns]]") for c in contacts["columns"]
            ),
            sections=tuple(_section(s, f"{path} [[sections]]") for s in data["sections"]),
            units=tuple(data["numbers"]["units"]),
            multipliers={k: float(v) for k, v in data["numbers"].get("multipliers", {}).items()},
            unclassified=data["annex2"]["unclassified"],
            kinds=_kinds(data["annex2"]["kinds"], path),
            layout=_layout(form["layout"], fields, path),
        )
    except KeyError as exc:
        raise ConfigError(
            f"{path} 缺少 {exc.args[0]}；请对照 schemas/annex1_2016.toml 补全。"
        ) from exc
    if not spec.numbers or not spec.sections:
        raise ConfigError(f"{path} 须列出数字项（number = true）和叙述部分（[[sections]]）。")
    return spec


@cache
def load_packet(form_path: Path) -> PacketSpec | None:
    """The packet spec the Annex 3 form at ``form_path`` names, or None when it names none."""
    form = tomllib.loads(Path(form_path).read_text(encoding="utf-8"))["form"]
    name = form.get("packet")
    if not name:
        return None
    path = Path(form_path).parent / name
    if not path.is_file():
        raise ConfigError(f"{form_path} 指定的附件1定义 {path} 不存在。")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} 格式错误：{exc}") from exc
    return parse_packet(data, path)
