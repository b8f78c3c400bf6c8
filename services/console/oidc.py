"""OpenID Connect sign-in (authorization code flow with PKCE) for production.

The console sends the browser to the issuer's authorization endpoint, takes the code back at the redirect
URI, exchanges it (client id and secret) at the token endpoint and verifies the ID token's signature against
the issuer's JWKS, its issuer, audience, expiry and nonce. What the services are then called with:

* ``OIDC_BEARER=mint`` (default): the console signs a services token (``shared.auth``) from the ID token's
  claims ``sub``, ``role`` (``OIDC_ROLE_CLAIM``), ``campuses`` and ``department`` — the identity provider
  decides who someone is and what role they hold, the services keep verifying their own tokens;
* ``OIDC_BEARER=access_token``: the identity provider's access token as it is, for a provider configured
  to issue tokens the services accept (``AUTH_JWT_PUBLIC_KEY``, issuer and audience ``complaints``).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode

import jwt
import requests

from services.console.settings import Settings
from shared import auth

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]


class LoginFailed(Exception):
    """The sign-in could not be completed; the message says why (shown on the sign-in page)."""


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class OidcClient:
    def __init__(self, settings: Settings, http: requests.Session | None = None):
        self.settings = settings
        self.http = http or requests.Session()
        self._metadata: dict[str, Any] | None = None
        self._jwks: jwt.PyJWKClient | None = None

    def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            url = f"{self.settings.oidc_issuer}/.well-known/openid-configuration"
            try:
                response = self.http.get(url, timeout=self.settings.request_timeout)
                response.raise_for_status()
                found = response.json()
            except (requests.RequestException, ValueError) as exc:
                raise LoginFailed(f"the identity provider's configuration could not be read: {exc}") from None
            if found.get("issuer", "").rstrip("/") != self.settings.oidc_issuer:
                raise LoginFailed("the identity provider names another issuer than the one configured")
            self._metadata = found
        return self._metadata

    def authorization_url(self, state: str, nonce: str, challenge: str) -> str:
        query = {
            "response_type": "code",
            "client_id": self.settings.oidc_client_id,
            "redirect_uri": self.settings.oidc_redirect_uri,
            "scope": self.settings.oidc_scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.metadata()['authorization_endpoint']}?{urlencode(query)}"

    def exchange(self, code: str, verifier: str) -> dict[str, Any]:
        body = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.settings.oidc_redirect_uri,
            "client_id": self.settings.oidc_client_id,
            "code_verifier": verifier,
        }
        try:
            response = self.http.post(
                self.metadata()["token_endpoint"],
                data=body,
                auth=(self.settings.oidc_client_id or "", self.settings.oidc_client_secret or ""),
                timeout=self.settings.request_timeout,
            )
        except requests.RequestException as exc:
            raise LoginFailed(f"the identity provider could not be reached: {exc}") from None
        if response.status_code != 200:
            raise LoginFailed(f"the identity provider refused the code ({response.status_code})")
        return response.json()

    def verify_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        if self._jwks is None:
            self._jwks = jwt.PyJWKClient(self.metadata()["jwks_uri"], cache_keys=True)
        try:
            key = self._jwks.get_signing_key_from_jwt(id_token)
            claims = jwt.decode(
                id_token,
                key.key,
                algorithms=ALGORITHMS,
                audience=self.settings.oidc_client_id,
                issuer=self.metadata()["issuer"],
                options={"require": ["sub", "exp", "iat"]},
            )
        except (jwt.PyJWKClientError, jwt.InvalidTokenError) as exc:
            raise LoginFailed(f"the ID token is not valid: {exc}") from None
        if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise LoginFailed("the ID token does not answer this sign-in (nonce)")
        return claims

    def bearer(self, tokens: dict[str, Any], claims: dict[str, Any]) -> str:
        """The token the services will be called with (see the module's doc)."""
        if self.settings.oidc_bearer == "access_token":
            if not tokens.get("access_token"):
                raise LoginFailed("the identity provider gave no access token")
            return str(tokens["access_token"])
        role = claims.get(self.settings.oidc_role_claim)
        if role not in auth.ROLES or role == auth.SYSTEM:
            raise LoginFailed(f"the identity provider names no console role for {claims['sub']}")
        campuses = claims.get("campuses") or []
        if isinstance(campuses, str):
            campuses = campuses.split()
        # As long as a console session: the identity provider vouched for the person at sign-in.
        return auth.authenticator().mint(
            str(claims["sub"]), role, campuses, claims.get("department"), ttl=self.settings.session_hours * 3600
        )
