"""Annex 3 tables as bureaus really fill them, beyond pipeline/layout.py (SPEC §3).

- a choice answered the paper form's way inside one cell: the printed options with one ticked
  (☑民营企业 □国有企业, 是■ 否□) reads as the ticked option;
- typing artefacts stored with the text (Excel's escaped carriage return ``_x000D_``, the
  apostrophe that forces a number to text, a soft hyphen, an HTML space) are not part of it;
- rows that are no space and carry no number: the instruction or marker row under the header
  (必填 / 选填 / 下拉选择 in every filled cell) and a section heading filling the whole row (a
  merged 一、长沙市 or 高新区内 repeated across the merge: the same text in every filled cell and
  no 序号), or one lone cell ending in a colon (长沙高新区：) or shaped like a heading
  (长沙市（3个）, 第二部分 高新区内: ``heading_patterns``);
- a row whose bureau wrote that it no longer puts the space forward (撤回, 不再推荐, 暂不推荐 …)
  is refused with E_WITHDRAWN naming the note, never filed as if nothing were written.

Every word list lives in ``schemas/`` (``[as_filled]`` of the form).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from pipeline.core.cells import cell_address
from pipeline.core.problems import Problem, problem
from pipeline.core.schema import FormSpec
from pipeline.core.values import cell_text
from pipeline.read.layout import stripped

_SPACES = re.compile(r"[\s，,、;；/／|]+")


def chosen_in_cell(text: str, marks: frozenset[str], boxes: frozenset[str]) -> str:
    """The ticked option(s) of printed choices in one cell, or the text as it was.

    A cell is read so only when it holds a box and at least two symbols (the printed options);
    the symbols stand before the options when the cell starts with one (☑民营企业 □国有企业),
    else after them (是■ 否□). Options printed with none ticked are no answer."""
    symbols = marks | boxes
    printed = sum(c in boxes for c in text) + sum(c in marks for c in text)
    if printed < 2 or not any(c in boxes for c in text):
        return text
    if not any(c in marks for c in text):
        return ""  # options printed, none ticked: no answer
    pieces = re.split(f"([{re.escape(''.join(sorted(symbols)))}])", text)
    tokens = [(p, p in symbols) for p in pieces if p in symbols or _SPACES.sub("", p)]
    step = -1 if tokens[0][1] else 1
    chosen = []
    for i, (token, is_symbol) in enumerate(tokens):
        j = i + step
        if not is_symbol and 0 <= j < len(tokens) and tokens[j][0] in marks:
            chosen.append(_SPACES.sub("", token))
    return "，".join(chosen)


def choices_in_cells(text: pd.DataFrame, form: FormSpec) -> pd.DataFrame:
    """Every field cell with printed choices read as its ticked option."""
    marks, boxes = frozenset(form.choice_marks), frozenset(form.choice_boxes)
    if not boxes or text.empty:
        return text
    pattern = f"[{re.escape(''.join(boxes))}]"
    out = text.copy()
    for col in out.columns:
        has = out[col].astype(str).str.contains(pattern, regex=True)
        if has.any():
            out.loc[has, col] = [chosen_in_cell(v, marks, boxes) for v in out.loc[has, col]]
    return out


def without_artefacts(text: pd.DataFrame, form: FormSpec) -> pd.DataFrame:
    """Cells without the typing artefacts of ``form.artefacts`` and a leading apostrophe."""
    if text.empty or not form.artefacts:
        return text
    pattern = re.compile("|".join(map(re.escape, form.artefacts)) + r"|^\s*'(?=\S)")
    cells = text.to_numpy(dtype=object)
    cleaned = [pattern.sub("", c) if isinstance(c, str) else c for c in cells.ravel()]
    return pd.DataFrame(
        np.array(cleaned, dtype=object).reshape(cells.shape), index=text.index, columns=text.columns
    )


def marker_rows(whole: pd.DataFrame, form: FormSpec) -> dict[int, str]:
    """{Excel row: reason} for the instruction rows and whole-row headings among the rows."""
    if whole.empty:
        return {}
    cells = stripped(whole)
    found: dict[int, str] = {}
    markers = re.compile("|".join(map(re.escape, form.marker_words)) or r"(?!)")
    headings = re.compile("|".join(f"(?:{p})" for p in form.heading_patterns) or r"(?!)")
    for row, values in zip(whole.index, cells, strict=True):
        filled = [v for v in values if v]
        if len(filled) == 1 and (filled[0].endswith(("：", ":")) or headings.search(filled[0])):
            found[int(row)] = "分组标题"  # 长沙高新区：, 长沙市（3个）, 第二部分 alone in its row
        if len(filled) < 2 or any(re.fullmatch(r"\d{1,4}", v) for v in filled):
            continue
        if all(markers.search(v) for v in filled):
            found[int(row)] = "填写说明行"
        elif len(set(filled)) == 1:
            found[int(row)] = "分组标题"
    return found


def withdrawn(
    file: str, sheet: str, grid: list[list[object]], rows: pd.Index, form: FormSpec
) -> list[Problem]:
    """E_WITHDRAWN on every data row whose cells say the bureau no longer recommends it."""
    if not form.withdrawal_words:
        return []
    words = re.compile("|".join(map(re.escape, form.withdrawal_words)))
    found = []
    for row in rows:
        for col, value in enumerate(grid[int(row) - 1]):
            note = cell_text(value).strip() if value is not None else ""
            if note and words.search(note):
                found.append(
                    problem(
                        "E_WITHDRAWN",
                        file=file,
                        sheet=sheet,
                        cell=cell_address(int(row), col),
                        column="备注",
                        row=int(row),
                        value=note,
                        note=note,
                    )
                )
                break
    return found
