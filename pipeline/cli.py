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
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from pipeline import report, summary
from pipeline.annex1_docx import write_blank
from pipeline.check import Checked, check_files
from pipeline.config import Settings, load_settings, with_overrides
from pipeline.errors import BeianError
from pipeline.run import RunReport, run
from pipeline.status import batch_status
from pipeline.template import write_template
from pipeline.write_feedback import problems_frame

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
OUTBOX = typer.Option(
    None, "--outbox", help="输出文件夹：汇总表、回执、CSV 写在 <outbox>/<批次>/。"
)
LEDGER = typer.Option(None, "--ledger", help="台账文件（SQLite）。")
BATCH = typer.Option(None, "--batch", help="批次名称，如 2016年度第二批。")
DEADLINE = typer.Option(None, "--deadline", help="报送截止日期 YYYY-MM-DD（成立时间据此判断）。")
PRIOR = typer.Option(
    None,
    "--prior",
    help="往批汇总表（可重复），可写成 批次名=文件，如 2016年度首批=prior/首批.xlsx；"
    "给出时取代配置中的往批。",
)
WAIT = typer.Option(5.0, "--wait", help="另一个运行持有锁时最多等待的秒数。")
FILES = typer.Argument(
    ...,
    metavar="文件…",
    help="要检查的附件3文件，可同时给出附件1（.docx），附件1将与附件3逐项核对。",
)
FEEDBACK_OUT = typer.Option(None, "--out", help="回执写入的文件夹（默认：与被检查的文件相同）。")
BUREAU = typer.Option(
    None, "--bureau", help="推荐单位名称，预先填入盖章行（如 长沙市科学技术局）。"
)
TEMPLATE_OUT = typer.Option(Path("."), "--out", help="模板写入的文件夹（默认：当前文件夹）。")
CHECK_COLUMNS = ["单元格", "类别", "列", "填写内容", "问题", "修改建议"]


def _settings(config: Path | None, **overrides: object) -> Settings:
    return with_overrides(load_settings(config), **overrides)  # type: ignore[arg-type]


def _warn_without_prior(settings: Settings) -> Settings:
    """A run or check without a prior batch cannot remove spaces already filed: say so."""
    if not settings.priors:
        err.print(
            f"[yellow]注意：[/]没有配置往批汇总表（beian.toml 中的 {escape('[[prior]]')}，"
            "或 --prior），本次不会剔除已在往批备案的众创空间。"
        )
    return settings


def _fail(exc: BeianError) -> typer.Exit:
    err.print(f"[bold red]错误：[/]{exc}")
    return typer.Exit(exc.exit_code)


def _print_run(outcome: RunReport) -> None:
    settings = outcome.settings
    if not outcome.changed:
        console.print(
            f"收件箱与上次运行相比没有变化，未重写任何输出。{summary.counts_line(outcome.counts)}"
        )
        return
    result = outcome.result
    assert result is not None
    console.print(
        summary.frame_table(
            report.by_disposition(result), f"{settings.batch} 汇总结果（截止 {settings.deadline}）"
        )
    )
    statuses = report.submissions_frame(result)
    missing = statuses[statuses["状态"] == "未报送"]["推荐单位"].tolist()
    files = {s: sum(f.status == s for f in result.files) for s in report.STATUS_LABELS}
    console.print(summary.counts_line(outcome.counts))
    console.print(
        "文件：" + "，".join(f"{report.STATUS_LABELS[k]} {v}" for k, v in files.items() if v)
    )
    if missing:
        console.print(f"[yellow]尚未报送（{len(missing)}）：[/]" + "、".join(missing))
    refused_rows = (statuses["状态"] == "文件未通过") & (
        statuses["推荐单位"] != report.UNKNOWN_BUREAU
    )
    refused = statuses.loc[refused_rows, "推荐单位"].tolist()
    if refused:
        console.print(f"[yellow]文件未通过、需重新报送（{len(refused)}）：[/]" + "、".join(refused))
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
        settings = _warn_without_prior(
            _settings(
                config,
                inbox=inbox,
                outbox=outbox,
                ledger=ledger,
                batch=batch,
                deadline=deadline,
                priors=prior,
            )
        )
        with Progress(
            TextColumn("读取"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("", total=None)

            def step(name: str, total: int) -> None:
                bar.update(task, advance=1, total=total, description=escape(name))

            outcome = run(settings, progress=step, wait=wait)
    except BeianError as exc:
        raise _fail(exc) from exc
    _print_run(outcome)


def _print_check(item: Checked) -> None:
    outcome = item.outcome
    bureau = outcome.bureau.name if outcome.bureau else "未能识别"
    console.print(f"[bold]{escape(outcome.file)}[/]  推荐单位：{bureau}")
    frame = problems_frame(item.result, outcome)
    if len(frame):
        console.print(summary.frame_table(frame[CHECK_COLUMNS]))
    else:
        console.print("未发现问题。")
    console.print(summary.counts_line(item.result.counts()))
    console.print(f"回执：{escape(str(item.feedback))}")


@app.command("check")
def check_command(
    files: list[Path] = FILES,
    out: Path | None = FEEDBACK_OUT,
    config: Path | None = CONFIG,
    deadline: str | None = DEADLINE,
    prior: list[Path] | None = PRIOR,
) -> None:
    """报送前自查：按汇总时的规则检查附件3（及附件1），列出问题并写出回执；有错误时退出码为 1。"""
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        err.print(
            f"[bold red]错误：[/]找不到文件 {escape('、'.join(missing))}；请检查文件名和路径。"
        )
        raise typer.Exit(2)
    try:
        settings = _warn_without_prior(_settings(config, deadline=deadline, priors=prior))
        checked = check_files(settings, files, out)
    except BeianError as exc:
        raise _fail(exc) from exc
    for item in checked:
        _print_check(item)
    if any(item.failed for item in checked):
        raise typer.Exit(1)


@app.command("template")
def template_command(
    bureau: str | None = BUREAU,
    out: Path = TEMPLATE_OUT,
    config: Path | None = CONFIG,
    deadline: str | None = DEADLINE,
) -> None:
    """生成空白附件3模板（官方表样、下拉选项、日期和电话检查、输入提示和填表说明）和空白附件1（.docx）。"""
    try:
        settings = _settings(config, deadline=deadline)
        path = write_template(settings, out, bureau)
        form = write_blank(settings.form, out)
    except BeianError as exc:
        raise _fail(exc) from exc
    console.print(f"模板：{escape(str(path))}")
    if form is not None:
        console.print(f"附件1模板：{escape(str(form))}")


STATUS_COLUMNS = ["推荐单位", "状态", "收到时间", "受理", "未通过", "往批已备案", "本批重复"]


@app.command("status")
def status_command(
    config: Path | None = CONFIG,
    ledger: Path | None = LEDGER,
    batch: str | None = BATCH,
) -> None:
    """从台账查看报送情况：谁已报送、何时收到、各类行数、谁尚未报送、与上次汇总相比的变化。"""
    try:
        found = batch_status(_settings(config, ledger=ledger, batch=batch))
    except BeianError as exc:
        raise _fail(exc) from exc
    table = found.table[STATUS_COLUMNS]
    console.print(
        summary.frame_table(
            table,
            f"报送情况（最近一次汇总：{found.run_started}）",
            highlight=table["状态"] != "已报送",
        )
    )
    console.print(f"尚未报送（{len(found.missing)}）：" + ("、".join(found.missing) or "无"))
    console.print("文件：")
    for record in found.table.to_dict("records"):
        files = "；".join(f for f in (record["采用文件"], record["其他文件"]) if f)
        if files:
            console.print(f"  {escape(record['推荐单位'])}：{escape(files)}")
    console.print("与上一次汇总相比：")
    for line in found.changes:
        console.print(f"  {escape(line)}")
    if found.quiet_runs_since:
        console.print(f"此后又运行 {found.quiet_runs_since} 次，收件箱均无变化。")


def main() -> None:
    """Console entry point that survives a GBK console on Windows."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure:
            reconfigure(errors="replace")
    app(prog_name="beian")
