"""Who is asking: signed session cookies, CSRF tokens and sign-in throttling (SPEC §11).

The session cookie holds the account name, a CSRF token and when the account's code was issued,
signed with the site's key (itsdangerous) and refused after eight hours. Nothing else is kept on
the server but the sessions signed out before their time (a server restart forgets those, and
they still expire with the cookie). A code reset ends every session signed in with the old code.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

from pipeline.state.accounts import Account

COOKIE = "beian_session"
SESSION_SECONDS = 8 * 3600
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
FAILURES_ALLOWED = 5
FAILURE_WINDOW = 10 * 60
BLOCK_SECONDS = 10 * 60


@dataclass(frozen=True)
class Session:
    """A signed-in account and its CSRF token."""

    account: Account
    csrf: str
    sid: str


class Sessions:
    """Issue and read session cookies."""

    def __init__(self, key: str) -> None:
        self._signer = URLSafeTimedSerializer(key, salt="beian-session")
        self._ended: set[str] = set()
        self._lock = threading.Lock()

    def issue(self, account: Account) -> tuple[str, Session]:
        """A new cookie value and the session it carries."""
        session = Session(account, secrets.token_urlsafe(24), secrets.token_urlsafe(12))
        value = self._signer.dumps(
            {"a": account.name, "i": account.issued, "c": session.csrf, "s": session.sid}
        )
        return value, session

    def read(self, value: str | None) -> tuple[str, str, str, str] | None:
        """(account name, issued, csrf, session id) of a valid, unexpired cookie, else None."""
        if not value:
            return None
        try:
            data = self._signer.loads(value, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict) or data.get("s") in self._ended:
            return None
        try:
            return str(data["a"]), str(data["i"]), str(data["c"]), str(data["s"])
        except KeyError:
            return None

    def end(self, session: Session) -> None:
        with self._lock:
            self._ended.add(session.sid)


def csrf_ok(session: Session, sent: str | None) -> bool:
    """Whether a state-changing request carries this session's token (header or form field)."""
    return bool(sent) and hmac.compare_digest(session.csrf, str(sent))


class Throttle:
    """Five failed sign-ins from one address within ten minutes block it for the next ten."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._blocked: dict[str, float] = {}
        self._lock = threading.Lock()

    def blocked(self, address: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            until = self._blocked.get(address)
            if until is not None and until <= now:
                del self._blocked[address]
                return False
            return until is not None

    def fail(self, address: str, now: float | None = None) -> bool:
        """Record a failure; True when this one blocks the address."""
        now = time.monotonic() if now is None else now
        with self._lock:
            recent = self._failures.setdefault(address, deque())
            recent.append(now)
            while recent and recent[0] <= now - FAILURE_WINDOW:
                recent.popleft()
            if len(recent) >= FAILURES_ALLOWED:
                self._blocked[address] = now + BLOCK_SECONDS
                recent.clear()
                return True
            return False
