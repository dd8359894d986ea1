"""The feedback workbook (回执) a bureau receives: what was taken, what is wrong, and where.

One workbook per live file (named after the bureau) and per rejected file, with three sheets
(four when the file replaces an earlier one: 与上次相比, pipeline/write/compare.py):
概况 — the counts and what to do next, in a few plain sentences; 问题清单 — one line per problem,
sorted by row, with the value as sent and how to fix it; 标注 — the bureau's own sheet with every
value at its original address, errors filled red and warnings yellow, each with a comment.

标注 is written by pipeline/write_marked.py. Everything is computed from the :class:`BatchResult`;
nothing here judges a value.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

from xlsxwriter.worksheet import Worksheet

from pipeline.core.atomic import Staging, staged, write_atomic
from pipeline.core.model import (
    DISPOSITIONS,
    PACKET_STATUSES,
    BatchResult,
    FileOutcome,
    disposition_counts,
)
from pipeline.core.names import fit_name
from pipeline.read.sheets import marked_names, sheets_read
from pipeline.write.book import Book, write_table
from pipeline.write.labels import DISPOSITION_LABELS, STATUS_LABELS, UNKNOWN_BUREAU
from pipeline.write.marked import write_marked
from pipeline.write.packet_report import packet_summary
from pipeline.write.problem_list import file_rows, problems_frame
from pipeline.write.xlsx import Formats, print_setup, row_height, write_value

FEEDBACK_STATUSES = ("live", "rejected")
COMPARED = "与上次相比"


def feedback_name(outcome: FileOutcome) -> str:
    """回执 file name: the bureau's registered name for its live file; bureau and file otherwise,
    shortened to fit any file system (pipeline/names.py)."""
    if outcome.status == "live" and outcome.bureau is not None:
        return f"{outcome.bureau.name}.xlsx"
    owner = outcome.bureau.name if outcome.bureau is not None else UNKNOWN_BUREAU
    stem = PurePosixPath(outcome.file).with_suffix("").as_posix().replace("/", "_")
    return fit_name(f"{owner}-{stem}", ".xlsx")


def has_errors(outcome: FileOutcome) -> bool:
    """Whether anything in the file must be fixed (a refused file or a rejected cell)."""
    return any(p.severity in ("file", "error") for p in outcome.problems)


def file_counts(result: BatchResult, outcome: FileOutcome) -> dict[str, int]:
    """Data rows of this file by disposition (all zero for a refused file)."""
    return disposition_counts(file_rows(result, outcome))


def next_steps(result: BatchResult, outcome: FileOutcome, counts: dict[str, int]) -> list[str]:
    """What the bureau should do now, in a few plain sentences (``counts``: :func:`file_counts`)."""
    deadline = result.settings.deadline
    refusals = [p for p in outcome.problems if p.severity == "file"]
    if refusals:
        form = any(p.code.startswith("F_ANNEX1") for p in refusals)
        return [f"本文件未能受理：{p.message}处理办法：{p.hint}" for p in refusals] + [
            f"请修改后在截止日期 {deadline} 前重新报送"
            + ("该众创空间的附件1。" if form else "完整的附件3。")
        ]
    accepted, rejected = counts["accepted"], counts["rejected"]
    prior, batch = counts["duplicate_prior"], counts["duplicate_batch"]
    warnings = sum(p.severity == "warning" for p in outcome.problems)
    if accepted == sum(counts.values()) and not warnings:
        return [f"本次报送的 {accepted} 个众创空间已全部受理，无需任何处理。"]
    steps = [f"已受理 {accepted} 个众创空间。"]
    if rejected:
        steps.append(
            f"有 {rejected} 行未通过，未列入汇总：请按“问题清单”逐项修改（“标注”表中红色单元格为"
            f"错误，鼠标指向单元格可看到说明），在截止日期 {deadline} 前重新报送完整的附件3"
            "（已受理的行也要保留），新文件将整体替换本文件。"
        )
    if warnings:
        steps.append(
            f"有 {warnings} 处提示（黄色单元格），相关行已受理，请核实；"
            "如确有错误，请更正后重新报送完整的附件3。"
        )
    if prior:
        steps.append(
            f"有 {prior} 个众创空间此前已报送备案（见“问题清单”），"
            "按通知不需要重复报送，本次不再汇总。"
        )
    if batch:
        steps.append(
            f"有 {batch} 个众创空间已由其他推荐单位在本批报送（见“问题清单”），本次不再重复汇总。"
        )
    if not rejected and not warnings:
        steps.append("无需任何处理。")
    return steps


def overview(result: BatchResult, outcome: FileOutcome) -> list[tuple[str, Any]]:
    """概况: (label, value) lines: the bureau, the file, when received, counts, what next."""
    bureau = outcome.bureau
    others = [
        f"{f.file}（{STATUS_LABELS.get(f.status, f.status)}）"
        for f in result.files
        if f is not outcome
        and bureau is not None
        and f.bureau is not None
        and f.bureau.code == bureau.code
        and f.status not in PACKET_STATUSES
    ]
    counts = file_counts(result, outcome)
    received = outcome.received.strftime("%Y-%m-%d %H:%M") if outcome.received else ""
    lines: list[tuple[str, Any]] = [
        (
            "推荐单位",
            f"{bureau.name}（依据：{outcome.bureau_source}）" if bureau else UNKNOWN_BUREAU,
        ),
        ("批次", f"{result.settings.batch}（截止日期 {result.settings.deadline}）"),
        ("采用文件" if outcome.status == "live" else "未受理文件", outcome.file),
        ("工作表", sheets_read(outcome)),
        ("收到时间", received),
        ("数据行", sum(counts.values())),
        *((DISPOSITION_LABELS[d], counts[d]) for d in DISPOSITIONS),
        ("提示", sum(p.severity == "warning" for p in outcome.problems)),
    ]
    if others:
        lines.append(("本单位其他文件", "；".join(others)))
    if packet := packet_summary(result, outcome):
        lines.append(("附件1、附件2", packet))
    if (compared := result.comparisons.get(outcome.file)) is not None:
        lines.append(("与上次相比", compared.summary() + "详见“与上次相比”表。"))
    steps = next_steps(result, outcome, counts)
    lines += [("下一步" if i == 0 else "", step) for i, step in enumerate(steps)]
    return lines


def write_overview(ws: Worksheet, lines: list[tuple[str, Any]], title: str, fmt: Formats) -> None:
    """概况: label and value, one per line, left-aligned (counts too) so they print beside their
    labels; fitted to one page width, each row as tall as its wrapped text."""
    widths = [16, 80]
    ws.set_column(0, 0, widths[0])
    ws.set_column(1, 1, widths[1])
    print_setup(ws)
    ws.set_portrait()
    ws.set_row(0, 24)
    ws.merge_range(0, 0, 0, 1, title, fmt.header)
    for row, (label, value) in enumerate(lines, start=2):
        ws.set_row(row, max(row_height(["" if value is None else str(value)], widths[1:]), 18))
        ws.write_string(row, 0, label, fmt.text)
        write_value(ws, row, 1, value, fmt.wrap)


def _write(result: BatchResult, outcome: FileOutcome, path: Path) -> None:
    owner = outcome.bureau.name if outcome.bureau is not None else UNKNOWN_BUREAU
    title = f"{result.settings.batch}众创空间备案回执：{owner}"
    book = Book(path, title, "beian")
    wb = book.workbook
    fmt = Formats(wb)
    write_overview(wb.add_worksheet("概况"), overview(result, outcome), title, fmt)
    write_table(
        book,
        wb.add_worksheet("问题清单"),
        problems_frame(result, outcome),
        fmt,
        formats={"问题": fmt.wrap, "修改建议": fmt.wrap, "填写内容": fmt.wrap},
    )
    compared = result.comparisons.get(outcome.file)
    if compared is not None:
        wrapped = {"上次": fmt.wrap, "本次": fmt.wrap}
        write_table(book, wb.add_worksheet(COMPARED), compared.frame(), fmt, formats=wrapped)
    names = marked_names([t.sheet for t in outcome.tables], {"概况", "问题清单", COMPARED})
    for table, name in zip(outcome.tables, names, strict=True):  # one 标注 per sheet read
        found = [p for p in outcome.problems if p.sheet == table.sheet]
        write_marked(book, wb.add_worksheet(name), table, found, result.form)
    wb.worksheets()[0].activate()
    book.close()


def write_feedback(result: BatchResult, outcome: FileOutcome, path: Path) -> Path:
    """Write one file's 回执 atomically at ``path``."""
    write_atomic(path, lambda tmp: _write(result, outcome, tmp))
    return path


def feedback_targets(result: BatchResult, directory: Path) -> list[tuple[FileOutcome, Path]]:
    """A 回执 for every bureau with a live file and for every rejected file, in ``directory``."""
    return [
        (outcome, Path(directory) / feedback_name(outcome))
        for outcome in result.files
        if outcome.status in FEEDBACK_STATUSES
    ]


def receipt_jobs(
    result: BatchResult, targets: list[tuple[FileOutcome, Path]]
) -> list[Callable[[], None]]:
    """Writing each outcome's 回执 at its path, a job each: the nightly run gives staged paths
    and shares the jobs between two processes (pipeline/alongside.py)."""
    return [partial(_write, result, outcome, path) for outcome, path in targets]


def write_all_feedback(
    result: BatchResult, directory: Path, staging: Staging | None = None
) -> list[Path]:
    """Every 回执 of :func:`feedback_targets` in ``directory``, published together; given the
    night's ``staging``, they join it and are published with the other outputs instead."""
    targets = feedback_targets(result, directory)
    with nullcontext(staging) if staging is not None else staged() as stage:
        for job in receipt_jobs(result, [(o, stage.path(path)) for o, path in targets]):
            job()
    return [path for _, path in targets]
