"""Personal data at rest: every complaint's personal data is sealed (AES-256-GCM) with a key of its
own, itself stored wrapped by the service's master key. Destroying that one key — an erasure on a
lawful request — makes the data unreadable everywhere it is stored (database, backups, replicas)
while the complaint, its events and every statistic stay as they were ("crypto-shredding")."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# make run's key, derived from a fixed phrase so a developer's data survives restarts. Production sets
# INTAKE_MASTER_KEY (32 random bytes, base64) from a secret.
_DEV_MASTER = hashlib.sha256(b"complaints development master key - never in production").digest()
#: a complaint's personal data: its complainant's and patient's details and its free text
PERSONAL = (
    "name",
    "phone",
    "email",
    "relation",
    "patient_name",
    "patient_mrn",
    "summary",
    "desired_outcome",
    "postal_address",
)


class Erased(Exception):
    """The key was destroyed: the personal data it sealed can no longer be read."""


class Vault:
    def __init__(self, master_key: bytes):
        if len(master_key) != 32:
            raise ValueError("the master key must be 32 bytes (INTAKE_MASTER_KEY, base64)")
        self.master = AESGCM(master_key)

    @classmethod
    def from_env(cls) -> Vault:
        configured = os.environ.get("INTAKE_MASTER_KEY")
        return cls(base64.b64decode(configured) if configured else _DEV_MASTER)

    def new_key(self, ref: str) -> tuple[bytes, bytes]:
        """A fresh data key and its wrapped form (what is stored), bound to ``ref``."""
        key = AESGCM.generate_key(bit_length=256)
        return key, self._seal(self.master, key, f"key:{ref}")

    def unwrap(self, wrapped: bytes | None, ref: str) -> bytes:
        if wrapped is None:
            raise Erased(f"the personal data of {ref} was erased")
        return self.master.decrypt(bytes(wrapped[:12]), bytes(wrapped[12:]), f"key:{ref}".encode())

    def seal(self, key: bytes, value: str | None, where: str) -> bytes | None:
        """``where`` (complaint and field) is authenticated with it: a value cannot be moved elsewhere."""
        return None if value is None else self._seal(AESGCM(key), value.encode(), where)

    def open(self, key: bytes, blob: bytes | None, where: str) -> str | None:
        if blob is None:
            return None
        blob = bytes(blob)
        return AESGCM(key).decrypt(blob[:12], blob[12:], where.encode()).decode()

    def seal_personal(self, key: bytes, complaint_id: str, values: Mapping[str, str | None]) -> dict[str, bytes | None]:
        """Every personal field of a complaint sealed with its key (absent ones stay None)."""
        return {name: self.seal(key, values.get(name), f"{complaint_id}:{name}") for name in PERSONAL}

    def open_personal(
        self, wrapped: bytes | None, ref: str, complaint_id: str, sealed: Mapping[str, bytes | None]
    ) -> dict[str, Any]:
        """The complaint's personal data, opened with its own key; ``{"erased": True}`` once that key is gone."""
        try:
            key = self.unwrap(wrapped, ref)
        except Erased:
            return {"erased": True}
        return {"erased": False, **{name: self.open(key, sealed[name], f"{complaint_id}:{name}") for name in PERSONAL}}

    def seal_chunk(self, key: bytes, chunk: bytes, where: str, index: int, final: bool) -> bytes:
        """One chunk of a file (an attachment's content), sealed on its own so a file is never whole in
        memory. Its place and whether it is the last are authenticated: chunks cannot be reordered, moved to
        another file, or the file cut short without the opening failing."""
        return self._seal(AESGCM(key), chunk, _chunk_place(where, index, final))

    def open_chunk(self, key: bytes, blob: bytes, where: str, index: int, final: bool) -> bytes:
        blob = bytes(blob)
        return AESGCM(key).decrypt(blob[:12], blob[12:], _chunk_place(where, index, final).encode())

    @staticmethod
    def _seal(cipher: AESGCM, plaintext: bytes, where: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + cipher.encrypt(nonce, plaintext, where.encode())


def _chunk_place(where: str, index: int, final: bool) -> str:
    return f"{where}:chunk:{index}:{'last' if final else 'more'}"
