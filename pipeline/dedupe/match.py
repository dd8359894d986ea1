"""Find spaces filed twice: in an earlier batch, by two bureaus in this batch, twice in one file.

A false merge costs a maker space its national filing; a missed duplicate costs a clerk a minute.
So only exact normalised names, or near-identical names with the same normalised operator, are
decided automatically; anything weaker is accepted with W_POSSIBLE_DUPLICATE and listed for a
clerk, whose keep/drop decision (``decisions.csv``) holds on every later night.

Name and operator normalisation lives here and only here (:func:`name_key`, :func:`operator_key`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from pipeline.core.config import Settings
from pipeline.core.errors import ConfigError
from pipeline.core.model import Unapplied
from pipeline.core.schema import FormSpec, Province, Registers
from pipeline.dedupe.blocking import candidate_pairs
from pipeline.read.sandbox import caps, read_files

STRONG_SCORE = 95.0
POSSIBLE_SCORE = 85.0
SAME_OPERATOR_SCORE = 70.0

_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
_COMPANY_SUFFIX = re.compile(r"(?:股份)?有限(?:责任)?公司$")
MATCH_COLUMNS = ["uid", "other", "kind", "score", "reason", "auto"]


def _base_key(values: pd.Series) -> pd.Series:
    folded = values.fillna("").astype(str).str.normalize("NFKC").str.lower()
    return folded.str.replace(_PUNCT, "", regex=True)


def name_key(values: pd.Series, province: Province) -> pd.Series:
    """A space's name for matching: NFKC, no spaces/punctuation/brackets, without the
    province's name in front (湖南省XX众创空间 is XX众创空间; schemas/province.toml)."""
    prefix = "^(?:" + "|".join(map(re.escape, province.spellings)) + ")+"
    return _base_key(values).str.replace(prefix, "", regex=True)


def operator_key(values: pd.Series, province: Province) -> pd.Series:
    """An operator for matching: as :func:`name_key`, with 有限责任公司/股份有限公司 = 有限公司."""
    return name_key(values, province).str.replace(_COMPANY_SUFFIX, "有限公司", regex=True)


@cache
def name_key_of(text: str, province: Province) -> str:
    """:func:`name_key` of one name (kept: forms and documents ask for the same few names)."""
    return str(name_key(pd.Series([text]), province).iloc[0])


@cache
def operator_key_of(text: str, province: Province) -> str:
    """:func:`operator_key` of one operator (kept, as :func:`name_key_of`)."""
    return str(operator_key(pd.Series([text]), province).iloc[0])


def strip_city(keys: pd.Series, cities: list[str]) -> pd.Series:
    """The name key without a leading city name (长沙市/长沙), for 'same name, city prefix'."""
    names = sorted({c for city in cities for c in (city, city.removesuffix("市"))}, key=len)
    pattern = "^(?:" + "|".join(map(re.escape, reversed(names))) + ")"
    return keys.str.replace(pattern, "", regex=True)


@dataclass(frozen=True)
class Decisions:
    """A clerk's keep/drop decisions on possible duplicates, keyed by the two names' keys;
    ``applied`` are the lines read, ``unapplied`` the lines that could not be (see
    pipeline/decisions.py)."""

    drop: frozenset[tuple[str, str]]
    keep: frozenset[tuple[str, str]]
    applied: tuple[Unapplied, ...] = ()
    unapplied: tuple[Unapplied, ...] = ()

    @classmethod
    def empty(cls) -> Decisions:
        return cls(frozenset(), frozenset())

    def verdict(self, a: str, b: str) -> str:
        pair = (a, b) if (a, b) in self.drop | self.keep else (b, a)
        return "drop" if pair in self.drop else "keep" if pair in self.keep else ""


def _city_prefix(keys: pd.Series, city_keys: pd.Series) -> np.ndarray:
    """The city each name key starts with, 长沙市 and 长沙 alike; "" when it names none."""
    return np.array(
        [
            k[: len(k) - len(c)].removesuffix("市")
            for k, c in zip(keys.tolist(), city_keys.tolist(), strict=True)
        ],
        dtype=object,
    )


def _same_place(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether two names may be one space: the same city prefix, or one of them names none.

    Without this, 长沙优客工场 and 株洲优客工场 (one chain, one operator, two cities) would score
    100 once both city names are stripped, and one of the two would lose its filing.
    """
    return (a == b) | (a == "") | (b == "")


def _pair_scores(rows: pd.DataFrame, later: np.ndarray, earlier: np.ndarray) -> np.ndarray:
    """Name similarity 0–100 of each pair of row positions: the better of the plain keys and,
    for names of the same place, the keys without their city prefix."""
    keys = rows["key"].to_numpy(dtype=object)
    city_keys = rows["city_key"].to_numpy(dtype=object)
    prefix = _city_prefix(rows["key"], rows["city_key"])
    plain = process.cpdist(keys[later], keys[earlier], scorer=fuzz.ratio)
    city = process.cpdist(city_keys[later], city_keys[earlier], scorer=fuzz.ratio)
    place = _same_place(prefix[later], prefix[earlier])
    return np.maximum(plain, np.where(place, city, 0)).astype(float)


def _judge(pairs: pd.DataFrame, decisions: Decisions, kind: str) -> pd.DataFrame:
    """Turn scored candidate pairs into matches: automatic, possible, or a clerk's decision.

    Against a prior batch the same normalised name is enough (SPEC §5). Within this batch the
    near-match rule applies to equal names too: automatic only with the same operator (or one
    unknown), so two branches of a chain with one name, run by different operators, stay
    accepted as possible duplicates. A near-identical name with the same operator is automatic.
    A clerk's 删除 makes a possible duplicate automatic; 保留 clears it.
    """
    known_op = (pairs["opkey_a"] != "") & (pairs["opkey_b"] != "")
    same_op = known_op & (pairs["opkey_a"] == pairs["opkey_b"])
    exact = pairs["key_a"] == pairs["key_b"]
    name_enough = kind == "prior"
    strong = (exact & (same_op | ~known_op | name_enough)) | (
        (pairs["score"] >= STRONG_SCORE) & same_op
    )
    possible = ~strong & (
        exact
        | (pairs["score"] >= POSSIBLE_SCORE)
        | (same_op & (pairs["score"] >= SAME_OPERATOR_SCORE))
    )
    verdicts = pd.Series(
        [decisions.verdict(a, b) for a, b in zip(pairs["key_a"], pairs["key_b"], strict=True)],
        index=pairs.index,
        dtype=object,
    )
    reason = pd.Series("名称相同", index=pairs.index)
    reason = reason.where(exact, "名称几乎相同且运营主体相同")
    reason = reason.where(strong, "名称相同、运营主体不同")
    reason = reason.where(
        strong | exact, "名称相近" + same_op.map({True: "、运营主体相同", False: ""})
    )
    reason = reason.where(~(possible & (verdicts == "drop")), "人工核定为重复")
    out = pd.DataFrame(
        {
            "uid": pairs["uid_a"],
            "other": pairs["uid_b"],
            "kind": kind,
            "score": pairs["score"].round(1),
            "reason": reason,
            "auto": strong | (verdicts == "drop"),
        }
    )
    return out[strong | (possible & (verdicts != "keep"))]


def _scores(names: list[str], prior_names: list[str]) -> np.ndarray:
    """Every name scored against every prior name; scores below the lowest threshold are 0."""
    return process.cdist(
        names, prior_names, scorer=fuzz.ratio, dtype=np.uint8, score_cutoff=SAME_OPERATOR_SCORE
    )


def match_prior(rows: pd.DataFrame, prior: pd.DataFrame, decisions: Decisions) -> pd.DataFrame:
    """Matches of this batch's rows against earlier batches (uid -> prior uid), best per row.

    The prior set is small (hundreds), so every row is scored against every prior name at once;
    only pairs above the lowest threshold become candidates.
    """
    if rows.empty or prior.empty:
        return pd.DataFrame(columns=MATCH_COLUMNS)
    rows = rows[rows["key"] != ""]
    prior = prior[prior["key"] != ""]
    plain = _scores(rows["key"].tolist(), prior["key"].tolist())
    city = _scores(rows["city_key"].tolist(), prior["city_key"].tolist())
    i, j = np.nonzero(city)
    apart = ~_same_place(
        _city_prefix(rows["key"], rows["city_key"])[i],
        _city_prefix(prior["key"], prior["city_key"])[j],
    )
    city[i[apart], j[apart]] = 0
    score = np.maximum(plain, city)
    i, j = np.nonzero(score)
    cols = ["uid", "key", "opkey"]
    pairs = pd.concat(
        [
            rows[cols].iloc[i].add_suffix("_a").reset_index(drop=True),
            prior[cols].iloc[j].add_suffix("_b").reset_index(drop=True),
        ],
        axis=1,
    ).assign(score=score[i, j].astype(float))
    found = _judge(pairs, decisions, "prior")
    return _best(found)


def match_batch(rows: pd.DataFrame, decisions: Decisions) -> pd.DataFrame:
    """Matches between different bureaus' rows in this batch; the later-received row is ``uid``.

    Candidates are blocked on the normalised operator and on the name without a city prefix, with
    a bound on pairs per row (pipeline/blocking.py), so memory and time grow linearly with the
    rows even when they all name one operator.
    """
    cols = ["uid", "key", "opkey", "city_key", "bureau", "rank"]
    if rows.empty or rows["bureau"].nunique() < 2:  # one bureau (beian check): no pair
        return pd.DataFrame(columns=MATCH_COLUMNS)
    candidates = rows[cols].reset_index(drop=True)
    found = candidate_pairs(candidates)
    if not len(found):
        return pd.DataFrame(columns=MATCH_COLUMNS)
    score = _pair_scores(candidates, found[:, 0], found[:, 1])
    # below the lowest threshold no rule can match (an equal name scores 100)
    found, score = found[score >= SAME_OPERATOR_SCORE], score[score >= SAME_OPERATOR_SCORE]
    if not len(found):
        return pd.DataFrame(columns=MATCH_COLUMNS)
    pairs = pd.concat(
        [
            candidates.iloc[found[:, 0]].add_suffix("_a").reset_index(drop=True),
            candidates.iloc[found[:, 1]].add_suffix("_b").reset_index(drop=True),
        ],
        axis=1,
    ).assign(score=score)
    return _best(_judge(pairs, decisions, "batch"))


def _best(matches: pd.DataFrame) -> pd.DataFrame:
    """One match per row: automatic before possible, then the highest score."""
    if matches.empty:
        return matches.reindex(columns=MATCH_COLUMNS)
    ordered = matches.sort_values(["uid", "auto", "score"], ascending=[True, False, False])
    return ordered.drop_duplicates("uid").reset_index(drop=True)


def within_file(rows: pd.DataFrame, rejected: pd.Series) -> pd.DataFrame:
    """Repeated rows within one file: every copy but one matched to the one that stays.

    The copy that stays is the first that passed validation (a bureau that adds a corrected row
    below a bad one keeps the space), else the first.
    """
    named = rows[rows["key"] != ""].assign(_bad=rejected[rows["key"] != ""].to_numpy())
    ordered = named.sort_values(["file", "_bad", "uid"], kind="stable")
    first = ordered.groupby(["file", "key"])["uid"].transform("first")
    repeated = ordered.duplicated(["file", "key"], keep="first")
    return pd.DataFrame(
        {
            "uid": ordered.loc[repeated, "uid"].to_numpy(),
            "other": first[repeated].to_numpy(),
            "kind": "file",
            "score": 100.0,
            "reason": "同一文件内名称相同",
            "auto": True,
        }
    )


def rank_rows(rows: pd.DataFrame, history: pd.DataFrame | None, province: Province) -> pd.DataFrame:
    """Order rows by when each space was first received from its bureau, then by file order.

    A bureau that resubmits keeps its place for the rows it sent before, so a space sent first
    by a city and later by a zone committee stays the city's even after the city corrects
    another row of its file. Two copies first seen the same night: the one accepted before wins.
    """
    first = rows["received"]
    accepted = pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns]")
    if history is not None and len(history):
        known = history.assign(key=name_key(history["name"], province))
        known = known.groupby(["bureau", "key"], as_index=False)[
            ["first_seen", "first_accepted"]
        ].min()
        merged = rows[["bureau", "key"]].merge(known, on=["bureau", "key"], how="left")
        merged.index = rows.index
        first = merged["first_seen"].fillna(first).combine(first, min)
        accepted = merged["first_accepted"]
    order = pd.DataFrame({"first": first, "accepted": accepted, "uid": rows["uid"]})
    ranked = order.sort_values(["first", "accepted", "uid"], kind="stable", na_position="last")
    return rows.assign(rank=pd.Series(range(len(ranked)), index=ranked.index))


def add_keys(frame: pd.DataFrame, registers: Registers) -> pd.DataFrame:
    cities = sorted({b.city for b in registers.bureaus})
    key = name_key(frame["name"], registers.province)
    return frame.assign(
        key=key,
        opkey=operator_key(frame["operator"], registers.province),
        city_key=strip_city(key, cities),
    )


def load_prior(settings: Settings, form: FormSpec, registers: Registers) -> pd.DataFrame:
    """The spaces of earlier batches, read with the same tolerant reader as the inbox."""
    frames = []
    for prior in settings.priors:
        if not prior.path.is_file():
            raise ConfigError(
                f"找不到往批汇总表 {prior.path}（{prior.name}）；请检查配置或 --prior。"
            )
    jobs = [(prior.path, prior.path.name) for prior in settings.priors]
    for prior, result in zip(settings.priors, read_files(jobs, form, caps(settings)), strict=True):
        if not result.tables:
            reasons = "；".join(p.message for p in result.problems)
            raise ConfigError(f"往批汇总表 {prior.path} 无法读取：{reasons}")
        frames += [  # a prior batch's workbook may be split over sheets too
            pd.DataFrame(
                {
                    "batch": prior.name,
                    "name": table.frame["name"].str.strip(),
                    "operator": table.frame["operator"].str.strip(),
                    "file": prior.path.name,
                    "row": table.frame.index.astype(int),
                }
            )
            for table in result.tables
        ]
    columns = ["uid", "batch", "name", "operator", "file", "row", "key", "opkey", "city_key"]
    if not frames:
        return pd.DataFrame(columns=columns)
    prior = pd.concat(frames, ignore_index=True)
    prior = prior[prior["name"] != ""].reset_index(drop=True)
    prior.insert(0, "uid", range(len(prior)))
    return add_keys(prior, registers)


_prior_cache: dict[tuple[object, ...], pd.DataFrame] = {}


def prior_batches(settings: Settings, form: FormSpec, registers: Registers) -> pd.DataFrame:
    """:func:`load_prior`, kept while the files are unchanged: a running process (the intake
    site, ``beian check`` of several workbooks) reads the prior batches once, not once per check.
    The key holds each file's size and modification time, and the form the rows are read with."""
    try:
        stats = [(p, p.path.stat()) for p in settings.priors]
    except OSError:
        return load_prior(settings, form, registers)  # says which file is missing
    stamps = tuple((p.name, p.path, s.st_size, s.st_mtime_ns) for p, s in stats)
    key = (settings.form, caps(settings), stamps)
    found = _prior_cache.get(key)  # the intake site checks uploads in several threads
    if found is None:
        found = load_prior(settings, form, registers)
        _prior_cache.clear()
        _prior_cache[key] = found
    return found.copy()
