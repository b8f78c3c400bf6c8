"""One deadline-engine tick with 1,000,000 open cases, beside a tick over an empty table (same run).

What is measured: ``DeadlineEngine.tick(now)`` — the whole tick, reminders and breaches — when
(a) no case exists, (b) 1,000,000 open cases exist and none falls due, (c) the same plus a handful
that fall due now (each emitting its reminder or breach). The engine reads only rows falling due
through partial indexes, so (b) should cost what (a) costs. Target: < 50 ms per tick.

    PYTHONPATH=. .venv/bin/python bench/deadline_tick.py [--quick] [--cases 1000000] [--due 10] [--ticks 20]
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

os.environ.setdefault("INVESTIGATION_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench_deadline_tick")

from bench import _support  # noqa: E402
from services.investigation import projection  # noqa: E402
from services.investigation.deadlines import DeadlineEngine  # noqa: E402
from shared.db import Database, make_cooperative  # noqa: E402
from shared.envelope import new_event  # noqa: E402
from tests.support.databases import fresh_service_database  # noqa: E402

make_cooperative()
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def received(received_at: datetime, departments: list[str]):
    complaint_id = str(uuid.uuid4())
    return new_event(
        "intake",
        "ComplaintReceived",
        complaint_id,
        {
            "complaint_id": complaint_id,
            "reference": "EAST-2026-000001",
            "campus": "east",
            "channel": "phone",
            "category": "billing",
            "severity": "normal",
            "source": "patient_or_family",
            "departments": departments,
            "received_at": received_at.isoformat(),
            "anonymous": False,
            "has_contact": True,
        },
        time=received_at,
    ).with_position(1, 1)


def ticks(engine: DeadlineEngine, n: int) -> list[float]:
    timings = []
    for _ in range(n):
        started = time.perf_counter()
        engine.tick(NOW)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def clone_cases(db: Database, template_id: str, count: int) -> None:
    """``count`` copies of one real case (state and deadlines), all falling due far in the future."""
    with db.transaction() as cur:
        cur.execute(
            """
            INSERT INTO cases (complaint_id, reference, campus, category, severity, source, status, departments,
                               escalated, provisional, received_at, updated_at, version, state)
            SELECT gen_random_uuid(), reference, campus, category, severity, source, status, departments,
                   escalated, provisional, received_at, updated_at, version, state
            FROM cases, generate_series(1, %s) WHERE complaint_id = %s""",
            (count, template_id),
        )
        cur.execute(
            """
            INSERT INTO deadlines (complaint_id, key, campus, kind, department, due_at, remind_at, last_day,
                working_days, provisional, calendar_version, policy_version, status, reminded, on_hold, started_at)
            SELECT c.complaint_id, d.key, d.campus, d.kind, d.department,
                   d.due_at + (random() * interval '300 days'), d.remind_at + interval '300 days', d.last_day,
                   d.working_days, d.provisional, d.calendar_version, d.policy_version, d.status, d.reminded,
                   d.on_hold, d.started_at
            FROM cases c JOIN deadlines d ON d.complaint_id = %s WHERE c.complaint_id <> %s""",
            (template_id, template_id),
        )
        cur.execute("ANALYZE cases")
        cur.execute("ANALYZE deadlines")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10, help="cases falling due in figure (c)")
    parser.add_argument("--ticks", type=int, default=20)
    parser.add_argument("--keep-db", action="store_true", help="do not drop the bench database")
    args = _support.parse_with_quick(parser, {"cases": 2000, "due": 3, "ticks": 5})

    dsn = fresh_service_database("investigation")
    db = Database(dsn, size=4)
    engine = DeadlineEngine(db)
    empty = ticks(engine, args.ticks)

    # One real case far in the future, cloned to --cases open cases (two deadlines each).
    template = received(NOW + timedelta(days=30), ["cardiology"])
    with db.transaction() as cur:
        projection.open_case(cur, template)
    started = time.perf_counter()
    clone_cases(db, template.subject, args.cases - 1)
    print(f"setup: {args.cases:,} open cases with {args.cases * 2:,} deadlines in {time.perf_counter() - started:.0f}s")
    full = ticks(engine, args.ticks)

    # A handful falling due now: received three weeks ago, both deadlines past.
    with db.transaction() as cur:
        for _ in range(args.due):
            projection.open_case(cur, received(NOW - timedelta(days=21), ["nursing"]))
    started = time.perf_counter()
    result = engine.tick(NOW)
    due_ms = (time.perf_counter() - started) * 1000

    e, f = statistics.median(empty), statistics.median(full)
    print(f"{'figure':58} {'median ms':>10} {'max ms':>8}")
    print(f"{'(a) tick, empty table (baseline)':58} {e:10.2f} {max(empty):8.2f}")
    print(f"{f'(b) tick, {args.cases:,} open cases, none due':58} {f:10.2f} {max(full):8.2f}")
    print(f"{f'(c) tick, {args.cases:,} open, {result.total} reminders/breaches due':58} {due_ms:10.2f}")
    print(
        f"deadline tick: {f:.2f} ms with {args.cases:,} open cases vs {e:.2f} ms empty "
        f"(ratio {f / e:.2f}x); target < 50 ms: {'met' if f < 50 else 'NOT met'}"
    )
    db.close()
    if not args.keep_db:
        _support.drop_database(dsn)


if __name__ == "__main__":
    main()
