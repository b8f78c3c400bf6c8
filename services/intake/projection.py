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
from shared.envelope import Envelope

SERVICE = "intake"
PROJECTOR = Projector(SERVICE)


def _follow(cur: Cursor, event: Envelope, action: str, rule: Callable[[str], str], at_field: str,
            details: dict[str, Any]) -> None:
    complaint_id = str(event.data["complaint_id"])
    cur.execute("SELECT status, followed_version FROM complaints WHERE complaint_id = %s FOR UPDATE",
                (complaint_id,))
    row = cur.fetchone()
    if row is None:  # parked: investigation knows a complaint intake does not (never expected)
        raise LookupError(f"{event.type} {event.id} for unknown complaint {complaint_id}")
    status, followed = row
    if domain.is_stale(followed, event.streamversion):
        return
    new_status = rule(status)
    at = event.data.get(at_field) or event.time
    cur.execute(
        "UPDATE complaints SET status = %s, followed_version = %s,"
        " status_changed_at = CASE WHEN status = %s THEN status_changed_at ELSE %s END"
        " WHERE complaint_id = %s",
        (new_status, event.streamversion, new_status, at, complaint_id))
    actor = event.data.get("actor") or {}
    cur.execute(
        "INSERT INTO complaint_actions (complaint_id, action, status_before, status_after, actor_id, actor_role,"
        " occurred_at, details, event_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (event_id) DO NOTHING",
        (complaint_id, action, status, new_status, actor.get("id"), actor.get("role"), at,
         psycopg2.extras.Json({k: v for k, v in details.items() if v is not None}), event.id))


@PROJECTOR.on("ComplaintClosed")
def closed(cur: Cursor, event: Envelope) -> None:
    """The case was closed: ``closed``, unless intake had already ended the complaint itself."""
    _follow(cur, event, "closed", domain.follow_closed, "closed_at",
            {"outcome": event.data.get("outcome"), "source": "investigation"})


@PROJECTOR.on("ComplaintReopened")
def reopened(cur: Cursor, event: Envelope) -> None:
    """The complaint was reopened (new facts or evidence, a dissatisfied complainant): ``reopened``."""
    _follow(cur, event, "reopened", domain.follow_reopened, "reopened_at",
            {"reason": event.data.get("reason"), "note": event.data.get("note"), "source": "investigation"})


@PROJECTOR.on("InvestigationOpened")
def investigating(cur: Cursor, event: Envelope) -> None:
    """Departments assigned to investigate; idempotent (a set union), so order and redelivery do not matter."""
    cur.execute("UPDATE complaints SET investigating_departments = ARRAY(SELECT DISTINCT d FROM unnest("
                "investigating_departments || %s::text[]) AS d ORDER BY d) WHERE complaint_id = %s",
                (list(event.data["departments"]), str(event.data["complaint_id"])))
