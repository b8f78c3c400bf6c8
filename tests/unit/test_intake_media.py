"""What an attachment is, by its first bytes (services/intake/media.py), and the rules for its name."""

from __future__ import annotations

import pytest

from services.intake import media
from shared.errors import InvalidField

ACCEPTED = {
    b"%PDF-1.7\n": media.PDF,
    b"\xff\xd8\xff\xdb\x00C": media.JPEG,
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR": media.PNG,
    b"RIFF\x10\x00\x00\x00WEBPVP8L": media.WEBP,
    b"RIFF\x10\x00\x00\x00WAVEfmt ": media.WAV,
    b"ID3\x03\x00\x00\x00\x00\x00\x00": media.MP3,
    b"\xff\xfb\x90\x64\x00": media.MP3,  # an MPEG-1 layer III frame, no ID3 tag
    b"\xff\xf3\x84\x64\x00": media.MP3,  # MPEG-2 layer III
    b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00": media.M4A,
    b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00": media.MP4,
    b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00": media.MP4,
    "投诉人陈述\r\n\tline two\f".encode(): media.TEXT,
    "\ufeffwith a byte order mark".encode(): media.TEXT,
}
REFUSED = {
    b"MZ\x90\x00": "application/x-msdownload",
    b"\x7fELF\x02\x01": "application/x-executable",
    b"PK\x03\x04\x14\x00": "application/zip",
    b"GIF89a\x01\x00": "image/gif",
    b"\x00\x00\x00\x14ftypqt  ": "video/quicktime",
    b"text with a NUL\x00": "application/octet-stream",
    b"text with a bell\x07": "application/octet-stream",
    b"\xc3\x28 not UTF-8": "application/octet-stream",
    b"\xff\xf9\x00\x00": "application/octet-stream",  # sync bits with a reserved layer: not MP3
}


@pytest.mark.parametrize(("head", "expected"), ACCEPTED.items())
def test_accepted_types_are_found_by_content(head: bytes, expected: str) -> None:
    assert media.detect(head, complete=True) == expected
    assert expected in media.ACCEPTED


@pytest.mark.parametrize(("head", "expected"), REFUSED.items())
def test_other_content_is_named_and_not_accepted(head: bytes, expected: str) -> None:
    assert media.detect(head, complete=True) == expected
    assert expected not in media.ACCEPTED


def test_a_multibyte_character_cut_at_the_end_of_the_first_chunk_is_still_text() -> None:
    head = "病历".encode()[:-1]
    assert media.detect(head, complete=False) == media.TEXT
    assert media.detect(head, complete=True) == "application/octet-stream"  # the file itself ends there


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        ("发票.pdf", None, "发票.pdf"),
        (None, "scan.png", "scan.png"),
        ("a.pdf", "a.pdf", "a.pdf"),
        (" b.txt ", None, "b.txt"),
    ],
)
def test_a_file_name_from_the_query_or_the_header(query: str | None, header: str | None, expected: str) -> None:
    assert media.file_name(query, header) == expected


@pytest.mark.parametrize(
    ("query", "header"),
    [
        (None, None),
        ("", None),
        ("..", None),
        ("a/b", None),
        ("a\\b", None),
        ("a\nb", None),
        ("a\u202eb", None),
        ("a\ud800b", None),  # a lone surrogate: no UTF-8 form to seal
        ("x" * 256, None),
        ("a.pdf", "b.pdf"),
    ],
)
def test_a_bad_name_names_the_field(query: str | None, header: str | None) -> None:
    with pytest.raises(InvalidField) as refused:
        media.file_name(query, header)
    assert set(refused.value.errors) == {"name"}
