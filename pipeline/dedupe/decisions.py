"""Read ``decisions.csv``, the clerk's keep/drop verdicts on possible duplicates, as saved by hand.

The clerk edits 待核对重复.csv in Excel or Notepad and saves it as decisions.csv: UTF-8 with or
without BOM, GBK, or UTF-16 ("Unicode text"), separated by ``,`` or ``;`` (Excel in some locales),
headers padded with spaces. The verdict words (删除/删/重复, 保留/留/不是重复 …) are data in
schemas/decisions.toml. A clerk who believes a duplicate was dropped must not be wrong silently:
every line that cannot be applied — an unknown verdict, an empty name, a file missing a column,
bytes that are not text, names that name no space of this batch or a prior one — is kept as
:class:`Unapplied`, named in the run summary and marked 未应用 in 待核对重复.csv.
"""

from __future__ import annotations

import csv
import tomllib
import unicodedata
from functools import cache
from pathlib import Path

import pandas as pd

from pipeline.core.config import decode_text
from pipeline.core.model import Unapplied
from pipeline.core.schema import SCHEMAS_DIR, Province
from pipeline.dedupe.match import Decisions, name_key

WORDS = SCHEMAS_DIR / "decisions.toml"
_SEPARATORS = ",;\t"


@cache
def _words(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(column field -> header, verdict word -> "drop"/"keep")."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    verdicts = {w.lower(): kind for kind in ("drop", "keep") for w in data["verdicts"][kind]}
    return dict(data["columns"]), verdicts


def _clean(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def _text(data: bytes) -> str | None:
    """The file as text, or None when it is not text in any encoding a clerk's tools write."""
    try:
        text = decode_text(data)
    except UnicodeDecodeError:
        return None
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return text if "\x00" not in text and printable >= 0.95 * len(text) else None


def _rows(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Trimmed header and (line number, record) of each non-blank line, whatever the separator."""
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    separator = max(_SEPARATORS, key=first.count)
    reader = csv.reader(lines, delimiter=separator)
    header = [_clean(h) for h in next(reader, [])]
    records = []
    for values in reader:
        if any(v.strip() for v in values):
            padded = values + [""] * (len(header) - len(values))
            records.append((reader.line_num, dict(zip(header, padded, strict=False))))
    return header, records


def load_decisions(path: Path, province: Province, words: Path = WORDS) -> Decisions:
    """Read the decisions file; a missing file means no decisions. Lines without a verdict are
    still pending (the review list as printed) and are neither applied nor reported."""
    if not path.is_file():
        return Decisions.empty()
    columns, verdicts = _words(words)
    text = _text(path.read_bytes())
    if text is None:
        reason = f"{path.name} 不是文本表格（无法识别编码），整份未应用；请在 Excel 中另存为 CSV"
        return Decisions(frozenset(), frozenset(), (), (Unapplied(0, "", "", "", reason),))
    header, records = _rows(text)
    missing = [label for label in columns.values() if label not in header]
    drop: set[tuple[str, str]] = set()
    keep: set[tuple[str, str]] = set()
    applied: list[Unapplied] = []
    unapplied: list[Unapplied] = []
    for line, record in records:
        name, other = _clean(record.get(columns["name"])), _clean(record.get(columns["other"]))
        said = _clean(record.get(columns["verdict"]))
        entry = Unapplied(line, name, other, said, "")
        if missing:
            reason = f"文件缺少列 {'、'.join(missing)}（应有 {'、'.join(columns.values())}）"
        elif not said:
            continue
        elif said.lower() not in verdicts:
            words_shown = "/".join(w for w in verdicts if not w.isascii())
            reason = f"处理意见“{said}”无法识别（应为 {words_shown}）"
        elif not name or not other:
            reason = f"{columns['name']}或{columns['other']}为空"
        else:
            a, b = name_key(pd.Series([name, other]), province).tolist()
            (drop if verdicts[said.lower()] == "drop" else keep).add((a, b))
            applied.append(entry)
            continue
        unapplied.append(entry._replace(reason=reason))
    if missing and not records:
        reason = f"文件缺少列 {'、'.join(missing)}（应有 {'、'.join(columns.values())}）"
        unapplied.append(Unapplied(1, "", "", "", reason))
    return Decisions(frozenset(drop), frozenset(keep), tuple(applied), tuple(unapplied))


def unapplied(decisions: Decisions, known: set[str], province: Province) -> list[Unapplied]:
    """Every line not applied: those refused on reading, and those whose names name no space
    of this batch or of a prior batch (a typo, or a space since withdrawn)."""
    lines = list(decisions.unapplied)
    for entry in decisions.applied:
        a, b = name_key(pd.Series([entry.name, entry.other]), province).tolist()
        absent = [n for n, k in ((entry.name, a), (entry.other, b)) if k not in known]
        if absent:
            reason = f"名称“{'”“'.join(absent)}”不在本批或往批的众创空间中"
            lines.append(entry._replace(reason=reason))
    return sorted(lines)


def describe(entry: Unapplied, file: str) -> str:
    """Where the line is and why it was not applied, as the summary and the review list say it."""
    at = f" 第 {entry.line} 行" if entry.line else ""
    return f"{file}{at}：{entry.reason}"


def unapplied_frame(lines: list[Unapplied], file: str) -> pd.DataFrame:
    """The unapplied lines as rows of 待核对重复.csv, marked 未应用 with their reason."""
    return pd.DataFrame(
        {
            "名称": [u.name for u in lines],
            "匹配名称": [u.other for u in lines],
            "处理意见": [u.verdict for u in lines],
            "原因": [f"未应用：{describe(u, file)}" for u in lines],
        }
    )
