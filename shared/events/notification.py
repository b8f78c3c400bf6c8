"""The event types notification publishes (CONTRACT §3): a reply or reminder delivered, a notification
that could not be."""

from __future__ import annotations

from shared.events.fields import EventType, campus_optional, choice, code, count, declare, text, uuid_field, when
from shared.events.vocabularies import (
    DEADLINE_KINDS,
    NOTIFICATION,
    NOTIFICATION_CHANNELS,
    NOTIFICATION_PURPOSES,
    REPLY_KINDS,
    ROLES,
)

#: in contract order
TYPES: tuple[EventType, ...] = (
    declare(
        NOTIFICATION,
        "ReplySent",
        "The reply (or an interim feedback) was delivered to the complainant: a reply stops the first-reply "
        "clock, either meets the statutory feedback clock.",
        campus=campus_optional(),
        reply_id=uuid_field(description="the reply's id, or the interim feedback's feedback_id"),
        notification_id=uuid_field(),
        channel=choice(NOTIFICATION_CHANNELS),
        sent_at=when(),
        reply_kind=choice(REPLY_KINDS, required=False, description='"interim" for interim feedback; absent: final'),
    ),
    declare(
        NOTIFICATION,
        "ReminderSent",
        "A deadline reminder was delivered to staff.",
        campus=campus_optional(),
        notification_id=uuid_field(),
        kind=choice(DEADLINE_KINDS, description="kind of the deadline reminded of"),
        department=code(required=False),
        recipient_role=choice(ROLES),
        channel=choice(NOTIFICATION_CHANNELS, required=False),
        due_at=when(required=False),
        sent_at=when(),
    ),
    declare(
        NOTIFICATION,
        "NotificationFailed",
        "A notification could not be delivered after retrying.",
        campus=campus_optional(),
        notification_id=uuid_field(),
        purpose=choice(NOTIFICATION_PURPOSES),
        channel=choice(NOTIFICATION_CHANNELS),
        reply_id=uuid_field(required=False, description="for purpose reply"),
        attempts=count(1),
        error=text(min_length=1),
        failed_at=when(),
        reason=choice(
            ("no_address",),
            required=False,
            description="no_address: a letter was due and the complainant gave no postal address (nothing queued)",
        ),
    ),
)
