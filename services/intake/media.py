"""What a file is, decided by its first bytes (magic numbers), never by its name or declared type; and the
rules for an attachment's name. Pure: no I/O (docs/decisions.md, "Attachments: the content decides")."""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

from shared.errors import InvalidField
from shared.events.vocabularies import ATTACHMENT_MEDIA_TYPES

#: every type an attachment may have (CONTRACT §9), as AttachmentAdded names them
ACCEPTED = ATTACHMENT_MEDIA_TYPES
PDF, JPEG, PNG, WEBP, MP3, M4A, WAV, MP4, TEXT = ACCEPTED
# ISO base media brands: audio-only (M4A/M4B audiobooks) and the video brands an MP4 file may carry
_AUDIO_BRANDS = {b"M4A ", b"M4B "}
_VIDEO_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash", b"MSNV"}
# Types refused, recognised only so the 415 can say what was sent
_KNOWN_REFUSED = (
    (b"MZ", "application/x-msdownload"),
    (b"\x7fELF", "application/x-executable"),
    (b"PK\x03\x04", "application/zip"),
    (b"GIF8", "image/gif"),
    (b"\xd0\xcf\x11\xe0", "application/x-ole-storage"),
    (b"Rar!", "application/vnd.rar"),
    (b"\x1f\x8b", "application/gzip"),
)
_TEXT_CONTROLS_ALLOWED = {"\t", "\n", "\r", "\f"}
NAME_MAX = 255


def _iso_media(head: bytes) -> str:
    brand = head[8:12]
    if brand in _AUDIO_BRANDS:
        return M4A
    if brand in _VIDEO_BRANDS:
        return MP4
    return "video/quicktime" if brand == b"qt  " else f"application/x-iso-bmff; brand={brand.decode('latin-1')!r}"


def _mp3_frame(head: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, a version that is not reserved, a layer that is not reserved."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    return (head[1] >> 3) & 0b11 != 0b01 and (head[1] >> 1) & 0b11 != 0


def _plain_text(head: bytes, complete: bool) -> bool:
    """UTF-8 (a sequence cut at the chunk's end is fine unless the file ends there) with no NUL or control
    character other than tab, line feed, carriage return and form feed."""
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=complete)
    except UnicodeDecodeError:
        return False
    return all(ch in _TEXT_CONTROLS_ALLOWED or unicodedata.category(ch) != "Cc" for ch in text)


def detect(head: bytes, complete: bool) -> str:
    """The media type of a file that begins with ``head`` (its first chunk; ``complete`` when that is all of
    it). Accepted types are those of ``ACCEPTED``; anything else is named as well as it can be."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE"):
        return WEBP if head[8:12] == b"WEBP" else WAV
    if head[4:8] == b"ftyp":
        return _iso_media(head)
    if head.startswith(b"ID3") or _mp3_frame(head):
        return MP3
    for magic, media_type in _KNOWN_REFUSED:
        if head.startswith(magic):
            return media_type
    return TEXT if _plain_text(head, complete) else "application/octet-stream"


@dataclass(frozen=True)
class Named:
    """``POST /complaints/<id>/attachments?name=``: the file's name, unless Content-Disposition gives it."""

    name: str | None = None


def file_name(from_query: str | None, from_header: str | None) -> str:
    """The attachment's name, from ``?name=`` or ``Content-Disposition`` (both: they must agree). A name, not a
    path: no separators, no control characters, at most 255 characters (NFC)."""
    given = {n for n in (from_query, from_header) if n is not None}
    if not given:
        raise InvalidField("name", "give the file's name in ?name= or in Content-Disposition (filename=)")
    if len(given) > 1:
        raise InvalidField("name", "?name= and Content-Disposition name different files")
    name = unicodedata.normalize("NFC", given.pop()).strip()
    if not name or name in (".", ".."):
        raise InvalidField("name", "must not be empty")
    if len(name) > NAME_MAX:
        raise InvalidField("name", f"at most {NAME_MAX} characters")
    if any(ch in "/\\" or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in name):
        raise InvalidField("name", "a file name, without path separators or control characters")
    return name
