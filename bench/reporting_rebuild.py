"""Reporting rebuild: how fast every projection is rebuilt from the copy of the log, against a raw scan.

A fresh database with reporting's real migrations gets N events (default 1,000,000) in
``event_copy``, COPYed in bulk: complaint histories of the seeded simulator
(``tests/support/simulate.py``: receipts, openings with working-day deadlines, reclassifications,
assignments, extensions, findings, breaches, reminders, replies, follow-ups and reopenings,
rectifications, disputes, closes; every event catalogue-valid) received over two years, in time
order per source as a real log. Then, in the same run:

(a) ``rebuild``: ``python -m services.reporting.rebuild`` as a process of its own, exactly as an
    operator or ``POST /admin/rebuild`` runs it (snapshot, fold every complaint, new tables, swap).
    Its figure is the rebuild's own elapsed time (reported by it, without the interpreter's start);
    its peak memory is the process's maximum resident set size.
(b) ``raw scan``: a plain psycopg2 server-side cursor reading every row of the same ``event_copy``
    (``SELECT *``, itersize 5000, psycopg2's default decoding of jsonb and timestamps), doing
    nothing with the rows; also a process of its own, measured the same way. It runs before and
    after (a); the faster of the two is the baseline.

Target: (a) >= 70 % of (b)'s events/s, (a) < 200 MB peak. Then, over the rebuilt projection, the
monthly summary the service answers for ``GET /reports/monthly`` (group-wide and per campus, JSON
figures: totals, a year earlier, daily series, spikes), timed warm, median of 20: target < 100 ms.
For information, the same month computed "as of" a moment from the log alone.

    PYTHONPATH=. .venv/bin/python bench/reporting_rebuild.py [--quick] [--events 1000000] [--keep-db]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics as stats
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

os.environ.setdefault("DATABASE_URL_TEMPLATE", "postgresql://postgres@127.0.0.1:5432/bench_{service}")

import psycopg2

from bench import _support
from services.reporting import domain as figures
from services.reporting import queries
from services.reporting.projection import known_at
from services.reporting.rebuild import peak_rss_mb
from services.reporting.settings import CALENDARS, DEFAULT_TIMEZONE
from shared import config
from shared.db import migrate
from tests.support import simulate
from tests.support.databases import recreate

TARGET_RATIO = 0.7  # issue 21 (0.5 before)
TARGET_MB = 200
TARGET_MS = 100
EVENTS_PER_COMPLAINT = 8.6  # what the simulator's lifecycles average
START = datetime(2024, 12, 1, tzinfo=UTC)
DAYS = 730


def drop_database(dsn: str) -> None:
    conn = psycopg2.connect(dsn.rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{dsn.rsplit("/", 1)[1]}" WITH (FORCE)')
    conn.close()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the log (about)")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the bench database")
    parser.add_argument("--raw-scan", metavar="DSN", help=argparse.SUPPRESS)  # the (b) child process
    return _support.parse_with_quick(parser, {"events": 20_000})


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def fill(dsn: str, events: int) -> tuple[int, float]:
    """COPY about ``events`` simulated events into event_copy, in chunks; returns (count, seconds)."""
    started = time.perf_counter()
    complaints = int(events / EVENTS_PER_COMPLAINT)
    log = simulate.Log(seed=5)
    conn = psycopg2.connect(dsn)
    buffer, count = io.StringIO(), 0
    columns = "source, sequence, event_id, type, subject, occurred_at, data, complaint_id, known_at"
    with conn, conn.cursor() as cur:
        for planned in simulate.stream(20261123, complaints, START, DAYS, CALENDARS.calendars):
            event = log.envelope(planned)
            moment = known_at(event.type, event.time, event.data)
            buffer.write(
                "\t".join(
                    (
                        event.service,
                        str(event.sequence),
                        event.id,
                        event.type,
                        event.subject,
                        event.time.isoformat(),
                        _escape(json.dumps(event.data, ensure_ascii=False)),
                        event.subject,
                        moment if isinstance(moment, str) else moment.isoformat(),
                    )
                )
            )
            buffer.write("\n")
            count += 1
            if count % 50_000 == 0:
                buffer.seek(0)
                cur.copy_expert(f"COPY event_copy ({columns}) FROM STDIN", buffer)
                buffer = io.StringIO()
        buffer.seek(0)
        cur.copy_expert(f"COPY event_copy ({columns}) FROM STDIN", buffer)
        cur.execute(
            "INSERT INTO source_position (source, upto) SELECT source, max(sequence) FROM event_copy GROUP BY source"
        )
    with conn.cursor() as cur:
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE event_copy")
    conn.close()
    return count, time.perf_counter() - started


def raw_scan(dsn: str) -> None:
    """(b), run as a child process: prints rows and seconds."""
    conn = psycopg2.connect(dsn)
    started = time.perf_counter()
    rows = 0
    with conn.cursor(name="raw_scan") as cur:
        cur.itersize = 5000
        cur.execute("SELECT * FROM event_copy")
        for _ in cur:
            rows += 1
    print(json.dumps({"rows": rows, "seconds": time.perf_counter() - started, "peak_rss_mb": peak_rss_mb()}))
    conn.close()


def child(argv: list[str], env: dict[str, str]) -> tuple[dict, float]:
    """Run a child process; its JSON output and its peak resident memory in MB, as it measured itself
    (VmHWM: the rusage of a child would count the bench's own memory from before the child's exec)."""
    done = subprocess.run(
        [sys.executable, *argv], cwd=config.ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr}")
    output = json.loads(done.stdout.strip().splitlines()[-1])
    return output, output["peak_rss_mb"]


def monthly_times(dsn: str, month: str, repeat: int = 20) -> dict[str, float]:
    conn = psycopg2.connect(dsn)
    period = figures.month_period(month)
    out = {}
    try:
        for campus in (None, "east"):
            request = figures.Request(period, campus, None, "day")
            timings = []
            for _ in range(repeat):
                started = time.perf_counter()
                with conn.cursor() as cur:
                    figures.report(queries.ProjectionCube(cur), request)
                conn.rollback()
                timings.append(time.perf_counter() - started)
            out[campus or "group"] = stats.median(timings) * 1000
        as_of = datetime.combine(period.end + timedelta(days=5), datetime.min.time(), UTC)
        request = figures.Request(period, None, None, "day")
        started = time.perf_counter()
        with conn.cursor() as cur:
            report = figures.report(queries.log_cube(cur, request, CALENDARS, DEFAULT_TIMEZONE, as_of=as_of), request)
        conn.rollback()
        out["as_of"] = (time.perf_counter() - started) * 1000
        out["as_of_received"] = report["received"]["total"]
    finally:
        conn.close()
    return out


def main() -> None:
    args = parse_args()
    if args.raw_scan:
        raw_scan(args.raw_scan)
        return
    name = f"reporting_rebuild_{os.getpid()}"
    dsn = config.database_url(name)
    recreate(dsn)
    try:
        migrate(dsn, config.ROOT / "services" / "reporting" / "migrations")
        print(f"database {name}, load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        count, seconds = fill(dsn, args.events)
        print(f"filled event_copy with {count} simulated events in {seconds:.1f}s")
        env = {**os.environ, "REPORTING_DATABASE_URL": dsn, "PYTHONPATH": str(config.ROOT)}
        scans = []
        for label in ("before", "after"):
            if label == "after":
                rebuilt, rebuild_mb = child(["-m", "services.reporting.rebuild"], env)
                print(
                    f"  (a) rebuild: {rebuilt['events']} events ({rebuilt['folded']} folded, the rest are types no"
                    f" statistic reads) of {rebuilt['complaints']} complaints in {rebuilt['seconds']:.2f}s,"
                    f" {rebuilt['cells']} daily sums, peak {rebuild_mb:.0f} MB"
                )
            scanned, scan_mb = child([__file__, "--raw-scan", dsn], env)
            scans.append((scanned["rows"] / scanned["seconds"], scanned, scan_mb))
            print(
                f"  (b) raw scan ({label}): {scanned['rows']} rows in {scanned['seconds']:.2f}s, peak {scan_mb:.0f} MB"
            )
        raw_rate, raw, raw_mb = max(scans, key=lambda s: s[0])
        rate = rebuilt["events"] / rebuilt["seconds"]
        ratio = rate / raw_rate
        month = (START + timedelta(days=DAYS - 45)).strftime("%Y-%m")
        times = monthly_times(dsn, month)
        print(f"\nload average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores\n")
        print(f"{'figure':<58}{'events':>9}{'seconds':>9}{'events/s':>10}{'peak MB':>9}{'(a)/this':>10}")
        print(
            f"{'(a) rebuild (python -m services.reporting.rebuild)':<58}{rebuilt['events']:>9}"
            f"{rebuilt['seconds']:>9.2f}{rate:>10.0f}{rebuild_mb:>9.0f}{'100%':>10}"
        )
        print(
            f"{'(b) raw psycopg2 server-side cursor scan of event_copy':<58}{raw['rows']:>9}{raw['seconds']:>9.2f}"
            f"{raw_rate:>10.0f}{raw_mb:>9.0f}{ratio:>10.0%}"
        )
        print(
            f"\nmonthly summary {month} from the projection (median of 20, warm): group-wide {times['group']:.1f} ms,"
            f" campus east {times['east']:.1f} ms; as of 5 days after the month, from the log alone:"
            f" {times['as_of']:.0f} ms ({times['as_of_received']} received)"
        )
        verdicts = [
            (f"rebuild >= {TARGET_RATIO:.0%} of the raw scan rate", ratio >= TARGET_RATIO),
            (f"rebuild peak memory < {TARGET_MB} MB", rebuild_mb < TARGET_MB),
            (f"monthly summary < {TARGET_MS} ms", max(times["group"], times["east"]) < TARGET_MS),
        ]
        for text, ok in verdicts:
            print(f"{'meets' if ok else 'MISSES'}: {text}")
        print(
            f"rebuild: {rate:.0f} events/s; raw scan: {raw_rate:.0f} events/s (ratio {ratio:.0%});"
            f" peak {rebuild_mb:.0f} MB; monthly summary {max(times['group'], times['east']):.1f} ms"
        )
    finally:
        if not args.keep_db:
            drop_database(dsn)


if __name__ == "__main__":
    main()
