"""A subscriber written from docs/subscribers.md alone: its samples, extracted from the page and run against the
real RabbitMQ under exactly the permissions the page lists (a broker user of their own, passive declares). They
tolerate an additive release, deduplicate correctly under nameko, verify the hash chain, and the messages read
with the official CloudEvents SDK."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import eventlet
import kombu
import pytest
from cloudevents.core.bindings.rabbitmq import RabbitMQMessage, from_rabbitmq
from cloudevents.core.formats.json import JSONFormat
from nameko.containers import ServiceContainer

from shared import config, envelope
from shared.db import Database
from shared.eventstore import EventStore
from shared.relay import Relay
from tests.support import rabbit
from tests.support.amqp import Collector
from tests.support.databases import fresh_backbone_database
from tests.support.events import withdrawn
from tests.support.waiting import wait_for
from tests.unit.test_catalogue import EXAMPLES

DOCS = (config.ROOT / "docs" / "subscribers.md").read_text(encoding="utf-8")
VHOST = os.environ["AMQP_URI"].rsplit("/", 1)[1]


def snippet(name: str) -> str:
    """The code block the page marks ``<!-- tested: name -->``."""
    match = re.search(rf"<!-- tested: {re.escape(name)} -->\n```python\n(.*?)\n```", DOCS, re.S)
    assert match, f"docs/subscribers.md has no tested block {name!r}"
    return match.group(1)


def documented_permissions(kind: str) -> dict[str, str]:
    """The row of the permissions table for ``kind`` (kombu or nameko), as rabbitmqctl would take it."""
    row = next(line for line in DOCS.splitlines() if line.startswith(f"| {kind}"))
    cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
    values = [c.strip("`").replace("\\|", "|") for c in cells[1:]]
    configure, write, read = (values[0] if v == "the same as configure" else v for v in values)
    return {"configure": configure, "write": write, "read": read}


class Store:
    """The subscriber's own store (in memory here): what it applied, its positions, what it held or skipped."""

    def __init__(self) -> None:
        self.applied: list[dict[str, Any]] = []
        self.ids: set[str] = set()
        self.positions: dict[str, int] = {}
        self.held: list[dict[str, Any]] = []
        self.parked: list[dict[str, Any]] = []
        self.skipped: list[dict[str, Any]] = []
        self.deliveries = 0  # handler runs (each asks first_time or position once)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        yield self

    def first_time(self, event_id: str) -> bool:
        self.deliveries += 1
        if event_id in self.ids:
            return False
        self.ids.add(event_id)
        return True

    def apply(self, event: dict[str, Any]) -> None:
        self.applied.append(event)

    def position(self, source: str) -> int:
        self.deliveries += 1
        return self.positions.get(source, 0)

    def set_position(self, source: str, sequence: int) -> None:
        self.positions[source] = sequence

    def hold(self, event: dict[str, Any]) -> None:
        self.held.append(event)

    def park(self, event: dict[str, Any]) -> None:
        self.parked.append(event)

    def skip(self, event: dict[str, Any]) -> None:
        self.skipped.append(event)


def run_snippet(name: str, store: Store | None = None) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": f"docs_{name.replace('-', '_')}", "store": store}
    previous = os.getcwd()
    os.chdir(config.ROOT)  # the samples read contracts/ relative to the repository, as a checkout would
    try:
        exec(compile(snippet(name), f"docs/subscribers.md:{name}", "exec"), namespace)
    finally:
        os.chdir(previous)
    return namespace


@contextlib.contextmanager
def broker_user(kind: str) -> Iterator[str]:
    """A RabbitMQ user with exactly the documented permissions on this test vhost; yields its AMQP URI."""
    user, password = f"ward-board-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    rabbit.call("PUT", f"/users/{quote(user, safe='')}", json={"password": password, "tags": ""})
    try:
        rabbit.call(
            "PUT", f"/permissions/{quote(VHOST, safe='')}/{quote(user, safe='')}", json=documented_permissions(kind)
        )
        yield f"amqp://{user}:{password}@127.0.0.1:5672/{VHOST}"
    finally:
        rabbit.delete_user(user)


def delete_queues(prefix: str) -> None:
    for queue in rabbit.call("GET", f"/queues/{quote(VHOST, safe='')}").json():
        if queue["name"].startswith(prefix) or "--ward_board." in queue["name"]:
            with contextlib.suppress(Exception):
                rabbit.call("DELETE", f"/queues/{quote(VHOST, safe='')}/{quote(queue['name'], safe='')}")


@pytest.fixture
def intake_log() -> Iterator[tuple[Database, Relay]]:
    """intake's log in a fresh database, its relay running as the platform's (the exchange exists)."""
    dsn = fresh_backbone_database("subscriber")
    database = Database(dsn, size=2)
    relay = Relay("intake", dsn, os.environ["AMQP_URI"], poll_interval=0.1)
    thread = eventlet.spawn(relay.run)
    wait_for(lambda: relay.is_leader and relay.publisher.connection is not None, what="the relay connected")
    try:
        yield database, relay
    finally:
        relay.stop()
        thread.wait()
        database.close()
        delete_queues("ward_board.")


def append(database: Database, events: list[envelope.Envelope]) -> list[envelope.Envelope]:
    placed = []
    with database.transaction() as cur:
        for event in events:
            placed += EventStore("intake").append(cur, event.subject, None, [event])
    return placed


def received(complaint: str | None = None) -> envelope.Envelope:
    complaint = complaint or str(uuid.uuid4())
    data = {**copy.deepcopy(EXAMPLES["ComplaintReceived"]), "complaint_id": complaint}
    return envelope.new_event("intake", "ComplaintReceived", complaint, data)


def a_later_release() -> list[envelope.Envelope]:
    """What a later release may publish without a new schema version: a new field, a new type."""
    complaint = str(uuid.uuid4())
    base = withdrawn(complaint)
    added_field = replace(base, data={**base.data, "withdrawal_channel": "phone"})
    new_type = replace(
        withdrawn(complaint), type="ComplaintMerged", data={"complaint_id": complaint, "into": str(uuid.uuid4())}
    )
    return [added_field, new_type]


def republish(database: Database) -> None:
    """Make the relay publish the whole log again, as after a crash before it recorded its position."""

    def relay_caught_up() -> bool:  # else its own position update, still to come, would undo the reset
        with database.transaction() as cur:
            cur.execute("SELECT (SELECT last_published FROM relay_position) = (SELECT max(sequence) FROM events)")
            return cur.fetchone()[0]

    wait_for(relay_caught_up, what="the relay recorded its position")
    with database.transaction() as cur:
        cur.execute("UPDATE relay_position SET last_published = 0")
        cur.execute("NOTIFY events_appended")


def test_the_kombu_sample_under_its_permissions_reads_an_additive_release_and_the_sdk_reads_the_messages(intake_log):
    database, _ = intake_log
    store = Store()
    sample = run_snippet("kombu", store)
    raw = Collector("intake", f"test-sdk-{uuid.uuid4().hex[:6]}")  # the platform's view of the same messages
    running = [True]
    with broker_user("kombu") as uri:
        consumer = eventlet.spawn(sample["consume"], uri, ["intake"], lambda: running[0])
        try:
            wait_for(
                lambda: rabbit.queue(VHOST, "ward_board.intake-events")["consumers"] == 1,
                what="the sample's queue declared, bound and consumed",
            )
            placed = append(database, [received(), withdrawn(str(uuid.uuid4())), *a_later_release(), received()])
            wait_for(lambda: store.positions.get("complaints/intake") == 5, what="the sample at sequence 5")
            republish(database)  # every event again: the sample applies none twice
            wait_for(lambda: len(raw.messages) >= 10, what="the republished events")
            wait_for(
                lambda: rabbit.queue(VHOST, "ward_board.intake-events")["messages"] == 0,
                what="the sample acknowledged the repeats",
            )
        finally:
            running[0] = False
            consumer.wait()
            raw.stop()
    assert [e["sequence"] for e in store.applied] == [1, 2, 3, 5]  # the new field validated and was applied
    assert store.applied[2]["data"]["withdrawal_channel"] == "phone"
    assert [e["type"] for e in store.skipped] == ["ComplaintMerged"]  # unknown type: skipped, not parked
    assert store.parked == [] and store.held == []
    arguments = rabbit.queue(VHOST, "ward_board.intake-events")["arguments"]
    assert arguments == {"x-expires": 14 * 24 * 3600 * 1000}  # queue hygiene
    # The official CloudEvents SDK reads each message as it arrived (structured mode, by its content type).
    for message, body in zip(raw.raw[:5], raw.messages[:5], strict=True):
        assert message.content_type == "application/cloudevents+json"
        event = from_rabbitmq(
            RabbitMQMessage(headers={}, content_type=message.content_type, body=message.body), JSONFormat()
        )
        attributes = event.get_attributes()
        assert attributes["id"] == body["id"] and attributes["type"] == body["type"]
        assert attributes["specversion"] == "1.0" and attributes["source"] == "complaints/intake"
        assert attributes["dataschema"] == envelope.dataschema_of(body["type"], 1)
        assert attributes["sequence"] == body["sequence"] and attributes["correlationid"] == body["correlationid"]
        assert event.get_data() == body["data"]
    assert [p.id for p in placed] == [b["id"] for b in raw.messages[:5]]


def test_the_kombu_sample_may_not_create_or_change_the_platforms_exchanges():
    with broker_user("kombu") as uri, kombu.Connection(uri) as conn:
        channel = conn.channel()
        with pytest.raises(Exception, match="ACCESS_REFUSED"):
            kombu.Exchange("intake.events", type="topic", durable=True)(channel).declare()


def _container(cls: type, uri: str, **extra: Any) -> ServiceContainer:
    nameko_config = run_snippet("nameko-config")["NAMEKO_CONFIG"]
    container = ServiceContainer(cls, {"AMQP_URI": uri, **nameko_config, **extra})
    container.start()
    return container


def _mixed(count: int) -> list[envelope.Envelope]:
    return [received() if i % 3 else withdrawn(str(uuid.uuid4()), i) for i in range(count)]


def test_nameko_dedup_by_event_id_with_a_queue_per_type_and_ten_workers(intake_log):
    database, _ = intake_log
    store = Store()
    sample = run_snippet("nameko-by-id", store)
    with broker_user("nameko") as uri:
        container = _container(sample["WardBoard"], uri)
        try:
            placed = append(database, _mixed(60))
            wait_for(lambda: len(store.applied) == 60, what="every event applied once")
            republish(database)
            wait_for(lambda: store.deliveries >= 120, timeout=30, what="every event delivered twice")
        finally:
            container.stop()
    assert sorted(e["id"] for e in store.applied) == sorted(p.id for p in placed)  # each exactly once


def test_nameko_ordered_option_one_handler_for_the_source_and_one_worker(intake_log):
    database, _ = intake_log
    store = Store()
    sample = run_snippet("nameko-ordered", store)
    with broker_user("nameko") as uri:
        container = _container(sample["WardBoardInOrder"], uri, max_workers=1)
        try:
            append(database, _mixed(45))
            wait_for(lambda: store.positions.get("complaints/intake") == 45, what="all 45 in order")
            republish(database)
            wait_for(lambda: store.deliveries >= 90, timeout=30, what="the repeats delivered")
        finally:
            container.stop()
    assert [e["sequence"] for e in store.applied] == list(range(1, 46))
    assert store.held == []


def test_the_documented_verifier_checks_the_chain_as_published_and_as_served(intake_log):
    database, _ = intake_log
    verifier = run_snippet("verifier")
    raw = Collector("intake", f"test-chain-{uuid.uuid4().hex[:6]}")
    try:
        append(database, [*_mixed(6), *a_later_release()])
        wait_for(lambda: len(raw.messages) >= 8, what="eight events on the wire")
    finally:
        raw.stop()
    wire = raw.messages[:8]
    with database.transaction() as cur:
        served = [e.to_dict() for e in EventStore("intake").read_after(cur, 0, 100)]  # what GET /events serves
        cur.execute("SELECT hash FROM events ORDER BY sequence")
        stored = [row[0] for row in cur.fetchall()]
    assert wire[0]["prevhash"] == "" == served[0]["prevhash"]
    for events in (wire, served):
        verifier["verify"](events)
        assert [verifier["event_hash"](e) for e in events] == stored  # the subscriber computes the store's hashes
    tampered = json.loads(json.dumps(wire))
    tampered[3]["data"]["reason"] = "changed afterwards"
    with pytest.raises(ValueError, match="#5"):
        verifier["verify"](tampered)
    with pytest.raises(ValueError, match="#5"):
        verifier["verify"]([*wire[:3], *wire[4:]])  # #4 missing: #5 does not follow #3
    with pytest.raises(ValueError, match="sequence 1"):
        verifier["verify"]([{**wire[0], "prevhash": "0" * 64}, *wire[1:]])


def test_the_documented_verifier_is_about_twenty_lines():
    lines = [line for line in snippet("verifier").splitlines() if line.strip()]
    assert len(lines) <= 25


def test_the_documented_codes_are_the_hospital_configuration():
    table = DOCS[DOCS.index("<!-- codes -->") : DOCS.index("<!-- /codes -->")]
    documented = {}
    for line in table.splitlines()[3:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        documented[cells[0].strip("`")] = (cells[1], cells[2], [d.strip(" `") for d in cells[3].split(",")])
    hospital = json.loads((config.ROOT / "config" / "demo-hospital.json").read_text(encoding="utf-8"))
    assert documented == {
        code: (c["name"], c["timezone"], list(c["departments"])) for code, c in hospital["campuses"].items()
    }
