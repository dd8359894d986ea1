"""``beian check``: what a bureau runs before sending — the nightly validation, one file at a time.

Each file is read, validated and compared with the prior batches exactly as ``beian run`` would,
but consolidated on its own (with the Annex 1 forms given beside it): two versions of the same
bureau's form do not supersede each other, and nothing touches the inbox, the outbox or the
ledger. The 回执 is written beside the file.
A folder given instead of a file stands for the workbooks and forms in it (and its
sub-folders), chosen as the nightly run chooses them from the inbox: lock files, hidden files,
other documents and earlier receipts are left out. A receipt that cannot be written does not
hide the check's result.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.core.config import Settings
from pipeline.core.errors import ConfigError, OutputError
from pipeline.core.model import RECEIPT_SUFFIX, BatchResult, FileOutcome, FileStatus
from pipeline.core.names import fit_name
from pipeline.packet.annex2 import DOCUMENT_SUFFIXES
from pipeline.packet.pdfform import form_kind
from pipeline.run import consolidate_batch
from pipeline.state.inbox import fingerprint, scan_inbox
from pipeline.write.feedback import has_errors, write_feedback

FORM_KINDS = ("docx", "doc", "pdf")
"""Files ``beian check`` takes for Annex 1 forms (a picture is a document there)."""


@dataclass(frozen=True)
class Checked:
    """One checked file: its consolidation, the file's outcome in it, and where its 回执 went."""

    result: BatchResult
    feedback: Path
    unwritten: str = ""
    """Why the 回执 could not be written ("" when it was)."""

    @property
    def outcome(self) -> FileOutcome:
        return self.result.files[0]

    @property
    def failed(self) -> bool:
        return has_errors(self.outcome)


def feedback_path(path: Path, out: Path | None = None) -> Path:
    """<file stem>-回执.xlsx, beside the file or in ``out``; a long stem is shortened."""
    return (out or path.parent) / fit_name(path.stem, f"{RECEIPT_SUFFIX}.xlsx")


def _outcome(path: Path) -> FileOutcome:
    outcome = FileOutcome(file=path.name, path=path, status=FileStatus.UNJUDGED)
    fingerprint(outcome)
    return outcome


def check_file(settings: Settings, path: Path, forms: list[Path] | None = None) -> BatchResult:
    """Consolidate one file on its own, against the configured prior batches; Annex 1 forms
    given with it are matched to its rows and checked against them."""
    return consolidate_batch(settings, files=[_outcome(p) for p in (path, *(forms or ()))])


def _matched(result: BatchResult) -> set[Path]:
    """The forms a workbook's consolidation matched to one of its rows."""
    return {f.path for f in result.files[1:] if f.status in ("annex1", "superseded")} - {
        f.path for f in result.files if any(p.code == "W_ANNEX1_ORPHAN" for p in f.problems)
    }


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given; a folder as the workbooks in it. A path that does not exist, or a folder
    with nothing to check, is the clerk's mistake (exit 2)."""
    found: list[Path] = []
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise ConfigError(f"找不到文件 {'、'.join(missing)}；请检查文件名和路径。")
    for path in paths:
        if not path.is_dir():
            found.append(path)
            continue
        inside = [
            f.path
            for f in scan_inbox(path)
            if not f.status and f.path.suffix.lower() not in DOCUMENT_SUFFIXES
        ]
        if not inside:
            raise ConfigError(
                f"文件夹 {path} 中没有可检查的表格文件（.xlsx、.xls、.ods、.csv 等）或附件1；"
                "请给出附件3文件，或装有它们的文件夹。"
            )
        found.extend(inside)
    return found


def _with_receipt(result: BatchResult, path: Path, out: Path | None) -> Checked:
    """Write the 回执 of a checked file; one that cannot be written is noted, not raised."""
    target = feedback_path(path, out)
    try:
        return Checked(result, write_feedback(result, result.files[0], target))
    except OutputError as exc:
        return Checked(result, target, f"{path.name} 的回执未写出：{exc}")


def check_files(settings: Settings, paths: list[Path], out: Path | None = None) -> list[Checked]:
    """Check every file and write its 回执. Word and PDF files are Annex 1 forms: each workbook is
    checked with all of them, and a form no workbook's row matches is checked on its own. A
    receipt that cannot be written is noted, and the other files are still checked."""
    forms = [p for p in paths if form_kind(p) in FORM_KINDS]
    checked = []
    matched: set[Path] = set()
    for path in (p for p in paths if p not in forms):
        result = check_file(settings, path, forms)
        matched |= _matched(result)
        checked.append(_with_receipt(result, path, out))
    for path in (p for p in forms if p not in matched):
        checked.append(_with_receipt(check_file(settings, path), path, out))
    return checked
