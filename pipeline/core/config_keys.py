"""Every key ``beian.toml`` may hold, one line each (section, name, type, default, meaning): the
registry the config reader checks a file against, the manual's table is checked against, and
``beian init`` writes its commented file from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Key:
    """One setting of beian.toml. ``section`` ending in ``[]`` is an array of tables
    (``[[prior]]``), each of whose entries must carry every key without a default."""

    section: str
    name: str
    kind: type | tuple[type, ...]
    default: Any
    meaning: str

    @property
    def dotted(self) -> str:
        return f"{self.section.removesuffix('[]')}.{self.name}"


REQUIRED = object()
"""The default of a key every entry of its array of tables must give."""

KEYS: tuple[Key, ...] = (
    Key("batch", "name", str, "2016年度第二批", "批次名称，也是输出文件夹名"),
    Key("batch", "deadline", (str, dt.date), "2016-04-14", "报送截止日期 YYYY-MM-DD"),
    Key("batch", "min_age_months", int, 6, "成立满多少个月（截止日期前）"),
    Key(
        "batch",
        "form",
        str,
        "annex3_2016",
        "表样名称（随 beian 安装，如 annex3_2016），或表样定义文件的路径",
    ),
    Key("paths", "inbox", str, "inbox", "收件箱文件夹"),
    Key("paths", "outbox", str, "outbox", "输出文件夹"),
    Key("paths", "ledger", str, "beian-ledger.sqlite", "台账文件（SQLite）"),
    Key("paths", "decisions", str, "decisions.csv", "疑似重复的人工处理意见"),
    Key("paths", "log", str, "", "夜间运行日志（追加、轮转；空则不写）"),
    Key("limits", "memory_mb", int, 1024, "读取一个文件可用的内存上限（MB，不含空闲工作进程）"),
    Key("limits", "seconds_per_file", (int, float), 60, "读取一个文件的时间上限（秒）"),
    Key("mail", "host", str, "", "发送催报邮件的 SMTP 服务器（空则只写催报通知.csv）"),
    Key("mail", "port", int, 25, "SMTP 端口"),
    Key("mail", "sender", str, "", "发件人地址"),
    Key("mail", "starttls", bool, False, "是否用 STARTTLS 加密连接"),
    Key("mail", "site", str, "", "网上报送站点的地址（写入催报通知）"),
    Key(
        "site",
        "trusted_proxies",
        list,
        [],
        "网上报送前面的反向代理地址（IP 或网段）；只采信来自这些地址的 X-Forwarded-For/-Proto",
    ),
    Key("site", "uploads_per_day", int, 50, "网上报送每个推荐单位每天最多上传几次"),
    Key("limits", "seconds_per_page", (int, float), 30, "识别扫描件一页的时间上限（秒，需 OCR）"),
    Key("prior[]", "name", str, REQUIRED, "往批名称"),
    Key("prior[]", "path", str, REQUIRED, "往批汇总表文件"),
)

KIND_NAMES = {
    str: "文本（加英文引号）",
    int: "整数",
    float: "小数",
    bool: "true 或 false",
    dt.date: "日期",
    list: '列表（如 ["10.0.0.5"]）',
}
VALUE_NAMES = {
    str: "文本",
    int: "整数",
    float: "小数",
    bool: "true/false",
    list: "列表",
    dict: "表",
}
