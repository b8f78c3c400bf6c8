"""Intake's event handlers: it follows investigation's closing and reopening of a complaint, and which
departments investigate it (their liaisons may read it).

Investigation owns ``ComplaintClosed`` and ``ComplaintReopened``; intake mirrors them in the
complaint's status so its own actions are refused or allowed accordingly. Handlers are idempotent
and order-safe: an event older than the last one followed for the complaint (by investigation's
stream version) changes nothing, so a redelivery or a parked event replayed late never moves the
status back.
"""

from __future__ import annotations

from services.intake import domain, store
from services.intake.settings import SERVICE
from shared.consumer import Projector
from shared.db import Cursor
from shared.envelope import Envelope

PROJECTOR = Projector(SERVICE)


@PROJECTOR.on("ComplaintClosed")
def closed(cur: Cursor, event: Envelope) -> None:
    """The case was closed: ``closed``, unless intake had already ended the complaint itself."""
    store.follow(
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
    store.follow(
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
    store.add_investigating(cur, str(event.data["complaint_id"]), list(event.data["departments"]))
