"""``beian check``: what a bureau runs before sending — the nightly validation, one file at a time.

Each file is read, validated and compared with the prior batches exactly as ``beian run`` would,
but consolidated on its own (with the Annex 1 forms given beside it): two versions of the same
bureau's form do not supersede each other, and nothing touches the inbox, the outbox or the
ledger. The 回执 is written beside the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.annex1 import word_kind
from pipeline.config import Settings
from pipeline.model import RECEIPT_SUFFIX, BatchResult, FileOutcome
from pipeline.run import consolidate, fingerprint
from pipeline.write_feedback import has_errors, write_feedback


@dataclass(frozen=True)
class Checked:
    """One checked file: its consolidation, the file's outcome in it, and where its 回执 went."""

    result: BatchResult
    feedback: Path

    @property
    def outcome(self) -> FileOutcome:
        return self.result.files[0]

    @property
    def failed(self) -> bool:
        return has_errors(self.outcome)


def feedback_path(path: Path, out: Path | None = None) -> Path:
    """<file stem>-回执.xlsx, beside the file or in ``out``."""
    return (out or path.parent) / f"{path.stem}{RECEIPT_SUFFIX}.xlsx"


def _outcome(path: Path) -> FileOutcome:
    outcome = FileOutcome(file=path.name, path=path, status="")
    fingerprint(outcome)
    return outcome


def check_file(settings: Settings, path: Path, forms: list[Path] | None = None) -> BatchResult:
    """Consolidate one file on its own, against the configured prior batches; Annex 1 forms
    given with it are matched to its rows and checked against them."""
    return consolidate(settings, [_outcome(p) for p in (path, *(forms or ()))])


def _matched(result: BatchResult) -> set[Path]:
    """The forms a workbook's consolidation matched to one of its rows."""
    return {f.path for f in result.files[1:] if f.status in ("annex1", "superseded")} - {
        f.path for f in result.files if any(p.code == "W_ANNEX1_ORPHAN" for p in f.problems)
    }


def check_files(settings: Settings, paths: list[Path], out: Path | None = None) -> list[Checked]:
    """Check every file and write its 回执. Word files are Annex 1 forms: each workbook is
    checked with all of them, and a form no workbook's row matches is checked on its own."""
    forms = [p for p in paths if word_kind(p)]
    checked = []
    matched: set[Path] = set()
    for path in (p for p in paths if p not in forms):
        result = check_file(settings, path, forms)
        matched |= _matched(result)
        feedback = write_feedback(result, result.files[0], feedback_path(path, out))
        checked.append(Checked(result, feedback))
    for path in (p for p in forms if p not in matched):
        result = check_file(settings, path)
        feedback = write_feedback(result, result.files[0], feedback_path(path, out))
        checked.append(Checked(result, feedback))
    return checked
