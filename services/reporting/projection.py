"""Reporting's event handlers: the copy of every event, and the statistics projected from it.

Both are batch handlers: one round trip for a whole batch of events (they depend on nothing but
the events themselves).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import psycopg2.extras

from shared import catalogue
from shared.config import load_hospital
from shared.consumer import Projector
from shared.db import Cursor
from shared.envelope import Envelope

SERVICE = "reporting"
PROJECTOR = Projector(SERVICE)
HOSPITAL = load_hospital()
ALL_TYPES = [t for owner in ("intake", "investigation", "notification") for t in catalogue.types_of(owner)]


@PROJECTOR.on_batch(*ALL_TYPES)
def keep_copy(cur: Cursor, events: list[Envelope]) -> None:
    psycopg2.extras.execute_values(
        cur,
        "INSERT INTO event_copy (source, sequence, event_id, type, subject, occurred_at, data) VALUES %s"
        " ON CONFLICT DO NOTHING",
        [(e.service, e.sequence, e.id, e.type, e.subject, e.time, psycopg2.extras.Json(e.data)) for e in events])


@PROJECTOR.on_batch("ComplaintReceived")
def count_received(cur: Cursor, events: list[Envelope]) -> None:
    counts: Counter[tuple[object, str, str]] = Counter()
    for event in events:
        data = event.data
        received_at = datetime.fromisoformat(data["received_at"].replace("Z", "+00:00"))
        day = received_at.astimezone(ZoneInfo(HOSPITAL.campuses[data["campus"]]["timezone"])).date()
        counts[(day, data["campus"], data["category"])] += 1
    psycopg2.extras.execute_values(
        cur,
        "INSERT INTO received_daily AS r (day, campus, category, received) VALUES %s"
        " ON CONFLICT (day, campus, category) DO UPDATE SET received = r.received + EXCLUDED.received",
        [(*key, n) for key, n in counts.items()])
