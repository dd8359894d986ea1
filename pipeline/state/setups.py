"""Setups that would corrupt a batch silently are refused before any work (SPEC §12, exit 2).

Each message names both paths and the fix. An outbox inside the inbox would make the next night
read beian's own receipts as the bureaus' files; an inbox inside the outbox gets cleared of what
the run writes there; a ledger or log inside the inbox changes every night, so no night is ever
quiet and the ledger is reported as a refused submission (the decisions file likewise); a prior
batch inside the inbox, or with the same content as one of this batch's files, reports a bureau's
spaces back to it as "already filed", and this batch's own consolidated workbook (in its output
folder) as a prior would file every space as already filed. An inbox path that is a file is
named as such, not as missing.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pipeline.core.config import Settings
from pipeline.core.errors import ConfigError
from pipeline.core.model import FileOutcome


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's content, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies below it (links and ``..`` resolved)."""
    return path.resolve().is_relative_to(folder.resolve())


def require_inbox(inbox: Path) -> None:
    """The inbox must be an existing folder; a file there is named as a file, not as missing."""
    if inbox.is_file():
        raise ConfigError(
            f"收件箱 {inbox} 是一个文件，不是文件夹；请用 --inbox 或 beian.toml 的 inbox "
            "指定装有各单位报送文件的文件夹。"
        )
    if not inbox.is_dir():
        raise ConfigError(f"收件箱文件夹 {inbox} 不存在；请创建它，或用 --inbox 指定。")


def refuse_overlaps(settings: Settings) -> None:
    """The paths of a batch must not overlap in a way that feeds one night's output to the next."""
    inbox, outbox = settings.inbox, settings.outbox
    require_inbox(inbox)
    if _inside(outbox, inbox):
        raise ConfigError(
            f"输出文件夹 {outbox} 在收件箱 {inbox} 之内：下一晚 beian 会把自己写出的回执和汇总表"
            "当作报送文件读入。请把输出文件夹移到收件箱以外（--outbox 或 beian.toml 的 outbox）。"
        )
    if _inside(inbox, outbox):
        raise ConfigError(
            f"收件箱 {inbox} 在输出文件夹 {outbox} 之内：输出文件夹由 beian 改写，报送文件不应放在"
            "其中。请把收件箱和输出文件夹分开（--inbox、--outbox 或 beian.toml）。"
        )
    watched = (
        ("台账文件", settings.ledger),
        ("运行日志", settings.log),
        ("处理意见文件", settings.decisions),
    )
    for what, path in watched:
        if path is not None and _inside(path, inbox):
            raise ConfigError(
                f"{what} {path} 在收件箱 {inbox} 之内：收件箱中的每个文件都会被当作报送文件读入。"
                "请把它放到收件箱以外（beian.toml 或命令行选项）。"
            )
    for prior in settings.priors:
        if _inside(prior.path, inbox):
            raise ConfigError(
                f"往批汇总表 {prior.path}（{prior.name}）在收件箱 {inbox} 之内：它会被当作本批的"
                "报送文件读入。请把它移到收件箱以外（如 prior/ 文件夹），"
                "并相应修改 beian.toml 的 [[prior]] 或 --prior。"
            )
        if _inside(prior.path, settings.batch_dir):
            raise ConfigError(
                f"往批汇总表 {prior.path}（{prior.name}）在本批的输出文件夹 {settings.batch_dir} "
                "之内：那是本批自己的汇总结果，用作往批会把本批每个众创空间都当作“往批已备案”。"
                "请指定往批（如 2016年度首批）的汇总表（--prior 或 beian.toml 的 [[prior]]）。"
            )


def refuse_prior_in_batch(settings: Settings, files: list[FileOutcome]) -> None:
    """A prior batch with the same content as one of this batch's files: that bureau's spaces
    would be reported to it as already filed. (A missing prior is named when it is read.)"""
    by_content = {f.sha256: f for f in files if f.sha256}
    for prior in settings.priors:
        same = by_content.get(sha256_of(prior.path)) if prior.path.is_file() else None
        if same is not None:
            raise ConfigError(
                f"往批汇总表 {prior.path}（{prior.name}）与本批收件箱中的 "
                f"{settings.inbox / same.file} 内容相同：该单位本批报送的众创空间都会被当作"
                "“往批已备案”。请检查 --prior 或 beian.toml 的 [[prior]] 是否指错了文件。"
            )
