"""``beian schedule --install``: hand the fitting line of pipeline/schedule.py to the system.

The one place beian runs the system's own tools besides LibreOffice: ``crontab`` (the user's
table, read with ``-l`` and written back whole through ``crontab -``), ``systemctl --user`` (the
units written to the user's systemd folder first), or ``schtasks``. Installing again replaces
the folder's earlier entry instead of adding a second night.
"""

from __future__ import annotations

import os
import subprocess
from functools import partial
from pathlib import Path

from pipeline.core.atomic import write_atomic, write_text
from pipeline.core.errors import OutputError, write_failure
from pipeline.schedule import Night, crontab_line, fitting, schtasks_argv, systemd_units

CRON_MARK = "# beian: "
"""The comment above a batch folder's crontab line, so a second install finds and replaces it."""


def _tool(argv: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            argv, input=stdin, capture_output=True, text=True, encoding="utf-8", check=False
        )
    except OSError as exc:
        raise OutputError(
            f"无法运行 {argv[0]}（{exc.strerror or exc}）；每晚的任务没有安装。"
        ) from exc


def _checked(argv: list[str], stdin: str | None = None) -> str:
    done = _tool(argv, stdin)
    if done.returncode != 0:
        raise OutputError(
            f"{' '.join(argv)} 失败（退出码 {done.returncode}）：{done.stderr.strip()}；"
            "每晚的任务没有安装。"
        )
    return done.stdout


def merged_crontab(existing: str, night: Night) -> str:
    """The user's crontab with this folder's night in it once: an earlier line for the same
    folder (found by its comment) is replaced, every other line kept as it was."""
    mark = CRON_MARK + str(night.folder)
    kept: list[str] = []
    skip = False
    for line in existing.splitlines():
        if skip:
            skip = False
        elif line == mark:
            skip = True
        else:
            kept.append(line)
    return "\n".join([*kept, mark, crontab_line(night)]) + "\n"


def install_crontab(night: Night) -> str:
    listed = _tool(["crontab", "-l"])
    # With no table yet, crontab -l fails and says so ("no crontab for <user>").
    existing = listed.stdout if listed.returncode == 0 else ""
    if listed.returncode != 0 and "no crontab" not in listed.stderr:
        _checked(["crontab", "-l"])
    _checked(["crontab", "-"], merged_crontab(existing, night))
    return "已写入当前用户的 crontab（crontab -l 可查看）。"


def systemd_user_dir() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "systemd" / "user"


def install_systemd(night: Night) -> str:
    folder = systemd_user_dir()
    try:
        for name, text in systemd_units(night).items():
            write_atomic(folder / name, partial(write_text, text=text))
    except OSError as exc:
        raise write_failure(exc, "systemd 定时器") from exc
    _checked(["systemctl", "--user", "daemon-reload"])
    _checked(["systemctl", "--user", "enable", "--now", f"{night.unit}.timer"])
    return (
        f"已安装并启用 {folder / night.unit}.timer（systemctl --user list-timers 可查看）。"
        "未登录时也要运行，请执行一次：loginctl enable-linger"
    )


def install_schtasks(night: Night) -> str:
    _checked(schtasks_argv(night))
    return f"已在任务计划程序中建立任务“{night.task}”。"


def install(night: Night) -> str:
    """Install the night with the scheduler that fits this machine; what was done, in Chinese."""
    return {"crontab": install_crontab, "systemd": install_systemd, "schtasks": install_schtasks}[
        fitting()
    ](night)
