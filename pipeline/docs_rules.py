"""The rule reference, docs/rules.md, generated from the form definitions and the code catalogue.

``python -m pipeline.docs_rules [FILE]`` writes it (default ``docs/rules.md``); tests/test_docs.py
fails when the committed file differs from what this renders, as cog keeps sqlite-utils' CLI
reference, so the reference can never drift from the rules beian applies.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline.core.packaged import SCHEMAS_DIR
from pipeline.core.schema import Catalogue, CodeSpec, FormSpec, load_catalogue, load_form

SEVERITIES = {
    "file": (
        "F_",
        "整个文件不受理",
        "文件中的任何一行都不汇总，推荐单位需改正后重新报送整个文件。",
    ),
    "error": (
        "E_",
        "该行不受理（错误）",
        "这一行不进入汇总表，回执中标红；同一文件的其他行不受影响。",
    ),
    "warning": (
        "W_",
        "该行受理，提醒改正（警告）",
        "这一行照常汇总，回执中标黄，提醒推荐单位核对。",
    ),
    "notice": (
        "I_",
        "说明（重复）",
        "说明这一行与往批或本批其他行重复的情况；行的去向见 dispositions.csv。",
    ),
}
FORM = "annex3_2016.toml"
OUT = Path("docs") / "rules.md"


def columns_of(form: FormSpec) -> dict[str, list[str]]:
    """Per code, the Annex 3 columns that obey it (E_REQUIRED for the required ones)."""
    found: dict[str, list[str]] = {}
    for column in form.columns:
        codes = (["E_REQUIRED"] if column.required else []) + list(column.rules)
        for code in codes:
            found.setdefault(code, []).append(column.short_label)
    return found


def _entry(spec: CodeSpec, columns: list[str]) -> list[str]:
    lines = [f"### `{spec.code}`", "", f"- 提示：{spec.message}", f"- 修改建议：{spec.hint}"]
    if columns:
        lines.append(f"- 适用的列：{'、'.join(columns)}")
    return [*lines, ""]


def render(catalogue: Catalogue, form: FormSpec) -> str:
    """The whole reference: how to read it, the columns and their rules, then every code."""
    columns = columns_of(form)
    out = [
        "# 规则一览",
        "",
        "<!-- 本文件由 `python -m pipeline.docs_rules` 从 pipeline/schemas/ 生成，请勿手改。 -->",
        "",
        "beian 对每个文件、每一行提出的问题都有一个代码，代码的前缀表示严重程度。"
        "提示中 `{…}` 处在回执里换成实际内容：`{column}` 列名，`{value}` 填写的内容。",
        "本页由 `python -m pipeline.docs_rules` 从 `pipeline/schemas/`（codes.toml 与表样定义）"
        "生成；规则改在那里，再重新生成本页。",
        "",
        "| 前缀 | 严重程度 | 含义 |",
        "|---|---|---|",
        *(f"| `{p}` | {name} | {meaning} |" for p, name, meaning in SEVERITIES.values()),
        "",
        f"## 附件3各列的规则（{form.title}）",
        "",
        "| 列 | 必填 | 规则 |",
        "|---|---|---|",
    ]
    for column in form.columns:
        codes = (["E_REQUIRED"] if column.required else []) + list(column.rules)
        rules = "、".join(f"`{c}`" for c in codes) or "—"
        out.append(f"| {column.short_label} | {'是' if column.required else '否'} | {rules} |")
    out.append("")
    for severity, (prefix, name, _) in SEVERITIES.items():
        specs = [s for s in catalogue.codes.values() if s.severity == severity]
        out += [f"## `{prefix}` {name}（{len(specs)} 个）", ""]
        for spec in specs:
            out += _entry(spec, columns.get(spec.code, []))
    return "\n".join(out).rstrip() + "\n"


def current() -> str:
    """The reference as the shipped schemas give it."""
    return render(load_catalogue(SCHEMAS_DIR / "codes.toml"), load_form(SCHEMAS_DIR / FORM))


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else OUT
    out.write_text(current(), encoding="utf-8", newline="\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
