"""``beian review`` and ``beian remind``: the province's decisions and its reminders (SPEC §14).

Thin like the rest of the command line: parse, call pipeline/state/review_store.py or
pipeline/state/remind.py, print. A review file's lines that cannot be applied are named and the rest
recorded (exit 0); the decisions take effect at the next consolidation.
"""

from __future__ import annotations

import getpass
from pathlib import Path

import typer
from rich.markup import escape

from pipeline.cli import BATCH, CONFIG, LEDGER, app_command, batch_settings, exits
from pipeline.consoles import console, err
from pipeline.core.errors import ConfigError

REVIEW_FILE = typer.Argument(
    ...,
    metavar="文件",
    help="评审结论 CSV：列 推荐单位,众创空间名称,结论,理由（结论：推荐/不推荐/退回，"
    "退回须写理由）；UTF-8、GBK 或 UTF-16 均可，如上次输出的 评审结论.csv。",
)
WHO = typer.Option(None, "--who", metavar="姓名", help="评审人（默认：当前登录的系统用户名）。")


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment (a bare scheduled task)
        return "命令行"


@app_command("review")
def review_command(
    file: Path = REVIEW_FILE,
    who: str | None = WHO,
    config: Path | None = CONFIG,
    ledger: Path | None = LEDGER,
    batch: str | None = BATCH,
) -> None:
    """记录省里的评审结论（推荐/不推荐/退回及理由）；无法应用的行逐一列出，其余照常记录。"""
    from pipeline.core.schema import load_registers
    from pipeline.dedupe.verdicts import read_review_file
    from pipeline.state.ledger import Ledger
    from pipeline.state.review_store import record_reviews
    from pipeline.state.status import require_ledger

    with exits():
        settings = batch_settings(config, need_config=True, ledger=ledger, batch=batch)
        if not file.is_file():
            raise ConfigError(f"找不到评审结论文件 {file}；请检查路径。")
        require_ledger(settings.ledger)
        lines = read_review_file(file)
        store = Ledger(settings.ledger)
        try:
            registers = load_registers(settings.form.parent)
            refused = record_reviews(store, settings.batch, lines, who or _user(), registers)
        finally:
            store.close()
    recorded = len(lines) - len(refused)
    console.print(
        f"已记录 {recorded} 条评审结论；下次汇总（beian run 或网站“立即汇总”）时生效，"
        "写入汇总表的“评审”表和 评审结论.csv。",
        soft_wrap=True,
    )
    for line in refused:
        at = f"第 {line.line} 行" if line.line else "整个文件"
        err.print(
            f"[yellow]未应用：[/]{escape(file.name)} {at}：{escape(line.refused)}", soft_wrap=True
        )


@app_command("remind")
def remind_command(
    config: Path | None = CONFIG,
    ledger: Path | None = LEDGER,
    batch: str | None = BATCH,
) -> None:
    """催报：为未报送、文件未通过或有退回的推荐单位写出 催报通知.csv；配置了 [mail] 时发送邮件。"""
    from pipeline.state.remind import remind
    from pipeline.state.status import require_ledger

    with exits():
        settings = batch_settings(config, need_config=True, ledger=ledger, batch=batch)
        require_ledger(settings.ledger)
        path, found = remind(settings, _user())
    for r in found:
        console.print(f"{escape(r.bureau)}：{r.reason}；{escape(r.outcome)}", soft_wrap=True)
    console.print(f"需要催报 {len(found)} 个单位；通知已写入 {escape(str(path))}", soft_wrap=True)
