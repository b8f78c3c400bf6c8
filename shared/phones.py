"""Mainland China telephone numbers (CONTRACT §13): a mobile (11 digits beginning with 1, optional +86) or a
landline (area code 0xx/0xxx and a 7 to 8 digit number, optional extension). Spaces, dashes, dots and brackets
are allowed and normalised away, so a number is stored, compared and dialled in one form:
``13800138000`` for a mobile, ``010-12345678`` (``-123`` for an extension) for a landline."""

from __future__ import annotations

import re

HINT_EN = (
    "enter a mobile number (11 digits beginning with 1, e.g. 138 0013 8000, +86 allowed) or a landline"
    " with its area code (e.g. 010-12345678 or 0571-8765432, an extension after 转 or -)"
)
# What a caller may type (the published pattern); the number itself is checked by normalise().
TYPED = r"[+0-9 ().#转extEXT-]{5,40}"

_SEPARATORS = re.compile(r"[\s().-]")
_EXTENSION = re.compile(r"^(?P<main>.+?)\s*(?:转|ext\.?|x|#)\s*(?P<ext>\d{1,6})$", re.IGNORECASE)
_TRAILING_DASH_EXTENSION = re.compile(r"^(?P<main>.+)-(?P<ext>\d{1,6})$")
_MOBILE = re.compile(r"1\d{10}")
# 010 and 020 to 029 have three-digit area codes (with the 0); every other area code has four.
_LANDLINE = re.compile(r"0(?:(?P<short>10|2\d)|(?P<long>[3-9]\d{2}))(?P<number>\d{7,8})")


def _national(digits_and_plus: str) -> str | None:
    """The national digits of a number without separators (a leading +86/86 becomes a trunk 0 or nothing)."""
    if digits_and_plus.startswith("+"):
        if not digits_and_plus.startswith("+86"):
            return None  # a foreign number: not one this hospital can text or dial from its desk
        rest = digits_and_plus[3:]
        return rest if _MOBILE.fullmatch(rest) or rest.startswith("0") else "0" + rest
    if not digits_and_plus.isdigit():
        return None
    if digits_and_plus.startswith("86") and len(digits_and_plus) == 13:
        return digits_and_plus[2:]
    return digits_and_plus


def _landline(national: str) -> str | None:
    found = _LANDLINE.fullmatch(national)
    if not found:
        return None
    area = "0" + (found["short"] or found["long"])
    return f"{area}-{found['number']}"


def normalise(raw: str) -> str | None:
    """The number in its stored form, or None when ``raw`` is neither a mainland mobile nor a landline."""
    if not re.fullmatch(TYPED, raw):
        return None  # a newline, a letter, a foreign character: nothing a phone number has
    text = raw.strip()
    national = _national(_SEPARATORS.sub("", text))
    if national is not None:
        if _MOBILE.fullmatch(national):
            return national
        if landline := _landline(national):
            return landline
    for pattern in (_EXTENSION, _TRAILING_DASH_EXTENSION):
        found = pattern.match(text)
        if found:
            main = _national(_SEPARATORS.sub("", found["main"]))
            landline = _landline(main) if main else None
            if landline:
                return f"{landline}-{found['ext']}"
    return None


def is_mobile(number: str | None) -> bool:
    """Whether a number (as stored, or as typed) is a mobile, the only kind an SMS can reach."""
    if not number:
        return False
    normalised = normalise(number)
    return bool(normalised and _MOBILE.fullmatch(normalised))
