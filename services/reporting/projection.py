"""Reporting's event handler: the copy of every event, and the statistics projected from it.

One batch handler for every event type of every source, so the copy and the sums change together,
in the consumer's transaction, with the source positions:

1. the batch is copied into ``event_copy`` (an event already there changes nothing);
2. each complaint the new events concern is registered (``rpt_complaints``); one seen before is
   locked and its earlier events are read back;
3. its facts are folded before and after the new events (``domain.fold``); what it contributes now
   minus what it contributed before is added to the sums (``rpt_daily``, ``rpt_monthly``,
   ``received_daily``).

Folding a complaint's whole history again (rather than keeping a running state) is what makes the
incremental projection equal a rebuild by construction, whatever order the sources arrive in.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import orjson

from services.reporting import domain
from services.reporting.domain import Cells, LoggedEvent
from services.reporting.settings import CALENDARS
from shared import catalogue
from shared.consumer import Projector
from shared.db import Cursor, execute_prepared
from shared.envelope import Envelope

SERVICE = "reporting"
PROJECTOR = Projector(SERVICE)
ALL_TYPES = [t for owner in catalogue.SERVICES for t in catalogue.types_of(owner)]
LOCK_CLASS = 0x5250  # first key of reporting's advisory locks ("RP"): rebuilds, publications
_FOLDED = sorted(domain.FOLDED_TYPES)


# The field naming when an event's fact became known, for the types where that is not the event's time:
# a receipt when it was registered (letters and complaint-box items are registered after they arrive).
KNOWN_AT_FIELD = {domain.RECEIPT: "registered_at"}


def known_at(event_type: str, time: datetime, data: dict) -> datetime | str:
    """When the fact became known: the event's time unless :data:`KNOWN_AT_FIELD` names a field of it."""
    given = KNOWN_AT_FIELD.get(event_type)
    if given and data.get(given):
        return data[given]
    return time


@PROJECTOR.on_batch(*ALL_TYPES)
def project(cur: Cursor, events: list[Envelope]) -> None:
    copied = copy_events(cur, events)
    if copied:
        cells, known = delta(cur, copied)
        apply_cells(cur, cells)
        apply_known(cur, known)


def copy_events(cur: Cursor, events: Sequence[Envelope]) -> list[tuple[datetime, Envelope]]:
    """Store the events; returns those that were not stored before, each with when it became known
    (as stored: the bitemporal rows must carry exactly the copy's moments).

    The batch goes as one JSON document that PostgreSQL takes apart (``jsonb_to_recordset``): one
    C-encoded parameter instead of a quoted literal per value is most of the consumer's saving.
    orjson writes it (moments as RFC 3339 with their offset) at a fraction of ``json.dumps``' cost."""
    rows = [
        {
            "source": e.service,
            "sequence": e.sequence,
            "event_id": e.id,
            "type": e.type,
            "subject": e.subject,
            "occurred_at": e.time,
            "data": e.data,
            "complaint_id": str(e.data["complaint_id"]),
            "known_at": known_at(e.type, e.time, e.data),
        }
        for e in events
    ]
    cur.execute(
        "INSERT INTO event_copy (source, sequence, event_id, type, subject, occurred_at, data, complaint_id, known_at)"
        " SELECT * FROM json_to_recordset(%s::json) AS x(source text, sequence bigint, event_id uuid, type text,"
        " subject text, occurred_at timestamptz, data jsonb, complaint_id uuid, known_at timestamptz)"
        " ON CONFLICT DO NOTHING RETURNING source, sequence, known_at",
        (orjson.dumps(rows).decode(),),
    )
    new = {(source, sequence): moment for source, sequence, moment in cur.fetchall()}
    return [(new[(e.service, e.sequence)], e) for e in events if (e.service, e.sequence) in new]


# A complaint's bitemporal rows to write: ``changes``, replacing those known at or after ``since`` (None:
# nothing to replace, the usual case: the new events are known after every earlier one).
KnownRows = dict[str, tuple[datetime | None, list[domain.KnownChange]]]


def delta(cur: Cursor, new: Sequence[tuple[datetime, Envelope]]) -> tuple[Cells, KnownRows]:
    """What the complaints of ``new`` contribute now minus what they contributed before it, and how
    their contributions changed at each moment they became known (``domain.known_changes``)."""
    batch: dict[str, list[domain.KnownEvent]] = defaultdict(list)
    for moment, e in new:
        if e.type in domain.FOLDED_TYPES:
            event = LoggedEvent(e.service, e.sequence, e.type, e.time, e.data)
            batch[str(e.data["complaint_id"])].append((moment, event))
    if not batch:
        return {}, {}
    touched = sorted(batch)
    earlier: dict[str, list[domain.KnownEvent]] = defaultdict(list)
    seen_before = register(cur, touched)
    if seen_before:
        for complaint_id, moment, *row in read_events(cur, seen_before, [e for _, e in new]):
            earlier[complaint_id].append((moment, LoggedEvent(*row)))
    cells: Cells = {}
    known: KnownRows = {}
    for complaint_id in touched:
        before = earlier.get(complaint_id, [])
        before_cells = domain.cells_of([e for _, e in before], CALENDARS)
        after_cells = domain.cells_of([e for _, e in [*before, *batch[complaint_id]]], CALENDARS)
        for key, value in before_cells.items():
            cells[key] = cells.get(key, 0) - value
        for key, value in after_cells.items():
            cells[key] = cells.get(key, 0) + value
        since, changes = domain.known_changes(before, batch[complaint_id], CALENDARS, before_cells, after_cells)
        # Rows to replace only when an earlier event is known at or after the new ones (a late arrival).
        late = any(moment >= since for moment, _ in before)
        known[complaint_id] = (since if late else None, changes)
    return cells, known


def register(cur: Cursor, complaint_ids: Sequence[str]) -> list[str]:
    """Record these complaints as having folded events; returns those that had some before.

    A complaint new to ``rpt_complaints`` has no earlier events to read back (the registry and the
    copy change in the same transactions), which spares most batches a read. A replica registering
    the same complaint at the same moment makes this insert wait for it to commit, and then the
    complaint counts as seen before: its events are read back, after its row is locked."""
    cur.execute(
        "INSERT INTO rpt_complaints (complaint_id) SELECT unnest(%s::uuid[]) ORDER BY 1"
        " ON CONFLICT DO NOTHING RETURNING complaint_id::text",
        (list(complaint_ids),),
    )
    new = {row[0] for row in cur.fetchall()}
    return [c for c in complaint_ids if c not in new]


def read_events(cur: Cursor, complaint_ids: Sequence[str], besides: Sequence[Envelope]) -> list[tuple]:
    """The folded events of these complaints, other than ``besides`` (this batch's, known already).

    First the complaints' rows are locked, serialising replicas per complaint (in key order: no
    deadlock); the read that follows is a statement of its own, so it sees every transaction that
    committed before the lock was ours. Both go in one round trip."""
    cur.execute(
        "SELECT 1 FROM rpt_complaints WHERE complaint_id = ANY(%s::uuid[]) ORDER BY complaint_id FOR UPDATE;"
        " SELECT complaint_id::text, known_at, source, sequence, type, occurred_at, data FROM event_copy"
        " WHERE complaint_id = ANY(%s::uuid[]) AND type = ANY(%s)"
        " AND (source, sequence) NOT IN (SELECT * FROM unnest(%s::text[], %s::bigint[]))",
        (
            list(complaint_ids),
            list(complaint_ids),
            _FOLDED,
            [e.service for e in besides],
            [e.sequence for e in besides],
        ),
    )
    return cur.fetchall()


def apply_cells(cur: Cursor, cells: Cells, suffix: str = "") -> None:
    """Add a delta to the sums (sorted: two replicas lock rows in the same order), and drop rows
    that fell to zero so the tables hold exactly what a rebuild would write. ``suffix`` names the
    tables a rebuild is filling (``_next``)."""
    daily = sorted((k, v) for k, v in cells.items() if v)
    if not daily:
        return
    monthly: Counter[tuple[date, str, str, str, str]] = Counter()
    received: Counter[tuple[date, str, str]] = Counter()
    for (day, where, source, metric, key), value in daily:
        monthly[(domain.month_of(day), where, source, metric, key)] += value
        if metric == domain.RECEIVED_BY["category"]:
            for campus in where.split(","):
                received[(day, campus, key)] += value
    statements = [
        _upsert(cur, f"rpt_daily{suffix}", "day", [(*k, v) for k, v in daily]),
        _upsert(cur, f"rpt_monthly{suffix}", "month", [(*k, v) for k, v in sorted(monthly.items()) if v]),
    ]
    received_rows = [(*k, v) for k, v in sorted(received.items()) if v]
    if received_rows:
        statements.append(
            f"INSERT INTO received_daily{suffix} AS t (day, campus, category, received) VALUES ".encode()
            + b",".join(cur.mogrify("(%s, %s, %s, %s)", row) for row in received_rows)
            + b" ON CONFLICT (day, campus, category) DO UPDATE SET received = t.received + EXCLUDED.received"
        )
    if any(v < 0 for _, v in daily):
        days = sorted({k[0] for k, v in daily if v < 0})
        months = sorted({domain.month_of(day) for day in days})
        statements.append(
            cur.mogrify(
                f"DELETE FROM rpt_daily{suffix} WHERE value = 0 AND day = ANY(%s);"
                f" DELETE FROM rpt_monthly{suffix} WHERE value = 0 AND month = ANY(%s);"
                f" DELETE FROM received_daily{suffix} WHERE received = 0 AND day = ANY(%s)",
                (days, months, days),
            )
        )
    cur.execute(b";".join(s for s in statements if s))


def _upsert(cur: Cursor, table: str, first: str, rows: Iterable[tuple]) -> bytes:
    values = b",".join(cur.mogrify("(%s, %s, %s, %s, %s, %s)", row) for row in rows)
    if not values:
        return b""
    return (
        f"INSERT INTO {table} AS t ({first}, campuses, complaint_source, metric, key, value) VALUES ".encode()
        + values
        + f" ON CONFLICT ({first}, campuses, complaint_source, metric, key)"
        f" DO UPDATE SET value = t.value + EXCLUDED.value".encode()
    )


LOCK_KNOWN = 3  # advisory lock (with LOCK_CLASS): writers of rpt_known share it, a checkpoint takes it alone


def apply_known(cur: Cursor, known: KnownRows) -> None:
    """Replace each complaint's bitemporal rows from its ``since`` on, and carry the difference into
    every checkpoint after it (only an event that arrives after a checkpoint was made, though known
    before it, changes one). One statement: the old rows out, the new in, the checkpoints adjusted."""
    rows = [
        (complaint_id, moment, *cell, value)
        for complaint_id, (_, changes) in known.items()
        for moment, cell, value in changes
    ]
    execute_prepared(
        cur,
        "known_apply",
        "WITH since AS (SELECT * FROM unnest($1::uuid[], $2::timestamptz[]) AS s(complaint_id, since)),"
        " gone AS (DELETE FROM rpt_known k USING since s WHERE k.complaint_id = s.complaint_id"
        "  AND k.known_at >= s.since RETURNING k.known_at, k.day, k.campuses, k.complaint_source, k.metric,"
        "  k.key, -k.value AS value),"
        " added AS (INSERT INTO rpt_known (complaint_id, known_at, day, campuses, complaint_source, metric, key,"
        "  value) SELECT * FROM json_to_recordset($3::json) AS x(complaint_id uuid, known_at timestamptz,"
        "  day date, campuses text, complaint_source text, metric text, key text, value bigint)"
        "  RETURNING known_at, day, campuses, complaint_source, metric, key, value),"
        " x AS (SELECT c.checkpoint, x.* FROM (SELECT * FROM gone UNION ALL SELECT * FROM added) x"
        "  JOIN rpt_known_checkpoints c ON x.known_at < c.checkpoint),"
        " daily AS (INSERT INTO rpt_known_snapshots AS t SELECT checkpoint, day, campuses, complaint_source, metric,"
        "  key, sum(value) FROM x GROUP BY 1, 2, 3, 4, 5, 6"
        "  ON CONFLICT (checkpoint, day, campuses, complaint_source, metric, key)"
        "  DO UPDATE SET value = t.value + EXCLUDED.value)"
        " INSERT INTO rpt_known_snapshots_monthly AS t SELECT checkpoint, date_trunc('month', day)::date, campuses,"
        "  complaint_source, metric, key, sum(value) FROM x GROUP BY 1, 2, 3, 4, 5, 6"
        " ON CONFLICT (checkpoint, month, campuses, complaint_source, metric, key)"
        " DO UPDATE SET value = t.value + EXCLUDED.value",
        (
            [complaint_id for complaint_id, (since, _) in known.items() if since is not None],
            [since for since, _ in known.values() if since is not None],
            orjson.dumps([dict(zip(_KNOWN_COLUMNS, row, strict=True)) for row in rows]).decode(),
        ),
        casts=("uuid[]", "timestamptz[]", "json"),
        # JIT off: the planner's guess for the join with the (usually empty) checkpoints is large enough
        # to JIT-compile the statement, ~0.8 s per batch for work that takes a few milliseconds. Prepared:
        # its planning cost as much as its work in a batch of one event.
        before="SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_generic_plan;"
        " SELECT pg_advisory_xact_lock_shared(%s, %s)",
        before_params=(LOCK_CLASS, LOCK_KNOWN),
    )


_KNOWN_COLUMNS = ("complaint_id", "known_at", "day", "campuses", "complaint_source", "metric", "key", "value")
