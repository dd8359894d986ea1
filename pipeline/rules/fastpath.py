"""Column-wide fast paths for the common shapes of contact cells, equal to the full parsers.

Most phone and e-mail cells of a real batch are typed in one plain shape (``13807310000``,
``0731-88988998``, ``lina@example.com``). Parsing each distinct value with phonenumbers and
email-validator costs ≈0.1–0.35 ms, which dominates the normalise stage at 40,000 rows. Each
function here decides the rows of one plain shape for the whole column at once and leaves every
other row to the full path (``first_value`` then the parser in rules.normalise). For the rows
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

import re

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


def _arrow(values: pd.Series) -> pa.Array:
    """A column as a pyarrow string array (a missing cell is null). Every step below runs on
    arrays: a bureau's hundred rows take a few microseconds a step in pyarrow and ≈0.1 ms in
    pandas, whose per-call overhead dominated the check of one workbook."""
    return pa.array(values.to_numpy(dtype=object, na_value=None), type=pa.string())


def _full(text: pa.Array, pattern: str) -> pa.Array:
    """Whether each value matches ``pattern`` as a whole (RE2; a null does not): pandas'
    ``str.fullmatch`` would first parse the pattern with ``re`` to decide whether RE2 may run
    it, ≈2 ms for the 1,000-character fixed-line pattern, more than matching takes."""
    return pc.fill_null(pc.match_substring_regex(text, f"^(?:{pattern})$"), False)


def _matches(nsn: pa.Array, desc: PhoneNumberDesc | None) -> pa.Array:
    """phonenumbers' ``_is_number_matching_desc`` for an array of national numbers (ASCII
    digits, on which pyarrow's RE2 and Python's ``re`` agree)."""
    if desc is None or not desc.national_number_pattern:
        return pa.array([False] * len(nsn), type=pa.bool_())
    found = _full(nsn, desc.national_number_pattern)
    if desc.possible_length:
        lengths = pa.array(desc.possible_length, type=pa.int32())
        found = pc.and_(found, pc.is_in(pc.utf8_length(nsn), value_set=lengths))
    return found


def cn_type_in(nsn: pa.Array, fixed: bool) -> pa.Array:
    """Whether each mainland national number is of a fixed-line type (FIXED_LINE or
    FIXED_LINE_OR_MOBILE) or, with ``fixed`` False, of a mobile type (MOBILE or
    FIXED_LINE_OR_MOBILE): ``phonenumbers.number_type`` for a whole array."""
    typed = _matches(nsn, _CN.general_desc)
    for desc in _SPECIAL_TYPES:
        typed = pc.and_not(typed, _matches(nsn, desc))
    wanted = _CN.fixed_line if fixed or _CN.same_mobile_and_fixed_line_pattern else _CN.mobile
    return pc.and_(typed, _matches(nsn, wanted))


def plain_mobiles(values: pd.Series) -> pd.DataFrame:
    """Cells that are 11 ASCII digits from 1: the number as it is, valid by its type."""
    text = _arrow(values)
    shaped = _full(text, MOBILE_SHAPE)
    text = text.filter(shaped)
    return _frame(
        values.index[shaped.to_numpy(zero_copy_only=False)],
        value=text,
        valid=cn_type_in(text, fixed=False),
    )


def plain_fixed(values: pd.Series, area: pd.Series) -> pd.DataFrame:
    """Cells that are an area code and a number (:data:`FIXED_SHAPE`), or a local number
    (:data:`LOCAL_SHAPE`) where the row's ``area`` code is a plain one: a valid fixed line is
    written ``0731-88988998``, with the area code the numbering plan gives it
    (pipeline.rules.normalise.area_code_length); an invalid one stays as typed, as the parser leaves
    it (no extension can be split off these shapes)."""
    text, codes = _arrow(values), _arrow(area.astype(object))
    local = pc.and_(_full(text, LOCAL_SHAPE), _full(codes, _AREA))
    shaped = pc.or_(_full(text, FIXED_SHAPE), local)
    text, codes, local = text.filter(shaped), codes.filter(shaped), local.filter(shaped)
    digits = pc.replace_substring_regex(text, "[^0-9]", "")
    nsn = pc.utf8_slice_codeunits(
        pc.if_else(local, pc.binary_join_element_wise(codes, digits, ""), digits), 1
    )
    valid = cn_type_in(nsn, fixed=True)
    formatted = pc.binary_join_element_wise(
        "0", pc.replace_substring_regex(nsn, r"^(10|2[0-9]|[0-9]{3})", r"\1-"), ""
    )
    return _frame(
        values.index[shaped.to_numpy(zero_copy_only=False)],
        value=pc.if_else(valid, formatted, text),
        valid=valid,
        area_added=pc.and_(valid, local),
    )


def plain_emails(values: pd.Series) -> pd.DataFrame:
    """Plain ASCII addresses email-validator accepts as they are: the domain in lower case."""
    address = _arrow(values)
    shaped = _full(address, EMAIL_SHAPE)
    address = address.filter(shaped)
    local = pc.replace_substring_regex(address, "@.*", "")
    domain = pc.utf8_lower(pc.replace_substring_regex(address, "^[^@]*@", ""))
    special = pc.or_(
        pc.is_in(domain, value_set=pa.array(SPECIAL_USE_DOMAIN_NAMES, type=pa.string())),
        pc.match_substring_regex(
            domain, "\\.(?:" + "|".join(re.escape(n) for n in SPECIAL_USE_DOMAIN_NAMES) + ")$"
        ),
    )
    names = pa.array(sorted(CASE_INSENSITIVE_MAILBOX_NAMES), type=pa.string())
    plain = pc.and_(
        pc.and_(
            pc.invert(pc.match_substring(domain, "--")),
            pc.invert(pc.is_in(pc.utf8_lower(local), value_set=names)),
        ),
        pc.and_(
            pc.and_(
                pc.less_equal(pc.utf8_length(address), EMAIL_MAX_LENGTH),
                pc.less_equal(pc.utf8_length(domain), DOMAIN_MAX_LENGTH),
            ),
            pc.invert(special),
        ),
    )
    kept = shaped.to_numpy(zero_copy_only=False).copy()
    kept[kept] = plain.to_numpy(zero_copy_only=False)
    address = pc.binary_join_element_wise(local, domain, "@").filter(plain)
    return _frame(values.index[kept], value=address, valid=True)


def _frame(index: pd.Index, value: pa.Array, **flags: pa.Array | bool) -> pd.DataFrame:
    """A fast path's answer for the rows it decided (``index``): ``value`` as Python strings,
    ``several`` False, the flags as bools, in the columns the full path gives."""
    text = pd.Series(value.to_numpy(zero_copy_only=False), index=index, dtype=object)
    columns = {
        name: flag if isinstance(flag, bool) else flag.to_numpy(zero_copy_only=False)
        for name, flag in flags.items()
    }
    return pd.DataFrame({"value": text, "several": False, **columns}, index=index)
