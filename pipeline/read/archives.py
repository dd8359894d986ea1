"""Archives in the inbox (SPEC §10): a bureau's whole packet often comes as one ``.zip``.

An archive is opened as a folder of the same name: its members are unpacked into a private
temporary folder and handed on as files ``<archive path>/<member path>``, read afterwards like
every other file (by content, in the guarded workers). Unpacking is bounded before and while it
happens: the number of members, the unpacked size, the compression ratio, one level of nested
archives, and no member outside the folder. Member names without the zip's UTF-8 flag are
decoded as Windows writes them (GBK). ``.7z`` and ``.rar`` need a tool beian does not carry:
they are refused with F_ARCHIVE saying so, like an archive that is encrypted, damaged or over a
limit. The archive itself keeps the status ``archive``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from pipeline.core.model import FileOutcome, FileStatus
from pipeline.core.problems import problem
from pipeline.read.filetype import ZIP_MAGIC
from pipeline.read.guards import FileRefused, check_zip_sizes

MAX_MEMBERS = 5_000
MAX_UNPACKED = 500 * 1024 * 1024
MAX_RATIO = 200
RATIO_FLOOR = 1024 * 1024
"""Members smaller than this unpacked are not judged by their ratio (a page of blanks)."""
NESTING = 1
UTF8_FLAG = 0x800
ENCRYPTED_FLAG = 0x1
OFFICE_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".ods", ".docx", ".docm", ".odt", ".et", ".wps"}
"""A zip named as an office file is that file (broken or not), never an archive to open."""
_PACKAGES = ("[Content_Types].xml", "mimetype", "META-INF/manifest.xml")
_OTHER_MAGIC = {b"7z\xbc\xaf\x27\x1c": ".7z", b"Rar!\x1a\x07": ".rar"}
_CHUNK = 1 << 20
_WORKDIR: list[tempfile.TemporaryDirectory[str]] = []


@dataclass
class Unpacked:
    """An archive's members as (member path, unpacked file), or why it was refused."""

    members: list[tuple[str, Path]] = field(default_factory=list)
    refusal: FileRefused | None = None


def archive_kind(path: Path) -> str:
    """``.zip``, ``.7z`` or ``.rar`` by content; a zip that is a workbook or a Word document
    (a package with its content types, or named like one) is no archive."""
    try:
        with path.open("rb") as f:
            head = f.read(8)
        for magic, kind in _OTHER_MAGIC.items():
            if head.startswith(magic):
                return kind
        if not head.startswith(ZIP_MAGIC):
            return ""
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return ".zip" if path.suffix.lower() == ".zip" else ""
    if names & set(_PACKAGES) or path.suffix.lower() in OFFICE_SUFFIXES:
        return ""  # a workbook or document, or a broken one: its own reader refuses it
    return ".zip"


def member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its maker meant it: UTF-8 when the zip says so (bit 0x800), else the
    Windows code page of Chinese systems (GBK; GB 18030 decodes every GBK name)."""
    if info.flag_bits & UTF8_FLAG:
        return info.filename
    raw = info.filename.encode("cp437")  # zipfile decoded the raw bytes as cp437, losslessly
    return raw.decode("gb18030", errors="replace")


def safe_member(name: str) -> str | None:
    """The member's path inside the folder, or None when it would land outside (zip-slip: an
    absolute path, a drive, ``..``); backslashes are Windows separators."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not parts or parts[0] == "/" or ":" in parts[0] or ".." in parts:
        return None
    return "/".join(parts)


def _refuse(detail: str) -> FileRefused:
    return FileRefused("F_ARCHIVE", detail=detail)


def _check(infos: list[zipfile.ZipInfo]) -> None:
    """The limits, judged on what the archive declares before anything is unpacked."""
    files = [i for i in infos if not i.is_dir()]
    if len(files) > MAX_MEMBERS:
        raise _refuse(f"含 {len(files)} 个文件，超过 {MAX_MEMBERS} 个的上限")
    total = sum(i.file_size for i in files)
    if total > MAX_UNPACKED:
        raise _refuse(f"解压后 {total // 2**20} MB，超过 {MAX_UNPACKED // 2**20} MB 的上限")
    if any(i.flag_bits & ENCRYPTED_FLAG for i in files):
        raise _refuse("已加密（设有密码）")
    for info in files:
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * info.compress_size:
            raise _refuse(f"“{member_name(info)}”压缩比异常（疑似压缩炸弹）")


def _copy(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int) -> int:
    """Unpack one member, counting real bytes (a header may lie); returns the bytes written."""
    written = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with archive.open(info) as source, target.open("wb") as out:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > info.file_size or written > budget:
                raise _refuse("解压后的实际大小超过所声明的大小或上限")
            out.write(chunk)
    stamp = dt.datetime(*info.date_time).timestamp()
    os.utime(target, (stamp, stamp))
    return written


def unpack_zip(path: Path, into: Path) -> Unpacked:
    """Every file member of a zip unpacked below ``into``, within the limits."""
    found = Unpacked()
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            check_zip_sizes(infos, path.stat().st_size)
            _check(infos)
            budget = MAX_UNPACKED
            for info in (i for i in infos if not i.is_dir()):
                name = safe_member(member_name(info))
                if name is None:
                    raise _refuse(f"“{member_name(info)}”指向压缩包文件夹以外")
                target = into.joinpath(*PurePosixPath(name).parts)
                budget -= _copy(archive, info, target, budget)
                found.members.append((name, target))
    except FileRefused as refusal:
        found.members, found.refusal = [], refusal
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        found.members, found.refusal = [], _refuse(f"文件已损坏或压缩方式不受支持（{exc}）")
    return found


def _workdir() -> Path:
    """This process's folder for unpacked members, removed when the process ends."""
    if not _WORKDIR:
        _WORKDIR.append(tempfile.TemporaryDirectory(prefix="beian-archives-"))
    return Path(_WORKDIR[0].name)


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _refused(outcome: FileOutcome, detail: str) -> list[FileOutcome]:
    outcome.status = FileStatus.REJECTED
    outcome.problems = [problem("F_ARCHIVE", file=outcome.file, detail=detail)]
    return []


def _open(outcome: FileOutcome, kind: str, depth: int) -> list[FileOutcome]:
    """The archive's members as files of a folder of its name; the archive marked."""
    if depth > NESTING:
        return _refused(outcome, f"压缩包内嵌套的压缩包超过 {NESTING} 层")
    if kind != ".zip":
        return _refused(outcome, f"{kind} 格式需要另装解压工具，本机没有；请改用 .zip")
    into = _workdir() / _digest(outcome.path)
    if into.exists():
        shutil.rmtree(into)
    unpacked = unpack_zip(outcome.path, into)
    if unpacked.refusal is not None:
        return _refused(outcome, str(unpacked.refusal.params.get("detail", "")))
    outcome.status, outcome.note = (
        FileStatus.ARCHIVE,
        f"压缩包，已解开 {len(unpacked.members)} 个文件",
    )
    members = []
    for name, target in unpacked.members:
        member = FileOutcome(file=f"{outcome.file}/{name}", path=target, status=FileStatus.UNJUDGED)
        members.append(member)
        inner = archive_kind(target)
        if inner:
            members += _open(member, inner, depth + 1)
    return members


def open_archives(files: list[FileOutcome]) -> list[FileOutcome]:
    """The inbox's files with every archive opened: its members follow it, in path order."""
    out: list[FileOutcome] = []
    for outcome in files:
        out.append(outcome)
        kind = "" if outcome.status else archive_kind(outcome.path)
        if kind:
            out += _open(outcome, kind, 0)
    return sorted(out, key=lambda f: f.file)
