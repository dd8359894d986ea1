"""Opening archives in the inbox (SPEC §10): names, limits and refusals, one rule at a time.

The packet corpus (tests/test_packets_as_sent.py) runs whole packets through ``beian run``;
these cases pin each limit with a case that trips it and one that passes.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from packets import zipped

from pipeline.core.model import FileOutcome
from pipeline.read import archives
from pipeline.read.archives import archive_kind, member_name, open_archives, safe_member, unpack_zip


def outcome(path: Path) -> FileOutcome:
    return FileOutcome(file=path.name, path=path, status="")


def test_member_names_in_gbk_and_in_utf8(tmp_path: Path) -> None:
    for utf8 in (False, True):
        path = zipped(tmp_path / f"{utf8}.zip", {"长沙市科技局/汇总表.xlsx": b"x"}, utf8=utf8)
        with zipfile.ZipFile(path) as archive:
            (info,) = archive.infolist()
            assert bool(info.flag_bits & archives.UTF8_FLAG) is utf8
            assert member_name(info) == "长沙市科技局/汇总表.xlsx"


@pytest.mark.parametrize(
    ("name", "inside"),
    [
        ("a/b.xlsx", "a/b.xlsx"),
        ("a\\b.xlsx", "a/b.xlsx"),
        ("../b.xlsx", None),
        ("a/../../b.xlsx", None),
        ("/etc/passwd", None),
        ("C:/Windows/b.xlsx", None),
    ],
)
def test_no_member_lands_outside_the_folder(name: str, inside: str | None) -> None:
    assert safe_member(name) == inside


def test_a_workbook_is_no_archive_and_a_zip_is(tmp_path: Path) -> None:
    import openpyxl

    book = tmp_path / "汇总表.xlsx"
    openpyxl.Workbook().save(book)
    assert archive_kind(book) == ""
    plain = zipped(tmp_path / "附件.zip", {"a.txt": b"x"})
    assert archive_kind(plain) == ".zip"
    renamed = zipped(tmp_path / "附件.xlsx", {"a.txt": b"x"})
    assert archive_kind(renamed) == ""  # the workbook reader refuses it as a workbook
    (tmp_path / "x.7z").write_bytes(b"7z\xbc\xaf\x27\x1c" + bytes(8))
    assert archive_kind(tmp_path / "x.7z") == ".7z"


def test_too_many_members(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archives, "MAX_MEMBERS", 3)
    three = zipped(tmp_path / "3.zip", {f"{i}.txt": b"x" for i in range(3)})
    assert len(unpack_zip(three, tmp_path / "three").members) == 3
    four = zipped(tmp_path / "4.zip", {f"{i}.txt": b"x" for i in range(4)})
    refused = unpack_zip(four, tmp_path / "four")
    assert refused.members == [] and refused.refusal is not None
    assert "超过 3 个" in refused.refusal.params["detail"]


def test_too_large_unpacked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archives, "MAX_UNPACKED", 1000)
    assert (
        unpack_zip(zipped(tmp_path / "a.zip", {"a.txt": bytes(900)}), tmp_path / "a").refusal
        is None
    )
    refused = unpack_zip(zipped(tmp_path / "b.zip", {"b.txt": bytes(1100)}), tmp_path / "b")
    assert refused.refusal is not None and "上限" in refused.refusal.params["detail"]


def test_the_archive_is_marked_and_its_members_follow_it(tmp_path: Path) -> None:
    path = zipped(
        tmp_path / "长沙市科技局.zip", {"麓谷创客工场/营业执照.pdf": b"%PDF", "~$x.xlsx": b""}
    )
    files = open_archives([outcome(path)])
    assert [(f.file, f.status) for f in files] == [
        ("长沙市科技局.zip", "archive"),
        ("长沙市科技局.zip/~$x.xlsx", ""),
        ("长沙市科技局.zip/麓谷创客工场/营业执照.pdf", ""),
    ]
    assert files[2].path.read_bytes() == b"%PDF"
    assert files[2].path.stat().st_mtime == files[1].path.stat().st_mtime  # the zip's own time


def test_a_damaged_zip_is_refused_saying_so(tmp_path: Path) -> None:
    path = tmp_path / "附件.zip"
    path.write_bytes(zipped(tmp_path / "ok.zip", {"a.txt": b"x" * 100}).read_bytes()[:-30])
    (refused,) = open_archives([outcome(path)])
    assert refused.status == "rejected" and refused.codes == "F_ARCHIVE"
    assert "损坏" in refused.problems[0].message
