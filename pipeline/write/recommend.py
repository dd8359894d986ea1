"""推荐名单 (SPEC §14): the spaces the province recommends to the Ministry, ready to stamp and bind.

``<province>推荐备案众创空间名单_<batch>.xlsx`` holds exactly the spaces whose decision in force
is 推荐 and that are accepted tonight: 推荐名单 in the official Annex 3 layout (the binder's own
writer, in bureau order, under the province's stamp line), and 材料目录 — each space's Annex 1
form and Annex 2 documents in binding order (form first, then the nine kinds in the notice's
order, unclassified last), as the notice asks them bound (按顺序装订成册). Written once any 推荐
decision exists; no 推荐, no file.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from pipeline.core.model import BatchResult
from pipeline.dedupe.verdicts import RECOMMENDED
from pipeline.packet import annex2
from pipeline.packet.spaces import Accepted, spaces_of
from pipeline.write.book import Book, write_table
from pipeline.write.report import accepted
from pipeline.write.review_sheet import print_columns
from pipeline.write.workbook import write_binder
from pipeline.write.xlsx import Formats

UNCLASSIFIED = "未分类材料"
CATALOGUE_COLUMNS = ["序号", "推荐单位", "众创空间名称", "装订顺序", "材料", "文件"]
CATALOGUE_WIDTHS = {
    "序号": 5,
    "推荐单位": 18,
    "众创空间名称": 14,
    "装订顺序": 6,
    "材料": 34,
    "文件": 52,
}


def recommended_name(result: BatchResult) -> str:
    return f"{result.registers.province.name}推荐备案众创空间名单_{result.settings.batch}.xlsx"


def recommended(result: BatchResult) -> BatchResult:
    """The batch as if only the 推荐 spaces were accepted (the binder writer prints those)."""
    rows = result.rows
    if rows.empty or "review" not in rows:
        return replace(result, rows=rows.iloc[0:0])
    chosen = (rows["disposition"] == "accepted") & (rows["review"] == RECOMMENDED)
    return replace(result, rows=rows[chosen])


def _documents(result: BatchResult, spaces: pd.DataFrame) -> dict[int, list[tuple[int, str]]]:
    """Per space (uid): (kind, inbox path) of each Annex 2 document placed under it."""
    found: dict[int, list[tuple[int, str]]] = {}
    if result.packet is None:
        return found
    province = result.registers.province
    listed = Accepted(spaces_of(spaces))
    for f in result.files:
        if f.status != "annex2" or f.bureau is None:
            continue
        placed = annex2.place(f.file, listed.keys_of(f.bureau), result.packet, province)
        if placed is not None:
            found.setdefault(placed.uid, []).append((placed.kind, f.file))
    return found


def catalogue_frame(result: BatchResult) -> pd.DataFrame:
    """材料目录: per recommended space in list order, its form then its documents by kind."""
    spaces = accepted(recommended(result))
    titles = {k.number: k.title for k in result.packet.kinds} if result.packet else {}
    documents = _documents(result, spaces)
    lines = []
    for number, (_, space) in enumerate(spaces.iterrows(), start=1):
        items = [("附件1 众创空间基本信息表", space.get("annex1") or "（未收到）")]
        for kind, file in sorted(
            documents.get(int(space["uid"]), []), key=lambda d: (d[0] or 99, d[1])
        ):
            label = f"附件2 第{kind}类 {titles.get(kind, '')}" if kind else UNCLASSIFIED
            items.append((label, file))
        lines += [
            (number, space["bureau"], space["name"], order, label, file)
            for order, (label, file) in enumerate(items, start=1)
        ]
    return pd.DataFrame(lines, columns=CATALOGUE_COLUMNS)


def any_recommended(result: BatchResult) -> bool:
    return len(recommended(result).rows) > 0


def write_recommended(result: BatchResult, path: Path) -> None:
    """The workbook at ``path`` (the caller stages it): 推荐名单 and 材料目录."""
    chosen = recommended(result)
    title = f"{result.registers.province.name}推荐备案众创空间名单（{result.settings.batch}）"
    book = Book(path, title, "beian run")
    fmt = Formats(book.workbook)
    write_binder(
        book, chosen, fmt, "推荐名单", f"{result.registers.province.name}推荐备案众创空间名单"
    )
    ws = book.workbook.add_worksheet("材料目录")
    ws.set_row(0, 30)
    ws.merge_range(
        0, 0, 0, len(CATALOGUE_COLUMNS) - 1, "材料目录（按顺序装订成册，一式二份）", fmt.title
    )
    frame = catalogue_frame(result)
    formats = {**dict.fromkeys(frame.columns, fmt.text), "文件": fmt.wrap, "材料": fmt.wrap}
    write_table(book, ws, frame, fmt, first_row=1, formats=formats)
    print_columns(ws, list(frame.columns), fmt, CATALOGUE_WIDTHS, formats, header_row=1)
    book.workbook.worksheets()[0].activate()
    book.close()
