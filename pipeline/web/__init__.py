"""The intake site (``beian serve``, SPEC §11): bureaus upload and see their 回执 at once.

app.py    the Starlette application and ``serve`` (uvicorn)
site.py   the site's state: ledger tables, uploads judged in turn, 报送情况
guard.py  sessions, CSRF, sign-in throttle, the capped upload body — shared by API and pages
auth.py   signed cookies, CSRF tokens, the throttle
api.py    the JSON API
pages.py  the server-rendered pages (templates/, static/)
jobs.py   立即汇总 in the background
"""
