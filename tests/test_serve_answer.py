"""Answering at once (SPEC §11): the site keeps what it read and judged between uploads, by
content, and its answer stays exactly what reading the whole inbox again gives."""

from __future__ import annotations

import io
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import good_row
from forms import make_form
from serve_helpers import CHANGSHA, ZHUZHOU, Codes, Served, serve_batch, upload, workbook

from pipeline.core.config import Settings
from pipeline.read.readcache import keep_reads, reads
from pipeline.rules.judged import judgements
from pipeline.run import run
from pipeline.web.site import Site

THEIRS = [
    good_row(name="株洲动力谷创客空间", email="dl@example.com"),
    good_row(name="醴陵陶瓷众创"),
]


def seeded(settings: Settings, tmp_path: Path) -> Settings:
    """An inbox that already holds another bureau's workbook and this bureau's Annex 1 form."""
    (settings.inbox / ZHUZHOU).mkdir(parents=True)
    (settings.inbox / ZHUZHOU / "株洲.xlsx").write_bytes(
        workbook(tmp_path, THEIRS, stamp=ZHUZHOU, name="z.xlsx")
    )
    make_form(settings.inbox / CHANGSHA / "附件1.docx")
    return settings


def versions(tmp_path: Path) -> list[bytes]:
    """Two versions of 长沙's workbook: the second re-sends 株洲's space and has a bad mobile."""
    first = workbook(tmp_path, [good_row()], name="v1.xlsx")
    second = workbook(
        tmp_path,
        [good_row(), THEIRS[0], good_row(name="岳麓山众创", mobile="1380731")],
        name="v2.xlsx",
    )
    return [first, second]


def answer_of(served: Served, data: bytes) -> dict[str, object]:
    body = upload(served.client(CHANGSHA), data).json()
    return {k: body[k] for k in ("status", "counts", "problems")}


@pytest.fixture(autouse=True)
def fresh_caches() -> None:
    keep_reads(False)


def test_a_warm_upload_reads_and_judges_only_the_new_file(
    settings: Settings, tmp_path: Path
) -> None:
    served = serve_batch(seeded(settings, tmp_path))
    first, second = versions(tmp_path)
    answer_of(served, first)
    before = (reads.misses, judgements.misses)
    answer_of(served, second)
    assert (reads.misses - before[0], judgements.misses - before[1]) == (1, 1)
    assert reads.hits >= 2 and judgements.hits >= 1  # 株洲's workbook, the form, the first upload


def test_a_warm_answer_is_exactly_what_a_full_re_read_gives(
    settings: Settings, tmp_path: Path
) -> None:
    warm = serve_batch(seeded(settings, tmp_path))
    first, second = versions(tmp_path)
    answer_of(warm, first)
    copy = tmp_path / "copy"
    for name in ("inbox", "outbox"):
        shutil.copytree(tmp_path / name, copy / name)
    shutil.copy(settings.ledger, copy / "ledger.sqlite")
    kept = answer_of(warm, second)
    assert reads.hits and judgements.hits
    keep_reads(False)  # forget everything: the cold site reads and judges the whole inbox
    cold = serve_batch(
        replace(
            settings,
            inbox=copy / "inbox",
            outbox=copy / "outbox",
            ledger=copy / "ledger.sqlite",
        )
    )
    assert answer_of(cold, second) == kept
    assert kept["counts"] == {
        "accepted": 1,
        "rejected": 1,
        "duplicate_prior": 0,
        "duplicate_batch": 1,
    }
    assert reads.hits == 0 and judgements.hits == 0


def test_the_upload_answered_first_keeps_its_space_tonight_however_close_the_next(
    settings: Settings, tmp_path: Path
) -> None:
    """Two bureaus send the same space within one second, and 株洲's file finishes arriving a
    moment before 长沙's but is judged after it: 长沙 was told its space is accepted, so the
    night (and 株洲's answer) must agree, although 株洲's path sorts first."""
    site = Site(settings)
    codes = Codes(settings.ledger)
    shared = [good_row()]
    theirs = workbook(tmp_path, shared, stamp=ZHUZHOU, name="z.xlsx")
    ours = workbook(tmp_path, shared, name="c.xlsx")
    zhuzhou = site.stage(site.sign_in(codes[ZHUZHOU]), "z.xlsx", io.BytesIO(theirs))
    changsha = site.stage(site.sign_in(codes[CHANGSHA]), "c.xlsx", io.BytesIO(ours))
    first, second = site.receive(changsha), site.receive(zhuzhou)
    assert (first.counts["accepted"], second.counts["duplicate_batch"]) == (1, 1)
    night = run(settings).result
    assert night is not None
    kept = night.rows.groupby("bureau")["disposition"].first().to_dict()
    assert kept == {CHANGSHA: "accepted", ZHUZHOU: "duplicate_batch"}
