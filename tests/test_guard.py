"""The second hostile set: files that would end the night or eat the machine, and long names.

Each file is built in code. The night must complete, every other file's rows must be there, and
the bad file must have its F_ code and a receipt.
"""

from __future__ import annotations

import datetime as dt
import os
import struct
import time
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from conftest import annex3_grid, good_row, write_grid
from forms import FORM, SPEC, make_form
from test_end_to_end import read_csv, run_cli
from test_read import edited_xlsx, file_codes, read_path, rezip, zip_parts
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.config import Settings, load_settings
from pipeline.core.errors import ConfigError
from pipeline.core.model import FileOutcome
from pipeline.core.names import MAX_NAME_BYTES, MAX_NAME_CHARS, fit_name
from pipeline.core.schema import load_form, load_registers
from pipeline.packet.claim import claim
from pipeline.read import sandbox
from pipeline.read.sandbox import Caps, read_files

FAR_ROW = 99_999_999


def far_cell(tmp_path: Path, ref: str, name: str = "far.xlsx") -> Path:
    """An Annex 3 workbook with one more cell at ``ref`` (and its row) in the sheet XML."""
    row = "".join(ch for ch in ref if ch.isdigit())

    def edit(xml: bytes) -> bytes:
        cell = f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>x</t></is></c></row>'
        return xml.replace(b"</sheetData>", cell.encode() + b"</sheetData>")

    return edited_xlsx(tmp_path, edit, name)


def repeated_ods(tmp_path: Path, repeat: int, trailing: bool = False) -> Path:
    """An Annex 3 .ods whose last data row is marked repeated ``repeat`` times; ``trailing`` adds
    the empty row repeated about a million times that LibreOffice writes at the end instead."""
    path = write_grid(tmp_path / "source.ods", annex3_grid([good_row()]), "ods")
    parts = zip_parts(path)
    content = parts["content.xml"]
    if trailing:
        padding = (
            b'<table:table-row table:number-rows-repeated="1048000">'
            b'<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
        )
        content = content.replace(b"</table:table>", padding + b"</table:table>")
    else:
        at = content.rfind(b"<table:table-row") + len(b"<table:table-row")
        attribute = f' table:number-rows-repeated="{repeat}"'.encode()
        content = content[:at] + attribute + content[at:]
    parts["content.xml"] = content
    return rezip(tmp_path / "repeated.ods", parts)


def broken_xls(tmp_path: Path, how: str) -> Path:
    """A real .xls whose Workbook stream claims 2 GB (``size``) or whose sector chain loops."""
    data = bytearray(
        write_grid(tmp_path / "source.xls", annex3_grid([good_row()]), "xls").read_bytes()
    )
    shift = struct.unpack_from("<H", data, 30)[0]
    fat_sector = struct.unpack_from("<I", data, 76)[0]
    directory = (struct.unpack_from("<I", data, 48)[0] + 1) << shift
    name = "Workbook".encode("utf-16-le")
    entry = next(
        directory + i for i in range(0, 1 << shift, 128) if data[directory + i :].startswith(name)
    )
    start = struct.unpack_from("<I", data, entry + 116)[0]
    if how == "size":
        struct.pack_into("<I", data, entry + 120, 2**31)
    else:
        fat = (fat_sector + 1) << shift
        sector = start
        while (following := struct.unpack_from("<I", data, fat + 4 * sector)[0]) < 0xFFFFFFFA:
            sector = following
        struct.pack_into("<I", data, fat + 4 * sector, start)  # the last sector leads back
    path = tmp_path / f"{how}.xls"
    path.write_bytes(bytes(data))
    return path


# --- cheap refusals before the parse --------------------------------------------------------------


@pytest.mark.parametrize("ref", [f"A{FAR_ROW}", "XFE5", "AAAA5"])
def test_a_cell_beyond_excels_grid_is_refused_before_parsing(tmp_path: Path, ref: str) -> None:
    result = read_path(far_cell(tmp_path, ref))
    assert file_codes(result) == ["F_UNSAFE"]
    assert "超出 Excel 表格范围" in result.problems[0].message


def test_a_cell_in_the_grids_last_column_is_read(tmp_path: Path) -> None:
    result = read_path(far_cell(tmp_path, "XFD4"))
    assert file_codes(result) == []
    assert len(result.tables) == 1 and len(result.tables[0].frame) == 1


def test_an_ods_row_repeated_a_million_times_is_refused(tmp_path: Path) -> None:
    result = read_path(repeated_ods(tmp_path, 1_000_000))
    assert file_codes(result) == ["F_TOO_MANY_ROWS"]


def test_an_ods_with_librecalcs_trailing_empty_rows_is_read(tmp_path: Path) -> None:
    result = read_path(repeated_ods(tmp_path, 0, trailing=True))
    assert file_codes(result) == []
    assert len(result.tables) == 1 and len(result.tables[0].frame) == 1


def test_an_ods_row_repeated_a_few_times_is_read(tmp_path: Path) -> None:
    result = read_path(repeated_ods(tmp_path, 3))
    assert file_codes(result) == []
    assert len(result.tables) == 1 and len(result.tables[0].frame) == 3


@pytest.mark.parametrize(
    ("how", "said"), [("size", "声明的数据长度超过文件大小"), ("loop", "工作簿数据")]
)
def test_a_broken_xls_stream_table_is_refused(tmp_path: Path, how: str, said: str) -> None:
    result = read_path(broken_xls(tmp_path, how))
    assert file_codes(result) == ["F_UNREADABLE"]
    assert said in result.problems[0].message


def test_a_zip_part_larger_than_deflate_allows_is_refused(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "a.xlsx", annex3_grid([good_row()]), "xlsx")
    data = bytearray(path.read_bytes())
    central = data.rfind(b"PK\x01\x02")  # the last part's directory entry: its inflated size
    struct.pack_into("<I", data, central + 24, 2**31)
    path.write_bytes(bytes(data))
    result = read_path(path)
    assert file_codes(result) == ["F_UNSAFE"]


# --- the guarded worker ---------------------------------------------------------------------------


def guarded(paths: list[Path], caps: Caps | None = None) -> list[list[str]]:
    form = load_form(load_settings().form)
    results = read_files([(p, p.name) for p in paths], form, caps or Caps())
    return [[p.code for p in r.problems if p.severity == "file"] for r in results]


def big_csv(folder: Path, rows: int = 40_000) -> Path:
    """A legal Annex 3 CSV of many rows: more memory and time than a small cap allows."""
    many = [good_row(name=f"众创空间{i:05d}号", address="湖南省" * 40) for i in range(rows)]
    return write_grid(folder / "株洲市科技局.csv", annex3_grid(many, "株洲市科学技术局"), "csv")


@pytest.mark.slow  # a worker aborted and replaced
def test_a_file_that_aborts_its_worker_is_refused_and_the_others_are_read(
    tmp_path: Path,
) -> None:
    # XFD1048576 is inside Excel's grid; the reader allocates the whole rectangle and aborts.
    killer = far_cell(tmp_path, "XFD1048576")
    good = write_grid(tmp_path / "good.xlsx", annex3_grid([good_row()]), "xlsx")
    assert guarded([good, killer, good]) == [[], ["F_READ_CRASH"], []]


def test_a_worker_killed_between_nights_is_replaced(tmp_path: Path) -> None:
    good = write_grid(tmp_path / "good.xlsx", annex3_grid([good_row()]), "xlsx")
    assert guarded([good, good]) == [[], []]
    for worker in sandbox._workers:
        worker.process.kill()
        worker.process.join()
    assert guarded([good, good]) == [[], []]


def test_a_worker_over_its_memory_cap_is_stopped(tmp_path: Path) -> None:
    good = write_grid(tmp_path / "good.xlsx", annex3_grid([good_row()]), "xlsx")
    assert guarded([big_csv(tmp_path), good], Caps(memory_mb=40)) == [["F_READ_LIMIT"], []]


def test_a_worker_over_its_time_is_stopped(tmp_path: Path) -> None:
    found = read_files(
        [(big_csv(tmp_path), "big.csv")], load_form(load_settings().form), Caps(seconds=0.2)
    )
    assert [p.message for p in found[0].problems] == [
        "读取该文件所需的时间超过了安全上限 0.2 秒，为保护整批汇总，已停止读取此文件。"
    ]


# --- through the CLI: the night completes ---------------------------------------------------------


def with_limits(settings: Settings, memory_mb: int) -> Path:
    config = settings.inbox.parent / "limits.toml"
    config.write_text(f"[limits]\nmemory_mb = {memory_mb}\n", encoding="utf-8")
    return config


def others(settings: Settings) -> None:
    """Two good bureaus' files beside the bad one: three and two spaces."""
    three = [good_row(name=n) for n in ("麓谷创客工场", "岳麓山创新工场", "橘子洲青年空间")]
    write_grid(settings.inbox / "长沙市科技局.xlsx", annex3_grid(three), "xlsx")
    two = [good_row(name=n) for n in ("星沙众创", "梅溪湖创想家")]
    write_grid(settings.inbox / "常德市科技局.ods", annex3_grid(two, "常德市科学技术局"), "ods")


@pytest.mark.parametrize(
    ("make", "code", "memory_mb"),
    [
        (lambda folder: far_cell(folder, "XFD1048576"), "F_READ_CRASH", 1024),
        (lambda folder: far_cell(folder, f"A{FAR_ROW}"), "F_UNSAFE", 1024),
        (lambda folder: repeated_ods(folder, 1_000_000), "F_TOO_MANY_ROWS", 1024),
        (lambda folder: broken_xls(folder, "loop"), "F_UNREADABLE", 1024),
        (big_csv, "F_READ_LIMIT", 40),
    ],
    ids=["aborts-its-worker", "beyond-the-grid", "ods-repeat", "looping-xls", "over-memory"],
)
@pytest.mark.slow  # each runs a whole night beside a worker killed at its cap
def test_the_night_completes_beside_a_hostile_file(
    settings: Settings, tmp_path: Path, make: Callable[[Path], Path], code: str, memory_mb: int
) -> None:
    (tmp_path / "build").mkdir()
    built = make(tmp_path / "build")
    bad = built.rename(settings.inbox / f"湘潭市科技局{built.suffix}")
    os.utime(bad, (time.time() - 3600,) * 2)  # not a file still being copied: refused, not deferred
    others(settings)
    result = run_cli(settings, "--config", str(with_limits(settings, memory_mb)))
    assert result.exit_code == 0, result.output
    statuses = {
        f["file"]: (f["status"], f["codes"]) for f in read_csv(settings.batch_dir / "files.csv")
    }
    assert statuses[bad.name] == ("rejected", code)
    rows = read_csv(settings.batch_dir / "dispositions.csv")
    assert sorted(r["file"] for r in rows if r["disposition"] == "accepted") == (
        ["常德市科技局.ods"] * 2 + ["长沙市科技局.xlsx"] * 3
    )
    receipts = [p.name for p in (settings.batch_dir / "回执").iterdir()]
    assert any(bad.stem in name for name in receipts), receipts


# --- names that fit -------------------------------------------------------------------------------


def test_a_short_name_is_kept() -> None:
    assert fit_name("长沙市科学技术局-汇总表", ".xlsx") == "长沙市科学技术局-汇总表.xlsx"


def test_a_long_name_is_shortened_within_bytes_and_characters_and_stays_unique() -> None:
    first, second = ("众" * 83 + end for end in ("甲", "乙"))
    fitted = [fit_name(stem, "-回执.xlsx") for stem in (first, second)]
    assert fitted[0] != fitted[1]
    for name in fitted:
        assert name.endswith("-回执.xlsx") and "~" in name
        assert len(name.encode("utf-8")) <= MAX_NAME_BYTES and len(name) <= MAX_NAME_CHARS


LONG_NAME = "湘潭市科技局" + "众" * 75 + ".xlsx"  # 248 bytes: legal on every file system


def test_a_refused_file_with_a_250_byte_name_gets_a_receipt(settings: Settings) -> None:
    assert 245 <= len(LONG_NAME.encode("utf-8")) <= 255
    others(settings)
    (settings.inbox / LONG_NAME).write_text("<html><table></table></html>", encoding="utf-8")
    result = run_cli(settings)
    assert result.exit_code == 0, result.output
    statuses = {f["file"]: f["codes"] for f in read_csv(settings.batch_dir / "files.csv")}
    assert statuses[LONG_NAME] == "F_UNSUPPORTED"
    receipts = sorted(p.name for p in (settings.batch_dir / "回执").iterdir())
    long = [n for n in receipts if n.startswith("湘潭市科学技术局-湘潭市科技局众")]
    assert len(long) == 1 and len(long[0].encode("utf-8")) <= MAX_NAME_BYTES


def test_beian_check_of_a_250_byte_name_writes_its_receipt_beside_it(tmp_path: Path) -> None:
    path = write_grid(tmp_path / LONG_NAME, annex3_grid([good_row()], "湘潭市科学技术局"), "xlsx")
    result = CliRunner().invoke(app, ["check", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    receipts = [p.name for p in tmp_path.iterdir() if p.name.endswith("-回执.xlsx")]
    assert len(receipts) == 1 and len(receipts[0].encode("utf-8")) <= MAX_NAME_BYTES


# --- settings -------------------------------------------------------------------------------------


def test_the_caps_default_to_one_gigabyte_and_a_minute(tmp_path: Path) -> None:
    settings = load_settings(base=tmp_path)
    assert (settings.read_memory_mb, settings.read_seconds) == (1024, 60)


@pytest.mark.parametrize("value", ["0", "-1", '"很多"', "true"])
def test_a_cap_must_be_a_positive_number(tmp_path: Path, value: str) -> None:
    config = tmp_path / "beian.toml"
    config.write_text(f"[limits]\nseconds_per_file = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="seconds_per_file"):
        load_settings(config)


# --- Word forms -----------------------------------------------------------------------------------


def test_a_word_form_is_read_in_a_guarded_worker_too(settings: Settings) -> None:
    """A form whose read outlasts its time is refused with F_READ_LIMIT, like any workbook."""
    path = make_form(settings.inbox / "长沙市科技局" / "附件1.docx")
    document = docx.Document(str(path))
    for _ in range(3000):  # long enough to be read well after the first watchdog poll
        document.add_paragraph("补充说明。")
    document.save(str(path))
    day = dt.datetime(2016, 4, 1)
    for caps, status, codes in [
        (Caps(seconds=0.001), "rejected", ["F_READ_LIMIT"]),
        (Caps(), "annex1", []),
    ]:
        outcome = FileOutcome(file="长沙市科技局/附件1.docx", path=path, status="")
        claim([outcome], SPEC, load_registers(), {}, day, caps, FORM)
        assert (outcome.status, [p.code for p in outcome.problems]) == (status, codes)
