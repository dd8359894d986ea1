"""What stands in front of every request (SPEC §11, "Open to the province's network"): the
client's address and scheme taken from a proxy only when it is a trusted one, every body capped
and cut off at its cap before any handler reads it, and no exception ever answered or logged with
its stack trace.

Plain ASGI middleware, so the body keeps streaming: a body past its cap is refused as soon as the
byte past it arrives (or at once, by its Content-Length), signed in or not, and never spooled.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.web.site import MAX_UPLOAD

log = logging.getLogger("beian.site")

SIGN_IN_BODY = 4 * 1024
UPLOAD_BODY = MAX_UPLOAD + 64 * 1024
"""The file plus room for the multipart envelope (boundaries, headers, the CSRF field)."""
OTHER_BODY = 16 * 1024
"""Any other request: the forms that carry only their CSRF token, and bodies nobody asked for."""
BODY_LIMITS = {
    "/api/session": SIGN_IN_BODY,
    "/login": SIGN_IN_BODY,
    "/api/uploads": UPLOAD_BODY,
    "/upload": UPLOAD_BODY,
}
TOO_LARGE = {
    SIGN_IN_BODY: "请求内容超过 4 KB 上限，未处理。",
    UPLOAD_BODY: f"文件超过 {MAX_UPLOAD >> 20} MB 上限，未保存；请压缩或拆分后重新上传。",
    OTHER_BODY: "请求内容超过 16 KB 上限，未处理。",
}
FAILED = "服务器处理请求时出错，未保存任何内容；请稍后重试，或联系省生产力促进中心。"

Refused = Callable[[Scope, int, str], None]
"""Called with the request, the status and the message of a refusal made here (the audit)."""


def body_limit(path: str) -> int:
    return BODY_LIMITS.get(path.rstrip("/") or "/", OTHER_BODY)


class BodyTooLarge(Exception):
    """The body passed its cap; reading stopped there."""


class ForwardedFrom:
    """Take the client's address (X-Forwarded-For) and scheme (X-Forwarded-Proto) from the
    request only when the connection comes from an address in ``[site] trusted_proxies``."""

    def __init__(self, app: ASGIApp, trusted: tuple[str, ...]) -> None:
        self.app = app
        self.networks = [ipaddress.ip_network(t) for t in trusted]

    def trusted(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] == "http" and client and self.trusted(client[0]):
            scope = dict(scope)
            headers = dict(scope["headers"])
            hops = headers.get(b"x-forwarded-for", b"").decode("latin-1").split(",")
            # The nearest hop that is not a proxy of ours is the client; farther ones may be lies.
            for hop in reversed([h.strip() for h in hops if h.strip()]):
                if not self.trusted(hop):
                    scope["client"] = (hop, 0)
                    break
            proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1")
            proto = proto.split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                scope["scheme"] = proto
        await self.app(scope, receive, send)


class Shield:
    """Cap the body by path and turn any failure into a plain answer without a stack trace."""

    def __init__(self, app: ASGIApp, refused: Refused) -> None:
        self.app = app
        self.refused = refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self.refuse(scope, send, 413, TOO_LARGE[limit])
            return
        started = False
        total = 0

        async def capped() -> Message:
            nonlocal total
            message = await receive()
            if message["type"] == "http.request":
                total += len(message.get("body", b""))
                if total > limit:
                    raise BodyTooLarge
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, capped, sending)
        except BodyTooLarge:
            if not started:
                await self.refuse(scope, send, 413, TOO_LARGE[limit])
        except Exception as exc:  # the answer and the log say what failed, never the stack
            log.error("%s %s failed: %s", scope["method"], scope["path"], type(exc).__name__)
            if not started:
                await answer(send, 500, FAILED)

    async def refuse(self, scope: Scope, send: Send, status: int, message: str) -> None:
        self.refused(scope, status, message)
        await answer(send, status, message)


async def answer(send: Send, status: int, message: str) -> None:
    """A JSON ``{"error": message}`` (the pages' scripts and the API read the same)."""
    body = json.dumps({"error": message}, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
