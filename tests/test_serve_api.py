"""The intake site's JSON API (SPEC §11): sign-in, uploads judged at once, who may see what."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from conftest import FORM, REPO, good_row
from serve_helpers import (
    CHANGSHA,
    ZHUZHOU,
    Served,
    run_ended,
    serve_batch,
    stored,
    upload,
    workbook,
)
from test_read import bomb_workbook, ole_container

from pipeline.core.config import PriorBatch, Settings
from pipeline.read.workbook import read_file
from pipeline.state.accounts import CLERK
from pipeline.web.auth import FAILURES_ALLOWED
from pipeline.web.site import MAX_UPLOAD


@pytest.fixture
def served(settings: Settings) -> Served:
    return serve_batch(settings)


# --- signing in ---------------------------------------------------------------------------------


def test_sign_in_answers_role_bureau_and_csrf_with_a_strict_cookie(served: Served) -> None:
    answer = served.client().post("/api/session", json={"code": served.codes[CHANGSHA]})
    assert answer.status_code == 200
    body = answer.json()
    assert (body["role"], body["bureau"]) == ("推荐单位", CHANGSHA) and len(body["csrf"]) > 20
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=28800" in cookie


def test_the_clerk_signs_in_without_a_bureau(served: Served) -> None:
    answer = served.client().post("/api/session", json={"code": served.codes[CLERK].lower()})
    assert answer.json()["role"] == CLERK and answer.json()["bureau"] is None


def test_a_wrong_code_is_401_and_a_malformed_body_400(served: Served) -> None:
    client = served.client()
    assert client.post("/api/session", json={"code": "AAAA-BBBB"}).status_code == 401
    json_type = {"Content-Type": "application/json"}
    assert client.post("/api/session", content=b"not json", headers=json_type).status_code == 400
    assert client.get("/api/uploads").status_code == 401


def test_five_failures_block_the_address_for_ten_minutes(served: Served) -> None:
    client = served.client()
    for _ in range(FAILURES_ALLOWED):
        assert client.post("/api/session", json={"code": "WRONG"}).status_code == 401
    blocked = client.post("/api/session", json={"code": served.codes[CHANGSHA]})
    assert blocked.status_code == 429 and "10 分钟" in blocked.json()["error"]
    log = audit(served.settings)
    assert [row[3] for row in log].count("登录码错误") == FAILURES_ALLOWED - 1
    assert log[-1][3] == "已暂停（429）"


def test_a_forged_or_foreign_cookie_is_no_session(served: Served) -> None:
    client = served.client(CHANGSHA)
    cookie = client.cookies["beian_session"]
    client.cookies.set("beian_session", cookie[:-2] + ("A" if cookie[-1] != "A" else "B") + "x")
    assert client.get("/api/uploads").status_code == 401


def test_signing_out_ends_the_session(served: Served) -> None:
    client = served.client(CHANGSHA)
    cookie = client.cookies["beian_session"]
    assert client.delete("/api/session").status_code == 200
    client.cookies.set("beian_session", cookie)
    assert client.get("/api/uploads").status_code == 401


def test_a_reset_code_ends_the_old_sessions(served: Served) -> None:
    from pipeline.core.schema import load_registers
    from pipeline.state.accounts import issue
    from pipeline.state.ledger import Ledger

    client = served.client(CHANGSHA)
    ledger = Ledger(served.settings.ledger)
    issue(ledger, load_registers(), reset="长沙市")
    ledger.close()
    assert client.get("/api/uploads").status_code == 401


# --- the status codes of SPEC §11 --------------------------------------------------------------

ENDPOINTS = [
    ("post", "/api/uploads"),
    ("get", "/api/uploads"),
    ("get", "/api/uploads/0123456789abcdef/receipt"),
    ("get", "/api/status"),
    ("post", "/api/runs"),
    ("get", "/api/runs/0123456789abcdef"),
    ("delete", "/api/session"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_no_session_is_401(served: Served, method: str, path: str) -> None:
    assert getattr(served.client(), method)(path).status_code == 401


@pytest.mark.parametrize(
    ("method", "path"), [("get", "/api/status"), ("post", "/api/runs"), ("get", "/api/runs/x")]
)
def test_a_bureau_on_a_clerk_endpoint_is_403(served: Served, method: str, path: str) -> None:
    assert getattr(served.client(CHANGSHA), method)(path).status_code == 403


def test_the_clerk_cannot_upload_for_a_bureau(served: Served, tmp_path: Path) -> None:
    answer = upload(served.client(CLERK), workbook(tmp_path, [good_row()]))
    assert answer.status_code == 403


@pytest.mark.parametrize(("method", "path"), [("post", "/api/runs"), ("delete", "/api/session")])
def test_a_state_change_without_the_csrf_token_is_403(
    served: Served, method: str, path: str
) -> None:
    client = served.client(CLERK)
    client.headers["X-CSRF-Token"] = "forged"
    assert getattr(client, method)(path).status_code == 403


def test_an_upload_without_the_csrf_token_is_403_and_stores_nothing(
    served: Served, tmp_path: Path
) -> None:
    client = served.client(CHANGSHA)
    del client.headers["X-CSRF-Token"]
    assert upload(client, workbook(tmp_path, [good_row()])).status_code == 403
    assert stored(served.settings) == []


def test_an_upload_without_a_file_is_400(served: Served) -> None:
    client = served.client(CHANGSHA)
    assert client.post("/api/uploads", data={"other": "x"}, files={}).status_code == 400
    assert client.post("/api/uploads", json={"file": "x"}).status_code == 400


# --- uploads ------------------------------------------------------------------------------------


def test_a_clean_upload_is_live_stored_under_a_generated_name_with_its_receipt(
    served: Served, tmp_path: Path
) -> None:
    client = served.client(CHANGSHA)
    data = workbook(tmp_path, [good_row(), good_row(name="湘江创业营")])
    answer = upload(client, data, name="../../长沙 汇总表.xlsx")
    assert answer.status_code == 201
    body = answer.json()
    assert set(body) == {"id", "file", "bureau", "status", "counts", "problems", "receipt"}
    assert (body["file"], body["bureau"], body["status"]) == (
        "../../长沙 汇总表.xlsx",
        CHANGSHA,
        "live",
    )
    assert body["counts"] == {
        "accepted": 2,
        "rejected": 0,
        "duplicate_prior": 0,
        "duplicate_batch": 0,
    }
    assert body["problems"] == []
    (path,) = stored(served.settings)
    assert path.parent == served.settings.inbox / CHANGSHA and "汇总表" not in path.name
    assert path.read_bytes() == data
    receipt = client.get(body["receipt"])
    assert receipt.status_code == 200
    (tmp_path / "r.xlsx").write_bytes(receipt.content)
    assert "概况" in openpyxl.load_workbook(tmp_path / "r.xlsx").sheetnames
    log = audit(served.settings)[-1]
    assert log[:3] == (CHANGSHA, "上传", "../../长沙 汇总表.xlsx") and log[3] == "live"
    assert len(log[4]) == 64


def test_a_faulty_upload_names_each_cell_and_its_fix(served: Served, tmp_path: Path) -> None:
    rows = [good_row(), good_row(name="湘江创业营", mobile="1380731", founded="2016年1月")]
    body = upload(served.client(CHANGSHA), workbook(tmp_path, rows)).json()
    assert body["status"] == "live"
    assert body["counts"]["accepted"] == 1 and body["counts"]["rejected"] == 1
    found = {(p["cell"], p["code"]) for p in body["problems"]}
    assert {("I5", "E_MOBILE"), ("D5", "E_TOO_YOUNG")} <= found
    mobile = next(p for p in body["problems"] if p["code"] == "E_MOBILE")
    assert mobile["column"] == "手机" and mobile["value"] == "1380731"
    assert mobile["severity"] == "error" and mobile["hint"] and mobile["sheet"] == "附件3"


def text_page(path: Path) -> bytes:
    return b"<html><body><table><tr><td>x</td></tr></table></body></html>"


@pytest.mark.parametrize(
    ("code", "make"),
    [
        ("F_UNSAFE", lambda tmp: bomb_workbook(tmp, declared=None).read_bytes()),
        ("F_ENCRYPTED", lambda tmp: ole_container(["EncryptionInfo", "EncryptedPackage"])),
        ("F_UNREADABLE", lambda tmp: workbook(tmp, [good_row()])[:900]),
        ("F_UNSUPPORTED", text_page),
        ("F_EMPTY", lambda tmp: b""),
    ],
)
def test_a_hostile_upload_gets_its_f_code_never_a_500(
    served: Served, tmp_path: Path, code: str, make
) -> None:
    answer = upload(served.client(CHANGSHA), make(tmp_path), name="x.xlsx")
    assert answer.status_code == 201
    body = answer.json()
    assert body["status"] == "rejected"
    assert code in [p["code"] for p in body["problems"]]
    assert sum(body["counts"].values()) == 0


def test_an_over_size_upload_is_413_and_nothing_is_stored(served: Served) -> None:
    client = served.client(CHANGSHA)
    answer = upload(client, b"x" * (MAX_UPLOAD + 1))
    assert answer.status_code == 413
    assert stored(served.settings) == []
    assert client.get("/api/uploads").json()["uploads"] == []
    assert audit(served.settings)[-1][3].startswith("拒绝（413）")


def test_a_file_stamped_for_another_bureau_is_refused_and_kept_out(
    served: Served, tmp_path: Path
) -> None:
    body = upload(served.client(ZHUZHOU), workbook(tmp_path, [good_row()], stamp=CHANGSHA)).json()
    assert body["status"] == "rejected"
    assert body["problems"][0]["code"] == "F_BUREAU_MISMATCH"
    assert CHANGSHA in body["problems"][0]["message"]
    assert stored(served.settings) == []


def test_a_file_stamped_for_its_own_bureau_passes_the_stamp_check(
    served: Served, tmp_path: Path
) -> None:
    body = upload(served.client(ZHUZHOU), workbook(tmp_path, [good_row()], stamp="株洲市")).json()
    assert body["status"] == "live" and body["problems"] == []


# --- the batch as it stands ---------------------------------------------------------------------


def test_an_upload_is_judged_against_other_bureaus_rows(served: Served, tmp_path: Path) -> None:
    upload(served.client(CHANGSHA), workbook(tmp_path, [good_row()]))
    zone = "长沙高新技术产业开发区管理委员会"
    body = upload(served.client(zone), workbook(tmp_path, [good_row()], stamp=zone)).json()
    assert body["counts"]["duplicate_batch"] == 1
    assert [p["code"] for p in body["problems"]] == ["I_DUPLICATE_BATCH"]


def test_an_upload_is_judged_against_the_prior_batch(settings: Settings, tmp_path: Path) -> None:
    january = REPO / "pipeline" / "prior" / "2016年度首批众创空间备案汇总表.xlsx"
    prior = PriorBatch("2016年度首批", january)
    served = serve_batch(replace(settings, priors=(prior,)))
    (table,) = read_file(prior.path, prior.path.name, FORM).tables
    filed = table.frame["name"].iloc[0]
    body = upload(served.client(CHANGSHA), workbook(tmp_path, [good_row(name=filed)])).json()
    assert body["counts"]["duplicate_prior"] == 1


def test_a_newer_upload_replaces_the_older_one(served: Served, tmp_path: Path) -> None:
    client = served.client(CHANGSHA)
    first = upload(client, workbook(tmp_path, [good_row(mobile="1")])).json()
    second = upload(client, workbook(tmp_path, [good_row()], name="b.xlsx")).json()
    listed = client.get("/api/uploads").json()["uploads"]
    assert [(u["id"], u["live"]) for u in listed] == [(second["id"], True), (first["id"], False)]
    assert len(stored(served.settings)) == 2


def test_a_bureau_never_sees_another_bureaus_upload(served: Served, tmp_path: Path) -> None:
    mine = upload(served.client(CHANGSHA), workbook(tmp_path, [good_row()])).json()
    other = served.client(ZHUZHOU)
    assert other.get("/api/uploads").json()["uploads"] == []
    assert other.get(mine["receipt"]).status_code == 404
    assert other.get(f"/uploads/{mine['id']}").status_code == 404
    assert served.client(CLERK).get(mine["receipt"]).status_code == 200


def test_the_clerk_sees_missing_bureaus_first(served: Served, tmp_path: Path) -> None:
    upload(served.client(CHANGSHA), workbook(tmp_path, [good_row()]))
    body = served.client(CLERK).get("/api/status").json()
    assert body["batch"] == "2016年度第二批" and body["deadline"] == "2016-04-14"
    bureaus = body["bureaus"]
    assert bureaus[-1]["bureau"] == CHANGSHA and bureaus[-1]["submitted"]
    assert not any(b["submitted"] for b in bureaus[:-1]) and len(bureaus) == 20


def test_a_run_from_the_site_consolidates_in_the_background(served: Served, tmp_path: Path) -> None:
    upload(served.client(CHANGSHA), workbook(tmp_path, [good_row()]))
    clerk = served.client(CLERK)
    answer = clerk.post("/api/runs")
    assert answer.status_code == 202
    run_id = answer.json()["id"]
    job = run_ended(clerk, run_id)
    assert job["state"] == "done" and job["counts"]["accepted"] == 1 and job["total"] == 1
    assert clerk.get("/api/runs/unknown").status_code == 404
    files = (served.settings.batch_dir / "files.csv").read_text(encoding="utf-8")
    assert f"{CHANGSHA}/网上报送-" in files and ",live," in files


def test_the_nightly_run_takes_the_upload_as_the_live_submission(
    served: Served, tmp_path: Path, make_workbook
) -> None:
    from pipeline.run import run

    emailed = make_workbook([good_row(mobile="1")], name="长沙市科技局-邮件.xlsx")
    run(served.settings)
    body = upload(served.client(CHANGSHA), workbook(tmp_path, [good_row()])).json()
    assert body["counts"]["accepted"] == 1
    report = run(served.settings)
    assert report.result is not None
    status = {f.file: f.status for f in report.result.files}
    (uploaded,) = [f for f in status if f.startswith(f"{CHANGSHA}/")]
    assert status[uploaded] == "live" and status[emailed.name] == "superseded"
    assert report.counts["accepted"] == 1


def audit(settings: Settings) -> list[tuple[str, ...]]:
    db = sqlite3.connect(settings.ledger)
    try:
        return db.execute(
            "SELECT account, action, original, outcome, sha256 FROM audit ORDER BY id"
        ).fetchall()
    finally:
        db.close()


def test_a_run_while_another_holds_the_lock_fails_with_its_message(served: Served) -> None:
    from filelock import FileLock

    clerk = served.client(CLERK)
    with FileLock(f"{served.settings.ledger}.lock"):
        run_id = clerk.post("/api/runs").json()["id"]
        job = run_ended(clerk, run_id)
    assert job["state"] == "failed" and "正在汇总这个批次" in job["message"]
    assert "删除" not in job["message"]


def test_a_file_the_nightly_run_took_counts_as_submitted(served: Served, make_workbook) -> None:
    from pipeline.run import run

    make_workbook([good_row()], name="株洲市科技局.xlsx", stamp=ZHUZHOU)
    run(served.settings)
    bureaus = {b["bureau"]: b for b in served.client(CLERK).get("/api/status").json()["bureaus"]}
    assert bureaus[ZHUZHOU]["submitted"] and bureaus[ZHUZHOU]["nightly_file"] == "株洲市科技局.xlsx"
    assert not bureaus[CHANGSHA]["submitted"]


def test_the_throttle_forgets_old_failures_and_lifts_after_ten_minutes() -> None:
    from pipeline.web.auth import BLOCK_SECONDS, FAILURE_WINDOW, Throttle

    throttle = Throttle()
    for i in range(FAILURES_ALLOWED - 1):
        assert not throttle.fail("10.0.0.1", now=i)
    assert not throttle.fail("10.0.0.1", now=FAILURE_WINDOW + 0.5)  # the first fell out
    assert throttle.fail("10.0.0.1", now=FAILURE_WINDOW + 0.9)
    assert throttle.blocked("10.0.0.1", now=FAILURE_WINDOW + 1)
    assert not throttle.blocked("10.0.0.2", now=FAILURE_WINDOW + 1)
    assert not throttle.blocked("10.0.0.1", now=FAILURE_WINDOW + 0.9 + BLOCK_SECONDS)


def test_a_cookie_signed_more_than_eight_hours_ago_is_no_session(served: Served) -> None:
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    from pipeline.web.auth import SESSION_SECONDS

    class NineHoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - SESSION_SECONDS - 3600

    client = served.client(CHANGSHA)
    fresh = served.app.state.sessions.read(client.cookies["beian_session"])
    old = URLSafeTimedSerializer(
        served.app.state.site.key, salt="beian-session", signer=NineHoursAgo
    ).dumps({"a": fresh.name, "i": fresh.issued, "c": fresh.csrf, "s": fresh.sid})
    client.cookies.set("beian_session", old)
    assert client.get("/api/uploads").status_code == 401


def test_an_annex1_form_upload_is_checked_against_the_live_row(
    served: Served, tmp_path: Path
) -> None:
    from forms import make_form

    client = served.client(CHANGSHA)
    sheet = upload(client, workbook(tmp_path, [good_row()])).json()
    form = make_form(tmp_path / "表.docx", operator="另一家公司").read_bytes()
    body = upload(client, form, name="基本信息表.docx").json()
    assert body["status"] == "annex1"
    assert [(p["cell"], p["code"]) for p in body["problems"]] == [("B4", "W_ANNEX1_MISMATCH")]
    listed = client.get("/api/uploads").json()["uploads"]
    assert [u["id"] for u in listed if u["live"]] == [sheet["id"]]


def test_an_annex1_form_printed_to_pdf_is_uploaded_as_a_form(
    served: Served, tmp_path: Path
) -> None:
    """SPEC §10/§11: offices send the signed form as a PDF; the site keeps it as a .pdf (not an
    unknown .dat), so it is read and checked as a form now and tonight."""
    from forms import form_values
    from packets import form_pdf

    client = served.client(CHANGSHA)
    upload(client, workbook(tmp_path, [good_row()]))
    form = form_pdf(tmp_path / "表.pdf", form_values(operator="另一家公司")).read_bytes()
    body = upload(client, form, name="基本信息表（盖章）.pdf").json()
    assert body["status"] == "annex1"
    assert [(p["cell"], p["code"]) for p in body["problems"]] == [("B4", "W_ANNEX1_MISMATCH")]
    assert sorted(p.suffix for p in stored(served.settings)) == [".pdf", ".xlsx"]
