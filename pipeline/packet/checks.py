"""The checks of one Annex 1 form: against its Annex 3 row, and on its own content.

Both sides are compared after the normalisation Annex 3 gets (names as §5 keys, dates as
intervals that agree when they overlap, phones and e-mail parsed), so ``2015年3月`` agrees with
``2015-03-15`` and ``0731 8888 1234`` with ``0731-88881234``. Findings are returned as data; the
caller turns them into problems at the row or at the form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pandas as pd

from pipeline.core.dates import read_dates
from pipeline.core.model import FormRead
from pipeline.core.packet_spec import PacketSpec
from pipeline.core.schema import FormSpec, Province, Registers, fold
from pipeline.core.values import first_value
from pipeline.dedupe.match import operator_key_of
from pipeline.rules.normalise import (
    choice_value,
    clean_text,
    parse_email,
    parse_fixed,
    parse_mobile,
)


def chosen_type(text: str, spec: PacketSpec, form: FormSpec) -> str:
    """The institution type marked in ``事业单位□ 国有企业☑ …``; typed text through the synonyms.

    A mark stands after its option, or before it when the text starts with a mark or a box.
    Several marks give every marked option joined with 、 (a disagreement the check shows).
    """
    normal = unicodedata.normalize("NFKC", text).strip()
    signs = (*spec.marks, *spec.boxes)
    column = spec.choice_column(form)
    if not any(unicodedata.normalize("NFKC", s) in normal for s in signs if len(s) == 1):
        return choice_value(normal, column) or normal
    places: list[tuple[int, int, str]] = []
    for option, synonyms in column.choices:
        for spelling in (option, *synonyms):
            at = normal.find(spelling)
            if at >= 0 and not any(a <= at < b for a, b, _ in places):
                places.append((at, at + len(spelling), option))
                break
    places.sort()
    before = normal[:1] in {unicodedata.normalize("NFKC", s) for s in signs}
    marks = [unicodedata.normalize("NFKC", m) for m in spec.marks]
    chosen = []
    for i, (start, end, option) in enumerate(places):
        if before:
            segment = normal[places[i - 1][1] if i else 0 : start]
        else:
            segment = normal[end : places[i + 1][0] if i + 1 < len(places) else len(normal)]
        if any(m in segment for m in marks):
            chosen.append(option)
    return "、".join(chosen)


def parse_number(text: str, spec: PacketSpec) -> float | None:
    """A figure such as ``约1,200平方米``, ``1200㎡``, ``30余家``, ``1.2万``; else None."""
    normal = "".join(unicodedata.normalize("NFKC", text).split()).replace(",", "")
    for unit in sorted({unicodedata.normalize("NFKC", u) for u in spec.units}, key=len)[::-1]:
        normal = normal.replace(unit, "")
    factor = 1.0
    for word, times in spec.multipliers.items():
        if normal.endswith(word):
            normal, factor = normal.removesuffix(word), times
    return float(normal) * factor if re.fullmatch(r"\d+(?:\.\d+)?", normal) else None


@dataclass(frozen=True)
class Located:
    """One finding: the form's label, the Annex 3 field compared (or ""), both values, where."""

    label: str
    annex3: str
    value: str
    form_value: str
    where: str
    params: dict[str, Any] = field(default_factory=dict)


@cache
def _cleaned(text: str) -> Any:
    """One value as the Annex 3 cleaning leaves it (kept: a batch compares the same few often)."""
    return clean_text(pd.Series([text])).iloc[0]


def _dates_agree(form_text: str, row: Mapping[str, Any], annex3: str, province: Province) -> bool:
    """Intervals that overlap agree (2015年 and 2015-03-15); a form date that is none does not."""
    parsed = read_dates(clean_text(pd.Series([form_text])))[0].iloc[0]
    start, end = row.get(f"{annex3}_start"), row.get(f"{annex3}_end")
    if pd.isna(parsed["start"]) or pd.isna(start):
        return operator_key_of(form_text, province) == operator_key_of(
            str(row.get(annex3, "")), province
        )
    return bool(parsed["start"] <= end and start <= parsed["end"])


def _phone(area: str) -> Callable[[str], str]:
    return lambda text: parse_fixed(first_value(text)[0], area)[0]


def _canonical(compare: str, area: str, province: Province) -> Callable[[str], str]:
    """How a value of one kind is put in canonical form before comparing."""
    return {
        "key": lambda t: operator_key_of(t, province),
        "person": fold,
        "mobile": lambda t: parse_mobile(first_value(t)[0])[0],
        "email": lambda t: parse_email(first_value(t)[0])[0].lower(),
        "fixed_phone": _phone(area),
    }[compare]


def _agree(
    compare: str,
    form_value: str,
    row: Mapping[str, Any],
    annex3: str,
    area: str,
    province: Province,
) -> bool:
    if compare == "date":
        return _dates_agree(form_value, row, annex3, province)
    value = str(row.get(annex3, "") or "")
    if compare == "choice":
        return form_value == value
    canonical = _canonical(compare, area, province)
    return canonical(_cleaned(form_value)) == canonical(value)


def mismatches(
    found: FormRead, row: Mapping[str, Any], spec: PacketSpec, form: FormSpec, province: Province
) -> list[Located]:
    """Every field where the form disagrees with the row; a blank in the form, or a word for
    "none" (无, /, 暂无: the Annex 3 form's list), is not compared."""
    phones = [c.field for c in form.columns if c.kind == "fixed_phone"]
    area = str(row.get(phones[0], "") if phones else "").split("-")[0]
    none = {fold(w) for w in form.no_answers}

    def stated(text: str) -> str:
        return "" if fold(text) in none else text.strip()

    out = []
    for f in spec.fields:
        text = stated(found.values.get(f.field, ""))
        if not f.annex3 or not text:
            continue
        shown = chosen_type(text, spec, form) if f.compare == "choice" else text
        if not shown:
            continue
        if not _agree(f.compare, shown, row, f.annex3, area, province):
            value = str(row.get(f.annex3, "") or "")
            out.append(Located(f.label, f.annex3, value, shown, found.where.get(f.field, "")))
    for role in spec.roles:
        person = stated(found.contacts.get(role.field, {}).get("person", ""))
        if person and not _agree("person", person, row, role.annex3, area, province):
            where = found.where.get(f"{role.field}.person", "")
            out.append(
                Located(role.label, role.annex3, str(row.get(role.annex3, "")), person, where)
            )
    for column in spec.contact_columns:
        if not column.annex3:
            continue
        given = [
            (role.field, text)
            for role in spec.roles
            if (text := stated(found.contacts.get(role.field, {}).get(column.field, "")))
        ]
        agreeing = [
            t for _, t in given if _agree(column.compare, t, row, column.annex3, area, province)
        ]
        if given and not agreeing:
            where = found.where.get(f"{given[0][0]}.{column.field}", "")
            value = str(row.get(column.annex3, "") or "")
            shown = " / ".join(t for _, t in given)
            out.append(Located(column.label, column.annex3, value, shown, where))
    return out


def content_findings(found: FormRead, spec: PacketSpec) -> list[tuple[str, Located]]:
    """W_ANNEX1_EMPTY / W_ANNEX1_NUMBER on the three figures, W_ANNEX1_EMPTY / W_ANNEX1_TOO_LONG
    on the narratives (characters other than whitespace counted against the printed limit)."""
    out: list[tuple[str, Located]] = []
    for f in (f for f in spec.numbers if f.field not in found.unsure):
        text = found.values.get(f.field, "").strip()
        where = found.where.get(f.field, "")
        if not text:
            out.append(("W_ANNEX1_EMPTY", Located(f.label, "", "", "", where)))
        elif parse_number(text, spec) is None:
            out.append(("W_ANNEX1_NUMBER", Located(f.label, "", "", text, where)))
    for s in (s for s in spec.sections if s.field not in found.unsure):
        _printed, limit, text = found.sections.get(s.field, (s.label, s.limit, ""))
        where = found.where.get(s.field, "")
        length = len("".join(text.split()))
        if not length:
            out.append(("W_ANNEX1_EMPTY", Located(s.short_label, "", "", "", where)))
        elif length > limit:
            params = {"length": length, "limit": limit}
            shown = text[:30] + ("…" if len(text) > 30 else "")
            out.append(("W_ANNEX1_TOO_LONG", Located(s.short_label, "", "", shown, where, params)))
    return out


def figures(found: FormRead, spec: PacketSpec) -> dict[str, float]:
    """The three figures of 明细 as numbers (NaN when empty or not a number)."""
    parsed = {f.field: parse_number(found.values.get(f.field, ""), spec) for f in spec.numbers}
    return {name: float("nan") if value is None else value for name, value in parsed.items()}


def check_form(
    found: FormRead, row: Mapping[str, Any], spec: PacketSpec, form: FormSpec, registers: Registers
) -> tuple[list[Located], list[tuple[str, Located]], dict[str, float]]:
    """Everything one form says about its space: disagreements, content findings, figures."""
    return (
        mismatches(found, row, spec, form, registers.province),
        content_findings(found, spec),
        figures(found, spec),
    )
