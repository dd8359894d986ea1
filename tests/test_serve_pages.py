"""The intake site's pages: sign in, upload with a plain form, the marked sheet, the clerk's pages;
and ``beian accounts``."""

from __future__ import annotations

import csv
import re
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import good_row
from serve_helpers import CHANGSHA, Served, login_form, serve_batch, signed_in, workbook
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.config import Settings
from pipeline.state.accounts import CLERK
from pipeline.web.auth import CSRF_FIELD


@pytest.fixture
def served(settings: Settings) -> Served:
    return serve_batch(settings)


def test_the_home_page_asks_for_the_code_and_refuses_a_wrong_one(served: Served) -> None:
    client = served.client()
    assert "登录码" in client.get("/").text
    wrong = client.post("/login", data={"code": "NOPE", **login_form(client)})
    assert wrong.status_code == 401 and "登录码不正确" in wrong.text


def test_every_page_sends_the_security_headers(served: Served) -> None:
    headers = served.client().get("/").headers
    assert headers["content-security-policy"].startswith("default-src 'self'")
    assert headers["x-frame-options"] == "DENY"


def test_a_form_upload_shows_counts_problems_and_the_marked_sheet(
    served: Served, tmp_path: Path
) -> None:
    client, token = signed_in(served, CHANGSHA)
    assert "截止日期 2016-04-14，已过截止日期" in client.get("/").text
    data = workbook(tmp_path, [good_row(), good_row(name="湘江创业营", mobile="1380731")])
    page = client.post("/upload", data={CSRF_FIELD: token}, files={"file": ("a.xlsx", data)})
    assert page.status_code == 200 and "/uploads/" in str(page.url)
    marked = re.search(r'<td class="error" title="([^"]*)" data-cell="I5">1380731</td>', page.text)
    assert marked is not None and "手机号码" in marked.group(1)
    assert "下载回执" in page.text
    assert client.get(str(page.url) + "/receipt").status_code == 200
    home = client.get("/").text
    assert "现用文件" in home and "a.xlsx" in home


def test_a_form_upload_without_the_hidden_token_is_refused(served: Served, tmp_path: Path) -> None:
    client, _ = signed_in(served, CHANGSHA)
    page = client.post("/upload", files={"file": ("a.xlsx", workbook(tmp_path, [good_row()]))})
    assert page.status_code == 403 and "CSRF" in page.text


def test_a_bureau_cannot_open_the_clerk_pages(served: Served) -> None:
    client, _ = signed_in(served, CHANGSHA)
    assert client.get("/admin").status_code == 403
    assert client.get("/admin/audit").status_code == 403


def test_the_clerk_runs_the_consolidation_and_downloads_its_outputs(
    served: Served, tmp_path: Path
) -> None:
    bureau, token = signed_in(served, CHANGSHA)
    bureau.post(
        "/upload",
        data={CSRF_FIELD: token},
        files={"file": ("a.xlsx", workbook(tmp_path, [good_row()]))},
    )
    clerk, token = signed_in(served, CLERK)
    page = clerk.get("/admin").text
    assert page.index("未报送") < page.index(CHANGSHA) and "还没有汇总输出" in page
    assert clerk.post("/admin/run", data={CSRF_FIELD: token}).status_code == 200
    for _ in range(300):
        job = served.app.state.site.jobs.latest()
        if job.state != "running":
            break
        time.sleep(0.1)
    assert job.state == "done"
    page = clerk.get("/admin").text
    assert "已完成" in page and "dispositions.csv" in page
    assert clerk.get("/admin/outputs/0").status_code == 200
    assert clerk.get("/admin/outputs/99").status_code == 404
    audit = clerk.get("/admin/audit").text
    assert "立即汇总" in audit and "上传" in audit and "a.xlsx" in audit


def test_signing_out_from_the_page(served: Served) -> None:
    client, token = signed_in(served, CHANGSHA)
    assert "登录码" in client.post("/logout", data={CSRF_FIELD: token}).text
    assert client.get("/api/uploads").status_code == 401


# --- beian accounts -------------------------------------------------------------------------------


def run_accounts(settings: Settings, tmp_path: Path, *args: str) -> tuple[int, str]:
    config = tmp_path / "beian.toml"
    config.write_text(f'[paths]\nledger = "{settings.ledger.as_posix()}"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["accounts", "--config", str(config), *args])
    return result.exit_code, result.output


def test_accounts_issues_one_code_per_bureau_and_the_clerk_keeping_only_hashes(
    settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "codes.csv"
    code, output = run_accounts(settings, tmp_path, "--out", str(out))
    assert code == 0, output
    with out.open(encoding="utf-8-sig") as f:
        lines = list(csv.DictReader(f))
    assert list(lines[0]) == ["bureau", "role", "code"] and len(lines) == 21
    assert {"role": CLERK, "bureau": ""}.items() <= lines[0].items()
    stored = sqlite3.connect(settings.ledger).execute("SELECT hash FROM accounts").fetchall()
    assert all(h.startswith("$argon2") for (h,) in stored)
    assert not any(line["code"] in h for line in lines for (h,) in stored)
    again, output = run_accounts(settings, tmp_path, "--out", str(tmp_path / "again.csv"))
    assert again == 0 and "已有登录码" in output and not (tmp_path / "again.csv").exists()


def test_accounts_reset_replaces_one_code(settings: Settings, tmp_path: Path) -> None:
    served = serve_batch(settings)
    old = served.codes[CHANGSHA]
    out = tmp_path / "reset.csv"
    code, _ = run_accounts(settings, tmp_path, "--reset", "长沙市科技局", "--out", str(out))
    assert code == 0
    ((bureau, role, new),) = list(csv.reader(out.open(encoding="utf-8-sig")))[1:]
    assert (bureau, role) == (CHANGSHA, "推荐单位")
    client = served.client()
    assert client.post("/api/session", json={"code": old}).status_code == 401
    assert client.post("/api/session", json={"code": new}).status_code == 200
    unknown, output = run_accounts(settings, tmp_path, "--reset", "北京市")
    assert unknown == 2 and "不是登记的推荐单位" in output


def test_serve_on_a_busy_port_says_so_with_exit_2(settings: Settings, tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config = tmp_path / "beian.toml"
        config.write_text(f'[paths]\nledger = "{settings.ledger.as_posix()}"\n', encoding="utf-8")
        result = CliRunner().invoke(app, ["serve", "--config", str(config), "--port", str(port)])
    assert result.exit_code == 2
    assert f"127.0.0.1:{port}" in result.output and "--port" in result.output


def test_values_from_a_file_are_shown_as_text_never_as_markup(
    served: Served, tmp_path: Path
) -> None:
    client, token = signed_in(served, CHANGSHA)
    data = workbook(tmp_path, [good_row(name='<script>alert("x")</script>', mobile="1")])
    name = '<img src=x onerror="alert(1)">.xlsx'
    page = client.post("/upload", data={CSRF_FIELD: token}, files={"file": (name, data)}).text
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "<img src=x" not in page and "<img src=x" not in client.get("/").text
