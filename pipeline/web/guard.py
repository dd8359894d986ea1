"""What every request handler needs before it acts: the session, the CSRF check, the sign-in
flow with its throttle, the upload quota and the upload body — shared by the JSON API and the
pages so both obey the same rules. Every refusal is audited like a sign-in. (Every body is
already capped before it gets here: :mod:`pipeline.web.shield`.)
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

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

CODE_LONGEST = 64
"""Characters of a typed sign-in code worth checking (a real one has 19)."""


@dataclass
class Refusal(Exception):
    """A request refused with a status code and a Chinese message; ``audited`` when the refusal
    already wrote its own, more telling audit line (the sign-in's)."""

    status: int
    message: str
    audited: bool = False


def address(request: Request) -> str:
    """The client's address (a trusted proxy's X-Forwarded-For already applied)."""
    return request.client.host if request.client else ""


def audit_refusal(request: Request, status: int, message: str) -> None:
    """One audit line for a refused request: who (when signed in), from where, what, and why."""
    site, _, _ = state(request)
    session = session_of(request)
    account = session.account.name if session else ""
    what = f"{request.method} {request.url.path}"[:200]
    site.audit(account, address(request), what, f"拒绝（{status}）：{message}"[:300])


def refused(request: Request, refusal: Refusal) -> None:
    """Audit a refusal unless it audited itself."""
    if not refusal.audited:
        audit_refusal(request, refusal.status, refusal.message)


def state(request: Request) -> tuple[Site, Sessions, Throttle]:
    app_state = request.app.state
    return app_state.site, app_state.sessions, app_state.throttle


def session_of(request: Request) -> Session | None:
    """The request's valid session, or None (no cookie, bad signature, expired, reset code)."""
    site, sessions, _ = state(request)
    found = sessions.read(request.cookies.get(COOKIE))
    if found is None or site.session_ended(found.sid):
        return None
    account = site.account(found.name, found.issued)
    return None if account is None else Session(account, found.csrf, found.sid, found.expires)


def end_session(request: Request, session: Session) -> None:
    """Sign out: the session stays ended, across restarts, until it would have expired."""
    site, _, _ = state(request)
    site.end_session(session.sid, session.expires)
    site.audit(session.account.name, address(request), "退出", "成功")


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


def same_origin(request: Request) -> bool:
    """Whether a form was posted from this site: its Origin (or, from browsers that send none,
    its Referer) names this site; a request with neither is left to the pre-session token."""
    own = f"{request.url.scheme}://{request.url.netloc}".lower()
    origin = request.headers.get("origin")
    if origin is not None:
        return origin.strip().lower() == own
    referer = request.headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}".lower() == own
    return True


def typed_code(code: object) -> str:
    """A sign-in code as typed, or a 400: text of at most 64 characters that is valid Unicode
    (a JSON string may carry a lone surrogate)."""
    if not isinstance(code, str) or len(code) > CODE_LONGEST:
        raise Refusal(400, '请以 JSON 提交登录码：{"code": "…"}，登录码不超过 64 个字符。')
    try:
        code.encode("utf-8")
    except UnicodeEncodeError:
        raise Refusal(400, "登录码含有无效字符；请重新输入。") from None
    return code


async def sign_in(request: Request, code: str) -> tuple[Session, str]:
    """Verify a code; (the new session, its cookie value) or a refusal (401 wrong code, 429
    throttled). Every attempt is in the audit log."""
    site, sessions, throttle = state(request)
    where = address(request)
    if throttle.blocked(where):
        site.audit("", where, "登录", "已暂停（429）")
        raise Refusal(429, "登录失败次数过多，请 10 分钟后再试。", audited=True)
    account = await run_in_threadpool(site.sign_in, code) if code else None
    if account is None:
        blocked = throttle.fail(where)
        site.audit("", where, "登录", "登录码错误" + ("，已暂停 10 分钟" if blocked else ""))
        message = "登录码不正确；请核对后重新输入（注意区分字母和数字）。"
        raise Refusal(401, message, audited=True)
    value, session = sessions.issue(account)
    site.audit(account.name, where, "登录", "成功")
    return session, value


def set_cookie(request: Request, response: Response, name: str, value: str, seconds: int) -> None:
    """A signed-in or pre-session cookie: HttpOnly, SameSite=Strict, and Secure when the
    request came over HTTPS (directly, or through a trusted proxy)."""
    response.set_cookie(
        name,
        value,
        max_age=seconds,
        httponly=True,
        samesite="strict",
        path="/",
        secure=request.url.scheme == "https",
    )


def set_session_cookie(request: Request, response: Response, value: str) -> None:
    set_cookie(request, response, COOKIE, value, SESSION_SECONDS)


def clear_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, httponly=True, samesite="strict", path="/")


async def read_upload(request: Request) -> tuple[UploadFile, dict[str, str]]:
    """The ``file`` part (spooled, not yet stored anywhere) and the other fields of a multipart
    body; 400 for a malformed one. (Past 20 MB the shield has cut it off already.)"""
    if "multipart/form-data" not in request.headers.get("content-type", ""):
        raise Refusal(400, "请以 multipart/form-data 上传，文件放在 file 字段。")
    parser = MultiPartParser(request.headers, request.stream(), max_files=1, max_fields=4)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise Refusal(400, f"上传内容格式错误：{exc.message}") from exc
    file = form.get("file")
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    if not isinstance(file, UploadFile):
        await form.close()
        raise Refusal(400, "没有收到文件：请在 file 字段中上传附件3。")
    if file.size is not None and file.size > MAX_UPLOAD:
        await form.close()
        raise Refusal(413, f"文件超过 {MAX_UPLOAD // (1024 * 1024)} MB 上限，未保存。")
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
    bureau's uploads of the day, the body, then :func:`receive`."""
    site, _, _ = state(request)
    sent = header_token(request)
    if sent is not None:
        check_csrf(session, sent)
    bureau = session.account.name
    with site.upload_slot(bureau) as allowed:
        if not allowed:
            limit = site.settings.uploads_per_day
            raise Refusal(
                429,
                f"本单位今天已上传 {limit} 次，达到每天的上限；请明天再上传，"
                "或联系省生产力促进中心。",
            )
        file, fields = await read_upload(request)
        if sent is None:
            try:
                check_csrf(session, fields.get(CSRF_FIELD))
            except Refusal:
                await file.close()
                raise
        return await receive(request, session, file)
