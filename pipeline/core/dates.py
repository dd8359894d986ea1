"""Founding dates as a clerk reads them: a grammar of written dates, each read as an interval.

Two steps. :func:`spell_digits` rewrites how a date is *spelled* into Arabic digits, as NFKC does
for full-width digits: Chinese numerals (二〇一五年三月, 二零一五年十月十五日), two-digit years
(15年3月), words of approximation or of the occasion (约…, …左右, …前, 注册时间…, …开业), a note in
brackets (…（工商注册）), parts of a month or year (3月中旬, 年底), 年度 for 年.
:func:`parse_dates` is the grammar over digit text: a day, a month, a half-year or quarter, or a
year, each an interval [start, end] with its precision. A value that could be two dates is read
as the interval covering both readings, so the age rule of SPEC §4 judges it over both, and its
precision says so (``TWO_READINGS``).
"""

from __future__ import annotations

import re

import pandas as pd

# Precisions beyond 日/月/年, and how a message names each one (W_FOUNDED_AMBIGUOUS).
HALF_YEAR = "半年"
QUARTER = "季度"
TWO_READINGS = "两种读法"
PRECISION_WORDS = {
    "月": "月份",
    "年": "年份",
    HALF_YEAR: "半年",
    QUARTER: "季度",
    TWO_READINGS: "月份",
}

_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_TIME_OF_DAY = r"[T\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$"
_DATE_SEPARATED = (
    r"^(?P<y>\d{4})(?:[年./\-,，。、](?P<m>\d{1,2})(?:[月./\-,，。、](?P<d>\d{1,2})[日号]?|月份?)?)?"
    r"[年./\-]?$"
)
_DATE_COMPACT = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})?$"
_DATE_SERIAL = r"^(?P<serial>\d{5})(?:\.\d+)?$"
# 2015年上半年 / 2015年下半年 / 2015年第三季度 / 2015年3季度 (after spell_digits)
_DATE_PART = r"^(?P<y>\d{4})年?(?:(?P<half>[上下])半年|第?(?P<q>[1-4])季度?)$"
# A General cell turns 2015.10 into the number 2015.1: January or October.
_DATE_TRAILING_ZERO = r"^(?P<y>\d{4})\.1$"

_DIGIT = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0", "○": "0", "O": "0"}
_NUMERAL = re.compile(r"[〇零○一二三四五六七八九十]+")
# 15年3月, and 15.3.15 / 15-3-15 with month and day (15.3 alone could be a decimal)
_TWO_DIGIT_YEAR = re.compile(r"^(\d{2})(?=\s*年|([./\-])\d{1,2}\2\d{1,2}$)")
_APPROXIMATE = re.compile(
    r"^\s*(?:大约|约|成立于|于|(?:工商)?注册(?:于|时间|日期)?|成立(?:时间|日期))\s*[:：]?"
    r"|(?:左右|前后|许|成立|至今|以前|之前|前|(?:工商)?注册|开业|(?:试|正式)?运营|挂牌|揭牌)\s*$"
)
# A note in brackets without digits after the date (2015年3月（工商注册）) is not part of it; nor is
# 度 in 2015年度.
_DATE_NOTE = re.compile(r"\s*[(（][^)）\d]*[)）]\s*$")
_YEAR_WORD = re.compile(r"(?<=\d)年度")
# Parts of a month are read as the month (its interval covers them); 年底 is December, 年初 the
# first quarter.
_PART_OF_MONTH = re.compile(r"(?<=月)\s*(?:初|底|末|上旬|中旬|下旬)\s*$")
_END_OF_YEAR = re.compile(r"年\s*(?:底|末)\s*$")
_START_OF_YEAR = re.compile(r"年\s*初\s*$")


def _numeral(match: re.Match[str]) -> str:
    """A run of Chinese numerals as digits: 二〇一五 digit by digit, 十/十五/三十一 by value."""
    text = match.group(0)
    if "十" not in text:
        return "".join(_DIGIT[c] for c in text)
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or "十" in ones or len(ones) > 1:
        return text
    return str(int(_DIGIT.get(tens, "1")) * 10 + int(_DIGIT.get(ones, "0")))


def _century(match: re.Match[str]) -> str:
    """15年 is 2015; 98年 is 1998 (a space founded before 1950 is E_DATE either way)."""
    year = int(match.group(1))
    return str(2000 + year if year < 50 else 1900 + year)


def spell_digits(text: pd.Series) -> pd.Series:
    """Date text spelled with Arabic digits and a four-digit year; other text unchanged."""
    spelled = text.str.replace(_NUMERAL, _numeral, regex=True)
    spelled = spelled.str.replace(_DATE_NOTE, "", regex=True).str.replace(
        _YEAR_WORD, "年", regex=True
    )
    spelled = spelled.str.replace(_APPROXIMATE, "", regex=True)
    spelled = spelled.str.replace(_PART_OF_MONTH, "", regex=True)
    spelled = spelled.str.replace(_END_OF_YEAR, "年12月", regex=True)
    spelled = spelled.str.replace(_START_OF_YEAR, "年第1季度", regex=True)
    return spelled.str.replace(_TWO_DIGIT_YEAR, _century, regex=True)


def parse_dates(text: pd.Series) -> pd.DataFrame:
    """Read every founding date as an interval [start, end] with its precision (日/月/年…).

    ``2015年3月`` is 2015-03-01..2015-03-31, ``2015`` the whole year, ``2015年下半年`` July to
    December; five-digit numbers are Excel serial dates; a time of day after the date is ignored;
    ``2015.1`` covers January to October (see ``_DATE_TRAILING_ZERO``). Unparseable or impossible
    dates get NaT.
    """
    compact = text.str.replace(_TIME_OF_DAY, "", regex=True).str.replace(r"\s", "", regex=True)
    parts = compact.str.extract(_DATE_SEPARATED).fillna(compact.str.extract(_DATE_COMPACT))
    serial = pd.to_numeric(compact.str.extract(_DATE_SERIAL)["serial"], errors="coerce")
    year = pd.to_numeric(parts["y"], errors="coerce")
    month = pd.to_numeric(parts["m"], errors="coerce")
    day = pd.to_numeric(parts["d"], errors="coerce")
    start = _timestamps(year, month.fillna(1), day.fillna(1))
    month_end = start + pd.offsets.MonthEnd(0)
    end = start.where(day.notna(), month_end.where(month.notna(), _timestamps(year, 12, 31)))
    precision = pd.Series("年", index=text.index).where(month.isna(), "月").where(day.isna(), "日")
    from_serial = _EXCEL_EPOCH + pd.to_timedelta(serial, unit="D")
    is_serial = serial.notna() & (serial > 366)
    start = start.where(~is_serial, from_serial)
    end = end.where(~is_serial, from_serial)
    precision = precision.where(~is_serial, "日")
    for reading in (_year_parts, _trailing_zero):
        found = reading(compact)
        if found is None:
            continue
        first, last, kind = found
        known = first.notna()
        start, end = start.where(~known, first), end.where(~known, last)
        precision = precision.where(~known, kind)
    precision = precision.where(start.notna(), "")
    return pd.DataFrame(
        {
            "start": start,
            "end": end.where(start.notna()),
            "precision": precision,
        }
    )


def _timestamps(year: pd.Series, month: pd.Series | int, day: pd.Series | int) -> pd.Series:
    frame = pd.DataFrame({"year": year, "month": month, "day": day})
    return pd.to_datetime(frame, errors="coerce")


Reading = tuple[pd.Series, pd.Series, pd.Series] | None
"""A special reading's first day, last day and precision per value; None when no value has its
shape (most batches), which spares building its dates."""


def _year_parts(compact: pd.Series) -> Reading:
    """Half-years and quarters: their first and last day, precision 半年 or 季度."""
    parts = compact.str.extract(_DATE_PART)
    if parts["y"].isna().all():
        return None
    year = pd.to_numeric(parts["y"], errors="coerce")
    quarter = pd.to_numeric(parts["q"], errors="coerce")
    half = parts["half"].map({"上": 1, "下": 7})
    first_month = quarter.mul(3).sub(2).where(quarter.notna(), half)
    start = _timestamps(year.where(first_month.notna()), first_month.fillna(1), 1)
    end = (start + pd.offsets.MonthEnd(3)).where(quarter.notna(), start + pd.offsets.MonthEnd(6))
    kind = pd.Series(QUARTER, index=compact.index).where(quarter.notna(), HALF_YEAR)
    return start, end, kind


def _trailing_zero(compact: pd.Series) -> Reading:
    """``2015.1``: January or October of that year (Excel dropped the 0 of ``.10``)."""
    year = pd.to_numeric(compact.str.extract(_DATE_TRAILING_ZERO)["y"], errors="coerce")
    if year.isna().all():
        return None
    start = _timestamps(year, 1, 1)
    return start, _timestamps(year, 10, 31), pd.Series(TWO_READINGS, index=compact.index)


def canonical_date(dates: pd.DataFrame, text: pd.Series) -> pd.Series:
    """A date column's canonical text: ISO day, ``YYYY-MM`` or ``YYYY`` by precision; else the text
    (a half-year, a quarter or a date with two readings stays as written)."""
    start = dates["start"]
    precision = dates["precision"]
    iso = start.dt.strftime("%Y-%m-%d")
    out = iso.where(precision == "日", start.dt.strftime("%Y-%m"))
    out = out.where(precision != "年", start.dt.strftime("%Y"))
    return out.where(start.notna() & precision.isin(["日", "月", "年"]), text)


def read_dates(text: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """Dates as bureaus write them: spelled to digits, then parsed; (intervals, canonical text)."""
    dates = parse_dates(spell_digits(text))
    return dates, canonical_date(dates, text)
