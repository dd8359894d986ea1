"""Night after night (SPEC §5, §6): duplicates, clerk decisions, resubmissions, quiet nights,
deferred files and ``beian status``, driven through ``pipeline.run.run`` as the nightly job does."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import os
import types
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import FORM, LABELS, good_row, write_grid
from test_end_to_end import read_csv, run_cli

import pipeline.run
import pipeline.state.inbox
from pipeline.core.config import PriorBatch, Settings
from pipeline.core.errors import BeianError
from pipeline.run import RunReport, run
from pipeline.state.status import batch_status
from pipeline.write.publish import output_paths
from pipeline.write.workbook import consolidated_name

# Several nights per test, over time: the long form; CI runs it (-m slow).
pytestmark = pytest.mark.slow

CITY = "长沙市科学技术局"
ZONE = "长沙高新技术产业开发区管理委员会"
Night = Callable[[int], None]


@pytest.fixture
def night(monkeypatch: pytest.MonkeyPatch) -> Night:
    """night(n): the runs that follow happen at 22:00 on the n-th night after 2016-04-08.

    Received times are the night a file was first seen, so resubmissions are ordered by nights,
    never by the second a test happened to run in.
    """

    class Clock(dt.datetime):
        current = dt.datetime(2016, 4, 8, 22, 0)

        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:
            return cls.current

    monkeypatch.setattr(pipeline.run, "dt", types.SimpleNamespace(datetime=Clock))

    def set_night(n: int) -> None:
        Clock.current = dt.datetime(2016, 4, 8, 22, 0) + dt.timedelta(days=n)

    return set_night


def nightly(settings: Settings) -> RunReport:
    return run(settings, wait=0)


def dispositions(settings: Settings) -> list[tuple[str, str, str, str]]:
    """(file, name, disposition, codes) of every line of dispositions.csv."""
    rows = read_csv(settings.batch_dir / "dispositions.csv")
    return [(r["file"], r["name"], r["disposition"], r["codes"]) for r in rows]


def fate(settings: Settings) -> dict[str, tuple[str, str]]:
    """name -> (disposition, codes), for batches where every name is sent once."""
    return {name: (disp, codes) for _, name, disp, codes in dispositions(settings)}


def file_statuses(settings: Settings) -> list[tuple[str, str, str]]:
    return [
        (f["file"], f["status"], f["codes"]) for f in read_csv(settings.batch_dir / "files.csv")
    ]


def review_list(settings: Settings) -> list[dict[str, str]]:
    """待核对重复.csv, written with a BOM so that Excel opens it as UTF-8."""
    data = (settings.batch_dir / "待核对重复.csv").read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.DictReader(data.decode("utf-8-sig").splitlines()))


def sheet_records(settings: Settings, sheet: str) -> list[dict[str, Any]]:
    """A table sheet of the consolidated workbook as records keyed by its header."""
    book = openpyxl.load_workbook(settings.batch_dir / consolidated_name(settings))
    values = list(book[sheet].iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:] if any(row)]


def snapshot(folder: Path) -> dict[str, tuple[int, str]]:
    """Every file below a folder: its modification time (ns) and the SHA-256 of its bytes."""
    return {
        p.relative_to(folder).as_posix(): (
            p.stat().st_mtime_ns,
            hashlib.sha256(p.read_bytes()).hexdigest(),
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def age(path: Path, seconds: float) -> None:
    """Make a file look as if it was last modified ``seconds`` ago."""
    then = path.stat().st_mtime - seconds
    os.utime(path, (then, then))


def hand_made_prior(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    """A clerk's own Annex 3 of an earlier batch: 序号, the 13 columns and 推荐单位, no stamp."""
    grid: list[list[Any]] = [[FORM.title], ["序号", *LABELS, "推荐单位"]]
    for i, row in enumerate(rows, start=1):
        grid.append([i, *(row.get(c.field, "") for c in FORM.columns), CITY])
    return write_grid(path, grid, "xlsx", sheet="Sheet1")


def tool_made_prior(settings: Settings, tmp_path: Path, make_workbook, rows) -> Path:
    """The consolidated workbook this tool wrote for an earlier batch."""
    first = replace(
        settings,
        batch="2016年度首批",
        inbox=tmp_path / "first" / "inbox",
        outbox=tmp_path / "first" / "outbox",
        ledger=tmp_path / "first" / "ledger.sqlite",
    )
    make_workbook(rows, folder=first.inbox)
    assert nightly(first).counts["accepted"] == len(rows)
    return first.batch_dir / consolidated_name(first)


FIRST_BATCH = [
    good_row(name="麓谷创客工场"),
    good_row(name="岳麓山大学科技园创客空间", operator="岳麓山创新科技有限公司"),
    good_row(name="星城众创咖啡馆", operator="长沙星城众创科技有限公司"),
    good_row(name="株洲优客工场", operator="优客工场创业投资有限公司"),
]


@pytest.fixture(params=["tool-made", "hand-made"])
def with_prior(request, settings: Settings, tmp_path: Path, make_workbook) -> Settings:
    """The batch settings with the January batch, in either form a prior batch arrives."""
    if request.param == "tool-made":
        path = tool_made_prior(settings, tmp_path, make_workbook, FIRST_BATCH)
    else:
        path = hand_made_prior(tmp_path / "首批.xlsx", FIRST_BATCH)
    return replace(settings, priors=(PriorBatch("2016年度首批", path),))


# --- duplicates -----------------------------------------------------------------------------------


def test_prior_batch_duplicates_exact_normalised_and_near(
    with_prior: Settings, make_workbook
) -> None:
    settings = with_prior
    make_workbook(
        [
            good_row(name="麓谷创客工场"),
            good_row(name="湖南省 岳麓山大学科技园创客空间", operator="某某公司"),
            good_row(name="长沙星城众创咖啡馆", operator="湖南长沙星城众创科技有限责任公司"),
            good_row(name="岳麓山大学科技城创客空间", operator="岳麓山科技城运营有限公司"),
            good_row(name="岳麓山大学科技园区创客空间", operator="岳麓山园区物业管理有限公司"),
            good_row(name="长沙优客工场", operator="优客工场创业投资有限公司"),
            good_row(name="橘子洲青年创客中心", operator="长沙橘洲青创科技有限公司"),
        ]
    )
    report = nightly(settings)
    assert fate(settings) == {
        "麓谷创客工场": ("duplicate_prior", "I_DUPLICATE_PRIOR"),
        "湖南省 岳麓山大学科技园创客空间": ("duplicate_prior", "I_DUPLICATE_PRIOR"),
        "长沙星城众创咖啡馆": ("duplicate_prior", "I_DUPLICATE_PRIOR"),
        "岳麓山大学科技城创客空间": ("accepted", "W_POSSIBLE_DUPLICATE"),
        "岳麓山大学科技园区创客空间": ("accepted", "W_POSSIBLE_DUPLICATE"),
        "长沙优客工场": ("accepted", ""),
        "橘子洲青年创客中心": ("accepted", ""),
    }
    assert report.counts == {
        "accepted": 4,
        "rejected": 0,
        "duplicate_prior": 3,
        "duplicate_batch": 0,
    }
    shown = {
        (r["名称"], r["匹配来源"], r["匹配名称"], r["相似度"], r["原因"], r["处理"])
        for r in sheet_records(settings, "重复")
    }
    assert shown == {
        ("麓谷创客工场", "2016年度首批", "麓谷创客工场", 100, "名称相同", "自动剔除"),
        (
            "湖南省 岳麓山大学科技园创客空间",
            "2016年度首批",
            "岳麓山大学科技园创客空间",
            100,
            "名称相同",
            "自动剔除",
        ),
        (
            "长沙星城众创咖啡馆",
            "2016年度首批",
            "星城众创咖啡馆",
            100,
            "名称几乎相同且运营主体相同",
            "自动剔除",
        ),
        (
            "岳麓山大学科技城创客空间",
            "2016年度首批",
            "岳麓山大学科技园创客空间",
            92,
            "名称相近",
            "待人工核对（暂予受理）",
        ),
        (
            "岳麓山大学科技园区创客空间",
            "2016年度首批",
            "岳麓山大学科技园创客空间",
            96,
            "名称相近",
            "待人工核对（暂予受理）",
        ),
    }


def test_a_space_sent_by_city_and_zone_stays_with_the_first_received(
    settings: Settings, make_workbook, night: Night
) -> None:
    night(0)
    make_workbook(
        [good_row(), good_row(name="星城众创咖啡馆", operator="长沙星城众创科技有限公司")],
        name="长沙市科技局.xlsx",
    )
    nightly(settings)
    night(1)
    zone = make_workbook(
        [
            good_row(operator="长沙麓谷创客科技有限责任公司"),
            good_row(name="麓谷智能制造众创空间", operator="长沙麓谷智造科技有限公司"),
        ],
        name="长沙高新区.xlsx",
        stamp=ZONE,
    )
    # modified a month ago, which is still after the simulated 2016 night it was first seen on:
    # received = that night (SPEC §6: first seen, never later than the modification time)
    age(zone, 30 * 86400)
    nightly(settings)
    assert dispositions(settings) == [
        ("长沙市科技局.xlsx", "麓谷创客工场", "accepted", "I_SENT_BY_OTHER"),
        ("长沙市科技局.xlsx", "星城众创咖啡馆", "accepted", ""),
        ("长沙高新区.xlsx", "麓谷创客工场", "duplicate_batch", "I_DUPLICATE_BATCH"),
        ("长沙高新区.xlsx", "麓谷智能制造众创空间", "accepted", ""),
    ]
    [shown] = sheet_records(settings, "重复")
    assert (shown["推荐单位"], shown["匹配来源"], shown["类型"], shown["处理"]) == (
        ZONE,
        CITY,
        "本批跨单位重复",
        "自动剔除",
    )


def test_on_one_night_the_older_file_is_the_first_received(
    settings: Settings, make_workbook
) -> None:
    zone = make_workbook([good_row()], name="长沙高新区.xlsx", stamp=ZONE)
    make_workbook([good_row()], name="长沙市科技局.xlsx")
    age(zone, 3600)
    nightly(settings)
    assert [(f, d) for f, _, d, _ in dispositions(settings)] == [
        ("长沙市科技局.xlsx", "duplicate_batch"),
        ("长沙高新区.xlsx", "accepted"),
    ]


def test_a_resubmission_keeps_its_first_received_rows(
    settings: Settings, make_workbook, night: Night
) -> None:
    night(0)
    make_workbook([good_row(), good_row(name="星城众创咖啡馆", mobile="123")])
    nightly(settings)
    night(1)
    make_workbook([good_row()], name="长沙高新区.xlsx", stamp=ZONE)
    nightly(settings)
    night(2)
    make_workbook([good_row(), good_row(name="星城众创咖啡馆")], name="长沙市科技局-修改.xlsx")
    nightly(settings)
    assert [(f, n, d) for f, n, d, _ in dispositions(settings)] == [
        ("长沙市科技局-修改.xlsx", "麓谷创客工场", "accepted"),
        ("长沙市科技局-修改.xlsx", "星城众创咖啡馆", "accepted"),
        ("长沙高新区.xlsx", "麓谷创客工场", "duplicate_batch"),
    ]


def test_a_second_copy_in_one_file_is_rejected(settings: Settings, make_workbook) -> None:
    make_workbook(
        [
            good_row(),
            good_row(name="星城众创咖啡馆"),
            good_row(name="麓谷 创客工场（ ）", mobile="13807310001"),
        ]
    )
    report = nightly(settings)
    assert [(n, d, c) for _, n, d, c in dispositions(settings)] == [
        ("麓谷创客工场", "accepted", ""),
        ("星城众创咖啡馆", "accepted", ""),
        ("麓谷 创客工场（ ）", "rejected", "E_DUPLICATE_ROW"),
    ]
    [shown] = sheet_records(settings, "重复")
    assert (shown["类型"], shown["行"], shown["匹配行"], shown["原因"]) == (
        "同表重复",
        6,
        4,
        "同一文件内名称相同",
    )
    assert report.result is not None
    [problem] = [p for p in report.result.problems if p.code == "E_DUPLICATE_ROW"]
    assert problem.cell == "A6"
    assert "第 4 行" in problem.message


# --- clerk decisions --------------------------------------------------------------------------


def test_clerk_decisions_hold_on_later_nights_and_resubmissions(
    with_prior: Settings, make_workbook, night: Night
) -> None:
    settings = with_prior
    night(0)
    rows = [
        good_row(name="岳麓山大学科技城创客空间", operator="岳麓山科技城运营有限公司"),
        good_row(name="长沙星城众创咖啡馆", operator="长沙星辰文化传播有限公司"),
        good_row(name="橘子洲青年创客中心", operator="长沙橘洲青创科技有限公司"),
    ]
    make_workbook(rows)
    nightly(settings)
    pending = review_list(settings)
    assert list(pending[0])[:3] == ["名称", "匹配名称", "处理意见"]
    assert {(r["名称"], r["匹配名称"], r["处理意见"]) for r in pending} == {
        ("岳麓山大学科技城创客空间", "岳麓山大学科技园创客空间", ""),
        ("长沙星城众创咖啡馆", "星城众创咖啡馆", ""),
    }

    # The clerk fills in 处理意见 and saves the list as decisions.csv from Chinese Excel (GBK).
    verdicts = {"岳麓山大学科技城创客空间": "删除", "长沙星城众创咖啡馆": "保留"}
    lines = ["名称,匹配名称,处理意见"] + [
        f"{r['名称']},{r['匹配名称']},{verdicts[r['名称']]}" for r in pending
    ]
    settings.decisions.write_text("\n".join(lines) + "\n", encoding="gb18030")
    night(1)
    assert nightly(settings).changed
    decided = {
        "岳麓山大学科技城创客空间": ("duplicate_prior", "I_DUPLICATE_PRIOR"),
        "长沙星城众创咖啡馆": ("accepted", ""),
        "橘子洲青年创客中心": ("accepted", ""),
    }
    assert fate(settings) == decided
    assert [(r["名称"], r["原因"], r["处理"]) for r in sheet_records(settings, "重复")] == [
        ("岳麓山大学科技城创客空间", "人工核定为重复", "人工核定剔除")
    ]
    assert review_list(settings) == []

    # The bureau resubmits the same rows with one more; the decisions still hold.
    night(2)
    make_workbook([*rows, good_row(name="湘江新区众创空间")], name="长沙市科技局-补报.xlsx")
    nightly(settings)
    assert fate(settings) == {**decided, "湘江新区众创空间": ("accepted", "")}


def test_a_clerk_decides_on_a_possible_duplicate_across_bureaus(
    settings: Settings, make_workbook
) -> None:
    make_workbook([good_row(name="星城众创咖啡馆", operator="长沙星城众创科技有限公司")])
    make_workbook(
        [good_row(name="星城众创咖啡馆（二店）", operator="长沙星城众创科技有限责任公司")],
        name="长沙高新区.xlsx",
        stamp=ZONE,
    )
    age(settings.inbox / "长沙市科技局.xlsx", 60)
    nightly(settings)
    assert fate(settings) == {
        "星城众创咖啡馆": ("accepted", ""),
        "星城众创咖啡馆（二店）": ("accepted", "W_POSSIBLE_DUPLICATE"),
    }
    [pending] = review_list(settings)
    assert (pending["名称"], pending["匹配名称"], pending["匹配来源"]) == (
        "星城众创咖啡馆（二店）",
        "星城众创咖啡馆",
        CITY,
    )
    settings.decisions.write_text(
        "名称,匹配名称,处理意见\n星城众创咖啡馆（二店）,星城众创咖啡馆,删除\n", encoding="utf-8-sig"
    )
    nightly(settings)
    assert fate(settings) == {
        "星城众创咖啡馆": ("accepted", "I_SENT_BY_OTHER"),
        "星城众创咖啡馆（二店）": ("duplicate_batch", "I_DUPLICATE_BATCH"),
    }


# --- submissions over time --------------------------------------------------------------------


def test_a_newer_file_supersedes_and_a_rejected_one_never_does(
    settings: Settings, make_workbook, night: Night
) -> None:
    night(0)
    first = make_workbook([good_row(), good_row(name="星城众创咖啡馆", mobile="123")])
    nightly(settings)
    night(1)
    # Modified a week ago, still after the simulated night the first file was seen on: received
    # on the night it was first seen (SPEC §6), so it is the newer submission.
    second = make_workbook(
        [good_row(), good_row(name="星城众创咖啡馆")], name="长沙市科技局-修改.xlsx"
    )
    age(second, 7 * 86400)
    nightly(settings)
    assert file_statuses(settings) == [
        ("长沙市科技局-修改.xlsx", "live", ""),
        ("长沙市科技局.xlsx", "superseded", ""),
    ]
    assert [(f, d) for f, _, d, _ in dispositions(settings)] == [
        ("长沙市科技局-修改.xlsx", "accepted"),
        ("长沙市科技局-修改.xlsx", "accepted"),
    ]
    night(2)
    (settings.inbox / "长沙市科技局-第三次.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    age(settings.inbox / "长沙市科技局-第三次.xlsx", 3600)
    nightly(settings)
    assert file_statuses(settings) == [
        ("长沙市科技局-修改.xlsx", "live", ""),
        ("长沙市科技局-第三次.xlsx", "rejected", "F_UNREADABLE"),
        ("长沙市科技局.xlsx", "superseded", ""),
    ]
    assert first.exists() and second.exists()


def test_a_moved_file_keeps_the_night_it_was_first_received(
    settings: Settings, make_workbook, night: Night
) -> None:
    night(0)
    sent = make_workbook([good_row()])
    nightly(settings)
    night(3)
    sent.rename(settings.inbox / "长沙市科技局-备份.xlsx")
    nightly(settings)
    city = batch_status(settings).table.set_index("推荐单位").loc[CITY]
    assert (city["采用文件"], city["收到时间"]) == ("长沙市科技局-备份.xlsx", "2016-04-08 22:00")


def test_new_content_under_the_same_name_replaces_the_old(
    settings: Settings, make_workbook, night: Night
) -> None:
    night(0)
    make_workbook([good_row(mobile="123")])
    nightly(settings)
    night(1)
    make_workbook([good_row()])
    assert nightly(settings).changed
    assert fate(settings) == {"麓谷创客工场": ("accepted", "")}
    status = batch_status(settings)
    assert status.changes == [f"{CITY}：重新报送 长沙市科技局.xlsx，受理 0 → 1，未通过 1 → 0"]


def test_a_night_with_nothing_new_rewrites_nothing(
    settings: Settings, make_workbook, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_workbook([good_row(), good_row(name="星城众创咖啡馆", mobile="123")])
    first = run_cli(settings)
    assert first.exit_code == 0, first.output
    before = snapshot(settings.outbox)
    written = [p.relative_to(settings.outbox).as_posix() for p in output_paths(settings)]
    assert set(written) <= set(before)

    def untouched(*args: object, **kwargs: object) -> None:
        raise AssertionError("an unchanged input was read again")

    monkeypatch.setattr(pipeline.state.inbox, "read_files", untouched)
    monkeypatch.setattr(pipeline.state.inbox, "fingerprint", untouched)
    quiet = run_cli(settings)
    assert quiet.exit_code == 0, quiet.output
    said = "".join(quiet.output.split())
    assert "收件箱与上次运行相比没有变化，未重写任何输出。数据行2：受理1，未通过1" in said
    assert snapshot(settings.outbox) == before


def test_lock_files_and_hidden_files_are_ignored(settings: Settings, make_workbook) -> None:
    make_workbook([good_row()])
    for junk in ("~$长沙市科技局.xlsx", ".~lock.长沙市科技局.xlsx#", ".DS_Store", "~WRL0001.tmp"):
        (settings.inbox / junk).write_bytes(b"\x00junk")
    (settings.inbox / ".git").mkdir()
    make_workbook([good_row(name="别的空间")], folder=settings.inbox / ".git")
    nightly(settings)
    assert sorted(file_statuses(settings)) == [
        (".DS_Store", "ignored", ""),
        (".~lock.长沙市科技局.xlsx#", "ignored", ""),
        ("~$长沙市科技局.xlsx", "ignored", ""),
        ("~WRL0001.tmp", "ignored", ""),
        ("长沙市科技局.xlsx", "live", ""),
    ]
    assert fate(settings) == {"麓谷创客工场": ("accepted", "")}


def half_copied(path: Path, whole: bytes) -> Path:
    """The first half of a workbook, as a copy still in progress leaves it."""
    path.write_bytes(whole[: len(whole) // 2])
    return path


def test_a_file_still_being_copied_is_deferred_and_read_the_night_after(
    settings: Settings, make_workbook, tmp_path: Path, night: Night
) -> None:
    night(0)
    make_workbook([good_row(mobile="123")])
    nightly(settings)
    whole = make_workbook([good_row()], folder=tmp_path / "mail").read_bytes()
    target = half_copied(settings.inbox / "长沙市科技局-修改.xlsx", whole)
    night(1)
    nightly(settings)
    assert file_statuses(settings) == [
        ("长沙市科技局-修改.xlsx", "deferred", "F_UNREADABLE"),
        ("长沙市科技局.xlsx", "live", ""),
    ]
    assert fate(settings) == {"麓谷创客工场": ("rejected", "E_MOBILE")}
    target.write_bytes(whole)
    night(2)
    nightly(settings)
    assert file_statuses(settings) == [
        ("长沙市科技局-修改.xlsx", "live", ""),
        ("长沙市科技局.xlsx", "superseded", ""),
    ]
    assert fate(settings) == {"麓谷创客工场": ("accepted", "")}


def test_an_old_unreadable_file_is_rejected_not_deferred(
    settings: Settings, make_workbook, tmp_path: Path
) -> None:
    whole = make_workbook([good_row()], folder=tmp_path / "mail").read_bytes()
    age(
        half_copied(settings.inbox / "长沙市科技局.xlsx", whole),
        pipeline.state.inbox.DEFER_SECONDS + 60,
    )
    nightly(settings)
    assert file_statuses(settings) == [("长沙市科技局.xlsx", "rejected", "F_UNREADABLE")]


def test_a_deferred_file_that_never_completes_is_rejected_a_night_later(
    settings: Settings, make_workbook, tmp_path: Path
) -> None:
    whole = make_workbook([good_row()], folder=tmp_path / "mail").read_bytes()
    target = half_copied(settings.inbox / "长沙市科技局.xlsx", whole)
    nightly(settings)
    age(target, 86400)
    nightly(settings)
    assert file_statuses(settings) == [("长沙市科技局.xlsx", "rejected", "F_UNREADABLE")]


# --- beian status -------------------------------------------------------------------------------


def test_status_tells_who_sent_what_and_what_changed(
    settings: Settings, make_workbook, night: Night
) -> None:
    night(0)
    make_workbook([good_row(), good_row(name="星城众创咖啡馆", mobile="123")])
    nightly(settings)
    first = batch_status(settings)
    assert first.changes == ["首次运行：以上为全部报送情况。"]
    assert first.run_started == "2016-04-08 22:00:00"
    assert CITY not in first.missing and ZONE in first.missing
    night(1)
    make_workbook([good_row(name="麓谷智能制造众创空间")], name="长沙高新区.xlsx", stamp=ZONE)
    make_workbook([good_row(), good_row(name="星城众创咖啡馆")], name="长沙市科技局-修改.xlsx")
    nightly(settings)
    night(2)
    nightly(settings)
    status = batch_status(settings)
    assert (status.run_started, status.quiet_runs_since) == ("2016-04-09 22:00:00", 1)
    assert ZONE not in status.missing and len(status.missing) == len(first.missing) - 1
    city = status.table.set_index("推荐单位").loc[CITY]
    assert (city["状态"], city["采用文件"], city["受理"], city["收到时间"]) == (
        "已报送",
        "长沙市科技局-修改.xlsx",
        2,
        "2016-04-09 22:00",
    )
    assert status.changes == [
        f"{CITY}：采用新文件 长沙市科技局-修改.xlsx，受理 1 → 2，未通过 1 → 0",
        f"{ZONE}：未报送 → 已报送，采用新文件 长沙高新区.xlsx，受理 0 → 1",
    ]


def test_status_before_any_run_says_to_run_first(settings: Settings) -> None:
    with pytest.raises(BeianError, match="请先运行 beian run"):
        batch_status(settings)


def test_copies_first_seen_the_same_night_stay_with_the_one_accepted(
    settings: Settings, make_workbook, night: Night
) -> None:
    night(0)
    make_workbook([good_row(), good_row(name="星城众创咖啡馆", mobile="123")])
    make_workbook([good_row()], name="长沙高新区.xlsx", stamp=ZONE)
    nightly(settings)
    assert ("长沙高新区.xlsx", "麓谷创客工场", "duplicate_batch") in [
        (f, n, d) for f, n, d, _ in dispositions(settings)
    ]
    night(1)
    make_workbook([good_row(), good_row(name="星城众创咖啡馆")], name="长沙市科技局-修改.xlsx")
    nightly(settings)
    assert [(f, n, d) for f, n, d, _ in dispositions(settings)] == [
        ("长沙市科技局-修改.xlsx", "麓谷创客工场", "accepted"),
        ("长沙市科技局-修改.xlsx", "星城众创咖啡馆", "accepted"),
        ("长沙高新区.xlsx", "麓谷创客工场", "duplicate_batch"),
    ]
