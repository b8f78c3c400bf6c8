"""Rebuild every projection from the copy of the log, while the service keeps answering and consuming:
``python -m services.reporting.rebuild`` (``POST /admin/rebuild`` runs the same command).

1. **Snapshot.** The copy is locked against writers for an instant (``EXCLUSIVE``: readers go on)
   while a repeatable-read transaction takes its snapshot and the highest ``copy_seq`` in it, *M*.
   Every row copied later gets a higher ``copy_seq``.
2. **Fold.** The snapshot is read once, complaint by complaint (server-side cursor), folded by the
   same pure code as the consumer (``domain.cells_of``) and summed; sums are spilled to an unlogged
   staging table whenever they grow large, so memory stays bounded whatever the log's size. The
   consumer meanwhile goes on updating the live tables.
3. **Build.** New tables (``*_next``) are filled from the staging sums, then indexed.
4. **Swap**, in one transaction: lock the copy against writers again, fold once more every complaint
   with rows copied after *M* (their contribution at *M* out, their contribution now in), drop the
   live tables and rename the new ones. Readers wait for that transaction only; the consumer's next
   batch then writes to the new tables.

One rebuild at a time (a session advisory lock); each is recorded in ``rpt_rebuilds``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import queue
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass

import orjson
import psycopg2
import psycopg2.extensions
import psycopg2.extras

from services.reporting import domain, projection
from services.reporting.domain import Calendars, Cells, LoggedEvent
from shared import config
from shared.errors import Refused

LOCK_CLASS = projection.LOCK_CLASS
REBUILD_LOCK = 0  # held by the process rebuilding
REQUEST_LOCK = 1  # serialises requests to rebuild
STALE_REQUEST_SECONDS = 120
TABLES = ("rpt_daily", "rpt_monthly", "received_daily")
_FOLDED = sorted(domain.FOLDED_TYPES)


class RebuildRunning(Refused):
    """Another rebuild holds the lock (or was just requested): 409, state ``running``."""

    def __init__(self, message: str):
        super().__init__(message, "running")


@dataclass
class Result:
    id: int
    events: int  # events in the log at the snapshot (every type; those no statistic reads are skipped)
    folded: int  # events read and folded
    complaints: int
    caught_up: int  # complaints folded again at the swap (copied during the rebuild)
    cells: int  # rows of the new rpt_daily
    seconds: float
    peak_cells: int  # largest number of sums held in memory at once
    peak_rss_mb: float | None = None  # this process's peak resident memory (Linux), for operators and the bench


def peak_rss_mb() -> float | None:
    """VmHWM of this process: its own peak, unlike ru_maxrss, which counts what the parent had before exec."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _connect(dsn: str) -> psycopg2.extensions.connection:
    return psycopg2.connect(dsn, connect_timeout=10)


def write(cur: psycopg2.extensions.cursor, table: str, columns: str, rows: list[tuple]) -> None:
    """COPY where we can; plain INSERTs under eventlet's wait callback, which COPY does not support."""
    if not rows:
        return
    if psycopg2.extensions.get_wait_callback() is None:
        # CSV written by the csv module's C writer: a tenth of escaping every value in Python. Strings are
        # quoted (so '' stays an empty string), numbers are not, None is left empty (NULL).
        buffer = io.StringIO()
        csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n").writerows(rows)
        buffer.seek(0)
        cur.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)", buffer)
    else:
        psycopg2.extras.execute_values(cur, f"INSERT INTO {table} ({columns}) VALUES %s", rows, page_size=5000)


def request(dsn: str) -> int:
    """Record a rebuild request (HTTP); raises :class:`RebuildRunning` if one is already under way."""
    conn = _connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, REQUEST_LOCK))
            cur.execute(
                "SELECT id, status, extract(epoch FROM now() - requested_at) FROM rpt_rebuilds"
                " WHERE status IN ('requested', 'running') ORDER BY id"
            )
            for rebuild_id, status, age in cur.fetchall():
                if status == "requested" and age < STALE_REQUEST_SECONDS:
                    raise RebuildRunning(f"not started: rebuild {rebuild_id} was requested {age:.0f}s ago")
                if status == "running" and not _lock_free(cur):
                    raise RebuildRunning(f"not started: rebuild {rebuild_id} is running")
                # its process died without saying so (the lock is free): record that and go on
                cur.execute(
                    "UPDATE rpt_rebuilds SET status = 'failed', finished_at = now(),"
                    " error = 'abandoned: the rebuilding process ended without finishing' WHERE id = %s",
                    (rebuild_id,),
                )
            cur.execute("INSERT INTO rpt_rebuilds (status) VALUES ('requested') RETURNING id")
            return cur.fetchone()[0]
    finally:
        conn.close()


# Rebuild processes started by this replica; polled so none is left a zombie.
_started: list[subprocess.Popen] = []


def reap() -> None:
    """Forget the rebuild processes that ended (polling one collects its exit status)."""
    _started[:] = [p for p in _started if p.poll() is None]


def start(dsn: str) -> int:
    """``POST /admin/rebuild``: record a request and start ``python -m services.reporting.rebuild`` for it;
    raises :class:`RebuildRunning` if one is already under way."""
    reap()
    rebuild_id = request(dsn)
    # A process of its own: the fold is CPU work that would stall the service's green threads.
    _started.append(
        subprocess.Popen(
            [sys.executable, "-m", "services.reporting.rebuild", "--id", str(rebuild_id), "--quiet"],
            cwd=config.ROOT,
            stdout=subprocess.DEVNULL,
        )
    )
    return rebuild_id


def _lock_free(cur: psycopg2.extensions.cursor) -> bool:
    cur.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, REBUILD_LOCK))
    free = cur.fetchone()[0]
    if free:
        cur.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_CLASS, REBUILD_LOCK))
    return free


def status(cur: psycopg2.extensions.cursor, rebuild_id: int | None = None) -> dict | None:
    cur.execute(
        "SELECT id, status, requested_at, finished_at, events, caught_up, seconds, error FROM rpt_rebuilds"
        + (" WHERE id = %s" if rebuild_id is not None else "")
        + " ORDER BY id DESC LIMIT 1",
        (rebuild_id,) if rebuild_id is not None else (),
    )
    row = cur.fetchone()
    if row is None:
        return None
    names = ("id", "status", "requested_at", "finished_at", "events", "caught_up", "seconds", "error")
    return dict(zip(names, row, strict=True))


def run(
    dsn: str,
    calendars: Calendars,
    rebuild_id: int | None = None,
    flush_cells: int = 100_000,
    fetch: int = 2000,
    progress: Callable[[str], None] | None = None,
) -> Result:
    """Rebuild; raises :class:`RebuildRunning` if another rebuild holds the lock."""
    started = time.perf_counter()
    say = progress or (lambda message: None)
    control = _connect(dsn)
    control.autocommit = True
    try:
        with control.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, REBUILD_LOCK))
            if not cur.fetchone()[0]:
                if rebuild_id is not None:
                    cur.execute(
                        "UPDATE rpt_rebuilds SET status = 'failed', finished_at = now(),"
                        " error = 'another rebuild was running' WHERE id = %s",
                        (rebuild_id,),
                    )
                raise RebuildRunning("another rebuild is running")
            if rebuild_id is None:
                cur.execute("INSERT INTO rpt_rebuilds (status) VALUES ('running') RETURNING id")
                rebuild_id = cur.fetchone()[0]
            else:
                cur.execute("UPDATE rpt_rebuilds SET status = 'running' WHERE id = %s", (rebuild_id,))
        try:
            result = _rebuild(dsn, control, rebuild_id, calendars, flush_cells, fetch, say, started)
        except BaseException as exc:
            with control.cursor() as cur:
                cur.execute(
                    "UPDATE rpt_rebuilds SET status = 'failed', finished_at = now(), error = %s WHERE id = %s",
                    (f"{type(exc).__name__}: {exc}"[:4000], rebuild_id),
                )
            raise
        return result
    finally:
        control.close()  # releases the advisory lock


@dataclass
class _Scan:
    """What the fold of the snapshot found (the sums went to the staging table)."""

    folded: int = 0
    complaints: int = 0
    peak_cells: int = 0


def _rebuild(
    dsn: str,
    control: psycopg2.extensions.connection,
    rebuild_id: int,
    calendars: Calendars,
    flush_cells: int,
    fetch: int,
    say: Callable[[str], None],
    started: float,
) -> Result:
    stage = f"rpt_stage_{rebuild_id}"
    writer = _connect(dsn)
    scanner = _connect(dsn)
    try:
        upto, events = _snapshot(control, scanner)
        say(f"snapshot: {events} events, copy_seq <= {upto}")
        _create_stage(writer, stage)
        scan = _fold_snapshot(scanner, writer, stage, rebuild_id, calendars, flush_cells, fetch)
        say(f"folded {scan.folded} events of {scan.complaints} complaints; largest sums held: {scan.peak_cells}")
        rows = _build(writer, stage)
        say(f"built the new tables: {rows} daily sums")
        caught_up, seconds = _swap(
            writer, upto, calendars, lambda cur, late: _record_done(cur, rebuild_id, events, late, started)
        )
        say(f"swapped in; {caught_up} complaints caught up")
        return Result(
            rebuild_id, events, scan.folded, scan.complaints, caught_up, rows, seconds, scan.peak_cells, peak_rss_mb()
        )
    except BaseException:
        writer.rollback()
        with writer, writer.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {stage}")
            for table in TABLES:
                cur.execute(f"DROP TABLE IF EXISTS {table}_next")
        raise
    finally:
        writer.close()
        scanner.close()


def _snapshot(control: psycopg2.extensions.connection, scanner: psycopg2.extensions.connection) -> tuple[int, int]:
    """1. The scanner's snapshot, taken while writers to the copy are held off: (highest copy_seq, events)."""
    scanner.set_session(isolation_level="REPEATABLE READ", readonly=True)
    # Decoding each event's JSON is most of a scan's cost; orjson does it in a third of the time.
    psycopg2.extras.register_default_jsonb(scanner, loads=orjson.loads)
    with control.cursor() as lock_cur:
        lock_cur.execute("BEGIN")
        lock_cur.execute("LOCK TABLE event_copy IN EXCLUSIVE MODE")  # waits for writers in flight
        with scanner.cursor() as cur:
            cur.execute("SELECT coalesce(max(copy_seq), 0), count(*) FROM event_copy")
            upto, events = cur.fetchone()
        lock_cur.execute("COMMIT")
    return upto, events


def _create_stage(writer: psycopg2.extensions.connection, stage: str) -> None:
    with writer, writer.cursor() as cur:
        for table in TABLES:
            cur.execute(f"DROP TABLE IF EXISTS {table}_next")
        cur.execute(f"DROP TABLE IF EXISTS {stage}")
        cur.execute(
            f"CREATE UNLOGGED TABLE {stage} (day date, campuses text, complaint_source text, metric text,"
            " key text, value bigint)"
        )


def _fold_snapshot(
    scanner: psycopg2.extensions.connection,
    writer: psycopg2.extensions.connection,
    stage: str,
    rebuild_id: int,
    calendars: Calendars,
    flush_cells: int,
    fetch: int,
) -> _Scan:
    """2. Every complaint of the snapshot folded and summed, the sums spilled to ``stage`` whenever they
    grow past ``flush_cells``."""
    cells: Cells = {}
    scan = _Scan()

    def spill() -> None:
        scan.peak_cells = max(scan.peak_cells, len(cells))
        with writer, writer.cursor() as cur:
            rows = [(*k, v) for k, v in cells.items() if v]
            write(cur, stage, "day, campuses, complaint_source, metric, key, value", rows)
        cells.clear()

    def fold(batch: list[LoggedEvent]) -> None:
        domain.cells_of(batch, calendars, cells)
        scan.complaints += 1

    with scanner.cursor(name=f"rebuild_{rebuild_id}") as cur:
        # Only what the fold reads: the event time of openings alone (no other rule uses it),
        # the complaint id as text (grouping compares it, nothing parses it).
        cur.execute(
            "SELECT complaint_id::text, source, sequence, type,"
            " CASE WHEN type = 'InvestigationOpened' THEN occurred_at END, data FROM event_copy"
            " WHERE type = ANY(%s) ORDER BY event_copy.complaint_id",
            (_FOLDED,),
        )
        current, batch = None, []
        for complaint_id, source, sequence, kind, occurred_at, data in _prefetched(cur, fetch):
            if complaint_id != current:
                if batch:
                    fold(batch)
                    if len(cells) >= flush_cells:
                        spill()
                current, batch = complaint_id, []
            batch.append(LoggedEvent(source, sequence, kind, occurred_at, data))
            scan.folded += 1
        if batch:
            fold(batch)
    scanner.rollback()
    spill()
    return scan


def _build(writer: psycopg2.extensions.connection, stage: str) -> int:
    """3. The new tables (``*_next``) from the staging sums, indexed; returns the daily sums' rows."""
    with writer, writer.cursor() as cur:
        key = "campuses, complaint_source, metric, key"
        for table in TABLES:
            cur.execute(f"CREATE TABLE {table}_next (LIKE {table} INCLUDING DEFAULTS)")
        cur.execute(
            f"INSERT INTO rpt_daily_next SELECT day, {key}, sum(value) FROM {stage}"
            f" GROUP BY day, {key} HAVING sum(value) <> 0"
        )
        cur.execute(
            f"INSERT INTO rpt_monthly_next SELECT date_trunc('month', day)::date, {key}, sum(value)"
            f" FROM rpt_daily_next GROUP BY 1, {key} HAVING sum(value) <> 0"
        )
        cur.execute(
            "INSERT INTO received_daily_next SELECT day, campus, key, sum(value) FROM rpt_daily_next,"
            " unnest(string_to_array(campuses, ',')) AS campus WHERE metric = %s"
            " GROUP BY day, campus, key HAVING sum(value) <> 0",
            (domain.RECEIVED_BY["category"],),
        )
        cur.execute(f"ALTER TABLE rpt_daily_next ADD CONSTRAINT rpt_daily_next_pkey PRIMARY KEY (day, {key})")
        cur.execute("CREATE INDEX rpt_daily_next_metric_day ON rpt_daily_next (metric, day)")
        cur.execute(f"ALTER TABLE rpt_monthly_next ADD CONSTRAINT rpt_monthly_next_pkey PRIMARY KEY (month, {key})")
        cur.execute(
            "ALTER TABLE received_daily_next ADD CONSTRAINT received_daily_next_pkey"
            " PRIMARY KEY (day, campus, category)"
        )
        cur.execute(f"DROP TABLE {stage}")
        cur.execute("SELECT count(*) FROM rpt_daily_next")
        return cur.fetchone()[0]


def _swap(
    writer: psycopg2.extensions.connection,
    upto: int,
    calendars: Calendars,
    record: Callable[[psycopg2.extensions.cursor, int], float],
) -> tuple[int, float]:
    """4. In one transaction, writers to the copy held off: the complaints copied to after the snapshot
    folded again into the new tables, which then replace the live ones; ``record`` notes the rebuild
    done in the same transaction. Returns how many complaints were caught up, and what ``record`` says."""
    with writer, writer.cursor() as cur:
        cur.execute("LOCK TABLE event_copy IN EXCLUSIVE MODE")
        cur.execute("SELECT DISTINCT complaint_id::text FROM event_copy WHERE copy_seq > %s", (upto,))
        late = [row[0] for row in cur.fetchall()]
        if late:
            projection.apply_cells(cur, _catch_up(cur, late, upto, calendars), suffix="_next")
        for table in TABLES:
            cur.execute(f"DROP TABLE {table}")
            cur.execute(f"ALTER TABLE {table}_next RENAME TO {table}")
            cur.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {table}_next_pkey TO {table}_pkey")
        cur.execute("ALTER INDEX rpt_daily_next_metric_day RENAME TO rpt_daily_metric_day")
        recorded = record(cur, len(late))
    return len(late), recorded


def _record_done(
    cur: psycopg2.extensions.cursor, rebuild_id: int, events: int, caught_up: int, started: float
) -> float:
    """The rebuild recorded done; returns the seconds it took."""
    seconds = time.perf_counter() - started
    cur.execute(
        "UPDATE rpt_rebuilds SET status = 'done', finished_at = now(), events = %s, caught_up = %s,"
        " seconds = %s WHERE id = %s",
        (events, caught_up, seconds, rebuild_id),
    )
    return seconds


def _prefetched(cur: psycopg2.extensions.cursor, fetch: int) -> Iterator[tuple]:
    """The cursor's rows, the next page fetched by a thread while this one folds the current page:
    the server's work and the network overlap the fold (psycopg2 lets go of the GIL while it waits)."""
    pages: queue.Queue[list[tuple] | BaseException] = queue.Queue(maxsize=2)

    def read() -> None:
        try:
            while True:
                page = cur.fetchmany(fetch)
                pages.put(page)
                if not page:
                    return
        except BaseException as exc:  # handed to the folding thread, which raises it
            pages.put(exc)

    reader = threading.Thread(target=read, name="rebuild-reader", daemon=True)
    reader.start()
    while True:
        page = pages.get()
        if isinstance(page, BaseException):
            raise page
        if not page:
            break
        yield from page
    reader.join()


def _catch_up(cur: psycopg2.extensions.cursor, complaint_ids: Iterable[str], upto: int, calendars: Calendars) -> Cells:
    """Contribution now minus contribution at the snapshot, for complaints copied to since."""
    cur.execute(
        "SELECT complaint_id::text, copy_seq, source, sequence, type, occurred_at, data FROM event_copy"
        " WHERE complaint_id = ANY(%s::uuid[]) AND type = ANY(%s)",
        (list(complaint_ids), _FOLDED),
    )
    before: dict[str, list[LoggedEvent]] = defaultdict(list)
    now: dict[str, list[LoggedEvent]] = defaultdict(list)
    for complaint_id, copy_seq, *row in cur.fetchall():
        event = LoggedEvent(*row)
        now[complaint_id].append(event)
        if copy_seq <= upto:
            before[complaint_id].append(event)
    cells: Cells = {}
    for complaint_id, events in now.items():
        if before.get(complaint_id):
            domain.cells_of(before[complaint_id], calendars, cells, -1)
        domain.cells_of(events, calendars, cells, +1)
    return cells


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="Rebuild reporting's projections from its copy of the log.")
    parser.add_argument("--id", type=int, help="the rebuild request to carry out (POST /admin/rebuild)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    from services.reporting.settings import CALENDARS

    say = (lambda message: None) if args.quiet else (lambda message: print(message, file=sys.stderr, flush=True))
    try:
        result = run(config.database_url("reporting"), CALENDARS, args.id, progress=say)
    except RebuildRunning as exc:
        raise SystemExit(f"not rebuilt: {exc}") from None
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main(sys.argv[1:])
