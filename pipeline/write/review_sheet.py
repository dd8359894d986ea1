"""评审 (SPEC §14): one line per accepted space for the province's review, and 评审结论.csv.

The sheet puts beside each space what the clerk weighs: its founding date and type, the Annex 1
figures, the Annex 2 kinds present (n/9 and which), the notice's basic conditions the data can
show (schemas/review.toml: 成立满半年, 运营主体在湖南省注册, and the kinds of documents that show
a mentor scheme, a fund, premises, resident teams), its warnings, and the decision in force.
A space 退回 on its current file is listed too (rejected only by that decision), so the clerk
sees every decision. Numbers stay numbers: the table filters and sorts by any of them.
"""

from __future__ import annotations

import re

import pandas as pd
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from pipeline.core.model import BatchResult
from pipeline.dedupe.verdicts import RETURNED, Condition, review_words
from pipeline.write.book import Book, write_table
from pipeline.write.report import annex1_figures, bureau_order, date_label
from pipeline.write.xlsx import BASE_FORMAT, Formats

YES, NO, UNSURE = "✓", "✗", "待核"
KINDS_LABEL = "附件2类数"
"""Kinds present, a number shown as n/9 by its number format (so it sorts)."""
DECISION_COLUMNS = ["推荐单位", "众创空间名称", "结论", "理由", "评审人", "评审时间"]


def reviewed_rows(result: BatchResult) -> pd.DataFrame:
    """Accepted spaces and those 退回 on their current file, in binder order."""
    rows = result.rows
    if rows.empty or "review" not in rows:
        return rows.iloc[0:0]
    shown = rows[(rows["disposition"] == "accepted") | (rows["review"] == RETURNED)]
    order = shown["bureau"].map(bureau_order(result))
    return shown.assign(_o=order).sort_values(["_o", "name"], kind="stable").drop(columns="_o")


def _kinds(rows: pd.DataFrame) -> pd.Series:
    kinds = rows.get("annex2_kinds", pd.Series("", index=rows.index))
    return kinds.fillna("").astype(str)


def _home(rows: pd.DataFrame, result: BatchResult) -> pd.Series:
    """运营主体在本省注册: no when the address or operator names another province; yes when
    either names this province or one of its cities; otherwise for the clerk to check."""
    province = result.registers.province
    places = {province.short, *(b.city for b in result.registers.bureaus if b.city)}
    places |= {p.removesuffix("市") for p in places if len(p) > 2}
    texts = rows["address"].fillna("") + " " + rows["operator"].fillna("")
    home = texts.str.contains("|".join(map(re.escape, sorted(places))), regex=True)
    away = rows["codes"].str.contains("W_ADDRESS_OUTSIDE", regex=False) | rows["operator"].fillna(
        ""
    ).str.startswith(tuple(province.others))
    return pd.Series(UNSURE, index=rows.index).mask(home, YES).mask(away, NO)


def _condition(rows: pd.DataFrame, result: BatchResult, condition: Condition) -> pd.Series:
    if condition.kind:
        present = "," + _kinds(rows) + ","
        has = present.str.contains(f",{condition.kind},", regex=False)
        return pd.Series(NO, index=rows.index).mask(has, YES)
    if condition.check == "age":  # accepted rows are old enough, unless the date straddles
        unsure = rows["codes"].str.contains("W_FOUNDED_AMBIGUOUS", regex=False)
        return pd.Series(YES, index=rows.index).mask(unsure, UNSURE)
    return _home(rows, result)


def review_frame(result: BatchResult) -> pd.DataFrame:
    """评审: the lines described above."""
    rows = reviewed_rows(result)
    date, choice = result.form.of_kind("date")[0], result.form.of_kind("choice")[0]
    kinds = _kinds(rows)
    frame = pd.DataFrame(
        {
            "序号": range(1, len(rows) + 1),
            "推荐单位": rows.get("bureau"),
            "众创空间名称": rows.get("name"),
            date.short_label: date_label(rows, date.field) if len(rows) else [],
            choice.short_label: rows.get(choice.field),
            **annex1_figures(result, rows),
            KINDS_LABEL: kinds.map(lambda k: len([x for x in k.split(",") if x])),
            "附件2已有类别": kinds.str.replace(",", "、"),
        },
        index=rows.index,
    )
    for condition in review_words().conditions:
        frame[condition.label] = _condition(rows, result, condition) if len(rows) else []
    warnings = rows["codes"].str.count(r"(?:^|;)W_") if len(rows) else []
    reason = rows["review_reason"].where(rows["review_reason"] != "", rows["review_note"])
    frame["提示数"] = warnings
    frame["结论"] = rows.get("review")
    frame["理由"] = reason if len(rows) else []
    frame["评审人"] = rows.get("review_by")
    frame["评审时间"] = rows.get("review_at")
    decided = ["结论", "理由", "评审人", "评审时间"]
    frame[decided] = frame[decided].astype(object).where(frame[decided] != "", None)  # blank cells
    return frame.reset_index(drop=True)


def decisions_frame(result: BatchResult) -> pd.DataFrame:
    """评审结论.csv: every decision in force, in the review file's columns plus who and when
    (the clerk may edit it and give it back to ``beian review``)."""
    frame = review_frame(result)
    columns = review_words().columns
    decided = frame[frame["结论"].fillna("") != ""][DECISION_COLUMNS]
    labels = ["bureau", "name", "verdict", "reason", "who", "time"]
    return decided.set_axis([columns[k] for k in labels], axis=1).reset_index(drop=True)


WIDTHS = {
    "序号": 4,
    "推荐单位": 15,
    "众创空间名称": 14,
    "成立时间": 13,
    "机构性质": 8,
    "附件2已有类别": 12,
    "理由": 24,
    "评审人": 14,
    "评审时间": 15,
}
"""Print widths (characters) of the wide columns; the rest are narrow (NARROW), their headers
wrapped, so the sheet prints on A4 landscape at a readable scale."""
NARROW = 7
HEADER_HEIGHT = 54


def print_columns(
    ws: Worksheet,
    columns: list[str],
    fmt: Formats,
    widths: dict[str, int],
    formats: dict[str, Format],
    header_row: int = 0,
) -> None:
    """Print widths for a table written by ``write_table`` (wide columns named, the rest
    NARROW) and its header wrapped and shaded, so it prints legibly on A4 landscape."""
    for i, column in enumerate(columns):
        ws.set_column(i, i, widths.get(column, NARROW), formats.get(column))
        ws.write_string(header_row, i, column, fmt.header)
    ws.set_row(header_row, HEADER_HEIGHT)


def write_review_sheet(book: Book, result: BatchResult, fmt: Formats) -> None:
    """The 评审 sheet: an Excel table (filters, sortable), A4 landscape, header repeated and
    wrapped, n/9 a number."""
    frame = review_frame(result)
    kinds = book.workbook.add_format({**BASE_FORMAT, "num_format": '0"/9"', "align": "center"})
    ws = book.workbook.add_worksheet("评审")
    formats = dict.fromkeys(frame.columns, fmt.text)  # centred vertically, like the wrapped
    formats.update({c: fmt.wrap for c in ("推荐单位", "众创空间名称", "附件2已有类别", "理由")})
    formats[KINDS_LABEL] = kinds
    write_table(book, ws, frame, fmt, formats=formats)
    print_columns(ws, list(frame.columns), fmt, WIDTHS, formats)
