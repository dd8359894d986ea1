"""The ``beian`` command line: parse options, call the library, print, exit.

No rule lives here. Exit codes: 0 the run completed (whatever bureaus got wrong); 1 ``check``
found errors; 2 bad configuration or options; 3 an output could not be written; 75 another run
holds the lock.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from pipeline import report, summary
from pipeline.config import Settings, load_settings, with_overrides
from pipeline.errors import BeianError
from pipeline.run import RunReport, run

app = typer.Typer(
    help="beian：湖南省众创空间备案材料的收集、校验与汇总。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
console = Console()
err = Console(stderr=True)


@app.callback()
def _commands() -> None:
    """beian：湖南省众创空间备案材料的收集、校验与汇总。"""

CONFIG = typer.Option(None, "--config", "-c", help="配置文件（默认：当前文件夹的 beian.toml）。")
INBOX = typer.Option(None, "--inbox", help="收件箱文件夹：各推荐单位报送的附件3。")
OUTBOX = typer.Option(None, "--outbox", help="输出文件夹：汇总表、回执、CSV 写在 <outbox>/<批次>/。")
LEDGER = typer.Option(None, "--ledger", help="台账文件（SQLite）。")
BATCH = typer.Option(None, "--batch", help="批次名称，如 2016年度第二批。")
DEADLINE = typer.Option(None, "--deadline", help="报送截止日期 YYYY-MM-DD（成立时间据此判断）。")
PRIOR = typer.Option(None, "--prior", help="往批汇总表（可重复）；给出时取代配置中的往批。")
WAIT = typer.Option(5.0, "--wait", help="另一个运行持有锁时最多等待的秒数。")


def _settings(config: Path | None, **overrides: object) -> Settings:
    return with_overrides(load_settings(config), **overrides)  # type: ignore[arg-type]


def _fail(exc: BeianError) -> typer.Exit:
    err.print(f"[bold red]错误：[/]{exc}")
    return typer.Exit(exc.exit_code)


def _print_run(outcome: RunReport) -> None:
    settings = outcome.settings
    if not outcome.changed:
        console.print(f"收件箱与上次运行相比没有变化，未重写任何输出。{summary.counts_line(outcome.counts)}")
        return
    result = outcome.result
    assert result is not None
    console.print(summary.frame_table(report.by_disposition(result),
                                      f"{settings.batch} 汇总结果（截止 {settings.deadline}）"))
    statuses = report.submissions_frame(result)
    missing = statuses[statuses["状态"] == "未报送"]["推荐单位"].tolist()
    files = {s: sum(f.status == s for f in result.files) for s in report.STATUS_LABELS}
    console.print(summary.counts_line(outcome.counts))
    console.print("文件：" + "，".join(f"{report.STATUS_LABELS[k]} {v}" for k, v in files.items() if v))
    if missing:
        console.print(f"[yellow]尚未报送（{len(missing)}）：[/]" + "、".join(missing))
    console.print(f"输出：{settings.batch_dir}")


@app.command("run")
def run_command(
    config: Path | None = CONFIG,
    inbox: Path | None = INBOX,
    outbox: Path | None = OUTBOX,
    ledger: Path | None = LEDGER,
    batch: str | None = BATCH,
    deadline: str | None = DEADLINE,
    prior: list[Path] | None = PRIOR,
    wait: float = WAIT,
) -> None:
    """夜间汇总：校验收件箱中的附件3，剔除重复，写出汇总表、回执和 CSV。"""
    try:
        settings = _settings(config, inbox=inbox, outbox=outbox, ledger=ledger, batch=batch,
                             deadline=deadline, priors=prior)
        with Progress(TextColumn("读取"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.description}"), console=console,
                      transient=True) as bar:
            task = bar.add_task("", total=None)

            def step(name: str) -> None:
                bar.update(task, advance=1, description=name)

            outcome = run(settings, progress=step, wait=wait)
    except BeianError as exc:
        raise _fail(exc) from exc
    _print_run(outcome)


def main() -> None:
    """Console entry point that survives a GBK console on Windows."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure:
            reconfigure(errors="replace")
    app(prog_name="beian")
