"""A cheap look at a legacy .xls container (OLE compound file) before calamine parses it.

calamine sizes its buffers from the counts and stream lengths the file declares, so one damaged
header field can ask for gigabytes and abort the whole process (found by tests/test_fuzz_read.py:
random bytes inserted into a real .xls). Here every such number is checked against the file's own
size, following the sector chains with a step limit, before any parser sees the file; and the
workbook stream's DIMENSIONS and SST records, whose row, column and string counts calamine
reserves memory for, are held to Excel's own limits.
"""

from __future__ import annotations

import struct

HEADER = 512
FREE_OR_END = 0xFFFFFFFA  # ids at or above this are special (end of chain, free, FAT, DIFAT)
DIR_ENTRY = 128
MINI_CUTOFF = 4096
WORKBOOK_STREAMS = ("Workbook", "Book")
DIMENSIONS, SST = 0x0200, 0x00FC
MAX_ROWS, MAX_COLUMNS = 65536, 256  # BIFF8, the last .xls format


def _sector(data: bytes, sid: int, size: int) -> bytes | None:
    start = size * (sid + 1)  # the header fills sector -1
    return data[start : start + size] if start + size <= len(data) else None


def _fat(data: bytes, size: int, difat: list[int]) -> list[int] | None:
    fat: list[int] = []
    for sid in difat:
        sector = _sector(data, sid, size)
        if sector is None:
            return None
        fat.extend(struct.unpack(f"<{size // 4}I", sector))
    return fat


def _chain(fat: list[int], start: int, limit: int) -> list[int] | None:
    """Sector ids of a chain, or None when it leaves the FAT or loops."""
    chain: list[int] = []
    sid = start
    while sid < FREE_OR_END:
        if sid >= len(fat) or len(chain) > limit:
            return None
        chain.append(sid)
        sid = fat[sid]
    return chain


def cfb_damage(data: bytes) -> str:
    """Why this compound file cannot be parsed safely, in Chinese; "" when it looks sound."""
    if len(data) < HEADER:
        return "Excel 97-2003 文件头不完整"
    shift = struct.unpack_from("<H", data, 30)[0]
    if shift not in (9, 12):
        return "Excel 97-2003 文件头损坏（扇区大小）"
    size = 1 << shift
    sectors = len(data) // size
    n_dir, n_fat, dir_start = struct.unpack_from("<3I", data, 40)
    n_mini, difat_start, n_difat = struct.unpack_from("<3I", data, 64)
    if max(n_dir, n_fat, n_mini, n_difat) > sectors:
        return "Excel 97-2003 文件头损坏（声明的扇区数超过文件大小）"
    difat = [s for s in struct.unpack_from("<109I", data, 76) if s < FREE_OR_END][:n_fat]
    sid = difat_start
    for _ in range(n_difat):
        sector = _sector(data, sid, size) if sid < FREE_OR_END else None
        if sector is None:
            return "Excel 97-2003 文件结构损坏（扇区表）"
        entries = struct.unpack(f"<{size // 4}I", sector)
        difat += [s for s in entries[:-1] if s < FREE_OR_END]
        sid = entries[-1]
    fat = _fat(data, size, difat[:n_fat])
    directory = _chain(fat, dir_start, sectors) if fat is not None else None
    if directory is None:
        return "Excel 97-2003 文件结构损坏（目录）"
    workbook: tuple[int, int] | None = None
    for sid in directory:
        sector = _sector(data, sid, size)
        if sector is None:
            return "Excel 97-2003 文件结构损坏（目录）"
        for offset in range(0, size, DIR_ENTRY):
            start, length = struct.unpack_from("<IQ", sector, offset + 116)
            if shift == 9:
                length &= 0xFFFFFFFF
            if length > len(data):
                return "Excel 97-2003 文件结构损坏（声明的数据长度超过文件大小）"
            name_bytes = struct.unpack_from("<H", sector, offset + 64)[0]
            name = sector[offset : offset + min(name_bytes, 64)].decode("utf-16-le", "replace")
            if name.rstrip("\x00") in WORKBOOK_STREAMS and length >= MINI_CUTOFF:
                workbook = (start, length)
    if workbook is None or fat is None:
        return ""
    chain = _chain(fat, workbook[0], sectors)
    if chain is None:
        return "Excel 97-2003 文件结构损坏（工作簿数据）"
    stream = b"".join(_sector(data, sid, size) or b"" for sid in chain)[: workbook[1]]
    return _records_damage(stream)


def _records_damage(stream: bytes) -> str:
    """Row, column and string counts of the BIFF records beyond what Excel can hold."""
    offset = 0
    while offset + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, offset)
        body = stream[offset + 4 : offset + 4 + length]
        if kind == DIMENSIONS and len(body) >= 12:
            first_row, last_row, first_col, last_col = struct.unpack_from("<IIHH", body)
            if not (first_row <= last_row <= MAX_ROWS and first_col <= last_col <= MAX_COLUMNS):
                return "Excel 97-2003 文件结构损坏（工作表范围超出 Excel 的行列上限）"
        if kind == SST and len(body) >= 8:
            unique = struct.unpack_from("<I", body, 4)[0]
            if unique > len(stream):
                return "Excel 97-2003 文件结构损坏（字符串表的条数超过文件大小）"
        offset += 4 + length
    return ""
