"""The intake site as one Starlette application, and ``beian serve`` under uvicorn.

Security headers on every answer: no framing, no sniffing, no referrer, and a content policy
that allows only this site's own script and style (nothing is ever fetched from elsewhere).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.core.config import Settings
from pipeline.core.errors import ConfigError
from pipeline.web import api, pages
from pipeline.web.auth import Sessions, Throttle
from pipeline.web.site import Site

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "Cache-Control": "no-store",
}


class SecureHeaders:
    """Plain ASGI middleware (it leaves the request body streaming, for the upload cap)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in HEADERS.items():
                    headers.setdefault(key, value)
            await send(message)

        await self.app(scope, receive, sending)


def create_app(settings: Settings) -> Starlette:
    """The site over one batch: its ledger, inbox and outbox."""
    site = Site(settings)
    site.clear_staging()
    static = StaticFiles(directory=str(Path(__file__).parent / "static"))
    app = Starlette(
        routes=[*api.routes, *pages.routes, Mount("/static", static, name="static")],
        middleware=[Middleware(SecureHeaders)],
    )
    app.state.site = site
    app.state.sessions = Sessions(site.key)
    app.state.throttle = Throttle()
    return app


def check_port(host: str, port: int) -> None:
    """Refuse a busy or impossible address before starting, with a message that says what to do
    (uvicorn alone would log the error and exit 1, which means "check found errors")."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family) as probe:
            probe.bind((host, port))
    except (OSError, OverflowError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(
            f"无法在 {host}:{port} 上启动网上报送（{reason}）：端口可能已被占用或地址不属于本机；"
            "请用 --port 换一个端口（如 8017），或先停止占用它的程序。"
        ) from exc


def serve(settings: Settings, host: str, port: int) -> None:
    """Run the site until interrupted (Ctrl+C, or the service manager stops it); check the
    address first with :func:`check_port`."""
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@contextmanager
def running(app: Starlette, host: str = "127.0.0.1") -> Iterator[str]:
    """The app under a real uvicorn on a free port, in a thread, for tests and the benchmark;
    yields its base URL and stops the server on leaving."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"uvicorn did not start on {host}:{port}")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
