"""Reporting's read models: the figures a report shows, from the projection tables (now) or folded from
the log (as of a past moment, or at recorded log positions) through the same :class:`domain.Cube`
questions; monthly publications (the one record a request writes: figures frozen at log positions);
one complaint's facts; and the business metrics Prometheus scrapes. I/O here, the rules in domain.py.

The log path folds only the complaints that can contribute to the periods asked: every contribution
is dated by an event's own time (or, for a late deadline, by its last day, which an event known
after it told us), and an event is never known before its date (less a small skew allowance), so a
complaint contributes to days ``[a, b]`` only if it was received before ``b`` and one of its events
became known after ``a`` (docs/reporting.md, "as of").

Business metrics are read from the projection when Prometheus scrapes (so every replica reports the
same figures, and a restart or a rebuild loses nothing): received complaints, deadline breaches and
first replies per campus, and the on-time ratio of first replies. They are totals since the first
event, per campus (a complaint concerning two campuses counts under each, so summing over campuses
can exceed the group's count). A reclassification that takes a campus off a complaint lowers that
campus's total: Prometheus reads it as a counter reset, which ``increase()`` tolerates.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from nameko.extensions import DependencyProvider
from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from services.reporting import domain, known, offload
from services.reporting.domain import Calendars, Cells, Daily, LoggedEvent, Period, Totals
from services.reporting.projection import LOCK_CLASS
from services.reporting.settings import CALENDARS, timezone_of
from shared.db import Cursor, Database, fetch_dicts
from shared.envelope import rfc3339
from shared.errors import InvalidField, UnknownItem
from shared.runtime import database

if TYPE_CHECKING:
    from services.reporting import schemas

SOURCES = ("intake", "investigation", "notification")
# How far an event's own timestamp may lie after the moment it became known (intake allows stated
# times 5 minutes ahead of its clock), plus a day for time zones: the candidate search widens by it.
SKEW = timedelta(days=2)
FOLD_CHUNK = 2000  # rows decoded on the hub between two folds off it


# --------------------------------------------------------------------------------------------
# The projection
# --------------------------------------------------------------------------------------------


def _split(period: Period) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """Whole months of ``period`` (read from rpt_monthly) and the leftover days (from rpt_daily)."""
    first_full = period.start if period.start.day == 1 else domain.month_of(period.start + timedelta(days=31))
    after_end = period.end + timedelta(days=1)
    last_full = period.end if after_end.day == 1 else domain.month_of(period.end) - timedelta(days=1)
    if first_full > last_full:
        return None, [(period.start, period.end)]
    days = []
    if period.start < first_full:
        days.append((period.start, first_full - timedelta(days=1)))
    if last_full < period.end:
        days.append((last_full + timedelta(days=1), period.end))
    return (first_full, domain.month_of(last_full)), days


class ProjectionCube:
    """The incrementally maintained sums (``rpt_daily`` / ``rpt_monthly``)."""

    daily_table = "rpt_daily"
    monthly_table = "rpt_monthly"

    def __init__(self, cur: Cursor):
        self.cur = cur

    def _parts(
        self,
        period: Period,
        source: str | None,
        columns: str,
        extra: str = "",
        extra_args: Sequence[Any] = (),
        bucket: str | None = None,
    ) -> tuple[str, list[Any]]:
        months, days = _split(period)
        parts, args = [], []
        only = " AND complaint_source = %s" if source else ""
        if months:
            key = f"date_trunc('{bucket}', month)::date AS b, " if bucket else ""
            parts.append(f"SELECT {key}{columns} FROM {self.monthly_table} WHERE month BETWEEN %s AND %s{only}{extra}")
            args += [*months, *([source] if source else []), *extra_args]
        for first, last in days:
            key = f"date_trunc('{bucket}', day)::date AS b, " if bucket else ""
            parts.append(f"SELECT {key}{columns} FROM {self.daily_table} WHERE day BETWEEN %s AND %s{only}{extra}")
            args += [first, last, *([source] if source else []), *extra_args]
        return " UNION ALL ".join(parts), args

    def totals(self, period: Period, source: str | None) -> Totals:
        union, args = self._parts(period, source, "campuses, metric, key, value")
        self.cur.execute(
            f"SELECT campuses, metric, key, sum(value)::bigint FROM ({union}) s GROUP BY campuses, metric, key", args
        )
        by_set: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
        for where, metric, key, value in self.cur.fetchall():
            by_set[where][(metric, key)] = value
        return domain.distribute(by_set)

    def series(
        self, period: Period, source: str | None, campus: str, metrics: Sequence[str], granularity: str
    ) -> dict[tuple[date, str], int]:
        where = "" if campus == domain.GROUP else " AND %s = ANY(string_to_array(campuses, ','))"
        where_args = [] if campus == domain.GROUP else [campus]
        if granularity in ("month", "year"):
            union, args = self._parts(
                period,
                source,
                "metric, value",
                f" AND metric = ANY(%s){where}",
                (list(metrics), *where_args),
                bucket=granularity,
            )
        else:  # days and weeks cut across months: from the daily sums
            union = (
                f"SELECT date_trunc('{granularity}', day)::date AS b, metric, value FROM {self.daily_table}"
                f" WHERE day BETWEEN %s AND %s AND metric = ANY(%s){where}"
                + (" AND complaint_source = %s" if source else "")
            )
            args = [period.start, period.end, list(metrics), *where_args, *([source] if source else [])]
        self.cur.execute(f"SELECT b, metric, sum(value)::bigint FROM ({union}) s GROUP BY b, metric", args)
        return {(b, metric): value for b, metric, value in self.cur.fetchall() if value}

    def daily(self, period: Period, source: str | None, metrics: Sequence[str]) -> Daily:
        self.cur.execute(
            f"SELECT day, campuses, metric, key, sum(value)::bigint FROM {self.daily_table}"
            " WHERE day BETWEEN %s AND %s AND metric = ANY(%s)"
            + (" AND complaint_source = %s" if source else "")
            + " GROUP BY day, campuses, metric, key",
            [period.start, period.end, list(metrics), *([source] if source else [])],
        )
        out: Counter[tuple[date, str, str, str]] = Counter()
        for day, where, metric, key, value in self.cur.fetchall():
            for place in domain.places(where):
                out[(day, place, metric, key)] += value
        return {k: v for k, v in out.items() if v}


class KnownCube(ProjectionCube):
    """The projection's questions, asked of the sums as of a moment: the checkpoint before it (per day,
    and per month for whole months) plus the changes known since, each question summed by PostgreSQL."""

    def __init__(self, cur: Cursor, as_of: datetime):
        super().__init__(cur)
        checkpoint = known.checkpoint_before(cur, as_of)
        tail = "known_at <= %s" + (" AND known_at >= %s" if checkpoint else "")
        tail_args = [as_of, *([checkpoint] if checkpoint else [])]
        daily = [f"SELECT {known.COLUMNS}, value FROM rpt_known WHERE {tail}"]
        monthly = [f"SELECT date_trunc('month', day)::date AS month, {known.CELL}, value FROM rpt_known WHERE {tail}"]
        if checkpoint:
            daily.append(f"SELECT {known.COLUMNS}, value FROM rpt_known_snapshots WHERE checkpoint = %s")
            monthly.append(f"SELECT month, {known.CELL}, value FROM rpt_known_snapshots_monthly WHERE checkpoint = %s")
        args = [*tail_args, *([checkpoint] if checkpoint else [])]
        # Relations in place of the tables (the moments quoted in: the questions' own arguments follow).
        self.daily_table = cur.mogrify(f"({' UNION ALL '.join(daily)}) AS asof_daily", args).decode()
        self.monthly_table = cur.mogrify(f"({' UNION ALL '.join(monthly)}) AS asof_monthly", args).decode()


def positions(cur: Cursor) -> dict[str, int]:
    """How far each source has been applied (everything up to it is in the copy, or parked)."""
    cur.execute("SELECT source, upto FROM source_position")
    found = dict(cur.fetchall())
    return {source: int(found.get(source, 0)) for source in SOURCES}


# --------------------------------------------------------------------------------------------
# The log
# --------------------------------------------------------------------------------------------


def _visible(as_of: datetime | None, at: Mapping[str, int] | None, alias: str) -> tuple[str, list[Any]]:
    """The events a report may see: known by ``as_of``, and/or within recorded log positions."""
    clauses, args = [], []
    if as_of is not None:
        clauses.append(f"{alias}.known_at <= %s")
        args.append(as_of)
    if at is not None:
        clauses.append(
            f"{alias}.sequence <= CASE {alias}.source" + "".join(" WHEN %s THEN %s" for _ in SOURCES) + " ELSE 0 END"
        )
        for source in SOURCES:
            args += [source, int(at.get(source, 0))]
    return (" AND ".join(clauses) or "TRUE"), args


def _utc_midnight(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(timezone)).astimezone(UTC)


def log_cells(
    cur: Cursor,
    windows: Sequence[Period],
    calendars: Calendars,
    timezone: str,
    as_of: datetime | None = None,
    at: Mapping[str, int] | None = None,
) -> Cells:
    """Cells of every complaint that can contribute to ``windows``, folded from the visible events."""
    candidates, args = [], []
    for window in windows:
        lo = _utc_midnight(window.start, timezone) - SKEW
        hi = _utc_midnight(window.end + timedelta(days=1), timezone) + SKEW
        seen, seen_args = _visible(as_of, at, "a")
        got, got_args = _visible(as_of, at, "r")
        candidates.append(
            "SELECT r.complaint_id FROM event_copy r WHERE r.type = 'ComplaintReceived'"
            f" AND r.data->>'received_at' < %s AND {got} AND EXISTS (SELECT 1 FROM event_copy a"
            f" WHERE a.complaint_id = r.complaint_id AND a.known_at >= %s AND {seen})"
        )
        args += [hi.strftime("%Y-%m-%dT%H:%M:%SZ"), *got_args, lo, *seen_args]
    visible, visible_args = _visible(as_of, at, "e")
    cur.execute(
        f"WITH c AS ({' UNION '.join(candidates)})"
        " SELECT e.complaint_id::text, e.source, e.sequence, e.type, e.occurred_at, e.data"
        f" FROM event_copy e JOIN c USING (complaint_id) WHERE e.type = ANY(%s) AND {visible}"
        " ORDER BY e.complaint_id",
        [*args, sorted(domain.FOLDED_TYPES), *visible_args],
    )
    cells: Cells = {}
    current, events, complete = None, [], []
    while rows := cur.fetchmany(FOLD_CHUNK):
        for complaint_id, source, sequence, kind, occurred_at, data in rows:
            if complaint_id != current:
                if events:
                    complete.append(events)
                current, events = complaint_id, []
            events.append(LoggedEvent(source, sequence, kind, occurred_at, data))
        # Decoding a chunk is on the hub (it is the cursor's); folding it is not.
        offload.run(_fold_each, complete, calendars, cells)
        complete = []
        offload.pause()
    if events:
        offload.run(_fold_each, [events], calendars, cells)
    return cells


def _fold_each(complaints: Sequence[Sequence[LoggedEvent]], calendars: Calendars, cells: Cells) -> None:
    for events in complaints:
        domain.cells_of(events, calendars, cells)


def windows_for(request: domain.Request) -> list[Period]:
    """Every range of days a report reads: the period, a year earlier, the period before, and the spike weeks."""
    out = [request.period, domain.spike_window(request.period.end)]
    if request.compare:
        out += [request.period.year_earlier(), request.period.previous()]
    return out


def log_cube(
    cur: Cursor,
    request: domain.Request,
    calendars: Calendars,
    timezone: str,
    as_of: datetime | None = None,
    at: Mapping[str, int] | None = None,
) -> domain.MemoryCube:
    return domain.MemoryCube(log_cells(cur, windows_for(request), calendars, timezone, as_of, at))


def complaint_events(cur: Cursor, complaint_id: str, as_of: datetime | None = None) -> list[LoggedEvent]:
    visible, args = _visible(as_of, None, "e")
    cur.execute(
        "SELECT e.source, e.sequence, e.type, e.occurred_at, e.data FROM event_copy e"
        f" WHERE e.complaint_id = %s AND {visible} ORDER BY e.source, e.sequence",
        [complaint_id, *args],
    )
    return [LoggedEvent(*row) for row in cur.fetchall()]


# --------------------------------------------------------------------------------------------
# The reports
# --------------------------------------------------------------------------------------------

LOCK_PUBLISH = 2  # advisory lock (with projection.LOCK_CLASS) serialising publications


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, (date, Decimal, UUID)):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _jsonable(value: Any) -> Any:
    """The document exactly as it is served (and stored): dates and decimals as strings."""
    return json.loads(json.dumps(value, default=_default))


def today(as_of: datetime | None, timezone: str) -> date:
    return domain.local_day(as_of or datetime.now(UTC), timezone)


def cube(
    cur: Cursor, request: domain.Request, as_of: datetime | None = None, at: Mapping[str, int] | None = None
) -> domain.Cube:
    if as_of is None and at is None:
        return ProjectionCube(cur)
    if at is None and as_of is not None and known.complete(cur):  # the bitemporal model, summed in SQL
        return KnownCube(cur, as_of)
    return log_cube(cur, request, CALENDARS, timezone_of(request.campus), as_of, at)


def figures(
    cur: Cursor, request: domain.Request, as_of: datetime | None = None, at: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """The report's figures from the cube that answers; summing cells in memory is CPU work, done
    off the hub (the projection's sums are PostgreSQL's work, through this green thread's cursor)."""
    found = cube(cur, request, as_of, at)
    if isinstance(found, domain.MemoryCube):
        return offload.run(domain.report, found, request)
    return domain.report(found, request)


def summary_request(params: schemas.SummaryParams, today_: date) -> domain.Request:
    """The period, buckets and comparison a summary asks for, every limit checked (400) before any
    work: ``to`` defaults to today (local), ``from`` to twelve months before ``to``."""
    end = params.to or today_
    start = params.from_
    if start is None:
        period = domain.default_period(end)
    elif start > end:
        raise InvalidField("from", f"is after the period's end ({end}, today unless to is given)")
    else:
        period = domain.Period(start, end)
    granularity = params.granularity or domain.default_granularity(period)
    errors = domain.limits(period, granularity)
    if errors:
        raise InvalidField.of(errors)
    return domain.Request(period, params.campus, params.source, granularity, compare=start is not None)


def summary(cur: Cursor, params: schemas.SummaryParams) -> dict[str, Any]:
    """``GET /reports/summary``."""
    request = summary_request(params, today(params.as_of, timezone_of(params.campus)))
    body = figures(cur, request, params.as_of)
    return _jsonable({**_provenance(cur, params.as_of, None), **body})


def _provenance(cur: Cursor, as_of: datetime | None, at: Mapping[str, int] | None) -> dict[str, Any]:
    if as_of is None and at is None:
        return {"as_of": rfc3339(datetime.now(UTC)), "computed_from": "projection", "positions": positions(cur)}
    out: dict[str, Any] = {"computed_from": "log"}
    if as_of is not None:
        out["as_of"] = rfc3339(as_of)
    if at is not None:
        out["positions"] = dict(at)
    return out


def monthly(
    cur: Cursor,
    period: domain.Period,
    campus: str | None,
    as_of: datetime | None = None,
    at: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The monthly report: the month's figures, a year earlier, daily series, spikes."""
    request = domain.Request(period, campus, None, "day", compare=True)
    body = figures(cur, request, as_of, at)
    return _jsonable({"month": period.start.strftime("%Y-%m"), **_provenance(cur, as_of, at), **body})


# --------------------------------------------------------------------------------------------
# Publications
# --------------------------------------------------------------------------------------------

_PUBLICATION = "id, month, campus, version, published_at, published_by, positions, changes"


def _campus_key(campus: str | None) -> str:
    return campus or domain.GROUP


def publish(cur: Cursor, period: domain.Period, campus: str | None, published_by: str | None) -> dict[str, Any]:
    """Compute the month at the current log positions, from the log alone, and record it as the next
    version. First in its transaction: one REPEATABLE READ snapshot for the positions and the copy
    they refer to."""
    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, LOCK_PUBLISH))
    at = positions(cur)
    document = monthly(cur, period, campus, at=at)
    cur.execute(
        "SELECT version, figures FROM rpt_publications WHERE month = %s AND campus = %s ORDER BY version DESC LIMIT 1",
        (period.start, _campus_key(campus)),
    )
    previous = cur.fetchone()
    version = previous[0] + 1 if previous else 1
    changes = domain.changes(_comparable(previous[1]), _comparable(document)) if previous else {}
    cur.execute(
        f"INSERT INTO rpt_publications (month, campus, version, published_by, positions, figures, changes)"
        f" VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING {_PUBLICATION}, figures",
        (
            period.start,
            _campus_key(campus),
            version,
            published_by,
            json.dumps(at),
            json.dumps(document),
            json.dumps(changes),
        ),
    )
    return _publication_row(fetch_dicts(cur)[0])


def _comparable(figures: Mapping[str, Any]) -> dict[str, Any]:
    """What a restatement compares: the figures, not when or from which positions they were computed."""
    return {k: v for k, v in figures.items() if k not in ("as_of", "positions", "computed_from")}


def _publication_row(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["month"] = row["month"].strftime("%Y-%m")
    row["campus"] = None if row["campus"] == domain.GROUP else row["campus"]
    return _jsonable(row)


def publications(cur: Cursor, period: domain.Period | None, campus: str | None) -> list[dict[str, Any]]:
    clauses, args = ["TRUE"], []
    if period is not None:
        clauses.append("month = %s")
        args.append(period.start)
    if campus is not None:
        clauses.append("campus = %s")
        args.append(campus)
    cur.execute(
        f"SELECT {_PUBLICATION} FROM rpt_publications WHERE {' AND '.join(clauses)}"
        " ORDER BY month DESC, campus, version DESC",
        args,
    )
    return [_publication_row(row) for row in fetch_dicts(cur)]


def publication(cur: Cursor, publication_id: int) -> dict[str, Any] | None:
    cur.execute(f"SELECT {_PUBLICATION}, figures FROM rpt_publications WHERE id = %s", (publication_id,))
    rows = fetch_dicts(cur)
    return _publication_row(rows[0]) if rows else None


def known_publication(cur: Cursor, publication_id: int) -> dict[str, Any]:
    """The publication, or :class:`UnknownItem` (404)."""
    found = publication(cur, publication_id)
    if found is None:
        raise UnknownItem(f"no publication {publication_id}")
    return found


def published_version(cur: Cursor, period: domain.Period, campus: str | None, version: int) -> dict | None:
    cur.execute(
        f"SELECT {_PUBLICATION}, figures FROM rpt_publications WHERE month = %s AND campus = %s AND version = %s",
        (period.start, _campus_key(campus), version),
    )
    rows = fetch_dicts(cur)
    return _publication_row(rows[0]) if rows else None


def reproduce(cur: Cursor, found: Mapping[str, Any]) -> dict[str, Any]:
    """The publication computed again from the log at its recorded positions, and any difference."""
    period = domain.month_period(found["month"])
    again = monthly(cur, period, found["campus"], at=found["positions"])
    differences = domain.changes(_comparable(found["figures"]), _comparable(again))
    return {
        "id": found["id"],
        "month": found["month"],
        "campus": found["campus"],
        "version": found["version"],
        "positions": found["positions"],
        "matches": not differences,
        "differences": differences,
    }


# --------------------------------------------------------------------------------------------
# One complaint's facts (an audit's question: why is this complaint counted so?)
# --------------------------------------------------------------------------------------------


def facts(cur: Cursor, complaint_id: str, as_of: datetime | None) -> dict[str, Any] | None:
    events = complaint_events(cur, complaint_id, as_of)
    fact = domain.fold(events)
    if fact is None:
        return None
    working = CALENDARS[fact.campus]
    return _jsonable(
        {
            "complaint_id": complaint_id,
            "events": len(events),
            "facts": fact.to_json(),
            "contributions": [
                {"metric": m, "day": d, "key": k, "value": v} for m, d, k, v in domain.contributions(fact, working)
            ],
            "campuses": domain.places(domain.campus_set(fact.campuses)),
        }
    )


# --------------------------------------------------------------------------------------------
# Staff involved (CONTRACT §9): the appraisal figures, for office heads and the leadership only
# --------------------------------------------------------------------------------------------

STAFF_FIGURES = ("complaints", "upheld_findings", "rectifications", "rectifications_completed")

# Per staff id named in findings submitted in the period: the complaints, the upheld findings (substantiated yes
# or partly) and the rectifications ordered of (and completed by) the department whose findings named them, on
# those complaints. A finding's campus decides which campus's figures it is in.
_STAFF_SQL = """
WITH named AS (
    SELECT complaint_id, data->>'department' AS department, data->>'substantiated' AS substantiated,
           jsonb_array_elements_text(data->'staff_involved') AS staff_id
      FROM event_copy
     WHERE type = 'FindingsSubmitted' AND jsonb_typeof(data->'staff_involved') = 'array'
       AND (data->>'submitted_at')::timestamptz >= %(start)s AND (data->>'submitted_at')::timestamptz < %(end)s
       AND (%(campus)s::text IS NULL OR data->>'campus' = %(campus)s)
), per_case AS (
    SELECT staff_id, complaint_id, department,
           count(*) FILTER (WHERE substantiated IN ('yes', 'partly')) AS upheld
      FROM named GROUP BY staff_id, complaint_id, department
), rectified AS (
    SELECT complaint_id, data->>'department' AS department,
           count(*) FILTER (WHERE type = 'RectificationOrdered') AS ordered,
           count(*) FILTER (WHERE type = 'RectificationCompleted') AS completed
      FROM event_copy
     WHERE type IN ('RectificationOrdered', 'RectificationCompleted')
       AND complaint_id IN (SELECT complaint_id FROM named)
     GROUP BY complaint_id, data->>'department'
)
SELECT p.staff_id, count(DISTINCT p.complaint_id), sum(p.upheld),
       coalesce(sum(r.ordered), 0), coalesce(sum(r.completed), 0)
  FROM per_case p LEFT JOIN rectified r USING (complaint_id, department)
 GROUP BY p.staff_id ORDER BY p.staff_id
"""


def staff_figures(cur: Cursor, start: date, end: date, campus: str | None) -> dict[str, Any]:
    """The figures per staff id for findings submitted from ``start`` to ``end`` (local days, inclusive)."""
    zone = ZoneInfo(timezone_of(campus))
    bounds = {
        "start": datetime.combine(start, time.min, zone),
        "end": datetime.combine(end + timedelta(days=1), time.min, zone),
        "campus": campus,
    }
    cur.execute(_STAFF_SQL, bounds)
    rows = [dict(zip(("staff_id", *STAFF_FIGURES), (r[0], *map(int, r[1:])), strict=True)) for r in cur.fetchall()]
    return {"from": start.isoformat(), "to": end.isoformat(), "campus": campus, "staff": rows}


# --------------------------------------------------------------------------------------------
# Business metrics (Prometheus)
# --------------------------------------------------------------------------------------------

_METRICS = (domain.RECEIVED, domain.DEADLINE_BREACHED, domain.FIRST_REPLY_ON_TIME, domain.FIRST_REPLY_LATE)


class BusinessMetrics(Collector):
    """The business metrics, read from the projection at each scrape."""

    def __init__(self, db: Database):
        self.db = db

    def collect(self) -> Iterator[Any]:
        received = CounterMetricFamily(
            "complaints_report_received", "Complaints received, per campus concerned.", labels=["campus"]
        )
        breaches = CounterMetricFamily(
            "complaints_report_deadline_breaches",
            "Deadlines that passed unmet, per campus and deadline kind.",
            labels=["campus", "kind"],
        )
        replies = CounterMetricFamily(
            "complaints_report_first_replies",
            "First replies delivered or overdue, by outcome (on_time, late).",
            labels=["campus", "outcome"],
        )
        ratio = GaugeMetricFamily(
            "complaints_report_first_reply_on_time_ratio",
            "Share of first replies on time (of those on time or late), since the start.",
            labels=["campus"],
        )
        try:
            with self.db.transaction() as cur:
                cur.execute(
                    "SELECT campuses, metric, key, sum(value)::bigint FROM rpt_monthly"
                    " WHERE metric = ANY(%s) GROUP BY campuses, metric, key",
                    (list(_METRICS),),
                )
                by_set: dict[str, dict[tuple[str, str], int]] = {}
                for where, metric, key, value in cur.fetchall():
                    by_set.setdefault(where, {})[(metric, key)] = value
        except Exception:  # the database is away: /health/ready says so, the scrape still answers
            return
        for campus, sums in sorted(domain.distribute(by_set).items()):
            if campus == domain.GROUP:
                continue
            received.add_metric([campus], sums.get((domain.RECEIVED, ""), 0))
            for (metric, key), value in sorted(sums.items()):
                if metric == domain.DEADLINE_BREACHED:
                    breaches.add_metric([campus, key], value)
            on_time = sums.get((domain.FIRST_REPLY_ON_TIME, ""), 0)
            late = sums.get((domain.FIRST_REPLY_LATE, ""), 0)
            replies.add_metric([campus, "on_time"], on_time)
            replies.add_metric([campus, "late"], late)
            if on_time + late:
                ratio.add_metric([campus], on_time / (on_time + late))
        yield from (received, breaches, replies, ratio)


_registered: list[BusinessMetrics] = []


def register_metrics(db: Database) -> None:
    if not _registered:
        _registered.append(BusinessMetrics(db))
        REGISTRY.register(_registered[0])


class BusinessMetricsProvider(DependencyProvider):
    """Registers the collector once the service's database pool exists."""

    def __init__(self, service: str):
        self.service = service

    def setup(self) -> None:
        register_metrics(database(self.service))
