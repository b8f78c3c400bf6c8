"""Reading the statistics: from the projection tables (now), or folded from the log (as of a past
moment, or at recorded log positions), through the same :class:`statistics.Cube` questions.

The log path folds only the complaints that can contribute to the periods asked: every contribution
is dated by an event's own time (or, for a late deadline, by its last day, which an event known
after it told us), and an event is never known before its date (less a small skew allowance), so a
complaint contributes to days ``[a, b]`` only if it was received before ``b`` and one of its events
became known after ``a`` (docs/reporting.md, "as of").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.reporting import domain, offload, statistics
from services.reporting.domain import Calendars, Cells, LoggedEvent
from services.reporting.statistics import Daily, Period, Totals
from shared.db import Cursor

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
            parts.append(f"SELECT {key}{columns} FROM rpt_monthly WHERE month BETWEEN %s AND %s{only}{extra}")
            args += [*months, *([source] if source else []), *extra_args]
        for first, last in days:
            key = f"date_trunc('{bucket}', day)::date AS b, " if bucket else ""
            parts.append(f"SELECT {key}{columns} FROM rpt_daily WHERE day BETWEEN %s AND %s{only}{extra}")
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
        return statistics.distribute(by_set)

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
                f"SELECT date_trunc('{granularity}', day)::date AS b, metric, value FROM rpt_daily"
                f" WHERE day BETWEEN %s AND %s AND metric = ANY(%s){where}"
                + (" AND complaint_source = %s" if source else "")
            )
            args = [period.start, period.end, list(metrics), *where_args, *([source] if source else [])]
        self.cur.execute(f"SELECT b, metric, sum(value)::bigint FROM ({union}) s GROUP BY b, metric", args)
        return {(b, metric): value for b, metric, value in self.cur.fetchall() if value}

    def daily(self, period: Period, source: str | None, metrics: Sequence[str]) -> Daily:
        self.cur.execute(
            "SELECT day, campuses, metric, key, sum(value)::bigint FROM rpt_daily"
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


def windows_for(request: statistics.Request) -> list[Period]:
    """Every range of days a report reads: the period, a year earlier, and the spike weeks."""
    out = [request.period, statistics.spike_window(request.period.end)]
    if request.compare:
        out.append(request.period.year_earlier())
    return out


def log_cube(
    cur: Cursor,
    request: statistics.Request,
    calendars: Calendars,
    timezone: str,
    as_of: datetime | None = None,
    at: Mapping[str, int] | None = None,
) -> statistics.MemoryCube:
    return statistics.MemoryCube(log_cells(cur, windows_for(request), calendars, timezone, as_of, at))


def complaint_events(cur: Cursor, complaint_id: str, as_of: datetime | None = None) -> list[LoggedEvent]:
    visible, args = _visible(as_of, None, "e")
    cur.execute(
        "SELECT e.source, e.sequence, e.type, e.occurred_at, e.data FROM event_copy e"
        f" WHERE e.complaint_id = %s AND {visible} ORDER BY e.source, e.sequence",
        [complaint_id, *args],
    )
    return [LoggedEvent(*row) for row in cur.fetchall()]
