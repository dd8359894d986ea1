"""What ``beian init`` and ``beian schedule`` print: the folder made and the next steps, and the
scheduler lines, each whole on its own line (never wrapped, so it can be copied as printed)."""

from __future__ import annotations

import shlex

from rich.markup import escape

from pipeline.consoles import console
from pipeline.schedule import (
    Night,
    crontab_line,
    schtasks_line,
    schtasks_warnings,
    systemd_units,
)
from pipeline.schedule_install import systemd_user_dir
from pipeline.state.batchdir import BatchFolder


def _plain(text: str = "") -> None:
    console.print(text, soft_wrap=True, markup=False, highlight=False)


def print_init(made: BatchFolder) -> None:
    console.print(f"已新建批次文件夹：{escape(str(made.folder))}", soft_wrap=True)
    for name in ("beian.toml", "inbox/", "prior/", "outbox/"):
        _plain(f"  {name}")
    _plain(
        "下一步：核对 beian.toml 中的批次名称和截止日期；把各推荐单位报送的文件放进 inbox/；"
        "在这个文件夹中运行 beian run 试一次，再运行 beian schedule 安排每晚自动汇总。"
    )


def print_schedule(night: Night) -> None:
    units = systemd_units(night)
    folder = systemd_user_dir()
    _plain(f"批次文件夹：{night.folder}")
    _plain(f"每晚 {night.at:%H:%M} 运行：{shlex.join(night.argv)}")
    _plain(f"日志：{night.log}")
    _plain()
    _plain("Linux/macOS，crontab（运行 crontab -e，把下面一行加到末尾）：")
    _plain(crontab_line(night))
    _plain()
    enable = f"systemctl --user enable --now {night.unit}.timer"
    _plain(f"Linux，systemd 用户定时器（写成下面两个文件，再运行 {enable}）：")
    for name, text in units.items():
        _plain(f"# {folder / name}")
        _plain(text)
    _plain("Windows，任务计划程序（在“命令提示符”cmd 中运行一次）：")
    _plain(schtasks_line(night))
    for note in schtasks_warnings(night):
        _plain(f"注意：{note}")
    _plain()
    _plain("也可以让 beian 自动安装适合这台机器的一种：beian schedule --install")
