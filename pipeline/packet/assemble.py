"""The space's own packet (SPEC §10): Annex 1 forms matched to Annex 3 rows and checked, Annex 2
documents counted by kind.

Two hooks of the consolidation: :func:`pipeline.packet.claim.claim` takes the forms and documents
out of the inbox before the Annex 3 reader sees them; :func:`settle`, once every row has its
disposition, matches each form to an accepted row of its bureau, raises the W_ANNEX codes at that
row (so dispositions.csv, 明细 and the 回执 carry them), and places every document under a space.
Forms and documents never add or remove an Annex 3 row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import pandas as pd
from rapidfuzz import fuzz

from pipeline.core.cells import cell_address
from pipeline.core.model import FileOutcome, FileStatus, FormRead
from pipeline.core.packet_spec import PacketSpec
from pipeline.core.problems import Problem, problem
from pipeline.core.received import order_key
from pipeline.core.schema import FormSpec, Registers
from pipeline.dedupe.match import STRONG_SCORE, name_key_of, operator_key_of, strip_city
from pipeline.packet import annex2, scan
from pipeline.packet.checks import Located, check_form
from pipeline.packet.claim import folder_bureau, reclaim_sheets
from pipeline.packet.spaces import Accepted, Packet, Space, spaces_of

READ_REFUSALS = {"F_NO_HEADER", "F_UNSUPPORTED"}
"""A refused workbook with only these may still be a form, or a document of a space."""
NOT_A_SPACE = "随附文档（未对应到受理的众创空间）"
UNREAD = "（无法读取）"
"""After the file of a form that arrived unreadable, in 明细 and 附件核对."""
PACKET_COLUMNS = {
    "annex1": "",
    "annex2": 0,
    "annex1_mismatch": "",
    "annex1_long": "",
    "annex1_empty": "",
    "annex2_kinds": "",
    "annex2_unclassified": 0,
    "annex2_files": 0,
    "annex1_seals": "",
}


@cache
def _city_key(key: str, cities: tuple[str, ...]) -> str:
    return str(strip_city(pd.Series([key]), list(cities)).iloc[0])


def match_form(form: FormRead, spaces: Sequence[Space], registers: Registers) -> int | None:
    """The uid of the accepted row a form belongs to: the same name key, else a near-identical
    name (or name without its city) with the same operator, as §5 decides automatically."""
    key = name_key_of(form.values.get("name", ""), registers.province)
    if not key or not spaces:
        return None
    same = next((s.uid for s in spaces if s.key == key), None)
    if same is not None:
        return same
    city_key = _city_key(key, tuple(sorted({b.city for b in registers.bureaus})))
    opkey = operator_key_of(form.values.get("operator", ""), registers.province)
    near = (
        s.uid
        for s in spaces
        if s.opkey == opkey
        and s.opkey != ""
        and max(fuzz.ratio(key, s.key), fuzz.ratio(city_key, s.city_key)) >= STRONG_SCORE
    )
    return next(near, None)


def _newest_first(
    group: list[tuple[FileOutcome, FormRead]],
) -> list[tuple[FileOutcome, FormRead]]:
    """A space's forms, the newest file first (of two in one file, the later one)."""
    return sorted(group, key=lambda pair: order_key(pair[0]))[::-1]


def _form_row(
    f: FileOutcome, read: FormRead, accepted: Accepted, registers: Registers
) -> int | None:
    """The accepted row a form belongs to, among its bureau's rows; a bureau known only from
    the file's name (a space named after its city) may be wrong, so then among all rows."""
    uid = match_form(read, accepted.of(f.bureau), registers)
    if uid is None and f.bureau is not None and f.bureau_source == "文件名":
        uid = match_form(read, accepted.all, registers)
    return uid


def _orphan(f: FileOutcome, read: FormRead) -> Problem:
    name = read.values.get("name", "")
    return problem(
        "W_ANNEX1_ORPHAN",
        file=f.file,
        column="附件1：众创空间名称",
        value=name,
        document=f.file,
        name=name,
        bureau=f.bureau.name if f.bureau else "各推荐单位",
    )


def _at_row(
    code: str,
    row: Mapping[str, Any],
    live: dict[str, FileOutcome],
    form: FormSpec,
    found: Located,
    **kw: object,
) -> Problem:
    """A packet problem on the space's Annex 3 row, at the compared column's cell when there is
    one (the 回执 marks it there), else on the row as a whole, named after the form's field."""
    table = live[row["file"]].table_of(row["sheet"])
    col = table.columns.get(found.annex3) if found.annex3 else None
    annex = "附件2" if code.startswith("W_ANNEX2") else "附件1"
    return problem(
        code,
        file=row["file"],
        sheet=row["sheet"],
        cell=cell_address(int(row["row"]), col) if col is not None else "",
        column=form.column(found.annex3).short_label if found.annex3 else f"{annex}：{found.label}",
        value=found.value if found.annex3 else found.form_value,
        row=int(row["row"]),
        field=found.label,
        form_value=found.form_value,
        **kw,
    )


def settle(
    files: list[FileOutcome],
    rows: pd.DataFrame,
    form: FormSpec,
    registers: Registers,
    spec: PacketSpec | None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Match forms, check them, place documents; the rows gain the packet columns."""
    figures = {f.field: float("nan") for f in spec.numbers} if spec else {}
    rows = rows.assign(**{c: [v] * len(rows) for c, v in {**figures, **PACKET_COLUMNS}.items()})
    if spec is None:
        return rows, []
    reclaim_sheets(files, spec, registers)
    live = {f.file: f for f in files if f.status == "live"}
    packet = Packet(rows)
    accepted = Accepted(spaces_of(rows[rows["disposition"] == "accepted"]) if len(rows) else [])
    added: list[Problem] = []
    forms: dict[int, list[tuple[FileOutcome, FormRead]]] = {}
    for f in files:
        for read in f.forms if f.status == "annex1" else []:
            uid = _form_row(f, read, accepted, registers)
            if uid is None:
                f.problems.append(_orphan(f, read))
                continue
            if f.bureau is None or f.bureau_source == "文件名":  # a name may name a zone (麓谷)
                f.bureau = registers.bureau_named(packet.where(uid)["bureau"])
            forms.setdefault(uid, []).append((f, read))
    counted: set[str] = set()
    outdated: list[FileOutcome] = []
    for uid, group in forms.items():
        (newest, read), *older = _newest_first(group)
        counted.add(newest.file)
        outdated += [f for f, _ in older]
        row = packet.row(uid)
        mismatches, findings, numbers = check_form(read, row, spec, form, registers)
        for found in mismatches:
            added.append(_at_row("W_ANNEX1_MISMATCH", row, live, form, found, document=newest.file))
        for code, found in findings:
            added.append(
                _at_row(code, row, live, form, found, document=newest.file, **found.params)
            )
        packet.set(uid, **numbers, annex1=newest.file)
        if newest.fmt == "scan":
            added += _scan_notes(row, live, form, newest, read)
            packet.set(uid, annex1_seals=scan.seal_summary(read))
        packet.set(
            uid,
            annex1_mismatch="\n".join(
                f"{m.label}：{m.value or '（空）'} ≠ {m.form_value}" for m in mismatches
            ),
            annex1_long="\n".join(
                f"{f.label}：{f.params['length']}字（限{f.params['limit']}字）"
                for c, f in findings
                if c == "W_ANNEX1_TOO_LONG"
            ),
            annex1_empty="、".join(
                f.label for c, f in findings if c in ("W_ANNEX1_EMPTY", "W_ANNEX1_NUMBER")
            ),
        )
    for f in outdated:
        f.status = f.status if f.file in counted else FileStatus.SUPERSEDED
    added += _missing_forms(files, packet, accepted, live, form, forms, spec, registers)
    added += _documents(files, packet, accepted, live, form, spec, registers)
    return packet.written(), added


def _scan_notes(
    row: Mapping[str, Any],
    live: dict[str, FileOutcome],
    form: FormSpec,
    scanned: FileOutcome,
    read: FormRead,
) -> list[Problem]:
    """What reading the scanned form raised (I_FROM_SCAN, W_SCAN_UNSURE, W_SEAL_MISSING), at
    the space's row like every other finding of its form."""
    return [
        _at_row(
            code,
            row,
            live,
            form,
            Located(label, "", "", "", ""),
            document=scanned.file,
            place=label,
            **params,
        )
        for code, label, params in read.scanned
    ]


def _missing_forms(
    files: list[FileOutcome],
    packet: Packet,
    accepted: Accepted,
    live: dict[str, FileOutcome],
    form: FormSpec,
    forms: dict[int, list[tuple[FileOutcome, FormRead]]],
    spec: PacketSpec,
    registers: Registers,
) -> list[Problem]:
    """For bureaus that sent forms: W_ANNEX1_UNREADABLE on the row of a space whose form
    arrived unreadable, W_ANNEX1_MISSING on every other accepted row without a form."""
    unreadable = [f for f in files if any(p.code == "F_ANNEX1_FORMAT" for p in f.problems)]
    senders = {f.bureau.name for f in files if f.bureau and (f.forms or f in unreadable)}
    lacking = [s for s in accepted.all if s.bureau in senders and s.uid not in forms]
    unread = _unreadable_rows(unreadable, Accepted(lacking), spec, registers)
    found = []
    for space in lacking:
        where = Located("附件1", "name", space.name, "", "")
        row = packet.where(space.uid)
        if space.uid in unread:
            packet.set(space.uid, annex1=f"{unread[space.uid]}{UNREAD}")
            document = unread[space.uid]
            found.append(_at_row("W_ANNEX1_UNREADABLE", row, live, form, where, document=document))
        else:
            found.append(_at_row("W_ANNEX1_MISSING", row, live, form, where))
    return found


def _unreadable_rows(
    unreadable: list[FileOutcome], lacking: Accepted, spec: PacketSpec, registers: Registers
) -> dict[int, str]:
    """uid → file of each form that arrived unreadable: the space its folder or file name
    names, else the one space of its bureau still without a form."""
    found: dict[int, str] = {}
    for f in unreadable:
        mine = lacking.of(f.bureau)
        placed = annex2.place(f.file, lacking.keys_of(f.bureau), spec, registers.province)
        open_rows = [s for s in mine if s.uid not in found]
        if placed is not None:
            found[placed.uid] = f.file
        elif f.bureau is not None and len(open_rows) == 1:
            found[open_rows[0].uid] = f.file
    return found


def _documents(
    files: list[FileOutcome],
    packet: Packet,
    accepted: Accepted,
    live: dict[str, FileOutcome],
    form: FormSpec,
    spec: PacketSpec,
    registers: Registers,
) -> list[Problem]:
    """Place every document under a space (status annex2), count the kinds per space."""
    kinds: dict[int, list[int]] = {}
    for f in files:
        refused = f.status == "rejected" and not {p.code for p in f.problems} - READ_REFUSALS
        if f.status != "document" and not refused:
            continue
        bureau = folder_bureau(f.file, registers)
        placed = annex2.place(f.file, accepted.keys_of(bureau), spec, registers.province)
        if placed is None:
            if f.status == "document":
                f.status, f.note = FileStatus.IGNORED, NOT_A_SPACE
            continue
        f.status, f.problems = FileStatus.ANNEX2, []
        f.bureau = registers.bureau_named(packet.where(placed.uid)["bureau"])
        kinds.setdefault(placed.uid, []).append(placed.kind)
    added = []
    for uid, found in kinds.items():
        present = sorted({k for k in found if k})
        packet.set(
            uid,
            annex2=len(present),
            annex2_files=len(found),
            annex2_unclassified=found.count(0),
            annex2_kinds=",".join(map(str, present)),
        )
        absent = [k for k in spec.kinds if k.number not in present]
        if absent:
            added.append(
                _at_row(
                    "W_ANNEX2_MISSING",
                    packet.where(uid),
                    live,
                    form,
                    Located("证明文件", "", "", "", ""),
                    count=len(found),
                    missing="、".join(str(k.number) for k in absent),
                    titles="；".join(f"{k.number}. {k.title}" for k in absent),
                )
            )
    return added
