"""Normalise the text bureaus typed into canonical values, column by column.

Each function takes the text column as read and returns canonical values plus what was learned
while parsing (a date's interval, whether a phone parsed, which zone a free-text answer names).
Judging those facts against the rules, with their codes, is the validate stage's job.
Parsers that need a library call per value (phonenumbers, email-validator) run once per distinct
value, never once per cell, and only for the values the column-wide fast paths of
:mod:`pipeline.rules.fastpath` leave undecided.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

import pandas as pd
import phonenumbers
from email_validator import EmailNotValidError, validate_email

from pipeline.core.dates import parse_dates as parse_dates
from pipeline.core.dates import read_dates
from pipeline.core.schema import Bureau, ColumnSpec, FormSpec, Registers, Zone, fold
from pipeline.core.values import drop_enumeration, first_value, join_chinese
from pipeline.rules.fastpath import plain_emails, plain_fixed, plain_mobiles

WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
"""Every character Python's ``\\s`` matches (none lies beyond U+3000), spelled out so that a
column's regular expression runs in pyarrow, not cell by cell in Python."""
_SPACE_RUNS = f"[{WHITESPACE}]+"
_BRACKETED = re.compile(r"\(.*?\)|（.*?）|\[.*?\]|【.*?】")
_PHONE_CHARS = re.compile(r"^[\d\s\-()（）+.—－]+$")
_FLOAT_INTEGER = re.compile(r"(\d+)\.0+")
_EXTENSION = re.compile(
    r"(?P<main>.*\d)\s*(?:转|分机|ext\.?|x|-)\s*(?P<ext>\d{1,5})", re.IGNORECASE
)


def map_unique(values: pd.Series, parse: Callable[..., Any], *args: Any) -> pd.Series:
    """Apply ``parse(value, *args)`` once per distinct value and spread the results back over
    the column."""
    results = {value: parse(value, *args) for value in values.unique()}
    return values.map(results)


def on_distinct(
    values: pd.Series, read: Callable[[pd.Series], tuple[pd.DataFrame, pd.Series]]
) -> tuple[pd.DataFrame, pd.Series]:
    """A row-by-row column reader run once per distinct value and spread back over the column:
    a batch repeats its founding dates (40,000 rows hold a few thousand)."""
    codes, uniques = pd.factorize(values)
    frame, column = read(pd.Series(uniques, dtype=values.dtype))
    return frame.iloc[codes].set_axis(values.index), column.iloc[codes].set_axis(values.index)


def clean_text(values: pd.Series) -> pd.Series:
    """NFKC (full-width to half-width, odd spaces to plain), line wraps and gaps inside Chinese
    text dropped, other whitespace collapsed, trimmed."""
    nfkc = join_chinese(nfkc_text(values))
    return nfkc.str.replace(_SPACE_RUNS, " ", regex=True).str.strip()


def clean_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """:func:`clean_text` of every cell, the columns end to end in one column: each step's fixed
    cost is paid once rather than once per column (100 rows of 13 columns: 20 → 7 ms)."""
    if raw.empty:
        return raw.apply(clean_text)
    cleaned = clean_text(pd.concat([raw[c] for c in raw.columns], ignore_index=True))
    rows = len(raw)
    return pd.DataFrame(
        {
            column: cleaned.iloc[i * rows : (i + 1) * rows].set_axis(raw.index)
            for i, column in enumerate(raw.columns)
        }
    )


def nfkc_text(values: pd.Series) -> pd.Series:
    """NFKC of each cell; plain ASCII cells, which NFKC leaves as they are, are not passed to it
    (it runs cell by cell in Python)."""
    plain = values.str.isascii().fillna(True).astype(bool)
    if plain.all():
        return values
    return values.where(plain, values[~plain].str.normalize("NFKC"))


def answered(raw: pd.DataFrame, form: FormSpec) -> pd.DataFrame:
    """Whether each cell was filled in: not blank and, in an optional column, not a word for
    "none" (传真 = 无 means no fax, not a bad number)."""
    present = raw.apply(lambda s: s.str.strip() != "")
    nones = {fold(w) for w in form.none_words}
    for col in form.columns:
        if not col.required and col.field in raw:
            folded = nfkc_text(raw[col.field]).str.replace(_SPACE_RUNS, "", regex=True)
            present[col.field] &= ~folded.str.lower().isin(nones)
    return present


def chinese_brackets(values: pd.Series) -> pd.Series:
    """Names are stored with Chinese brackets （） whatever the bureau typed."""
    return values.str.replace("(", "（", regex=False).str.replace(")", "）", regex=False)


def _digits(text: str) -> str | None:
    """The digits of a phone-like text without a +86/0086 prefix; None if it holds other things.

    Full-width digits count, and so does a number that went through a float (``13807310000.0``).
    """
    text = unicodedata.normalize("NFKC", text).strip()
    if not text or not _PHONE_CHARS.match(text):
        return None
    as_float = _FLOAT_INTEGER.fullmatch(text)
    digits = re.sub(r"\D", "", as_float[1] if as_float else text)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif text.lstrip().startswith("+86") or (digits.startswith("86") and len(digits) in (12, 13)):
        digits = digits[2:]
    return digits


_FIXED_TYPES = {
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}
_MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def _parse_cn(digits: str, types: set[int]) -> phonenumbers.PhoneNumber | None:
    """A valid mainland number of one of ``types`` (an invalid number's type is UNKNOWN).

    ``digits`` are already clean, so the number is built directly (the trunk 0 dropped) rather
    than through ``phonenumbers.parse``, which costs three times as much.
    """
    if not digits.isdigit() or not 3 <= len(digits) <= 17:
        return None
    national = digits[1:] if digits.startswith("0") else digits
    if not national or national.startswith("0"):
        return None
    number = phonenumbers.PhoneNumber(country_code=86, national_number=int(national))
    return number if phonenumbers.number_type(number) in types else None


def parse_fixed(text: str, area_code: str) -> tuple[str, bool, bool]:
    """A fixed line as ``0731-88988998``: (formatted or text, valid, area code added).

    Not valid is E_PHONE; an area code added is W_PHONE_AREA_ADDED (both judged in validate.py).

    A local number without area code takes the bureau's; a leading 0 lost because the cell was
    a number is put back. An extension (``转801``, ``分机801``, ``-801``) is kept as ``转801``.
    """
    found = _fixed_number(text, area_code)
    if found is not None:
        return found[0], True, found[1]
    split = _EXTENSION.fullmatch(unicodedata.normalize("NFKC", text).strip())
    found = _fixed_number(split["main"], area_code) if split else None
    if split is None or found is None:
        return text, False, False
    return f"{found[0]}转{split['ext']}", True, found[1]


def _fixed_number(text: str, area_code: str) -> tuple[str, bool] | None:
    """The formatted fixed line and whether the area code was added, or None."""
    digits = _digits(text)
    if digits is None:
        return None
    added = False
    if not digits.startswith("0"):
        if len(digits) in (7, 8) and area_code:
            digits, added = area_code + digits, True
        elif len(digits) in (10, 11) and not digits.startswith("1"):
            digits = "0" + digits
    number = _parse_cn(digits, _FIXED_TYPES)
    if number is None:
        return None
    nsn = phonenumbers.national_significant_number(number)
    ndc = area_code_length(nsn)
    return f"0{nsn[:ndc]}-{nsn[ndc:]}", added


def area_code_length(nsn: str) -> int:
    """Digits of the area code in a mainland fixed line's national number (without the 0).

    The numbering plan gives two digits to 10 and 20–29 and three to every other area; this
    is what phonenumbers' length_of_geographical_area_code answers, at a fraction of its cost.
    """
    return 2 if nsn.startswith(("10", "2")) else 3


def parse_mobile(text: str) -> tuple[str, bool]:
    """A mainland mobile as 11 digits: (formatted or text, valid); not valid is E_MOBILE."""
    digits = _digits(text)
    if digits is None or len(digits) != 11 or not digits.startswith("1"):
        return text, False
    return (digits, True) if _parse_cn(digits, _MOBILE_TYPES) else (text, False)


def parse_email(text: str) -> tuple[str, bool]:
    """Syntax only, offline (no DNS): (normalised address or text, valid); not valid is E_EMAIL."""
    candidate = "".join(unicodedata.normalize("NFKC", text).split()).replace("。", ".")
    if not candidate:
        return text, False
    try:
        return validate_email(candidate, check_deliverability=False).normalized, True
    except EmailNotValidError:
        return text, False


def choice_value(text: str, column: ColumnSpec) -> str:
    """The option a choice cell names (its spellings in the form file), or ``""``
    (E_INSTITUTION_TYPE); when the whole text is not a known spelling, a note in brackets is
    ignored (民营企业（有限公司）) or, failing that, is the answer (有限责任公司（民营）) when the
    notes name one option only."""
    lookup = column.choice_lookup
    folded = fold(text).rstrip("。.,，;；、")
    found = lookup.get(folded) or lookup.get(_BRACKETED.sub("", folded))
    inside = {lookup.get(note[1:-1], "") for note in _BRACKETED.findall(folded)} - {""}
    return found or (inside.pop() if len(inside) == 1 else "")


def parse_answer(text: str, form: FormSpec) -> tuple[str, str]:
    """A yes/no cell with a name: ("是" | "否" | "", the named thing).

    否/无/不在/``/`` mean no; 是…/在…, or any other text, means yes with that text as the name.
    The words are the form's (schemas/): ``no`` whole answers, ``no_prefixes`` that start one.
    """
    folded = fold(text)
    if not folded:
        return "", ""
    no_words = {fold(w) for w in form.no_answers}
    stripped = folded.rstrip("。.,，;；")
    if stripped in no_words or stripped.startswith(tuple(fold(w) for w in form.no_prefixes)):
        return "否", ""
    rest = unicodedata.normalize("NFKC", text).strip()
    for prefix in sorted(form.yes_prefixes, key=len, reverse=True):
        if rest.lower().startswith(prefix):
            rest = rest[len(prefix) :]
            break
    fillers = tuple(unicodedata.normalize("NFKC", f) for f in form.answer_filler)
    previous = None
    while rest != previous:
        previous = rest
        for filler in fillers:
            rest = rest.removeprefix(filler).removesuffix(filler).strip()
    return "是", rest


def match_zone(name: str, zones: tuple[Zone, ...], qualifiers: tuple[str, ...] = ()) -> Zone | None:
    """The register zone named in ``name`` (longest spelling wins), national or not.

    The zone's city may be written in full (长沙市高新区 for 长沙高新区), and a ``qualifier`` may
    stand anywhere in the name (长沙国家高新技术产业开发区): it is left out on both sides.
    """
    folded = _unqualified(fold(name), qualifiers)
    best: tuple[int, Zone] | None = None
    for zone in zones:
        city = fold(zone.city)
        text = folded.replace(city, city.removesuffix("市")) if city.endswith("市") else folded
        for spelling in zone.spellings:
            key = _unqualified(fold(spelling), qualifiers)
            if key and key in text and (best is None or len(key) > best[0]):
                best = (len(key), zone)
    return best[1] if best else None


def _unqualified(text: str, qualifiers: tuple[str, ...]) -> str:
    for word in sorted(qualifiers, key=len, reverse=True):
        text = text.replace(fold(word), "")
    return text


def normalise(
    raw: pd.DataFrame, form: FormSpec, bureau: Bureau | None, registers: Registers
) -> pd.DataFrame:
    """Canonical values and parse facts for one file's rows, same index (Excel row numbers)."""
    return normalise_batch([(raw, bureau)], form, registers)[0]


def normalise_batch(
    parts: list[tuple[pd.DataFrame, Bureau | None]], form: FormSpec, registers: Registers
) -> list[pd.DataFrame]:
    """:func:`normalise` for every file of a batch in one pass: each column operation runs once
    for the batch, not once per file (its fixed cost dominates a batch of small files). Each
    row carries its file's bureau; the frames come back per file, with their own index."""
    if not parts:
        return []
    raw = pd.concat([frame for frame, _ in parts], ignore_index=True)
    bureaus = [bureau for frame, bureau in parts for _ in range(len(frame))]
    area = pd.Series([b.area_code if b else "" for b in bureaus], dtype=object)
    zone = pd.Series([b.zone if b and b.zone else "" for b in bureaus], dtype=object)
    out = _normalise(raw, form, area, zone, registers)
    found, start = [], 0
    for frame, _ in parts:
        piece = out.iloc[start : start + len(frame)]
        piece.index = frame.index
        found.append(piece)
        start += len(frame)
    return found


_FAST = {"mobile": plain_mobiles, "email": plain_emails}
"""The fast path of each contact kind that needs no area code (fixed lines take the row's)."""


def contacts(values: pd.Series, area: pd.Series, kind: str) -> pd.DataFrame:
    """A phone or e-mail column parsed: ``value``, ``several``, ``valid`` (and ``area_added`` for
    fixed lines). Rows of a plain shape are decided for the whole column (pipeline.rules.fastpath);
    the others go through :func:`first_value` and the parser, once per distinct value."""
    fast = plain_fixed(values, area) if kind == "fixed_phone" else _FAST[kind](values)
    rest = values[~values.index.isin(fast.index)]
    first = pd.DataFrame(map_unique(rest, first_value).tolist(), index=rest.index, dtype=object)
    text = first[0] if len(rest) else rest.astype(object)
    if kind == "fixed_phone":
        parsed = map_by_area(text, area[rest.index], parse_fixed)
    else:
        parsed = map_unique(text, parse_mobile if kind == "mobile" else parse_email)
    slow = pd.DataFrame(parsed.tolist(), index=rest.index, columns=fast.columns.drop("several"))
    slow["several"] = first[1] if len(rest) else False
    both = pd.concat([fast, slow[fast.columns]]) if len(fast) else slow[fast.columns]
    return both.reindex(values.index)


def map_by_area(values: pd.Series, area: pd.Series, parse: Callable[[str, str], Any]) -> pd.Series:
    """:func:`map_unique` of ``parse(value, area)`` where each row has its own area code."""
    if values.empty:
        return map_unique(values, parse, "")
    return pd.concat([map_unique(values[area == a], parse, a) for a in area.unique()]).reindex(
        values.index
    )


def _normalise(
    raw: pd.DataFrame, form: FormSpec, area: pd.Series, zone: pd.Series, registers: Registers
) -> pd.DataFrame:
    """The batch's rows (a RangeIndex) normalised; ``area`` and ``zone`` are each row's
    bureau's area code and own zone ("" for none)."""
    text = clean_frame(raw).where(answered(raw, form), "")
    out = pd.DataFrame(index=raw.index)
    for col in form.columns:
        values = text[col.field]
        if col.kind in ("fixed_phone", "mobile", "email"):
            parsed = contacts(values, area, col.kind)
            out[f"{col.field}_several"] = parsed["several"].astype(bool)
            out[col.field] = parsed["value"]
            out[f"{col.field}_valid"] = parsed["valid"].astype(bool)
            if col.kind == "fixed_phone":
                out[f"{col.field}_area_added"] = parsed["area_added"].astype(bool)
        elif col.kind == "name":
            out[col.field] = chinese_brackets(drop_enumeration(values))
        elif col.kind == "date":
            dates, canonical = on_distinct(values, read_dates)
            out[col.field] = canonical
            out = out.join(dates.add_prefix(f"{col.field}_"))
        elif col.kind == "choice":
            canonical = map_unique(values, choice_value, col)
            out[col.field] = canonical.where(canonical != "", values)
            out[f"{col.field}_valid"] = canonical != ""
        elif col.answer:
            parsed = map_unique(values, lambda v: parse_answer(v, form))
            out[f"in_{col.field}"] = parsed.str[0]
            named = chinese_brackets(parsed.str[1].astype(str))
            if col.kind == "zone":
                unnamed = named.isin(("", *form.own_zone_words))
                implied = (parsed.str[0] == "是") & unnamed & zone.ne("")
                named = named.where(~implied, zone)
                out[f"{col.field}_implied"] = implied
                matched = map_unique(
                    named, lambda v: match_zone(v, registers.zones, form.zone_qualifiers)
                )
                out[f"{col.field}_text"] = named
                out[col.field] = matched.map(lambda z: z.official_name if z else "")
                out[f"{col.field}_since"] = pd.to_datetime(
                    matched.map(lambda z: z.national_since if z else None)
                )
            else:
                out[col.field] = named
        else:
            out[col.field] = values
    return out
