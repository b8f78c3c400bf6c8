"""RS256 tokens from the hospital's identity provider, verified with the keys of its JWKS (docs/subscribers.md,
"Tokens for outside systems"). Beside the development secret: ``shared.auth`` asks this module only for tokens
signed RS256 when ``AUTH_JWKS_URL`` is set.

Keys are fetched once and cached for ``AUTH_JWKS_CACHE_SECONDS`` (default 300). A token naming a key id that is
not in the cache makes one refetch — at most every ``min_refetch_seconds`` (10), so a stream of tokens with a
made-up ``kid`` cannot hammer the provider — which is how key rotation needs no restart.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import jwt

LEEWAY_SECONDS = 30  # clock skew between the identity provider and us
REQUIRED_CLAIMS = ["sub", "role", "exp", "iat"]


class UnknownKey(jwt.InvalidTokenError):
    """The token's key id is not in the identity provider's JWKS."""


def fetch_json(url: str, timeout: float = 5.0) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # the operators' configured URL
        return json.loads(response.read())


class JwksKeys:
    """The identity provider's signing keys by key id, cached; ``clock`` and ``fetch`` injectable for tests."""

    def __init__(
        self,
        url: str,
        cache_seconds: float = 300.0,
        min_refetch_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        fetch: Callable[[str], dict[str, Any]] = fetch_json,
    ):
        self.url, self.cache_seconds, self.min_refetch_seconds = url, cache_seconds, min_refetch_seconds
        self.clock, self.fetch = clock, fetch
        self.keys: dict[str, Any] = {}
        self.fetched_at: float | None = None
        self.fetches = 0
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        document = self.fetch(self.url)
        keys = {}
        for jwk in document.get("keys", []):
            if jwk.get("kty") == "RSA" and jwk.get("use", "sig") == "sig" and jwk.get("kid"):
                keys[jwk["kid"]] = jwt.PyJWK.from_dict({**jwk, "alg": jwk.get("alg", "RS256")}).key
        self.keys, self.fetched_at = keys, self.clock()
        self.fetches += 1

    def key(self, kid: str) -> Any:
        with self._lock:
            now = self.clock()
            stale = self.fetched_at is None or now - self.fetched_at >= self.cache_seconds
            may_refetch = self.fetched_at is None or now - self.fetched_at >= self.min_refetch_seconds
            if stale or (kid not in self.keys and may_refetch):
                self._refresh()
            if kid not in self.keys:
                raise UnknownKey(f"no key {kid!r} in the identity provider's JWKS")
            return self.keys[kid]


class IdentityProvider:
    """Verifies the identity provider's RS256 access tokens: signature by ``kid``, issuer, audience, expiry."""

    def __init__(self, keys: JwksKeys, issuer: str, audience: str):
        self.keys, self.issuer, self.audience = keys, issuer, audience

    @classmethod
    def from_env(cls) -> IdentityProvider | None:
        url = os.environ.get("AUTH_JWKS_URL")
        if not url:
            return None
        keys = JwksKeys(url, cache_seconds=float(os.environ.get("AUTH_JWKS_CACHE_SECONDS", "300")))
        return cls(keys, os.environ.get("AUTH_JWT_ISSUER", ""), os.environ.get("AUTH_JWT_AUDIENCE", "complaints"))

    @staticmethod
    def issued(token: str) -> bool:
        """Whether ``token`` is one of the identity provider's (RS256 with a key id), not a development one."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            return False
        return header.get("alg") == "RS256" and bool(header.get("kid"))

    def decode(self, token: str) -> dict[str, Any]:
        """The verified claims; raises ``jwt.InvalidTokenError`` (and its subclasses) as ``jwt.decode`` does."""
        kid = jwt.get_unverified_header(token)["kid"]
        return jwt.decode(
            token,
            self.keys.key(kid),
            algorithms=["RS256"],
            audience=self.audience,
            issuer=self.issuer or None,
            leeway=LEEWAY_SECONDS,
            options={"require": REQUIRED_CLAIMS + (["iss"] if self.issuer else [])},
        )
