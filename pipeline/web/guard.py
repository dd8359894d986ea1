"""What every request handler needs before it acts: the session, the CSRF check, the sign-in
flow with its throttle, and the upload body read with a hard cap — shared by the JSON API and
the pages so both obey the same rules.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response

from pipeline.intake import Verdict
from pipeline.web.auth import (
    COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_SECONDS,
    Session,
    Sessions,
    Throttle,
    csrf_ok,
)
from pipeline.web.site import MAX_UPLOAD, Site

BODY_SLACK = 64 * 1024
"""Room for the multipart envelope (boundaries, headers, the CSRF field) around the file."""


class TooLarge(Exception):
    """The body passed the cap; reading stopped there."""


@dataclass
class Refusal(Exception):
    """A request refused with a status code and a Chinese message."""

    status: int
    message: str


def address(request: Request) -> str:
    return request.client.host if request.client else ""


def state(request: Request) -> tuple[Site, Sessions, Throttle]:
    app_state = request.app.state
    return app_state.site, app_state.sessions, app_state.throttle


def session_of(request: Request) -> Session | None:
    """The request's valid session, or None (no cookie, bad signature, expired, reset code)."""
    site, sessions, _ = state(request)
    found = sessions.read(request.cookies.get(COOKIE))
    if found is None:
        return None
    name, issued, csrf, sid = found
    account = site.account(name, issued)
    return None if account is None else Session(account, csrf, sid)


def require(request: Request, clerk: bool | None = None) -> Session:
    """The session, or a refusal: 401 without one, 403 on the other role's endpoint."""
    session = session_of(request)
    if session is None:
        raise Refusal(401, "请先用登录码登录。")
    if clerk is True and not session.account.is_clerk:
        raise Refusal(403, "只有管理员（省生产力促进中心）可以使用此功能。")
    if clerk is False and session.account.is_clerk:
        raise Refusal(403, "管理员账号不能上传附件3；请用推荐单位的登录码登录。")
    return session


def check_csrf(session: Session, sent: str | None) -> None:
    if not csrf_ok(session, sent):
        raise Refusal(403, "请求缺少有效的安全令牌（CSRF）；请刷新页面后重试。")


def header_token(request: Request) -> str | None:
    return request.headers.get(CSRF_HEADER)


async def sign_in(request: Request, code: str) -> tuple[Session, str]:
    """Verify a code; (the new session, its cookie value) or a refusal (401 wrong code, 429
    throttled). Every attempt is in the audit log."""
    site, sessions, throttle = state(request)
    where = address(request)
    if throttle.blocked(where):
        site.audit("", where, "登录", "已暂停（429）")
        raise Refusal(429, "登录失败次数过多，请 10 分钟后再试。")
    account = await run_in_threadpool(site.sign_in, code) if code else None
    if account is None:
        blocked = throttle.fail(where)
        site.audit("", where, "登录", "登录码错误" + ("，已暂停 10 分钟" if blocked else ""))
        raise Refusal(401, "登录码不正确；请核对后重新输入（注意区分字母和数字）。")
    value, session = sessions.issue(account)
    site.audit(account.name, where, "登录", "成功")
    return session, value


def set_cookie(response: Response, value: str) -> None:
    response.set_cookie(
        COOKIE, value, max_age=SESSION_SECONDS, httponly=True, samesite="strict", path="/"
    )


def clear_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, httponly=True, samesite="strict", path="/")


async def capped(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    """The body, cut off as soon as it passes ``limit`` bytes."""
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise TooLarge
        yield chunk


async def read_upload(request: Request) -> tuple[UploadFile, dict[str, str]]:
    """The ``file`` part (spooled, not yet stored anywhere) and the other fields of a multipart
    body; 413 past 20 MB (by Content-Length or while streaming), 400 for a malformed body."""
    too_large = Refusal(
        413, f"文件超过 {MAX_UPLOAD // (1024 * 1024)} MB 上限，未保存；请压缩或拆分后重新上传。"
    )
    limit = MAX_UPLOAD + BODY_SLACK
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    if "multipart/form-data" not in request.headers.get("content-type", ""):
        raise Refusal(400, "请以 multipart/form-data 上传，文件放在 file 字段。")
    parser = MultiPartParser(request.headers, capped(request, limit), max_files=1, max_fields=4)
    try:
        form = await parser.parse()
    except TooLarge:
        raise too_large from None
    except MultiPartException as exc:
        raise Refusal(400, f"上传内容格式错误：{exc.message}") from exc
    file = form.get("file")
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    if not isinstance(file, UploadFile):
        await form.close()
        raise Refusal(400, "没有收到文件：请在 file 字段中上传附件3。")
    if file.size is not None and file.size > MAX_UPLOAD:
        await form.close()
        raise too_large
    return file, fields


def verdict_json(verdict: Verdict) -> dict[str, object]:
    return {**verdict.as_json(), "receipt": f"/api/uploads/{verdict.upload.id}/receipt"}


async def receive(request: Request, session: Session, file: UploadFile) -> Verdict:
    """Stage, judge and record an upload; audited with its name, SHA-256 and outcome."""
    site, _, _ = state(request)
    original = file.filename or ""
    try:
        upload = await run_in_threadpool(site.stage, session.account, original, file.file)
    finally:
        await file.close()
    verdict = await run_in_threadpool(site.receive, upload)
    codes = ";".join(dict.fromkeys(p.code for p in verdict.problems if p.severity == "file"))
    site.audit(
        session.account.name,
        address(request),
        "上传",
        verdict.status + (f"（{codes}）" if codes else ""),
        original,
        upload.sha256,
    )
    return verdict


async def accept_upload(request: Request, session: Session) -> Verdict:
    """An upload request end to end: the CSRF token (header, or the form's hidden field), the
    capped body, then :func:`receive`. A refused body is audited too."""
    site, _, _ = state(request)
    sent = header_token(request)
    if sent is not None:
        check_csrf(session, sent)
    try:
        file, fields = await read_upload(request)
    except Refusal as refusal:
        site.audit(session.account.name, address(request), "上传", f"未保存（{refusal.status}）")
        raise
    if sent is None:
        try:
            check_csrf(session, fields.get(CSRF_FIELD))
        except Refusal:
            await file.close()
            raise
    return await receive(request, session, file)
