"""The consumer side against the real PostgreSQL (and RabbitMQ for the AMQP part)."""

from __future__ import annotations

import json
import os
import uuid

import eventlet
import eventlet.wsgi
import psycopg2
import pytest
from werkzeug.wrappers import Request, Response

from shared.consumer import Backfill, EventConsumer, Inbox, Projector, Unparsable, parse_body
from shared.db import Database
from shared.envelope import Envelope
from shared.eventstore import EventStore
from shared.relay import Relay
from tests.support.databases import fresh_backbone_database
from tests.support.events import append_many, withdrawn
from tests.support.waiting import wait_for


def event(sequence: int) -> Envelope:
    return withdrawn(str(uuid.uuid4()), sequence).with_position(sequence, 1)


class Recorder:
    """A projection that records the order events were applied in; can be told to fail."""

    def __init__(self):
        self.projector = Projector("consumer")
        self.poison: set[int] = set()
        self.crash_once: set[int] = set()
        self.projector.on("ComplaintWithdrawn")(self.handle)

    def handle(self, cur, event: Envelope) -> None:
        cur.execute("INSERT INTO applied (sequence, event_id) VALUES (%s, %s)", (event.sequence, event.id))
        if event.sequence in self.crash_once:
            self.crash_once.discard(event.sequence)
            raise psycopg2.OperationalError("server closed the connection unexpectedly (simulated)")
        if event.sequence in self.poison:
            raise ValueError(f"cannot take event {event.sequence}")


@pytest.fixture
def db():
    database = Database(fresh_backbone_database("consumer"), size=12)
    with database.transaction() as cur:
        cur.execute("CREATE TABLE applied (n bigserial PRIMARY KEY, sequence bigint NOT NULL, event_id text UNIQUE)")
    yield database
    database.close()


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def inbox(db, recorder):
    return Inbox("consumer", db, recorder.projector)


def applied(db: Database) -> list[int]:
    with db.transaction() as cur:
        cur.execute("SELECT sequence FROM applied ORDER BY n")
        return [row[0] for row in cur.fetchall()]


def test_the_same_event_twice_has_one_effect(db, inbox):
    first = event(1)
    inbox.receive([first.to_json()])
    outcome = inbox.receive([first.to_json(), first.to_json()])
    assert outcome.applied == 0 and outcome.duplicates == 1
    assert applied(db) == [1]
    assert inbox.position("intake") == 1


def test_events_arriving_out_of_order_are_applied_in_sequence_order(db, inbox):
    events = [event(n) for n in range(1, 6)]
    assert inbox.receive([events[3].to_json(), events[2].to_json()]).pending == 2
    assert applied(db) == []
    inbox.receive([events[1].to_json()])
    assert applied(db) == []
    outcome = inbox.receive([events[0].to_json(), events[4].to_json()])
    assert outcome.applied == 5 and outcome.pending == 0
    assert applied(db) == [1, 2, 3, 4, 5]
    inbox.receive([events[3].to_json()])  # a late redelivery of one that waited
    assert applied(db) == [1, 2, 3, 4, 5]


def test_a_poison_event_is_parked_and_does_not_block_the_ones_behind(db, inbox, recorder):
    recorder.poison = {2}
    outcome = inbox.receive([event(n).to_json() for n in (1, 2, 3)])
    assert (outcome.applied, outcome.parked) == (2, 1)
    assert applied(db) == [1, 3], "the poison event's own writes must be rolled back"
    inbox.receive([event(4).to_json()])
    assert applied(db) == [1, 3, 4]
    [parked] = inbox.parked()
    assert parked["sequence"] == 2 and parked["type"] == "ComplaintWithdrawn"
    assert "cannot take event 2" in parked["error"] and parked["attempts"] == 3

    recorder.poison = set()  # the handler was fixed: an operator replays it
    inbox.replay(parked["id"])
    assert applied(db) == [1, 3, 4, 2]
    assert inbox.parked() == []
    with pytest.raises(KeyError):
        inbox.replay(parked["id"])


def test_a_message_that_is_not_an_event_is_parked_with_its_error(db, inbox):
    outcome = inbox.receive([b"{not json", json.dumps({"specversion": "1.0", "type": "Nope"}), event(1).to_json()])
    assert outcome.parked == 2 and outcome.applied == 1
    errors = sorted(p["error"] for p in inbox.parked())
    assert "not JSON" in errors[1] or "not JSON" in errors[0]
    assert any("missing" in e for e in errors)


def test_bodies_parsed_by_the_reader_are_applied_and_parked_as_raw_ones(db, inbox):
    """The consumer's reader parses each delivery as it arrives (``parse_body``); the inbox takes the
    results as it takes raw bodies: the invalid one parked with its error, the events in order."""
    parsed = [parse_body(b"{not json"), parse_body(event(2).to_json()), parse_body(event(1).to_json())]
    assert isinstance(parsed[0], Unparsable) and isinstance(parsed[1], Envelope)
    outcome = inbox.receive(parsed)
    assert outcome.parked == 1 and outcome.applied == 2
    assert applied(db) == [1, 2]
    assert "not JSON" in inbox.parked()[0]["error"]


def test_a_crash_inside_the_handlers_transaction_leaves_nothing_and_is_retried(db, inbox, recorder):
    recorder.crash_once = {2}
    batch = [event(n).to_json() for n in (1, 2, 3)]
    with pytest.raises(psycopg2.OperationalError):
        inbox.receive(batch)
    assert applied(db) == [], "a batch that crashed must leave no partial state"
    assert inbox.position("intake") == 0
    inbox.receive(batch)  # the broker redelivers the unacknowledged batch
    assert applied(db) == [1, 2, 3]
    assert inbox.parked() == []


class LogServer:
    """Serves a source's log at GET /events the way every service does (shared.runtime.EventLog)."""

    def __init__(self, db: Database, service: str = "intake"):
        self.db, self.store = db, EventStore(service)
        self.socket = eventlet.listen(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.thread = eventlet.spawn(eventlet.wsgi.server, self.socket, self.app, log_output=False)

    @Request.application
    def app(self, request: Request) -> Response:
        with self.db.transaction() as cur:
            page = self.store.read_after(cur, int(request.args["after"]), int(request.args["limit"]))
        return Response(json.dumps({"events": [e.to_dict() for e in page]}, default=str), mimetype="application/json")

    def close(self) -> None:
        self.thread.kill()
        self.socket.close()


@pytest.fixture
def source_db():
    database = Database(fresh_backbone_database("consumer_source"), size=4)
    yield database
    database.close()


def test_a_gap_is_filled_from_the_sources_log(db, inbox, source_db):
    append_many(source_db, 7, 7)
    server = LogServer(source_db)
    try:
        with source_db.transaction() as cur:
            log = EventStore("intake").read_after(cur, 0, 10)
        inbox.receive([log[0].to_json(), log[5].to_json(), log[6].to_json()])  # 2..5 were lost
        assert applied(db) == [1]
        fetched = Backfill(inbox, {"intake": server.url}, page=3).fill("intake")
        assert fetched == 6
        assert applied(db) == [1, 2, 3, 4, 5, 6, 7]
        assert inbox.stale_gaps(0) == []
    finally:
        server.close()


def test_consumer_catches_up_on_what_was_published_before_its_queue_existed(db, recorder, source_db):
    """Events nobody had bound a queue for are not lost to a later subscriber: it backfills."""
    source_dsn = source_db.dsn
    relay = Relay("intake", source_dsn, os.environ["AMQP_URI"], batch_size=100, poll_interval=0.1)
    relay_thread = eventlet.spawn(relay.run)
    server = LogServer(source_db)
    consumers, threads = [], []
    try:
        append_many(source_db, 300, 50)
        wait_for(lambda: _relay_position(source_db) == 300, what="300 events published to no queue")
        # Two replicas of the consuming service, on one queue and one database.
        for _ in range(2):
            inbox = Inbox("consumer", db, recorder.projector)
            consumer = EventConsumer(
                inbox,
                os.environ["AMQP_URI"],
                ["intake"],
                Backfill(inbox, {"intake": server.url}, page=100),
                batch_size=50,
                gap_timeout=0.5,
                catch_up_interval=600,
            )
            consumers.append(consumer)
            threads += [eventlet.spawn(consumer.run), eventlet.spawn(consumer.watch_gaps)]
        wait_for(lambda: all(c.connected.is_set() for c in consumers), what="consumers connected")
        append_many(source_db, 700, 10)
        wait_for(lambda: len(applied(db)) >= 1000, timeout=60, what="1000 events applied")
        assert applied(db) == list(range(1, 1001))
    finally:
        for consumer in consumers:
            consumer.stop()
        relay.stop()
        for thread in [*threads, relay_thread]:
            thread.wait()
        server.close()


def _relay_position(db: Database) -> int:
    with db.transaction() as cur:
        cur.execute("SELECT last_published FROM relay_position")
        return cur.fetchone()[0]
