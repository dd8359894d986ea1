"""What the ``beian`` commands print: the night's summary, a checked file's problems, the status.

Everything here is rendering of records the library returns; no rule, no exit code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape

from pipeline.consoles import console
from pipeline.dedupe.decisions import describe
from pipeline.read.sheets import sheets_read
from pipeline.write import labels, report, summary
from pipeline.write.problem_list import problems_frame

if TYPE_CHECKING:  # the records printed; `beian status` needs none of the nightly machinery
    from pipeline.core.model import BatchResult
    from pipeline.run import RunReport
    from pipeline.selfcheck import Checked
    from pipeline.state.status import Status

CHECK_COLUMNS = ["单元格", "类别", "列", "填写内容", "问题", "修改建议"]
STATUS_COLUMNS = ["推荐单位", "状态", "收到时间", "受理", "未通过", "往批已备案", "本批重复"]


def print_run(outcome: RunReport) -> None:
    settings = outcome.settings
    if not outcome.changed:
        console.print(
            f"收件箱与上次运行相比没有变化，未重写任何输出。{summary.counts_line(outcome.counts)}"
        )
        return
    result = outcome.result
    assert result is not None
    console.print(
        summary.FrameView(
            report.by_disposition(result), f"{settings.batch} 汇总结果（截止 {settings.deadline}）"
        )
    )
    statuses = report.submissions_frame(result)
    missing = statuses[statuses["状态"] == "未报送"]["推荐单位"].tolist()
    files = {s: sum(f.status == s for f in result.files) for s in labels.STATUS_LABELS}
    console.print(summary.counts_line(outcome.counts))
    console.print(
        "文件：" + "，".join(f"{labels.STATUS_LABELS[k]} {v}" for k, v in files.items() if v)
    )
    if missing:
        console.print(f"[yellow]尚未报送（{len(missing)}）：[/]" + "、".join(missing))
    refused_rows = (statuses["状态"] == "文件未通过") & (
        statuses["推荐单位"] != labels.UNKNOWN_BUREAU
    )
    refused = statuses.loc[refused_rows, "推荐单位"].tolist()
    if refused:
        console.print(f"[yellow]文件未通过、需重新报送（{len(refused)}）：[/]" + "、".join(refused))
    print_refused_files(result)
    print_waiting_files(result)
    print_unapplied(result)
    from pipeline.packet.scans import no_ocr_note  # the scans' machinery only after a run

    if note := no_ocr_note(result.files):
        console.print(f"[yellow]{escape(note)}[/]")
    console.print(f"输出：{settings.batch_dir}")


def print_refused_files(result: BatchResult) -> None:
    """Every refused file by name with its first reason: a file no bureau owns is named too."""
    rejected = [f for f in result.files if f.status == "rejected"]
    if rejected:
        console.print(f"[yellow]未通过的文件（{len(rejected)}）：[/]")
    for f in rejected:
        reason = next((p.message for p in f.problems if p.severity == "file"), "")
        console.print(f"  {escape(f.file)}：{escape(reason)}")


def print_waiting_files(result: BatchResult) -> None:
    """Files still being copied: read on the next night, nobody asked to resend them."""
    waiting = [f for f in result.files if f.status == "deferred"]
    if waiting:
        console.print(
            f"[yellow]{labels.WAITING}（{len(waiting)}，文件可能仍在复制，下次汇总时再读，"
            "无需重新报送）：[/]"
        )
    for f in waiting:
        bureau = f.bureau.name if f.bureau else labels.UNKNOWN_BUREAU
        console.print(f"  {escape(f.file)}（{escape(bureau)}）")


def print_unapplied(result: BatchResult) -> None:
    """Decisions the clerk believes were applied but were not: each by line and reason."""
    lines = result.unapplied
    if lines:
        name = result.settings.decisions.name
        console.print(
            f"[yellow]{escape(name)} 中有 {len(lines)} 条处理意见未应用"
            "（已在 待核对重复.csv 中标为 未应用）：[/]"
        )
    for line in lines:
        console.print(f"  {escape(describe(line, result.settings.decisions.name))}")


def print_check(item: Checked) -> None:
    outcome = item.outcome
    bureau = outcome.bureau.name if outcome.bureau else labels.UNKNOWN_BUREAU
    console.print(f"[bold]{escape(outcome.file)}[/]  推荐单位：{bureau}")
    if len(outcome.tables) > 1:
        console.print(f"工作表：{escape(sheets_read(outcome))}")
    frame = problems_frame(item.result, outcome)
    if len(frame):
        console.print(summary.FrameView(frame[CHECK_COLUMNS]))
    else:
        console.print("未发现问题。")
    console.print(summary.counts_line(item.result.counts()))
    if not item.unwritten:
        console.print(f"回执：{escape(str(item.feedback))}")


def print_status(found: Status) -> None:
    """The ledger's view of the batch: who sent what, who has not, what changed."""
    table = found.table[STATUS_COLUMNS]
    console.print(
        summary.FrameView(
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
