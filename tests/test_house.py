"""The house: each sub-package of ``pipeline`` imports only from its own layer or below.

The layers, lowest first, are the path of the data (docs/developers.md draws them): the records
and settings at the bottom import no stage, and no stage reaches up into a later one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pipeline"
LAYERS = ("core", "read", "rules", "dedupe", "packet", "write", "state", "wiring", "web", "faces")
WIRING = {"run", "intake", "selfcheck", "api"}


def layer(module: str) -> str:
    """The layer of a dotted module under ``pipeline``. The root package is the library's face
    for scripts (``pipeline.consolidate``); its ``__version__`` counts as the bottom."""
    parts = module.split(".")[1:]
    if not parts:
        return "faces"
    if parts == ["__version__"]:
        return "core"
    if parts[0] in LAYERS:
        return parts[0]
    return "wiring" if parts[0] in WIRING else "faces"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> list[str]:
    """Every ``pipeline`` module a file imports, at the top or inside a function."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline"):
            if node.module == "pipeline":
                found += [f"pipeline.{alias.name}" for alias in node.names]
            else:
                found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("pipeline")]
    return found


def upward_imports() -> list[tuple[str, str]]:
    climbs = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = module_name(path)
        for target in imported(path):
            if LAYERS.index(layer(target)) > LAYERS.index(layer(here)):
                climbs.append((here, target))
    return climbs


def test_no_sub_package_imports_one_above_it() -> None:
    assert upward_imports() == []


def test_every_module_has_a_layer() -> None:
    """A new top-level module must be placed on purpose: wiring or a face, never by accident."""
    top = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    faces = {"cli", "cli_print", "cli_zh", "launch", "consoles", "cli_options", "cli_batch"}
    faces |= {"schedule", "schedule_install", "docs_rules"}  # beian schedule, the rule reference
    assert top == WIRING | faces


@pytest.mark.parametrize("importer", ["pipeline.read.header", "pipeline.core.model"])
def test_the_check_sees_a_climb(importer: str) -> None:
    """The check is not vacuous: a stage importing a later one is reported."""
    assert LAYERS.index(layer("pipeline.write.report")) > LAYERS.index(layer(importer))
