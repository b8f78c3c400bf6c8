"""Intake's event handlers: it follows investigation's closing and reopening of a complaint, which
departments investigate it (their liaisons may read it), and the disputes and seals that hold an erasure of
the personal data back (CONTRACT §8).

Investigation owns ``ComplaintClosed`` and ``ComplaintReopened``; intake mirrors them in the
complaint's status so its own actions are refused or allowed accordingly. Handlers are idempotent
and order-safe: an event older than the last one followed for the complaint (by investigation's
stream version) changes nothing, so a redelivery or a parked event replayed late never moves the
status back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.intake import domain, store
from services.intake.settings import SERVICE
from shared.consumer import Projector
from shared.db import Cursor
from shared.envelope import Envelope

PROJECTOR = Projector(SERVICE)
HoldWriter = Callable[[Cursor, str, str, str, Any, str], None]


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


@PROJECTOR.on("DisputeRecorded")
def dispute_recorded(cur: Cursor, event: Envelope) -> None:
    """A dispute holds erasure back until it is settled."""
    _hold(cur, event, store.place_hold, "dispute", "dispute_id", "recorded_at")


@PROJECTOR.on("DisputeSettled")
def dispute_settled(cur: Cursor, event: Envelope) -> None:
    _hold(cur, event, store.release_hold, "dispute", "dispute_id", "settled_at")


@PROJECTOR.on("RecordsSealed")
def records_sealed(cur: Cursor, event: Envelope) -> None:
    """Sealed records hold erasure back until they are unsealed."""
    _hold(cur, event, store.place_hold, "seal", "seal_id", "sealed_at")


@PROJECTOR.on("RecordsUnsealed")
def records_unsealed(cur: Cursor, event: Envelope) -> None:
    _hold(cur, event, store.release_hold, "seal", "seal_id", "unsealed_at")


def _hold(cur: Cursor, event: Envelope, write: HoldWriter, kind: str, id_field: str, at_field: str) -> None:
    data = event.data
    write(cur, kind, str(data[id_field]), str(data["complaint_id"]), data.get(at_field) or event.time, event.id)
