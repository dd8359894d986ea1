"""Write outputs under temporary names and rename them into place only when all are finished.

A crash, a full disk or a killed run leaves last night's files whole: readers only ever see a
complete old file or a complete new one, and a night's outputs are published together, after the
last of them is written. ``os.replace`` is atomic on Windows and POSIX alike.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.core.errors import write_failure

TEMP_MARK = ".beian-tmp"


def temp_name(path: Path, role: str = "new") -> Path:
    """A hidden sibling name no reader looks for, unique per process and role."""
    return path.with_name(f".{path.stem}.{os.getpid()}.{role}{TEMP_MARK}{path.suffix}")


def clear_leftovers(directory: Path) -> None:
    """Remove temporary files a killed run left behind (call under the run lock)."""
    if directory.is_dir():
        for leftover in directory.rglob(f".*{TEMP_MARK}*"):
            leftover.unlink(missing_ok=True)


class Staging:
    """Temporary paths handed out for final paths, published or discarded together."""

    def __init__(self) -> None:
        self.pending: list[tuple[Path, Path]] = []

    def path(self, final: Path) -> Path:
        """Where to write the file that will become ``final``."""
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_name(final)
        self.pending.append((tmp, final))
        return tmp

    def publish(self, confirm: Callable[[], None] | None = None) -> None:
        """Rename every staged file into place; if any rename fails, put last night's back.

        Existing outputs are first moved aside, so a failure part-way restores all of them and
        never leaves tonight's first files beside last night's others. ``confirm`` runs once
        tonight's files are in place (the ledger records the night there): if it fails, or the
        run is interrupted, last night's files are put back too, so the outputs never disagree
        with the ledger.
        """
        moved: list[tuple[Path, Path]] = []
        placed: list[Path] = []
        try:
            for _, final in self.pending:
                if final.exists():
                    aside = temp_name(final, "old")
                    os.replace(final, aside)
                    moved.append((aside, final))
            for tmp, final in self.pending:
                os.replace(tmp, final)
                placed.append(final)
            if confirm is not None:
                confirm()
        except BaseException:
            for final in placed:
                final.unlink(missing_ok=True)
            for aside, final in moved:
                os.replace(aside, final)
            raise
        for aside, _ in moved:
            aside.unlink(missing_ok=True)

    def known_name(self, exc: OSError) -> OSError:
        """The same failure naming the output the clerk knows, not its hidden temporary name
        (a write error must say which file to close or which folder to free)."""
        finals = {tmp: final for tmp, final in self.pending}
        finals.update({temp_name(final, "old"): final for _, final in self.pending})
        for name in (exc.filename, exc.filename2):
            final = finals.get(Path(name)) if name else None
            if final is not None:
                return type(exc)(exc.errno, exc.strerror, str(final))
        return exc

    def discard(self) -> None:
        for tmp, _ in self.pending:
            tmp.unlink(missing_ok=True)


@contextmanager
def staged(confirm: Callable[[], None] | None = None) -> Iterator[Staging]:
    """Yield a :class:`Staging`; on success publish every file (then ``confirm``, see
    :meth:`Staging.publish`), on any failure publish none."""
    staging = Staging()
    try:
        yield staging
        staging.publish(confirm)
    except OSError as exc:
        raise write_failure(staging.known_name(exc), "输出文件") from exc
    finally:
        staging.discard()


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write one file through a temporary name: ``write(tmp)``, then rename it into place."""
    with staged() as staging:
        write(staging.path(path))


def write_text(path: Path, text: str) -> None:
    """``text`` to ``path`` in UTF-8 with ``\\n`` line ends on every system (for write_atomic)."""
    path.write_text(text, encoding="utf-8", newline="\n")
