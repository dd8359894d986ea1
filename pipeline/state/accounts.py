"""Sign-in codes for the intake site (``beian accounts``): one per bureau, one for the clerk.

A code is shown once and handed out on paper or by phone; the ledger keeps only its argon2 hash.
A code reads ``HANDLE-SECRET``: the handle (public, stored as is) finds the one account to verify,
so a sign-in costs one argon2 check, not one per bureau. Letters that are easily confused when
read aloud or copied by hand (0/O, 1/I/L) are left out.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pipeline.core.atomic import write_atomic
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


DEFAULT_CODES = Path("登录码.csv")


def codes_destination(out: Path | None, reset: str | None, force: bool, now: dt.datetime) -> Path:
    """Where new codes go, decided before any is issued: a codes file already there holds codes
    handed out and never stored anywhere else (the ledger keeps hashes), so it is never
    overwritten without ``force``. Without ``--out`` a new file is named beside it instead."""
    if out is not None:
        if out.exists() and not force:
            raise ConfigError(
                f"登录码文件 {out} 已存在，其中的登录码在别处没有副本，beian 不会覆盖它。"
                "请用 --out 指定一个新文件名；确需覆盖时加 --force。"
            )
        return out
    if force or not DEFAULT_CODES.exists():
        return DEFAULT_CODES
    who = f"-{reset.strip()}" if reset else ""
    return DEFAULT_CODES.with_name(f"{DEFAULT_CODES.stem}{who}-{now:%Y%m%d-%H%M%S}.csv")


def issue_codes(
    settings: Settings, out: Path | None, reset: str | None = None, force: bool = False
) -> tuple[pd.DataFrame, list[str], Path, str]:
    """``beian accounts``: issue the codes, write them to a codes file that holds only them
    (UTF-8 with BOM, so Excel opens it; readable by its owner only where the system allows);
    return them as a table, the accounts that kept their code, the file, and why it could not be
    written ("" when it was: the codes are shown all the same, they exist nowhere else)."""
    target = codes_destination(out, reset, force, dt.datetime.now())
    registers = load_registers(settings.form.parent)
    if reset is not None:
        resolve_name(reset, registers)  # an unknown name is refused before anything changes
    ledger = Ledger(settings.ledger)
    try:
        issued = issue(ledger, registers, reset)
        existing = [row[0] for row in ledger.db.execute("SELECT name FROM accounts ORDER BY name")]
    finally:
        ledger.close()
    table = pd.DataFrame(
        [(i.bureau, i.role, i.code) for i in issued], columns=["bureau", "role", "code"]
    )
    unwritten = ""
    if issued:
        try:
            write_atomic(target, lambda tmp: write_private_csv(table, tmp))
        except OutputError as exc:
            unwritten = f"{exc} 新登录码已在上方显示，请立即抄下。"
    fresh = {i.bureau or CLERK for i in issued}
    return table, [name for name in existing if name not in fresh], target, unwritten


def write_private_csv(table: pd.DataFrame, path: Path) -> None:
    """The codes as CSV, made readable by its owner only before it is renamed into place
    (on Windows chmod only sets read-only bits: the folder's own permissions apply)."""
    path.touch(mode=0o600)
    os.chmod(path, 0o600)
    write_frame_csv(table, path, bom=True)


def require_accounts(settings: Settings) -> None:
    """``beian serve`` without any sign-in code would start a site nobody can enter."""
    count = 0
    if settings.ledger.is_file():
        ledger = Ledger(settings.ledger)
        try:
            count = ledger.db.execute("SELECT COUNT(*) FROM accounts").fetchone()[0]
        finally:
            ledger.close()
    if not count:
        raise ConfigError(
            f"台账 {settings.ledger} 中还没有网上报送的登录码，没有人能登录。"
            "请先运行 beian accounts 生成各单位和管理员的登录码，再运行 beian serve。"
        )


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
