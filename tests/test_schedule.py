"""``beian schedule`` (SPEC §13): the printed lines run tonight's consolidation from anywhere with
a bare environment, and each is quoted by the rules of whatever reads it."""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path, PureWindowsPath

import pytest
from conftest import REPO
from hypothesis import given
from hypothesis import strategies as st
from test_golden import OLD
from test_operator import beian, lines

from pipeline import consoles
from pipeline.core.errors import ConfigError, OutputError
from pipeline.schedule import (
    Night,
    crontab_command,
    crontab_line,
    fitting,
    schtasks_argv,
    schtasks_line,
    schtasks_warnings,
    systemd_units,
    this_beian,
    win_cmdline,
)
from pipeline.schedule_install import install_crontab, install_systemd, merged_crontab

POSIX_ONLY = pytest.mark.skipif(os.name == "nt" or not shutil.which("env"), reason="env -i")


@pytest.fixture
def narrow() -> Iterator[None]:
    """A 40-column console: the lines must still come out whole, to be copied as printed."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(consoles.console, "_width", 40)
        yield


def windows_argv(line: str) -> list[str]:
    """``line`` split as the Microsoft C runtime splits a command line (the rules
    ``subprocess.list2cmdline`` writes for): 2n backslashes before a quote are n and the quote
    opens or closes, 2n+1 are n and a literal quote; other backslashes are themselves."""
    args: list[str] = []
    current: list[str] = []
    quoted = started = False
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\":
            end = i
            while end < len(line) and line[end] == "\\":
                end += 1
            count = end - i
            if end < len(line) and line[end] == '"':
                current.append("\\" * (count // 2) + ('"' if count % 2 else ""))
                i = end + 1 if count % 2 else end
            else:
                current.append("\\" * count)
                i = end
            started = True
        elif char == '"':
            quoted, started, i = not quoted, True, i + 1
        elif char in " \t" and not quoted:
            if started:
                args.append("".join(current))
            current, started, i = [], False, i + 1
        else:
            current.append(char)
            started, i = True, i + 1
    if started:
        args.append("".join(current))
    return args


WINDOWS_NIGHT = Night(
    folder=PureWindowsPath(r"D:\备案 工作\2016年度 第二批"),
    launcher=(r"C:\Users\张 三\AppData\Roaming\Python\Python311\Scripts\beian.exe",),
    at=dt.time(2, 0),
    batch="2016年度第二批",
)


def test_the_windows_line_reads_back_to_the_task_and_its_command() -> None:
    line = schtasks_line(WINDOWS_NIGHT)
    task = f'/TN "{WINDOWS_NIGHT.unit} 2016年度第二批" /TR "'
    assert line.startswith(f"schtasks /Create /F /SC DAILY /ST 02:00 {task}")
    argv = windows_argv(line)
    assert argv == schtasks_argv(WINDOWS_NIGHT)
    assert windows_argv(argv[-1]) == [
        r"C:\Users\张 三\AppData\Roaming\Python\Python311\Scripts\beian.exe",
        "run",
        "--config",
        r"D:\备案 工作\2016年度 第二批\beian.toml",
        "--log",
        r"D:\备案 工作\2016年度 第二批\beian.log",
    ]
    assert schtasks_warnings(WINDOWS_NIGHT) == []


WINDOWS_ARG = st.text(alphabet='ab 张三批:\\"\t&()%^;=', max_size=12)


@given(st.lists(WINDOWS_ARG, min_size=1, max_size=5))
def test_any_arguments_read_back_as_written(args: list[str]) -> None:
    assert windows_argv(win_cmdline(args)) == args


@given(st.lists(st.text(alphabet=st.sampled_from(list("ab 张三\\")), max_size=10), max_size=5))
def test_where_list2cmdline_quotes_the_line_is_list2cmdline(args: list[str]) -> None:
    assert win_cmdline(args) == subprocess.list2cmdline(args)


def test_a_windows_command_too_long_or_with_cmd_characters_is_flagged() -> None:
    deep = Night(PureWindowsPath("D:\\" + "很长的文件夹名" * 30), ("beian.exe",), dt.time(2), "b")
    assert "schtasks 最多接受 261 个" in schtasks_warnings(deep)[0]
    odd = Night(PureWindowsPath(r"D:\R&D 批次"), ("beian.exe",), dt.time(2), "b")
    assert "cmd 会处理的字符 &" in schtasks_warnings(odd)[0]


def test_cron_and_systemd_quote_percent_dollar_and_quotes() -> None:
    night = Night(Path("/srv/备案 100%/it's $HOME"), ("/opt/be an/bin/beian",), dt.time(1, 5), "b")
    line = crontab_line(night)
    assert line.startswith("5 1 * * * cd ")
    assert "%" not in line.replace("\\%", "")
    assert shlex.split(crontab_command(line)) == ["cd", str(night.folder), "&&", *night.argv]
    service = systemd_units(night)[f"{night.unit}.service"]
    exec_start = next(x for x in service.splitlines() if x.startswith("ExecStart="))
    assert systemd_argv(exec_start) == night.argv
    assert "WorkingDirectory=/srv/备案 100%%/it's $HOME\n" in service


def systemd_argv(exec_start: str) -> list[str]:
    """ExecStart= split as systemd splits it, for the quoting our lines use (double quotes with
    C escapes, ``%%`` and ``$$`` for a literal ``%`` and ``$``)."""
    value = exec_start.removeprefix("ExecStart=")
    return [a.replace("%%", "%").replace("$$", "$") for a in shlex.split(value)]


def test_the_launcher_is_this_beian(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The console script beside this Python when there is one (a venv's bin, as given, not
    resolved through its link), else this Python with -m pipeline."""
    scripts = tmp_path / "beian env" / ("Scripts" if os.name == "nt" else "bin")
    scripts.mkdir(parents=True)
    python = scripts / ("python.exe" if os.name == "nt" else "python")
    python.write_bytes(b"")
    monkeypatch.setattr(sys, "executable", str(python))
    monkeypatch.setattr(sysconfig, "get_path", lambda *args: str(tmp_path / "elsewhere"))
    assert this_beian() == (str(python), "-m", "pipeline")
    script = scripts / ("beian.exe" if os.name == "nt" else "beian")
    script.write_bytes(b"")
    assert this_beian() == (str(script),)


def test_schedule_without_a_batch_folder_says_how_to_make_one(tmp_path: Path) -> None:
    result = beian("schedule", "--config", tmp_path / "beian.toml")
    assert result.exit_code == 2
    assert "先运行 beian init 文件夹" in lines(result)[0]


def test_schedule_refuses_a_time_that_is_not_one(tmp_path: Path) -> None:
    assert beian("init", tmp_path / "b").exit_code == 0
    result = beian("schedule", "--at", "25:00", "--config", tmp_path / "b" / "beian.toml")
    assert result.exit_code == 2
    assert lines(result) == ["错误：--at “25:00”不是时刻；请写成 24 小时制的 HH:MM，如 02:00。"]


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    """A batch folder made by ``beian init`` under a path with spaces and Chinese, holding the
    shipped sample's inbox (old modification times: nothing is deferred)."""
    folder = tmp_path / "备案 工作" / "第二批 2016"
    assert beian("init", folder).exit_code == 0
    shutil.copytree(REPO / "inbox", folder / "inbox", dirs_exist_ok=True)
    for path in (folder / "inbox").rglob("*"):
        os.utime(path, (OLD, OLD))
    return folder


def printed(batch: Path) -> list[str]:
    result = beian("schedule", "--at", "02:30", "--config", batch / "beian.toml")
    assert result.exit_code == 0, result.output
    return lines(result)


def test_schedule_prints_all_three_forms(batch: Path, narrow: None) -> None:
    out = printed(batch)
    assert f"批次文件夹：{batch}" in out and f"日志：{batch / 'beian.log'}" in out
    assert sum(1 for x in out if re.match(r"30 2 \* \* \* cd ", x)) == 1
    assert sum(1 for x in out if x.startswith("ExecStart=")) == 1
    assert "OnCalendar=*-*-* 02:30:00" in out
    assert sum(1 for x in out if x.startswith("schtasks /Create ")) == 1


@pytest.mark.slow
@POSIX_ONLY
def test_the_crontab_and_systemd_lines_run_the_night_with_env_i(
    batch: Path, tmp_path: Path, narrow: None
) -> None:
    """Executed as printed, with no environment at all and from another folder: the first runs
    the sample night and writes the log, the second finds nothing new and says so there too."""
    out = printed(batch)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cron = crontab_command(next(x for x in out if re.match(r"30 2 \* \* \* ", x)))
    done = subprocess.run(["env", "-i", "/bin/sh", "-c", cron], cwd=elsewhere, check=False)
    assert done.returncode == 0
    log = (batch / "beian.log").read_text(encoding="utf-8")
    assert log.count("==== beian run ") == 1 and "结果：完成" in log
    assert "数据行 74：受理 58" in log
    assert (batch / "outbox" / "2016年度第二批" / "dispositions.csv").is_file()
    assert len(list((batch / "backups").iterdir())) == 1
    exec_start = next(x for x in out if x.startswith("ExecStart="))
    done = subprocess.run(["env", "-i", *systemd_argv(exec_start)], cwd=elsewhere, check=False)
    assert done.returncode == 0
    log = (batch / "beian.log").read_text(encoding="utf-8")
    assert log.count("==== beian run ") == 2 and "没有变化" in log.split("==== beian run ")[2]
    assert list(elsewhere.iterdir()) == []


FAKE_CRONTAB = """#!/bin/sh
# A user's crontab kept in a file beside this script: -l lists it, - replaces it.
table="$(dirname "$0")/table"
if [ "$1" = "-l" ]; then
    [ -f "$table" ] || { echo "no crontab for clerk" >&2; exit 1; }
    cat "$table"
else
    cat > "$table"
fi
"""


@POSIX_ONLY
def test_install_writes_the_users_crontab_once_and_keeps_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = tmp_path / "bin" / "crontab"
    tool.parent.mkdir()
    tool.write_text(FAKE_CRONTAB, encoding="utf-8")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tool.parent}{os.pathsep}{os.environ['PATH']}")
    night = Night(tmp_path / "批次 一", ("/opt/beian",), dt.time(2), "b")
    install_crontab(night)  # no crontab yet
    (tmp_path / "bin" / "table").write_text(
        (tmp_path / "bin" / "table").read_text(encoding="utf-8") + "0 8 * * * backup\n",
        encoding="utf-8",
    )
    install_crontab(Night(night.folder, night.launcher, dt.time(3), "b"))
    table = (tmp_path / "bin" / "table").read_text(encoding="utf-8").splitlines()
    assert table == [
        "0 8 * * * backup",
        f"# beian: {night.folder}",
        crontab_line(Night(night.folder, night.launcher, dt.time(3), "b")),
    ]


def test_merging_replaces_only_this_folders_line() -> None:
    one = Night(Path("/a"), ("/beian",), dt.time(2), "b")
    other = Night(Path("/b"), ("/beian",), dt.time(2), "b")
    table = merged_crontab(merged_crontab("", one), other)
    assert merged_crontab(table, one).splitlines() == [
        "# beian: /b",
        crontab_line(other),
        "# beian: /a",
        crontab_line(one),
    ]


def fake_tool(folder: Path, name: str, script: str) -> None:
    tool = folder / name
    folder.mkdir(exist_ok=True)
    tool.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    tool.chmod(0o755)


@POSIX_ONLY
def test_the_fitting_scheduler_is_the_one_the_machine_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert fitting("win32") == "schtasks"
    with pytest.raises(ConfigError, match="没有 crontab，也没有 systemctl"):
        fitting("linux")
    fake_tool(tmp_path / "bin", "systemctl", "exit 0\n")
    assert fitting("linux") == "systemd"
    fake_tool(tmp_path / "bin", "crontab", "exit 0\n")
    assert fitting("linux") == "crontab"


@POSIX_ONLY
def test_install_writes_the_user_units_and_enables_the_timer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "calls"
    fake_tool(tmp_path / "bin", "systemctl", f'echo "$*" >> "{calls}"\n')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    night = Night(tmp_path / "批次 一", ("/opt/beian",), dt.time(2), "b")
    message = install_systemd(night)
    units = tmp_path / "config" / "systemd" / "user"
    for name, text in systemd_units(night).items():
        assert (units / name).read_text(encoding="utf-8") == text
    assert calls.read_text(encoding="utf-8").splitlines() == [
        "--user daemon-reload",
        f"--user enable --now {night.unit}.timer",
    ]
    assert "loginctl enable-linger" in message


@POSIX_ONLY
def test_a_scheduler_that_fails_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_tool(tmp_path / "bin", "systemctl", 'echo "Failed to connect to bus" >&2; exit 1\n')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    night = Night(tmp_path / "b", ("/opt/beian",), dt.time(2), "b")
    with pytest.raises(OutputError) as failed:
        install_systemd(night)
    assert str(failed.value) == (
        "systemctl --user daemon-reload 失败（退出码 1）：Failed to connect to bus；"
        "每晚的任务没有安装。"
    )
