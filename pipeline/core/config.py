"""Batch settings: one small TOML file (``beian.toml``), overridden by command-line options.

Every key the file may hold is one line of :data:`KEYS` (section, name, type, default, meaning):
the reader refuses any other key or section, naming the nearest known one, and refuses a value
of the wrong type, so a misspelt ``dedline`` never silently falls back to a default. The table
of keys in the manual (docs/manual/02-新建批次.md) is this registry. Notepad's encodings (UTF-8
with or without BOM, GBK) are read.
"""

from __future__ import annotations

import datetime as dt
import difflib
import ipaddress
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pipeline.core.config_keys import KEYS, KIND_NAMES, REQUIRED, VALUE_NAMES, Key
from pipeline.core.errors import ConfigError
from pipeline.core.schema import SCHEMAS_DIR

DEFAULT_CONFIG = "beian.toml"
BATCH_NAME_MAX = 60
_FORBIDDEN_IN_NAME = '/\\:*?"<>|'


@dataclass(frozen=True)
class PriorBatch:
    """An earlier batch whose spaces must not be filed again."""

    name: str
    path: Path


@dataclass(frozen=True)
class Mail:
    """``[mail]`` of beian.toml and the contacts.csv beside it (催报, pipeline/state/remind.py)."""

    host: str = ""
    port: int = 25
    sender: str = ""
    starttls: bool = False
    site: str = ""
    contacts: Path = Path("contacts.csv")


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
    log: Path | None = None
    read_memory_mb: int = 1024
    read_seconds: float = 60.0
    mail: Mail = Mail()
    trusted_proxies: tuple[str, ...] = ()
    uploads_per_day: int = 50
    page_seconds: float = 30.0

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


def parse_date(text: str | dt.date, what: str) -> dt.date:
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"{what}“{text}”不是日期；请写成 YYYY-MM-DD，如 2016-04-14。") from exc


def check_batch_name(name: str, what: str) -> str:
    """The batch name becomes a folder under the outbox: 1–60 characters, no path separators or
    characters Windows forbids in a file name, not ``.`` or ``..``."""
    bad = sorted(set(name) & set(_FORBIDDEN_IN_NAME))
    problem = ""
    if not name.strip():
        problem = "为空"
    elif len(name) > BATCH_NAME_MAX:
        problem = f"有 {len(name)} 个字符，超过 {BATCH_NAME_MAX} 个"
    elif bad:
        problem = "含有不能用于文件夹名的字符 " + " ".join(bad)
    elif name.strip() in (".", ".."):
        problem = "不能是 . 或 .."
    elif name != name.strip():
        problem = "首尾有空格"
    if problem:
        raise ConfigError(
            f"{what}“{name}”{problem}。批次名称也是输出文件夹名：请用 1–{BATCH_NAME_MAX} 个字符，"
            f"不含 {' '.join(_FORBIDDEN_IN_NAME)}，如 2016年度第二批。"
        )
    return name


def decode_text(data: bytes) -> str:
    """Text as Notepad and Excel save it: UTF-8 with or without BOM, UTF-16 with BOM, or GBK
    (read as its superset GB18030). Raises UnicodeDecodeError when none fits."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _nearest(word: str, known: list[str], shown: dict[str, str]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.5)
    if close:
        return f"是不是 {shown[close[0]]}？"
    return "已知的有：" + "、".join(shown[k] for k in known) + "。"


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return "或".join(KIND_NAMES[k] for k in kinds)


def _check_value(key: Key, value: object, where: str) -> list[str]:
    kinds = key.kind if isinstance(key.kind, tuple) else (key.kind,)
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        return [
            f"{where} 的 {key.name} 应为{_type_name(key.kind)}，现在是“{value}”"
            f"（{VALUE_NAMES.get(type(value), type(value).__name__)}）。"
        ]
    return []


def _check_table(section: str, table: dict, where: str) -> list[str]:
    keys = {k.name: k for k in KEYS if k.section == section}
    errors = []
    for name, value in table.items():
        if name not in keys:
            hint = _nearest(name, list(keys), {k: k for k in keys})
            errors.append(f"{where} 的 {name} 不是已知的设置；{hint}")
        else:
            errors.extend(_check_value(keys[name], value, where))
    for name, key in keys.items():
        if key.default is REQUIRED and name not in table:
            errors.append(f"{where} 缺少 {name}。")
    return errors


def check_config(data: dict) -> list[str]:
    """Every unknown key or section and every value of the wrong type, as Chinese sentences."""
    sections = {k.section: k for k in KEYS}
    shown = {s: f"[[{s[:-2]}]]" if s.endswith("[]") else f"[{s}]" for s in sections}
    by_name = {s.removesuffix("[]"): s for s in sections}
    errors: list[str] = []
    for name, value in data.items():
        section = by_name.get(name)
        if section is None:
            hint = _nearest(name, list(by_name), {n: shown[s] for n, s in by_name.items()})
            errors.append(f"[{name}] 不是已知的设置节；{hint}")
        elif section.endswith("[]"):
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                errors.append(f"{name} 应写成 {shown[section]} 表（每项一节）。")
                continue
            for i, entry in enumerate(value, start=1):
                errors.extend(_check_table(section, entry, f"第 {i} 个 {shown[section]}"))
        elif not isinstance(value, dict):
            errors.append(f"{name} 应是一节 {shown[section]}，不是单个值。")
        else:
            errors.extend(_check_table(section, value, shown[section]))
    return errors


def read_config(path: Path) -> dict:
    """Parse and check beian.toml; every problem found is in the one error raised."""
    try:
        data = tomllib.loads(decode_text(path.read_bytes()))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"配置文件 {path} 的编码无法识别；请用记事本另存为 UTF-8 编码。") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"配置文件 {path} 格式错误：{exc}。"
            "请对照 beian init 生成的 beian.toml 或使用手册中的示例修改（文本要加英文引号）。"
        ) from exc
    except OSError as exc:
        raise ConfigError(f"配置文件 {path} 无法读取：{exc.strerror}。") from exc
    errors = check_config(data)
    if errors:
        raise ConfigError(
            f"配置文件 {path} 有 {len(errors)} 处错误：\n" + "\n".join(f"  {e}" for e in errors)
        )
    return data


def _value(data: dict, section: str, name: str) -> Any:
    key = next(k for k in KEYS if (k.section, k.name) == (section, name))
    return data.get(section, {}).get(name, key.default)


def load_settings(config: Path | None = None, base: Path | None = None) -> Settings:
    """Read the config file; without one, the defaults of the shipped sample batch apply.

    Relative paths are taken relative to the config file's folder (or ``base``), so the nightly
    job works from any working directory.
    """
    path = Path(config) if config else Path(base or Path.cwd()) / DEFAULT_CONFIG
    data: dict = {}
    if path.is_file():
        data = read_config(path)
    elif config:
        raise ConfigError(f"找不到配置文件 {path}；请检查 --config 给出的路径。")
    root = path.parent if path.is_file() else Path(base or Path.cwd())
    where = f"配置文件 {path} 中 "

    def at(value: str) -> Path:
        p = Path(value)
        return p if p.is_absolute() else root / p

    def value(dotted: str) -> Any:
        return _value(data, *dotted.split("."))

    months = value("batch.min_age_months")
    if months < 0:
        raise ConfigError(f"{where}min_age_months 不能为负数（现在是 {months}）。")
    for cap in ("memory_mb", "seconds_per_file", "seconds_per_page"):
        if value(f"limits.{cap}") <= 0:
            raise ConfigError(
                f"{where}[limits] {cap} 应大于 0（现在是 {value(f'limits.{cap}')}）。"
            )
    if value("site.uploads_per_day") <= 0:
        raise ConfigError(
            f"{where}[site] uploads_per_day 应大于 0（现在是 {value('site.uploads_per_day')}）。"
        )
    log = value("paths.log")
    return Settings(
        batch=check_batch_name(value("batch.name"), f"{where}批次名称"),
        deadline=parse_date(value("batch.deadline"), f"{where}截止日期"),
        min_age_months=months,
        form=form_path(value("batch.form"), at, where),
        inbox=at(value("paths.inbox")),
        outbox=at(value("paths.outbox")),
        ledger=at(value("paths.ledger")),
        decisions=at(value("paths.decisions")),
        priors=tuple(PriorBatch(p["name"], at(p["path"])) for p in data.get("prior", [])),
        log=at(log) if log else None,
        read_memory_mb=value("limits.memory_mb"),
        read_seconds=float(value("limits.seconds_per_file")),
        mail=Mail(
            **{k.name: value(k.dotted) for k in KEYS if k.section == "mail"},
            contacts=root / "contacts.csv",
        ),
        trusted_proxies=proxy_networks(value("site.trusted_proxies"), where),
        uploads_per_day=value("site.uploads_per_day"),
        page_seconds=float(value("limits.seconds_per_page")),
    )


def proxy_networks(given: list[object], where: str) -> tuple[str, ...]:
    """``[site] trusted_proxies``: each entry an IP address or network (``10.0.0.0/24``), checked
    here so a typo stops the site at start-up instead of silently trusting nobody."""
    found = []
    for entry in given:
        try:
            found.append(str(ipaddress.ip_network(str(entry).strip(), strict=False)))
        except ValueError:
            raise ConfigError(
                f"{where}[site] trusted_proxies 中的“{entry}”不是 IP 地址或网段；"
                '请写成 ["127.0.0.1"] 或 ["10.0.0.0/24"] 这样的列表。'
            ) from None
    return tuple(found)


def form_path(form: str, at: Callable[[str], Path], where: str) -> Path:
    """``form`` as a name of a form shipped with beian (``annex3_2016``), or a path to a form
    definition of one's own (relative to beian.toml): a path has a folder or ends in ``.toml``."""
    shipped = sorted(p.stem for p in SCHEMAS_DIR.glob("annex3_*.toml"))
    if not any(sep in form for sep in "/\\") and not form.endswith(".toml"):
        if form not in shipped:
            raise ConfigError(
                f"{where}form “{form}”不是随 beian 安装的表样；可用的有：{'、'.join(shipped)}。"
                "自己的表样定义文件请写路径（如 my_form.toml）。"
            )
        return SCHEMAS_DIR / f"{form}.toml"
    if not at(form).is_file():
        raise ConfigError(f"{where}form 指向的表样定义文件 {at(form)} 不存在；请检查路径。")
    return at(form)


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
    log: Path | None = None,
) -> Settings:
    """Apply command-line options on top of the config file; ``--prior`` replaces the list."""
    changes: dict = {}
    if inbox:
        changes["inbox"] = inbox
    if outbox:
        changes["outbox"] = outbox
    if ledger:
        changes["ledger"] = ledger
    if batch is not None:
        changes["batch"] = check_batch_name(batch, "--batch ")
    if deadline:
        changes["deadline"] = parse_date(deadline, "--deadline ")
    if priors:
        changes["priors"] = tuple(prior_batch(str(p)) for p in priors)
    if log:
        changes["log"] = log
    return replace(settings, **changes)
