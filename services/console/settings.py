"""The console's configuration, from environment variables (docs/console.md lists them)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from shared import auth, config


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, "true" if default else "false").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    session_secret: bytes
    cookie_secure: bool
    session_hours: float
    demo_login: bool
    oidc_issuer: str | None
    oidc_client_id: str | None
    oidc_client_secret: str | None
    oidc_redirect_uri: str | None
    oidc_scopes: str
    oidc_bearer: str  # "mint": the console signs a services token from the ID token's claims;
    # "access_token": the identity provider's access token is the bearer itself
    oidc_role_claim: str
    request_timeout: float

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_redirect_uri)

    @classmethod
    def from_env(cls) -> Settings:
        secret = os.environ.get("CONSOLE_SESSION_SECRET")
        if not secret:
            # Development only: derived from the token key, so make run needs nothing more. A production
            # deployment sets its own (docs/console.md); without it a token-key rotation also ends sessions.
            basis = os.environ.get("AUTH_JWT_SECRET", auth.DEV_SECRET) + ":console-session"
            secret = hashlib.sha256(basis.encode()).hexdigest()
        issuer = os.environ.get("OIDC_ISSUER") or None
        return cls(
            session_secret=secret.encode(),
            cookie_secure=_flag("CONSOLE_COOKIE_SECURE", False),
            session_hours=float(os.environ.get("CONSOLE_SESSION_HOURS", "8")),
            demo_login=_flag("CONSOLE_DEMO_LOGIN", True),
            oidc_issuer=issuer.rstrip("/") if issuer else None,
            oidc_client_id=os.environ.get("OIDC_CLIENT_ID") or None,
            oidc_client_secret=os.environ.get("OIDC_CLIENT_SECRET") or None,
            oidc_redirect_uri=os.environ.get("OIDC_REDIRECT_URI") or None,
            oidc_scopes=os.environ.get("OIDC_SCOPES", "openid profile"),
            oidc_bearer=os.environ.get("OIDC_BEARER", "mint"),
            oidc_role_claim=os.environ.get("OIDC_ROLE_CLAIM", "role"),
            request_timeout=float(os.environ.get("CONSOLE_REQUEST_TIMEOUT", "10")),
        )


def service_urls() -> dict[str, str]:
    """Where the console finds the four services' HTTP APIs."""
    return {service: config.service_url(service) for service in config.SERVICES}


#: the largest upload form the console takes: intake's file limit (the same INTAKE_ATTACHMENT_MAX_BYTES) plus
#: room for the multipart form around the file; intake itself answers a file over its limit with 413
UPLOAD_MAX_BYTES = int(os.environ.get("INTAKE_ATTACHMENT_MAX_BYTES", str(25 * 1000 * 1000))) + 1024 * 1024
