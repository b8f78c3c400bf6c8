"""The relay against the real RabbitMQ and PostgreSQL: order, confirms, outages, crashes, leadership."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import eventlet
import pytest

from shared.db import Database
from shared.relay import Relay
from tests.support import rabbit
from tests.support.amqp import Collector, assert_complete_and_ordered
from tests.support.databases import fresh_backbone_database
from tests.support.events import append_many
from tests.support.waiting import wait_for

VHOST = os.environ["AMQP_URI"].rsplit("/", 1)[1]


@pytest.fixture
def dsn():
    return fresh_backbone_database("relay")


@pytest.fixture
def db(dsn):
    database = Database(dsn, size=4)
    yield database
    database.close()


@pytest.fixture
def collector():
    c = Collector("intake", f"test-relay-{uuid.uuid4().hex[:6]}")
    yield c
    c.stop()


def start(relay: Relay):
    return eventlet.spawn(relay.run)


def position(db: Database) -> int:
    with db.transaction() as cur:
        cur.execute("SELECT last_published FROM relay_position")
        return cur.fetchone()[0]


def test_publishes_the_log_in_order_as_persistent_cloudevents(dsn, db, collector):
    append_many(db, 250)
    relay = Relay("intake", dsn, os.environ["AMQP_URI"], batch_size=100, poll_interval=0.2)
    thread = start(relay)
    try:
        wait_for(lambda: len(collector.messages) >= 250, what="250 events")
        assert assert_complete_and_ordered(collector, 250) == 0
        wait_for(lambda: position(db) == 250, what="relay position at 250")
    finally:
        relay.stop()
        thread.wait()
    message = collector.raw[0]
    assert message.delivery_info["exchange"] == "intake.events"
    assert message.delivery_info["routing_key"] == "ComplaintWithdrawn"
    assert message.properties["delivery_mode"] == 2
    assert message.content_type == "application/cloudevents+json"  # structured mode (CONTRACT §12)
    body = json.loads(message.body)
    assert body["specversion"] == "1.0" and body["source"] == "complaints/intake"
    assert body["dataschema"] == "https://schemas.complaints.example/complaints/ComplaintWithdrawn/1"
    assert body["sequence"] == 1 and body["streamversion"] == 1
    with db.transaction() as cur:
        cur.execute("SELECT id::text, stream_id FROM events WHERE sequence = 1")
        assert (body["id"], body["subject"]) == cur.fetchone()


def test_wakes_on_commit_not_on_the_poll(dsn, db, collector):
    relay = Relay("intake", dsn, os.environ["AMQP_URI"], poll_interval=60)
    thread = start(relay)
    try:
        wait_for(lambda: relay.is_leader, what="leadership")
        eventlet.sleep(0.2)  # let it reach its LISTEN wait
        append_many(db, 1)
        # The poll is a minute away: only the NOTIFY at commit can deliver this in time.
        wait_for(lambda: collector.sequences == [1], timeout=5, what="the event, woken by NOTIFY")
    finally:
        relay.stop()
        thread.wait()


def test_connection_cut_mid_stream_loses_nothing(dsn, db, collector):
    relay = Relay("intake", dsn, os.environ["AMQP_URI"], batch_size=200, poll_interval=0.2, retry_interval=0.2)
    thread = start(relay)
    writer = eventlet.spawn(append_many, db, 3000, 50)
    try:
        for cut in range(3):
            wait_for(lambda c=cut: len(collector.messages) > (c + 1) * 500, timeout=30, what="progress")
            # The management API lists a new connection a moment after it opens.
            wait_for(lambda: rabbit.close_connections(VHOST) > 0, timeout=30, what="a connection to cut")
        writer.wait()
        wait_for(lambda: len(set(collector.sequences)) >= 3000, timeout=60, what="all 3000 events")
    finally:
        relay.stop()
        thread.wait()
    assert_complete_and_ordered(collector, 3000)
    assert position(db) == 3000


@pytest.mark.broker_restart
def test_broker_restart_mid_stream_loses_nothing(dsn, db, collector):
    relay = Relay("intake", dsn, os.environ["AMQP_URI"], batch_size=200, poll_interval=0.2, retry_interval=0.5)
    thread = start(relay)
    writer = eventlet.spawn(append_many, db, 2000, 50)
    try:
        wait_for(lambda: len(collector.messages) > 300, timeout=30, what="progress before the restart")
        subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True)
        subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True)
        rabbit.wait_until_up()
        writer.wait()
        wait_for(lambda: len(set(collector.sequences)) >= 2000, timeout=90, what="all 2000 events")
    finally:
        relay.stop()
        thread.wait()
    assert_complete_and_ordered(collector, 2000)


def test_relay_killed_mid_batch_loses_nothing(dsn, db, collector):
    append_many(db, 20000, 1000, per_stream=100)
    command = [sys.executable, "-m", "tests.support.relay_process", "intake", dsn, os.environ["AMQP_URI"], "2000"]
    first = subprocess.Popen(command)
    try:
        # Killed once its first batch is confirmed (its position moved), not once the collector has seen a
        # thousand: under load the collector lagged so far that the relay had finished by then.
        wait_for(lambda: position(db) > 0, timeout=60, what="the first relay's first batch confirmed")
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert position(db) < 20000, "the relay finished before it could be killed mid-stream"
        second = subprocess.Popen(command)
        try:
            wait_for(lambda: len(set(collector.sequences)) >= 20000, timeout=120, what="all 20000 events")
        finally:
            second.terminate()
            second.wait()
    finally:
        if first.poll() is None:
            first.kill()
    duplicates = assert_complete_and_ordered(collector, 20000)
    # Only what was in flight when it died can come twice: less than one batch.
    assert duplicates <= 2000


def test_two_replicas_never_publish_concurrently(dsn, db, collector):
    relays = [
        Relay("intake", dsn, os.environ["AMQP_URI"], batch_size=100, poll_interval=0.1, retry_interval=0.1)
        for _ in range(2)
    ]
    threads = [start(r) for r in relays]
    try:
        wait_for(lambda: any(r.is_leader for r in relays), what="a leader")
        assert sum(r.is_leader for r in relays) == 1
        append_many(db, 1000, 20)
        wait_for(lambda: len(collector.messages) >= 1000, timeout=30, what="1000 events")
        assert assert_complete_and_ordered(collector, 1000) == 0, "two relays published the same events"
        leader = next(r for r in relays if r.is_leader)
        follower = next(r for r in relays if not r.is_leader)
        leader.stop()
        threads[relays.index(leader)].wait()
        wait_for(lambda: follower.is_leader, timeout=10, what="the follower taking over")
        append_many(db, 100)
        wait_for(lambda: len(set(collector.sequences)) >= 1100, timeout=30, what="events after failover")
        assert_complete_and_ordered(collector, 1100)
    finally:
        for relay in relays:
            relay.stop()
        for thread in threads:
            thread.wait()


def test_a_commit_notified_while_the_relay_ran_a_query_wakes_it_at_once(dsn, db):
    """psycopg2 takes a notification in with a query's answer (``conn.notifies``), after which the
    socket no longer shows it: the relay must look there before sleeping, not wait out its poll."""
    from shared.db import connect
    from shared.eventstore import NOTIFY_CHANNEL

    relay = Relay("intake", dsn, os.environ["AMQP_URI"], poll_interval=10)
    listening = connect(dsn, autocommit=True)
    try:
        with listening.cursor() as cur:
            cur.execute(f"LISTEN {NOTIFY_CHANNEL}")
        append_many(db, 1)  # its commit notifies
        with listening.cursor() as cur:  # a pass's query reads the notification in
            wait_for(lambda: cur.execute("SELECT 1") or bool(listening.notifies), what="the notification read")
        started = time.monotonic()
        relay._wait_for_commit(listening)
        assert time.monotonic() - started < 1, "slept through a notification it had already read"
        assert not listening.notifies
    finally:
        listening.close()
