"""PDFs built in code, as offices send Annex 1 forms: text laid out in table cells (the text
layer a PDF printer writes from Word), or a page that is only a picture (a scan).

The text uses the standard Chinese font STSong-Light with the UniGB-UCS2-H encoding, which every
PDF reader knows without an embedded font, so no font file is needed to build a text layer.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path

PAGE = (595, 842)
Cell = tuple[float, str]
"""(x in points from the left, text) of one cell of a line."""


def _objects(bodies: Sequence[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(bodies) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    trailer = f"trailer\n<< /Size {len(bodies) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    out += trailer.encode()
    return bytes(out)


def _stream(content: bytes, extra: str = "") -> bytes:
    packed = zlib.compress(content)
    head = f"<< /Length {len(packed)} /Filter /FlateDecode {extra}>>\nstream\n".encode()
    return head + packed + b"\nendstream"


def text_pdf(path: Path, pages: Sequence[Sequence[Sequence[Cell]]], size: float = 10) -> Path:
    """A PDF whose pages hold lines of cells; each line 22 points below the one before."""
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
        b"/FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
        b"/FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 880 /Descent -120 "
        b"/CapHeight 880 /StemV 93 >> /DW 1000 /W [1 95 500] >>] >>",
    ]
    for i, lines in enumerate(pages):
        ops = []
        for n, line in enumerate(lines):
            y = PAGE[1] - 60 - 22 * n
            for x, text in line:
                hexed = text.encode("utf-16-be").hex()
                ops.append(f"BT /F1 {size} Tf {x} {y} Td <{hexed}> Tj ET")
        bodies.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE[0]} {PAGE[1]}] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        bodies.append(_stream("\n".join(ops).encode()))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_objects(bodies))
    return path


def scan_pdf(path: Path) -> Path:
    """A one-page PDF holding only a grey picture, as a scanner writes it: no text layer."""
    pixels = bytes([200]) * (40 * 40)
    image = _stream(
        pixels,
        "/Type /XObject /Subtype /Image /Width 40 /Height 40 "
        "/ColorSpace /DeviceGray /BitsPerComponent 8 ",
    )
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE[0]} {PAGE[1]}] "
        f"/Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>".encode(),
        _stream(b"q 500 0 0 700 40 60 cm /Im1 Do Q"),
        image,
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_objects(bodies))
    return path
