"""催报 (SPEC §14): ``beian remind`` writes 催报通知.csv for exactly the bureaus that owe something
and mails those with an address to a real SMTP server started on loopback (aiosmtpd)."""

from __future__ import annotations

import csv
import socket
import sqlite3
from collections.abc import Iterator
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from conftest import good_row
from test_end_to_end import runner
from test_over_time import Night, night, nightly  # noqa: F401
from test_review import review

from pipeline.cli import app
from pipeline.core.config import Settings

CONTACTS = [
    ("长沙市科学技术局", "李娜", "changsha@example.cn"),
    ("株洲市科技局", "王强", "zhuzhou@example.cn"),
    ("湘潭市科学技术局", "赵敏", "xiangtan@example.cn"),
    ("衡阳市科学技术局", "陈刚", "hengyang@example.cn"),
]


class Inbox:
    """aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def batch(settings: Settings, port: int | None) -> None:
    """beian.toml beside the inbox, with [mail] when ``port`` is given, and a GBK contacts.csv."""
    mail = (
        f'[mail]\nhost = "127.0.0.1"\nport = {port}\nsender = "scs@example.cn"\n'
        'site = "http://192.168.1.10:8016/"\n'
        if port
        else ""
    )
    (settings.inbox.parent / "beian.toml").write_text(
        '[batch]\nname = "2016年度第二批"\ndeadline = "2016-04-14"\n'
        '[paths]\ninbox = "inbox"\noutbox = "outbox"\nledger = "ledger.sqlite"\n' + mail,
        encoding="utf-8",
    )
    with (settings.inbox.parent / "contacts.csv").open("w", encoding="gbk", newline="") as f:
        csv.writer(f).writerows([("推荐单位", "联系人", "邮箱"), *CONTACTS])


@pytest.fixture
def owed(settings: Settings, make_workbook, night: Night, monkeypatch) -> Settings:  # noqa: F811
    """长沙 sent a good file; 株洲 a refused one; 湘潭 a good one, then a space was 退回."""
    monkeypatch.chdir(settings.inbox.parent)
    make_workbook([good_row()], name="长沙/a.xlsx")
    (settings.inbox / "株洲").mkdir()
    (settings.inbox / "株洲" / "株洲市科技局.csv").write_text("名单\n甲,乙\n", encoding="utf-8")
    make_workbook([good_row(name="湘江创业营")], name="湘潭/b.xlsx", stamp="湘潭市科学技术局")
    batch(settings, None)
    night(1)
    nightly(settings)
    answer = review(settings, [["湘潭市科学技术局", "湘江创业营", "退回", "请补充场地证明"]])
    assert "已记录 1 条" in answer.output
    return settings


def remind(settings: Settings) -> list[dict[str, str]]:
    answer = runner.invoke(app, ["remind"], catch_exceptions=False)
    assert answer.exit_code == 0, answer.output
    data = (settings.batch_dir / "催报通知.csv").read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(data.splitlines()))


def test_exactly_the_bureaus_that_owe_get_mail(owed: Settings, smtp) -> None:
    inbox, port = smtp
    batch(owed, port)
    notices = {n["推荐单位"]: n for n in remind(owed)}
    assert "长沙市科学技术局" not in notices
    assert len(notices) == 19  # 20 bureaus, 长沙 owes nothing
    assert notices["株洲市科学技术局"]["原因"] == "文件未通过"
    assert notices["湘潭市科学技术局"]["原因"] == "有退回"
    assert notices["衡阳市科学技术局"]["原因"] == "未报送"
    assert "请补充场地证明" in notices["湘潭市科学技术局"]["通知内容"]
    assert "2016-04-14" in notices["衡阳市科学技术局"]["通知内容"]
    assert "http://192.168.1.10:8016/" in notices["衡阳市科学技术局"]["通知内容"]
    assert notices["衡阳市科学技术局"]["发送结果"] == "已发送"
    assert notices["岳阳市科学技术局"]["发送结果"] == "contacts.csv 中没有该单位的邮箱"

    sent = {
        tuple(to): message_from_bytes(body, policy=policy.default) for to, body in inbox.messages
    }
    assert set(sent) == {
        ("zhuzhou@example.cn",),
        ("xiangtan@example.cn",),
        ("hengyang@example.cn",),
    }
    letter = sent[("xiangtan@example.cn",)]
    assert letter["Subject"] == "【催报】2016年度第二批众创空间备案：有退回"
    assert "湘江创业营（请补充场地证明）" in letter.get_content()

    audit = sqlite3.connect(owed.ledger).execute(
        "SELECT original, outcome FROM audit WHERE action = '催报邮件' ORDER BY original"
    )
    assert sorted(audit.fetchall()) == [
        ("株洲市科学技术局 <zhuzhou@example.cn>", "已发送"),
        ("湘潭市科学技术局 <xiangtan@example.cn>", "已发送"),
        ("衡阳市科学技术局 <hengyang@example.cn>", "已发送"),
    ]


def test_without_mail_the_notices_are_still_written(owed: Settings, smtp) -> None:
    inbox, _ = smtp
    notices = remind(owed)
    assert len(notices) == 19
    assert {n["发送结果"] for n in notices} == {"未配置邮件服务器（beian.toml 的 [mail]）"}
    assert inbox.messages == []


def test_a_server_that_cannot_be_reached_is_an_outcome(owed: Settings) -> None:
    batch(owed, free_port())  # nobody listens there
    notices = remind(owed)
    assert len(notices) == 19
    assert all(n["发送结果"].startswith("无法连接邮件服务器 127.0.0.1") for n in notices)


def test_a_mail_section_with_a_wrong_type_is_refused(owed: Settings) -> None:
    batch(owed, None)
    config = owed.inbox.parent / "beian.toml"
    config.write_text(config.read_text(encoding="utf-8") + '[mail]\nstarttls = "yes"\n', "utf-8")
    answer = runner.invoke(app, ["remind"], catch_exceptions=False)
    assert answer.exit_code == 2
    assert "[mail] 的 starttls 应为true 或 false，现在是“yes”（文本）。" in answer.output
