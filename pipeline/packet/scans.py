"""Scans in the inbox (SPEC §15): which are forms, read in the guarded workers.

Called by :func:`pipeline.packet.claim.claim` before documents are set aside. Each image and
PDF first has its pages' title bands read (:func:`pipeline.packet.scan.page_kinds`, under the
file's time cap); an Annex 1 page is then read whole (:func:`pipeline.packet.scan.read_form`,
under ``[limits] seconds_per_page`` a page); an Annex 3 page is left to the Annex 3 reader, which
reads it the same way (:mod:`pipeline.read.scan_sheet`). Without the ``ocr`` extra nothing is
read: each scan is noted as unread, and the run summary says once how to add OCR.
"""

from __future__ import annotations

from collections import defaultdict

from pipeline.core.model import FileOutcome
from pipeline.core.packet_spec import PacketSpec
from pipeline.core.problems import Problem
from pipeline.core.scan_spec import load_scan_spec
from pipeline.core.schema import FormSpec
from pipeline.packet import scan
from pipeline.packet.annex1 import FormResult
from pipeline.read import ocr
from pipeline.read.sandbox import Caps, guarded

UNREAD = "扫描件（本机未安装 OCR，未识别）"


def no_ocr_note(files: list[FileOutcome]) -> str:
    """The run summary's one line when scans arrived and OCR is not installed, else ""."""
    unread = sum(f.note == UNREAD for f in files)
    if not unread:
        return ""
    return f"收到扫描件 {unread} 个，本机未安装 OCR，未识别其内容；如需识别请运行：{ocr.INSTALL}"


def claim_scans(
    pending: list[FileOutcome], spec: PacketSpec, form: FormSpec, caps: Caps
) -> dict[int, scan.ScanForm | str]:
    """Index in ``pending`` → the scanned form read from it, or ``annex3`` for a scanned Annex 3
    page left for the Annex 3 reader. Scans that are neither are absent (documents)."""
    scans = [
        i
        for i, o in enumerate(pending)
        if not o.status and o.path.suffix.lower() in ocr.SCAN_SUFFIXES
    ]
    if not scans:
        return {}
    if not ocr.available():
        for i in scans:
            pending[i].note = UNREAD
        return {}
    titles = {scan.ANNEX1: spec.title, scan.ANNEX3: form.title}
    band = load_scan_spec().title_band
    surveys = [(pending[i].file, (pending[i].path, titles, band)) for i in scans]
    kinds: list[list[str]] = guarded(scan.page_kinds, surveys, caps, lambda i, p: [])
    found: dict[int, scan.ScanForm | str] = {}
    by_pages: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for i, pages in zip(scans, kinds, strict=True):
        if scan.ANNEX1 in pages:
            first = pages.index(scan.ANNEX1)
            by_pages[min(scan.MAX_FORM_PAGES, len(pages) - first)].append((i, first))
        elif scan.ANNEX3 in pages:
            found[i] = scan.ANNEX3
    options = [option for option, _ in spec.choice_column(form).choices]
    for count, group in by_pages.items():
        capped = Caps(caps.memory_mb, caps.page_seconds * count, caps.page_seconds)
        jobs = [
            (pending[i].file, (pending[i].path, pending[i].file, spec, first, options))
            for i, first in group
        ]
        reads = guarded(scan.read_form, jobs, capped, lambda index, p: _refused(p))
        found.update({i: r for (i, _), r in zip(group, reads, strict=True)})
    return found


def _refused(found: Problem) -> scan.ScanForm:
    return scan.ScanForm(FormResult("scan", [], [found]))
