"""Nothing silently wrong (SPEC §6, §12): when the site meets the inbox, and when a setup goes
astray. Each case is met as a clerk or a bureau meets it: the CLI, or the site with a real night."""

from __future__ import annotations

from pathlib import Path

from conftest import good_row
from serve_helpers import CHANGSHA, serve_batch, upload, workbook
from test_end_to_end import run_cli
from test_over_time import age, fate, file_statuses, half_copied

from pipeline.config import Settings

WEEK = 7 * 86400


# --- received time (SPEC §6) -----------------------------------------------------------------------


def test_an_upload_beats_an_older_file_the_night_never_saw(
    settings: Settings, make_workbook, tmp_path: Path
) -> None:
    old = make_workbook([good_row(mobile="123")], name="长沙市科技局.xlsx")
    age(old, WEEK)  # copied into the inbox last week, never consolidated
    served = serve_batch(settings)
    fixed = workbook(tmp_path / "mail", [good_row()])
    assert upload(served.client(CHANGSHA), fixed).json()["status"] == "live"
    night = run_cli(settings)
    assert night.exit_code == 0, night.output
    statuses = {f: s for f, s, _ in file_statuses(settings)}
    assert statuses.pop("长沙市科技局.xlsx") == "superseded"
    assert list(statuses.values()) == ["live"]
    assert fate(settings) == {"麓谷创客工场": ("accepted", "")}


def test_a_refused_or_deferred_newer_file_keeps_the_latest_good_one(
    settings: Settings, make_workbook, tmp_path: Path
) -> None:
    first = make_workbook([good_row(mobile="123")], name="长沙市科技局.xlsx")
    age(first, 2 * WEEK)
    second = make_workbook([good_row()], name="长沙市科技局-修改.xlsx")
    age(second, WEEK)
    (settings.inbox / "长沙市科技局-第三次.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    age(settings.inbox / "长沙市科技局-第三次.xlsx", 3600)
    whole = make_workbook([good_row(mobile="456")], folder=tmp_path / "mail").read_bytes()
    half_copied(settings.inbox / "长沙市科技局-第四次.xlsx", whole)
    night = run_cli(settings)
    assert night.exit_code == 0, night.output
    assert file_statuses(settings) == [
        ("长沙市科技局-修改.xlsx", "live", ""),
        ("长沙市科技局-第三次.xlsx", "rejected", "F_UNREADABLE"),
        ("长沙市科技局-第四次.xlsx", "deferred", "F_UNREADABLE"),
        ("长沙市科技局.xlsx", "superseded", ""),
    ]
