"""What a clerk looks past in a cell before reading its value.

Mechanisms shared by the normalisers, each a habit of people filling forms by hand:
- where the text is Chinese, a line break that only wrapped it (Alt+Enter inside 众创\n空间) is
  not part of the value (:func:`join_chinese`); spaces are collapsed as elsewhere;
- a contact cell may carry a label (手机：…, mailto:…), a note in brackets (（总机）, （微信同号）),
  trailing punctuation, or several values (0731-8888888/8888889): the clerk takes the first value
  and says so (:func:`first_value`);
- a name numbered as in a list (1、…, （2）…) where the sheet has no 序号 column;
- and first of all, a cell's value as the bureau typed it (:func:`cell_text`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd

# CJK ideographs and the CJK punctuation NFKC leaves as it is (、。《》「」…).
_CJK = r"[\u3001-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
_WRAP = re.compile(rf"(?<={_CJK})\s*\n\s*|\s*\n\s*(?={_CJK})")

# A label before the value: with a colon (手机：, mailto:), or Chinese words run into it (电话0731…)
_LABEL = re.compile(r"^(?:[^\d@:：()（）]{1,8}[:：]|[\u4e00-\u9fff]{1,6}(?=[A-Za-z0-9+(（]))\s*")
_NOTE = re.compile(r"\s*[(（][^)）\d@]*[)）]")
_TRAILING = re.compile(r"[\s.。,，;；、]+$")
_SEVERAL = re.compile(r"\s*(?:[/／;；,，、]|或)\s*")
# Numbers side by side with only blanks between, each a whole number on its own (0731 8888 8888
# is one number in groups).
_SIDE_BY_SIDE = re.compile(r"\s+(?=[+\d(（])")
_WHOLE_NUMBER = re.compile(r"^[+(（]?\d[\d\-—－()（）]{6,}$")
# ... and e-mail addresses side by side (a@x.com b@y.com, or one per line), each whole.
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+$")
# A list number before a name: 1、 2. （3） ⑷
_ENUMERATION = re.compile(r"^\s*(?:\d{1,3}\s*[、.．]|[(（]\d{1,3}[)）])\s*(?=\D)")


def join_chinese(values: pd.Series) -> pd.Series:
    """Drop line breaks (and the blanks around them) next to Chinese text. Only cells with a
    line break are searched: the pattern's look-arounds run in Python, cell by cell."""
    wrapped = values.str.contains("\n", regex=False).fillna(False).astype(bool)
    if not wrapped.any():
        return values
    return values.where(~wrapped, values[wrapped].str.replace(_WRAP, "", regex=True))


def first_value(text: str) -> tuple[str, bool]:
    """A contact cell without label, notes and trailing punctuation: (first value, several given).

    ``(0731)8888888`` keeps its bracketed area code: only notes without digits are dropped.
    """
    bare = _TRAILING.sub("", _NOTE.sub("", _LABEL.sub("", text.strip())))
    values = [v for v in _SEVERAL.split(bare) if v]
    if len(values) == 1:
        apart = _SIDE_BY_SIDE.split(values[0])
        values = apart if all(_WHOLE_NUMBER.match(v) for v in apart) else values
    if len(values) == 1:
        apart = values[0].split()
        values = apart if all(_ADDRESS.match(v) for v in apart) else values
    if len(values) < 2:
        return bare, False
    return values[0], True


def drop_enumeration(values: pd.Series) -> pd.Series:
    """A name numbered as in a list (1、麓谷创客工场) is the name without its number."""
    return values.str.replace(_ENUMERATION, "", regex=True)


def cell_text(value: Any) -> str:
    """A cell's value as the bureau typed it: floats without ``.0`` or exponent, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)
