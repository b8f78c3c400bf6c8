"""Notification's event handlers: each event's messages are queued for delivery (delivery.py sends
them). Queued in the consumer's transaction, keyed by the causing event: a redelivered event never
queues a second message."""

from __future__ import annotations

from services.notification import domain, store
from services.notification.settings import DIRECTORY, HOSPITAL
from shared.consumer import Projector
from shared.db import Cursor
from shared.envelope import Envelope

SERVICE = "notification"
PROJECTOR = Projector(SERVICE)


@PROJECTOR.on(*domain.PLANNERS)  # every event type some message is planned for
def queue_messages(cur: Cursor, event: Envelope) -> None:
    campus = event.data.get("campus") or ""
    policy = HOSPITAL.campuses[campus]["policy"] if campus in HOSPITAL.campuses else {}
    store.queue(cur, event, campus, domain.plan(event.type, event.data, DIRECTORY, policy))
