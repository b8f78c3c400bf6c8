"""Signed cookies: the session (the user's bearer token, a CSRF value, the language) and the short-lived
state of an OpenID Connect login. Pure: the secret and the clock are passed in.

A cookie value is ``base64url(json) "." base64url(HMAC-SHA256(secret, name "|" json))``: the name is part of
what is signed, so one cookie's value cannot be replayed as another's. Signed, not encrypted: the bearer
token in it is what the browser would hold anyway, and HttpOnly keeps scripts from reading it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

SESSION_COOKIE = "console_session"
LOGIN_COOKIE = "console_login"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: bytes, name: str, payload: dict[str, Any]) -> str:
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(secret, name.encode() + b"|" + body, hashlib.sha256).digest()
    return f"{_b64(body)}.{_b64(mac)}"


def unsign(secret: bytes, name: str, value: str | None, now: float | None = None) -> dict[str, Any] | None:
    """The payload if the value is intact and not expired (``exp``), else None."""
    if not value or "." not in value:
        return None
    body_text, _, mac_text = value.partition(".")
    try:
        body, mac = _unb64(body_text), _unb64(mac_text)
    except (ValueError, TypeError):
        return None
    expected = hmac.new(secret, name.encode() + b"|" + body, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):
        return None
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    if float(payload.get("exp", 0)) <= (time.time() if now is None else now):
        return None
    return payload


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def cookie_header(name: str, value: str, max_age: int, secure: bool) -> str:
    """HttpOnly (no script reads it), SameSite=Lax (not sent with another site's POSTs)."""
    parts = [f"{name}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def clear_cookie_header(name: str, secure: bool) -> str:
    return cookie_header(name, "", 0, secure)
