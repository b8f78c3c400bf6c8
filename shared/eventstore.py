"""The event store: each service's own log in its own database.

Guarantees (pinned by tests/integration/test_eventstore.py):
- ``append`` writes in the caller's transaction, so events commit with the state they record;
- a stream's version must equal ``expected_version``, else :class:`ConcurrencyError` and nothing
  of that transaction is written;
- ``sequence`` is gap-free and in commit order: it is taken from the one-row ``log_head`` under
  its row lock, held until commit, so a reader that follows ``sequence`` never skips a row that
  commits later, and a rollback gives its numbers back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg2.extras

from shared.db import Cursor, hold_until_commit
from shared.envelope import Envelope, EnvelopeError, rfc3339, source_of

NOTIFY_CHANNEL = "events_appended"
_COLUMNS = (
    "sequence, id, stream_id, stream_version, type, schema_version, occurred_at,"
    " correlation_id, causation_id, data, extensions, prev_hash"
)


@dataclass(frozen=True)
class StreamScope:
    """The streams a reader may see, as a query of the service's own tables selecting stream ids (text)."""

    sql: str
    args: tuple[Any, ...] = ()


class ConcurrencyError(Exception):
    """Another writer changed the stream since the caller read it."""

    def __init__(self, stream_id: str, expected: int, actual: int):
        super().__init__(f"stream {stream_id} is at version {actual}, expected {expected}")
        self.stream_id, self.expected, self.actual = stream_id, expected, actual


class EventStore:
    def __init__(self, service: str):
        self.service = service
        self.source = source_of(service)

    def append(
        self, cur: Cursor, stream_id: str, expected_version: int | None, events: Sequence[Envelope]
    ) -> list[Envelope]:
        """Append ``events`` to ``stream_id``; ``expected_version=None`` appends whatever the version.

        Call it last in the transaction: from here until commit, writers of this service queue
        on the log head.
        """
        if not events:
            return []
        for event in events:
            if event.source != self.source or event.subject != stream_id:
                raise EnvelopeError(
                    {
                        "source": [
                            f"{event.type} for {event.subject} does not belong to stream {stream_id} of {self.source}"
                        ]
                    }
                )
        cur.execute(
            "UPDATE log_head SET last_sequence = last_sequence + %s RETURNING last_sequence, last_hash", (len(events),)
        )
        last_sequence, previous_hash = cur.fetchone()
        hold_until_commit(cur)  # every writer of the service now queues behind this transaction
        cur.execute("SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = %s", (stream_id,))
        version = cur.fetchone()[0]
        if expected_version is not None and version != expected_version:
            raise ConcurrencyError(stream_id, expected_version, version)
        first = last_sequence - len(events) + 1
        placed, hashes = [], []
        for i, event in enumerate(events):
            event = event.with_position(first + i, version + 1 + i, previous_hash)
            previous_hash = chain_hash(previous_hash, event)
            placed.append(event)
            hashes.append(previous_hash)
        psycopg2.extras.execute_values(
            cur,
            f"INSERT INTO events ({_COLUMNS}, hash) VALUES %s",
            [
                (
                    e.sequence,
                    e.id,
                    e.subject,
                    e.streamversion,
                    e.type,
                    e.schema_version,
                    e.time,
                    e.correlationid,
                    e.causationid,
                    psycopg2.extras.Json(e.data),
                    psycopg2.extras.Json(e.extensions),
                    e.prevhash,
                    h,
                )
                for e, h in zip(placed, hashes, strict=True)
            ],
        )
        cur.execute("UPDATE log_head SET last_hash = %s", (previous_hash,))
        # Delivered at commit, and only if it commits: wakes the relay without polling.
        cur.execute(f"NOTIFY {NOTIFY_CHANNEL}")
        return placed

    def _envelope(self, row: Sequence[Any]) -> Envelope:
        (
            sequence,
            event_id,
            stream_id,
            stream_version,
            event_type,
            schema_version,
            occurred_at,
            correlation_id,
            causation_id,
            data,
            extensions,
            prev_hash,
        ) = row
        return Envelope(
            id=str(event_id),
            type=event_type,
            source=self.source,
            subject=stream_id,
            time=occurred_at,
            data=data,
            schema_version=schema_version,
            sequence=sequence,
            streamversion=stream_version,
            correlationid=correlation_id,
            causationid=causation_id,
            extensions=extensions,
            prevhash=prev_hash,
        )

    def read_stream(self, cur: Cursor, stream_id: str, after_version: int = 0) -> list[Envelope]:
        cur.execute(
            f"SELECT {_COLUMNS} FROM events WHERE stream_id = %s AND stream_version > %s ORDER BY stream_version",
            (stream_id, after_version),
        )
        return [self._envelope(row) for row in cur.fetchall()]

    def read_after(
        self,
        cur: Cursor,
        after: int,
        limit: int = 500,
        *,
        subject: str | None = None,
        within: StreamScope | None = None,
    ) -> list[Envelope]:
        """Events after ``after`` in sequence order; only those of stream ``subject`` if given (read through
        the stream index: within a stream, version order is sequence order), and only those of the streams
        ``within`` selects (the caller's scope) if given. ``limit`` counts what is returned."""
        clauses, args = ["sequence > %s"], [after]
        order = "sequence"
        if subject is not None:
            clauses.append("stream_id = %s")
            args.append(subject)
            order = "stream_version"
        if within is not None:
            clauses.append(f"stream_id IN ({within.sql})")
            args.extend(within.args)
        cur.execute(
            f"SELECT {_COLUMNS} FROM events WHERE {' AND '.join(clauses)} ORDER BY {order} LIMIT %s", (*args, limit)
        )
        return [self._envelope(row) for row in cur.fetchall()]

    def head(self, cur: Cursor) -> int:
        """The last sequence committed (as far as this transaction can see)."""
        cur.execute("SELECT coalesce(max(sequence), 0) FROM events")
        return cur.fetchone()[0]

    def head_link(self, cur: Cursor) -> tuple[int, str]:
        """The last sequence committed and its chain hash ("" for an empty log), as this transaction sees them."""
        cur.execute("SELECT sequence, hash FROM events ORDER BY sequence DESC LIMIT 1")
        row = cur.fetchone()
        return (int(row[0]), str(row[1])) if row else (0, "")

    def stream_version(self, cur: Cursor, stream_id: str) -> int:
        cur.execute("SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = %s", (stream_id,))
        return cur.fetchone()[0]


def chain_hash(previous_hash: str, event: Envelope) -> str:
    """The hash of ``event`` chained to the one before: SHA-256 over the previous hash and the event's
    canonical JSON (sorted keys), so any change to a stored event, or a missing one, shows."""
    canonical = json.dumps(
        [
            event.sequence,
            event.id,
            event.subject,
            event.streamversion,
            event.type,
            event.schema_version,
            rfc3339(event.time),
            event.correlationid,
            event.causationid,
            event.data,
            event.extensions,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(f"{previous_hash}\n{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class BrokenLink:
    sequence: int
    reason: str


def verify_chain(cur: Cursor, service: str, batch: int = 5000) -> tuple[int, BrokenLink | None]:
    """Walk the whole log in sequence order; returns (events checked, the first broken link or None)."""
    store = EventStore(service)
    previous_hash, expected, checked = "", 1, 0
    while True:
        cur.execute(
            f"SELECT {_COLUMNS}, hash FROM events WHERE sequence >= %s ORDER BY sequence LIMIT %s", (expected, batch)
        )
        rows = cur.fetchall()
        if not rows:
            cur.execute("SELECT last_sequence, last_hash FROM log_head")
            last_sequence, last_hash = cur.fetchone()
            if last_sequence != expected - 1:
                return checked, BrokenLink(expected, f"the log head says {last_sequence} events, found {checked}")
            if last_hash != previous_hash:
                return checked, BrokenLink(expected - 1, "the log head's hash does not match the last event")
            return checked, None
        for row in rows:
            event, stored_hash = store._envelope(row[:-1]), row[-1]
            if event.sequence != expected:
                return checked, BrokenLink(expected, f"event {expected} is missing (next is {event.sequence})")
            if event.prevhash != previous_hash:
                return checked, BrokenLink(expected, "does not carry the hash of the event before it")
            previous_hash = chain_hash(previous_hash, event)
            if stored_hash != previous_hash:
                return checked, BrokenLink(expected, "its content does not match its hash (changed since written)")
            expected += 1
            checked += 1
