"""The HTTP boundary's parsing rules (shared/web.py), on werkzeug requests: no service, broker or database
needed. Over real sockets and processes the same rules are in tests/e2e/test_http_hardening.py."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from marshmallow import Schema, fields
from werkzeug.routing import Map, Rule
from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Request

from shared.auth import OFFICER, RateLimiter, authenticator
from shared.httpserver import JsonErrorsApp
from shared.web import (
    MAX_JSON_DEPTH,
    BadRequest,
    HttpEntrypoint,
    TooManyRequests,
    UnsupportedMediaType,
    json_body,
    query,
)


def request(body: bytes | None = None, content_type: str | None = "application/json", **kwargs) -> Request:
    return Request(EnvironBuilder(method="POST", data=body, content_type=content_type, **kwargs).get_environ())


def test_a_json_object_is_read():
    assert json_body(request(b'{"summary": "\xe6\x94\xb6\xe8\xb4\xb9", "n": [1, {"a": null}]}')) == {
        "summary": "收费",
        "n": [1, {"a": None}],
    }


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1000, 100_000])
def test_json_nested_too_deep_is_a_400_naming_the_body(depth):
    body = '{"summary": ' + "[" * depth + "]" * depth + "}"
    with pytest.raises(BadRequest) as refused:
        json_body(request(body.encode()))
    assert refused.value.status == 400 and "_body" in refused.value.body["errors"]
    assert f"deeper than {MAX_JSON_DEPTH}" in refused.value.body["error"]


def test_json_nested_as_deep_as_allowed_is_read():
    depth = MAX_JSON_DEPTH - 1  # the object itself is one level
    body = json_body(request(('{"a": ' + "[" * depth + "]" * depth + "}").encode()))
    assert "a" in body


@pytest.mark.parametrize(
    "body, key",
    [
        (b'{"campus": "east", "campus": "west"}', "campus"),
        (b'{"complainant": {"name": "A", "name": "B"}}', "name"),
    ],
)
def test_a_key_given_twice_is_a_400_naming_the_key(body, key):
    with pytest.raises(BadRequest) as refused:
        json_body(request(body))
    assert refused.value.body["errors"] == {key: ["given more than once"]}
    assert repr(key) in refused.value.body["error"]


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"],
)
def test_a_body_that_is_not_json_by_its_content_type_is_a_415_naming_it(content_type):
    with pytest.raises(UnsupportedMediaType) as refused:
        json_body(request(b'{"campus": "east"}', content_type=content_type))
    media_type = content_type.split(";")[0]
    assert refused.value.status == 415 and refused.value.body["content_type"] == media_type
    assert media_type in refused.value.body["error"]


def test_a_charset_other_than_utf8_is_a_415():
    with pytest.raises(UnsupportedMediaType) as refused:
        json_body(request('{"a": "é"}'.encode("latin-1"), content_type="application/json; charset=latin-1"))
    assert "latin-1" in refused.value.body["error"]


@pytest.mark.parametrize(
    "content_type", [None, "application/json", "application/json; charset=UTF-8", "application/merge-patch+json"]
)
def test_json_content_types_and_none_are_read(content_type):
    assert json_body(request(b'{"a": 1}', content_type=content_type)) == {"a": 1}


def test_a_body_that_is_not_utf8_is_a_400():
    with pytest.raises(BadRequest) as refused:
        json_body(request('{"a": "é"}'.encode("utf-16")))
    assert refused.value.status == 400 and "_body" in refused.value.body["errors"]


class Page(Schema):
    after = fields.Integer(load_default=0)
    campus = fields.String()


def get(query_string: str) -> Request:
    return Request(EnvironBuilder(method="GET", query_string=query_string).get_environ())


@pytest.mark.parametrize(
    "query_string, repeated",
    [
        ("after=1&after=2", ["after"]),
        ("campus=east&campus=east&after=1", ["campus"]),
        ("campus=east&after=1&campus=west&after=3", ["after", "campus"]),
    ],
)
def test_a_query_parameter_given_twice_is_a_400_naming_it(query_string, repeated):
    with pytest.raises(BadRequest) as refused:
        query(Page(), get(query_string))
    assert sorted(refused.value.body["errors"]) == repeated
    assert all(name in refused.value.body["error"] for name in repeated)


def test_query_parameters_given_once_are_read():
    assert query(Page(), get("after=5&campus=east")) == {"after": 5, "campus": "east"}


def test_the_rate_limit_never_says_try_again_in_0s(monkeypatch):
    """100 writes a second, one at once: the second write must wait 10 ms — said as 1 s, never 0 s."""
    monkeypatch.setattr(HttpEntrypoint, "limiter", RateLimiter(per_minute=6000, burst=1))
    entrypoint = HttpEntrypoint("POST", "/complaints")
    token = authenticator().mint("quick-desk", OFFICER, ("*",), None, 60)
    write = request(json.dumps({}).encode(), headers={"Authorization": f"Bearer {token}"})
    entrypoint._admit(write)
    with pytest.raises(TooManyRequests) as refused:
        entrypoint._admit(request(b"{}", headers={"Authorization": f"Bearer {token}"}))
    assert refused.value.body["retry_after"] == 1
    assert "try again in 1s" in refused.value.body["error"] and "0s" not in refused.value.body["error"]


class Router:
    """What JsonErrorsApp needs of nameko's WebServer: the routes, and whether browsers get HTML."""

    def __init__(self, html_errors: bool):
        self.html_errors = html_errors
        self.container = SimpleNamespace(service_name="test")

    def make_url_map(self) -> Map:
        return Map([Rule("/page", methods=["GET"], endpoint=None)])


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    "html_errors, accept, html",
    [(True, BROWSER, True), (True, "application/json", False), (True, "*/*", False), (False, BROWSER, False)],
)
def test_unknown_routes_and_methods_answer_json_or_for_a_console_browser_html(html_errors, accept, html):
    client = Client(JsonErrorsApp(Router(html_errors)))
    missing = client.get("/nowhere", headers={"Accept": accept})
    wrong = client.delete("/page", headers={"Accept": accept})
    assert (missing.status_code, wrong.status_code) == (404, 405)
    assert "GET" in wrong.headers["Allow"]
    for response in (missing, wrong):
        assert response.mimetype == ("text/html" if html else "application/json")
        if not html:
            assert "error" in json.loads(response.get_data())
    assert "/nowhere" in missing.get_data(as_text=True)
