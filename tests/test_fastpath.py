"""The column-wide fast paths (pipeline/fastpath.py) answer exactly as the full path does:
``first_value`` then phonenumbers / email-validator, value by value, on random and adversarial
cells, for every row they decide; and they do decide the plain shapes."""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.values import first_value, join_chinese
from pipeline.rules.fastpath import (
    EMAIL_SHAPE,
    FIXED_SHAPE,
    LOCAL_SHAPE,
    MOBILE_SHAPE,
    plain_emails,
    plain_fixed,
    plain_mobiles,
)
from pipeline.rules.normalise import WHITESPACE, clean_text, parse_email, parse_fixed, parse_mobile

NOISE = st.text(alphabet="0123456789-+()@._xX转 １－abcZ@.", max_size=16)
MOBILES = st.one_of(
    st.from_regex(MOBILE_SHAPE, fullmatch=True),
    st.from_regex(r"1(?:3|4[4-8]|5|6[0-8]|7[0-9]|8|9[0-9])[0-9]{8,10}", fullmatch=True),
    NOISE,
)
FIXED = st.one_of(
    st.from_regex(FIXED_SHAPE, fullmatch=True),
    st.from_regex(LOCAL_SHAPE, fullmatch=True),
    st.from_regex(r"[(]?0(?:10|2[0-9]|[3-9][0-9]{2})[-) ][2-9][0-9]{6,7}", fullmatch=True),
    st.from_regex(r"00[0-9]{2}-[0-9]{7,8}|0[0-9]{2,3}[-( ][0-9]{5,9}|[0-9]{6,9}", fullmatch=True),
    NOISE,
)
AREAS = st.sampled_from(["0731", "0744", "010", "", "731", "0086"])
SPECIAL = st.sampled_from(["test", "localhost", "invalid", "arpa", "onion", "local", "com", "cn"])
EMAILS = st.one_of(
    st.from_regex(EMAIL_SHAPE, fullmatch=True),
    st.builds(
        "{}@{}.{}".format,
        st.sampled_from(["Postmaster", "abuse", "li.na", "a-b_c+d", "x" * 64, "y" * 250, "a..b"]),
        st.sampled_from(["EXAMPLE", "xn--fiqs8s", "ab--cd", "a-", "-a", "例子", "z" * 64, "q1"]),
        SPECIAL,
    ),
    st.text(alphabet="abcAB09.-_+@。 ", max_size=20),
)


def full_path(parse: Callable[..., tuple], cells: list[str], *args: str) -> list[tuple]:
    """What normalise gave before the fast paths: the first value, then the library parser."""
    answers = []
    for cell in cells:
        first, several = first_value(cell)
        parsed = parse(first, *args)
        answers.append((parsed[0], several, *parsed[1:]))
    return answers


def decided(fast: pd.DataFrame) -> list[tuple]:
    return [tuple(row) for row in fast.itertuples(index=False)]


@pytest.mark.slow  # fuzzing at full size
@pytest.mark.parametrize(
    ("cells_of", "fast_path", "parse"),
    [(MOBILES, plain_mobiles, parse_mobile), (EMAILS, plain_emails, parse_email)],
    ids=["mobile", "email"],
)
@settings(deadline=None, max_examples=100)
@given(data=st.data())
def test_plain_mobiles_and_emails_are_what_the_libraries_say(
    data: st.DataObject,
    cells_of: st.SearchStrategy[str],
    fast_path: Callable[[pd.Series], pd.DataFrame],
    parse: Callable[[str], tuple],
) -> None:
    cells = data.draw(st.lists(cells_of, max_size=30))
    fast = fast_path(pd.Series(cells, dtype="str"))
    assert decided(fast) == full_path(parse, [cells[i] for i in fast.index])


@pytest.mark.slow  # fuzzing at full size
@settings(deadline=None, max_examples=120)
@given(st.lists(st.tuples(FIXED, AREAS), max_size=30))
def test_plain_fixed_lines_are_what_phonenumbers_says(rows: list[tuple[str, str]]) -> None:
    cells = [cell for cell, _ in rows]
    area = pd.Series([code for _, code in rows], dtype=object)
    fast = plain_fixed(pd.Series(cells, dtype="str"), area)
    want = [full_path(parse_fixed, [cells[i]], rows[i][1])[0] for i in fast.index]
    assert decided(fast) == want


def test_the_plain_shapes_are_decided_and_the_rest_left_alone() -> None:
    """A fast path that decided nothing would pass the tests above: the common cells must be
    decided, valid or not, and the unusual ones left to the full path."""
    mobiles = plain_mobiles(pd.Series(["13807310000", "12345678901", "手机：13807310000"]))
    assert decided(mobiles) == [("13807310000", False, True), ("12345678901", False, False)]
    cells = ["0731-88988998", "010 62345678", "(0744)8225566", "8225567", "0086-7318898899"]
    fixed = plain_fixed(pd.Series(cells), pd.Series(["0744"] * len(cells)))
    assert decided(fixed) == [
        ("0731-88988998", False, True, False),
        ("010-62345678", False, True, False),
        ("0744-8225566", False, True, False),
        ("0744-8225567", False, True, True),
    ]
    assert plain_fixed(pd.Series(["88988998"]), pd.Series(["731"])).empty  # no trunk 0: parser's
    emails = plain_emails(pd.Series(["Li.Na@Example.COM", "postmaster@example.com", "a@b.test"]))
    assert decided(emails) == [("Li.Na@example.com", False, True)]


def test_whitespace_class_is_pythons_whitespace() -> None:
    """clean_text's space runs are pyarrow's regular expression over an explicit class: it must
    be every character Python's \\s matches, none beyond."""
    assert "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()) == WHITESPACE


@settings(deadline=None, max_examples=100)
@given(st.lists(st.text(alphabet=WHITESPACE + "众创空间ab１２\n（）", max_size=12), max_size=20))
def test_clean_text_is_the_cell_by_cell_cleaning(cells: list[str]) -> None:
    """NFKC, Chinese line wraps joined, runs of whitespace one space, trimmed: as Python does it
    cell by cell."""
    want = [
        re.sub(r"\s+", " ", join_chinese(pd.Series([unicodedata.normalize("NFKC", c)]))[0]).strip()
        for c in cells
    ]
    assert clean_text(pd.Series(cells, dtype="str")).tolist() == want
