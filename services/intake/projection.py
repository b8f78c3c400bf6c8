"""Intake's event handlers: it follows investigation's closing and reopening of a complaint, and which
departments investigate it (their liaisons may read it).

Investigation owns ``ComplaintClosed`` and ``ComplaintReopened``; intake mirrors them in the
complaint's status so its own actions are refused or allowed accordingly. Handlers are idempotent
and order-safe: an event older than the last one followed for the complaint (by investigation's
stream version) changes nothing, so a redelivery or a parked event replayed late never moves the
status back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg2.extras

from services.intake import domain
from shared.consumer import Projector
from shared.db import Cursor
from shared.envelope import Envelope, new_event
from shared.eventstore import EventStore

SERVICE = "intake"
PROJECTOR = Projector(SERVICE)
STORE = EventStore(SERVICE)


def _follow(
    cur: Cursor, event: Envelope, action: str, rule: Callable[[str], str], at_field: str, details: dict[str, Any]
) -> None:
    """Follow investigation's event: the new status and its action row, recorded as intake's own
    ``ComplaintStatusFollowed`` in the same transaction (the complaint rebuilds from intake's log alone)."""
    complaint_id = str(event.data["complaint_id"])
    cur.execute(
        "SELECT status, followed_version, version, campus FROM complaints WHERE complaint_id = %s FOR UPDATE",
        (complaint_id,),
    )
    row = cur.fetchone()
    if row is None:  # parked: investigation knows a complaint intake does not (never expected)
        raise LookupError(f"{event.type} {event.id} for unknown complaint {complaint_id}")
    status, followed, version, campus = row
    if domain.is_stale(followed, event.streamversion):
        return
    new_status = rule(status)
    at = event.data.get(at_field) or event.time
    details = {k: v for k, v in details.items() if v is not None}
    actor = event.data.get("actor") or {}
    followed_event = new_event(
        SERVICE,
        "ComplaintStatusFollowed",
        complaint_id,
        {
            "complaint_id": complaint_id,
            "campus": campus,
            "followed": action,
            "status": new_status,
            "followed_at": at,
            "cause_id": event.id,
            "cause_version": event.streamversion,
            **{k: v for k, v in details.items() if k != "source"},
            **({"actor": actor} if actor else {}),
        },
        time=event.time,
        correlationid=event.correlationid,
        causationid=event.id,
    )
    cur.execute(
        "UPDATE complaints SET status = %s, followed_version = %s, version = %s,"
        " status_changed_at = CASE WHEN status = %s THEN status_changed_at ELSE %s END"
        " WHERE complaint_id = %s",
        (new_status, event.streamversion, version + 1, new_status, at, complaint_id),
    )
    cur.execute(
        "INSERT INTO complaint_actions (complaint_id, action, status_before, status_after, actor_id, actor_role,"
        " occurred_at, details, event_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (event_id) DO NOTHING",
        (
            complaint_id,
            action,
            status,
            new_status,
            actor.get("id"),
            actor.get("role"),
            at,
            psycopg2.extras.Json(details),
            event.id,
        ),
    )
    STORE.append(cur, complaint_id, version, [followed_event])


@PROJECTOR.on("ComplaintClosed")
def closed(cur: Cursor, event: Envelope) -> None:
    """The case was closed: ``closed``, unless intake had already ended the complaint itself."""
    _follow(
        cur,
        event,
        "closed",
        domain.follow_closed,
        "closed_at",
        {"outcome": event.data.get("outcome"), "source": "investigation"},
    )


@PROJECTOR.on("ComplaintReopened")
def reopened(cur: Cursor, event: Envelope) -> None:
    """The complaint was reopened (new facts or evidence, a dissatisfied complainant): ``reopened``."""
    _follow(
        cur,
        event,
        "reopened",
        domain.follow_reopened,
        "reopened_at",
        {"reason": event.data.get("reason"), "note": event.data.get("note"), "source": "investigation"},
    )


@PROJECTOR.on("InvestigationOpened")
def investigating(cur: Cursor, event: Envelope) -> None:
    """Departments assigned to investigate; idempotent (a set union), so order and redelivery do not matter."""
    cur.execute(
        "UPDATE complaints SET investigating_departments = ARRAY(SELECT DISTINCT d FROM unnest("
        "investigating_departments || %s::text[]) AS d ORDER BY d) WHERE complaint_id = %s",
        (list(event.data["departments"]), str(event.data["complaint_id"])),
    )
