"""Candidate pairs for dedupe (pipeline/blocking.py): small blocks whole, large ones bounded."""

from __future__ import annotations

import pandas as pd

from pipeline.dedupe.blocking import WINDOW, candidate_pairs


def rows(names: list[str], operator: str = "同一公司") -> pd.DataFrame:
    """Rows alternating between two bureaus, received in order."""
    return pd.DataFrame(
        {
            "key": names,
            "opkey": operator,
            "city_key": names,
            "bureau": ["甲", "乙"] * (len(names) // 2) + ["甲"] * (len(names) % 2),
            "rank": range(len(names)),
        }
    )


def test_a_block_no_larger_than_the_window_is_compared_whole() -> None:
    block = rows([f"空间{i:02d}" for i in range(WINDOW + 1)])
    pairs = {tuple(p) for p in candidate_pairs(block).tolist()}
    bureau = block["bureau"].tolist()
    expected = {
        (later, earlier)
        for later in range(len(block))
        for earlier in range(later)
        if bureau[later] != bureau[earlier]
    }
    assert pairs == expected


def test_a_large_block_costs_a_bounded_number_of_pairs_per_row() -> None:
    big = rows([f"空间{i:05d}" for i in range(5000)])
    pairs = candidate_pairs(big)
    assert len(pairs) <= 5000 * (3 * WINDOW + 2)
    assert (big["rank"].to_numpy()[pairs[:, 0]] > big["rank"].to_numpy()[pairs[:, 1]]).all()


def test_an_equal_name_is_paired_across_bureaus_however_large_its_block() -> None:
    same = rows(["同名空间"] * 200)
    same["bureau"] = ["甲"] * 150 + ["乙"] * 50  # each 乙 row's window holds only 乙 rows
    later = {int(p[0]) for p in candidate_pairs(same)}
    assert later == set(range(150, 200))  # every 乙 copy is paired with a 甲 copy
