"""Hostile HTTP clients against the running services (issue 11): slow clients never starve a service,
chunked bodies are read and bounded, every error is the JSON error body, nothing bad is half-written.

The stack runs with HTTP_HEADER_TIMEOUT = HTTP_BODY_TIMEOUT = 5 s (tests/e2e/conftest.py)."""

from __future__ import annotations

import json
import os
import select
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from services.notification.delivery import IntakeContacts
from shared.web import MAX_BODY_BYTES
from tests.e2e.conftest import _auth
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e

SLOW_CLIENTS = 30  # of each kind: three times the ten nameko workers a service has
TIMEOUT = 5.0  # the stack's header and body timeouts


def address(service) -> tuple[str, int]:
    url = urlsplit(service.url)
    return url.hostname, url.port


def connect(service) -> socket.socket:
    return socket.create_connection(address(service), timeout=10)


def read_response(sock: socket.socket, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """One HTTP response off a raw socket: status, headers (lower-case names), body."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        part = sock.recv(65536)
        if not part:
            raise AssertionError(f"connection closed before a response: {data!r}")
        data += part
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = dict((k.strip().lower(), v.strip()) for k, v in (line.split(":", 1) for line in lines[1:]))
    while len(body) < int(headers.get("content-length", "0")):
        part = sock.recv(65536)
        if not part:
            break
        body += part
    return int(lines[0].split()[1]), headers, body


def head_of(service) -> int:
    return service.get("/events", params={"after": 0, "limit": 1}).json()["head"]


# -- slow clients ---------------------------------------------------------------------------------------------


def stalled_body(service, headers: dict[str, str]) -> socket.socket:
    """Declares 1000 bytes of body and sends one."""
    sock = connect(service)
    lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock.sendall(
        f"POST /complaints HTTP/1.1\r\nHost: x\r\n{lines}Content-Type: application/json\r\n"
        "Content-Length: 1000\r\n\r\n{".encode()
    )
    return sock


def stalled_head(service) -> socket.socket:
    """Half a request line, then nothing."""
    sock = connect(service)
    sock.sendall(b"GET /health/li")
    return sock


def trickling_head(service) -> socket.socket:
    """A request line, then a header line now and then (each read is quick; the whole never ends)."""
    sock = connect(service)
    sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n")
    return sock


def test_slow_clients_never_starve_health_metrics_or_the_contact_rpc(stack, complaint):
    intake = stack.intake
    registered = intake.post(
        "/complaints", complaint(complainant={"name": "Slow Client", "phone": "+86 139 1111 2222", "relation": "self"})
    )
    assert registered.status_code == 201, registered.text
    cid = registered.json()["complaint_id"]
    auth = _auth(None, {})
    opened = time.monotonic()  # the slow clients' deadlines run from here
    bodies = [stalled_body(intake, auth) for _ in range(SLOW_CLIENTS)]
    heads = [stalled_head(intake) for _ in range(SLOW_CLIENTS)]
    trickles = [trickling_head(intake) for _ in range(SLOW_CLIENTS)]
    contacts = IntakeContacts(os.environ.get("NOTIFICATION_AMQP_URI", os.environ["AMQP_URI"]), timeout=5)
    slowest, probes, trickled = 0.0, 0, 0.0
    try:
        while time.monotonic() - opened < TIMEOUT - 1.0:  # all the while every slow client is held
            for path in ("/health/live", "/health/ready", "/metrics"):
                begun = time.monotonic()
                answer = requests.get(f"{intake.url}{path}", timeout=1)
                slowest, probes = max(slowest, time.monotonic() - begun), probes + 1
                assert answer.status_code == 200, (path, answer.status_code)
            if time.monotonic() - trickled > 0.25:  # a header line now and then (a request may have 100)
                trickled = time.monotonic()
                for n, sock in enumerate(trickles):
                    sock.sendall(f"X-Slow-{probes}-{n}: 1\r\n".encode())
        assert contacts(cid)["name"] == "Slow Client"  # the RPC notification needs still answers
        assert intake.post("/complaints", complaint()).status_code == 201  # and so do ordinary writes
        assert slowest < 1.0 and probes >= 6, (slowest, probes)
        # Then each slow client is answered 408 and let go.
        for sock in bodies + heads + trickles:
            status, headers, body = read_response(sock, timeout=TIMEOUT + 10)
            assert status == 408 and headers["connection"] == "close", (status, body)
            assert "not received within 5s" in json.loads(body)["error"]
    finally:
        contacts.close()
        for sock in bodies + heads + trickles:
            sock.close()


def test_a_stalled_body_does_not_register_anything(stack):
    head = head_of(stack.intake)
    sock = stalled_body(stack.intake, _auth(None, {}))
    try:
        assert read_response(sock, timeout=TIMEOUT + 10)[0] == 408
    finally:
        sock.close()
    assert head_of(stack.intake) == head


# -- chunked bodies -------------------------------------------------------------------------------------------


def test_a_chunked_complaint_is_read_like_any_other(stack, complaint):
    body = json.dumps(complaint(summary="Sent in chunks by a streaming client")).encode()

    def chunks() -> Iterator[bytes]:  # requests sends a generator as Transfer-Encoding: chunked
        for start in range(0, len(body), 17):
            yield body[start : start + 17]

    response = requests.post(
        f"{stack.intake.url}/complaints",
        data=chunks(),
        timeout=10,
        headers=_auth(None, {"headers": {"Content-Type": "application/json"}}),
    )
    assert response.status_code == 201, response.text
    assert response.request.headers["Transfer-Encoding"] == "chunked"
    detail = stack.intake.get(f"/complaints/{response.json()['complaint_id']}").json()
    assert detail["summary"] == "Sent in chunks by a streaming client"


def test_a_chunked_body_beyond_the_limit_gets_413_before_it_ends(stack):
    """20 MB in 64 KiB chunks, never terminated: the answer must come while the body is still coming."""
    head = head_of(stack.intake)
    sock = connect(stack.intake)
    auth = _auth(None, {})["Authorization"]
    sock.sendall(
        f"POST /complaints HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n".encode()
    )
    chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
    sent = 0
    try:
        while sent < 20 * 1024 * 1024 and not select.select([sock], [], [], 0)[0]:
            sock.sendall(chunk)
            sent += 65536
    except OSError:  # the server closed its end after answering: the answer is waiting
        pass
    try:
        status, _headers, body = read_response(sock)
    finally:
        sock.close()
    assert status == 413 and str(MAX_BODY_BYTES) in json.loads(body)["error"]
    assert sent < 20 * 1024 * 1024, "answered only once the whole body was sent"
    assert head_of(stack.intake) == head


def test_a_declared_body_beyond_the_limit_gets_413_unread(stack):
    sock = connect(stack.intake)
    try:
        sock.sendall(
            b"POST /complaints HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 20000000\r\n\r\n"
        )
        status, headers, body = read_response(sock)
    finally:
        sock.close()
    assert status == 413 and headers["connection"] == "close" and "error" in json.loads(body)


# -- the JSON error body for every route and method -----------------------------------------------------------


@pytest.mark.parametrize("service", ["intake", "investigation", "notification", "reporting"])
def test_unknown_routes_and_wrong_methods_answer_the_json_error_body(stack, service):
    running = stack[service]
    missing = running.get("/no/such/route")
    assert missing.status_code == 404 and missing.headers["Content-Type"] == "application/json"
    assert "/no/such/route" in missing.json()["error"]
    for method in ("DELETE", "PUT", "POST"):
        wrong = requests.request(method, f"{running.url}/health/live", json={"a": 1}, timeout=10)
        assert wrong.status_code == 405 and wrong.headers["Content-Type"] == "application/json", wrong.text
        assert "GET" in wrong.json()["allowed"] and "GET" in wrong.headers["Allow"]
        assert method in wrong.json()["error"]
    options = requests.options(f"{running.url}/health/live", timeout=10)
    assert options.status_code == 204 and "GET" in options.headers["Allow"]


@pytest.mark.parametrize(
    "request_line, status",
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /health/live HTTP/2.0\r\n\r\n", 505),
        (b'GET /health/live HTTP/x"y\r\n\r\n', 400),
    ],
)
def test_a_request_line_that_cannot_be_parsed_gets_the_json_error_body(stack, request_line, status):
    sock = connect(stack.intake)
    try:
        sock.sendall(request_line)
        answered, headers, body = read_response(sock)
    finally:
        sock.close()
    assert answered == status and headers["content-type"] == "application/json"
    assert json.loads(body)["error"]


def test_a_method_no_one_knows_is_a_405_and_a_bounded_metric_label(stack):
    odd = requests.request("FROBNICATE", f"{stack.reporting.url}/health/live", timeout=10)
    assert odd.status_code == 405 and odd.json()["allowed"]
    exposition = stack.reporting.get("/metrics").text
    assert "FROBNICATE" not in exposition and 'method="other"' in exposition


# -- hostile JSON bodies, repeated query parameters --------------------------------------------------------------


def post_raw(service, path: str, body: bytes, content_type: str = "application/json") -> requests.Response:
    return requests.post(
        f"{service.url}{path}", data=body, timeout=10, headers=_auth(None, {"headers": {"Content-Type": content_type}})
    )


def test_hostile_json_bodies_are_refused_naming_what_is_wrong_and_write_nothing(stack, complaint):
    head = head_of(stack.intake)
    valid = json.dumps(complaint())
    deep = valid[:-1] + ', "desired_outcome": ' + "[" * 1000 + "]" * 1000 + "}"
    refused = post_raw(stack.intake, "/complaints", deep.encode())
    assert refused.status_code == 400 and "_body" in refused.json()["errors"], refused.text
    twice = valid[:-1] + ', "campus": "west"}'
    refused = post_raw(stack.intake, "/complaints", twice.encode())
    assert refused.status_code == 400 and refused.json()["errors"] == {"campus": ["given more than once"]}
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        refused = post_raw(stack.intake, "/complaints", valid.encode(), content_type)
        assert refused.status_code == 415 and content_type in refused.json()["error"], refused.text
    assert head_of(stack.intake) == head


@pytest.mark.parametrize(
    "service, path, parameter",
    [
        ("intake", "/complaints?campus=east&campus=west", "campus"),
        ("intake", "/events?after=0&after=5", "after"),
        ("investigation", "/cases?campus=east&campus=east", "campus"),
        ("notification", "/notifications?complaint_id=a&complaint_id=b", "complaint_id"),
        ("reporting", "/reports/summary?campus=east&campus=west", "campus"),
    ],
)
def test_a_query_parameter_given_twice_is_a_400_naming_it(stack, service, path, parameter):
    refused = stack[service].get(path)
    assert refused.status_code == 400 and parameter in refused.json()["errors"], refused.text
    assert parameter in refused.json()["error"]


def test_connections_refused_without_reading_the_body_are_closed(stack):
    """A 404 for a request with a body closes the connection: the server never waits for that body."""
    sock = connect(stack.intake)
    try:
        sock.sendall(b"POST /no/such/route HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        status, headers, _ = read_response(sock)
        assert status == 404 and headers["connection"] == "close"
        wait_for(lambda: sock.recv(1) == b"", timeout=5, what="the server closing the connection")
    finally:
        sock.close()
