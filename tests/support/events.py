"""Appending test events quickly through the real store."""

from __future__ import annotations

import uuid

from shared.db import Database
from shared.envelope import Envelope, new_event
from shared.eventstore import EventStore


def withdrawn(service_stream: str, n: int = 0) -> Envelope:
    return new_event(
        "intake",
        "ComplaintWithdrawn",
        service_stream,
        {
            "complaint_id": service_stream,
            "campus": "east",
            "withdrawn_at": "2026-03-02T08:00:00Z",
            "reason": f"note {n}",
        },
    )


def append_many(db: Database, count: int, per_transaction: int = 100, per_stream: int = 1) -> None:
    """``count`` intake events, ``per_transaction`` of them per transaction, ``per_stream`` per append."""
    store = EventStore("intake")
    made = 0
    while made < count:
        with db.transaction() as cur:
            in_transaction = min(per_transaction, count - made)
            while in_transaction > 0:
                stream = str(uuid.uuid4())
                n = min(per_stream, in_transaction)
                store.append(cur, stream, 0, [withdrawn(stream, made + i) for i in range(n)])
                made += n
                in_transaction -= n
