"""The ``beian`` command line: parse options, call the library, print, exit.

No rule lives here. Exit codes (SPEC §12): 0 the run completed (whatever bureaus got wrong); 1
``check`` found errors; 2 a bad option, config or input; 3 cannot write; 75 locked; 130
interrupted; :func:`_exits` alone maps failures to them; help and errors are Chinese (cli_zh.py).
Each command imports the library it calls when it runs: help, ``--version`` and a mistyped
option load no pandas or pandera (tests/test_startup.py). review, remind: cli_decide.py."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from pipeline import __version__
from pipeline.cli_options import (
    ACCOUNTS_OUT,
    AT,
    BATCH,
    BUREAU,
    CONFIG,
    DEADLINE,
    FEEDBACK_OUT,
    FILES,
    FORCE,
    HOST,
    INBOX,
    INIT_DIR,
    INSTALL,
    JSON,
    LEDGER,
    LOG,
    OUTBOX,
    PORT,
    PRIOR,
    RESET,
    TEMPLATE_OUT,
    WAIT,
)
from pipeline.cli_zh import OPTIONS_METAVAR, SUBCOMMAND_METAVAR, ZhCommand, ZhGroup
from pipeline.consoles import console, err, logged
from pipeline.core.config import DEFAULT_CONFIG, Settings, load_settings, with_overrides
from pipeline.core.errors import (
    EXIT_CHECK_FAILED,
    EXIT_INTERRUPTED,
    INTERRUPTED,
    BeianError,
    ConfigError,
    OutputError,
    write_failure,
)
from pipeline.state import nightlog

if TYPE_CHECKING:
    from pipeline.run import RunReport

app = typer.Typer(
    cls=ZhGroup,
    help="beian：众创空间备案材料的收集、校验与汇总。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    options_metavar=OPTIONS_METAVAR,
    subcommand_metavar=SUBCOMMAND_METAVAR,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _command(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A subcommand with Chinese help (pipeline/cli_zh.py)."""
    return app.command(name, cls=ZhCommand, options_metavar=OPTIONS_METAVAR)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"beian {__version__}")
        raise typer.Exit()


@app.callback()
def _commands(
    version: bool = typer.Option(
        False, "--version", help="显示版本号并退出。", callback=_show_version, is_eager=True
    ),
) -> None:
    """beian：众创空间备案材料的收集、校验与汇总。"""


def _settings(config: Path | None, *, need_config: bool = False, **overrides: object) -> Settings:
    """Config file, options on top; a batch command (``need_config``) refuses to run on neither."""
    given = any(v not in (None, []) for k, v in overrides.items() if k != "log")
    if need_config and config is None and not given and not Path(DEFAULT_CONFIG).is_file():
        raise ConfigError(
            f"当前文件夹 {Path.cwd()} 中没有 {DEFAULT_CONFIG}，也没有给出 --inbox 等选项；"
            "什么也没有做。请到批次文件夹中运行，或用 --config 指定配置文件，"
            "或用 --inbox、--outbox、--ledger 指定位置。"
        )
    return with_overrides(load_settings(config), **overrides)  # type: ignore[arg-type]


@contextmanager
def _exits() -> Iterator[None]:
    """The one place where failures become exit codes and Chinese messages, never tracebacks.

    BeianError carries its own code (2 config/input, 3 cannot write, 75 locked); a file named
    in the config that does not exist is 2; any other OSError no stage anticipated is a place
    that cannot be written (3); Ctrl+C is 130, and since outputs
    are published and the ledger recorded together, nothing of the night was changed.
    """
    try:
        yield
    except BeianError as exc:
        raise _fail(exc) from exc
    except FileNotFoundError as exc:
        missing = ConfigError(f"找不到文件 {exc.filename}；请检查 beian.toml 或选项中的路径。")
        raise _fail(missing) from exc
    except KeyboardInterrupt as exc:
        err.print(f"[bold red]{INTERRUPTED[0]}[/]{INTERRUPTED[1]}", soft_wrap=True)
        raise typer.Exit(EXIT_INTERRUPTED) from exc
    except OSError as exc:
        raise _fail(write_failure(exc)) from exc


def _warn_without_prior(settings: Settings) -> Settings:
    """A run or check without a prior batch cannot remove spaces already filed: say so."""
    if not settings.priors:
        err.print(
            f"[yellow]注意：[/]没有配置往批汇总表（beian.toml 中的 {escape('[[prior]]')}，"
            "或 --prior），本次不会剔除已在往批备案的众创空间。"
        )
    return settings


def _fail(exc: BeianError) -> typer.Exit:
    err.print(f"[bold red]错误：[/]{escape(str(exc))}", soft_wrap=True)
    return typer.Exit(exc.exit_code)


@_command("run")
def run_command(
    config: Path | None = CONFIG,
    inbox: Path | None = INBOX,
    outbox: Path | None = OUTBOX,
    ledger: Path | None = LEDGER,
    batch: str | None = BATCH,
    deadline: str | None = DEADLINE,
    prior: list[Path] | None = PRIOR,
    wait: float = WAIT,
    log: Path | None = LOG,
) -> None:
    """夜间汇总：校验收件箱中的附件3，剔除重复，写出汇总表、回执和 CSV。"""
    from pipeline.cli_print import print_run

    started = dt.datetime.now().replace(microsecond=0)
    logger = None
    code = 0
    with logged() as night:  # what this run prints, unwrapped, for the log
        try:
            with _exits():
                settings = _settings(
                    config,
                    need_config=True,
                    inbox=inbox,
                    outbox=outbox,
                    ledger=ledger,
                    batch=batch,
                    deadline=deadline,
                    priors=prior,
                    log=log,
                )
                logger = nightlog.open_log(settings.log) if settings.log else None
                print_run(_run_with_progress(_warn_without_prior(settings), wait))
        except typer.Exit as exc:
            code = exc.exit_code
            raise
        finally:
            if logger is None and log is not None:
                logger = _open_log_quietly(log)
            if logger is not None:
                nightlog.write_entry(logger, started, night.export_text(), code)


def _open_log_quietly(path: Path) -> logging.Logger | None:
    """The --log file when the config could not be read: the failure is logged all the same."""
    try:
        return nightlog.open_log(path)
    except OutputError:
        return None


def _run_with_progress(settings: Settings, wait: float) -> RunReport:
    """The run with a progress bar of the files read. The bar is redrawn at each file, not by
    rich's refresh thread: while another thread runs, the write stage cannot fork its second
    process (pipeline/alongside.py) and writes the 回执 after the workbook instead of beside it."""
    from pipeline.run import run

    with Progress(
        TextColumn("读取"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
        auto_refresh=False,
    ) as bar:
        task = bar.add_task("", total=None)

        def step(name: str, total: int) -> None:
            bar.update(task, advance=1, total=total, description=escape(name), refresh=True)

        return run(settings, progress=step, wait=wait)


@_command("check")
def check_command(
    files: list[Path] = FILES,
    out: Path | None = FEEDBACK_OUT,
    config: Path | None = CONFIG,
    deadline: str | None = DEADLINE,
    prior: list[Path] | None = PRIOR,
    as_json: bool = JSON,
) -> None:
    """报送前自查：按汇总时的规则检查附件3（及附件1），列出问题并写出回执；有错误时退出码为 1。"""
    from pipeline.api import check_records
    from pipeline.cli_print import print_check
    from pipeline.selfcheck import check_files, expand_paths

    with _exits():
        paths = expand_paths(files)
        settings = _warn_without_prior(_settings(config, deadline=deadline, priors=prior))
        checked = check_files(settings, paths, out)
        if as_json:
            typer.echo(json.dumps(check_records(checked), ensure_ascii=False, indent=2))
        else:
            for item in checked:
                print_check(item)
        unwritten = [item.unwritten for item in checked if item.unwritten]
        if unwritten:
            raise OutputError("\n".join(unwritten))
    if any(item.failed for item in checked):
        raise typer.Exit(EXIT_CHECK_FAILED)


@_command("template")
def template_command(
    bureau: str | None = BUREAU,
    out: Path = TEMPLATE_OUT,
    config: Path | None = CONFIG,
    deadline: str | None = DEADLINE,
) -> None:
    """生成空白附件3模板（官方表样、下拉选项、日期和电话检查、输入提示和填表说明）和空白附件1（.docx）。"""
    from pipeline.state.setups import refuse_inside_inbox
    from pipeline.write.template import write_template

    with _exits():
        settings = _settings(config, deadline=deadline)
        refuse_inside_inbox(settings, out, "模板文件夹", "--out")
        path = write_template(settings, out, bureau)
        from pipeline.packet.annex1_docx import write_blank  # python-docx only for this command

        form = write_blank(settings.form, out)
    console.print(f"模板：{escape(str(path))}")
    if form is not None:
        console.print(f"附件1模板：{escape(str(form))}")


@_command("status")
def status_command(
    config: Path | None = CONFIG,
    ledger: Path | None = LEDGER,
    batch: str | None = BATCH,
) -> None:
    """从台账查看报送情况：谁已报送、何时收到、各类行数、谁尚未报送、与上次汇总相比的变化。"""
    from pipeline.cli_print import print_status
    from pipeline.state.status import batch_status

    with _exits():
        found = batch_status(_settings(config, need_config=True, ledger=ledger, batch=batch))
    print_status(found)


@_command("serve")
def serve_command(
    host: str = HOST,
    port: int = PORT,
    config: Path | None = CONFIG,
) -> None:
    """网上报送站点：推荐单位上传附件3并立即看到回执；管理员查看报送情况、立即汇总。"""
    from pipeline.state.accounts import require_accounts
    from pipeline.state.setups import refuse_overlaps
    from pipeline.web.app import check_port, serve

    with _exits():
        settings = _settings(config, need_config=True)
        refuse_overlaps(settings)
        check_port(host, port)
        require_accounts(settings)
        console.print(f"网上报送：http://{host}:{port}/（按 Ctrl+C 停止）")
        serve(settings, host, port)


@_command("accounts")
def accounts_command(
    out: Path | None = ACCOUNTS_OUT,
    reset: str | None = RESET,
    force: bool = FORCE,
    config: Path | None = CONFIG,
) -> None:
    """网上报送的登录码：每个推荐单位一个、管理员一个；只显示这一次，并写入 CSV，台账只存其哈希。"""
    from pipeline.state.accounts import issue_codes
    from pipeline.write import summary

    with _exits():
        issued, kept, written, unwritten = issue_codes(
            _settings(config, need_config=True), out, reset, force
        )
    if len(issued):
        console.print(summary.FrameView(issued, "新登录码（只显示这一次，请妥善分发）"))
    if unwritten:
        with _exits():
            raise OutputError(unwritten)
    if len(issued):
        console.print(f"已写入：{escape(str(written))}（只含本次的新登录码）")
    if kept:
        console.print(
            f"已有登录码、未更换（{len(kept)}）："
            + "、".join(kept)
            + "。如需更换：beian accounts --reset 单位名称"
        )


@_command("init")
def init_command(
    folder: Path = INIT_DIR, batch: str | None = BATCH, deadline: str | None = DEADLINE
) -> None:
    """新建批次文件夹：带中文注释的 beian.toml、inbox/、prior/（首批汇总表）、outbox/。"""
    from pipeline.cli_batch import print_init
    from pipeline.state.batchdir import init_batch

    with _exits():
        made = init_batch(folder, batch, deadline)
    print_init(made)


@_command("schedule")
def schedule_command(at: str = AT, install: bool = INSTALL, config: Path | None = CONFIG) -> None:
    """每晚自动汇总：打印这台机器上安排每晚 beian run 的命令（任务计划程序、crontab、systemd）。"""
    from pipeline.cli_batch import print_schedule
    from pipeline.schedule import night_for
    from pipeline.schedule_install import install as install_night

    with _exits():
        night = night_for(config, at)
        print_schedule(night)
        if install:
            console.print(install_night(night), soft_wrap=True, markup=False)


def main() -> None:
    """Console entry point that survives a GBK console on Windows.

    The console script runs as a file, and multiprocessing would re-run that file in every reading
    worker (pipeline/sandbox.py), importing the whole CLI before the worker can read. Naming the
    main module ``pipeline.__main__``, as ``python -m pipeline`` does, tells multiprocessing to
    leave it alone: the workers never need it."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure:
            reconfigure(errors="replace")
    sys.modules["__main__"].__spec__ = importlib.util.find_spec("pipeline.__main__")
    app(prog_name="beian")


app_command, batch_settings, exits = _command, _settings, _exits  # for pipeline/cli_decide.py
from pipeline import cli_decide  # noqa: E402, F401  (adds review and remind)
