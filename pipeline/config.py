"""Batch settings: one small TOML file (``beian.toml``), overridden by command-line options."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.schema import SCHEMAS_DIR

DEFAULT_CONFIG = "beian.toml"


@dataclass(frozen=True)
class PriorBatch:
    """An earlier batch whose spaces must not be filed again."""

    name: str
    path: Path


@dataclass(frozen=True)
class Settings:
    """Everything one run needs to know about its batch and where files live."""

    batch: str
    deadline: dt.date
    min_age_months: int
    form: Path
    inbox: Path
    outbox: Path
    ledger: Path
    decisions: Path
    priors: tuple[PriorBatch, ...]

    @property
    def cutoff(self) -> dt.date:
        """The latest founding day that is old enough (deadline minus the minimum age)."""
        return months_before(self.deadline, self.min_age_months)

    @property
    def batch_dir(self) -> Path:
        return self.outbox / self.batch


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day of the month ``months`` earlier, clamped to the month's last day."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    for candidate in range(day.day, 27, -1):
        try:
            return dt.date(year, month + 1, candidate)
        except ValueError:
            continue
    return dt.date(year, month + 1, min(day.day, 28))


def parse_date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"{what}“{text}”不是 YYYY-MM-DD 格式的日期。") from exc


def load_settings(config: Path | None = None, base: Path | None = None) -> Settings:
    """Read the config file; without one, the defaults of the shipped sample batch apply.

    Relative paths are taken relative to the config file's folder (or ``base``), so the nightly
    job works from any working directory.
    """
    path = Path(config) if config else Path(base or Path.cwd()) / DEFAULT_CONFIG
    data: dict = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"配置文件 {path} 格式错误：{exc}") from exc
    elif config:
        raise ConfigError(f"找不到配置文件 {path}。")
    root = path.parent if path.is_file() else Path(base or Path.cwd())
    batch = data.get("batch", {})
    paths = data.get("paths", {})

    def where(value: str) -> Path:
        p = Path(value)
        return p if p.is_absolute() else root / p

    return Settings(
        batch=str(batch.get("name", "2016年度第二批")),
        deadline=parse_date(str(batch.get("deadline", "2016-04-14")), "截止日期"),
        min_age_months=int(batch.get("min_age_months", 6)),
        form=where(batch["form"]) if "form" in batch else SCHEMAS_DIR / "annex3_2016.toml",
        inbox=where(paths.get("inbox", "inbox")),
        outbox=where(paths.get("outbox", "outbox")),
        ledger=where(paths.get("ledger", "beian-ledger.sqlite")),
        decisions=where(paths.get("decisions", "decisions.csv")),
        priors=tuple(PriorBatch(p["name"], where(p["path"])) for p in data.get("prior", [])),
    )


def prior_batch(option: str) -> PriorBatch:
    """``--prior 2016年度首批=prior/x.xlsx`` names the batch as bureaus will read it; a bare path
    is named after its file."""
    name, sep, path = option.partition("=")
    if sep and name and path:
        return PriorBatch(name.strip(), Path(path.strip()))
    return PriorBatch(Path(option).stem, Path(option))


def with_overrides(
    settings: Settings,
    *,
    inbox: Path | None = None,
    outbox: Path | None = None,
    ledger: Path | None = None,
    batch: str | None = None,
    deadline: str | None = None,
    priors: list[Path] | None = None,
) -> Settings:
    """Apply command-line options on top of the config file; ``--prior`` replaces the list."""
    changes: dict = {}
    if inbox:
        changes["inbox"] = inbox
    if outbox:
        changes["outbox"] = outbox
    if ledger:
        changes["ledger"] = ledger
    if batch:
        changes["batch"] = batch
    if deadline:
        changes["deadline"] = parse_date(deadline, "--deadline ")
    if priors:
        changes["priors"] = tuple(prior_batch(str(p)) for p in priors)
    return replace(settings, **changes)
