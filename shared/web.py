"""HTTP for every service: one place that maps errors to responses, JSON helpers, and the
backbone endpoints every service serves (health, metrics, event backfill)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import kombu
from marshmallow import Schema, ValidationError
from nameko.web.handlers import HttpRequestHandler
from werkzeug.wrappers import Request, Response

from shared import config, metrics
from shared.auth import AuthError, Forbidden, Principal, RateLimiter, authenticator, bearer
from shared.db import DatabaseUnavailable
from shared.envelope import EnvelopeError, rfc3339
from shared.eventstore import ConcurrencyError

MAX_BODY_BYTES = 256 * 1024


class HttpError(Exception):
    status = 500

    def __init__(self, message: str, **details: Any):
        super().__init__(message)
        self.body = {"error": message, **details}


class BadRequest(HttpError):
    status = 400


class NotFound(HttpError):
    status = 404


class Conflict(HttpError):
    """The action is not allowed in the current state; the body names the state."""

    status = 409


class PayloadTooLarge(HttpError):
    status = 413


class TooManyRequests(HttpError):
    status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, retry_after=retry_after)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, (date, UUID, Decimal)):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def path_id(value: str, what: str) -> str:
    """A path's id in canonical form; anything that is not a UUID names no such thing (404)."""
    try:
        return str(UUID(value))
    except ValueError:
        raise NotFound(f"no {what} {value}") from None


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(json.dumps(payload, default=_default, ensure_ascii=False), status=status,
                    headers=dict(headers or {}), mimetype="application/json")


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, or a 400/413 that says what is wrong with it."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body larger than {MAX_BODY_BYTES} bytes")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw or b"null")
    except ValueError as exc:
        raise BadRequest("body is not valid JSON", errors={"_body": [str(exc)]}) from exc
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object", errors={"_body": ["must be a JSON object"]})
    return body


def load(schema: Schema, request_or_data: Request | Mapping[str, Any]) -> dict[str, Any]:
    data = json_body(request_or_data) if isinstance(request_or_data, Request) else request_or_data
    return schema.load(data)


def query(schema: Schema, request: Request) -> dict[str, Any]:
    return schema.load({k: v for k, v in request.args.items()})


class HttpEntrypoint(HttpRequestHandler):
    """nameko's HTTP entrypoint with the project's checks and error mapping (the only place for both).

    Every endpoint needs a bearer token unless ``public=True``; ``roles`` limits who may call it
    (scopes — campus, department — are checked by the handler, which knows the resource). Writes
    are rate-limited per client. The caller's :class:`Principal` is ``principal(request)``.
    """

    limiter: RateLimiter | None = None

    def __init__(self, method: str, url: str, roles: tuple[str, ...] | None = None, public: bool = False,
                 **kwargs: Any):
        kwargs.setdefault("expected_exceptions", (HttpError, ValidationError, EnvelopeError, ConcurrencyError,
                                                  Forbidden, DatabaseUnavailable))
        self.roles, self.public = roles, public
        super().__init__(method, url, **kwargs)

    def handle_request(self, request: Request) -> Response:
        try:
            self._admit(request)
        except Exception as exc:
            response = self.response_from_exception(exc)
        else:
            response = super().handle_request(request)
        metrics.HTTP_REQUESTS.labels(self.container.service_name, request.method,
                                     str(response.status_code)).inc()
        return response

    def _admit(self, request: Request) -> None:
        if self.public:
            return
        found = authenticator().verify(bearer(request.headers.get("Authorization")))
        if self.roles is not None and found.role not in self.roles:
            raise Forbidden(f"the {found.role} role may not {request.method} {self.url}")
        request.environ[PRINCIPAL] = found
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            if HttpEntrypoint.limiter is None:
                HttpEntrypoint.limiter = RateLimiter.from_env()
            wait = HttpEntrypoint.limiter.take(found.subject)
            if wait:
                raise TooManyRequests(f"too many writes by {found.subject}; try again in {wait:.0f}s",
                                      retry_after=max(1, round(wait)))

    def response_from_exception(self, exc: Exception) -> Response:
        if isinstance(exc, TooManyRequests):
            return json_response(exc.body, exc.status, {"Retry-After": str(exc.body["retry_after"])})
        if isinstance(exc, HttpError):
            return json_response(exc.body, exc.status)
        if isinstance(exc, AuthError):
            return json_response({"error": str(exc)}, 401, {"WWW-Authenticate": 'Bearer realm="complaints"'})
        if isinstance(exc, Forbidden):
            return json_response({"error": str(exc)}, 403)
        if isinstance(exc, ValidationError):
            return json_response({"error": "invalid input", "errors": exc.messages}, 400)
        if isinstance(exc, EnvelopeError):
            return json_response({"error": "invalid event", "errors": exc.errors}, 400)
        if isinstance(exc, DatabaseUnavailable):  # e.g. a failover: nothing was applied, or not confirmed
            return json_response({"error": "database unavailable; try again"}, 503, {"Retry-After": "2"})
        if isinstance(exc, ConcurrencyError):
            return json_response({"error": "the case changed meanwhile; reload and try again",
                                  "stream_version": exc.actual}, 409)
        return json_response({"error": "internal error"}, 500)


PRINCIPAL = "complaints.principal"


def principal(request: Request) -> Principal:
    """Who is calling (set by the entrypoint before the handler runs)."""
    return request.environ[PRINCIPAL]


http = HttpEntrypoint.decorator


class BrokerCheck:
    """Whether the broker answers; cached briefly so probes do not open a connection each time."""

    def __init__(self, amqp_uri: str, ttl: float = 5.0):
        self.amqp_uri = amqp_uri
        self.ttl = ttl
        self._checked_at = 0.0
        self._ok = False

    def ok(self) -> bool:
        if time.monotonic() - self._checked_at > self.ttl:
            try:
                with kombu.Connection(config.broker_failover(self.amqp_uri), connect_timeout=2) as conn:
                    conn.connect()
                self._ok = True
            except Exception:
                self._ok = False
            self._checked_at = time.monotonic()
        return self._ok
