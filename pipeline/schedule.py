"""``beian schedule``: the exact lines that run tonight's consolidation unattended.

A scheduler starts a command with next to nothing: cron and ``env -i`` give no PATH worth the
name, no virtual environment, no working folder; Task Scheduler starts in System32. So every
line names this beian's own executable (the console script beside this Python, else
``python -m pipeline``) and the batch folder by absolute path, and passes ``--config`` and
``--log`` so nothing depends on where it starts. Each form is quoted by its own rules: the
POSIX shell for crontab (with cron's ``%``), systemd's for the service, and the Microsoft C
runtime's (as ``subprocess.list2cmdline``) for ``schtasks``, whose ``/TR`` is a command line
inside a command line. ``--install`` hands the fitting one to the system's own tool.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shlex
import sys
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from pipeline.core.config import DEFAULT_CONFIG, load_settings
from pipeline.core.errors import ConfigError

LOG_NAME = "beian.log"
SCHTASKS_TR_MAX = 261
"""The longest command ``schtasks /TR`` accepts."""
_WIN_SPECIAL = frozenset(' \t"&|<>^(),;=%!')
"""Characters after which cmd or the C runtime would split or read an argument: quote it."""
_SYSTEMD_SPECIAL = frozenset(" \t\n\"'\\;")
"""Characters after which systemd would split or unescape an ExecStart argument."""
_CMD_UNSAFE = frozenset("&|<>^%!")
"""Characters cmd still acts on inside the nested quotes of /TR."""


@dataclass(frozen=True)
class Night:
    """One batch folder's nightly run: what to start, where, and when."""

    folder: PurePath
    launcher: tuple[str, ...]
    at: dt.time
    batch: str

    @property
    def config(self) -> PurePath:
        return self.folder / DEFAULT_CONFIG

    @property
    def log(self) -> PurePath:
        return self.folder / LOG_NAME

    @property
    def argv(self) -> list[str]:
        """The whole command: this beian, ``run`` with the folder's settings and its log."""
        return [*self.launcher, "run", "--config", str(self.config), "--log", str(self.log)]

    @property
    def unit(self) -> str:
        """A systemd unit name of this folder: ASCII, stable, one per batch folder."""
        return "beian-" + hashlib.sha256(str(self.folder).encode("utf-8")).hexdigest()[:10]

    @property
    def task(self) -> str:
        """The scheduled task's name: the unit's, so two folders of one batch name never
        replace each other's night, and the batch a clerk recognises."""
        return f"{self.unit} {self.batch}"


def this_beian() -> tuple[str, ...]:
    """The command that starts the beian running now: its console script beside this Python (a
    virtual environment's ``bin``/``Scripts``, the install's or the user's scripts folder), else
    this Python with ``-m pipeline``. The interpreter's path is kept as given, not resolved: a
    virtual environment's python is a link whose target knows nothing of the environment."""
    python = Path(sys.executable).absolute()
    name = "beian.exe" if os.name == "nt" else "beian"
    user = f"{os.name}_user"
    folders = [python.parent, Path(sysconfig.get_path("scripts"))]
    if user in sysconfig.get_scheme_names():
        folders.append(Path(sysconfig.get_path("scripts", user)))
    for folder in dict.fromkeys(folders):
        if (folder / name).is_file():
            return (str(folder / name),)
    return (str(python), "-m", "pipeline")


def parse_at(text: str) -> dt.time:
    """``--at 02:00``: the time of night, HH:MM on a 24-hour clock."""
    try:
        hour, minute = (int(part) for part in text.split(":"))
        return dt.time(hour, minute)
    except ValueError as exc:
        raise ConfigError(f"--at “{text}”不是时刻；请写成 24 小时制的 HH:MM，如 02:00。") from exc


def night_for(config: Path | None, at: str) -> Night:
    """The night of the batch folder holding ``config`` (default: this folder's beian.toml)."""
    path = (config or Path(DEFAULT_CONFIG)).absolute()
    if not path.is_file():
        raise ConfigError(
            f"找不到 {path}；beian schedule 为一个批次文件夹安排每晚汇总。请到批次文件夹中运行，"
            "或用 --config 指定它的 beian.toml；还没有批次文件夹时先运行 beian init 文件夹。"
        )
    settings = load_settings(path)
    return Night(path.parent, this_beian(), parse_at(at), settings.batch)


def crontab_line(night: Night) -> str:
    """The crontab line; cron turns an unescaped ``%`` into a new line, so each is escaped."""
    command = f"cd {shlex.quote(str(night.folder))} && {shlex.join(night.argv)}"
    return f"{night.at.minute} {night.at.hour} * * * " + command.replace("%", "\\%")


def crontab_command(line: str) -> str:
    """What cron hands to ``/bin/sh -c`` for ``line``: the fields after the five of the time,
    with cron's ``\\%`` back to ``%`` (the lines here hold no unescaped ``%``)."""
    return line.split(" ", 5)[5].replace("\\%", "%")


def systemd_arg(arg: str) -> str:
    """One argument of ``ExecStart=``: ``%`` (specifiers) and ``$`` (variables) doubled, and in
    double quotes with C escapes when it has a space, a quote, a backslash or a ``;``."""
    doubled = arg.replace("%", "%%").replace("$", "$$")
    if doubled and not _SYSTEMD_SPECIAL & set(arg):
        return doubled
    return '"' + doubled.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_units(night: Night) -> dict[str, str]:
    """The service that runs the night and the timer that starts it, by file name."""
    folder = str(night.folder).replace("%", "%%")
    service = (
        "[Unit]\n"
        f"Description=beian 每晚汇总（{folder}）\n\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"WorkingDirectory={folder}\n"
        f"ExecStart={' '.join(map(systemd_arg, night.argv))}\n"
    )
    timer = (
        "[Unit]\n"
        f"Description=beian 每晚 {night.at:%H:%M} 汇总（{folder}）\n\n"
        "[Timer]\n"
        f"OnCalendar=*-*-* {night.at:%H:%M}:00\n"
        "Persistent=true\n\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )
    return {f"{night.unit}.service": service, f"{night.unit}.timer": timer}


def win_arg(arg: str) -> str:
    """One argument as the Microsoft C runtime reads it back (``subprocess.list2cmdline``'s
    rules), quoted whenever cmd or the runtime could split it, not only at spaces."""
    if arg and not _WIN_SPECIAL & set(arg):
        return arg
    out, slashes = [], 0
    for char in arg:
        if char == "\\":
            slashes += 1
            continue
        out.append("\\" * (slashes * 2 + 1) + '"' if char == '"' else "\\" * slashes + char)
        slashes = 0
    return '"' + "".join(out) + "\\" * (slashes * 2) + '"'


def win_cmdline(args: Sequence[str]) -> str:
    return " ".join(map(win_arg, args))


def schtasks_argv(night: Night) -> list[str]:
    """``schtasks /Create`` of a daily task named after the folder and the batch; ``/F`` replaces
    one of the same name, so running it again after a change is safe."""
    return [
        "schtasks",
        "/Create",
        "/F",
        "/SC",
        "DAILY",
        "/ST",
        f"{night.at:%H:%M}",
        "/TN",
        night.task,
        "/TR",
        win_cmdline(night.argv),
    ]


def schtasks_line(night: Night) -> str:
    return win_cmdline(schtasks_argv(night))


def schtasks_warnings(night: Night) -> list[str]:
    """What keeps the Windows line from working as printed, in Chinese (empty when nothing)."""
    command = win_cmdline(night.argv)
    notes = []
    if len(command) > SCHTASKS_TR_MAX:
        notes.append(
            f"要运行的命令有 {len(command)} 个字符，schtasks 最多接受 {SCHTASKS_TR_MAX} 个："
            "请把批次文件夹放到路径更短的地方，或用 --install（不经过 cmd）。"
        )
    unsafe = sorted(_CMD_UNSAFE & set(command))
    if unsafe:
        notes.append(
            f"路径中有 cmd 会处理的字符 {' '.join(unsafe)}：请不要在 cmd 中粘贴这一行，"
            "改用 beian schedule --install，或把文件夹改名。"
        )
    return notes


def fitting(platform: str = sys.platform) -> str:
    """Which scheduler ``--install`` uses here: ``schtasks`` on Windows, else ``crontab``
    when the machine has it, else a systemd user timer."""
    import shutil

    if platform == "win32":
        return "schtasks"
    if shutil.which("crontab"):
        return "crontab"
    if shutil.which("systemctl"):
        return "systemd"
    raise ConfigError(
        "这台机器上没有 crontab，也没有 systemctl，beian 无法自动安装每晚的任务；"
        "请把上面打印的命令交给系统管理员安排。"
    )
