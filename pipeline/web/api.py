"""The JSON API of SPEC §11, exactly: paths, fields and status codes. The pages use the same
guards (:mod:`pipeline.web.guard`), so a script and a browser meet the same rules."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from pipeline.web.guard import (
    Refusal,
    accept_upload,
    address,
    check_csrf,
    clear_cookie,
    end_session,
    header_token,
    refused,
    require,
    set_session_cookie,
    sign_in,
    state,
    typed_code,
    verdict_json,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Handler = Callable[[Request], Awaitable[Response]]


def answers(handler: Handler) -> Handler:
    """Turn a refusal into its status code with ``{"error": message}``, audited."""

    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except Refusal as refusal:
            await run_in_threadpool(refused, request, refusal)
            return JSONResponse({"error": refusal.message}, status_code=refusal.status)

    return wrapped


def json_body(request: Request, body: bytes) -> object:
    """The parsed JSON body of a sign-in: 415 unless sent as ``application/json`` (a form
    posted from a page elsewhere cannot send that without the browser asking this site first),
    400 when it does not parse (bad UTF-8, bad syntax, nesting too deep)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise Refusal(415, '登录请求须为 JSON（Content-Type: application/json）：{"code": "…"}。')
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise Refusal(400, '登录请求不是有效的 JSON；请提交 {"code": "…"}。') from None


@answers
async def create_session(request: Request) -> Response:
    body = json_body(request, await request.body())
    code = typed_code(body.get("code") if isinstance(body, dict) else None)
    session, value = await sign_in(request, code)
    account = session.account
    response = JSONResponse({"role": account.role, "bureau": account.bureau, "csrf": session.csrf})
    set_session_cookie(request, response, value)
    return response


@answers
async def delete_session(request: Request) -> Response:
    session = require(request)
    check_csrf(session, header_token(request))
    await run_in_threadpool(end_session, request, session)
    response = JSONResponse({})
    clear_cookie(response)
    return response


@answers
async def create_upload(request: Request) -> Response:
    session = require(request, clerk=False)
    verdict = await accept_upload(request, session)
    return JSONResponse(verdict_json(verdict), status_code=201)


@answers
async def list_uploads(request: Request) -> Response:
    session = require(request)
    site, _, _ = state(request)
    return JSONResponse({"uploads": site.uploads(session.account.bureau)})


def receipt_response(request: Request, upload_id: str) -> Response:
    """The 回执 of an upload the session may see (404 for another bureau's or an unknown id)."""
    session = require(request)
    site, _, _ = state(request)
    found = site.upload(upload_id, session.account.bureau)
    path = site.receipt(upload_id)
    if found is None or not path.is_file():
        raise Refusal(404, "没有这个上传记录。")
    name = f"回执-{found['bureau']}-{found['received'][:10]}.xlsx"
    return FileResponse(
        path,
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


@answers
async def get_receipt(request: Request) -> Response:
    return receipt_response(request, request.path_params["upload_id"])


@answers
async def get_status(request: Request) -> Response:
    require(request, clerk=True)
    site, _, _ = state(request)
    return JSONResponse(
        {
            "batch": site.settings.batch,
            "deadline": site.settings.deadline.isoformat(),
            "days_left": site.days_left(),
            "bureaus": site.status(),
        }
    )


@answers
async def create_run(request: Request) -> Response:
    session = require(request, clerk=True)
    check_csrf(session, header_token(request))
    site, _, _ = state(request)
    job = site.jobs.start(session.account.name)
    site.audit(session.account.name, address(request), "立即汇总", "已开始")
    return JSONResponse({"id": job.id}, status_code=202)


@answers
async def get_run(request: Request) -> Response:
    require(request, clerk=True)
    site, _, _ = state(request)
    job = site.jobs.get(request.path_params["run_id"])
    if job is None:
        raise Refusal(404, "没有这个汇总任务。")
    return JSONResponse(job.as_json())


routes = [
    Route("/api/session", create_session, methods=["POST"]),
    Route("/api/session", delete_session, methods=["DELETE"]),
    Route("/api/uploads", create_upload, methods=["POST"]),
    Route("/api/uploads", list_uploads, methods=["GET"]),
    Route("/api/uploads/{upload_id}/receipt", get_receipt, methods=["GET"]),
    Route("/api/status", get_status, methods=["GET"]),
    Route("/api/runs", create_run, methods=["POST"]),
    Route("/api/runs/{run_id}", get_run, methods=["GET"]),
]
