"""HTTP for every service: one place that maps errors to responses, JSON helpers, and the
backbone endpoints every service serves (health, metrics, event backfill)."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import eventlet
import kombu
from eventlet.wsgi import ChunkReadError
from marshmallow import Schema, ValidationError
from nameko.web.handlers import HttpRequestHandler
from werkzeug.exceptions import ClientDisconnected
from werkzeug.wrappers import Request, Response

from shared import config, metrics
from shared.auth import AuthError, Forbidden, OutOfScope, Principal, RateLimiter, authenticator, bearer
from shared.db import DatabaseUnavailable
from shared.envelope import EnvelopeError, rfc3339
from shared.errors import DomainError, InvalidField, Refused, UnknownItem
from shared.eventstore import ConcurrencyError
from shared.httpserver import CLOSE_CONNECTION, READ_CHUNK, BodyError, GuardedWebServer, method_label, read_body

MAX_BODY_BYTES = 256 * 1024
MAX_JSON_DEPTH = 32  # far beyond any body the services take; deep enough nesting is only an attack


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


class UnsupportedMediaType(HttpError):
    status = 415


class Gone(HttpError):
    """It existed, and can never be read again (an attachment once its complaint's key was destroyed)."""

    status = 410


class RequestTimeout(HttpError):
    status = 408


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
    # A lone surrogate a caller sent (echoed as the name of an unknown field) has no UTF-8 form: it goes back
    # as the JSON escape it came as ("\ud800"), which backslashreplace writes exactly.
    body = json.dumps(payload, default=_default, ensure_ascii=False).encode("utf-8", "backslashreplace")
    return Response(body, status=status, headers=dict(headers or {}), mimetype="application/json")


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, or a 400/413/415 that says what is wrong with it."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body larger than {MAX_BODY_BYTES} bytes")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body larger than {MAX_BODY_BYTES} bytes")
    if raw:
        _require_json_media_type(request)
    try:
        body = json.loads(raw.decode("utf-8") or "null", object_pairs_hook=_unique_keys)
    except DuplicateKey as exc:
        raise BadRequest(
            f"key {exc.key!r} appears more than once in the body", errors={exc.key: ["given more than once"]}
        ) from None
    except RecursionError:
        raise _too_deep() from None
    except ValueError as exc:  # not UTF-8 (UnicodeDecodeError) or not JSON
        raise BadRequest("body is not valid JSON", errors={"_body": [str(exc)]}) from exc
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object", errors={"_body": ["must be a JSON object"]})
    if _depth(body) > MAX_JSON_DEPTH:
        raise _too_deep()
    return body


def _require_json_media_type(request: Request) -> None:
    """A body must say it is JSON (or say nothing): a form or text/plain is refused, not guessed at."""
    media_type = request.mimetype
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if media_type and not (media_type == "application/json" or media_type.endswith("+json")):
        raise UnsupportedMediaType(
            f"content type {media_type} is not accepted; send application/json", content_type=media_type
        )
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"charset {charset} is not accepted; send UTF-8", content_type=request.mimetype)


class DuplicateKey(Exception):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object of the body; a key given twice is refused (which value was meant is anybody's guess)."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise DuplicateKey(key)
        found[key] = value
    return found


def _depth(value: Any) -> int:
    """How deeply ``value`` nests, counted without recursion (the value may be hostile)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            todo.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _too_deep() -> BadRequest:
    return BadRequest(
        f"body nests deeper than {MAX_JSON_DEPTH} levels",
        errors={"_body": [f"nests deeper than {MAX_JSON_DEPTH} levels"]},
    )


def load(schema: Schema, request_or_data: Request | Mapping[str, Any]) -> dict[str, Any]:
    data = json_body(request_or_data) if isinstance(request_or_data, Request) else request_or_data
    return schema.load(data)


def query(schema: Schema, request: Request) -> dict[str, Any]:
    """The query string through ``schema``; a parameter given twice is a 400 naming it (which one
    was meant is anybody's guess, and taking the first silently hides a client's bug)."""
    repeated = sorted(name for name, values in request.args.lists() if len(values) > 1)
    if repeated:
        raise BadRequest(
            f"query parameter {', '.join(repeated)} given more than once",
            errors={name: ["given more than once"] for name in repeated},
        )
    return schema.load(dict(request.args.items()))


class HttpEntrypoint(HttpRequestHandler):
    """nameko's HTTP entrypoint with the project's checks and error mapping (the only place for both).

    Every endpoint needs a bearer token unless ``public=True``; ``roles`` limits who may call it
    (scopes — campus, department — are checked by the handler, which knows the resource). Writes
    are rate-limited per client. The caller's :class:`Principal` is ``principal(request)``.
    """

    server = GuardedWebServer()
    limiter: RateLimiter | None = None
    body_timeout: float | None = None

    def __init__(
        self,
        method: str,
        url: str,
        roles: tuple[str, ...] | None = None,
        public: bool = False,
        max_body: int = MAX_BODY_BYTES,
        body: Schema | type[Schema] | None = None,
        query: Schema | type[Schema] | None = None,
        stream_limit: int | None = None,
        **kwargs: Any,
    ):
        kwargs.setdefault(
            "expected_exceptions",
            (HttpError, ValidationError, EnvelopeError, ConcurrencyError, Forbidden, DatabaseUnavailable, DomainError),
        )
        self.roles, self.public, self.max_body = roles, public, max_body
        # A streamed body (a file upload): not read before the handler, which reads it in chunks
        # (``body_chunks``), at most ``stream_limit`` bytes; a larger Content-Length is refused unread.
        self.stream_limit = stream_limit
        # Declared schemas: the handler receives the loaded body as ``command`` and the query as ``params``;
        # scripts/contracts.py publishes them as the endpoint's request (no reading of handler source).
        self.body = body() if isinstance(body, type) else body
        self.query = query() if isinstance(query, type) else query
        super().__init__(method, url, **kwargs)

    def get_entrypoint_parameters(self, request: Request) -> tuple[tuple[Any, ...], dict[str, Any]]:
        args, kwargs = super().get_entrypoint_parameters(request)
        if self.body is not None:
            kwargs["command"] = load(self.body, request)
        if self.query is not None:
            kwargs["params"] = query(self.query, request)
        return args, kwargs

    def handle_request(self, request: Request) -> Response:
        # Runs in the connection's green thread: the body is read (bounded in time and size) and the
        # caller admitted before a worker is taken, so a slow or refused client never holds one.
        try:
            if HttpEntrypoint.body_timeout is None:
                HttpEntrypoint.body_timeout = config.HttpLimits.from_env().body_timeout
            if self.stream_limit is None:
                read_body(request.environ, self.max_body, HttpEntrypoint.body_timeout)
            self._admit(request)
            if self.stream_limit is not None:
                _prepare_stream(request, self.stream_limit)
        except BodyError as exc:
            response = json_response({"error": str(exc)}, exc.status)
        except Exception as exc:
            response = self.response_from_exception(exc)
        else:
            response = super().handle_request(request)
        metrics.HTTP_REQUESTS.labels(
            self.container.service_name, method_label(request.method), str(response.status_code)
        ).inc()
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
                # whole seconds, never "0s" (sooner would be refused); a limit of 0 per minute: a day
                retry_after = max(1, math.ceil(min(wait, 86400.0)))
                raise TooManyRequests(
                    f"too many writes by {found.subject}; try again in {retry_after}s", retry_after=retry_after
                )

    def response_from_exception(self, exc: Exception) -> Response:
        if isinstance(exc, Refused):  # the one table from the domains' vocabulary (shared/errors.py) to HTTP
            held = {"held_by": exc.held_by} if exc.held_by else {}
            return json_response({"error": str(exc), "state": exc.state, **held}, 409)
        if isinstance(exc, InvalidField):
            return json_response({"error": "invalid input", "errors": exc.errors}, 400)
        if isinstance(exc, UnknownItem):
            return json_response({"error": str(exc)}, 404)
        if isinstance(exc, TooManyRequests):
            return json_response(exc.body, exc.status, {"Retry-After": str(exc.body["retry_after"])})
        if isinstance(exc, HttpError):
            return json_response(exc.body, exc.status)
        if isinstance(exc, AuthError):
            return json_response({"error": str(exc)}, 401, {"WWW-Authenticate": 'Bearer realm="complaints"'})
        if isinstance(exc, OutOfScope):  # exactly as an unknown id: nothing tells that it exists elsewhere
            return json_response({"error": str(exc)}, 404)
        if isinstance(exc, Forbidden):
            return json_response({"error": str(exc)}, 403)
        if isinstance(exc, ValidationError):
            return json_response({"error": "invalid input", "errors": exc.messages}, 400)
        if isinstance(exc, EnvelopeError):
            return json_response({"error": "invalid event", "errors": exc.errors}, 400)
        if isinstance(exc, DatabaseUnavailable):  # e.g. a failover: nothing was applied, or not confirmed
            return json_response({"error": "database unavailable; try again"}, 503, {"Retry-After": "2"})
        if isinstance(exc, ConcurrencyError):
            return json_response(
                {"error": "the case changed meanwhile; reload and try again", "stream_version": exc.actual}, 409
            )
        return json_response({"error": "internal error"}, 500)


def _prepare_stream(request: Request, limit: int) -> None:
    """A body the handler will stream: the connection closes after the response (whatever of the body is
    left is never read), and a declared length over the limit is refused before a byte of it is read."""
    close = request.environ.get(CLOSE_CONNECTION)
    if close is not None:
        close()
    if (request.content_length or 0) > limit:
        raise PayloadTooLarge(f"body larger than {limit} bytes", limit=limit)
    if "chunked" in request.environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        # eventlet's input decodes and ends a chunked body itself; werkzeug then streams it as it is
        request.environ["wsgi.input_terminated"] = True


def body_chunks(request: Request, limit: int, size: int) -> Iterator[bytes]:
    """The request's body in chunks of ``size`` bytes (the last may be shorter), for an entrypoint declared
    with ``stream_limit``. Never reads more than ``limit`` + 1 bytes: past the limit it is a 413 and the rest is
    never read. Each read must arrive within HTTP_BODY_TIMEOUT (408); a malformed or short body is a 400."""
    timeout = HttpEntrypoint.body_timeout or config.HttpLimits.from_env().body_timeout
    stream, declared, total = request.stream, request.content_length, 0
    pending = bytearray()
    while True:
        part = _read_part(stream, min(READ_CHUNK, limit + 1 - total), timeout)
        total += len(part)
        if total > limit:
            raise PayloadTooLarge(f"body larger than {limit} bytes", limit=limit)
        pending += part
        while len(pending) >= size or (pending and not part):
            yield bytes(pending[:size])
            del pending[:size]
        if not part:
            break
    if declared is not None and total < declared:
        raise BadRequest(f"body ended after {total} of {declared} bytes", errors={"_body": ["ended early"]})


def _read_part(stream: Any, wanted: int, timeout: float) -> bytes:
    deadline = eventlet.Timeout(timeout)
    try:
        return stream.read(wanted)
    except eventlet.Timeout as fired:
        if fired is not deadline:
            raise
        raise RequestTimeout(f"request body not received within {timeout:g}s") from None
    except (ChunkReadError, ValueError, OSError, ClientDisconnected) as exc:
        raise BadRequest(f"body could not be read: {exc}", errors={"_body": [str(exc)]}) from None
    finally:
        deadline.cancel()


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
