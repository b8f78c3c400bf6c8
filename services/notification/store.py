"""Saving notifications: the one path every change to one takes (queued by the projection, an attempt's
outcome recorded by delivery, a letter marked posted over HTTP): load locked → decide (domain.py) →
save the outcome and append the events it leads to, in the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

import psycopg2.extras

from services.notification import domain
from shared.db import Cursor, fetch_dicts
from shared.envelope import Envelope, new_event
from shared.errors import UnknownItem
from shared.eventstore import EventStore

SERVICE = "notification"
STORE = EventStore(SERVICE)
# A notification as domain.Notification holds it.
COLUMNS = (
    "notification_id::text, complaint_id::text, caused_by, purpose, campus, recipient_role,"
    " recipient_id, context, channel_preference, attempts, status"
)


def queue(
    cur: Cursor, event: Envelope, campus: str, planned: list[domain.Planned], send_at: list[datetime] | None = None
) -> None:
    """Queue the messages an event asks for, keyed by the event: a redelivered event queues nothing twice.
    Each is first tried at its ``send_at`` (default now; office hours hold staff messages: projection.py).
    The context keeps the complaint's correlation id: what is sent later belongs to its chain (CONTRACT §12)."""
    for message, at in zip(planned, send_at or [None] * len(planned), strict=True):
        cur.execute(
            "INSERT INTO notifications (notification_id, complaint_id, caused_by, purpose, campus, recipient_role,"
            " recipient_id, status, context, channel_preference, next_attempt_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, 'pending', %s, %s, coalesce(%s, now()))"
            " ON CONFLICT (caused_by, purpose, recipient_id) DO NOTHING",
            (
                str(uuid.uuid4()),
                event.subject,
                event.id,
                message.purpose,
                campus,
                message.recipient_role,
                message.recipient_id,
                psycopg2.extras.Json({**message.context, "correlationid": event.correlationid}),
                message.channel_preference,
                at,
            ),
        )


def letter(cur: Cursor, notification_id: str, lock: bool = False) -> domain.Notification:
    """The letter (locked for the rest of the transaction when it is to change); unknown: UnknownItem."""
    cur.execute(
        f"SELECT {COLUMNS} FROM notifications WHERE notification_id = %s AND channel = 'letter'"
        + (" FOR UPDATE" if lock else ""),
        (notification_id,),
    )
    rows = fetch_dicts(cur)
    if not rows:
        raise UnknownItem(f"no letter {notification_id}")
    return domain.Notification(**rows[0])


def save(cur: Cursor, notification: domain.Notification, outcome: domain.Outcome) -> None:
    """Write the outcome (a channel, error or retry time not decided keeps what was there; ``detail``
    keeps the last error once an attempt succeeds) and append its events."""
    cur.execute(
        "UPDATE notifications SET status = %s, attempts = %s, channel = coalesce(%s, channel), last_error = %s,"
        " detail = coalesce(%s, detail), next_attempt_at = coalesce(%s, next_attempt_at), sent_at = %s,"
        " updated_at = now() WHERE notification_id = %s",
        (
            outcome.status,
            outcome.attempts,
            outcome.channel,
            outcome.error,
            outcome.error,
            outcome.next_attempt_at,
            outcome.sent_at,
            notification.notification_id,
        ),
    )
    for event in outcome.events:
        _append(cur, notification, event)


def _append(cur: Cursor, notification: domain.Notification, event: domain.Event) -> list[Envelope]:
    envelope = new_event(
        SERVICE,
        event.type,
        notification.complaint_id,
        event.data,
        time=event.time,
        causationid=notification.caused_by,
        correlationid=(notification.context or {}).get("correlationid"),
    )
    return STORE.append(cur, notification.complaint_id, None, [envelope])
