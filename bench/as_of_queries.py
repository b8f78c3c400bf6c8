"""As-of queries: the summary and a monthly report asked "as of" a past moment over a long history, from
reporting's bitemporal read model (``rpt_known`` + monthly checkpoints), against a raw scan of the rows.

For each size (default 100,000 and 1,000,000 events), a fresh database with reporting's migrations gets
the simulator's log COPYed into ``event_copy`` (as ``bench/reporting_rebuild.py`` does), then the model is
built by ``python -m services.reporting.known`` (a process of its own; its time is printed for
information). In the same run:

(a) ``summary``: ``queries.summary`` as ``GET /reports/summary?as_of=T`` answers it (the last twelve
    months to T's day, group-wide), and ``monthly``: ``queries.monthly`` as ``GET /reports/monthly?month=M
    &as_of=T`` (M, a year earlier, daily series, spikes; group-wide and one campus), T spread over the
    history's second year; median and p99 of the timings.
(b) ``raw``: a plain PostgreSQL count and sum over exactly the rows (a) reads (the checkpoint's rows of
    the days asked, and the tail known since), without grouping or any Python: what reading them costs.
(c) for information, the same monthly report folded from the log (the path before the model), once,
    and a check that (a) and (c) give the same figures.

Target: (a) <= 500 ms at 1 M events.

    PYTHONPATH=. .venv/bin/python bench/as_of_queries.py [--quick] [--events 100000 1000000] [--keep-db]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics as stats
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

os.environ.setdefault("DATABASE_URL_TEMPLATE", "postgresql://postgres@127.0.0.1:5432/bench_{service}")

import psycopg2

from bench import _support
from bench.reporting_rebuild import DAYS, START, child, drop_database, fill
from services.reporting import domain, queries, schemas
from services.reporting.settings import CAMPUSES, DEFAULT_TIMEZONE
from shared import config
from shared.db import migrate
from tests.support.databases import recreate

TARGET_MS = 500


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000], help="log sizes (about)")
    parser.add_argument("--repeat", type=int, default=20, help="timings per figure (T varies)")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the bench databases")
    return _support.parse_with_quick(parser, {"events": [20_000], "repeat": 5})


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def p99(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def raw_rows(cur: psycopg2.extensions.cursor, windows: Sequence[domain.Period], as_of: datetime) -> None:
    """(b): count and sum the rows known.cells reads, the same predicates, nothing else."""
    cur.execute("SELECT max(checkpoint) FROM rpt_known_checkpoints WHERE checkpoint <= %s", (as_of,))
    checkpoint = cur.fetchone()[0] or datetime(1970, 1, 1, tzinfo=UTC)
    days = " OR ".join("day BETWEEN %s AND %s" for _ in windows)
    bounds = [d for w in windows for d in (w.start, w.end)]
    cur.execute(
        f"SELECT count(*), sum(value) FROM (SELECT value FROM rpt_known_snapshots WHERE checkpoint = %s AND ({days})"
        f" UNION ALL SELECT value FROM rpt_known WHERE known_at >= %s AND known_at <= %s AND ({days})) x",
        [checkpoint, *bounds, checkpoint, as_of, *bounds],
    )
    cur.fetchall()


def moments(rng: random.Random, count: int) -> list[datetime]:
    """T over the history's second year (a year of history behind each)."""
    return [START + timedelta(days=DAYS / 2 + rng.uniform(0, DAYS / 2 - 1)) for _ in range(count)]


def measure(dsn: str, repeat: int) -> dict[str, list[float]]:
    conn = psycopg2.connect(dsn)
    rng = random.Random(21)
    out: dict[str, list[float]] = {k: [] for k in ("summary", "summary raw", "monthly", "monthly raw")}
    try:
        with conn.cursor() as cur:
            for as_of in moments(rng, repeat):
                params = schemas.SummaryParams(as_of=as_of)
                request = queries.summary_request(params, queries.today(as_of, DEFAULT_TIMEZONE))
                out["summary"].append(timed(lambda p=params: queries.summary(cur, p)))
                out["summary raw"].append(timed(lambda r=request, t=as_of: raw_rows(cur, queries.windows_for(r), t)))
                month = domain.month_period(domain.month_of(as_of.date() - timedelta(days=20)).strftime("%Y-%m"))
                campus = rng.choice([None, *CAMPUSES[:1]])
                monthly = domain.Request(month, campus, None, "day", compare=True)
                out["monthly"].append(timed(lambda m=month, c=campus, t=as_of: queries.monthly(cur, m, c, t)))
                out["monthly raw"].append(timed(lambda r=monthly, t=as_of: raw_rows(cur, queries.windows_for(r), t)))
                conn.rollback()
    finally:
        conn.close()
    return out


def from_the_log(dsn: str) -> tuple[float, bool]:
    """(c): the monthly report folded from the log (the model marked incomplete in a transaction that is
    rolled back), and whether it equals the model's."""
    conn = psycopg2.connect(dsn)
    as_of = START + timedelta(days=DAYS - 40)
    month = domain.month_period(domain.month_of(as_of.date() - timedelta(days=20)).strftime("%Y-%m"))
    try:
        with conn.cursor() as cur:
            fast = queries.monthly(cur, month, None, as_of)
            cur.execute("UPDATE rpt_known_state SET complete = false")
            started = time.perf_counter()
            folded = queries.monthly(cur, month, None, as_of)
            seconds = (time.perf_counter() - started) * 1000
        conn.rollback()
    finally:
        conn.close()
    return seconds, fast == folded


def one_size(events: int, repeat: int, keep_db: bool) -> dict:
    name = f"as_of_queries_{os.getpid()}_{events}"
    dsn = config.database_url(name)
    recreate(dsn)
    try:
        migrate(dsn, config.ROOT / "services" / "reporting" / "migrations")
        count, seconds = fill(dsn, events)
        print(f"filled event_copy with {count} simulated events in {seconds:.1f}s ({_support.load_average()})")
        env = {**os.environ, "PYTHONPATH": str(config.ROOT)}
        built, _ = child(["-m", "services.reporting.known", "--dsn", dsn], env)
        print(
            f"  built the model: {built['changes']} changes of {built['complaints']} complaints,"
            f" {built['checkpoints']} checkpoints in {built['seconds']:.1f}s"
        )
        times = measure(dsn, repeat)
        log_ms, equal = from_the_log(dsn)
        return {"events": count, "times": times, "log_ms": log_ms, "equal": equal, "changes": built["changes"]}
    finally:
        if not keep_db:
            drop_database(dsn)


def report(results: list[dict]) -> None:
    print(f"\n{_support.load_average()}\n")
    print(f"{'figure (ms)':<44}{'events':>9}{'p50':>9}{'p99':>9}{'raw p50':>9}{'raw p99':>9}{'ratio p50':>10}")
    verdicts = []
    for result in results:
        t = result["times"]
        for figure in ("summary", "monthly"):
            mine, raw = t[figure], t[f"{figure} raw"]
            ratio = stats.median(mine) / stats.median(raw)
            print(
                f"{'(a) ' + figure + ' as of T (bitemporal model)':<44}{result['events']:>9}{stats.median(mine):>9.1f}"
                f"{p99(mine):>9.1f}{stats.median(raw):>9.1f}{p99(raw):>9.1f}{ratio:>9.1f}x"
            )
            verdicts.append((f"{figure} as of, {result['events']} events, p99 <= {TARGET_MS} ms", p99(mine)))
        print(
            f"{'(c) monthly as of T folded from the log':<44}{result['events']:>9}{result['log_ms']:>9.0f}"
            f"{'':>9}{'':>9}{'':>9}{result['log_ms'] / stats.median(t['monthly']):>9.1f}x  (of (a))"
            f"  same figures: {'yes' if result['equal'] else 'NO'}"
        )
    for text, value in verdicts:
        print(f"{'meets' if value <= TARGET_MS else 'MISSES'}: {text} ({value:.0f} ms)")
    if not all(r["equal"] for r in results):
        raise SystemExit("the model's figures differ from the fold of the log")


def main() -> None:
    args = parse_args()
    results = [one_size(events, args.repeat, args.keep_db) for events in args.events]
    report(results)


if __name__ == "__main__":
    main()
