"""``beian init``: a batch folder of its own, away from the code.

The folder holds everything a batch needs and nothing of beian itself: a ``beian.toml`` with
Chinese comments (the form named, not a path, so the folder works wherever beian is installed),
``inbox/`` for what bureaus send, ``prior/`` with the January first batch that ships with beian,
and ``outbox/``. The nightly line of ``beian schedule`` then runs in it.
"""

from __future__ import annotations

import json
import shutil
import string
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from pipeline.core.atomic import write_atomic, write_text
from pipeline.core.config import DEFAULT_CONFIG, KEYS, check_batch_name, parse_date
from pipeline.core.errors import ConfigError, write_failure
from pipeline.core.packaged import PRIOR_DIR, TEMPLATES_DIR

FOLDERS = ("inbox", "prior", "outbox")
CONFIG_TEMPLATE = TEMPLATES_DIR / "beian.toml"
OWN_NAMES = (DEFAULT_CONFIG, *FOLDERS, "beian-ledger.sqlite", "decisions.csv", "beian.log")
"""What ``init`` makes or a batch later holds: any of them already there means another batch
(or this one) lives in the folder, and ``init`` will not write over it."""


@dataclass(frozen=True)
class BatchFolder:
    """What ``init`` made: the folder, its settings file and the prior batches it copied."""

    folder: Path
    config: Path
    priors: tuple[Path, ...]


def _default(name: str) -> str:
    return str(next(k.default for k in KEYS if k.dotted == f"batch.{name}"))


def in_the_way(folder: Path) -> list[str]:
    """The names in ``folder`` that ``init`` would write over or that belong to a batch."""
    if not folder.exists():
        return []
    if not folder.is_dir():
        raise ConfigError(f"{folder} 是一个文件，不是文件夹；请换一个新文件夹的名字。")
    return [name for name in OWN_NAMES if (folder / name).exists()]


def config_text(batch: str, deadline: str, prior_file: str) -> str:
    """The commented beian.toml for a new batch (pipeline/templates/beian.toml filled in)."""
    template = string.Template(CONFIG_TEMPLATE.read_text(encoding="utf-8"))
    # A JSON string is a TOML basic string; the batch-name rules already forbid " and \.
    quoted = json.dumps(batch, ensure_ascii=False)
    return template.substitute(batch=quoted, deadline=deadline, prior_file=prior_file)


def init_batch(folder: Path, batch: str | None = None, deadline: str | None = None) -> BatchFolder:
    """Make the batch folder ``folder``. A folder that already holds a batch (any of
    :data:`OWN_NAMES`) is refused; one holding only other files is safe and used."""
    name = check_batch_name(batch if batch is not None else _default("name"), "--batch ")
    day = parse_date(deadline or _default("deadline"), "--deadline ").isoformat()
    folder = folder.absolute()
    taken = in_the_way(folder)
    if taken:
        raise ConfigError(
            f"文件夹 {folder} 中已有 {'、'.join(taken)}，像是已有一个批次；"
            "beian init 不会覆盖它们，什么也没有做。"
            "请换一个新的（或空的）文件夹，如 beian init 2016年度第三批；"
            "只有其他文件的文件夹可以直接使用。"
        )
    priors = sorted(PRIOR_DIR.glob("*.xlsx"))
    try:
        for sub in FOLDERS:
            (folder / sub).mkdir(parents=True, exist_ok=True)
        copied = tuple(Path(shutil.copy2(p, folder / "prior" / p.name)) for p in priors)
        config = folder / DEFAULT_CONFIG
        write_atomic(config, partial(write_text, text=config_text(name, day, priors[0].name)))
    except OSError as exc:
        raise write_failure(exc, "批次文件夹") from exc
    return BatchFolder(folder, config, copied)
