"""Finding a complaint by its complainant's or patient's details without keeping them in clear (pure, no I/O).

Each detail is normalised (so that what staff type matches what was registered however it was spaced or
cased) and kept only as an HMAC-SHA256 under the search key, a key of its own (``INTAKE_SEARCH_KEY``), never
a sealing key: the index says "this complaint has a patient named X" only to someone who holds the key and
guesses X. A search finds the whole normalised value, never part of it (a keyed hash has no prefixes).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Callable, Mapping

from shared import phones

_DEV_SEARCH_KEY = hashlib.sha256(b"complaints development search key - never in production").digest()
_SPACE = re.compile(r"\s+")
_MRN_SEPARATORS = re.compile(r"[\s\-_/.]+")
#: the longest search text taken (a reference, a name, a number)
MAX_QUERY = 100


def name_form(value: str) -> str:
    """A person's name as compared: NFKC (full-width letters become ASCII), no whitespace, case-folded, so
    "王 芳", "王芳" and "Wang Fang" / "wangfang" each match their own spellings."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", value)).casefold()


def mrn_form(value: str) -> str:
    """A medical record number as compared: NFKC, upper case, without spaces, dashes, slashes or dots."""
    return _MRN_SEPARATORS.sub("", unicodedata.normalize("NFKC", value)).upper()


def email_form(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().casefold()


def phone_form(value: str) -> str | None:
    """A phone number in its stored form (shared/phones.py), or None when it is not one."""
    return phones.normalise(unicodedata.normalize("NFKC", value).strip())


def reference_form(value: str) -> str:
    """A reference as compared (references are matched as they are, not hashed: they are not personal data)."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", value)).upper()


# field of the index -> (the kind its value is normalised and hashed as, the personal value it comes from)
FIELDS: dict[str, tuple[str, str]] = {
    "phone": ("phone", "phone"),
    "email": ("email", "email"),
    "complainant_name": ("name", "name"),
    "patient_name": ("name", "patient_name"),
    "patient_mrn": ("mrn", "patient_mrn"),
}
FORMS: dict[str, Callable[[str], str | None]] = {
    "phone": phone_form,
    "email": email_form,
    "name": name_form,
    "mrn": mrn_form,
}


class SearchKey:
    """HMAC-SHA256 under the search key; ``key_id`` names the key without revealing it (the indexer rewrites
    what was indexed under another key)."""

    def __init__(self, key: bytes):
        if len(key) < 32:
            raise ValueError("the search key must be at least 32 bytes (INTAKE_SEARCH_KEY, base64)")
        self._key = key
        self.key_id = hmac.new(key, b"search key id", hashlib.sha256).hexdigest()[:16]

    @classmethod
    def from_env(cls) -> SearchKey:
        configured = os.environ.get("INTAKE_SEARCH_KEY")
        return cls(base64.b64decode(configured) if configured else _DEV_SEARCH_KEY)

    def digest(self, kind: str, normalised: str) -> bytes:
        # The kind is part of what is hashed: a name and an MRN that read alike never match each other.
        return hmac.new(self._key, f"{kind}:{normalised}".encode(), hashlib.sha256).digest()

    def terms(self, values: Mapping[str, str | None]) -> dict[str, bytes]:
        """The index's rows for a complaint's personal ``values`` (vault.PERSONAL names): field -> digest."""
        found = {}
        for field, (kind, source) in FIELDS.items():
            raw = values.get(source)
            normalised = FORMS[kind](raw) if raw else None
            if normalised:
                found[field] = self.digest(kind, normalised)
        return found

    def candidates(self, query: str) -> list[bytes]:
        """Every digest ``query`` would match: it is tried as each kind of detail it can be read as."""
        digests = []
        for kind, form in FORMS.items():
            normalised = form(query)
            if normalised:
                digests.append(self.digest(kind, normalised))
        return digests
