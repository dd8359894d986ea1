"""Who is asking: signed session cookies, CSRF tokens and sign-in throttling (SPEC §11).

The session cookie holds the account name, a CSRF token and when the account's code was issued,
signed with the site's key (itsdangerous) and refused after eight hours. Nothing else is kept on
the server but the sessions signed out before their time, in the ledger until they would have
expired (so a restart does not bring them back). A code reset ends every session signed in with
the old code.

Before anyone signs in, the sign-in page sets a pre-session cookie and carries its signed twin in
a hidden field: a form posted from a page elsewhere has neither, so it cannot sign a browser in.
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
LOGIN_COOKIE = "beian_login"
LOGIN_FIELD = "login_token"
LOGIN_SECONDS = 3600
"""How long a sign-in page may stay open before its form must be reloaded."""
FAILURES_ALLOWED = 5
FAILURE_WINDOW = 10 * 60
BLOCK_SECONDS = 10 * 60


@dataclass(frozen=True)
class Session:
    """A signed-in account, its CSRF token, and when its cookie expires (epoch seconds)."""

    account: Account
    csrf: str
    sid: str
    expires: float


@dataclass(frozen=True)
class Cookie:
    """What a valid session cookie says."""

    name: str
    issued: str
    csrf: str
    sid: str
    expires: float


class Sessions:
    """Issue and read session cookies and the sign-in form's pre-session tokens."""

    def __init__(self, key: str) -> None:
        self._signer = URLSafeTimedSerializer(key, salt="beian-session")
        self._login = URLSafeTimedSerializer(key, salt="beian-login")

    def issue(self, account: Account) -> tuple[str, Session]:
        """A new cookie value and the session it carries."""
        expires = time.time() + SESSION_SECONDS
        session = Session(account, secrets.token_urlsafe(24), secrets.token_urlsafe(12), expires)
        value = self._signer.dumps(
            {"a": account.name, "i": account.issued, "c": session.csrf, "s": session.sid}
        )
        return value, session

    def read(self, value: str | None) -> Cookie | None:
        """What a valid, unexpired cookie says, else None (signed-out sessions are the
        caller's to refuse: they are kept in the ledger)."""
        if not value:
            return None
        try:
            data, signed = self._signer.loads(value, max_age=SESSION_SECONDS, return_timestamp=True)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        try:
            fields = (str(data["a"]), str(data["i"]), str(data["c"]), str(data["s"]))
        except KeyError:
            return None
        return Cookie(*fields, signed.timestamp() + SESSION_SECONDS)

    def login_token(self) -> tuple[str, str]:
        """(the pre-session cookie's value, the sign-in form's hidden field)."""
        nonce = secrets.token_urlsafe(18)
        return nonce, self._login.dumps(nonce)

    def login_ok(self, cookie: str | None, field: str | None) -> bool:
        """Whether a sign-in form carries the signed twin of this browser's pre-session cookie,
        issued within the last hour."""
        if not cookie or not field:
            return False
        try:
            nonce = self._login.loads(field, max_age=LOGIN_SECONDS)
        except BadSignature:
            return False
        return isinstance(nonce, str) and same_token(nonce, cookie)


def same_token(expected: str, sent: str) -> bool:
    """Constant-time comparison of any two strings (a header may carry any character)."""
    return hmac.compare_digest(
        expected.encode("utf-8", "surrogatepass"), sent.encode("utf-8", "surrogatepass")
    )


def csrf_ok(session: Session, sent: str | None) -> bool:
    """Whether a state-changing request carries this session's token (header or form field)."""
    return bool(sent) and same_token(session.csrf, str(sent))


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
