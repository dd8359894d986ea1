"""The layout of the code, as issue 8 asks: one owner of problems, stages that import no
sibling's private names, every code findable where it is decided, and a README map that is true."""

from __future__ import annotations

import ast
import dataclasses
import os
import re
import shutil
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO

from pipeline.core.config import PriorBatch, Settings
from pipeline.core.model import BatchResult, FileOutcome, batch_problems
from pipeline.core.problems import problem
from pipeline.run import consolidate_batch
from pipeline.write.feedback import overview
from pipeline.write.problem_list import file_problems, problems_frame
from pipeline.write.report import rejected_frame, submissions_frame

PIPELINE = REPO / "pipeline"
MODULES = sorted(PIPELINE.rglob("*.py"))
OLD = 1460253600.0  # 2016-04-10: inputs old enough that none is deferred as being copied


@pytest.fixture
def sample(tmp_path: Path, settings: Settings) -> BatchResult:
    """The sample batch (inbox/ and prior/), consolidated."""
    shutil.copytree(REPO / "inbox", settings.inbox, dirs_exist_ok=True)
    for path in settings.inbox.rglob("*"):
        os.utime(path, (OLD, OLD))
    prior = REPO / "pipeline" / "prior" / "2016年度首批众创空间备案汇总表.xlsx"
    return consolidate_batch(
        dataclasses.replace(settings, priors=(PriorBatch("2016年度首批", prior),))
    )


# --- one owner of problems ------------------------------------------------------------------------


def test_the_batch_list_of_problems_is_derived_from_the_files() -> None:
    """BatchResult holds no list of its own: a problem recorded on a file is in the batch's
    list, and there is no other place to record one."""
    assert "problems" not in {f.name for f in dataclasses.fields(BatchResult)}
    outcome = FileOutcome(file="a.xlsx", path=Path("a.xlsx"), status="live")
    found = problem("F_EMPTY", file="a.xlsx")
    outcome.problems.append(found)
    assert batch_problems([outcome]) == [found]


def test_every_report_counts_the_problems_the_files_own(sample: BatchResult) -> None:
    """Per file, the 报送情况 提示 column, the 未通过 sheet's 问题数, the 回执's 问题清单 and 概况
    all count the same problems as the file's own list; the batch list is their concatenation."""
    assert sample.problems == [p for f in sample.files for p in f.problems]
    live = [f for f in sample.files if f.status == "live"]
    assert live and any(f.problems for f in live)
    submitted = submissions_frame(sample).set_index("采用文件")
    rejected = rejected_frame(sample)
    assert len(rejected)
    for f in live:
        warnings = sum(p.severity == "warning" for p in f.problems)
        assert submitted.at[f.file, "提示"] == warnings, f.file
        assert dict(overview(sample, f))["提示"] == warnings, f.file
        errors = Counter(p.row for p in f.problems if p.severity == "error")
        mine = rejected[rejected["文件"] == f.file]
        assert all(errors[r] == n for r, n in zip(mine["行"], mine["问题数"], strict=True)), f.file
        listed = problems_frame(sample, f)["问题"].tolist()
        assert listed[: len(f.problems)] == [p.message for p in file_problems(f)], f.file


# --- the modules ----------------------------------------------------------------------------------


def _trees() -> dict[Path, ast.Module]:
    return {p: ast.parse(p.read_text(encoding="utf-8")) for p in sorted(PIPELINE.rglob("*.py"))}


def test_no_module_imports_another_modules_private_names() -> None:
    private = [
        f"{path.relative_to(REPO)}: from {node.module} import {alias.name}"
        for path, tree in _trees().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pipeline")
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]
    assert private == []


def _decided(tree: ast.Module) -> set[str]:
    """Codes written where they are decided: the code argument of a call that builds the problem
    (problem(), FileRefused(), a row helper), a key of a rule table (validate.RULES), or the code
    of a (code, where) finding."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            found.add(node.args[0])
        elif isinstance(node, ast.Dict):
            found.update(k for k in node.keys if k is not None)
        elif isinstance(node, ast.Tuple) and node.elts:
            found.add(node.elts[0])
    return {n.value for n in found if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def test_every_code_is_found_by_name_where_it_is_decided() -> None:
    """One search for a code (say W_ZONE_BUREAU or E_MOBILE) lands on the line deciding it."""
    catalogue = REPO / "pipeline" / "schemas" / "codes.toml"
    codes = set(tomllib.loads(catalogue.read_text(encoding="utf-8")))
    decided = set().union(*(_decided(tree) for tree in _trees().values()))
    assert sorted(codes - decided) == []


def test_the_developers_map_lists_exactly_the_modules() -> None:
    """docs/developers.md's map names every module by its folder, and nothing that is gone."""
    docs = (REPO / "docs" / "developers.md").read_text(encoding="utf-8")
    section = docs.split("## The map", 1)[1].split("```", 2)[1]
    mapped, folder = [], ""
    for line in section.splitlines():
        found = re.match(r"^(  +)(\S+)", line)
        if not found or not found[2].endswith((".py", "/")):
            continue
        if len(found[1]) == 2:
            folder = found[2] if found[2].endswith("/") else ""
            if found[2].endswith(".py"):
                mapped.append(found[2])
        elif found[2].endswith(".py"):
            mapped.append(folder + found[2])
    expected = [
        p.relative_to(PIPELINE).as_posix()
        for p in MODULES
        if p.parent.name != "web" and (p.name != "__init__.py" or p.parent == PIPELINE)
    ]
    assert len(mapped) == len(set(mapped))
    assert sorted(mapped) == sorted(expected)
    assert "web/" in section and (PIPELINE / "web").is_dir()
