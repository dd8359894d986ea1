"""The intake site under a real uvicorn server on a loopback port, spoken to with httpx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
from conftest import good_row
from serve_helpers import CHANGSHA, serve_batch, stored, workbook

from pipeline.core.config import Settings
from pipeline.web.app import running
from pipeline.web.site import MAX_UPLOAD


def test_sign_in_upload_and_a_streamed_over_size_body_on_a_real_server(
    settings: Settings, tmp_path: Path
) -> None:
    served = serve_batch(settings)
    with running(served.app) as base, httpx.Client(base_url=base, timeout=60) as client:
        signed = client.post("/api/session", json={"code": served.codes[CHANGSHA]})
        assert signed.status_code == 200
        client.headers["X-CSRF-Token"] = signed.json()["csrf"]
        data = workbook(tmp_path, [good_row(), good_row(name="湘江创业营", email="x@")])
        answer = client.post("/api/uploads", files={"file": ("汇总表.xlsx", data)})
        assert answer.status_code == 201
        assert [p["code"] for p in answer.json()["problems"]] == ["E_EMAIL"]
        assert client.get(answer.json()["receipt"]).status_code == 200

        def endless() -> Iterator[bytes]:
            """A chunked body with no Content-Length, far past the cap."""
            boundary = b"--b\r\nContent-Disposition: form-data; name=file; filename=a.xlsx\r\n\r\n"
            yield boundary
            for _ in range(2 * MAX_UPLOAD // (1 << 20)):
                yield b"\0" * (1 << 20)

        cut = client.post(
            "/api/uploads",
            content=endless(),
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        )
        assert cut.status_code == 413
        assert len(stored(settings)) == 1
        assert len(client.get("/api/uploads").json()["uploads"]) == 1
