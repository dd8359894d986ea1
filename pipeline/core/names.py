"""Output file names that fit every file system the tool runs on.

A bureau's file name can be long (250 bytes of Chinese is legal everywhere), and a receipt is named
after it plus a prefix or suffix: past 255 bytes the receipt cannot be created, and on Windows a
path past 260 characters cannot be opened by most programs. Names made here stay within
:data:`MAX_NAME_BYTES` UTF-8 bytes and :data:`MAX_NAME_CHARS` characters, which leaves room for
the temporary names of pipeline/atomic.py and for an outbox folder of about 120 characters.
A shortened name keeps a short hash of the full one, so two long names never collide.
"""

from __future__ import annotations

import hashlib

MAX_NAME_BYTES = 200
MAX_NAME_CHARS = 100
_HASH_CHARS = 8


def fits(name: str) -> bool:
    return len(name) <= MAX_NAME_CHARS and len(name.encode("utf-8")) <= MAX_NAME_BYTES


def fit_name(stem: str, ending: str) -> str:
    """``stem + ending``, or when too long, the stem shortened and marked ``~<hash>`` before the
    ending (which stays whole, so a receipt still ends in ``-回执.xlsx``)."""
    if fits(stem + ending):
        return stem + ending
    mark = "~" + hashlib.sha256(stem.encode("utf-8")).hexdigest()[:_HASH_CHARS]
    keep = stem[: max(MAX_NAME_CHARS - len(mark + ending), 0)]
    while keep and not fits(keep + mark + ending):
        keep = keep[:-1]
    return keep.rstrip(" .") + mark + ending
