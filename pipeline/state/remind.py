"""催报 (SPEC §14): remind the bureaus that still owe something, in a file and by e-mail.

A bureau is reminded when it has sent nothing, when its newest file was refused, or when spaces
of its current file were 退回. The ledger's snapshots (pipeline/state/review_store.py) say what each
bureau's newest file was, whether it came at night or through the site. Every run of
``beian remind`` (or the clerk page's button) writes 催报通知.csv in the batch folder; when
``[mail]`` names an SMTP server and contacts.csv (推荐单位,联系人,邮箱, beside beian.toml) has
the bureau, the message is also sent, and each sending is recorded in the audit log.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import dataclass, replace
from email.message import EmailMessage
from pathlib import Path

import pandas as pd

from pipeline.core.atomic import write_atomic
from pipeline.core.bureau import match_bureau
from pipeline.core.config import Mail, Settings
from pipeline.core.schema import Bureau, Registers, load_registers
from pipeline.dedupe.decisions import clean_cell, table_rows, table_text
from pipeline.state import review_store
from pipeline.state.ledger import Ledger
from pipeline.write.csvfiles import write_frame_csv

NOTICES = "催报通知.csv"
COLUMNS = ["推荐单位", "联系人", "邮箱", "原因", "通知内容", "发送结果"]
NOT_SENT, REFUSED, RETURNED = "未报送", "文件未通过", "有退回"


@dataclass(frozen=True)
class Reminder:
    bureau: str
    reason: str
    message: str
    contact: str = ""
    email: str = ""
    outcome: str = ""


def _newest(ledger: Ledger, batch: str, bureau: str) -> tuple[str, str, str] | None:
    """(status, file, problems JSON) of the bureau's newest Annex 3 file."""
    return ledger.db.execute(
        "SELECT status, file, problems FROM snapshots WHERE batch = ? AND bureau = ? "
        "ORDER BY received DESC LIMIT 1",
        (batch, bureau),
    ).fetchone()


def what_is_owed(ledger: Ledger, settings: Settings, bureau: Bureau) -> tuple[str, str] | None:
    """(reason, what is missing) for a bureau that owes something; None when it owes nothing."""
    newest = _newest(ledger, settings.batch, bureau.name)
    if newest is None:
        return NOT_SENT, "尚未收到贵单位报送的附件3《申请备案的众创空间信息汇总表》"
    if newest[0] == "rejected":
        return REFUSED, f"贵单位报送的文件 {newest[1]} 未能受理（原因见回执），请修改后重新报送"
    returned = review_store.returned_rows(ledger, settings.batch, bureau.name)
    if returned:
        spaces = "；".join(f"{r['name']}（{r['reason']}）" for r in returned)
        return RETURNED, f"以下众创空间经省里审核退回：{spaces}，请按理由修改后重新报送完整的附件3"
    return None


def message(settings: Settings, bureau: str, missing: str, today: dt.date) -> str:
    """The short Chinese notice: deadline, what is missing, where to send it."""
    left = (settings.deadline - today).days
    when = f"还有 {left} 天" if left >= 0 else f"已过 {-left} 天"
    site = f"请登录网上报送站点 {settings.mail.site} 报送。" if settings.mail.site else ""
    return (
        f"{bureau}：{settings.batch}众创空间备案材料的报送截止日期为 {settings.deadline}"
        f"（{when}）。{missing}。{site}如已寄出请忽略本通知。"
    )


def contacts(path: Path, registers: Registers) -> dict[str, tuple[str, str]]:
    """contacts.csv: bureau (any registered spelling) -> (contact, address); missing file: none.
    Read like decisions.csv (UTF-8 with or without BOM, GBK, UTF-16)."""
    if not path.is_file():
        return {}
    text = table_text(path.read_bytes())
    if text is None:
        return {}
    _, records = table_rows(text)
    found = {}
    for _, record in records:
        bureau = match_bureau(clean_cell(record.get("推荐单位")), registers)
        address = clean_cell(record.get("邮箱"))
        if bureau is not None and address:
            found[bureau.name] = (clean_cell(record.get("联系人")), address)
    return found


def reminders(settings: Settings, ledger: Ledger, today: dt.date | None = None) -> list[Reminder]:
    """Every bureau that owes something, in register order, with its contact when known."""
    registers = load_registers(settings.form.parent)
    known = contacts(settings.mail.contacts, registers)
    found = []
    for bureau in registers.bureaus:
        owed = what_is_owed(ledger, settings, bureau)
        if owed is None:
            continue
        text = message(settings, bureau.name, owed[1], today or dt.date.today())
        contact, address = known.get(bureau.name, ("", ""))
        found.append(Reminder(bureau.name, owed[0], text, contact, address))
    return found


def send(mail: Mail, batch: str, found: list[Reminder]) -> list[Reminder]:
    """Send each reminder that has an address over one SMTP connection; each gets its outcome
    (a server that cannot be reached is an outcome too: the notices are still written)."""
    if not mail.host:
        return [replace(r, outcome="未配置邮件服务器（beian.toml 的 [mail]）") for r in found]
    out: dict[str, Reminder] = {}
    try:
        with smtplib.SMTP(mail.host, mail.port, timeout=30) as smtp:
            if mail.starttls:
                smtp.starttls()
            for r in found:
                out[r.bureau] = replace(r, outcome=_deliver(smtp, mail, batch, r))
    except (OSError, smtplib.SMTPException) as exc:
        failed = f"无法连接邮件服务器 {mail.host}:{mail.port}（{exc}）"
        out.update({r.bureau: replace(r, outcome=failed) for r in found if r.bureau not in out})
    return [out[r.bureau] for r in found]


def _deliver(smtp: smtplib.SMTP, mail: Mail, batch: str, r: Reminder) -> str:
    if not r.email:
        return "contacts.csv 中没有该单位的邮箱"
    note = EmailMessage()
    note["From"], note["To"] = mail.sender, r.email
    note["Subject"] = f"【催报】{batch}众创空间备案：{r.reason}"
    note.set_content(r.message)
    try:
        smtp.send_message(note)
    except smtplib.SMTPRecipientsRefused as exc:
        return f"发送失败：{exc}"
    return "已发送"


def write_notices(path: Path, found: list[Reminder]) -> Path:
    """催报通知.csv, UTF-8 with BOM so Excel opens it."""
    frame = pd.DataFrame(
        [(r.bureau, r.contact, r.email, r.reason, r.message, r.outcome) for r in found],
        columns=COLUMNS,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda tmp: write_frame_csv(frame, tmp, bom=True))
    return path


def remind(settings: Settings, who: str, address: str = "") -> tuple[Path, list[Reminder]]:
    """Write 催报通知.csv, send what can be sent, and audit each sending."""
    ledger = Ledger(settings.ledger)
    try:
        found = send(settings.mail, settings.batch, reminders(settings, ledger))
        now = dt.datetime.now().isoformat(sep=" ", timespec="seconds")
        with ledger.transaction() as db:
            db.executemany(
                "INSERT INTO audit (time, account, address, action, original, outcome) "
                "VALUES (?,?,?,?,?,?)",
                [
                    (now, who, address, "催报邮件", f"{r.bureau} <{r.email}>", r.outcome)
                    for r in found
                    if r.email
                ],
            )
    finally:
        ledger.close()
    path = write_notices(settings.batch_dir / NOTICES, found)
    return path, found
