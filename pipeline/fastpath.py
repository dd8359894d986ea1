"""Column-wide fast paths for the common shapes of contact cells, equal to the full parsers.

Most phone and e-mail cells of a real batch are typed in one plain shape (``13807310000``,
``0731-88988998``, ``lina@example.com``). Parsing each distinct value with phonenumbers and
email-validator costs ≈0.1–0.35 ms, which dominates the normalise stage at 40,000 rows. Each
function here decides the rows of one plain shape for the whole column at once and leaves every
other row to the full path (``first_value`` then the parser in pipeline.normalise). For the rows
it decides, the answer is the full path's, proved by tests/test_fastpath.py on random and
adversarial inputs:

- phones: the shape is chosen so that ``first_value`` and the digit clean-up leave it unchanged,
  and the number's type is decided by phonenumbers' own CN metadata (read at import, not copied),
  in the order ``phonenumbers.number_type`` tests it;
- e-mail: a conservative ASCII shape that email-validator accepts as it is, with its length
  limits, its special-use domains and its case-insensitive mailbox names left to the library.

Each function returns a frame indexed by the rows it decided, with the columns the full path
gives: ``value``, ``several`` (always False here), ``valid`` and, for fixed lines, ``area_added``.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from email_validator import SPECIAL_USE_DOMAIN_NAMES
from email_validator.rfc_constants import (
    CASE_INSENSITIVE_MAILBOX_NAMES,
    DOMAIN_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
)
from phonenumbers import PhoneMetadata, PhoneNumberDesc


def _metadata(region: str) -> PhoneMetadata:
    found = PhoneMetadata.metadata_for_region(region)
    if found is None:  # pragma: no cover - phonenumbers ships every region's metadata
        raise ImportError(f"phonenumbers has no metadata for {region}")
    return found


_CN = _metadata("CN")
_SPECIAL_TYPES = (
    _CN.premium_rate,
    _CN.toll_free,
    _CN.shared_cost,
    _CN.voip,
    _CN.personal_number,
    _CN.pager,
    _CN.uan,
    _CN.voicemail,
)
"""The descriptions ``number_type`` tests before fixed line and mobile: a match is another type."""

MOBILE_SHAPE = r"1[0-9]{10}"
_AREA = r"0[1-9][0-9]{1,2}"
"""An area code with its trunk 0 (not 00…, which would read as the 0086 prefix)."""
FIXED_SHAPE = rf"(?:{_AREA}[- ]|\({_AREA}\))[0-9]{{7,8}}"
"""``0731-88988998``, ``0731 88988998`` or ``(0731)88988998``."""
LOCAL_SHAPE = r"[2-9][0-9]{6,7}"
"""A local number without its area code (the row's bureau's is put before it)."""
_LOCAL = r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_SHAPE = rf"{_LOCAL}@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}"
"""Dot-atom local part of plain ASCII; a domain of plain ASCII labels ending in a letters-only
top-level label: nothing that IDNA, quoting or Unicode normalisation would change."""


def _matches(nsn: pd.Series, desc: PhoneNumberDesc | None) -> pd.Series:
    """phonenumbers' ``_is_number_matching_desc`` for a column of national numbers."""
    if desc is None or not desc.national_number_pattern:
        return pd.Series(False, index=nsn.index)
    fits = nsn.str.len().isin(desc.possible_length) if desc.possible_length else True
    return fits & _fullmatch(nsn, desc.national_number_pattern)


def _fullmatch(values: pd.Series, pattern: str) -> pd.Series:
    """``values.str.fullmatch(pattern)`` run by pyarrow directly, for national numbers (ASCII
    digits, on which pyarrow's RE2 and Python's ``re`` agree). pandas would parse the pattern
    with ``re`` on every call to decide whether RE2 may run it: ≈2 ms for the 1,000-character
    fixed-line pattern, more than matching a bureau's hundred numbers takes."""
    text = pa.array(values.to_numpy(dtype=object, na_value=None), type=pa.string())
    found = pc.fill_null(pc.match_substring_regex(text, f"^(?:{pattern})$"), False)
    return pd.Series(found.to_numpy(zero_copy_only=False), index=values.index, dtype=bool)


def cn_type_in(nsn: pd.Series, fixed: bool) -> pd.Series:
    """Whether each mainland national number is of a fixed-line type (FIXED_LINE or
    FIXED_LINE_OR_MOBILE) or, with ``fixed`` False, of a mobile type (MOBILE or
    FIXED_LINE_OR_MOBILE): ``phonenumbers.number_type`` for a whole column."""
    typed = _matches(nsn, _CN.general_desc)
    for desc in _SPECIAL_TYPES:
        typed &= ~_matches(nsn, desc)
    wanted = _CN.fixed_line if fixed or _CN.same_mobile_and_fixed_line_pattern else _CN.mobile
    return typed & _matches(nsn, wanted)


def _fits(values: pd.Series, shape: str) -> pd.Series:
    """Whether each cell is of the shape, as a plain bool column."""
    return values.str.fullmatch(shape).fillna(False).astype(bool)


def plain_mobiles(values: pd.Series) -> pd.DataFrame:
    """Cells that are 11 ASCII digits from 1: the number as it is, valid by its type."""
    text = values[_fits(values, MOBILE_SHAPE)]
    valid = cn_type_in(text, fixed=False)
    return pd.DataFrame(
        {"value": text.astype(object), "several": False, "valid": valid}, index=text.index
    )


def plain_fixed(values: pd.Series, area: pd.Series) -> pd.DataFrame:
    """Cells that are an area code and a number (:data:`FIXED_SHAPE`), or a local number
    (:data:`LOCAL_SHAPE`) where the row's ``area`` code is a plain one: a valid fixed line is
    written ``0731-88988998``, with the area code the numbering plan gives it
    (pipeline.normalise.area_code_length); an invalid one stays as typed, as the parser leaves
    it (no extension can be split off these shapes)."""
    area = area.astype(values.dtype)
    local = _fits(values, LOCAL_SHAPE) & _fits(area, _AREA)
    text = values[_fits(values, FIXED_SHAPE) | local]
    local = local[text.index]
    digits = text.str.replace(r"[^0-9]", "", regex=True)
    nsn = digits.where(~local, area[text.index] + digits).str[1:]
    valid = cn_type_in(nsn, fixed=True)
    formatted = "0" + nsn.str.replace(r"^(10|2[0-9]|[0-9]{3})", r"\1-", regex=True)
    return pd.DataFrame(
        {
            "value": formatted.where(valid, text).astype(object),
            "several": False,
            "valid": valid,
            "area_added": valid & local,
        },
        index=text.index,
    )


def plain_emails(values: pd.Series) -> pd.DataFrame:
    """Plain ASCII addresses email-validator accepts as they are: the domain in lower case."""
    address = values[_fits(values, EMAIL_SHAPE)]
    local = address.str.replace(r"@.*", "", regex=True)
    domain = address.str.replace(r"^[^@]*@", "", regex=True).str.lower()
    special = pd.Series(False, index=address.index)
    for name in SPECIAL_USE_DOMAIN_NAMES:
        special |= domain.eq(name) | domain.str.endswith("." + name)
    plain = (
        ~domain.str.contains("--", regex=False)
        & ~local.str.lower().isin(CASE_INSENSITIVE_MAILBOX_NAMES)
        & (address.str.len() <= EMAIL_MAX_LENGTH)
        & (domain.str.len() <= DOMAIN_MAX_LENGTH)
        & ~special
    )
    text = (local + "@" + domain)[plain.astype(bool)]
    return pd.DataFrame(
        {"value": text.astype(object), "several": False, "valid": True}, index=text.index
    )
