"""Publishing a night's outputs: what they are, what they depend on, and writing them together."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from pipeline import __version__
from pipeline.core.atomic import clear_leftovers, staged
from pipeline.core.config import Settings
from pipeline.core.model import BatchResult, FileOutcome
from pipeline.write.alongside import alongside
from pipeline.write.csvfiles import dispositions_frame, files_frame, write_frame_csv
from pipeline.write.feedback import feedback_targets, receipt_jobs
from pipeline.write.report import detail_frame, review_frame
from pipeline.write.workbook import consolidated_name, write_consolidated


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else "-"


def input_fingerprint(settings: Settings, files: list[FileOutcome]) -> dict[str, str]:
    """Everything a run's outputs depend on; equal fingerprints mean identical outputs."""
    inputs = {f"inbox/{f.file}": f.sha256 or f.status for f in files}
    inputs["settings"] = repr((settings.batch, settings.deadline, settings.min_age_months))
    for prior in settings.priors:
        inputs[f"prior/{prior.name}"] = _digest(prior.path)
    inputs["decisions"] = _digest(settings.decisions)
    for schema in sorted(settings.form.parent.glob("*.*")):
        inputs[f"schemas/{schema.name}"] = _digest(schema)
    inputs["beian"] = __version__
    return inputs


def output_paths(settings: Settings) -> list[Path]:
    """The batch's outputs: workbook, the two machine CSVs, the clerk's review list, and the
    明细 table for analysts as CSV (UTF-8 with BOM, so Excel opens it) and Parquet."""
    out = settings.batch_dir
    names = [
        consolidated_name(settings),
        "dispositions.csv",
        "files.csv",
        "待核对重复.csv",
        "明细.csv",
        "明细.parquet",
    ]
    return [out / name for name in names]


def write_outputs(result: BatchResult, confirm: Callable[[], None] | None = None) -> list[Path]:
    """Every output of the batch, staged under temporary names and published together;
    ``confirm`` (the ledger's record of the night) must succeed for them to stay published."""
    paths = output_paths(result.settings)
    detail = detail_frame(result)
    clear_leftovers(result.settings.batch_dir)
    targets = feedback_targets(result, result.settings.batch_dir / "回执")
    receipts = [path for _, path in targets]
    with staged(confirm) as staging:
        # staged, and so published, in this order: the receipts last
        workbook, dispositions, files, review, detail_csv, detail_parquet = map(staging.path, paths)
        staged_receipts = [(outcome, staging.path(path)) for outcome, path in targets]
        with alongside(receipt_jobs(result, staged_receipts)):  # both cores
            write_consolidated(result, workbook, detail)
            write_frame_csv(dispositions_frame(result.rows), dispositions)
            write_frame_csv(files_frame(result.files), files)
            write_frame_csv(review_frame(result), review, bom=True)
            write_frame_csv(detail, detail_csv, bom=True)
            detail.to_parquet(detail_parquet, index=False)
    for stale in set(result.settings.batch_dir.glob("回执/*.xlsx")) - set(receipts):
        stale.unlink(missing_ok=True)  # a receipt for a file that is no longer in the inbox
    return paths + receipts
