"""The clerk's review pages (SPEC §14): a form per accepted space, and the 催报 button.

评审 lists, bureau by bureau, the spaces of each bureau's current file (as last judged, at night
or on upload) with the decision in force; each space has its own small form (结论, 理由) that
records a decision exactly as a line of ``beian review`` would. 催报 runs ``beian remind``.
Both are CSRF-protected posts of the clerk, audited like every other action.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pipeline.dedupe.verdicts import RETURNED, review_line, review_words
from pipeline.state.remind import remind
from pipeline.state.review_store import current_file, current_reviews, record_reviews, reviewable
from pipeline.web.guard import Refusal, address, require, state
from pipeline.web.pages import error_page, posted_by, render
from pipeline.web.site import Site


def review_table(site: Site) -> list[dict[str, Any]]:
    """Every reviewable space of every bureau's current file, with the decision in force."""
    batch = site.settings.batch
    table = []
    with site.ledger() as ledger:
        decisions = current_reviews(ledger, batch).set_index(["bureau", "key"])
        for bureau in site.registers.bureaus:
            current = current_file(ledger, batch, bureau.name)
            if current is None:
                continue
            for row in reviewable(current):
                at = (bureau.name, row["key"])
                found = decisions.loc[at].to_dict() if at in decisions.index else {}
                lapsed = found.get("verdict") == RETURNED and found["sha256"] != current["sha256"]
                table.append(
                    {
                        "bureau": bureau.name,
                        "name": row["name"],
                        "file": current["file"],
                        "verdict": "" if lapsed else found.get("verdict", ""),
                        "reason": found.get("reason", ""),
                        "who": found.get("who", ""),
                        "time": str(found.get("time", ""))[:16],
                        "lapsed": lapsed,
                    }
                )
    return table


def _page(request: Request, session: Any, status: int = 200, message: str = "") -> Response:
    site, _, _ = state(request)
    choices = list(dict.fromkeys(review_words().verdicts.values()))
    return render(
        request,
        "review.html",
        session,
        status,
        spaces=review_table(site),
        choices=choices,
        message=message,
    )


async def review_page(request: Request) -> Response:
    try:
        session = require(request, clerk=True)
    except Refusal as refusal:
        return error_page(request, refusal)
    return _page(request, session)


async def decide(request: Request) -> Response:
    """Record one decision from a space's form; a refused one is shown on the page (400)."""
    try:
        session = await posted_by(request, clerk=True)
    except Refusal as refusal:
        return error_page(request, refusal)
    site, _, _ = state(request)
    form = await request.form()
    fields = [str(form.get(k) or "") for k in ("bureau", "name", "verdict", "reason")]
    line = review_line(0, fields)
    with site.ledger() as ledger:
        refused = record_reviews(
            ledger, site.settings.batch, [line], session.account.name, site.registers
        )
    outcome = refused[0].refused if refused else f"{line.verdict} {line.reason}".strip()
    site.audit(
        session.account.name, address(request), "评审", outcome, f"{line.bureau} {line.name}"
    )
    if refused:
        return _page(request, session, 400, f"“{line.name}”未记录：{refused[0].refused}")
    return RedirectResponse("/admin/review", status_code=303)


async def remind_now(request: Request) -> Response:
    try:
        session = await posted_by(request, clerk=True)
    except Refusal as refusal:
        return error_page(request, refusal)
    site, _, _ = state(request)
    path, found = await run_in_threadpool(
        remind, site.settings, session.account.name, address(request)
    )
    site.audit(session.account.name, address(request), "催报", f"{len(found)} 个单位")
    return render(request, "remind.html", session, reminders=found, notices=path.name)


routes = [
    Route("/admin/review", review_page, methods=["GET"]),
    Route("/admin/review", decide, methods=["POST"]),
    Route("/admin/remind", remind_now, methods=["POST"]),
]
