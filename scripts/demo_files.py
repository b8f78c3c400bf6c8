"""Small files for the demo's attachments, made here (nothing downloaded): a one-page PDF letter, a PNG photo of
a bill and a UTF-8 note of a phone call — each a real file of its type, as intake decides types by content."""

from __future__ import annotations

import struct
import zlib


def pdf_letter(lines: list[str]) -> bytes:
    """A valid one-page PDF (Helvetica, ASCII text) with a correct cross-reference table."""
    safe = [line.translate({ord("\\"): None, ord("("): None, ord(")"): None}) for line in lines]
    text = "\n".join(f"({line}) Tj 0 -18 Td" for line in safe)
    stream = f"BT /F1 12 Tf 72 760 Td\n{text}\nET".encode("ascii", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def png_picture(width: int = 48, height: int = 32) -> bytes:
    """A small RGB PNG: a pale sheet with grey lines, like a photographed bill."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\0" + b"".join(b"\x90\x90\x90" if y % 6 == 0 and 4 < x < width - 4 else b"\xf4\xf1\xe8" for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def text_note(text: str) -> bytes:
    return text.encode("utf-8")
