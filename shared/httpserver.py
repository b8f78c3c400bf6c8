"""The HTTP server every service runs (nameko's WebServer with the project's guards, the only place for them).

A nameko service has one pool of workers (10 by default) for all its entrypoints: HTTP, RPC, events.
A client that sends its request slowly must never hold one, or ten stalled connections stop
``/health/live`` and intake's contact RPC. So everything a client controls is read here, in the
connection's own green thread, under deadlines (``config.HttpLimits``): the request line and headers
by the protocol below, the body by ``read_body`` (called by the entrypoint before it takes a worker).
Unknown routes and wrong methods answer the JSON error body like every other error.
"""

from __future__ import annotations

import errno
import io
import json
import logging
import socket
from collections.abc import Callable, Iterable
from typing import Any

import eventlet
from eventlet import wsgi
from eventlet.wsgi import ChunkReadError
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Request, Response

from shared import config, metrics

log = logging.getLogger(__name__)

CLOSE_CONNECTION = "complaints.close_connection"  # environ: call to close the connection after the response
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
READ_CHUNK = 64 * 1024


class BodyError(Exception):
    """The body could not be read: ``status`` 400 (malformed), 408 (too slow) or 413 (too large)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def error_body(message: str, **details: Any) -> bytes:
    return json.dumps({"error": message, **details}, ensure_ascii=False).encode()


def method_label(method: str) -> str:
    """A metric label for the method: a client can send any token, the label set must stay small."""
    return method if method in KNOWN_METHODS else "other"


class GuardedProtocol(HttpOnlyProtocol):
    """eventlet's HTTP/1.1 protocol with deadlines: a kept-alive connection may idle ``idle_timeout``
    for its next request; once a request's first byte is in, its line and headers must be complete
    within ``header_timeout`` (else 408 and the connection is closed)."""

    server: GuardedServer
    head_deadline: eventlet.Timeout | None = None

    def handle_one_request(self) -> None:
        self.head_deadline = None
        try:
            super().handle_one_request()
        except eventlet.Timeout as fired:
            if fired is not self.head_deadline:
                raise
            self.close_connection = 1
            self._send_raw(
                408,
                "Request Timeout",
                error_body(f"request headers not received within {self.server.limits.header_timeout:g}s"),
            )
        finally:
            if self.head_deadline is not None:
                self.head_deadline.cancel()

    def _read_request_line(self) -> bytes | str:
        if self.rfile.closed:
            self.close_connection = 1
            return ""
        try:  # idle: wait for the first byte of the next request
            self.connection.settimeout(self.server.limits.idle_timeout)
            started = self.rfile.peek(1)
        except OSError:  # idle too long, reset, or closed: nothing to answer
            started = b""
        if not started:
            self.close_connection = 1
            return ""
        self.head_deadline = eventlet.Timeout(self.server.limits.header_timeout)
        self.connection.settimeout(self.server.socket_timeout)
        return super()._read_request_line()

    def get_environ(self) -> dict[str, Any]:
        # Called once the headers are parsed: from here on the body deadline (read_body) applies.
        if self.head_deadline is not None:
            self.head_deadline.cancel()
        environ = super().get_environ()
        environ[CLOSE_CONNECTION] = self._close_after_response
        return environ

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """A request the protocol cannot parse (bad request line, unsupported version): the JSON error body,
        not http.server's HTML page."""
        reason = self.responses.get(code, ("Error", ""))[0]
        self.close_connection = 1
        self._send_raw(code, reason, error_body(message or reason))

    def _close_after_response(self) -> None:
        self.close_connection = 1

    def _send_raw(self, status: int, reason: str, body: bytes) -> None:
        head = (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        try:
            self.wfile.write(head + body)
            self.wfile.flush()
        except OSError:  # the client is gone; nothing more to do
            pass


class GuardedServer(wsgi.Server):
    limits: config.HttpLimits


def read_body(environ: dict[str, Any], limit: int, timeout: float) -> bytes:
    """The whole request body (``Content-Length`` or chunked), at most ``limit`` bytes, within
    ``timeout`` seconds; then the environ serves it from memory, so later reads cannot block.
    Raises :class:`BodyError`; the connection is then closed (the rest of the body is never read)."""
    declared = environ.get("CONTENT_LENGTH")
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    expected = int(declared) if declared and declared.isdigit() and not chunked else None
    try:
        if expected is not None and expected > limit:
            raise BodyError(413, f"body larger than {limit} bytes")
        body = _read_within(environ["wsgi.input"], limit, timeout, expected)
    except BodyError:
        close = environ.get(CLOSE_CONNECTION)
        if close is not None:
            close()
        raise
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ["wsgi.input_terminated"] = True
    environ.pop("HTTP_TRANSFER_ENCODING", None)  # it is a plain body of known length now
    return body


def _read_within(stream: Any, limit: int, timeout: float, expected: int | None) -> bytes:
    parts: list[bytes] = []
    size = 0
    deadline = eventlet.Timeout(timeout)
    try:
        while True:
            part = stream.read(min(READ_CHUNK, limit + 1 - size))
            if not part:
                break
            parts.append(part)
            size += len(part)
            if size > limit:  # chunked (or lying about its length): stop before buffering more
                raise BodyError(413, f"body larger than {limit} bytes")
    except eventlet.Timeout as fired:
        if fired is not deadline:
            raise
        raise BodyError(408, f"request body not received within {timeout:g}s") from None
    except (ChunkReadError, ValueError) as exc:
        raise BodyError(400, f"malformed chunked body: {exc}") from None
    except OSError as exc:  # the client went away mid-body (eventlet says so for chunked bodies)
        raise BodyError(400, f"body ended early: {exc}") from None
    finally:
        deadline.cancel()
    if expected is not None and size < expected:
        raise BodyError(400, f"body ended after {size} of {expected} bytes")
    return b"".join(parts)


class JsonErrorsApp(WsgiApp):
    """nameko's router, answering unknown routes (404), wrong methods (405) and OPTIONS itself, with
    the JSON error body; a service class with ``html_errors = True`` (the console) gives browsers HTML."""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
        except RequestRedirect as redirect:
            response = redirect.get_response(environ)
        except HTTPException as exc:
            response = self.route_error(request, exc)
        else:
            request.path_values = values
            response = provider.handle_request(request)
        _close_if_body_unread(environ)
        return response(environ, start_response)

    def route_error(self, request: Request, exc: HTTPException) -> Response:
        if isinstance(exc, MethodNotAllowed):
            allowed = sorted({*(exc.valid_methods or ()), "OPTIONS"})
            if request.method == "OPTIONS":
                return Response(status=204, headers={"Allow": ", ".join(allowed)})
            message, details = f"{request.method} is not allowed on {request.path}", {"allowed": allowed}
            headers = {"Allow": ", ".join(allowed)}
        elif exc.code == 404:
            message, details, headers = f"no such resource: {request.path}", {}, {}
        else:
            message, details, headers = exc.description or exc.name, {}, {}
        status = exc.code or 500
        metrics.HTTP_REQUESTS.labels(
            self.server.container.service_name, method_label(request.method), str(status)
        ).inc()
        wants = request.accept_mimetypes.best_match(["application/json", "text/html"])
        if self.server.html_errors and wants == "text/html":
            return Response(_html_page(status, message), status=status, headers=headers, mimetype="text/html")
        return Response(error_body(message, **details), status=status, headers=headers, mimetype="application/json")


def _html_page(status: int, message: str) -> str:
    from html import escape

    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{status}</title></head>'
        f'<body><h1>{status}</h1><p>{escape(message)}</p><p><a href="/">Home</a></p></body></html>'
    )


def _close_if_body_unread(environ: dict[str, Any]) -> None:
    """A response given without reading the body (404, 405, auth refused…) closes the connection, so the
    server never waits for the rest of a body nobody asked for."""
    if environ.get("wsgi.input_terminated"):
        return  # read_body read it whole
    pending = environ.get("HTTP_TRANSFER_ENCODING") or environ.get("CONTENT_LENGTH", "0") not in ("", "0")
    close = environ.get(CLOSE_CONNECTION)
    if pending and close is not None:
        close()


class GuardedWebServer(WebServer):
    """nameko's WebServer with the guarded protocol, the JSON router, socket timeouts and an accept loop
    that survives running out of file descriptors (it waits, instead of killing the service)."""

    @property
    def html_errors(self) -> bool:
        return bool(getattr(self.container.service_cls, "html_errors", False))

    def get_wsgi_app(self) -> JsonErrorsApp:
        return JsonErrorsApp(self)

    def get_wsgi_server(
        self, sock: Any, wsgi_app: Any, protocol: type = GuardedProtocol, debug: bool = False
    ) -> GuardedServer:
        limits = config.HttpLimits.from_env()
        server = GuardedServer(
            sock,
            sock.getsockname(),
            wsgi_app,
            protocol=protocol,
            debug=debug,
            log=logging.getLogger("nameko.web.server"),
            socket_timeout=limits.socket_timeout,
        )
        server.limits = limits
        return server

    def run(self) -> None:
        while self._is_accepting:
            try:
                sock, addr = self._sock.accept()
            except OSError as exc:
                if exc.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM, errno.ECONNABORTED):
                    raise
                log.warning("accept failed (%s); waiting before the next connection", exc)
                eventlet.sleep(0.1)
                continue
            sock.settimeout(self._serv.socket_timeout)
            self.container.spawn_managed_thread(lambda s=sock, a=addr: self._serve(s, a))

    def _serve(self, sock: socket.socket, address: Any) -> None:
        try:
            self.process_request(sock, address)
        except OSError as exc:  # a client that vanished must not take the service down with it
            log.debug("connection from %s ended: %s", address, exc)
            sock.close()
        except Exception:  # nor anything else one connection does: a managed thread's error kills the container
            log.exception("connection from %s failed", address)
            sock.close()
