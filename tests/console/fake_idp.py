"""A stand-in OpenID Connect identity provider for the console's sign-in test, as a process of its own:
``python -m tests.console.fake_idp <port> <redirect_uri>``. Discovery, JWKS, an authorization endpoint that
signs in its one user at once (no form) and a token endpoint that checks the client, the code and PKCE."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID, CLIENT_SECRET = "complaints-console", "console-secret"
USER = {"sub": "west-office-head", "role": "complaint_officer", "campuses": ["west"], "name": "West office head"}
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KID = "test-key-1"


def jwks() -> dict:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    return {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}


class Handler(BaseHTTPRequestHandler):
    issuer = ""
    codes: dict[str, dict] = {}

    def _json(self, body: dict, status: int = 200) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path == "/.well-known/openid-configuration":
            return self._json(
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token",
                    "jwks_uri": f"{self.issuer}/jwks",
                    "response_types_supported": ["code"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "subject_types_supported": ["public"],
                }
            )
        if url.path == "/jwks":
            return self._json(jwks())
        if url.path == "/authorize":
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if query.get("client_id") != CLIENT_ID or query.get("code_challenge_method") != "S256":
                return self._json({"error": "invalid_request"}, 400)
            code = secrets.token_urlsafe(16)
            self.codes[code] = query
            self.send_response(302)
            answer = urlencode({"code": code, "state": query["state"]})
            self.send_header("Location", f"{query['redirect_uri']}?{answer}")
            self.end_headers()
            return None
        return self._json({"error": "not found"}, 404)

    def do_POST(self) -> None:
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            return self._json({"error": "invalid_client"}, 401)
        asked = self.codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if asked is None or challenge != asked["code_challenge"] or form.get("redirect_uri") != asked["redirect_uri"]:
            return self._json({"error": "invalid_grant"}, 400)
        now = int(time.time())
        id_token = jwt.encode(
            {**USER, "iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": asked["nonce"]},
            KEY,
            algorithm="RS256",
            headers={"kid": KID},
        )
        return self._json(
            {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "id_token": id_token, "expires_in": 300}
        )

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    port = int(sys.argv[1])
    Handler.issuer = f"http://127.0.0.1:{port}"
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
