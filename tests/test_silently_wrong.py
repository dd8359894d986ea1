"""Nothing silently wrong (SPEC §6, §12): when the site meets the inbox, and when a setup goes
astray. Each case is met as a clerk or a bureau meets it: the CLI, or the site with a real night."""

from __future__ import annotations

from pathlib import Path

from conftest import good_row
from serve_helpers import CHANGSHA, serve_batch, upload, workbook
from test_end_to_end import run_cli
from test_over_time import age, fate, file_statuses, half_copied
from typer.testing import CliRunner

from pipeline.accounts import CLERK
from pipeline.cli import app
from pipeline.config import Settings

runner = CliRunner()

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


# --- a file still being copied waits; it is not refused (SPEC §12) ---------------------------------


def test_a_file_still_being_copied_waits_for_the_next_night_everywhere(
    settings: Settings, make_workbook, tmp_path: Path
) -> None:
    whole = make_workbook([good_row()], folder=tmp_path / "mail").read_bytes()
    half_copied(settings.inbox / "长沙市科技局.xlsx", whole)
    log = tmp_path / "night.log"
    night = run_cli(settings, "--log", str(log))
    assert night.exit_code == 0, night.output
    said = "".join(night.output.split())
    assert "文件未通过、需重新报送" not in said
    assert "等待下次汇总（1，文件可能仍在复制，下次汇总时再读，无需重新报送）" in said
    assert "长沙市科技局.xlsx（长沙市科学技术局）" in said
    written = log.read_text(encoding="utf-8")
    assert "文件未通过、需重新报送" not in written and "长沙市科技局.xlsx（长沙市科学技术局）" in written
    status = runner.invoke(app, ["status", "--ledger", str(settings.ledger)])
    assert status.exit_code == 0, status.output
    assert "等待" in status.output and "文件未" not in status.output
    assert "长沙市科技局.xlsx（暂缓（文件可能仍在复制，下次汇总再读））" in status.output
    page = serve_batch(settings).client(CLERK).get("/admin").text
    row = page[page.index(CHANGSHA) : page.index("</tr>", page.index(CHANGSHA))]
    assert "等待下次汇总" in row and "未报送" not in row
