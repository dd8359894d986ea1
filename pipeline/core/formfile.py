"""The form file checked whole when it loads: every section, key, type, kind, rule code, choice
table and 明细 part, so a typo stops the night with a message naming the file and the key (SPEC
§12, exit 2) instead of a KeyError half-way through it, or a rule silently never applied."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from pipeline.core.errors import ConfigError

ANSWER_KINDS = ("zone", "incubator")
KINDS = ("text", "name", "date", "choice", "fixed_phone", "mobile", "email", "zone", "incubator")
"""The column kinds normalise.py knows how to read; a form file may use no other."""
DETAIL_PARTS = {
    "date": ("start", "text", "year", "months"),
    "zone": ("answer", "name"),
    "incubator": ("answer", "name"),
}
"""The 明细 columns a column of these kinds gives (report.detail_frame); any other kind gives one,
``value``, labelled by default with the column's short label."""
COLUMN_KEYS = (
    "field",
    "label",
    "aliases",
    "kind",
    "required",
    "rules",
    "width",
    "choices",
    "detail",
)


def check_columns(path: Path, data: dict, codes: set[str]) -> None:
    """Refuse a form file whose columns name an unknown key, kind, rule code, choice table or
    明细 part, naming the entry, instead of passing it silently (kind, key) or failing mid-run
    with a KeyError (code, part)."""
    for number, column in enumerate(data["columns"], start=1):
        where = f"表样文件 {path} 第 {number} 个 [[columns]]（field = {column.get('field', '')}）"
        unknown_keys = [k for k in column if k not in COLUMN_KEYS]
        if unknown_keys:
            raise ConfigError(
                f"{where}的键 {'、'.join(unknown_keys)} 未知；"
                f"请删去或改正，可用：{'、'.join(COLUMN_KEYS)}。"
            )
        kind = column.get("kind")
        if kind not in KINDS:
            raise ConfigError(
                f"{where}的 kind “{column.get('kind', '')}” 未知；可用：{'、'.join(KINDS)}。"
            )
        unknown = [c for c in column.get("rules", ()) if c not in codes]
        if unknown:
            raise ConfigError(
                f"{where}的 rules 中有未定义的代码 {'、'.join(unknown)}；"
                "请先在 schemas/codes.toml 中写明它的提示和修改建议。"
            )
        table = column.get("choices")
        if (kind == "choice") != (table is not None) or (
            table is not None and not isinstance(data.get(table), dict)
        ):
            raise ConfigError(
                f"{where}：kind 为 choice 的列须用 choices 写明本文件中列出其选项的表"
                f'（如 choices = "institution_types"），其他列不写 choices；现为 “{table or ""}”。'
            )
        parts = DETAIL_PARTS.get(kind, ("value",))
        given = column.get("detail", {"value": ""} if kind not in DETAIL_PARTS else {})
        if sorted(given) != sorted(parts):
            raise ConfigError(
                f"{where}的 detail 须且只须写明 {'、'.join(parts)}（明细表中的列名）；"
                f"现为 {'、'.join(given) or '空'}。"
            )


SECTION_KEYS: dict[str, dict[str, tuple[type, bool]]] = {
    "form": {
        "id": (str, True),
        "title": (str, True),
        "stamp_label": (str, True),
        "stamp_markers": (list, True),
        "footer_prefixes": (list, True),
        "example_markers": (list, True),
        "header_search_rows": (int, True),
        "header_min_columns": (int, True),
        "footer_words": (list, False),
        "example_labels": (list, False),
        "ditto": (list, False),
        "same_as": (list, False),
        "packet": (str, False),
    },
    "answers": {
        "no": (list, True),
        "no_prefixes": (list, True),
        "yes_prefixes": (list, True),
        "filler": (list, True),
        "own_zone": (list, False),
        "zone_qualifiers": (list, False),
        "tick_columns": (list, False),
        "tick_marks": (list, False),
    },
    "optional": {"none_words": (list, False)},
    "as_filled": {
        "choice_marks": (list, False),
        "choice_boxes": (list, False),
        "artefacts": (list, False),
        "marker_words": (list, False),
        "withdrawal_words": (list, False),
        "heading_patterns": (list, False),
    },
}
"""Every key of every plain section of a form file: (type, required)."""
_TYPE_WORDS = {str: "文字", list: "列表", int: "整数"}


def _nearest(word: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.5)
    return f"（是不是 {close[0]}？）" if close else ""


def check_sections(path: Path, data: dict, codes: set[str]) -> None:
    """Refuse a form file with an unknown section or key, a missing required key or a value of
    the wrong type, naming the file and the key: a typo must stop the night with a message, never
    a KeyError half-way through it (SPEC §12). Choice tables (named by a column's ``choices``)
    are sections too."""
    if not isinstance(data.get("columns"), list) or not data["columns"]:
        raise ConfigError(f"表样文件 {path} 缺少 [[columns]]；请按附件3的列逐一写明。")
    check_columns(path, data, codes)
    tables = {c.get("choices") for c in data["columns"]}
    known = {*SECTION_KEYS, "columns", *(t for t in tables if t)}
    for section in data:
        if section not in known:
            raise ConfigError(
                f"表样文件 {path} 中的节 [{section}] 未知{_nearest(section, known)}；"
                f"请删去或改正，可用：{'、'.join(sorted(known))}。"
            )
    for section, keys in SECTION_KEYS.items():
        given = data.get(section, {})
        if not isinstance(given, dict):
            raise ConfigError(f"表样文件 {path} 中的 {section} 须是一节 [{section}]。")
        for key in given:
            if key not in keys:
                raise ConfigError(
                    f"表样文件 {path} 的 [{section}] 中的键 {key} 未知{_nearest(key, keys)}；"
                    f"请删去或改正，可用：{'、'.join(keys)}。"
                )
        for key, (kind, required) in keys.items():
            if key not in given:
                if required:
                    raise ConfigError(f"表样文件 {path} 的 [{section}] 缺少 {key}；请补上。")
                continue
            value = given[key]
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ConfigError(
                    f"表样文件 {path} 的 [{section}] 中 {key} 须是{_TYPE_WORDS[kind]}，"
                    f"现为 {value!r}。"
                )
            if isinstance(value, list) and not all(isinstance(item, str) for item in value):
                raise ConfigError(f"表样文件 {path} 的 [{section}] 中 {key} 的每一项须是文字。")
