"""Notification's event handlers: each event's messages are queued for delivery (delivery.py sends
them). Queued in the consumer's transaction, keyed by the causing event: a redelivered event never
queues a second message."""

from __future__ import annotations

import uuid

import psycopg2.extras

from services.notification import domain
from services.notification.settings import DIRECTORY, HOSPITAL
from shared.consumer import Projector
from shared.db import Cursor
from shared.envelope import Envelope

SERVICE = "notification"
PROJECTOR = Projector(SERVICE)


@PROJECTOR.on(
    "ComplaintReceived",
    "ComplaintNotAccepted",
    "ReplyIssued",
    "InvestigationDue",
    "DeadlineBreached",
    "ComplaintEscalated",
    "RectificationOrdered",
)
def queue_messages(cur: Cursor, event: Envelope) -> None:
    # The context keeps the complaint's correlation id: what is sent later belongs to its chain (CONTRACT §12).
    campus = event.data.get("campus") or ""
    policy = HOSPITAL.campuses[campus]["policy"] if campus in HOSPITAL.campuses else {}
    for planned in domain.plan(event.type, event.data, DIRECTORY, policy):
        cur.execute(
            "INSERT INTO notifications (notification_id, complaint_id, caused_by, purpose, campus, recipient_role,"
            " recipient_id, status, context, channel_preference, next_attempt_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, 'pending', %s, %s, now())"
            " ON CONFLICT (caused_by, purpose, recipient_id) DO NOTHING",
            (
                str(uuid.uuid4()),
                event.subject,
                event.id,
                planned.purpose,
                campus,
                planned.recipient_role,
                planned.recipient_id,
                psycopg2.extras.Json({**planned.context, "correlationid": event.correlationid}),
                planned.channel_preference,
            ),
        )
