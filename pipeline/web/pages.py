"""The pages: plain server-rendered HTML (Jinja2, autoescaped) that works without JavaScript in
old office browsers; a little ES5 adds drag-and-drop and the 立即汇总 progress. The pages obey the
same guards as the JSON API (:mod:`pipeline.web.guard`); forms carry the CSRF token in a hidden
field."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from pipeline.core.model import DISPOSITIONS
from pipeline.state.review_store import returned_rows
from pipeline.web.api import receipt_response
from pipeline.web.auth import CSRF_FIELD, LOGIN_COOKIE, LOGIN_FIELD, LOGIN_SECONDS, Session
from pipeline.web.guard import (
    Refusal,
    accept_upload,
    address,
    check_csrf,
    clear_cookie,
    end_session,
    refused,
    require,
    same_origin,
    session_of,
    set_cookie,
    set_session_cookie,
    sign_in,
    state,
    typed_code,
)
from pipeline.web.site import SUFFIXES
from pipeline.write.labels import DISPOSITION_LABELS, STATUS_LABELS
from pipeline.write.problem_list import SEVERITY_LABELS

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def render(
    request: Request, name: str, session: Session | None, status: int = 200, **context: Any
) -> Response:
    site, _, _ = state(request)
    context.update(
        session=session,
        csrf_field=CSRF_FIELD,
        batch=site.settings.batch,
        deadline=site.settings.deadline,
        days_left=site.days_left(),
        labels=DISPOSITION_LABELS,
        dispositions=DISPOSITIONS,
        severities=SEVERITY_LABELS,
        statuses=STATUS_LABELS,
    )
    return templates.TemplateResponse(request, name, context, status_code=status)


def error_page(request: Request, refusal: Refusal) -> Response:
    """The page of a refused request (audited); without a session, the sign-in page."""
    refused(request, refusal)
    if refusal.status == 401:
        return RedirectResponse("/", status_code=303)
    session = session_of(request)
    return render(request, "error.html", session, refusal.status, message=refusal.message)


def login_page(request: Request, status: int = 200, message: str = "") -> Response:
    """The sign-in page with a fresh pre-session token: the cookie, and its twin in the form."""
    _, sessions, _ = state(request)
    nonce, token = sessions.login_token()
    response = render(
        request,
        "login.html",
        None,
        status,
        message=message,
        login_field=LOGIN_FIELD,
        login_token=token,
    )
    set_cookie(request, response, LOGIN_COOKIE, nonce, LOGIN_SECONDS)
    return response


async def home(request: Request) -> Response:
    session = session_of(request)
    if session is None:
        return login_page(request)
    if session.account.is_clerk:
        return RedirectResponse("/admin", status_code=303)
    site, _, _ = state(request)
    bureau = session.account.bureau
    with site.ledger() as ledger:
        returned = returned_rows(ledger, site.settings.batch, bureau or "")
    return render(
        request,
        "bureau.html",
        session,
        uploads=site.uploads(bureau),
        returned=returned,
        accept=",".join(sorted(SUFFIXES)),
    )


async def login(request: Request) -> Response:
    """The sign-in form: only from this site's own sign-in page (its Origin, and the
    pre-session token only that page carries), then the code as the API checks it."""
    _, sessions, _ = state(request)
    try:
        try:
            form = await request.form()
        except HTTPException:
            raise Refusal(400, "登录表单格式错误；请在登录页重新输入登录码。") from None
        token = form.get(LOGIN_FIELD)
        mine = sessions.login_ok(
            request.cookies.get(LOGIN_COOKIE), token if isinstance(token, str) else None
        )
        if not (mine and same_origin(request)):
            raise Refusal(403, "登录页面已过期或来自其他网站；请在本站登录页重新输入登录码。")
        _, value = await sign_in(request, typed_code(form.get("code") or ""))
    except Refusal as refusal:
        refused(request, refusal)
        return login_page(request, refusal.status, refusal.message)
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(request, response, value)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


async def posted_by(request: Request, *, clerk: bool | None = None) -> Session:
    """The session behind a form post, its CSRF token checked; a Refusal otherwise."""
    session = require(request, clerk=clerk)
    try:
        form = await request.form()
    except HTTPException:
        raise Refusal(400, "表单格式错误；请刷新页面后重试。") from None
    token = form.get(CSRF_FIELD)
    check_csrf(session, token if isinstance(token, str) else None)
    return session


async def logout(request: Request) -> Response:
    try:
        session = await posted_by(request)
    except Refusal as refusal:
        return error_page(request, refusal)
    end_session(request, session)
    response = RedirectResponse("/", status_code=303)
    clear_cookie(response)
    return response


async def upload(request: Request) -> Response:
    try:
        session = require(request, clerk=False)
        verdict = await accept_upload(request, session)
    except Refusal as refusal:
        return error_page(request, refusal)
    return RedirectResponse(f"/uploads/{verdict.upload.id}", status_code=303)


async def upload_page(request: Request) -> Response:
    try:
        session = require(request)
        site, _, _ = state(request)
        found = site.upload(request.path_params["upload_id"], session.account.bureau)
        if found is None:
            raise Refusal(404, "没有这个上传记录。")
    except Refusal as refusal:
        return error_page(request, refusal)
    upload_id = request.path_params["upload_id"]
    return render(request, "upload.html", session, upload=found, upload_id=upload_id)


async def receipt(request: Request) -> Response:
    try:
        return receipt_response(request, request.path_params["upload_id"])
    except Refusal as refusal:
        return error_page(request, refusal)


async def admin(request: Request) -> Response:
    try:
        session = require(request, clerk=True)
    except Refusal as refusal:
        return error_page(request, refusal)
    site, _, _ = state(request)
    outputs = [(i, p.name) for i, p in enumerate(site.outputs())]
    return render(
        request, "admin.html", session, table=site.status(), outputs=outputs, job=site.jobs.latest()
    )


async def output(request: Request) -> Response:
    """A latest output by its place in the run's own list (no name from the request is a path)."""
    try:
        require(request, clerk=True)
        site, _, _ = state(request)
        outputs = site.outputs()
        index = request.path_params["index"]
        if not 0 <= index < len(outputs):
            raise Refusal(404, "没有这个输出文件；请先运行汇总。")
    except Refusal as refusal:
        return error_page(request, refusal)
    path = outputs[index]
    return FileResponse(
        path, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(path.name)}"}
    )


async def run_now(request: Request) -> Response:
    try:
        session = await posted_by(request, clerk=True)
    except Refusal as refusal:
        return error_page(request, refusal)
    site, _, _ = state(request)
    site.jobs.start(session.account.name)
    site.audit(session.account.name, address(request), "立即汇总", "已开始")
    return RedirectResponse("/admin", status_code=303)


async def audit(request: Request) -> Response:
    try:
        session = require(request, clerk=True)
    except Refusal as refusal:
        return error_page(request, refusal)
    site, _, _ = state(request)
    return render(request, "audit.html", session, log=site.audit_log())


routes = [
    Route("/", home, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/upload", upload, methods=["POST"]),
    Route("/uploads/{upload_id}", upload_page, methods=["GET"]),
    Route("/uploads/{upload_id}/receipt", receipt, methods=["GET"]),
    Route("/admin", admin, methods=["GET"]),
    Route("/admin/outputs/{index:int}", output, methods=["GET"]),
    Route("/admin/run", run_now, methods=["POST"]),
    Route("/admin/audit", audit, methods=["GET"]),
]
