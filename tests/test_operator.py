"""Mistakes of the operator (SPEC §12): each one a clear Chinese message and its exit code,
never a traceback, never a half-done night. Every test drives the real command line."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import REPO, good_row
from test_end_to_end import read_csv, run_cli
from test_ledger import dump
from test_over_time import snapshot
from typer.testing import CliRunner

from pipeline import __version__
from pipeline.cli import app
from pipeline.core.config import KEYS, Settings
from pipeline.write.workbook import consolidated_name

runner = CliRunner()


def beian(*args: str | Path) -> object:
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False, prog_name="beian")


def lines(result: object) -> list[str]:
    return result.output.splitlines()  # type: ignore[attr-defined]


def first_night(settings: Settings, make_workbook) -> dict[str, tuple[int, str]]:
    """A completed night; returns the outbox and ledger as they stand after it."""
    make_workbook([good_row()])
    assert run_cli(settings).exit_code == 0
    return {**snapshot(settings.outbox), "ledger": dump(settings.ledger)}


def second_bureau(make_workbook) -> None:
    """Another bureau's file arrives: the inbox has changed since the first night."""
    make_workbook(
        [good_row(name="岳麓山创新工场")], name="株洲市科技局.xlsx", stamp="株洲市科学技术局"
    )


def unchanged_since(settings: Settings, before: dict) -> bool:
    return {**snapshot(settings.outbox), "ledger": dump(settings.ledger)} == before


def test_a_completed_night_exits_0(settings: Settings, make_workbook) -> None:
    make_workbook([good_row()])
    assert run_cli(settings).exit_code == 0


def test_check_with_errors_exits_1(tmp_path: Path, make_workbook) -> None:
    path = make_workbook([good_row(mobile="123")])
    result = beian("check", path)
    assert result.exit_code == 1
    assert "E_MOBILE" not in result.output and "手机" in result.output


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def run_with_config(tmp_path: Path, text: str, encoding: str = "utf-8") -> object:
    config = write(tmp_path / "beian.toml", text, encoding)
    return beian("run", "--config", config)


def test_unknown_keys_and_sections_are_named_with_the_nearest_known_one(tmp_path: Path) -> None:
    result = run_with_config(
        tmp_path,
        '[batch]\ndedline = "2016-04-14"\n[paths]\noutbx = "o"\n[priors]\nname = "x"\n',
    )
    assert result.exit_code == 2
    assert lines(result) == [
        f"错误：配置文件 {tmp_path / 'beian.toml'} 有 3 处错误：",
        "  [batch] 的 dedline 不是已知的设置；是不是 deadline？",
        "  [paths] 的 outbx 不是已知的设置；是不是 outbox？",
        "  [priors] 不是已知的设置节；是不是 [[prior]]？",
    ]
    assert not (tmp_path / "outbox").exists()


def test_a_key_far_from_any_lists_the_known_ones(tmp_path: Path) -> None:
    result = run_with_config(tmp_path, '[paths]\nzzz = "o"\n')
    assert result.exit_code == 2
    assert lines(result)[1] == (
        "  [paths] 的 zzz 不是已知的设置；已知的有：inbox、outbox、ledger、decisions、log。"
    )


def test_wrong_types_and_a_prior_without_name_are_errors(tmp_path: Path) -> None:
    result = run_with_config(
        tmp_path, '[batch]\nmin_age_months = "six"\nname = 2016\n[[prior]]\npath = "a.xlsx"\n'
    )
    assert result.exit_code == 2
    assert lines(result)[1:] == [
        "  [batch] 的 min_age_months 应为整数，现在是“six”（文本）。",
        "  [batch] 的 name 应为文本（加英文引号），现在是“2016”（整数）。",
        "  第 1 个 [[prior]] 缺少 name。",
    ]


def test_a_config_that_is_not_toml_says_how_to_write_it(tmp_path: Path) -> None:
    result = run_with_config(tmp_path, "[batch]\nname = 2016年度第二批\n")
    assert result.exit_code == 2
    assert result.output.startswith(f"错误：配置文件 {tmp_path / 'beian.toml'} 格式错误：")
    assert result.output.rstrip().endswith(
        "请对照 beian init 生成的 beian.toml 或使用手册中的示例修改（文本要加英文引号）。"
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_notepad_encodings_are_read(
    tmp_path: Path, settings: Settings, make_workbook, encoding: str
) -> None:
    make_workbook([good_row()])
    config = write(
        tmp_path / "beian.toml",
        '[batch]\nname = "湖南第二批"\n[paths]\ninbox = "inbox"\nledger = "台账.sqlite"\n',
        encoding,
    )
    result = beian("run", "--config", config)
    assert result.exit_code == 0, result.output
    assert (
        tmp_path
        / "outbox"
        / "湖南第二批"
        / consolidated_name(replace(settings, batch="湖南第二批"))
    ).is_file()


def test_bytes_in_no_known_encoding_are_refused(tmp_path: Path) -> None:
    (tmp_path / "beian.toml").write_bytes(b'[batch]\nname = "\x81\x20"\n')
    result = beian("run", "--config", tmp_path / "beian.toml")
    assert result.exit_code == 2
    assert lines(result) == [
        f"错误：配置文件 {tmp_path / 'beian.toml'} 的编码无法识别；请用记事本另存为 UTF-8 编码。"
    ]


RULE = '请用 1–60 个字符，不含 / \\ : * ? " < > |，如 2016年度第二批。'


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("2016/第二批", "含有不能用于文件夹名的字符 /"),
        ("../x", "含有不能用于文件夹名的字符 /"),
        ("..", "不能是 . 或 .."),
        ("", "为空"),
        ("第二批?", "含有不能用于文件夹名的字符 ?"),
        ("批" * 61, "有 61 个字符，超过 60 个"),
    ],
)
def test_batch_names_that_cannot_be_a_folder_are_refused(
    settings: Settings, name: str, problem: str
) -> None:
    result = run_cli(settings, "--batch", name)
    assert result.exit_code == 2
    assert lines(result)[-1] == (
        f"错误：--batch “{name}”{problem}。批次名称也是输出文件夹名：{RULE}"
    )
    assert not settings.outbox.exists() and not settings.ledger.exists()


def test_a_form_file_that_does_not_exist_is_named(tmp_path: Path) -> None:
    result = run_with_config(tmp_path, '[batch]\nform = "schemas/无.toml"\n')
    assert result.exit_code == 2
    assert lines(result) == [
        f"错误：配置文件 {tmp_path / 'beian.toml'} 中 form 指向的表样定义文件 "
        f"{tmp_path / 'schemas' / '无.toml'} 不存在；请检查路径。"
    ]
    assert list(tmp_path.iterdir()) == [tmp_path / "beian.toml"]


def test_a_register_missing_beside_the_form_is_named(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "myform").mkdir()
    form = (REPO / "pipeline" / "schemas" / "annex3_2016.toml").read_text(encoding="utf-8")
    (tmp_path / "myform" / "annex3.toml").write_text(form, encoding="utf-8")
    result = run_with_config(tmp_path, '[batch]\nform = "myform/annex3.toml"\n')
    assert result.exit_code == 2
    assert lines(result)[-1].startswith(f"错误：找不到文件 {tmp_path / 'myform'}")
    assert lines(result)[-1].endswith("；请检查 beian.toml 或选项中的路径。")


def test_a_batch_name_in_the_config_is_checked_too(tmp_path: Path) -> None:
    result = run_with_config(tmp_path, '[batch]\nname = "a:b"\n')
    assert result.exit_code == 2
    assert lines(result) == [
        f"错误：配置文件 {tmp_path / 'beian.toml'} 中 批次名称“a:b”含有不能用于文件夹名的字符 :。"
        f"批次名称也是输出文件夹名：{RULE}"
    ]


def test_no_config_and_no_options_says_so_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for command in ("run", "status"):
        result = beian(command)
        assert result.exit_code == 2
        assert lines(result) == [
            f"错误：当前文件夹 {tmp_path} 中没有 beian.toml，也没有给出 --inbox 等选项；"
            "什么也没有做。请到批次文件夹中运行，或用 --config 指定配置文件，"
            "或用 --inbox、--outbox、--ledger 指定位置。"
        ]
    assert list(tmp_path.iterdir()) == []


def test_a_missing_inbox_leaves_no_outbox_ledger_or_lock(settings: Settings) -> None:
    settings.inbox.rmdir()
    result = run_cli(settings)
    assert result.exit_code == 2
    assert lines(result)[-1] == (
        f"错误：收件箱文件夹 {settings.inbox} 不存在；请创建它，或用 --inbox 指定。"
    )
    assert sorted(p.name for p in settings.ledger.parent.iterdir()) == []


def test_a_bad_deadline_option(settings: Settings) -> None:
    result = run_cli(settings, "--deadline", "2016.4.14")
    assert result.exit_code == 2
    assert lines(result)[-1] == (
        "错误：--deadline “2016.4.14”不是日期；请写成 YYYY-MM-DD，如 2016-04-14。"
    )


def test_a_sqlite_file_that_is_not_a_ledger_is_refused_untouched(settings: Settings) -> None:
    other = sqlite3.connect(settings.ledger)
    other.execute("CREATE TABLE customers (name TEXT)")
    other.commit()
    other.close()
    before = dump(settings.ledger)
    result = run_cli(settings)
    assert result.exit_code == 2
    assert lines(result)[-1] == (
        f"错误：{settings.ledger} 是一个 SQLite 数据库，但不是 beian 台账（其中的表：customers）；"
        "beian 不会改动它。请用 --ledger 或 beian.toml 的 ledger 指定 beian 的台账文件"
        "（不存在时会新建）。"
    )
    assert dump(settings.ledger) == before


def test_an_unknown_option_is_refused_in_chinese() -> None:
    result = beian("run", "--outbx", "x")
    assert result.exit_code == 2
    assert lines(result) == [
        "用法：beian run [选项]",
        "查看帮助：beian run -h",
        "错误：没有选项 --outbx。是不是 --outbox？",
    ]


def test_an_unknown_command_and_a_missing_value_are_refused_in_chinese() -> None:
    result = beian("rnu")
    assert result.exit_code == 2
    assert lines(result)[-1] == "错误：没有命令“rnu”。是不是 run？"
    result = beian("run", "--inbox")
    assert result.exit_code == 2
    assert lines(result)[-1] == "错误：选项 --inbox 后面需要写一个值。"
    result = beian("run", "--wait", "abc")
    assert result.exit_code == 2
    assert lines(result)[-1] == "错误：--wait 的值无效：不是数字。"
    result = beian("check")
    assert result.exit_code == 2
    assert lines(result)[-1] == "错误：缺少参数 文件或文件夹…。"


@pytest.mark.parametrize("command", ["run", "check", "template", "status"])
def test_help_is_chinese_with_readable_placeholders(command: str) -> None:
    for flag in ("-h", "--help"):
        result = beian(command, flag)
        assert result.exit_code == 0
        text = result.output
        assert text.startswith(f"用法：beian {command} [选项]")
        assert "\n选项：\n" in text and "-h, --help" in text and "显示本帮助并退出。" in text
        for english in ("Usage", "Options", "Show this message", "[default", "[required", "<"):
            assert english not in text, english


def test_the_run_help_names_every_option_with_its_placeholder() -> None:
    text = beian("run", "-h").output
    for option in (
        "-c, --config 文件",
        "--inbox 文件夹",
        "--outbox 文件夹",
        "--ledger 文件",
        "--batch 名称",
        "--deadline 日期",
        "--prior 文件",
        "--wait 秒",
        "--log 文件",
    ):
        assert option in text, option


def test_top_level_help_and_version() -> None:
    result = beian("-h")
    assert result.exit_code == 0
    assert lines(result)[0] == "用法：beian [选项] 命令 [参数]..."
    assert "\n命令：\n" in result.output and "--version   显示版本号并退出。" in result.output
    result = beian("--version")
    assert (result.exit_code, result.output) == (0, f"beian {__version__}\n")


def test_an_outbox_that_is_a_file_is_refused(settings: Settings, make_workbook) -> None:
    make_workbook([good_row()])
    settings.outbox.write_text("not a folder")
    result = run_cli(settings)
    assert result.exit_code == 3
    assert lines(result)[-1] == (
        f"错误：无法写入输出文件夹：{settings.outbox} 是一个文件，而这里需要一个文件夹；"
        "请删除或改名这个文件，或换一个位置。"
    )
    assert not settings.ledger.exists()


def test_a_file_where_the_batch_folder_must_be_keeps_last_night(
    settings: Settings, make_workbook
) -> None:
    """Last night wrote to batch A; tonight's batch B has a file where its folder must be."""
    before = first_night(settings, make_workbook)
    blocker = settings.outbox / "第三批"
    blocker.write_text("in the way")
    before = {**before, **snapshot(settings.outbox)}
    result = run_cli(settings, "--batch", "第三批")
    assert result.exit_code == 3
    assert lines(result)[-1] == (
        f"错误：无法写入输出文件：{blocker} 是一个文件，而这里需要一个文件夹；"
        "请删除或改名这个文件，或换一个位置。"
    )
    assert unchanged_since(settings, before)


def test_a_ledger_whose_folder_is_a_file_stops_before_any_work(
    settings: Settings, make_workbook
) -> None:
    make_workbook([good_row()])
    blocker = settings.ledger.parent / "ledgers"
    blocker.write_text("in the way")
    result = run_cli(settings, "--ledger", str(blocker / "ledger.sqlite"))
    assert result.exit_code == 3
    assert lines(result)[-1] == (
        f"错误：无法写入锁文件：{blocker} 是一个文件，而这里需要一个文件夹；"
        "请删除或改名这个文件，或换一个位置。"
    )
    assert not any(settings.outbox.rglob("*.*"))


def refuse_writes(ledger: Path) -> None:
    """A ledger that reads but refuses every new run (as a read-only file or a full disk
    would, and as root is refused too): a trigger aborts inserts into runs."""
    db = sqlite3.connect(ledger)
    db.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON runs "
        "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
    )
    db.commit()
    db.close()


def test_a_ledger_that_cannot_be_written_publishes_nothing(
    settings: Settings, make_workbook
) -> None:
    first_night(settings, make_workbook)
    refuse_writes(settings.ledger)
    before = {**snapshot(settings.outbox), "ledger": dump(settings.ledger)}
    make_workbook(
        [good_row(name="岳麓山创新工场")], name="株洲市科技局.xlsx", stamp="株洲市科学技术局"
    )
    result = run_cli(settings)
    assert result.exit_code == 3
    assert lines(result)[-1] == (
        f"错误：无法写入台账 {settings.ledger}（disk I/O error）；"
        "本次没有发布任何输出，上次的输出和台账保持不变。"
        "请确认台账文件及其文件夹可写、磁盘未满，然后重新运行。"
    )
    assert unchanged_since(settings, before)
    assert not [p for p in settings.outbox.rglob("*") if "beian-tmp" in p.name]


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="root writes through chmod"
)
def test_a_read_only_outbox_is_refused(settings: Settings, make_workbook) -> None:
    before = first_night(settings, make_workbook)
    make_workbook(
        [good_row(name="岳麓山创新工场")], name="株洲市科技局.xlsx", stamp="株洲市科学技术局"
    )
    settings.batch_dir.chmod(0o555)
    try:
        result = run_cli(settings)
    finally:
        settings.batch_dir.chmod(0o755)
    assert result.exit_code == 3
    assert "没有写入" in lines(result)[-1]
    assert unchanged_since(settings, before)


def test_check_prints_its_result_even_when_the_receipt_cannot_be_written(
    tmp_path: Path, make_workbook
) -> None:
    path = make_workbook([good_row()])
    blocker = tmp_path / "receipts"
    blocker.write_text("in the way")
    result = beian("check", path, "--out", blocker)
    assert result.exit_code == 3
    assert "未发现问题。" in result.output and "数据行 1：受理 1" in result.output
    assert lines(result)[-1] == (
        f"错误：{path.name} 的回执未写出：无法写入输出文件：{blocker} 是一个文件，"
        "而这里需要一个文件夹；请删除或改名这个文件，或换一个位置。"
    )


def test_template_into_a_file_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("in the way")
    result = beian("template", "--out", blocker)
    assert result.exit_code == 3
    assert lines(result)[-1] == (
        f"错误：无法写入输出文件：{blocker} 是一个文件，而这里需要一个文件夹；"
        "请删除或改名这个文件，或换一个位置。"
    )


HOLDER = """
import sys
from filelock import FileLock
with FileLock(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.read()
"""


@pytest.mark.slow  # interrupts a real process
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is a POSIX signal")
def test_ctrl_c_exits_130_and_says_nothing_changed(settings: Settings, make_workbook) -> None:
    before = first_night(settings, make_workbook)
    make_workbook(
        [good_row(name="岳麓山创新工场")], name="株洲市科技局.xlsx", stamp="株洲市科学技术局"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, f"{settings.ledger}.lock"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        config = settings.inbox.parent / "beian.toml"
        config.write_text('[paths]\nledger = "ledger.sqlite"\n', encoding="utf-8")
        night = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "run", "--config", str(config), "--wait", "60"],
            stderr=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            cwd=REPO,
        )
        assert night.stderr is not None
        night.stderr.readline()  # the warning about prior batches: the run is under way
        night.send_signal(signal.SIGINT)
        _, rest = night.communicate(timeout=60)
    finally:
        holder.communicate("")
    # 130, or killed by SIGINT, which a shell shows as 130 too: under ``python -m`` CPython ends
    # the process by its own SIGINT, after our handler has run and said so, when the interrupt
    # landed in code run from a string (a dataclass being created while the run still imports).
    # The ``beian`` command runs as a script and exits 130 either way.
    assert night.returncode in (130, -signal.SIGINT), rest
    assert rest.splitlines()[-1] == "已中断：本次运行被中止，输出文件和台账都没有改动。"
    assert unchanged_since(settings, before)


PAIR = ("岳麓山大学科技城创客空间", "岳麓山大学科技园创客空间")


def possible_pair(settings: Settings, make_workbook) -> None:
    """Two bureaus' near-identical names of one operator: a possible duplicate."""
    make_workbook([good_row(name=PAIR[0])])
    make_workbook(
        [good_row(name=PAIR[1])],
        name="株洲市科技局.xlsx",
        stamp="株洲市科学技术局",
    )


def run_batch(settings: Settings, *extra: str) -> object:
    """beian run with a config beside the fixture's inbox (no prior batch), so its
    decisions.csv is read."""
    config = settings.inbox.parent / "beian.toml"
    config.write_text('[paths]\nledger = "ledger.sqlite"\n', encoding="utf-8")
    return beian("run", "--config", config, *extra)


def dispositions_of(settings: Settings) -> dict[str, str]:
    rows = read_csv(settings.batch_dir / "dispositions.csv")
    return {r["name"]: r["disposition"] for r in rows}


@pytest.mark.slow  # a whole night per case: the long form, run by CI
@pytest.mark.parametrize(
    ("encoding", "separator", "header", "verdict"),
    [
        ("utf-8", ",", "名称,匹配名称,处理意见", "删除"),
        ("utf-8-sig", ",", " 名称 , 匹配名称 , 处理意见 ", "删"),
        ("gbk", ";", "名称;匹配名称;处理意见", "重复"),
        ("utf-16", "\t", "名称\t匹配名称\t处理意见", "删除"),
        ("utf-16", ";", "名称;匹配名称;处理意见", "删除"),
    ],
)
def test_decisions_are_read_as_saved_and_applied(
    settings: Settings, make_workbook, encoding: str, separator: str, header: str, verdict: str
) -> None:
    possible_pair(settings, make_workbook)
    text = f"{header}\r\n{PAIR[0]}{separator}{PAIR[1]}{separator}{verdict}\r\n"
    settings.decisions.write_bytes(text.encode(encoding))
    result = run_batch(settings)
    assert result.exit_code == 0
    assert "未应用" not in result.output
    assert sorted(dispositions_of(settings).values()) == ["accepted", "duplicate_batch"]


@pytest.mark.parametrize("verdict", ["保留", "留", "不是重复"])
def test_keep_words_clear_the_possible_duplicate(
    settings: Settings, make_workbook, verdict: str
) -> None:
    possible_pair(settings, make_workbook)
    settings.decisions.write_text(f"名称,匹配名称,处理意见\n{PAIR[0]},{PAIR[1]},{verdict}\n")
    assert run_batch(settings).exit_code == 0
    assert read_csv(settings.batch_dir / "待核对重复.csv") == []


def flat(text: str) -> str:
    return "".join(text.split())


def review(settings: Settings) -> list[tuple[str, str]]:
    with (settings.batch_dir / "待核对重复.csv").open(encoding="utf-8-sig") as f:
        import csv

        return [(r["名称"], r["原因"]) for r in csv.DictReader(f)]


def test_lines_that_cannot_be_applied_are_named_and_marked(
    settings: Settings, make_workbook
) -> None:
    possible_pair(settings, make_workbook)
    settings.decisions.write_text(
        "名称,匹配名称,处理意见\n"
        f"{PAIR[0]},{PAIR[1]},再看看\n"
        "不存在的空间,麓谷创客工场,删除\n"
        f",{PAIR[1]},删除\n",
        encoding="utf-8",
    )
    result = run_batch(settings)
    assert result.exit_code == 0
    assert flat(
        "decisions.csv 中有 3 条处理意见未应用（已在 待核对重复.csv 中标为 未应用）："
        "decisions.csv 第 2 行：处理意见“再看看”无法识别"
        "（应为 删除/删/重复/是重复/剔除/去掉/是/保留/留/不是重复/不重复/否）"
        "decisions.csv 第 3 行：名称“不存在的空间”“麓谷创客工场”不在本批或往批的众创空间中"
        "decisions.csv 第 4 行：名称或匹配名称为空"
    ) in flat(result.output)
    marked = review(settings)
    assert marked[0][0] == PAIR[1]  # the pair itself is still waiting for the clerk
    assert [reason.partition("行：")[0] + "行：" for _, reason in marked[1:]] == [
        "未应用：decisions.csv 第 2 行：",
        "未应用：decisions.csv 第 3 行：",
        "未应用：decisions.csv 第 4 行：",
    ]
    assert sorted(dispositions_of(settings).values()) == ["accepted", "accepted"]


def test_a_decisions_file_missing_a_column_is_named(settings: Settings, make_workbook) -> None:
    possible_pair(settings, make_workbook)
    settings.decisions.write_text(f"名称,匹配名称,意见\n{PAIR[0]},{PAIR[1]},删除\n")
    result = run_batch(settings)
    assert result.exit_code == 0
    assert flat(
        "decisions.csv 第 2 行：文件缺少列 处理意见（应有 名称、匹配名称、处理意见）"
    ) in flat(result.output)
    assert review(settings)[-1][1] == (
        "未应用：decisions.csv 第 2 行：文件缺少列 处理意见（应有 名称、匹配名称、处理意见）"
    )


def test_random_bytes_as_decisions_are_reported_and_the_night_goes_on(
    settings: Settings, make_workbook
) -> None:
    possible_pair(settings, make_workbook)
    settings.decisions.write_bytes(bytes(range(256)) * 4)
    result = run_batch(settings)
    assert result.exit_code == 0
    assert flat(
        "decisions.csv：decisions.csv 不是文本表格（无法识别编码），整份未应用；"
        "请在 Excel 中另存为 CSV"
    ) in flat(result.output)
    assert (settings.batch_dir / "dispositions.csv").is_file()


@pytest.mark.slow  # a whole night per case: the long form, run by CI
@pytest.mark.parametrize("word", ["无", "暂无", "没有", "/", "-", "—", " 无 "])
def test_a_none_word_in_an_optional_field_is_blank(
    settings: Settings, make_workbook, word: str
) -> None:
    make_workbook([good_row(fax=word)])
    assert run_cli(settings).exit_code == 0
    detail = read_csv(settings.batch_dir / "dispositions.csv")
    assert [(r["disposition"], r["codes"]) for r in detail] == [("accepted", "")]


def test_a_none_word_in_a_required_field_is_still_an_error(
    settings: Settings, make_workbook
) -> None:
    make_workbook([good_row(office_phone="无")])
    assert run_cli(settings).exit_code == 0
    detail = read_csv(settings.batch_dir / "dispositions.csv")
    assert [(r["disposition"], r["codes"]) for r in detail] == [("rejected", "E_PHONE")]


def test_the_summary_names_every_refused_file(settings: Settings, make_workbook) -> None:
    make_workbook([good_row()])
    make_workbook([good_row(name="岳麓山创新工场")], name="来历不明.xlsx", stamp="某某单位")
    broken = settings.inbox / "株洲市科技局.xlsx"
    broken.write_bytes(b"PK\x03\x04 cut short")
    os.utime(broken, (1e9, 1e9))  # long since copied: refused, not deferred
    result = run_cli(settings)
    assert result.exit_code == 0
    said = flat(result.output)
    assert flat("未通过的文件（2）：") in said
    assert flat("来历不明.xlsx：无法确定报送单位") in said
    assert flat("株洲市科技局.xlsx：") in said


def test_check_a_folder_checks_the_workbooks_in_it(tmp_path: Path, make_workbook) -> None:
    make_workbook([good_row()])
    make_workbook([good_row(mobile="1")], name="株洲市科技局.xlsx", stamp="株洲市科学技术局")
    (tmp_path / "inbox" / "说明.pdf").write_bytes(b"%PDF")
    result = beian("check", tmp_path / "inbox")
    assert result.exit_code == 1
    receipts = sorted(p.name for p in (tmp_path / "inbox").glob("*回执.xlsx"))
    assert receipts == ["株洲市科技局-回执.xlsx", "长沙市科技局-回执.xlsx"]
    assert beian("check", tmp_path / "inbox").exit_code == 1  # its own receipts are not checked


def test_check_an_empty_folder_or_a_missing_path(tmp_path: Path) -> None:
    result = beian("check", tmp_path)
    assert result.exit_code == 2
    assert lines(result)[-1] == (
        f"错误：文件夹 {tmp_path} 中没有可检查的表格文件（.xlsx、.xls、.ods、.csv 等）或附件1；"
        "请给出附件3文件，或装有它们的文件夹。"
    )
    result = beian("check", tmp_path / "无.xlsx")
    assert result.exit_code == 2
    assert lines(result)[-1] == f"错误：找不到文件 {tmp_path / '无.xlsx'}；请检查文件名和路径。"


def test_run_log_keeps_every_night_and_its_failures(
    settings: Settings, make_workbook, tmp_path: Path
) -> None:
    log = tmp_path / "日志" / "beian.log"
    make_workbook([good_row()])
    assert run_cli(settings, "--log", str(log)).exit_code == 0
    make_workbook(
        [good_row(name="岳麓山创新工场")], name="株洲市科技局.xlsx", stamp="株洲市科学技术局"
    )
    assert run_batch(settings, "--log", str(log)).exit_code == 0
    assert run_cli(settings, "--log", str(log), "--deadline", "x").exit_code == 2
    nights = log.read_text(encoding="utf-8").split("==== beian run ")[1:]
    assert len(nights) == 3
    assert "数据行 1：受理 1" in nights[0] and nights[0].rstrip().endswith("结果：完成")
    assert "数据行 2：受理 2" in nights[1] and "注意：没有配置往批汇总表" in nights[1]
    assert "错误：--deadline “x”不是日期" in nights[2]
    assert nights[2].rstrip().endswith("结果：失败（退出码 2）")


def test_the_log_key_of_the_config(tmp_path: Path, settings: Settings, make_workbook) -> None:
    make_workbook([good_row()])
    config = write(tmp_path / "beian.toml", '[paths]\nlog = "logs/night.log"\n')
    assert beian("run", "--config", config).exit_code == 0
    assert "结果：完成" in (tmp_path / "logs" / "night.log").read_text(encoding="utf-8")


def test_a_log_that_cannot_be_written_stops_the_night_first(
    settings: Settings, make_workbook, tmp_path: Path
) -> None:
    make_workbook([good_row()])
    (tmp_path / "logs").write_text("in the way")
    result = run_cli(settings, "--log", str(tmp_path / "logs" / "beian.log"))
    assert result.exit_code == 3
    assert lines(result)[-1] == (
        f"错误：无法写入运行日志：{tmp_path / 'logs'} 是一个文件，而这里需要一个文件夹；"
        "请删除或改名这个文件，或换一个位置。"
    )
    assert not settings.ledger.exists()


def test_the_manual_lists_every_config_key_and_exit_code() -> None:
    manual = REPO / "docs" / "manual"
    keys = (manual / "02-新建批次.md").read_text(encoding="utf-8")
    for key in KEYS:
        name = key.section.removesuffix("[]")
        shown = f"[[{name}]]" if key.section.endswith("[]") else f"[{name}]"
        assert f"| `{shown}` | `{key.name}` |" in keys, key.dotted
    codes = (manual / "08-出错时.md").read_text(encoding="utf-8")
    for code in ("| 0 ", "| 1 ", "| 2 ", "| 3 ", "| 75 ", "| 130 "):
        assert code in codes, code
