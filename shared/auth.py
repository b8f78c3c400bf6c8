"""Who is asking: bearer tokens (JWT), roles and scopes, and the limits on how often one may write.

A token names its subject (a staff id), one role, the campuses it covers (``*`` for all) and, for a
department liaison, the department. Services verify with ``AUTH_JWT_SECRET`` (HS256) or
``AUTH_JWT_PUBLIC_KEY`` (RS256, PEM); they sign their own service-to-service tokens with the secret
or ``AUTH_JWT_PRIVATE_KEY``. Development tokens: ``python -m shared.auth mint …`` / ``demo``.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import jwt

from shared.jwks import IdentityProvider

FIRST_CONTACT, OFFICER, LIAISON = "first_contact", "complaint_officer", "department_liaison"
LEADERSHIP, AUDITOR, OPS, SYSTEM = "leadership", "auditor", "ops", "system"
ROLES = (FIRST_CONTACT, OFFICER, LIAISON, LEADERSHIP, AUDITOR, OPS, SYSTEM)
ALL = "*"

# -- the access table: who may use each family of endpoints, one name per family ---------------------
# The services declare these on their entrypoints (``@http(..., roles=CASE_READERS)``) and the console
# offers its pages and actions by the same names, so a change of who may do what is made here once.
COMPLAINT_REGISTRARS = (FIRST_CONTACT, OFFICER)  # register a complaint, resolve it on the spot
COMPLAINT_READERS = (FIRST_CONTACT, OFFICER, LIAISON, LEADERSHIP, AUDITOR)  # intake's complaints
COMPLAINT_OFFICERS = (OFFICER,)  # not accepted, withdrawn, reclassified
ATTACHMENT_ADDERS = (FIRST_CONTACT, OFFICER, LIAISON)  # evidence added to a complaint they may read
ERASURE_REQUESTERS = (OFFICER, AUDITOR)  # a complainant's personal data erased on request
CASE_READERS = (OFFICER, LIAISON, LEADERSHIP, AUDITOR)  # investigation's cases
CASE_OFFICERS = (OFFICER,)  # assign, decide extensions, escalate, reply, rectify, follow up, close, disputes
CASE_WORKERS = (OFFICER, LIAISON)  # ask for an extension, submit findings, complete a rectification
NOTIFICATION_READERS = (OFFICER, AUDITOR, LEADERSHIP)  # notification's log of messages
LETTER_HANDLERS = (OFFICER,)  # letters to print and post, marked posted
REPORT_READERS = (OFFICER, LEADERSHIP, AUDITOR, OPS)  # statistics hold no personal data
REPORT_PUBLISHERS = (OFFICER,)  # leadership reads reports (docs/reporting.md, "Access")
COMPLAINT_REPORT_READERS = (OFFICER, AUDITOR)  # one complaint's figures, with its identity
DOSSIER_READERS = (OFFICER, AUDITOR)  # one complaint's whole record, the archive (立卷归档, CONTRACT §9)
STAFF_REPORT_READERS = (OFFICER, LEADERSHIP)  # figures per staff id, for appraisal: no one else sees staff ids
REBUILDERS = (OPS,)  # start a rebuild of reporting's read model
EVENT_READERS = (SYSTEM, OPS, AUDITOR, OFFICER)  # every service's GET /events (shared/runtime.py)
FULL_LOG_READERS = (SYSTEM, OPS, AUDITOR)  # of those, who reads every campus's events (backfill, audit)
SERVICE_PREFIX = "service:"  # the subject of a service's own token
DEV_SECRET = "dev-only-secret-change-me-0123456789abcdef"  # make run's default; never for production


class AuthError(Exception):
    """No usable token (401)."""


class Forbidden(Exception):
    """A valid token whose role or scope does not cover the request (403)."""


class OutOfScope(Forbidden):
    """A resource named by its id lies outside the caller's campuses or department: answered 404, exactly as
    an id that names nothing, so a caller cannot learn what exists elsewhere (docs/decisions.md)."""


@dataclass(frozen=True)
class Principal:
    subject: str
    role: str
    campuses: tuple[str, ...]
    department: str | None = None

    @property
    def actor(self) -> dict[str, str]:
        return {"id": self.subject, "role": self.role}

    def covers(self, campus: str) -> bool:
        return ALL in self.campuses or campus in self.campuses

    def require_campus(self, *campuses: str) -> None:
        """The request concerns these campuses: at least one must be in scope."""
        if not any(self.covers(c) for c in campuses):
            raise Forbidden(f"{self.role} {self.subject} does not cover campus {', '.join(campuses)}")

    def require_department(self, campus: str, departments: Iterable[str]) -> None:
        """A liaison sees and acts only on cases of their own department."""
        self.require_campus(campus)
        if self.role == LIAISON and self.department not in set(departments):
            raise Forbidden(f"department liaison of {self.department} does not cover this case")

    def may_see(self, campuses: Iterable[str], departments: Iterable[str] | None = None) -> bool:
        """Whether a resource of these campuses (and, for a liaison, these departments) is in scope."""
        if not any(self.covers(c) for c in campuses):
            return False
        return self.role != LIAISON or departments is None or self.department in set(departments)

    def require_visible(
        self, not_found: str, campuses: Iterable[str], departments: Iterable[str] | None = None
    ) -> None:
        """A resource named by id: out of scope is answered like an unknown id (``not_found`` is that message)."""
        if not self.may_see(campuses, departments):
            raise OutOfScope(not_found)

    def campus_filter(self) -> list[str] | None:
        """For listings: the campuses to restrict to (None: all)."""
        return None if ALL in self.campuses else list(self.campuses)


class Authenticator:
    def __init__(
        self,
        verify_key: str,
        algorithm: str,
        signing_key: str | None,
        issuer: str = "complaints",
        audience: str = "complaints",
    ):
        self.verify_key, self.algorithm, self.signing_key = verify_key, algorithm, signing_key
        self.issuer, self.audience = issuer, audience
        self.identity_provider: IdentityProvider | None = None  # RS256 tokens by JWKS (AUTH_JWKS_URL), beside these

    @classmethod
    def from_env(cls) -> Authenticator:
        public = os.environ.get("AUTH_JWT_PUBLIC_KEY")
        if public:
            made = cls(public, "RS256", os.environ.get("AUTH_JWT_PRIVATE_KEY"))
        else:
            secret = os.environ.get("AUTH_JWT_SECRET", DEV_SECRET)
            made = cls(secret, "HS256", secret)
        made.identity_provider = IdentityProvider.from_env()
        return made

    def verify(self, token: str) -> Principal:
        try:
            if self.identity_provider is not None and IdentityProvider.issued(token):
                claims = self.identity_provider.decode(token)
            else:
                claims = jwt.decode(
                    token,
                    self.verify_key,
                    algorithms=[self.algorithm],
                    audience=self.audience,
                    issuer=self.issuer,
                    options={"require": ["sub", "role", "exp", "iat"]},
                )
        except jwt.ExpiredSignatureError:
            raise AuthError("the token has expired") from None
        except jwt.InvalidSignatureError:
            raise AuthError("the token's signature is not valid") from None
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError(f"the token lacks the claim {exc.claim!r}") from None
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"the token is not valid: {exc}") from None
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject.strip():
            raise AuthError("the token's subject (sub) must be a non-empty string")
        role = claims["role"]
        if role not in ROLES:
            raise AuthError(f"the token's role {role!r} is not one of {', '.join(ROLES)}")
        campuses = claims.get("campuses") or []
        if not isinstance(campuses, list) or not all(isinstance(c, str) for c in campuses):
            raise AuthError("the token's campuses must be a list of campus codes")
        department = claims.get("department")
        if role == LIAISON and not department:
            raise AuthError("a department liaison's token must name the department")
        return Principal(subject, role, tuple(campuses), department)

    def mint(
        self,
        subject: str,
        role: str,
        campuses: Iterable[str],
        department: str | None = None,
        ttl: float = 3600,
        now: float | None = None,
    ) -> str:
        if self.signing_key is None:
            raise AuthError("this process has no signing key (AUTH_JWT_SECRET or AUTH_JWT_PRIVATE_KEY)")
        issued = int(now if now is not None else time.time())
        claims: dict[str, Any] = {
            "sub": subject,
            "role": role,
            "campuses": list(campuses),
            "iat": issued,
            "exp": issued + int(ttl),
            "iss": self.issuer,
            "aud": self.audience,
        }
        if department:
            claims["department"] = department
        return jwt.encode(claims, self.signing_key, algorithm=self.algorithm)

    def service_token(self, service: str) -> str:
        """What a service presents to another (backfill from ``/events``, intake's contact RPC)."""
        return self.mint(f"{SERVICE_PREFIX}{service}", SYSTEM, [ALL], ttl=24 * 3600)

    def verify_service(self, token: str | None, *services: str) -> Principal:
        """The caller must present a valid service token of one of ``services`` (for RPCs, which have no
        HTTP entrypoint to check tokens): else :class:`AuthError` (no usable token) or :class:`Forbidden`."""
        if not token or not isinstance(token, str):
            raise AuthError("a service token is required")
        caller = self.verify(token)
        if caller.role != SYSTEM or caller.subject not in {f"{SERVICE_PREFIX}{s}" for s in services}:
            raise Forbidden(f"{caller.role} {caller.subject} may not call this; only {', '.join(services)} may")
        return caller


_authenticator: list[Authenticator] = []


def authenticator() -> Authenticator:
    if not _authenticator:
        _authenticator.append(Authenticator.from_env())
    return _authenticator[0]


def bearer(header: str | None) -> str:
    if not header:
        raise AuthError("a bearer token is required (Authorization: Bearer <token>)")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("the Authorization header must be 'Bearer <token>'")
    return token.strip()


class RateLimiter:
    """A token bucket per client: ``burst`` writes at once, refilled at ``per_minute``."""

    def __init__(self, per_minute: float, burst: int):
        self.rate, self.burst = per_minute / 60.0, burst
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    @classmethod
    def from_env(cls) -> RateLimiter:
        return cls(
            float(os.environ.get("RATE_LIMIT_WRITES_PER_MINUTE", "120")),
            int(os.environ.get("RATE_LIMIT_WRITE_BURST", "30")),
        )

    def take(self, client: str, now: float | None = None) -> float:
        """0 if the write may go ahead, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self.lock:
            tokens, last = self.buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1:
                self.buckets[client] = (tokens - 1, now)
                return 0.0
            self.buckets[client] = (tokens, now)
            return (1 - tokens) / self.rate if self.rate else float("inf")


def demo_tokens(hospital: Any, ttl: float = 12 * 3600) -> dict[str, str]:
    """Tokens for the demo people of CONTRACT §6 (make run prints them)."""
    auth = authenticator()
    tokens = {}
    for campus, settings in hospital.campuses.items():
        tokens[f"{campus} first-contact desk"] = auth.mint(f"{campus}-desk-01", FIRST_CONTACT, [campus], ttl=ttl)
        tokens[f"{campus} complaint office head"] = auth.mint(settings["office_head"]["id"], OFFICER, [campus], ttl=ttl)
        for code, department in settings["departments"].items():
            tokens[f"{campus} {code} liaison"] = auth.mint(
                department["liaison"]["id"], LIAISON, [campus], code, ttl=ttl
            )
    for person in hospital.leadership:
        tokens[f"leadership {person['id']}"] = auth.mint(person["id"], LEADERSHIP, [ALL], ttl=ttl)
    tokens["auditor"] = auth.mint("auditor-01", AUDITOR, [ALL], ttl=ttl)
    tokens["ops"] = auth.mint("ops-01", OPS, [ALL], ttl=ttl)
    return tokens


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.auth", description="Development tokens.")
    commands = parser.add_subparsers(dest="command", required=True)
    mint = commands.add_parser("mint", help="one token")
    mint.add_argument("--sub", required=True, help="staff id")
    mint.add_argument("--role", required=True, choices=ROLES)
    mint.add_argument("--campus", action="append", default=[], help="repeat; '*' for every campus")
    mint.add_argument("--department")
    mint.add_argument("--ttl", type=float, default=8 * 3600, help="seconds")
    commands.add_parser("demo", help="a token for each demo person")
    args = parser.parse_args(argv)
    if args.command == "mint":
        print(authenticator().mint(args.sub, args.role, args.campus, args.department, args.ttl))
    else:
        from shared.config import load_hospital

        for who, token in demo_tokens(load_hospital()).items():
            print(f"{who:38} {token}")


if __name__ == "__main__":
    main()
