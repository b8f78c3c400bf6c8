"""The published contracts (contracts/) are what the code generates, and each is a valid document of its kind."""

from __future__ import annotations

import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource

from scripts import contracts
from shared import catalogue, config, envelope
from tests.unit.test_catalogue import ALL_TYPES, EXAMPLES

ROOT = config.ROOT
ASYNCAPI_SCHEMA = ROOT / "var" / "tools" / "asyncapi-specs" / "schemas" / "3.0.0.json"


@pytest.fixture(scope="module")
def expected() -> dict[str, str]:
    return contracts.generated()


def test_committed_contracts_are_what_the_code_generates(expected):
    wrong = contracts.differences(expected)
    assert not wrong, f"out of date (run `make contracts` and commit): {wrong}"


def test_the_drift_check_sees_a_changed_and_a_stale_file(expected, tmp_path, monkeypatch):
    for path, text in expected.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    monkeypatch.setattr(contracts, "ROOT", tmp_path)
    assert contracts.differences(expected) == []
    changed = f"{contracts.EVENTS_DIR}/ComplaintReceived.v1.schema.json"
    (tmp_path / changed).write_text("{}\n", encoding="utf-8")
    (tmp_path / contracts.EVENTS_DIR / "Gone.v1.schema.json").write_text("{}\n", encoding="utf-8")
    assert contracts.differences(expected) == [changed, f"{contracts.EVENTS_DIR}/Gone.v1.schema.json"]


def test_one_schema_file_per_event_type_and_version():
    names = {p.name for p in (ROOT / contracts.EVENTS_DIR).glob("*.schema.json")}
    wanted = {f"{t.name}.v{v}.schema.json" for t in catalogue.EVENT_TYPES.values() for v in t.versions}
    assert names == wanted | {"envelope.schema.json"}
    assert set(ALL_TYPES) <= set(catalogue.EVENT_TYPES)  # every type CONTRACT §3 names is published


def _event_registry() -> tuple[dict[str, Any], Registry]:
    folder = ROOT / contracts.EVENTS_DIR
    documents = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.schema.json"))]
    for document in documents:
        jsonschema.Draft202012Validator.check_schema(document)
    # Keyed by $id, the normal way (CONTRACT §12): the envelope refers to the data schemas by their $id.
    registry = Registry().with_resources((d["$id"], Resource.from_contents(d)) for d in documents)
    return json.loads((folder / "envelope.schema.json").read_text(encoding="utf-8")), registry


FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER


@cache
def envelope_validator() -> jsonschema.Validator:
    """The published (open) envelope schema, as a subscriber reads it."""
    schema, registry = _event_registry()
    assert {"uuid", "date-time", "date"} <= set(FORMATS.checkers), "format checks must really run"
    return jsonschema.Draft202012Validator(schema, registry=registry, format_checker=FORMATS)


@cache
def strict_envelope_validator() -> jsonschema.Validator:
    """The producer's own check: closed data schemas, only the catalogue's types and versions."""
    return jsonschema.Draft202012Validator(contracts.envelope_schema(strict=True), format_checker=FORMATS)


def _sample(event_type: str = "ComplaintWithdrawn", **data: Any) -> dict[str, Any]:
    complaint = str(uuid.uuid4())
    body = {"complaint_id": complaint, "campus": "east", "withdrawn_at": "2026-03-02T08:30:00Z", **data}
    return envelope.new_event("intake", event_type, complaint, body).with_position(7, 2).to_dict()


def _messages(validator: jsonschema.Validator, event: dict[str, Any]) -> list[str]:
    return [e.message for e in validator.iter_errors(event)]


def test_the_envelope_schema_accepts_an_event_the_code_builds_and_names_what_is_wrong():
    for validator in (envelope_validator(), strict_envelope_validator()):
        good = _sample()
        assert _messages(validator, good) == []
        assert _messages(validator, {**good, "prevhash": "ab" * 32}) == []  # the hash chain's attribute
        assert _messages(validator, {**good, "prevhash": "not hex"})

        def errors(event: dict[str, Any], v: jsonschema.Validator = validator) -> list[str]:
            return _messages(v, event)

        assert errors({**good, "data": {**good["data"], "campus": 5}})  # data checked against the type's schema
        assert errors({**good, "data": {**good["data"], "reason": "x" * (catalogue.TEXT_MAX + 1)}})
        assert errors({**good, "source": "complaints/investigation"})  # not the owner of the type
        assert errors({**good, "dataschema": "complaints/ComplaintWithdrawn/1"})  # relative: not CloudEvents 1.0
        assert errors({**good, "dataschema": good["dataschema"].replace("ComplaintWithdrawn", "ComplaintReceived")})
        assert errors({**good, "id": "not-a-uuid"})
        assert errors({**good, "sequence": 0})
        assert errors({**good, "sequence": "7"})  # an integer (§12), not the CloudEvents extension's string
        assert errors({**good, "Bad_Name": "x"})  # CloudEvents attribute names are lower-case alphanumerics
        assert errors({k: v for k, v in good.items() if k != "correlationid"})
    # Only the producer's own check refuses what a later release may add (CONTRACT §12).
    unknown_version = {**good, "dataschema": good["dataschema"].removesuffix("/1") + "/9"}
    assert _messages(strict_envelope_validator(), unknown_version)
    assert _messages(strict_envelope_validator(), {**good, "type": "Unknown"})


def test_the_published_schemas_accept_an_additive_release():
    """What a later release may publish without a new schema version (CONTRACT §12) validates against today's
    published contracts: new data fields (also nested), new extension attributes, new event types."""
    validator = envelope_validator()
    good = _sample()
    added_field = {**good, "data": {**good["data"], "withdrawal_channel": "phone"}}
    assert _messages(validator, added_field) == []
    opened = (
        envelope.new_event(
            "investigation", "InvestigationOpened", str(uuid.uuid4()), {**EXAMPLES["InvestigationOpened"]}
        )
        .with_position(3, 1)
        .to_dict()
    )
    nested = json.loads(json.dumps(opened))
    nested["data"]["investigations"][0]["paused"] = False
    nested["data"]["actor"]["team"] = "night-desk"
    assert _messages(validator, nested) == []
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert _messages(validator, {**good, "traceparent": traceparent}) == []  # a new extension attribute
    new_type = {
        **good,
        "type": "ComplaintMerged",
        "source": "complaints/intake",
        "dataschema": envelope.dataschema_of("ComplaintMerged", 1),
        "data": {"anything": ["new"]},
    }
    assert _messages(validator, new_type) == []
    new_source = {
        **new_type,
        "type": "SurveyAnswered",
        "source": "complaints/survey",
        "dataschema": envelope.dataschema_of("SurveyAnswered", 1),
    }
    assert _messages(validator, new_source) == []
    # ... and the producer's own check would have caught each of them in this release.
    for event in (added_field, nested, new_type):
        assert _messages(strict_envelope_validator(), event), event["type"]


@pytest.mark.parametrize("name", sorted(catalogue.EVENT_TYPES))
def test_every_event_type_as_the_code_publishes_it_matches_the_published_contract(name):
    """The catalogue's example of each type, built into an envelope by the code that publishes events."""
    data = EXAMPLES[name]
    event = envelope.new_event(catalogue.owner_of(name), name, data["complaint_id"], data).with_position(3, 1)
    assert _messages(envelope_validator(), event.to_dict()) == []
    assert _messages(strict_envelope_validator(), event.to_dict()) == []
    extra = {**event.to_dict(), "data": {**event.data, "surprise": 1}}
    assert _messages(strict_envelope_validator(), extra), "producers publish no field the schema does not know"
    assert _messages(envelope_validator(), extra) == [], "subscribers accept fields a later release adds"


def test_every_data_schema_is_reachable_from_the_envelope_by_its_id():
    schema, registry = _event_registry()
    resolver = registry.resolver(base_uri=schema["$id"])
    embedded = registry.with_resource(schema["$id"], Resource.from_contents(schema)).resolver(base_uri=schema["$id"])
    for known in catalogue.EVENT_TYPES.values():
        for version in known.versions:
            schema_id = envelope.dataschema_of(known.name, version)
            assert schema_id.startswith("https://schemas.complaints.example/complaints/")  # absolute (CloudEvents)
            published = resolver.lookup(schema_id).contents
            assert {k: v for k, v in published.items() if k != "examples"} == catalogue.json_schema(known.name, version)
            assert published["$id"] == schema_id
            inside = embedded.lookup(f"#/$defs/{known.name}.v{version}").contents
            assert inside["$id"] == schema_id and inside["properties"] == published["properties"]


def test_every_json_schema_carries_a_valid_example_and_every_asyncapi_message_a_whole_event():
    for known in catalogue.EVENT_TYPES.values():
        path = ROOT / contracts.EVENTS_DIR / contracts.event_file(known.name, known.latest)
        document = json.loads(path.read_text(encoding="utf-8"))
        assert len(document["examples"]) == 1, known.name
        catalogue.validate_data(known.name, known.latest, document["examples"][0])  # strict: exactly the schema
        jsonschema.Draft202012Validator(document, format_checker=FORMATS).validate(document["examples"][0])
    messages = _asyncapi()["components"]["messages"]
    for name, message in messages.items():
        (example,) = message["examples"]
        assert example["payload"]["type"] == name
        assert _messages(strict_envelope_validator(), example["payload"]) == [], name
        assert _messages(_file_backed_validator(message["payload"]), example["payload"]) == [], name


@pytest.mark.parametrize("service", config.SERVICES)
def test_openapi_documents_are_valid_openapi_3_1(service):
    path = ROOT / contracts.OPENAPI_DIR / f"{service}.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    validate_openapi(document, base_uri=path.as_uri())  # follows the $ref to ../events/envelope.schema.json
    assert document["openapi"] == "3.1.0"
    paths = document["paths"]
    for backbone in ("/health/live", "/health/ready", "/metrics"):
        assert paths[backbone]["get"]["security"] == [], backbone
    if service in catalogue.SERVICES:  # the owners of events serve their log
        events = paths["/events"]["get"]
        assert {p["name"] for p in events["parameters"]} == {"after", "limit", "subject"}  # subject: issue 12
        assert events["security"] == [{"bearer": []}]


def test_openapi_request_schemas_follow_the_marshmallow_schemas():
    document = yaml.safe_load((ROOT / contracts.OPENAPI_DIR / "intake.yaml").read_text(encoding="utf-8"))
    register = document["paths"]["/complaints"]["post"]
    assert register["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NewComplaint"
    }
    schema = {**document["components"]["schemas"]["NewComplaint"], "$schema": catalogue.JSON_SCHEMA_DIALECT}
    validator = jsonschema.Draft202012Validator(schema)
    body = {
        "campus": "east",
        "channel": "phone",
        "category": "billing",
        "severity": "normal",
        "source": "patient_or_family",
        "summary": "Charged twice for one X-ray",
        "departments": ["billing_office"],
        "complainant": {"name": "Wang Fang", "phone": "+86 138 0000 0000", "relation": "self"},
    }
    assert list(validator.iter_errors(body)) == []
    assert list(validator.iter_errors({**body, "channel": "fax"}))
    assert list(validator.iter_errors({**body, "unknown": 1}))  # unknown fields are refused, as marshmallow does
    assert list(validator.iter_errors({k: v for k, v in body.items() if k != "summary"}))
    assert set(schema["required"]) == {"campus", "channel", "category", "severity", "source", "summary"}
    statuses = register["responses"]
    assert {"201", "400", "401", "403", "413", "429"} <= set(statuses)
    created = statuses["201"]["content"]["application/json"]["schema"]
    assert created["required"] == ["complaint_id", "reference", "warnings"]


def test_the_http_walker_refuses_a_field_it_cannot_translate():
    from marshmallow import Schema, fields

    class Odd(Schema):
        where = fields.IP()

    with pytest.raises(TypeError, match="IP"):
        contracts.http_object_schema(Odd)


def _asyncapi() -> dict[str, Any]:
    return yaml.safe_load((ROOT / contracts.ASYNCAPI_FILE).read_text(encoding="utf-8"))


def test_asyncapi_document_is_valid_against_the_asyncapi_3_0_schema():
    if not ASYNCAPI_SCHEMA.is_file():
        pytest.fail(f"{ASYNCAPI_SCHEMA} is missing: run scripts/ensure-tools.sh")
    meta = json.loads(ASYNCAPI_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(meta)
    document = _asyncapi()
    assert [e.message for e in validator.iter_errors(document)] == []
    broken = json.loads(json.dumps(document))
    broken["operations"]["intakePublishes"]["action"] = "publish"  # AsyncAPI 2 wording
    assert list(validator.iter_errors(broken))


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return ([node["$ref"]] if "$ref" in node else []) + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _pointer(document: Any, pointer: str) -> Any:
    for part in pointer.lstrip("/").split("/"):
        document = document[part.replace("~1", "/").replace("~0", "~")]
    return document


def test_asyncapi_references_resolve_and_every_event_type_is_on_its_owners_exchange():
    document = _asyncapi()
    for ref in _refs(document):
        if ref.startswith("#"):
            _pointer(document, ref[1:])
        else:
            assert (ROOT / "contracts" / ref).resolve().is_file(), ref
    for service in catalogue.SERVICES:
        channel = document["channels"][f"{service}Events"]
        exchange = channel["bindings"]["amqp"]["exchange"]
        assert exchange == {
            "name": f"{service}.events",
            "type": "topic",
            "durable": True,
            "autoDelete": False,
            "vhost": "/",
        }
        assert set(channel["messages"]) == set(catalogue.types_of(service))
        assert channel["parameters"]["type"]["enum"] == catalogue.types_of(service)
        publish = document["operations"][f"{service}Publishes"]
        assert publish["action"] == "send" and publish["bindings"]["amqp"]["deliveryMode"] == 2
    for name, message in document["components"]["messages"].items():
        assert message["x-routing-key"] == name == message["bindings"]["amqp"]["messageType"]


def _file_backed_validator(payload: dict[str, Any]) -> jsonschema.Validator:
    """A validator for an AsyncAPI message payload, resolving its file references as a subscriber would."""
    base = (ROOT / "contracts" / "asyncapi.yaml").as_uri()

    def retrieve(uri: str) -> Resource:
        return Resource.from_contents(json.loads(Path(uri.removeprefix("file://")).read_text(encoding="utf-8")))

    return jsonschema.Draft202012Validator(
        {"$id": base, **payload},
        registry=Registry(retrieve=retrieve),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def test_an_asyncapi_message_payload_validates_the_events_of_its_type_only():
    messages = _asyncapi()["components"]["messages"]
    withdrawn = _file_backed_validator(messages["ComplaintWithdrawn"]["payload"])
    event = _sample()
    assert list(withdrawn.iter_errors(event)) == []
    assert list(withdrawn.iter_errors({**event, "data": {**event["data"], "campus": 5}}))
    received = _file_backed_validator(messages["ComplaintReceived"]["payload"])
    assert list(received.iter_errors(event))  # a ComplaintWithdrawn is not a ComplaintReceived


@pytest.mark.parametrize(
    ("path", "created"),
    [
        ("/cases/{complaint_id}/extensions", "extension_id"),
        ("/cases/{complaint_id}/rectifications", "rectification_id"),
        ("/cases/{complaint_id}/disputes", "dispute_id"),
        ("/cases/{complaint_id}/replies", "reply_id"),
    ],
)
def test_openapi_action_responses_are_typed_and_name_what_they_created(path, created):
    document = yaml.safe_load((ROOT / contracts.OPENAPI_DIR / "investigation.yaml").read_text(encoding="utf-8"))
    schema = document["paths"][path]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["complaint_id", "status", "events", created]
    assert schema["properties"][created] == {
        "type": "string",
        "format": "uuid",
        "description": f"the {created.removesuffix('_id')}'s id",
    }
    assert schema["properties"]["events"]["items"] == {"type": "string"}
    assert all(p for p in schema["properties"].values()), "no untyped property"
    body = {
        "complaint_id": str(uuid.uuid4()),
        "status": "open",
        "events": ["ExtensionRequested"],
        created: str(uuid.uuid4()),
    }
    validator = jsonschema.Draft202012Validator(schema, format_checker=FORMATS)
    assert list(validator.iter_errors(body)) == []
    assert list(validator.iter_errors({**body, created: "not-a-uuid"}))
    assert list(validator.iter_errors({k: v for k, v in body.items() if k != created}))


def test_asyncapi_declares_security_external_docs_and_the_cloudevents_content_type():
    document = _asyncapi()
    scheme = document["components"]["securitySchemes"]["subscriber"]
    assert scheme["type"] == "userPassword" and "docs/subscribers.md#permissions" in scheme["description"]
    assert document["servers"]["rabbitmq"]["security"] == [{"$ref": "#/components/securitySchemes/subscriber"}]
    assert document["info"]["externalDocs"]["url"].endswith("/docs/subscribers.md")
    assert document["defaultContentType"] == "application/cloudevents+json"
    for name, message in document["components"]["messages"].items():
        assert message["contentType"] == "application/cloudevents+json", name
        assert message["externalDocs"] == document["info"]["externalDocs"], name
    for service in catalogue.SERVICES:
        receive = document["operations"][f"subscribeTo{service.capitalize()}Events"]
        assert receive["security"] == [{"$ref": "#/components/securitySchemes/subscriber"}]
