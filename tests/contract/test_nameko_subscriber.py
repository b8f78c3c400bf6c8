"""A hospital system written with nameko subscribes the way CONTRACT §3 promises:
``@event_handler("<service>", "<Type>")`` receives our published events."""

from __future__ import annotations

import os

import eventlet
from nameko.containers import ServiceContainer
from nameko.events import event_handler

from shared.db import Database
from shared.relay import Relay
from tests.support.databases import fresh_backbone_database
from tests.support.events import append_many
from tests.support.waiting import wait_for

RECEIVED: list[dict] = []

# What docs/subscribers.md tells a nameko subscriber to add to its config: messages are structured-mode
# CloudEvents (content type application/cloudevents+json), which kombu decodes once it knows the type.
CLOUDEVENTS_CONFIG = {
    "SERIALIZERS": {
        "cloudevents": {
            "encoder": "json.dumps",
            "decoder": "json.loads",
            "content_type": "application/cloudevents+json",
            "content_encoding": "utf-8",
        }
    },
    "ACCEPT": ["json", "cloudevents"],
}


class HospitalSystem:
    name = "ward_board"

    @event_handler("intake", "ComplaintWithdrawn")
    def on_withdrawn(self, payload: dict) -> None:
        RECEIVED.append(payload)


def test_a_nameko_event_handler_receives_published_events():
    container = ServiceContainer(HospitalSystem, {"AMQP_URI": os.environ["AMQP_URI"], **CLOUDEVENTS_CONFIG})
    container.start()  # declares and binds its queue before anything is published
    dsn = fresh_backbone_database("contract")
    database = Database(dsn, size=2)
    relay = Relay("intake", dsn, os.environ["AMQP_URI"], poll_interval=0.1)
    thread = eventlet.spawn(relay.run)
    try:
        append_many(database, 3)
        wait_for(lambda: len(RECEIVED) == 3, what="three events in the nameko handler")
        assert [e["sequence"] for e in RECEIVED] == [1, 2, 3]
        assert {e["type"] for e in RECEIVED} == {"ComplaintWithdrawn"}
        assert RECEIVED[0]["specversion"] == "1.0"
    finally:
        relay.stop()
        thread.wait()
        container.stop()
        database.close()
