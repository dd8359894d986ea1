"""What a guarded worker read, kept between consolidations in a process that lives on (the
intake site), so an upload is judged without reading the rest of the inbox again.

A read is kept under its file's content (SHA-256), the reading function and its other arguments
(the file's inbox name, the form), exactly as the worker sent it: pickled. Each use unpickles a
fresh copy, so what the consolidation then changes (problems added, statuses set) never leaks
into the next one, and a kept read is byte for byte what reading the file again would give. A
file whose content changes has a new key and is read anew; the least recently used reads go
first when the kept ones pass :data:`LIMIT_BYTES`. Reads refused by a cap or a crash are never
kept (under load a cap may be hit that an idle machine would not hit). Off unless switched on
(:func:`keep_reads`): ``beian run`` reads each file once anyway.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

LIMIT_BYTES = 256 * 1024 * 1024
_CHUNK = 1 << 20


class ReadCache:
    """Pickled reads by (function, content, other arguments), least recently used first out."""

    def __init__(self, limit: int = LIMIT_BYTES) -> None:
        self.limit = limit
        self.on: bool = any(cache.on for cache in _caches)  # as the others are
        self.hits = 0
        self.misses = 0
        self._kept: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        _caches.append(self)

    def key(self, task: Callable[..., Any], args: tuple[Any, ...]) -> str | None:
        """The key of ``task(*args)`` (``args[0]`` the file's path), None when off or unreadable."""
        if not self.on:
            return None
        digest = hashlib.sha256(f"{task.__module__}.{task.__qualname__}".encode())
        try:
            with Path(args[0]).open("rb") as f:
                for chunk in iter(lambda: f.read(_CHUNK), b""):
                    digest.update(chunk)
        except OSError:
            return None
        digest.update(pickle.dumps(args[1:]))
        return digest.hexdigest()

    def get(self, key: str | None) -> tuple[bool, Any]:
        """(True, a fresh copy of the read) when kept, else (False, None)."""
        if key is None:
            return False, None
        with self._lock:
            blob = self._kept.get(key)
            if blob is None:
                self.misses += 1
                return False, None
            self._kept.move_to_end(key)
            self.hits += 1
        return True, pickle.loads(blob)

    def put(self, key: str | None, value: Any) -> None:
        if key is None:
            return
        blob = pickle.dumps(value)
        with self._lock:
            old = self._kept.pop(key, None)
            self._size += len(blob) - (len(old) if old is not None else 0)
            self._kept[key] = blob
            while self._size > self.limit and self._kept:
                _, dropped = self._kept.popitem(last=False)
                self._size -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._size = self.hits = self.misses = 0


_caches: list[ReadCache] = []
reads = ReadCache()


def keep_reads(on: bool = True) -> None:
    """Keep reads (and every other :class:`ReadCache`, such as the sheets' judgements) between
    consolidations in this process (the intake site switches it on); off forgets them."""
    for cache in _caches:
        cache.on = on
        if not on:
            cache.clear()
