"""The intake site open to the province's network (SPEC §11): login CSRF, capped bodies, malformed
input, ended sessions across restarts, refusals audited, proxies trusted only when configured,
the daily upload quota, no server name and no stack trace."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from conftest import good_row
from serve_helpers import CHANGSHA, ZHUZHOU, Served, serve_batch, stored, upload, workbook
from starlette.testclient import TestClient

from pipeline.core.config import Settings, load_settings
from pipeline.core.errors import ConfigError
from pipeline.web.app import create_app, running
from pipeline.web.auth import LOGIN_FIELD

JSON = {"Content-Type": "application/json"}
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def served(settings: Settings) -> Served:
    return serve_batch(settings)


def audit(settings: Settings) -> list[tuple[str, str, str, str]]:
    """(account, address, action, outcome) of every audit line, oldest first."""
    db = sqlite3.connect(settings.ledger)
    try:
        return db.execute(
            "SELECT account, address, action, outcome FROM audit ORDER BY id"
        ).fetchall()
    finally:
        db.close()


def login_token(client: TestClient | httpx.Client) -> str:
    """The sign-in page's hidden pre-session token (its cookie is now in ``client``)."""
    found = re.search(rf'name="{LOGIN_FIELD}" value="([^"]+)"', client.get("/").text)
    assert found is not None
    return found.group(1)


# --- login CSRF ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_sign_in_takes_json_only(served: Served, kind: str) -> None:
    """A form elsewhere can post text/plain that happens to be JSON; it is refused unread."""
    client = served.client()
    body = json.dumps({"code": served.codes[CHANGSHA]})
    answer = client.post("/api/session", content=body, headers={"Content-Type": kind})
    assert answer.status_code == 415 and "JSON" in answer.json()["error"]
    assert "beian_session" not in client.cookies


def test_the_sign_in_form_refuses_a_post_from_another_site(served: Served) -> None:
    client = served.client()
    token = login_token(client)
    code = served.codes[CHANGSHA]
    elsewhere = {"Origin": "https://evil.example"}
    for headers, form in [
        (elsewhere, {"code": code, LOGIN_FIELD: token}),  # the right token, a foreign origin
        ({"Referer": "https://evil.example/x"}, {"code": code, LOGIN_FIELD: token}),
        ({}, {"code": code}),  # no pre-session token: a page elsewhere cannot read it
        ({}, {"code": code, LOGIN_FIELD: token + "x"}),
    ]:
        answer = client.post("/login", data=form, headers=headers, follow_redirects=False)
        assert answer.status_code == 403 and "其他网站" in answer.text
        assert "beian_session" not in client.cookies
    other = served.client()  # a token from another browser's page is not this one's
    login_token(other)
    answer = other.post("/login", data={"code": code, LOGIN_FIELD: token}, follow_redirects=False)
    assert answer.status_code == 403
    same = {"Origin": "http://testserver"}
    answer = client.post(
        "/login",
        data={"code": code, LOGIN_FIELD: login_token(client)},
        headers=same,
        follow_redirects=False,
    )
    assert answer.status_code == 303 and "beian_session" in client.cookies


# --- bodies capped, malformed input ---------------------------------------------------------------


def endless(sent: list[int], start: bytes = b"") -> Iterator[bytes]:
    """A chunked body far past every cap (64 MB), counting what the client got to send."""
    yield start
    for _ in range(64):
        sent.append(1)
        yield b"\0" * (1 << 20)


@pytest.mark.parametrize("path", ["/api/session", "/login"])
def test_a_signed_out_body_past_the_sign_in_cap_is_cut_off_on_a_real_server(
    settings: Settings, path: str
) -> None:
    served = serve_batch(settings)
    with running(served.app) as base, httpx.Client(base_url=base, timeout=60) as client:
        sent: list[int] = []
        headers = {"Content-Type": "application/json" if path.startswith("/api") else FORM}
        try:
            answer = client.post(path, content=endless(sent), headers=headers)
        except httpx.TransportError:  # the server closed the connection after answering
            answer = None
        assert answer is None or answer.status_code == 413
        assert len(sent) < 64  # it stopped reading long before the end
    assert any(row[3].startswith("拒绝（413）") for row in audit(settings))


def test_a_declared_over_size_body_is_refused_before_it_is_read(served: Served) -> None:
    client = served.client()
    headers = {**JSON, "Content-Length": str(10 * 1024 * 1024)}
    answer = client.post("/api/session", content=b"{}", headers=headers)
    assert answer.status_code == 413


MALFORMED = [
    b"{",
    b'{"code": "\\ud800-AAAA"}',  # a lone surrogate
    b'{"code": "\xff\xfe"}',  # not UTF-8
    b"[" * 3000,  # nested deeper than the parser's recursion
    b'{"code": 7}',
    b'{"code": ["AAAA"]}',
    b'["AAAA"]',
    b'"AAAA"',
    b"null",
    b'{"code": "' + b"A" * 200 + b'"}',
]


@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_sign_in_is_400_with_no_traceback(
    served: Served, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answer = served.client().post("/api/session", content=body, headers=JSON)
    assert answer.status_code == 400 and "error" in answer.json()
    assert "Traceback" not in answer.text
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]


def test_a_token_of_any_characters_is_403_never_500(served: Served) -> None:
    client = served.client(CHANGSHA)
    token = {"X-CSRF-Token": "令牌".encode()}
    assert client.delete("/api/session", headers=token).status_code == 403
    answer = client.post("/api/uploads", files={"file": ("a.xlsx", b"x")}, headers=token)
    assert answer.status_code == 403


def test_a_failure_inside_is_a_plain_500_without_its_stack(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("secret detail /srv/beian")

    served.app.state.site.uploads = broken
    caplog.set_level(logging.DEBUG)
    answer = served.client(CHANGSHA).get("/api/uploads")
    assert answer.status_code == 500 and "服务器处理请求时出错" in answer.json()["error"]
    assert "secret" not in answer.text and "Traceback" not in answer.text
    lines = [r for r in caplog.records if r.name == "beian.site"]
    assert lines and not any(r.exc_info for r in lines)
    assert "RuntimeError" in lines[0].getMessage() and "secret" not in lines[0].getMessage()


# --- sessions, refusals --------------------------------------------------------------------------


def test_a_signed_out_session_stays_ended_after_a_restart(served: Served) -> None:
    client = served.client(CHANGSHA)
    cookie = client.cookies["beian_session"]
    assert client.delete("/api/session").status_code == 200
    restarted = TestClient(create_app(served.settings))
    restarted.cookies.set("beian_session", cookie)
    assert restarted.get("/api/uploads").status_code == 401
    db = sqlite3.connect(served.settings.ledger)
    assert db.execute("SELECT COUNT(*) FROM ended_sessions").fetchone()[0] == 1
    db.close()


def test_every_refused_request_is_audited(served: Served, tmp_path: Path) -> None:
    changsha = served.client(CHANGSHA)
    mine = upload(changsha, workbook(tmp_path, [good_row()])).json()["id"]
    zhuzhou = served.client(ZHUZHOU)
    assert served.client().get("/api/uploads").status_code == 401
    assert zhuzhou.get("/api/status").status_code == 403
    assert zhuzhou.get(f"/api/uploads/{mine}/receipt").status_code == 404
    assert zhuzhou.get(f"/uploads/{mine}").status_code == 404
    headers = {**JSON, "Content-Length": str(1 << 20)}
    assert served.client().post("/api/session", content=b"{}", headers=headers).status_code == 413
    refusals = [row for row in audit(served.settings) if row[3].startswith("拒绝")]
    assert [(r[0], r[2], r[3][:7]) for r in refusals] == [
        ("", "GET /api/uploads", "拒绝（401）"),
        (ZHUZHOU, "GET /api/status", "拒绝（403）"),
        (ZHUZHOU, f"GET /api/uploads/{mine}/receipt", "拒绝（404）"),
        (ZHUZHOU, f"GET /uploads/{mine}", "拒绝（404）"),
        ("", "POST /api/session", "拒绝（413）"),
    ]
    assert all(r[1] == "testclient" for r in refusals)


# --- proxies, cookies, the server's name ----------------------------------------------------------


def sign_in_through(served: Served, base: str, headers: dict[str, str]) -> httpx.Response:
    with httpx.Client(base_url=base, timeout=60) as client:
        return client.post("/api/session", json={"code": served.codes[CHANGSHA]}, headers=headers)


FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


def test_proxy_headers_are_not_believed_by_default_even_from_loopback(settings: Settings) -> None:
    served = serve_batch(settings)
    with running(served.app) as base:
        answer = sign_in_through(served, base, FORWARDED)
    assert answer.status_code == 200 and "server" not in answer.headers
    assert "secure" not in answer.headers["set-cookie"].lower()
    assert audit(settings)[-1][1] == "127.0.0.1"


def test_a_trusted_proxy_names_the_client_and_https_makes_the_cookie_secure(
    settings: Settings,
) -> None:
    served = serve_batch(replace(settings, trusted_proxies=("127.0.0.0/8",)))
    with running(served.app) as base:
        answer = sign_in_through(
            served, base, {**FORWARDED, "X-Forwarded-For": "198.51.100.1, 203.0.113.9"}
        )
    assert answer.status_code == 200
    assert "secure" in answer.headers["set-cookie"].lower()
    assert audit(settings)[-1][1] == "203.0.113.9"  # the nearest hop not a proxy of ours


def test_trusted_proxies_come_from_the_config_and_a_typo_stops_the_site(tmp_path: Path) -> None:
    config = tmp_path / "beian.toml"
    config.write_text('[site]\ntrusted_proxies = ["10.0.0.5", "10.1.0.0/16"]\n', encoding="utf-8")
    assert load_settings(config).trusted_proxies == ("10.0.0.5/32", "10.1.0.0/16")
    (tmp_path / "empty").mkdir()
    assert load_settings(None, base=tmp_path / "empty").trusted_proxies == ()
    config.write_text('[site]\ntrusted_proxies = ["10.0.0.300"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"10\.0\.0\.300"):
        load_settings(config)


# --- the daily quota ------------------------------------------------------------------------------


def test_uploads_per_bureau_per_day_are_capped(settings: Settings, tmp_path: Path) -> None:
    served = serve_batch(replace(settings, uploads_per_day=2))
    client = served.client(CHANGSHA)
    data = workbook(tmp_path, [good_row()])
    assert [upload(client, data).status_code for _ in range(2)] == [201, 201]
    refused = upload(client, data)
    assert refused.status_code == 429 and "每天的上限" in refused.json()["error"]
    assert len(stored(served.settings)) == 2
    assert (
        upload(served.client(ZHUZHOU), workbook(tmp_path, [good_row()], stamp=ZHUZHOU)).status_code
        == 201
    )
    assert [r[0] for r in audit(served.settings) if r[3].startswith("拒绝（429）")] == [CHANGSHA]
