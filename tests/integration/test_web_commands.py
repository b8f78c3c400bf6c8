"""Commands declared on the entrypoint (shared/commands.py) and the one table from the domains' errors
(shared/errors.py) to HTTP, on werkzeug requests (nameko's routing fills ``request.path_values``)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from marshmallow import ValidationError, fields
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from shared.commands import CommandSchema
from shared.errors import InvalidField, Refused, UnknownItem
from shared.web import HttpEntrypoint


@dataclass(frozen=True)
class Escalate:
    reason: str
    note: str | None = None


class Escalation(CommandSchema):
    command = Escalate
    reason = fields.String(required=True)
    note = fields.String()


def _request(body: dict, query_string: str = "") -> Request:
    built = Request(
        EnvironBuilder(method="POST", json=body, query_string=query_string, path="/cases/c1/escalate").get_environ()
    )
    built.path_values = {"complaint_id": "c1"}
    return built


def test_a_declared_body_reaches_the_handler_as_a_frozen_command():
    entrypoint = HttpEntrypoint("POST", "/cases/<complaint_id>/escalate", body=Escalation)
    _args, kwargs = entrypoint.get_entrypoint_parameters(_request({"reason": "major"}))
    assert kwargs == {"complaint_id": "c1", "command": Escalate("major")}
    with pytest.raises(AttributeError):
        kwargs["command"].reason = "other"  # frozen


def test_a_declared_body_that_does_not_load_is_a_validation_error_naming_the_field():
    entrypoint = HttpEntrypoint("POST", "/cases/<complaint_id>/escalate", body=Escalation())
    with pytest.raises(ValidationError) as refused:
        entrypoint.get_entrypoint_parameters(_request({"note": "no reason"}))
    assert "reason" in refused.value.messages
    response = entrypoint.response_from_exception(refused.value)
    assert response.status_code == 400 and "reason" in json.loads(response.get_data())["errors"]


@pytest.mark.parametrize(
    "error, status, body",
    [
        (Refused("cannot close a case that is closed", state="closed"), 409, {"state": "closed"}),
        (InvalidField("requested_days", "at most 10"), 400, {"errors": {"requested_days": ["at most 10"]}}),
        (InvalidField.of({"a": ["x"], "b": ["y"]}), 400, {"errors": {"a": ["x"], "b": ["y"]}}),
        (UnknownItem("no extension e1"), 404, {"error": "no extension e1"}),
    ],
)
def test_the_domains_errors_map_to_http_in_one_table(error, status, body):
    response = HttpEntrypoint("POST", "/x").response_from_exception(error)
    assert response.status_code == status
    found = json.loads(response.get_data())
    assert {k: found[k] for k in body} == body
