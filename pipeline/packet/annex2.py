"""Annex 2 documents: which space a supporting document belongs to, and which of the nine kinds.

A document belongs to a space when it lies in a folder named after the space or its file name
contains the space's name (compared as §5 name keys). Its kind comes from the words of its path
below that folder, matched against the keywords in ``schemas/`` (the longest keyword wins); a
document no keyword names is 未分类.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from pipeline.core.packet_spec import PacketSpec
from pipeline.core.schema import Province
from pipeline.dedupe.match import name_key_of

# What is never a spreadsheet, judged by the suffix alone: it is not read, only assigned to a
# space. Word files are looked into first (one may be an Annex 1 form).
DOCUMENT_SUFFIXES = {
    ".pdf",
    ".ppt",
    ".pptx",
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".bmp",
    ".tif",
    ".tiff",
    ".heic",
    ".webp",
    ".rar",
    ".7z",
    ".eml",
    ".msg",
    ".txt",
    ".ofd",
}
WORD_SUFFIXES = {".doc", ".docx", ".wps"}
MIN_NAME_KEY = 4
"""A space name shorter than this (as a key) is not looked for inside file names."""


@dataclass(frozen=True)
class Placed:
    """A document's space (uid of its Annex 3 row) and kind (0 for 未分类)."""

    uid: int
    kind: int


def place(
    file: str, spaces: Sequence[tuple[int, str]], spec: PacketSpec, province: Province
) -> Placed | None:
    """The space a document belongs to (``spaces``: (uid, name key) of accepted rows) and its
    kind.

    The nearest folder that names a space wins, then the file name; among spaces named by one
    part, the longest name (长沙麓谷创客工场 before 麓谷创客工场).
    """
    path = PurePosixPath(file)
    parts = [*path.parts[:-1], path.stem]
    keys = [
        (int(uid), key) for uid, key in spaces if isinstance(key, str) and len(key) >= MIN_NAME_KEY
    ]
    for depth in range(len(parts) - 1, -1, -1):
        part = name_key_of(parts[depth], province)
        named = [(uid, key) for uid, key in keys if key in part]
        if named:
            uid, best = max(named, key=lambda named_key: len(named_key[1]))  # the first longest
            below = (
                "".join(parts[depth:]) if depth == len(parts) - 1 else "".join(parts[depth + 1 :])
            )
            words = name_key_of(below, province).replace(best, "")
            return Placed(uid, kind_of(words, spec, province))
    return None


def kind_of(words: str, spec: PacketSpec, province: Province) -> int:
    """The kind (1–9) whose longest keyword occurs in ``words``; 0 when none does."""
    best = (0, 0)
    for kind in spec.kinds:
        for keyword in kind.keywords:
            if name_key_of(keyword, province) in words and len(keyword) > best[0]:
                best = (len(keyword), kind.number)
    return best[1]
