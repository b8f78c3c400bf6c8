"""Runs after the other end-to-end tests of the package (the `stack` is package-scoped, so their events are all
there): every event the suite published is checked against the published contracts (contracts/events) — as each
owning service serves it on GET /events, and as a subscriber bound before the first event received it from
RabbitMQ (routing key, exchange, persistence included)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

from scripts import contracts
from shared import catalogue, config
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e

EVENTS = config.ROOT / "contracts" / "events"
PAGE = 1000


def envelope_validator() -> jsonschema.Validator:
    """The published envelope schema, its data schemas in a registry keyed by $id, as a subscriber reads them;
    in the producer's strict form (CONTRACT §12: published schemas are open, the producer's tests are not)."""
    files = sorted(EVENTS.glob("*.schema.json"))
    documents = [json.loads(p.read_text(encoding="utf-8")) for p in files]
    registry = Registry().with_resources((d["$id"], Resource.from_contents(d)) for d in documents)
    published = json.loads((EVENTS / "envelope.schema.json").read_text(encoding="utf-8"))
    assert published == contracts.envelope_schema()  # the strict form below is its closed variant
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    assert {"uuid", "date-time"} <= set(checker.checkers), "uuid and date-time must really be checked"
    return jsonschema.Draft202012Validator(
        contracts.envelope_schema(strict=True), registry=registry, format_checker=checker
    )


def errors_of(validator: jsonschema.Validator, event: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '(envelope)'}: {e.message}" for e in validator.iter_errors(event)]


def read_log(process: Any) -> tuple[list[dict[str, Any]], int]:
    """The whole log of a service through GET /events, page by page, as a subscriber backfills."""
    events: list[dict[str, Any]] = []
    head = 0
    while True:
        response = process.get("/events", params={"after": events[-1]["sequence"] if events else 0, "limit": PAGE})
        assert response.status_code == 200, response.text
        page = response.json()
        head = page["head"]
        events.extend(page["events"])
        if len(page["events"]) < PAGE:
            return events, head


@pytest.fixture(scope="module")
def one_more_complaint(stack, complaint) -> str:
    """At least a ComplaintReceived and an InvestigationOpened exist, even when this file runs alone."""
    response = stack.intake.post("/complaints", json=complaint())
    assert response.status_code == 201, response.text
    complaint_id = response.json()["complaint_id"]

    def opened() -> bool:
        events, _ = read_log(stack.investigation)
        return any(e["subject"] == complaint_id and e["type"] == "InvestigationOpened" for e in events)

    wait_for(opened, timeout=30, what="InvestigationOpened of the new complaint")
    return complaint_id


def test_every_event_served_by_get_events_matches_the_published_schemas(stack, one_more_complaint):
    validator = envelope_validator()
    seen: set[str] = set()
    for owner in catalogue.SERVICES:
        events, head = read_log(stack[owner])
        assert [e["sequence"] for e in events] == list(range(1, head + 1)), f"{owner}: the log is gap-free"
        for event in events:
            problems = errors_of(validator, event)
            assert not problems, f"{owner} #{event['sequence']} {event['type']}: {problems}"
            assert catalogue.owner_of(event["type"]) == owner
            seen.add(event["type"])
    assert {"ComplaintReceived", "InvestigationOpened"} <= seen


def test_every_message_published_on_rabbitmq_matches_the_published_schemas(stack, one_more_complaint):
    validator = envelope_validator()
    checked = 0
    for collector in stack.published:
        owner = collector.queue.exchange.name.removesuffix(".events")
        logged, head = read_log(stack[owner])
        wait_for(lambda c=collector, h=head: len(set(c.sequences)) >= h, timeout=30, what=f"all of {owner}'s events")
        ids = {e["sequence"]: e["id"] for e in logged}
        for body, message in zip(collector.messages, collector.raw, strict=True):
            problems = errors_of(validator, body)
            assert not problems, f"{owner} #{body['sequence']} {body['type']} on the wire: {problems}"
            assert message.delivery_info["exchange"] == f"{owner}.events"
            assert message.delivery_info["routing_key"] == body["type"]  # routing key = event type
            assert message.properties["delivery_mode"] == 2  # persistent
            assert message.content_type == "application/cloudevents+json"  # structured mode
            assert ids[body["sequence"]] == body["id"], "the broker carries the event the log holds"
            checked += 1
    assert checked >= 2
