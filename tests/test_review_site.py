"""The province decides on the site (SPEC §14): a form per space on the clerk's 评审 page, the
退回 on the bureau's page until it resubmits, 与上次相比 on the upload page, the 催报 button."""

from __future__ import annotations

import pytest
from conftest import good_row
from serve_helpers import CHANGSHA, Served, serve_batch, signed_in, workbook
from starlette.testclient import TestClient
from test_over_time import fate

from pipeline.core.config import Settings
from pipeline.run import run
from pipeline.state.accounts import CLERK
from pipeline.web.auth import CSRF_FIELD

FIRST = [good_row(name="麓谷创客工场"), good_row(name="岳麓山创新工场", operator="岳麓山科技公司")]


@pytest.fixture
def served(settings: Settings) -> Served:
    return serve_batch(settings)


def send(client: TestClient, token: str, data: bytes) -> str:
    page = client.post("/upload", data={CSRF_FIELD: token}, files={"file": ("a.xlsx", data)})
    assert page.status_code == 200
    return page.text


def decide(clerk: TestClient, token: str | None, name: str, verdict: str, reason: str = ""):
    form = {"bureau": CHANGSHA, "name": name, "verdict": verdict, "reason": reason}
    if token is not None:
        form[CSRF_FIELD] = token
    return clerk.post("/admin/review", data=form, follow_redirects=False)


def test_a_return_reaches_the_bureau_until_it_resubmits(served: Served, tmp_path) -> None:
    bureau, bureau_token = signed_in(served, CHANGSHA)
    send(bureau, bureau_token, workbook(tmp_path, FIRST))
    clerk, token = signed_in(served, CLERK)
    page = clerk.get("/admin/review").text
    assert "麓谷创客工场" in page and "岳麓山创新工场" in page and "未评审" in page

    assert decide(clerk, None, "岳麓山创新工场", "退回", "缺少导师聘书").status_code == 403
    refused = decide(clerk, token, "岳麓山创新工场", "退回")
    assert refused.status_code == 400 and "退回必须写明理由" in refused.text
    assert decide(clerk, token, "岳麓山创新工场", "退回", "缺少导师聘书").status_code == 303
    assert decide(clerk, token, "麓谷创客工场", "推荐").status_code == 303
    assert "缺少导师聘书" in clerk.get("/admin/review").text
    assert "评审" in clerk.get("/admin/audit").text

    home = bureau.get("/").text
    assert "省里审核退回的众创空间（1）" in home and "缺少导师聘书" in home
    run(served.settings, wait=0)
    assert fate(served.settings)["岳麓山创新工场"] == ("rejected", "E_RETURNED")

    second = [
        FIRST[0],
        {**FIRST[1], "address": "长沙市岳麓区新地址8号"},
        good_row(name="湘江创业营"),
    ]
    page = send(bureau, bureau_token, workbook(tmp_path, second, name="b.xlsx"))
    assert "与上次相比" in page and "新增众创空间 1 项" in page
    assert "长沙市岳麓区新地址8号" in page and "已改正" in page
    assert "省里审核退回" not in bureau.get("/").text
    assert "待重新评审" in clerk.get("/admin/review").text


def test_the_remind_button_names_exactly_who_owes(served: Served, tmp_path) -> None:
    bureau, bureau_token = signed_in(served, CHANGSHA)
    send(bureau, bureau_token, workbook(tmp_path, FIRST))
    clerk, token = signed_in(served, CLERK)
    assert clerk.post("/admin/remind", data={}).status_code == 403
    page = clerk.post("/admin/remind", data={CSRF_FIELD: token}).text
    assert "需要催报 19 个单位" in page and f"<td>{CHANGSHA}</td>" not in page
    assert (served.settings.batch_dir / "催报通知.csv").is_file()
    decide(clerk, token, "麓谷创客工场", "退回", "请补充营业执照")
    page = clerk.post("/admin/remind", data={CSRF_FIELD: token}).text
    assert "需要催报 20 个单位" in page and f"<td>{CHANGSHA}</td><td>有退回</td>" in page
