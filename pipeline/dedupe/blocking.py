"""Candidate pairs for duplicate matching, bounded per row (SPEC §5, Cost).

Rows that share a blocking key (the normalised operator; the name without its city prefix) may be
one space. A self-join of everything that shares a value grows with the square of the rows: 50,000
rows naming one operator (or 同上 filled down a column) would be 1.25 billion pairs. Instead each
block is sorted and every row is paired with the next :data:`WINDOW` rows of its block (sorted
neighbourhood): a block no larger than the window is compared whole, exactly as a self-join
would, and a larger one costs ``WINDOW`` pairs per row. Sorting by the name and by the reversed
name puts names that differ only at their end, or only at their start, next to each other.

Equal names are too important to leave to a window (a block of thousands of one name): every row
is also paired with the earliest row of each other bureau sending the same name (and the same
name with the same operator), at most one pair per bureau.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WINDOW = 20
"""Neighbours each row is compared with inside one block; blocks up to WINDOW + 1 rows are
compared whole (every block of a real provincial batch)."""


def _window_pairs(rows: pd.DataFrame, on: str, order: list[str]) -> np.ndarray:
    """Positions (i, j) of rows sharing a non-empty ``on``, each row with the next WINDOW rows of
    its block sorted by ``order``."""
    keyed = pd.DataFrame({"block": rows[on].to_numpy(dtype=object), "pos": np.arange(len(rows))})
    for i, column in enumerate(order):
        keyed[f"o{i}"] = rows[column].to_numpy(dtype=object)
    keyed = keyed[keyed["block"] != ""]
    keyed = keyed.sort_values(["block", *(f"o{i}" for i in range(len(order))), "pos"])
    block = pd.factorize(keyed["block"])[0]
    pos = keyed["pos"].to_numpy()
    found = []
    for step in range(1, WINDOW + 1):
        same = block[:-step] == block[step:]
        if not same.any():
            break
        found.append(np.column_stack([pos[:-step][same], pos[step:][same]]))
    return np.concatenate(found) if found else np.empty((0, 2), dtype=np.int64)


def _head_pairs(rows: pd.DataFrame, on: list[str]) -> np.ndarray:
    """Positions (i, j): every row with a non-empty ``on`` and the earliest-ranked row of each
    other bureau with the same values."""
    keyed = rows[[*on, "bureau", "rank"]].assign(pos=np.arange(len(rows)))
    keyed = keyed[(keyed[on] != "").all(axis=1)]
    heads = keyed.sort_values("rank").drop_duplicates([*on, "bureau"])
    joined = keyed[[*on, "bureau", "pos"]].merge(
        heads[[*on, "bureau", "pos"]], on=on, suffixes=("", "_head")
    )
    joined = joined[joined["bureau"] != joined["bureau_head"]]
    return joined[["pos", "pos_head"]].to_numpy(dtype=np.int64)


def candidate_pairs(rows: pd.DataFrame) -> np.ndarray:
    """Positions (later, earlier) of candidate pairs between different bureaus, each once.

    ``rows`` carries ``key`` (name), ``opkey`` (operator), ``city_key`` (name without its city),
    ``bureau`` and ``rank`` (received order; the later row of a pair is the one matched).
    """
    reverse = rows["key"].str[::-1]
    with_reverse = rows.assign(_reverse=reverse)
    found = np.concatenate(
        [
            _window_pairs(with_reverse, "opkey", ["key"]),
            _window_pairs(with_reverse, "opkey", ["_reverse"]),
            _window_pairs(with_reverse, "city_key", ["key", "opkey"]),
            _head_pairs(rows, ["key"]),
            _head_pairs(rows, ["key", "opkey"]),
        ]
    )
    bureau, rank = rows["bureau"].to_numpy(), rows["rank"].to_numpy()
    apart = bureau[found[:, 0]] != bureau[found[:, 1]]
    a, b = found[apart, 0], found[apart, 1]
    later = rank[a] > rank[b]
    first, second = np.where(later, a, b), np.where(later, b, a)
    numbered = np.sort(first * len(rows) + second)  # one number per pair, sorted
    once = numbered[np.concatenate([[True], numbered[1:] != numbered[:-1]])[: len(numbered)]]
    return np.column_stack([once // len(rows), once % len(rows)]).astype(np.int64)
