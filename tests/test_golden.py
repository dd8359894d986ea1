"""Golden run: the sample batch (inbox/ + prior/) gives the same outputs as the stored snapshot.

Guards refactors and speed work: every CSV must match byte for byte and every workbook (the
consolidated one, the receipts, the reports) must hold the same cell values on every sheet. Values
that depend on the run itself (clock, temporary paths, durations) are normalised before comparing.
Regenerate after an intended change with ``BEIAN_GOLDEN_WRITE=1 pytest tests/test_golden.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from conftest import REPO
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.config import Settings

GOLDEN = Path(__file__).parent / "golden" / "sample_batch.json"
PRIOR = REPO / "pipeline" / "prior" / "2016年度首批众创空间备案汇总表.xlsx"
# Inputs get a fixed, old modification time so nothing is deferred as "still being copied".
OLD = dt.datetime(2016, 4, 10, 9, 0).timestamp()

_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?")
_DURATION = re.compile(r"\d+(\.\d+)?\s*(秒|s\b)")


def _normalise(text: str, root: Path) -> str:
    """Remove what changes from run to run: the tmp folder, timestamps, durations."""
    text = text.replace(str(root), "<tmp>").replace(root.as_posix(), "<tmp>")
    text = _STAMP.sub("<time>", text)
    return _DURATION.sub("<duration>", text)


def _cell(value: Any, root: Path) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, str):
        return _normalise(value, root)
    return value


def _book(path: Path, root: Path) -> dict[str, list[list[Any]]]:
    book = openpyxl.load_workbook(path)
    return {
        ws.title: [[_cell(v, root) for v in row] for row in ws.iter_rows(values_only=True)]
        for ws in book.worksheets
    }


def snapshot(tmp_path: Path, settings: Settings) -> dict[str, Any]:
    """Run the sample batch through the CLI; every output file, normalised."""
    shutil.copytree(REPO / "inbox", settings.inbox, dirs_exist_ok=True)
    for path in settings.inbox.rglob("*"):
        os.utime(path, (OLD, OLD))
    args = ["run", "--inbox", str(settings.inbox), "--outbox", str(settings.outbox)]
    args += ["--ledger", str(settings.ledger), "--prior", str(PRIOR)]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    outputs: dict[str, Any] = {"exit_code": result.exit_code}
    inputs = {p.relative_to(REPO / "inbox") for p in (REPO / "inbox").rglob("*")}
    for root in (settings.outbox, settings.inbox):
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            if path.relative_to(root) in inputs and root == settings.inbox:
                continue
            name = f"{root.name}/{path.relative_to(root).as_posix()}"
            if path.suffix == ".xlsx":
                outputs[name] = _book(path, tmp_path)
            elif path.suffix == ".parquet":
                frame = pd.read_parquet(path).astype(str)
                outputs[name] = [list(frame.columns), *frame.to_numpy().tolist()]
            else:
                outputs[name] = _normalise(path.read_bytes().decode("utf-8"), tmp_path)
    return outputs


def test_sample_batch_matches_the_golden_snapshot(tmp_path: Path, settings: Settings) -> None:
    got = json.loads(json.dumps(snapshot(tmp_path, settings), ensure_ascii=False, default=str))
    if os.environ.get("BEIAN_GOLDEN_WRITE"):
        GOLDEN.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name] == want[name], name
