"""``beian check``: what a bureau runs before sending — the nightly validation, one file at a time.

Each file is read, validated and compared with the prior batches exactly as ``beian run`` would,
but consolidated on its own: two versions of the same bureau's form do not supersede each other,
and nothing touches the inbox, the outbox or the ledger. The 回执 is written beside the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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


def check_file(settings: Settings, path: Path) -> BatchResult:
    """Consolidate one file on its own, against the configured prior batches."""
    outcome = FileOutcome(file=path.name, path=path, status="")
    fingerprint(outcome)
    return consolidate(settings, [outcome])


def check_files(settings: Settings, paths: list[Path], out: Path | None = None) -> list[Checked]:
    """Check every file and write its 回执."""
    checked = []
    for path in paths:
        result = check_file(settings, path)
        feedback = write_feedback(result, result.files[0], feedback_path(path, out))
        checked.append(Checked(result, feedback))
    return checked
