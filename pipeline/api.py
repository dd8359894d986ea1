"""The library surface for scripts: :func:`consolidate` and :func:`check` return records.

Records are plain dicts ready for ``json.dumps``: a script needs neither pandas nor the result
objects the stages pass between them. ``beian check --json`` prints exactly what :func:`check`
returns (tests/test_check.py proves it), as frictionless's ``validate --json`` does.
Both are exported as ``pipeline.consolidate`` and ``pipeline.check``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pipeline import run
from pipeline.core.config import load_settings, with_overrides
from pipeline.selfcheck import Checked, check_files, expand_paths
from pipeline.write.csvfiles import dispositions_frame

Record = dict[str, Any]


def check_records(checked: Sequence[Checked]) -> list[Record]:
    """One record per checked file: bureau, whether it passes, counts, receipt, every problem."""
    return [
        {
            "file": str(item.outcome.path),
            "bureau": item.outcome.bureau.name if item.outcome.bureau else "",
            "valid": not item.failed,
            "counts": item.result.counts(),
            "receipt": "" if item.unwritten else str(item.feedback),
            "problems": [asdict(p) for p in item.outcome.problems],
        }
        for item in checked
    ]


def check(
    paths: Sequence[Path | str],
    *,
    config: Path | None = None,
    deadline: str | None = None,
    priors: Sequence[Path] | None = None,
    out: Path | None = None,
) -> list[Record]:
    """Check files (or folders of them) as ``beian check`` does, writing each 回执; the records."""
    settings = with_overrides(load_settings(config), deadline=deadline, priors=_list(priors))
    return check_records(check_files(settings, expand_paths([Path(p) for p in paths]), out))


def consolidate(
    *,
    config: Path | None = None,
    inbox: Path | None = None,
    deadline: str | None = None,
    priors: Sequence[Path] | None = None,
) -> list[Record]:
    """Consolidate the inbox without writing anything; one record per data row with its
    disposition and codes (the lines of dispositions.csv)."""
    settings = with_overrides(
        load_settings(config), inbox=inbox, deadline=deadline, priors=_list(priors)
    )
    rows = dispositions_frame(run.consolidate_batch(settings).rows)
    return [dict(r) for r in rows.to_dict("records")]


def _list(paths: Sequence[Path] | None) -> list[Path] | None:
    return [Path(p) for p in paths] if paths else None
