"""Sign-in codes for the intake site (``beian accounts``): one per bureau, one for the clerk.

A code is shown once and handed out on paper or by phone; the ledger keeps only its argon2 hash.
A code reads ``HANDLE-SECRET``: the handle (public, stored as is) finds the one account to verify,
so a sign-in costs one argon2 check, not one per bureau. Letters that are easily confused when
read aloud or copied by hand (0/O, 1/I/L) are left out.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pipeline.core.bureau import match_bureau
from pipeline.core.config import Settings
from pipeline.core.errors import ConfigError, OutputError
from pipeline.core.schema import Registers, load_registers
from pipeline.state.ledger import Ledger
from pipeline.write.csvfiles import write_frame_csv

CLERK = "管理员"
BUREAU_ROLE = "推荐单位"
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
HANDLE_LENGTH = 4
SECRET_GROUPS = 3
# OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane): a code carries 78 random bits, so the
# hash is a second line of defence, and a sign-in stays cheap on the clerk's machine.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@dataclass(frozen=True)
class Account:
    """One sign-in: the bureau's registered name (or 管理员) and its role."""

    name: str
    role: str
    issued: str

    @property
    def is_clerk(self) -> bool:
        return self.role == CLERK

    @property
    def bureau(self) -> str | None:
        return None if self.is_clerk else self.name


@dataclass(frozen=True)
class Issued:
    """A code just issued: shown once, written to the clerk's CSV, never stored."""

    bureau: str
    role: str
    code: str


def _group(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_code() -> tuple[str, str]:
    """(handle, full code), e.g. ``K7Q2-9XHM-4TRW-PB3N`` (about 78 bits of secret)."""
    handle = _group(HANDLE_LENGTH)
    secret = "-".join(_group(4) for _ in range(SECRET_GROUPS))
    return handle, f"{handle}-{secret}"


def account_names(registers: Registers) -> list[tuple[str, str]]:
    """(name, role) of every account the site should have: the clerk, then each bureau."""
    return [(CLERK, CLERK), *((b.name, BUREAU_ROLE) for b in registers.bureaus)]


def resolve_name(name: str, registers: Registers) -> tuple[str, str]:
    """The account a ``--reset`` option names: 管理员, or a bureau by any registered spelling."""
    if name.strip() == CLERK:
        return CLERK, CLERK
    bureau = match_bureau(name, registers)
    if bureau is None:
        raise ConfigError(
            f"“{name}”不是登记的推荐单位，也不是“{CLERK}”；请写 schemas/bureaus.csv 中的单位名称"
            "（如 长沙市科学技术局）。"
        )
    return bureau.name, BUREAU_ROLE


def _store(ledger: Ledger, name: str, role: str) -> Issued:
    handle, code = new_code()
    while ledger.db.execute("SELECT 1 FROM accounts WHERE handle = ?", (handle,)).fetchone():
        handle, code = new_code()
    issued = dt.datetime.now().isoformat(sep=" ")
    with ledger.transaction() as db:
        db.execute(
            "INSERT INTO accounts (name, role, handle, hash, issued) VALUES (?,?,?,?,?) "
            "ON CONFLICT (name) DO UPDATE SET role = excluded.role, handle = excluded.handle, "
            "hash = excluded.hash, issued = excluded.issued",
            (name, role, handle, _hasher.hash(code), issued),
        )
    bureau = "" if role == CLERK else name
    return Issued(bureau, role, code)


def issue(ledger: Ledger, registers: Registers, reset: str | None = None) -> list[Issued]:
    """New codes for every account that has none yet, or for the one ``reset`` names.

    Codes already handed out stay valid unless reset; a bureau added to the register later gets
    its code at the next ``beian accounts``.
    """
    if reset is not None:
        return [_store(ledger, *resolve_name(reset, registers))]
    existing = {row[0] for row in ledger.db.execute("SELECT name FROM accounts")}
    return [
        _store(ledger, name, role)
        for name, role in account_names(registers)
        if name not in existing
    ]


def issue_codes(
    settings: Settings, out: Path, reset: str | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """``beian accounts``: issue the codes, write them to ``out`` (UTF-8 with BOM, so Excel opens
    it); return them as a table and the accounts that kept their code."""
    registers = load_registers(settings.form.parent)
    ledger = Ledger(settings.ledger)
    try:
        issued = issue(ledger, registers, reset)
        existing = [row[0] for row in ledger.db.execute("SELECT name FROM accounts ORDER BY name")]
    finally:
        ledger.close()
    table = pd.DataFrame(
        [(i.bureau, i.role, i.code) for i in issued], columns=["bureau", "role", "code"]
    )
    if issued:
        try:
            write_frame_csv(table, out, bom=True)
        except OSError as exc:
            raise OutputError(f"无法写入 {out}：{exc}。请换一个 --out 位置。") from exc
    fresh = {i.bureau or CLERK for i in issued}
    return table, [name for name in existing if name not in fresh]


def verify(ledger: Ledger, code: str) -> Account | None:
    """The account a typed code belongs to, or None. Spaces and case do not matter."""
    cleaned = "".join(code.split()).upper()
    handle = cleaned.split("-", 1)[0]
    row = ledger.db.execute(
        "SELECT name, role, hash, issued FROM accounts WHERE handle = ?", (handle,)
    ).fetchone()
    if row is None:
        return None
    name, role, hashed, issued = row
    try:
        _hasher.verify(hashed, cleaned)
    except (VerificationError, InvalidHashError):
        return None
    return Account(name, role, issued)


def lookup(ledger: Ledger, name: str) -> Account | None:
    """The account as it stands now (a reset code ends the sessions signed in with the old one)."""
    row = ledger.db.execute(
        "SELECT name, role, issued FROM accounts WHERE name = ?", (name,)
    ).fetchone()
    return None if row is None else Account(*row)
