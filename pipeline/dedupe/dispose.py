"""Dispositions: every data row of a live file ends in exactly one, with the problems that say why.

Precedence (SPEC): already filed in a prior batch, rejected for errors (E_DUPLICATE_ROW included),
a duplicate of another bureau's row (I_DUPLICATE_BATCH, I_SENT_BY_OTHER), else accepted; weak
matches are accepted with W_POSSIBLE_DUPLICATE. I_DUPLICATE_PRIOR is raised here too.
"""

from __future__ import annotations

import pandas as pd

from pipeline.core.cells import cell_address
from pipeline.core.model import FileOutcome, batch_problems, record
from pipeline.core.problems import Problem, problem
from pipeline.core.schema import FormSpec, Registers
from pipeline.dedupe import match as dedupe


def rows_of(live: list[FileOutcome]) -> pd.DataFrame:
    """One frame of every data row of the live files, in received order (a file's sheets in
    workbook order), each with its sheet and a unique id."""
    frames = []
    for f in live:
        assert f.bureau is not None
        for table, norm in zip(f.tables, f.norms, strict=True):
            frame = norm.copy()
            frame.insert(0, "row", frame.index.astype(int))
            frame.insert(0, "sheet", table.sheet)
            frame.insert(0, "file", f.file)
            frame.insert(0, "city", f.bureau.city)
            frame.insert(0, "bureau", f.bureau.name)
            frame.insert(0, "received", pd.Timestamp(f.received))
            frames.append(frame.reset_index(drop=True))
    if not frames:
        return pd.DataFrame(columns=["received", "bureau", "city", "file", "sheet", "row", "name"])
    rows = pd.concat(frames, ignore_index=True)
    rows.insert(0, "uid", range(len(rows)))
    return rows


def at_name_cell(
    code: str, row: pd.Series, form: FormSpec, files: dict[str, FileOutcome], **params: object
) -> Problem:
    """A problem about a whole space (a duplicate, the province's return) at its row's name
    cell; ``files`` by inbox name."""
    col = files[row["file"]].table_of(row["sheet"]).columns.get("name", 0)
    return problem(
        code,
        file=row["file"],
        sheet=row["sheet"],
        cell=cell_address(int(row["row"]), col),
        column=form.column("name").short_label,
        value=row["name"],
        row=int(row["row"]),
        **params,
    )


def dispose(
    rows: pd.DataFrame,
    prior: pd.DataFrame,
    problems: list[Problem],
    form: FormSpec,
    live: dict[str, FileOutcome],
    decisions: dedupe.Decisions,
) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """Give every row exactly one disposition; return rows, duplicate matches, added problems.

    Precedence: already filed in a prior batch, then rejected for errors, then a duplicate of
    another bureau's row, else accepted. A row filed before needs no fixing, so it is reported as
    already filed even if it also has errors.
    """
    added: list[Problem] = []
    error_rows = {(p.file, p.sheet, p.row) for p in problems if p.severity == "error"}
    keyed = list(zip(rows["file"], rows["sheet"], rows["row"], strict=True))
    rejected = pd.Series([k in error_rows for k in keyed], index=rows.index)

    repeats = dedupe.within_file(rows, rejected)
    by_uid = rows.set_index("uid", drop=False)
    for m in repeats.itertuples():
        row, kept = by_uid.loc[m.uid], by_uid.loc[m.other]
        sheet = "本表" if kept["sheet"] == row["sheet"] else f"工作表“{kept['sheet']}”"
        added.append(
            at_name_cell(
                "E_DUPLICATE_ROW", row, form, live, other_place=f"{sheet}第 {kept['row']} 行"
            )
        )
    rejected |= rows["uid"].isin(repeats["uid"])

    prior_matches = dedupe.match_prior(rows, prior, decisions)
    prior_by_uid = prior.set_index("uid") if len(prior) else prior
    auto_prior = prior_matches[prior_matches["auto"].astype(bool)]
    dup_prior = rows["uid"].isin(auto_prior["uid"])
    for m in auto_prior.itertuples():
        other = prior_by_uid.loc[m.other]
        added.append(
            at_name_cell(
                "I_DUPLICATE_PRIOR",
                by_uid.loc[m.uid],
                form,
                live,
                batch=other["batch"],
                other_name=other["name"],
            )
        )

    open_rows = rows[~rejected & ~dup_prior]
    batch_matches = dedupe.match_batch(open_rows, decisions)
    auto_batch = batch_matches[batch_matches["auto"].astype(bool)]
    dup_batch = rows["uid"].isin(auto_batch["uid"])
    for m in auto_batch.itertuples():
        later, kept = by_uid.loc[m.uid], by_uid.loc[m.other]
        # both bureaus are told: the later copy is left out, the kept one sent by another too
        for code, row, other in (
            ("I_DUPLICATE_BATCH", later, kept),
            ("I_SENT_BY_OTHER", kept, later),
        ):
            added.append(
                at_name_cell(
                    code,
                    row,
                    form,
                    live,
                    other_bureau=other["bureau"],
                    other_file=other["file"] + live[other["file"]].sheet_suffix(other["sheet"]),
                    other_row=other["row"],
                )
            )

    possible = pd.concat(
        [
            prior_matches[~prior_matches["auto"].astype(bool)],
            batch_matches[~batch_matches["auto"].astype(bool)],
        ],
        ignore_index=True,
    )
    possible = possible[~possible["uid"].isin(rows.loc[rejected | dup_prior | dup_batch, "uid"])]
    possible = possible.drop_duplicates("uid")
    for m in possible.itertuples():
        source = prior_by_uid if m.kind == "prior" else by_uid
        other = source.loc[m.other]
        where = other["batch"] if m.kind == "prior" else f"{other['bureau']}报送"
        added.append(
            at_name_cell(
                "W_POSSIBLE_DUPLICATE",
                by_uid.loc[m.uid],
                form,
                live,
                other_where=where,
                other_name=other["name"],
                other_operator=other["operator"],
                score=f"{m.score:.0f}",
            )
        )

    disposition = pd.Series("accepted", index=rows.index, dtype=object)
    disposition[dup_batch] = "duplicate_batch"
    disposition[rejected] = "rejected"
    disposition[dup_prior] = "duplicate_prior"
    matches = pd.concat([repeats, auto_prior, auto_batch, possible], ignore_index=True)
    return rows.assign(disposition=disposition), matches, added


def dispose_rows(
    live: list[FileOutcome],
    *,
    prior: pd.DataFrame,
    form: FormSpec,
    registers: Registers,
    decided: dedupe.Decisions,
    history: pd.DataFrame | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The live files' rows, keyed, ranked and disposed, and the duplicate matches; the problems
    that explain a disposition are recorded on the files they are about."""
    rows = rows_of(live)
    if not live:
        return rows.assign(disposition=[]), pd.DataFrame()
    rows = dedupe.rank_rows(dedupe.add_keys(rows, registers), history, registers.province)
    by_file = {f.file: f for f in live}
    rows, matches, added = dispose(rows, prior, batch_problems(live), form, by_file, decided)
    record(live, added)
    return rows, matches


def attach_codes(rows: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    """Every code raised on a row, in the order raised, joined with ';'; warnings as text.
    (Plain dictionaries: a grouped pandas join costs more than the whole batch's codes.)"""
    if not problems or rows.empty:
        return rows.assign(codes="", warnings="")
    codes: dict[tuple[object, ...], list[str]] = {}
    warnings: dict[tuple[object, ...], list[str]] = {}
    for p in problems:
        if p.row is None:
            continue
        at = (p.file, p.sheet, p.row)
        raised = codes.setdefault(at, [])
        if p.code not in raised:
            raised.append(p.code)
        if p.severity == "warning":
            warnings.setdefault(at, []).append(p.message)
    places = list(zip(rows["file"], rows["sheet"], rows["row"], strict=True))
    return rows.assign(
        codes=[";".join(codes.get(at, ())) for at in places],
        warnings=["；".join(warnings.get(at, ())) for at in places],
    )
