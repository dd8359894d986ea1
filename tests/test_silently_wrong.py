"""Nothing silently wrong (SPEC §6, §12): when the site meets the inbox, and when a setup goes
astray. Each case is met as a clerk or a bureau meets it: the CLI, or the site with a real night."""

from __future__ import annotations

import csv
import errno
import os
import random
import stat
import subprocess
import sys
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, good_row
from serve_helpers import CHANGSHA, run_ended, serve_batch, upload, workbook
from test_end_to_end import run_cli
from test_over_time import age, fate, file_statuses, half_copied
from test_over_time import dispositions as dispositions_of
from typer.testing import CliRunner

import pipeline.state.accounts
import pipeline.web.app
import pipeline.write.publish
from pipeline.cli import app
from pipeline.core.atomic import TEMP_MARK
from pipeline.core.config import Settings
from pipeline.state.accounts import CLERK
from pipeline.state.lock import locked_ledger
from pipeline.web.jobs import Job, site_holder

runner = CliRunner()

WEEK = 7 * 86400


# --- received time (SPEC §6) ----------------------------------------------------------------------


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


# --- a file still being copied waits; it is not refused (SPEC §12) --------------------------------


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
    assert (
        "文件未通过、需重新报送" not in written
        and "长沙市科技局.xlsx（长沙市科学技术局）" in written
    )
    status = runner.invoke(app, ["status", "--ledger", str(settings.ledger)])
    assert status.exit_code == 0, status.output
    assert "等待" in status.output and "文件未" not in status.output
    assert "长沙市科技局.xlsx（暂缓（文件可能仍在复制，下次汇总再读））" in status.output
    page = serve_batch(settings).client(CLERK).get("/admin").text
    row = page[page.index(CHANGSHA) : page.index("</tr>", page.index(CHANGSHA))]
    assert "等待下次汇总" in row and "未报送" not in row


# --- setups that would corrupt results are refused, naming both paths (SPEC §12) ---------------


def flat(text: str) -> str:
    return "".join(text.split())


def test_an_outbox_inside_the_inbox_is_refused(settings: Settings, make_workbook) -> None:
    make_workbook([good_row()])
    inside = replace(settings, outbox=settings.inbox / "输出")
    said = run_cli(inside)
    assert said.exit_code == 2, said.output
    assert flat(f"输出文件夹 {inside.outbox} 在收件箱 {settings.inbox} 之内") in flat(said.output)
    assert "--outbox" in said.output and not inside.outbox.exists()


def test_an_inbox_inside_the_outbox_is_refused(settings: Settings, tmp_path: Path) -> None:
    inbox = tmp_path / "outbox" / "收件箱"
    inbox.mkdir(parents=True)
    said = run_cli(replace(settings, inbox=inbox))
    assert said.exit_code == 2, said.output
    assert flat(f"收件箱 {inbox} 在输出文件夹 {settings.outbox} 之内") in flat(said.output)


def test_a_prior_batch_that_is_one_of_this_batchs_files_is_refused(
    settings: Settings, make_workbook, tmp_path: Path
) -> None:
    sent = make_workbook([good_row()])
    copy = tmp_path / "prior" / "首批.xlsx"
    copy.parent.mkdir()
    copy.write_bytes(sent.read_bytes())
    same = run_cli(settings, "--prior", f"2016年度首批={copy}")
    assert same.exit_code == 2, same.output
    assert flat(f"往批汇总表 {copy}（2016年度首批）与本批收件箱中的 {sent} 内容相同") in flat(
        same.output
    )
    inside = run_cli(settings, "--prior", f"2016年度首批={sent}")
    assert inside.exit_code == 2, inside.output
    assert flat(f"往批汇总表 {sent}（2016年度首批）在收件箱 {settings.inbox} 之内") in flat(
        inside.output
    )
    assert not settings.batch_dir.exists()


def test_an_inbox_that_is_a_file_is_named_a_file(settings: Settings, tmp_path: Path) -> None:
    afile = tmp_path / "收件箱.xlsx"
    afile.write_bytes(b"PK")
    said = run_cli(replace(settings, inbox=afile))
    assert said.exit_code == 2
    assert flat(f"收件箱 {afile} 是一个文件，不是文件夹") in flat(said.output)


def test_a_good_setup_still_runs(settings: Settings, make_workbook, tmp_path: Path) -> None:
    make_workbook([good_row()])
    prior = tmp_path / "prior" / "首批.xlsx"
    make_workbook([good_row(name="别的空间")], folder=prior.parent, name=prior.name)
    said = run_cli(settings, "--prior", f"2016年度首批={prior}")
    assert said.exit_code == 0, said.output


# --- sign-in codes are never lost; no site without them (SPEC §12) --------------------------------


def accounts(settings: Settings, tmp_path: Path, *args: str) -> Any:
    config = tmp_path / "beian.toml"
    config.write_text(f'[paths]\nledger = "{settings.ledger.as_posix()}"\n', encoding="utf-8")
    return runner.invoke(app, ["accounts", "--config", str(config), *args])


def codes_in(path: Path) -> list[list[str]]:
    return list(csv.reader(path.open(encoding="utf-8-sig")))[1:]


def test_a_reset_never_overwrites_the_codes_file(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first = accounts(settings, tmp_path)
    assert first.exit_code == 0, first.output
    everyone = codes_in(tmp_path / "登录码.csv")
    assert len(everyone) == 21
    if os.name == "posix":
        assert stat.S_IMODE((tmp_path / "登录码.csv").stat().st_mode) == 0o600
    reset = accounts(settings, tmp_path, "--reset", "长沙市科技局")
    assert reset.exit_code == 0, reset.output
    assert codes_in(tmp_path / "登录码.csv") == everyone
    (new_file,) = set(tmp_path.glob("登录码*.csv")) - {tmp_path / "登录码.csv"}
    assert [b for b, _, _ in codes_in(new_file)] == [CHANGSHA]
    assert new_file.name in flat(reset.output)
    refused = accounts(settings, tmp_path, "--reset", CLERK, "--out", "登录码.csv")
    assert refused.exit_code == 2 and "--force" in refused.output
    assert codes_in(tmp_path / "登录码.csv") == everyone
    assert served_code_works(settings, everyone[0][2])  # the refused reset changed nothing
    forced = accounts(settings, tmp_path, "--reset", CLERK, "--out", "登录码.csv", "--force")
    assert forced.exit_code == 0 and len(codes_in(tmp_path / "登录码.csv")) == 1


def served_code_works(settings: Settings, code: str) -> bool:
    client = serve_batch(settings).client()
    return client.post("/api/session", json={"code": code}).status_code == 200


def test_serve_without_accounts_refuses_to_start(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def started(*args: object) -> None:
        raise AssertionError("the site started with no account to sign in with")

    monkeypatch.setattr(pipeline.web.app, "serve", started)
    config = tmp_path / "beian.toml"
    config.write_text(f'[paths]\nledger = "{settings.ledger.as_posix()}"\n', encoding="utf-8")
    said = runner.invoke(app, ["serve", "--config", str(config), "--port", "0"])
    assert said.exit_code == 2, said.output
    assert "beian accounts" in said.output and "没有人能登录" in flat(said.output)


# --- small lies (SPEC §12) ------------------------------------------------------------------------


def test_the_lock_message_names_the_sites_run_and_never_says_delete(
    settings: Settings, make_workbook
) -> None:
    make_workbook([good_row()])
    job = Job("x", CLERK, started="2016-04-10 09:30:00")
    with locked_ledger(settings, wait=0, holder=site_holder(job)):
        said = run_cli(settings, "--wait", "0")
    assert said.exit_code == 75
    assert "网上报送站点的“立即汇总”（管理员，2016-04-1009:30开始）正在汇总这个批次" in flat(
        said.output
    )
    assert "删除" not in said.output


def test_the_sites_run_names_a_beian_run_holding_the_lock(settings: Settings) -> None:
    clerk = serve_batch(settings).client(CLERK)
    with locked_ledger(settings, wait=0):
        run_id = clerk.post("/api/runs").json()["id"]
        job = run_ended(clerk, run_id)
    assert job["state"] == "failed" and f"beian run（进程 {os.getpid()}" in job["message"]


def test_a_write_error_names_the_output_not_its_temporary_name(
    settings: Settings, make_workbook, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_workbook([good_row()])

    def held_open(frame: object, path: Path, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(pipeline.write.publish, "write_frame_csv", held_open)
    said = run_cli(settings)
    assert said.exit_code == 3
    assert flat(f"没有写入 {settings.batch_dir / 'dispositions.csv'} 的权限") in flat(said.output)
    assert TEMP_MARK not in said.output


def beian(*args: str, columns: int) -> subprocess.CompletedProcess[str]:
    """``beian`` in a terminal this many columns wide, as the clerk runs it."""
    env = {**os.environ, "COLUMNS": str(columns), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=REPO,
        timeout=300,
    )


def test_a_narrow_terminal_keeps_every_number_and_the_log_is_never_wrapped(
    settings: Settings, make_workbook, tmp_path: Path
) -> None:
    make_workbook([good_row(), good_row(name="星城众创咖啡馆", mobile="123")])
    where = ["--inbox", str(settings.inbox), "--outbox", str(settings.outbox)]
    log = tmp_path / "夜间日志" / "night.log"
    night = beian("run", *where, "--ledger", str(settings.ledger), "--log", str(log), columns=40)
    assert night.returncode == 0, night.stderr
    assert "长沙市科学技术局：受理1，未通过1，往批已备案0，本批重复0" in flat(night.stdout)
    written = log.read_text(encoding="utf-8")
    assert f"输出：{settings.batch_dir}\n" in written  # one line, however long the path
    assert "往批已备案" in written and "┃ 推荐单位" in written  # the table, its header whole
    status = beian("status", "--ledger", str(settings.ledger), columns=40)
    assert status.returncode == 0, status.stderr
    assert "长沙市科学技术局：状态已报送，收到时间" in flat(status.stdout)
    assert "受理1，未通过1，往批已备案0，本批重复0" in flat(status.stdout)


# --- dedupe stays linear when every row names one operator (SPEC §5, Cost) --------------------


def invented_names(count: int, seed: int) -> list[str]:
    """Distinct space names far apart from each other (random characters, one suffix)."""
    rng = random.Random(seed)
    hanzi = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    names: set[str] = set()
    while len(names) < count:
        names.add("".join(rng.choices(hanzi, k=5)) + "众创空间")
    return sorted(names)


@pytest.mark.slow
def test_rows_that_all_name_one_operator_cost_memory_in_proportion(
    settings: Settings, make_workbook
) -> None:
    city, zone = invented_names(1500, 1), invented_names(1500, 2)
    zone[:5] = city[:5]  # five spaces both bureaus sent: still found
    operator = "湖南同一众创运营管理有限公司"
    make_workbook([good_row(name=n, operator=operator) for n in city])
    make_workbook(
        [good_row(name=n, operator=operator) for n in zone],
        name="长沙高新区.xlsx",
        stamp="长沙高新技术产业开发区管理委员会",
    )
    tracemalloc.start()
    try:
        night = run_cli(settings)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert night.exit_code == 0, night.output
    assert peak < 400 * 2**20  # a self-join of the operator's 3,000 rows took gigabytes
    dispositions = [d for _, _, d, _ in dispositions_of(settings)]
    assert dispositions.count("duplicate_batch") == 5
    assert dispositions.count("accepted") == 2995


# --- two channels, one batch ------------------------------------------------------------------


def test_a_file_the_night_took_after_an_upload_is_live_on_the_site(
    settings: Settings, make_workbook, tmp_path: Path
) -> None:
    served = serve_batch(settings)
    bureau = served.client(CHANGSHA)
    assert upload(bureau, workbook(tmp_path / "up", [good_row(mobile="123")])).status_code == 201
    time.sleep(1.1)  # the corrected file arrives by e-mail after the upload
    make_workbook([good_row()], name="长沙市科技局-邮件.xlsx")
    night = run_cli(settings)
    assert night.exit_code == 0, night.output
    assert ("长沙市科技局-邮件.xlsx", "live", "") in file_statuses(settings)
    (sent,) = bureau.get("/api/uploads").json()["uploads"]
    assert not sent["live"]
    page = served.client(CLERK).get("/admin").text
    row = page[page.index(CHANGSHA) : page.index("</tr>", page.index(CHANGSHA))]
    assert "长沙市科技局-邮件.xlsx" in row


def test_a_ledger_or_decisions_file_inside_the_inbox_is_refused(
    settings: Settings, make_workbook
) -> None:
    make_workbook([good_row()])
    ledger = run_cli(replace(settings, ledger=settings.inbox / "台账.sqlite"))
    assert ledger.exit_code == 2, ledger.output
    assert flat(f"台账文件 {settings.inbox / '台账.sqlite'} 在收件箱") in flat(ledger.output)
    config = settings.inbox.parent / "beian.toml"
    config.write_text('[paths]\ndecisions = "inbox/decisions.csv"\n', encoding="utf-8")
    decisions = run_cli(settings, "--config", str(config))
    assert decisions.exit_code == 2, decisions.output
    assert "处理意见文件" in decisions.output


def test_this_batchs_own_workbook_as_a_prior_is_refused(
    settings: Settings, make_workbook, tmp_path: Path
) -> None:
    make_workbook([good_row()])
    assert run_cli(settings).exit_code == 0
    (own,) = settings.batch_dir.glob("*.xlsx")
    said = run_cli(settings, "--prior", f"2016年度首批={own}")
    assert said.exit_code == 2, said.output
    assert flat(f"在本批的输出文件夹 {settings.batch_dir} 之内") in flat(said.output)
    earlier = settings.outbox / "2016年度首批" / "汇总表.xlsx"
    earlier.parent.mkdir()
    earlier.write_bytes(own.read_bytes())  # an earlier batch's output is a fine prior
    assert run_cli(settings, "--prior", f"2016年度首批={earlier}").exit_code == 0


def test_re_uploading_an_earlier_version_is_told_what_the_night_will_do(
    settings: Settings, tmp_path: Path
) -> None:
    bureau = serve_batch(settings).client(CHANGSHA)
    first = workbook(tmp_path / "a", [good_row(mobile="123")])
    assert upload(bureau, first).json()["status"] == "live"
    time.sleep(1.1)
    assert upload(bureau, workbook(tmp_path / "b", [good_row()])).json()["status"] == "live"
    again = upload(bureau, first).json()
    assert again["status"] == "superseded"  # the content was first received before the second
    page = bureau.get(f"/uploads/{again['id']}").text
    assert "内容完全相同" in page and "未能受理" not in page
    night = run_cli(settings)
    assert night.exit_code == 0, night.output
    assert fate(settings) == {"麓谷创客工场": ("accepted", "")}  # the second upload stays live


def test_an_interrupted_accounts_run_leaves_no_account_with_an_unseen_code(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    real = pipeline.state.accounts._hasher

    class CtrlC:
        calls = 0

        def hash(self, code: str) -> str:
            CtrlC.calls += 1
            if CtrlC.calls == 5:
                raise KeyboardInterrupt
            return real.hash(code)

    monkeypatch.setattr(pipeline.state.accounts, "_hasher", CtrlC())
    stopped = accounts(settings, tmp_path)
    assert stopped.exit_code == 130 and "台账都没有改动" in flat(stopped.output)
    monkeypatch.setattr(pipeline.state.accounts, "_hasher", real)
    again = accounts(settings, tmp_path)
    assert again.exit_code == 0, again.output
    assert len(codes_in(tmp_path / "登录码.csv")) == 21  # nobody was left without a code


def test_a_template_or_codes_file_written_into_the_inbox_is_refused(
    settings: Settings, tmp_path: Path
) -> None:
    config = tmp_path / "beian.toml"
    config.write_text(
        f'[paths]\ninbox = "inbox"\nledger = "{settings.ledger.as_posix()}"\n', encoding="utf-8"
    )
    template = runner.invoke(
        app,
        ["template", "--config", str(config), "--bureau", CHANGSHA, "--out", str(settings.inbox)],
    )
    assert template.exit_code == 2, template.output
    assert flat(f"模板文件夹 {settings.inbox} 在收件箱 {settings.inbox} 之内") in flat(
        template.output
    )
    assert not any(settings.inbox.iterdir())
    codes = settings.inbox / "登录码.csv"
    issued = runner.invoke(app, ["accounts", "--config", str(config), "--out", str(codes)])
    assert issued.exit_code == 2 and not codes.exists()
    assert not settings.ledger.exists()  # refused before any code was made


def test_the_clerk_page_calls_a_form_upload_a_form_not_unaccepted(
    settings: Settings, tmp_path: Path
) -> None:
    from forms import make_form

    served = serve_batch(settings)
    bureau = served.client(CHANGSHA)
    assert upload(bureau, workbook(tmp_path, [good_row()])).json()["status"] == "live"
    form = make_form(tmp_path / "表.docx").read_bytes()
    assert upload(bureau, form, name="基本信息表.docx").json()["status"] == "annex1"
    page = served.client(CLERK).get("/admin").text
    row = page[page.index(CHANGSHA) : page.index("</tr>", page.index(CHANGSHA))]
    assert "（附件1）" in row and "未受理" not in row
