"""Duplicate detection on its own (SPEC §5): normalised keys, scoring, thresholds, decisions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pipeline.core.schema import SCHEMAS_DIR, load_registers
from pipeline.dedupe import match as dedupe
from pipeline.dedupe.decisions import load_decisions
from pipeline.dedupe.match import add_keys

REGISTERS = load_registers(SCHEMAS_DIR)


def key(name: str) -> str:
    return dedupe.name_key(pd.Series([name]), REGISTERS.province).iloc[0]


def opkey(operator: str) -> str:
    return dedupe.operator_key(pd.Series([operator]), REGISTERS.province).iloc[0]


def table(*rows: tuple[str, str], **columns: list[object]) -> pd.DataFrame:
    """Rows of (name, operator) with uids 0.., keyed the way the run keys them."""
    frame = pd.DataFrame(rows, columns=["name", "operator"]).assign(**columns)
    frame.insert(0, "uid", range(len(frame)))
    return add_keys(frame, REGISTERS)


def found(matches: pd.DataFrame) -> list[tuple[int, int, bool, str]]:
    return [(m.uid, m.other, bool(m.auto), m.reason) for m in matches.itertuples()]


# --- one normalisation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "filed"),
    [
        ("麓谷 创客工场", "麓谷创客工场"),
        ("麓谷\u3000创客\u00a0工场\u200b", "麓谷创客工场"),
        ("湖南麓谷创客工场", "麓谷创客工场"),
        ("湖南省麓谷创客工场", "麓谷创客工场"),
        ("湖南省·麓谷创客工场", "麓谷创客工场"),
        ("麓谷创客工场(一期)", "麓谷创客工场（一期）"),
        ("ＹＯＵ＋创客空间", "You+创客空间"),
        ("3W咖啡（长沙）", "３ｗ咖啡【长沙】"),
    ],
)
def test_names_that_differ_only_in_form_share_a_key(sent: str, filed: str) -> None:
    assert key(sent) == key(filed)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("麓谷创客工场（一期）", "麓谷创客工场（二期）"),
        ("湖南大学创客空间", "湖南师范大学创客空间"),
        ("长沙优客工场", "株洲优客工场"),
    ],
)
def test_different_spaces_keep_different_keys(a: str, b: str) -> None:
    assert key(a) != key(b)


@pytest.mark.parametrize(
    "variant",
    [
        "长沙麓谷创客科技有限责任公司",
        "长沙麓谷创客科技股份有限公司",
        "湖南省长沙麓谷创客科技有限公司",
        "长沙麓谷创客科技有限公司 ",
        "长沙麓谷创客科技（有限公司）",
    ],
)
def test_operator_company_forms_share_a_key(variant: str) -> None:
    assert opkey(variant) == opkey("长沙麓谷创客科技有限公司")


def test_operator_key_keeps_the_business_apart() -> None:
    assert opkey("长沙麓谷创客科技发展有限公司") != opkey("长沙麓谷创客科技有限公司")


_TEXT = st.text(
    alphabet=st.sampled_from(
        list("湖南省长沙市麓谷创客有限责任股份公司（）()【】 ·-_Ａａ1１\u3000")
    ),
    max_size=24,
)


@given(_TEXT)
@example("湖南湖南省麓谷创客工场")
@example("麓谷股份有限责任公司")
def test_normalising_twice_is_normalising_once(text: str) -> None:
    assert key(key(text)) == key(text)
    assert opkey(opkey(text)) == opkey(text)


@given(_TEXT, _TEXT)
def test_spacing_and_punctuation_never_change_a_key(left: str, right: str) -> None:
    assert key(f"{left} （{right}）") == key(f"{left}({right})")


@pytest.mark.parametrize(
    ("name", "stripped"),
    [
        ("长沙市麓谷创客工场", "麓谷创客工场"),
        ("长沙麓谷创客工场", "麓谷创客工场"),
        ("张家界市武陵源创客空间", "武陵源创客空间"),
        ("湘西土家族苗族自治州创客空间", "创客空间"),
        ("麓谷创客工场", "麓谷创客工场"),
    ],
)
def test_strip_city_removes_a_leading_city(name: str, stripped: str) -> None:
    assert table((name, "某公司"))["city_key"].iloc[0] == stripped


# --- scoring against a prior batch ------------------------------------------------------------

PRIOR = table(
    ("岳麓山大学科技园创客空间", "岳麓山创新科技有限公司"),
    ("星城众创咖啡馆", "长沙星城众创科技有限公司"),
    ("株洲优客工场", "优客工场创业投资有限公司"),
)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (("湖南 岳麓山大学科技园创客空间", "另一家公司"), [(0, 0, True, "名称相同")]),
        (
            ("岳麓山大学科技园区创客空间", "岳麓山创新科技有限责任公司"),
            [(0, 0, True, "名称几乎相同且运营主体相同")],
        ),
        (("岳麓山大学科技园区创客空间", "另一家公司"), [(0, 0, False, "名称相近")]),
        (("岳麓山大学科技城创客空间", "另一家公司"), [(0, 0, False, "名称相近")]),
        (
            ("长沙星城众创咖啡馆", "湖南长沙星城众创科技有限责任公司"),
            [(0, 1, True, "名称几乎相同且运营主体相同")],
        ),
        (("长沙星城众创咖啡馆", "另一家公司"), [(0, 1, False, "名称相近")]),
        (("岳麓山众创空间", "另一家公司"), []),
    ],
    ids=[
        "exact",
        "near-same-operator",
        "near-other-operator",
        "similar-other-operator",
        "city-prefix-same-operator",
        "city-prefix-other-operator",
        "unrelated",
    ],
)
def test_prior_matches_need_strong_evidence_to_be_automatic(
    row: tuple[str, str], expected: list[tuple[int, int, bool, str]]
) -> None:
    assert found(dedupe.match_prior(table(row), PRIOR, dedupe.Decisions.empty())) == expected


def test_a_chain_in_another_city_is_not_the_same_space() -> None:
    """优客工场 runs spaces in many cities under one operator: 长沙 and 株洲 are two spaces."""
    row = table(("长沙优客工场", "优客工场创业投资有限公司"))
    assert found(dedupe.match_prior(row, PRIOR, dedupe.Decisions.empty())) == []


def test_one_match_per_row_the_automatic_one_first() -> None:
    prior = table(("岳麓山大学科技城创客空间", "甲公司"), ("岳麓山大学科技园创客空间", "乙公司"))
    row = table(("岳麓山大学科技园创客空间", "丙公司"))
    assert found(dedupe.match_prior(row, prior, dedupe.Decisions.empty())) == [
        (0, 1, True, "名称相同")
    ]


# --- clerk decisions ----------------------------------------------------------------------------


def write_decisions(path: Path, lines: list[str], encoding: str) -> Path:
    header = "名称,匹配名称,处理意见,推荐单位"
    path.write_text("\n".join([header, *lines]) + "\n", encoding=encoding)
    return path


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_decisions_are_read_as_excel_saves_them(tmp_path: Path, encoding: str) -> None:
    path = write_decisions(
        tmp_path / "decisions.csv",
        [
            "岳麓山大学科技城创客空间,岳麓山大学科技园创客空间, 删除 ,长沙市科学技术局",
            "长沙星城众创咖啡馆,星城众创咖啡馆,保留,长沙市科学技术局",
            "麓谷创客工场,麓谷创客工坊,再看看,长沙市科学技术局",
        ],
        encoding,
    )
    decisions = load_decisions(path, REGISTERS.province)
    asked = [
        ("岳麓山大学科技城创客空间", "岳麓山大学科技园创客空间"),
        ("星城众创咖啡馆", "长沙星城众创咖啡馆"),
        ("麓谷创客工场", "麓谷创客工坊"),
    ]
    assert [decisions.verdict(key(a), key(b)) for a, b in asked] == ["drop", "keep", ""]


def test_no_decisions_file_means_no_decisions(tmp_path: Path) -> None:
    assert load_decisions(tmp_path / "missing.csv", REGISTERS.province) == dedupe.Decisions.empty()


def test_decisions_drop_or_keep_only_possible_duplicates(tmp_path: Path) -> None:
    decisions = load_decisions(
        write_decisions(
            tmp_path / "decisions.csv",
            [
                "岳麓山大学科技城创客空间,岳麓山大学科技园创客空间,删除",
                "长沙星城众创咖啡馆,星城众创咖啡馆,保留",
                "湖南 岳麓山大学科技园创客空间,岳麓山大学科技园创客空间,保留",
            ],
            "utf-8",
        ),
        REGISTERS.province,
    )
    rows = table(
        ("岳麓山大学科技城创客空间", "另一家公司"),
        ("长沙星城众创咖啡馆", "另一家公司"),
        ("湖南 岳麓山大学科技园创客空间", "另一家公司"),
    )
    assert found(dedupe.match_prior(rows, PRIOR, decisions)) == [
        (0, 0, True, "人工核定为重复"),
        (2, 0, True, "名称相同"),
    ]


# --- this batch and one file ----------------------------------------------------------------------


def test_batch_matches_point_from_the_later_bureau_to_the_earlier() -> None:
    rows = table(
        ("麓谷创客工场", "长沙麓谷创客科技有限公司"),
        ("星城众创咖啡馆", "长沙星城众创科技有限公司"),
        ("麓谷创客工场", "长沙麓谷创客科技有限责任公司"),
        ("星城众创咖啡馆（二店）", "长沙星城众创科技有限公司"),
        ("星城众创咖啡馆", "长沙星城众创科技有限公司"),
        bureau=["长沙市", "长沙市", "长沙高新区", "长沙高新区", "长沙市"],
        rank=[0, 0, 1, 1, 0],
    )
    assert found(dedupe.match_batch(rows, dedupe.Decisions.empty())) == [
        (2, 0, True, "名称相同"),
        (3, 1, False, "名称相近、运营主体相同"),
    ]


def test_batch_matches_skip_a_chain_in_another_city() -> None:
    rows = table(
        ("株洲优客工场", "优客工场创业投资有限公司"),
        ("长沙优客工场", "优客工场创业投资有限公司"),
        bureau=["株洲市", "长沙市"],
        rank=[0, 1],
    )
    assert found(dedupe.match_batch(rows, dedupe.Decisions.empty())) == []


def test_within_file_the_later_copy_points_at_the_first() -> None:
    rows = table(
        ("麓谷创客工场", "甲公司"),
        ("星城众创咖啡馆", "乙公司"),
        ("麓谷 创客工场", "甲公司"),
        ("麓谷创客工场", "甲公司"),
        file=["a.xlsx", "a.xlsx", "a.xlsx", "b.xlsx"],
    )
    clean = pd.Series(False, index=rows.index)
    assert found(dedupe.within_file(rows, clean)) == [(2, 0, True, "同一文件内名称相同")]


def test_within_file_a_corrected_copy_stays_and_the_bad_one_goes() -> None:
    rows = table(
        ("麓谷创客工场", "甲公司"),
        ("星城众创咖啡馆", "乙公司"),
        ("麓谷创客工场", "甲公司"),
        file=["a.xlsx", "a.xlsx", "a.xlsx"],
    )
    first_is_bad = pd.Series([True, False, False], index=rows.index)
    assert found(dedupe.within_file(rows, first_is_bad)) == [(0, 2, True, "同一文件内名称相同")]


def test_one_name_two_operators_in_one_batch_is_only_possible() -> None:
    rows = table(
        ("优客工场", "邵阳优客工场科技有限公司"),
        ("优客工场", "常德优客创业服务有限公司"),
        bureau=["邵阳市", "常德市"],
        rank=[0, 1],
    )
    assert found(dedupe.match_batch(rows, dedupe.Decisions.empty())) == [
        (1, 0, False, "名称相同、运营主体不同")
    ]


def test_pairs_only_within_one_bureau_give_no_candidates() -> None:
    """Every pair the blocking finds is of one bureau: none is a candidate (the upload of one
    bureau's workbook to an otherwise empty batch), and nothing fails on the empty set."""
    from pipeline.dedupe.blocking import candidate_pairs

    rows = pd.DataFrame(
        {
            "key": ["麓谷创客工场", "麓谷创客工场"],
            "opkey": ["长沙麓谷", "长沙麓谷"],
            "city_key": ["麓谷创客工场", "麓谷创客工场"],
            "bureau": ["长沙市科学技术局", "长沙市科学技术局"],
            "rank": [0, 1],
        }
    )
    assert candidate_pairs(rows).shape == (0, 2)
