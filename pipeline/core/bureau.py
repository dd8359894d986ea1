"""Which registered bureau a file belongs to (SPEC §4).

Evidence in order of trust: the stamp line in the sheet, the title lines above the header, the
inbox sub-folder the file was dropped in, the file name. Within one piece of evidence the longest
matching spelling wins, so "长沙高新区管委会" is the zone committee, not 长沙市.
"""

from __future__ import annotations

from functools import cache
from pathlib import PurePosixPath

from pipeline.core.schema import Bureau, Registers, fold


@cache
def _spellings(bureaus: tuple[Bureau, ...]) -> tuple[tuple[str, Bureau], ...]:
    """Every bureau's spellings, folded once (a batch asks this for every file and folder)."""
    return tuple((key, b) for b in bureaus for key in map(fold, b.spellings) if key)


def match_bureau(text: str, registers: Registers) -> Bureau | None:
    """The bureau whose name or alias appears in ``text``, longest spelling first."""
    folded = fold(text)
    if not folded:
        return None
    best: tuple[int, Bureau] | None = None
    for key, bureau in _spellings(registers.bureaus):
        if key in folded and (best is None or len(key) > best[0]):
            best = (len(key), bureau)
    return best[1] if best else None


def identify_bureau(
    stamp: str, file: str, registers: Registers, title: str = ""
) -> tuple[Bureau | None, str]:
    """Return the bureau and where it was found (盖章行 / 标题 / 文件夹 / 文件名); the lines
    above the header may name it when the stamp line does not (长沙市申请备案的…汇总表)."""
    path = PurePosixPath(file)
    evidence = [
        ("盖章行", stamp),
        ("标题", title),
        *(("文件夹", part) for part in reversed(path.parts[:-1])),
        ("文件名", path.stem),
    ]
    for source, text in evidence:
        bureau = match_bureau(text, registers)
        if bureau is not None:
            return bureau, source
    return None, ""
