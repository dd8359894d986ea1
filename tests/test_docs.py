"""The documentation keeps up with the code: the rule reference is generated from the schemas
and fails here when it drifts (as cog keeps sqlite-utils' CLI reference); every link between
the documents leads somewhere; the README stays a page."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import REPO

from pipeline.core.schema import load_catalogue
from pipeline.docs_rules import current, main

DOCS = REPO / "docs"
CHAPTERS = ["01-安装", "02-新建批次", "03-每晚自动汇总", "04-早上看什么", "05-网上报送",
            "06-重复与决定", "07-审核与推荐", "08-出错时"]  # fmt: skip


def test_the_rule_reference_is_what_the_schemas_give() -> None:
    assert (DOCS / "rules.md").read_text(encoding="utf-8") == current(), (
        "docs/rules.md is stale: regenerate it with `python -m pipeline.docs_rules`"
    )


def test_the_reference_has_every_code_with_its_message_and_fix() -> None:
    text = current()
    for spec in load_catalogue().codes.values():
        entry = text.split(f"### `{spec.code}`\n", 1)[1].split("###", 1)[0]
        assert f"- 提示：{spec.message}\n" in entry and f"- 修改建议：{spec.hint}\n" in entry


def test_the_generator_writes_the_file(tmp_path: Path) -> None:
    main([str(tmp_path / "rules.md")])
    assert (tmp_path / "rules.md").read_text(encoding="utf-8") == current()


def links(path: Path) -> list[Path]:
    """The local files a Markdown document links to."""
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8"))
    return [(path.parent / t).resolve() for t in targets if "://" not in t]


def test_every_link_between_the_documents_leads_somewhere() -> None:
    for doc in [REPO / "README.md", *DOCS.rglob("*.md")]:
        for target in links(doc):
            assert target.exists(), f"{doc}: {target}"


def test_the_manual_index_links_every_chapter_in_order() -> None:
    index = DOCS / "manual" / "README.md"
    chapters = [t.stem for t in links(index) if t.parent == DOCS / "manual"]
    assert chapters == CHAPTERS


def test_the_readme_is_a_page_with_no_past_measurement() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 150
    assert not re.search(r"\d+(\.\d+)? ?(s|ms|MB|GB|秒)\b|20\d\d-\d\d-\d\d \d", readme)
    for target in ("docs/manual/README.md", "docs/bureaus.md", "docs/rules.md"):
        assert f"]({target})" in readme
