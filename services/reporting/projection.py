"""Reporting's event handlers: the copy of every event, and the statistics projected from it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from shared import catalogue
from shared.config import load_hospital
from shared.consumer import Projector
from shared.db import Cursor
from shared.envelope import Envelope

SERVICE = "reporting"
PROJECTOR = Projector(SERVICE)
HOSPITAL = load_hospital()


@PROJECTOR.on(*(t for owner in ("intake", "investigation", "notification") for t in catalogue.types_of(owner)))
def keep_copy(cur: Cursor, event: Envelope) -> None:
    cur.execute(
        "INSERT INTO event_copy (source, sequence, event_id, type, subject, occurred_at, data)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (event.service, event.sequence, event.id, event.type, event.subject, event.time, event.data))


@PROJECTOR.on("ComplaintReceived")
def count_received(cur: Cursor, event: Envelope) -> None:
    data = event.data
    received_at = datetime.fromisoformat(data["received_at"].replace("Z", "+00:00"))
    day = received_at.astimezone(ZoneInfo(HOSPITAL.campuses[data["campus"]]["timezone"])).date()
    cur.execute(
        "INSERT INTO received_daily AS r (day, campus, category, received) VALUES (%s, %s, %s, 1)"
        " ON CONFLICT (day, campus, category) DO UPDATE SET received = r.received + 1",
        (day, data["campus"], data["category"]))
