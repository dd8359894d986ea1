"""Before reading: which files of the inbox are Annex 1 forms (Word, PDF, scans) and which are
Annex 2 documents, so that only the rest goes to the Annex 3 reader (SPEC §10, §15); and a form's
bureau, from its folder, its file name or its own 推荐单位 line."""

from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath

from pipeline.core.bureau import match_bureau
from pipeline.core.model import FileOutcome, FileStatus, FormRead
from pipeline.core.packet_spec import PacketSpec
from pipeline.core.received import stamp_received
from pipeline.core.schema import Bureau, FormSpec, Registers
from pipeline.packet import annex1, annex2, pdfform, scan, scans
from pipeline.packet.convert import find_soffice
from pipeline.read.sandbox import Caps, guarded


def folder_bureau(file: str, registers: Registers) -> Bureau | None:
    """The bureau named by the outermost folder of an inbox path that names one: bureaus put
    their files in a folder of their own, and a space's folder below it may name a zone."""
    for part in PurePosixPath(file).parts[:-1]:
        found = match_bureau(part, registers)
        if found is not None:
            return found
    return None


def form_bureau(
    file: str,
    registers: Registers,
    forms: list[FormRead],
) -> tuple[Bureau | None, str]:
    """A form's bureau as a workbook's is found: folder (the outermost, as a space's folder may
    name a zone), file name, the recommending unit's line of its forms; else, later, the
    matched row's."""
    found = folder_bureau(file, registers)
    if found is not None:
        return found, "文件夹"
    found = match_bureau(PurePosixPath(file).stem, registers)
    if found is not None:
        return found, "文件名"
    found = next((b for f in forms if (b := match_bureau(f.stamp, registers))), None)
    return found, "盖章行" if found else ""


def claim(
    pending: list[FileOutcome],
    spec: PacketSpec | None,
    registers: Registers,
    received: dict[str, dt.datetime],
    now: dt.datetime,
    caps: Caps,
    form: FormSpec,
) -> None:
    """Read Word, PDF and picture files that may be forms (in guarded workers,
    pipeline/read/sandbox.py) and set documents aside; what is left (a scanned Annex 3 among
    it) is for the Annex 3 reader. Scans are read by OCR first, where it is installed; a picture
    or image-only PDF that OCR did not read as a form is judged as before (unreadable form or
    document). LibreOffice is looked for once, here, for every .doc of the run."""
    scanned = scans.claim_scans(pending, spec, form, caps) if spec else {}
    kinds = [pdfform.form_kind(outcome.path) for outcome in pending]
    soffice = find_soffice() if "doc" in kinds else None
    reading = [i for i, kind in enumerate(kinds) if spec is not None and kind and i not in scanned]
    jobs = [
        (pending[i].file, (pending[i].path, pending[i].file, spec, kinds[i], soffice))
        for i in reading
        if kinds[i] != "image"
    ]
    refuse = [i for i in reading if kinds[i] != "image"]
    reads = guarded(
        pdfform.read_form_file,
        jobs,
        caps,
        lambda index, found: annex1.FormResult(kinds[refuse[index]], [], [found]),
    )
    forms = dict(zip(refuse, reads, strict=True))
    for i in reading:
        if kinds[i] == "image" and spec is not None:
            forms[i] = pdfform.unreadable_form(pending[i].file, "image", [], spec)
    forms |= {i: found.result for i, found in scanned.items() if isinstance(found, scan.ScanForm)}
    for index, (outcome, kind) in enumerate(zip(pending, kinds, strict=True)):
        suffix = outcome.path.suffix.lower()
        if spec is None and (kind or suffix in annex2.DOCUMENT_SUFFIXES):
            outcome.status, outcome.note = FileStatus.IGNORED, "随附文档（不是表格文件）"
        elif index in forms:
            found = forms[index]
            outcome.fmt, outcome.problems, outcome.forms = found.fmt, found.problems, found.forms
            read_one = FileStatus.ANNEX1 if found.forms else FileStatus.DOCUMENT
            outcome.status = FileStatus.REJECTED if found.refused else read_one
            if outcome.status != "document":
                outcome.bureau, outcome.bureau_source = form_bureau(
                    outcome.file, registers, found.forms
                )
        elif suffix in annex2.DOCUMENT_SUFFIXES and index not in scanned:
            outcome.status = FileStatus.DOCUMENT
        if outcome.status:
            stamp_received(outcome, received, now)


def reclaim_sheets(files: list[FileOutcome], spec: PacketSpec, registers: Registers) -> None:
    """A workbook refused as Annex 3 for want of its header may be the form laid out in cells."""
    for f in files:
        if f.status != "rejected" or {p.code for p in f.problems} - {"F_NO_HEADER"}:
            continue
        try:
            found = annex1.read_sheet_form(f.path, f.fmt, spec)
        except Exception:  # the reader already refused it once; a second failure changes nothing
            continue
        if found is not None:
            f.status, f.problems, f.forms = FileStatus.ANNEX1, [], [found[1]]
            f.bureau, f.bureau_source = form_bureau(f.file, registers, f.forms)
