"""Notification's event handlers: each event's messages are queued for delivery (delivery.py sends
them). Queued in the consumer's transaction, keyed by the causing event: a redelivered event never
queues a second message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from services.notification import domain, settings, store
from services.notification.settings import DIRECTORY, HOSPITAL
from shared.consumer import Projector
from shared.db import Cursor
from shared.envelope import Envelope
from shared.workdays import next_office_moment

SERVICE = "notification"
PROJECTOR = Projector(SERVICE)


@PROJECTOR.on(*domain.PLANNERS)  # every event type some message is planned for
def queue_messages(cur: Cursor, event: Envelope) -> None:
    campus = event.data.get("campus") or ""
    policy = HOSPITAL.campuses[campus]["policy"] if campus in HOSPITAL.campuses else {}
    planned = domain.plan(event.type, event.data, DIRECTORY, policy)
    store.queue(cur, event, campus, planned, [when_to_send(campus, message) for message in planned])


def clock() -> datetime:
    """Now (a test may replace it to stand anywhere in the week)."""
    return datetime.now(UTC)


def when_to_send(campus: str, message: domain.Planned, now: Callable[[], datetime] | None = None) -> datetime:
    """Now, or for a message that waits for office hours the campus office's next opening (CONTRACT §7)."""
    moment = (now or clock)()
    if not message.office_hours or settings.OFFICE_HOURS_ALWAYS_OPEN or campus not in settings.CALENDARS:
        return moment
    return next_office_moment(settings.CALENDARS[campus], settings.OFFICE_HOURS[campus], moment)
