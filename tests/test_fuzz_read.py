"""Fuzzing the reader: whatever bytes arrive, ``read_file`` ends in a table or in problems.

A seeded generator (reproducible: a failure names its seed) makes inputs from real Annex 3 files in
every format — random bytes, bit flips, overwritten and inserted runs, truncations (cut zips),
zip members with mutated XML re-packed into a valid archive — and feeds each to the reader. Each
must come back within a time bound, never as an exception: either a table or F_ problems. The
quick suite runs a few hundred; the long form (``-m slow``) runs ten thousand.
"""

from __future__ import annotations

import io
import random
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FORM, annex3_grid, good_row, write_grid

from pipeline.read.workbook import read_file

FORMATS = ("xlsx", "xls", "ods", "csv")
SECONDS_PER_INPUT = 10.0
Mutation = Callable[[random.Random, bytes], bytes]


def seeds(folder: Path) -> dict[str, bytes]:
    """One real Annex 3 file per format, with a few rows (a bad cell among them)."""
    rows = [good_row(), good_row(name="岳麓山创新工场", mobile="1380731"), good_row(fax="无")]
    return {
        fmt: write_grid(folder / f"seed.{fmt}", annex3_grid(rows), fmt).read_bytes()
        for fmt in FORMATS
    }


def random_bytes(rng: random.Random, data: bytes) -> bytes:
    return rng.randbytes(rng.choice([0, 1, 2, 8, 512, 4096]))


def flip_bits(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def overwrite_run(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    start = rng.randrange(len(out))
    run = rng.choice([b"\x00", b"\xff", b"<", b'"', b"9"]) * rng.randint(1, 64)
    out[start : start + len(run)] = run
    return bytes(out)


def insert_run(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + rng.randbytes(rng.randint(1, 256)) + data[at:]


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data))]


def _mutate_xml(rng: random.Random, text: bytes) -> bytes:
    """Damage an XML part where parsers are fragile: tags, numbers, references."""
    tricks = [
        lambda t: t.replace(b"<row", b'<row r="99999999"', 1),
        lambda t: t.replace(b'r="', b'r="ZZZ', rng.randint(1, 5)),
        lambda t: t.replace(b"<v>", b"<v>-", rng.randint(1, 5)),
        lambda t: t.replace(b't="s"', b't="e"', rng.randint(1, 5)),
        lambda t: t.replace(b't="s"', b't="b"', rng.randint(1, 5)),
        lambda t: t.replace(b"<c ", b'<c t="d" ', rng.randint(1, 5)),
        lambda t: t.replace(b"<sheetData>", b"<sheetData><row><c><v>1E999</v></c></row>", 1),
        lambda t: t[: rng.randrange(len(t) + 1)],
        lambda t: flip_bits(rng, t) if t else t,
    ]
    return rng.choice(tricks)(text)


def mutate_member(rng: random.Random, data: bytes) -> bytes:
    """A valid zip whose one member (a sheet, shared strings, the workbook…) is damaged."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as source:
            members = [(info, source.read(info)) for info in source.infolist()]
    except zipfile.BadZipFile:
        return flip_bits(rng, data)
    victim = rng.randrange(len(members))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for i, (info, content) in enumerate(members):
            if i == victim:
                content = _mutate_xml(rng, content)
            if i == victim and rng.random() < 0.1:
                continue  # a member missing altogether
            target.writestr(info.filename, content)
    return buffer.getvalue()


MUTATIONS: tuple[Mutation, ...] = (
    random_bytes,
    flip_bits,
    overwrite_run,
    insert_run,
    truncate,
    mutate_member,
)


def fuzz(folder: Path, count: int, seed: int) -> None:
    """Read ``count`` generated inputs; fail on the first exception or slow read, naming it."""
    originals = seeds(folder)
    rng = random.Random(seed)
    for i in range(count):
        fmt = FORMATS[i % len(FORMATS)]
        mutation = MUTATIONS[rng.randrange(len(MUTATIONS))]
        data = originals[fmt]
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            data = mutation(rng, data) if data else data
        suffix = rng.choice([fmt, fmt, fmt, "xlsx", "csv", "xls"])
        path = folder / f"input.{suffix}"
        path.write_bytes(data)
        where = f"input {i} (seed {seed}, {mutation.__name__} of .{fmt} named .{suffix})"
        started = time.process_time()  # CPU, not wall: the machine may be busy elsewhere
        try:
            result = read_file(path, path.name, FORM)
        except Exception as exc:  # the property under test: nothing escapes the reader
            failed = folder / f"failed-{i}.{suffix}"
            failed.write_bytes(data)
            raise AssertionError(f"{where} raised {exc!r}; kept as {failed}") from exc
        took = time.process_time() - started
        assert took < SECONDS_PER_INPUT, f"{where} took {took:.1f} s of CPU"
        if not result.tables:
            assert result.problems and all(p.code.startswith("F_") for p in result.problems), where


def test_a_few_hundred_generated_inputs_never_escape_the_reader(tmp_path: Path) -> None:
    fuzz(tmp_path, 300, seed=2016)


@pytest.mark.slow
def test_ten_thousand_generated_inputs_never_escape_the_reader(tmp_path: Path) -> None:
    fuzz(tmp_path, 10_000, seed=20160408)


def dimensions_at(data: bytes) -> int:
    """Offset of the first worksheet DIMENSIONS record's row field in an .xls file."""
    return data.index(b"\x00\x02\x0e\x00") + 4


def test_an_xls_claiming_more_rows_than_excel_is_refused_before_parsing(tmp_path: Path) -> None:
    data = bytearray(seeds(tmp_path)["xls"])
    assert read_file(tmp_path / "seed.xls", "seed.xls", FORM).ok
    data[dimensions_at(data) + 3] = 0x01  # first row 16,777,216: calamine would reserve gigabytes
    (tmp_path / "bad.xls").write_bytes(data)
    result = read_file(tmp_path / "bad.xls", "bad.xls", FORM)
    assert [p.message for p in result.problems] == [
        "文件无法作为表格读取：Excel 97-2003 文件结构损坏（工作表范围超出 Excel 的行列上限）。"
    ]


def test_an_xls_header_claiming_more_sectors_than_the_file_is_refused(tmp_path: Path) -> None:
    data = bytearray(seeds(tmp_path)["xls"])
    data[44:48] = (1 << 20).to_bytes(4, "little")  # FAT sectors
    (tmp_path / "bad.xls").write_bytes(data)
    result = read_file(tmp_path / "bad.xls", "bad.xls", FORM)
    assert [p.message for p in result.problems] == [
        "文件无法作为表格读取：Excel 97-2003 文件头损坏（声明的扇区数超过文件大小）。"
    ]
