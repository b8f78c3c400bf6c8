"""The bitemporal read model behind "as of" (``rpt_known``): each complaint's contributions as changes
dated by the moment they became known, so that the sums as of T are the changes known by T, added up
in SQL, instead of a fold of the log. The consumer keeps it (``projection.apply_known``); here:

- :func:`cells` answers "as of T" for some ranges of days: the checkpoint before T plus the tail;
- :func:`make_checkpoints` sums everything known before each month start into ``rpt_known_snapshots``
  (the service does it every hour for months that ended a day ago, see ``CHECKPOINT_MARGIN``);
- ``python -m services.reporting.known`` builds the model from the copy of the log, for a database that
  had history before it existed (it holds the consumer back for its duration), and marks it complete.

Until it is complete, "as of" folds the log (``queries.log_cells``), as before.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta

import psycopg2
import psycopg2.extensions

from services.reporting import domain, rebuild
from services.reporting.domain import Calendars, Cells, LoggedEvent, Period
from services.reporting.projection import LOCK_CLASS, LOCK_KNOWN, SERVICE
from services.reporting.settings import CALENDARS
from shared import config
from shared.db import Cursor
from shared.runtime import BackgroundLoop, database

# A checkpoint is made once its moment lies this far back: events known before it still arriving
# afterwards (a source catching up) are carried into it by the consumer, but rarely.
CHECKPOINT_MARGIN = timedelta(days=1)
_FOLDED = sorted(domain.FOLDED_TYPES)
COLUMNS = "day, campuses, complaint_source, metric, key"
CELL = "campuses, complaint_source, metric, key"
_KNOWN_COLUMNS = "complaint_id, known_at, day, campuses, complaint_source, metric, key, value"


def complete(cur: Cursor) -> bool:
    cur.execute("SELECT complete FROM rpt_known_state")
    row = cur.fetchone()
    return bool(row and row[0])


def checkpoint_before(cur: Cursor, as_of: datetime) -> datetime | None:
    cur.execute("SELECT max(checkpoint) FROM rpt_known_checkpoints WHERE checkpoint <= %s", (as_of,))
    row = cur.fetchone()
    return row[0] if row else None


def _days(windows: Sequence[Period], alias: str) -> tuple[str, list[date]]:
    clause = " OR ".join(f"{alias}.day BETWEEN %s AND %s" for _ in windows)
    return f"({clause})", [d for window in windows for d in (window.start, window.end)]


def cells(cur: Cursor, windows: Sequence[Period], as_of: datetime) -> Cells:
    """The cells of ``windows``' days as of ``as_of``: equal to folding every complaint's events known
    by then (``queries.log_cells``), summed by PostgreSQL."""
    checkpoint = checkpoint_before(cur, as_of)
    tail_days, tail_args = _days(windows, "k")
    parts = [
        f"SELECT {COLUMNS}, value FROM rpt_known k WHERE k.known_at <= %s"
        + (" AND k.known_at >= %s" if checkpoint else "")
        + f" AND {tail_days}"
    ]
    args: list = [as_of, *([checkpoint] if checkpoint else []), *tail_args]
    if checkpoint:
        snap_days, snap_args = _days(windows, "s")
        parts.append(f"SELECT {COLUMNS}, value FROM rpt_known_snapshots s WHERE s.checkpoint = %s AND {snap_days}")
        args += [checkpoint, *snap_args]
    cur.execute(
        f"SELECT {COLUMNS}, sum(value)::bigint FROM ({' UNION ALL '.join(parts)}) x"
        f" GROUP BY {COLUMNS} HAVING sum(value) <> 0",
        args,
    )
    return {(day, where, source, metric, key): value for day, where, source, metric, key, value in cur.fetchall()}


def _month_starts(first: datetime, last: datetime) -> Iterator[datetime]:
    moment = datetime(first.year, first.month, 1, tzinfo=UTC)
    while moment <= last:
        if moment > first:
            yield moment
        moment = (moment + timedelta(days=32)).replace(day=1)


def make_checkpoints(cur: Cursor, now: datetime | None = None) -> list[datetime]:
    """Checkpoint every month start since the first known change (or the last checkpoint) up to
    ``now - CHECKPOINT_MARGIN``; returns those made. Each is the one before plus the changes known
    between the two. Alone against the consumer's writes (the advisory lock), so that every change
    known before a checkpoint is either in it or carried into it by the writer that adds it."""
    latest = (now or datetime.now(UTC)) - CHECKPOINT_MARGIN
    cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, LOCK_KNOWN))
    cur.execute("SELECT max(checkpoint) FROM rpt_known_checkpoints")
    previous = cur.fetchone()[0]
    if previous is None:
        cur.execute("SELECT min(known_at) FROM rpt_known")
        first = cur.fetchone()[0]
        if first is None:
            return []
    made = []
    for checkpoint in _month_starts(previous or first, latest):
        cur.execute("INSERT INTO rpt_known_checkpoints (checkpoint) VALUES (%s)", (checkpoint,))
        cur.execute(
            f"INSERT INTO rpt_known_snapshots SELECT %s, {COLUMNS}, sum(value) FROM ("
            f" SELECT {COLUMNS}, value FROM rpt_known_snapshots WHERE checkpoint = %s"
            f" UNION ALL SELECT {COLUMNS}, value FROM rpt_known WHERE known_at < %s"
            + (" AND known_at >= %s" if previous else "")
            + f") x GROUP BY {COLUMNS} HAVING sum(value) <> 0",
            [checkpoint, previous, checkpoint, *([previous] if previous else [])],
        )
        cur.execute(
            f"INSERT INTO rpt_known_snapshots_monthly SELECT checkpoint, date_trunc('month', day)::date,"
            f" {CELL}, sum(value) FROM rpt_known_snapshots WHERE checkpoint = %s"
            " GROUP BY 1, 2, 3, 4, 5, 6",
            (checkpoint,),
        )
        made.append(checkpoint)
        previous = checkpoint
    return made


class Checkpointer(BackgroundLoop):
    """Makes the month starts' checkpoints in the background (every replica tries; the lock makes one
    do it, the others find it made)."""

    interval = 3600.0

    def setup(self) -> None:
        super().setup()
        self.db = database(SERVICE)

    def round(self) -> None:
        with self.db.transaction() as cur:
            if complete(cur):
                make_checkpoints(cur)


# --------------------------------------------------------------------------------------------
# Building the model from the copy of the log
# --------------------------------------------------------------------------------------------


def _complaints(conn: psycopg2.extensions.connection) -> Iterator[tuple[str, list[domain.KnownEvent]]]:
    """Each complaint's folded events with when they became known, from one server-side scan."""
    with conn.cursor(name="known_scan") as cur:
        cur.itersize = 5000
        cur.execute(
            "SELECT complaint_id::text, known_at, source, sequence, type, occurred_at, data FROM event_copy"
            " WHERE type = ANY(%s) ORDER BY complaint_id",
            (_FOLDED,),
        )
        current, events = None, []
        for complaint_id, moment, *row in cur:
            if complaint_id != current:
                if events:
                    yield current, events
                current, events = complaint_id, []
            events.append((moment, LoggedEvent(*row)))
        if events:
            yield current, events


def build(dsn: str, calendars: Calendars = CALENDARS) -> dict:
    """Fill ``rpt_known`` from the copy of the log in one transaction (writers wait for it), make the
    checkpoints and mark the model complete. Returns what it did."""
    started = time.perf_counter()
    conn = psycopg2.connect(dsn)
    changes = complaints = 0
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, LOCK_KNOWN))
            cur.execute("LOCK TABLE event_copy IN SHARE MODE")  # the copy as the model sees it
            cur.execute("TRUNCATE rpt_known, rpt_known_checkpoints CASCADE")
            rows: list[tuple] = []
            for complaint_id, events in _complaints(conn):
                complaints += 1
                rows += [(complaint_id, m, *cell, v) for m, cell, v in domain.known_history(events, calendars)]
                if len(rows) >= 50_000:
                    changes += len(rows)
                    rebuild.write(cur, "rpt_known", _KNOWN_COLUMNS, rows)
                    rows = []
            changes += len(rows)
            rebuild.write(cur, "rpt_known", _KNOWN_COLUMNS, rows)
            cur.execute("ANALYZE rpt_known")
            checkpoints = make_checkpoints(cur)
            cur.execute("UPDATE rpt_known_state SET complete = true")
    finally:
        conn.close()
    seconds = time.perf_counter() - started
    return {"complaints": complaints, "changes": changes, "checkpoints": len(checkpoints), "seconds": seconds}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="Build reporting's bitemporal read model from its copy of the log.")
    parser.add_argument("--dsn", help="reporting's database (default: the service's configured one)")
    args = parser.parse_args(argv)
    done = build(args.dsn or config.database_url("reporting"))
    print(json.dumps({**done, "peak_rss_mb": rebuild.peak_rss_mb()}))


if __name__ == "__main__":
    main(sys.argv[1:])
