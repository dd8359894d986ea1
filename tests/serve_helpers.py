"""Helpers for the intake-site tests: a site over a temporary batch, signed-in clients."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import annex3_grid, write_grid
from starlette.applications import Starlette
from starlette.testclient import TestClient

from pipeline.core.config import Settings
from pipeline.core.schema import load_registers
from pipeline.state.accounts import issue
from pipeline.state.ledger import Ledger
from pipeline.web.app import create_app
from pipeline.web.auth import LOGIN_FIELD

CHANGSHA = "长沙市科学技术局"
ZHUZHOU = "株洲市科学技术局"


class Codes(dict[str, str]):
    """Sign-in codes, issued on first use (argon2 hashing all 21 would slow every test)."""

    def __init__(self, ledger: Path) -> None:
        super().__init__()
        self.ledger = ledger

    def __missing__(self, who: str) -> str:
        ledger = Ledger(self.ledger)
        try:
            (issued,) = issue(ledger, load_registers(), reset=who)
        finally:
            ledger.close()
        self[who] = issued.code
        return issued.code


@dataclass
class Served:
    """A site over a temporary batch and the codes issued for it."""

    settings: Settings
    app: Starlette
    codes: Codes

    def client(self, who: str | None = None) -> TestClient:
        """A browser of its own (own cookies), signed in as ``who`` when given."""
        client = TestClient(self.app)
        if who is not None:
            answer = client.post("/api/session", json={"code": self.codes[who]})
            assert answer.status_code == 200, answer.text
            client.headers["X-CSRF-Token"] = answer.json()["csrf"]
        return client


def serve_batch(settings: Settings) -> Served:
    return Served(settings, create_app(settings), Codes(settings.ledger))


def workbook(
    folder: Path, rows: list[dict[str, Any]], stamp: str = CHANGSHA, name: str = "a.xlsx"
) -> bytes:
    """The bytes of a real Annex 3 workbook with these rows."""
    fmt = Path(name).suffix.lstrip(".")
    return write_grid(folder / name, annex3_grid(rows, stamp), fmt).read_bytes()


def run_ended(clerk: TestClient, run_id: str) -> dict[str, Any]:
    """The clerk's 立即汇总 job once it is no longer running (at most 30 s)."""
    for _ in range(300):
        job: dict[str, Any] = clerk.get(f"/api/runs/{run_id}").json()
        if job["state"] != "running":
            break
        time.sleep(0.1)
    return job


def upload(client: TestClient, data: bytes, name: str = "汇总表.xlsx") -> Any:
    return client.post("/api/uploads", files={"file": (name, data)})


def stored(settings: Settings) -> list[Path]:
    """Every file in the inbox (the staging folder left out)."""
    return sorted(p for p in settings.inbox.rglob("*") if p.is_file() and ".beian" not in str(p))


def login_form(client: TestClient) -> dict[str, str]:
    """The sign-in page's hidden pre-session token (its cookie is now in ``client``)."""
    page = client.get("/").text
    token = re.search(rf'name="{LOGIN_FIELD}" value="([^"]+)"', page)
    assert token is not None
    return {LOGIN_FIELD: token.group(1)}


def signed_in(served: Served, who: str) -> tuple[TestClient, str]:
    """A browser signed in through the login form, and the CSRF token its page carries."""
    client = served.client()
    answer = client.post("/login", data={"code": served.codes[who], **login_form(client)})
    assert answer.status_code == 200  # followed the redirect to the home page
    token = re.search(r'name="csrf-token" content="([^"]+)"', answer.text)
    assert token is not None
    return client, token.group(1)
