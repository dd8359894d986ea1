"""The options the commands share, defined once (as frictionless's ``console/common.py`` does):
each command of pipeline/cli.py lists the ones it takes. Help texts are Chinese, like every
message beian prints.
"""

from __future__ import annotations

from pathlib import Path

import typer

CONFIG = typer.Option(
    None, "--config", "-c", metavar="文件", help="配置文件（默认：当前文件夹的 beian.toml）。"
)
INBOX = typer.Option(
    None, "--inbox", metavar="文件夹", help="收件箱文件夹：各推荐单位报送的附件3。"
)
OUTBOX = typer.Option(
    None,
    "--outbox",
    metavar="文件夹",
    help="输出文件夹：汇总表、回执、CSV 写在其中以批次名称命名的文件夹里。",
)
LEDGER = typer.Option(None, "--ledger", metavar="文件", help="台账文件（SQLite）。")
BATCH = typer.Option(None, "--batch", metavar="名称", help="批次名称，如 2016年度第二批。")
DEADLINE = typer.Option(
    None, "--deadline", metavar="日期", help="报送截止日期 YYYY-MM-DD（成立时间据此判断）。"
)
PRIOR = typer.Option(
    None,
    "--prior",
    metavar="文件",
    help="往批汇总表（可重复），可写成 批次名=文件，如 2016年度首批=prior/首批.xlsx；"
    "给出时取代配置中的往批。",
)
WAIT = typer.Option(
    5.0,
    "--wait",
    metavar="秒",
    show_default=False,
    help="另一个运行持有锁时最多等待的秒数（默认 5）。",
)
LOG = typer.Option(
    None,
    "--log",
    metavar="文件",
    help="把本次的汇总结果、提示和失败原因追加到日志文件（按大小轮转）；"
    "也可在 beian.toml 的 [paths] 中写 log。",
)
FILES = typer.Argument(
    ...,
    metavar="文件或文件夹…",
    help="要检查的附件3文件，或装有它们的文件夹（可多个）；可同时给出附件1（.docx），"
    "附件1将与附件3逐项核对。",
)
FEEDBACK_OUT = typer.Option(
    None, "--out", metavar="文件夹", help="回执写入的文件夹（默认：与被检查的文件相同）。"
)
BUREAU = typer.Option(
    None,
    "--bureau",
    metavar="名称",
    help="推荐单位名称，预先填入盖章行（如 长沙市科学技术局）。",
)
JSON = typer.Option(
    False, "--json", help="以 JSON 输出检查结果（即 pipeline.check() 返回的记录），便于脚本处理。"
)
TEMPLATE_OUT = typer.Option(
    Path("."),
    "--out",
    metavar="文件夹",
    show_default=False,
    help="模板写入的文件夹（默认：当前文件夹）。",
)
HOST = typer.Option("127.0.0.1", "--host", metavar="地址", help="监听地址；默认只在本机可访问。")
PORT = typer.Option(8016, "--port", metavar="端口", help="端口。")
ACCOUNTS_OUT = typer.Option(
    None,
    "--out",
    metavar="文件",
    help="写出新登录码的 CSV 文件（bureau,role,code；默认 登录码.csv，已存在时另写一个新文件）。",
)
FORCE = typer.Option(False, "--force", help="允许覆盖 --out 指定的已有登录码文件。")
RESET = typer.Option(
    None, "--reset", metavar="名称", help="为一个账号换发登录码：推荐单位名称，或“管理员”。"
)
INIT_DIR = typer.Argument(
    ..., metavar="文件夹", help="新批次文件夹（不存在则新建；已有批次的文件夹不会被覆盖）。"
)
AT = typer.Option("02:00", "--at", metavar="时刻", help="每晚运行的时刻，24 小时制 HH:MM。")
INSTALL = typer.Option(
    False,
    "--install",
    help="直接安装适合这台机器的一种（Windows 任务计划程序、crontab 或 systemd 用户定时器）。",
)
