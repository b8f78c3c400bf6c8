"""RS256 tokens from an identity provider: a locally generated key pair served as JWKS by a tiny local HTTP
server, verified by the services' authenticator beside the development secret; cached keys, key rotation."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from shared import auth
from shared.jwks import IdentityProvider, JwksKeys

ISSUER = "https://idp.hospital.example/realms/staff"


def new_key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: Any, kid: str) -> dict[str, Any]:
    return {
        **json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())),
        "kid": kid,
        "use": "sig",
        "alg": "RS256",
    }


class JwksServer:
    """The identity provider's JWKS endpoint: serves whatever ``published`` holds, counts requests."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []
        self.requests = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests += 1
                body = json.dumps({"keys": owner.published}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def idp() -> Iterator[JwksServer]:
    server = JwksServer()
    yield server
    server.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def client_token(
    key: Any,
    kid: str,
    *,
    role: str = "system",
    ttl: int = 900,
    audience: str = "complaints",
    issuer: str = ISSUER,
    **claims: Any,
) -> str:
    """What the identity provider issues for the client-credentials flow of docs/subscribers.md."""
    now = int(time.time())
    body = {
        "sub": "system:ward_board",
        "role": role,
        "campuses": ["*"],
        "iat": now,
        "exp": now + ttl,
        "iss": issuer,
        "aud": audience,
        **claims,
    }
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


def authenticator(idp: JwksServer, monkeypatch: pytest.MonkeyPatch, clock: Clock | None = None) -> auth.Authenticator:
    monkeypatch.setenv("AUTH_JWKS_URL", idp.url)
    monkeypatch.setenv("AUTH_JWT_ISSUER", ISSUER)
    made = auth.Authenticator.from_env()
    if clock is not None:
        assert made.identity_provider is not None
        made.identity_provider.keys = JwksKeys(idp.url, clock=clock)
    return made


def test_an_identity_provider_token_is_verified_by_its_jwks_beside_the_development_secret(idp, monkeypatch):
    key = new_key()
    idp.published = [public_jwk(key, "2026-12")]
    verifier = authenticator(idp, monkeypatch)
    who = verifier.verify(client_token(key, "2026-12"))
    assert (who.subject, who.role, who.campuses) == ("system:ward_board", "system", ("*",))
    verifier.verify(client_token(key, "2026-12", role="auditor", campuses=["east"]))
    assert idp.requests == 1  # cached: one fetch for any number of tokens
    development = verifier.mint("east-office-head", "complaint_officer", ["east"])  # HS256, the dev secret
    assert verifier.verify(development).subject == "east-office-head"
    assert idp.requests == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ttl": -120}, "expired"),
        ({"audience": "someone-else"}, "not valid"),
        ({"issuer": "https://evil.example/"}, "not valid"),
        ({"role": "superuser"}, "role"),
    ],
)
def test_bad_identity_provider_tokens_are_refused_with_the_reason(idp, monkeypatch, change, message):
    key = new_key()
    idp.published = [public_jwk(key, "k1")]
    verifier = authenticator(idp, monkeypatch)
    with pytest.raises(auth.AuthError, match=message):
        verifier.verify(client_token(key, "k1", **change))


def test_a_token_signed_by_another_key_under_a_published_kid_is_refused(idp, monkeypatch):
    idp.published = [public_jwk(new_key(), "k1")]
    verifier = authenticator(idp, monkeypatch)
    with pytest.raises(auth.AuthError, match="signature"):
        verifier.verify(client_token(new_key(), "k1"))


def test_key_rotation_needs_no_restart_and_unknown_kids_cannot_hammer_the_provider(idp, monkeypatch):
    clock = Clock()
    old, new = new_key(), new_key()
    idp.published = [public_jwk(old, "old")]
    verifier = authenticator(idp, monkeypatch, clock)
    verifier.verify(client_token(old, "old"))
    idp.published = [public_jwk(old, "old"), public_jwk(new, "new")]  # the provider publishes the next key
    clock.now += 11
    verifier.verify(client_token(new, "new"))  # an unknown kid: one refetch finds it
    assert idp.requests == 2
    for _ in range(5):  # made-up key ids: at most one refetch per 10 s
        with pytest.raises(auth.AuthError, match="no key 'forged'"):
            verifier.verify(client_token(new_key(), "forged"))
    assert idp.requests == 2
    idp.published = [public_jwk(new, "new")]  # the old key retired
    clock.now += 300  # the cache expires: the retired key is no longer accepted
    with pytest.raises(auth.AuthError, match="no key 'old'"):
        verifier.verify(client_token(old, "old"))
    verifier.verify(client_token(new, "new"))
    assert idp.requests == 3


def test_without_a_jwks_url_rs256_tokens_are_not_accepted(monkeypatch):
    monkeypatch.delenv("AUTH_JWKS_URL", raising=False)
    verifier = auth.Authenticator.from_env()
    assert verifier.identity_provider is None
    with pytest.raises(auth.AuthError):
        verifier.verify(client_token(new_key(), "k1"))
    assert IdentityProvider.issued(client_token(new_key(), "k1"))
    assert not IdentityProvider.issued(verifier.mint("x", "system", ["*"]))
