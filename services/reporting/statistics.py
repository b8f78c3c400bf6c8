"""Statistics from summed contributions, pure: periods and buckets, the report's figures, the
change against a year earlier, spike detection and what changed between two publications.

Figures are read through a :class:`Cube`: sums of contribution cells over a range of local days.
Two cubes answer the same questions: the projection tables (``queries.ProjectionCube``, for "now")
and :class:`MemoryCube` (cells folded from the event log, for "as of" and publications). Both hold
the same integers, so the same code below gives the same figures from either.
"""

from __future__ import annotations

import calendar as _calendar
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol

from services.reporting import domain as d

GRANULARITIES = ("day", "week", "month", "year")

# The days a report may cover: the year-earlier comparison, the spike weeks before a period and the
# day after it must stay inside Python's and PostgreSQL's dates (docs/reporting.md, "Limits").
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)
MAX_YEARS = 100  # the longest period of one report
MAX_BUCKETS = 1000  # a series longer than this is not a report but a dump

# Counts given per bucket in a series, and compared with the same period a year earlier.
HEADLINE = (
    d.RECEIVED,
    d.RESOLVED_ON_SPOT,
    d.NOT_ACCEPTED,
    d.WITHDRAWN,
    d.CLOSED,
    d.ESCALATED,
    d.FIRST_REPLY_ON_TIME,
    d.FIRST_REPLY_LATE,
    d.INVESTIGATION_OPENED,
    d.INVESTIGATION_ON_TIME,
    d.INVESTIGATION_LATE,
    d.INVESTIGATION_EXTENDED,
    d.INVESTIGATION_BREACHED,
    d.RECTIFICATION_ORDERED,
    d.RECTIFICATION_COMPLETED,
    d.RECTIFICATION_OVERDUE,
    d.FOLLOW_UP_SATISFIED,
    d.FOLLOW_UP_DISSATISFIED,
    d.REOPENED,
    d.DISPUTE_RECORDED,
    d.DISPUTE_SETTLED,
    d.DEADLINE_BREACHED,
)

# Spike detection (docs/reporting.md): the last 7 days against the 8 weeks of 7 days before them.
SPIKE_WEEKS = 8
SPIKE_SIGMAS = 2.0
SPIKE_MINIMUM = 3
SPIKE_DIMENSIONS = {"category": d.RECEIVED_BY["category"], "department": d.RECEIVED_BY["department"]}


# --------------------------------------------------------------------------------------------
# Periods and buckets
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Local days ``start`` .. ``end``, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def year_earlier(self) -> Period:
        return Period(d.shift_year(self.start), d.shift_year(self.end))

    def to_json(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def month_period(month: str) -> Period:
    """``YYYY-MM`` as the period of its days; ValueError if it is not a month."""
    year, _, number = month.partition("-")
    if len(year) != 4 or len(number) != 2 or not (year + number).isdigit():
        raise ValueError("not a month (YYYY-MM)")
    first = date(int(year), int(number), 1)
    return Period(first, first.replace(day=_calendar.monthrange(first.year, first.month)[1]))


def bucket_start(day: date, granularity: str) -> date:
    if granularity == "day":
        return day
    if granularity == "week":  # ISO weeks, Monday first (as PostgreSQL's date_trunc('week'))
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    if granularity == "year":
        return day.replace(month=1, day=1)
    raise ValueError(f"unknown granularity {granularity!r}")


def bucket_label(start: date, granularity: str) -> str:
    if granularity == "day":
        return start.isoformat()
    if granularity == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if granularity == "month":
        return start.strftime("%Y-%m")
    return str(start.year)


def _next_bucket(start: date, granularity: str) -> date:
    if granularity == "day":
        return start + timedelta(days=1)
    if granularity == "week":
        return start + timedelta(days=7)
    if granularity == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start.replace(year=start.year + 1)


def buckets(period: Period, granularity: str) -> list[Period]:
    """The buckets covering ``period``, the first and last clipped to it."""
    out = []
    start = bucket_start(period.start, granularity)
    while start <= period.end:
        following = _next_bucket(start, granularity)
        out.append(Period(max(start, period.start), min(following - timedelta(days=1), period.end)))
        start = following
    return out


def bucket_count(period: Period, granularity: str) -> int:
    """How many buckets :func:`buckets` would give, by arithmetic (counting them is no work)."""
    start, end = period.start, period.end
    if granularity == "day":
        return period.days
    if granularity == "week":
        return (bucket_start(end, "week") - bucket_start(start, "week")).days // 7 + 1
    if granularity == "month":
        return (end.year - start.year) * 12 + end.month - start.month + 1
    if granularity == "year":
        return end.year - start.year + 1
    raise ValueError(f"unknown granularity {granularity!r}")


def default_period(end: date) -> Period:
    """A summary's period when no ``from`` is given: the twelve months up to ``end`` (never "since the
    first complaint": one complaint dated in year 1 must not make everyone's default report too long)."""
    return Period(min(end, max(FIRST_DAY, d.shift_year(end) + timedelta(days=1))), end)


def limits(period: Period, granularity: str) -> dict[str, list[str]]:
    """What makes a report out of range or too costly to compute, found before any of it is computed:
    400 errors by field (empty: the report may be computed)."""
    errors: dict[str, list[str]] = {}
    if not FIRST_DAY <= period.start <= period.end <= LAST_DAY:
        field = "from" if FIRST_DAY <= period.end <= LAST_DAY else "to"
        errors[field] = [f"outside the days a report covers ({FIRST_DAY} to {LAST_DAY})"]
    elif period.end >= d.shift_year(period.start, MAX_YEARS):
        errors["from"] = [f"the period is longer than {MAX_YEARS} years"]
    count = bucket_count(period, granularity)
    if count > MAX_BUCKETS:
        errors["granularity"] = [f"{count} buckets; at most {MAX_BUCKETS}: choose a coarser one"]
    return errors


def default_granularity(period: Period) -> str:
    if period.days <= 62:
        return "day"
    if period.days <= 366:
        return "week" if period.days <= 120 else "month"
    return "month" if period.days <= 3 * 366 else "year"


# --------------------------------------------------------------------------------------------
# Cubes
# --------------------------------------------------------------------------------------------


Totals = dict[str, dict[tuple[str, str], int]]  # campus (or GROUP) -> (metric, key) -> sum
Daily = dict[tuple[date, str, str, str], int]  # (day, campus or GROUP, metric, key) -> sum


def distribute(by_set: Mapping[str, Mapping[tuple[str, str], int]]) -> Totals:
    """Sums per campus set -> sums per campus and for the group (each set counted once there)."""
    out: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    for where, sums in by_set.items():
        for place in d.places(where):
            out[place].update(sums)
    return {place: {k: v for k, v in sums.items() if v} for place, sums in out.items()}


def holds(where: str, campus: str) -> bool:
    """Whether cells of campus set ``where`` count for ``campus`` (or the group)."""
    return campus == d.GROUP or campus in where.split(",")


class Cube(Protocol):
    def totals(self, period: Period, source: str | None) -> Totals:
        """Sums over the period per campus (and :data:`domain.GROUP`), metric and key."""

    def series(
        self, period: Period, source: str | None, campus: str, metrics: Sequence[str], granularity: str
    ) -> dict[tuple[date, str], int]:
        """(bucket start, metric) -> sum over keys, for one campus (or the group)."""

    def daily(self, period: Period, source: str | None, metrics: Sequence[str]) -> Daily:
        """(day, campus or group, metric, key) -> sum, for the given metrics."""


class MemoryCube:
    """Cells in memory (folded from the log); answers exactly as the projection tables would."""

    def __init__(self, cells: Mapping[d.CellKey, int]):
        self.cells = {k: v for k, v in cells.items() if v}

    def _select(self, period: Period, source: str | None) -> Iterable[tuple[d.CellKey, int]]:
        for key, value in self.cells.items():
            if period.start <= key[0] <= period.end and (source is None or key[2] == source):
                yield key, value

    def totals(self, period: Period, source: str | None) -> Totals:
        by_set: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
        for (_, where, _, metric, key), value in self._select(period, source):
            by_set[where][(metric, key)] += value
        return distribute(by_set)

    def series(
        self, period: Period, source: str | None, campus: str, metrics: Sequence[str], granularity: str
    ) -> dict[tuple[date, str], int]:
        wanted = set(metrics)
        out: Counter[tuple[date, str]] = Counter()
        for (day, where, _, metric, _), value in self._select(period, source):
            if metric in wanted and holds(where, campus):
                out[(bucket_start(day, granularity), metric)] += value
        return {k: v for k, v in out.items() if v}

    def daily(self, period: Period, source: str | None, metrics: Sequence[str]) -> Daily:
        wanted = set(metrics)
        out: Counter[tuple[date, str, str, str]] = Counter()
        for (day, where, _, metric, key), value in self._select(period, source):
            if metric in wanted:
                for place in d.places(where):
                    out[(day, place, metric, key)] += value
        return {k: v for k, v in out.items() if v}


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


class _Sums:
    """A period's sums grouped by metric once (a report reads each metric many times)."""

    def __init__(self, sums: Mapping[tuple[str, str], int]):
        self.by_metric: dict[str, dict[str, int]] = defaultdict(dict)
        for (metric, key), value in sums.items():
            if value:
                self.by_metric[metric][key] = value

    def by(self, metric: str) -> dict[str, int]:
        return dict(sorted(self.by_metric.get(metric, {}).items()))

    def total(self, metric: str) -> int:
        return sum(self.by_metric.get(metric, {}).values())


def _by(sums: _Sums, metric: str) -> dict[str, int]:
    return sums.by(metric)


def _total(sums: _Sums, metric: str) -> int:
    return sums.total(metric)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def percentile(distribution: Mapping[int, int], fraction: float) -> float | None:
    """Nearest-rank percentile of a distribution of tenths (value -> count), in working days."""
    count = sum(distribution.values())
    if count <= 0:
        return None
    rank = max(1, math.ceil(fraction * count))
    seen = 0
    for value in sorted(distribution):
        seen += distribution[value]
        if seen >= rank:
            return value / 10
    return None  # pragma: no cover - unreachable: ranks never exceed the count


def _money(cents: int) -> str:
    return format(Decimal(cents) / 100, ".2f")


def _per_department(sums: _Sums, metrics: Mapping[str, str]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for name, metric in metrics.items():
        for department, value in _by(sums, metric).items():
            out[department][name] = value
    return {department: {name: row.get(name, 0) for name in metrics} for department, row in sorted(out.items())}


def figures(raw: Mapping[tuple[str, str], int]) -> dict[str, Any]:
    """Every statistic of CONTRACT §5 for one campus (or the group) over one period."""
    sums = _Sums(raw)
    distribution = {int(k): v for k, v in _by(sums, d.FIRST_REPLY_WORKING).items()}
    on_time, late = _total(sums, d.FIRST_REPLY_ON_TIME), _total(sums, d.FIRST_REPLY_LATE)
    satisfied, dissatisfied = _total(sums, d.FOLLOW_UP_SATISFIED), _total(sums, d.FOLLOW_UP_DISSATISFIED)
    compensation: Counter[str] = Counter()
    by_route: dict[str, Counter[str]] = defaultdict(Counter)
    for key, cents in _by(sums, d.DISPUTE_COMPENSATION).items():
        route, _, currency = key.partition("|")
        compensation[currency] += cents
        by_route[route][currency] += cents
    investigation_metrics = {
        "opened": d.INVESTIGATION_OPENED,
        "on_time": d.INVESTIGATION_ON_TIME,
        "late": d.INVESTIGATION_LATE,
        "extended": d.INVESTIGATION_EXTENDED,
        "breached": d.INVESTIGATION_BREACHED,
    }
    rectification_metrics = {
        "ordered": d.RECTIFICATION_ORDERED,
        "completed": d.RECTIFICATION_COMPLETED,
        "overdue": d.RECTIFICATION_OVERDUE,
    }
    return {
        "received": {
            "total": _total(sums, d.RECEIVED),
            **{f"by_{name}": _by(sums, metric) for name, metric in d.RECEIVED_BY.items()},
        },
        "resolved_on_spot": _total(sums, d.RESOLVED_ON_SPOT),
        "not_accepted": {"total": _total(sums, d.NOT_ACCEPTED), "by_reason": _by(sums, d.NOT_ACCEPTED)},
        "withdrawn": _total(sums, d.WITHDRAWN),
        "closed": _total(sums, d.CLOSED),
        "escalated": _total(sums, d.ESCALATED),
        "first_reply": {
            "on_time": on_time,
            "late": late,
            "on_time_rate": _rate(on_time, on_time + late),
            "working_days": {
                "replies": sum(distribution.values()),
                "median": percentile(distribution, 0.5),
                "p90": percentile(distribution, 0.9),
            },
        },
        "investigations": {
            **{name: _total(sums, metric) for name, metric in investigation_metrics.items()},
            "by_department": _per_department(sums, investigation_metrics),
        },
        "rectifications": {
            **{name: _total(sums, metric) for name, metric in rectification_metrics.items()},
            "by_department": _per_department(sums, rectification_metrics),
        },
        "follow_up": {
            "satisfied": satisfied,
            "dissatisfied": dissatisfied,
            "satisfaction_rate": _rate(satisfied, satisfied + dissatisfied),
        },
        "reopened": {"total": _total(sums, d.REOPENED), "by_reason": _by(sums, d.REOPENED)},
        "disputes": {
            "recorded": {"total": _total(sums, d.DISPUTE_RECORDED), "by_route": _by(sums, d.DISPUTE_RECORDED)},
            "settled": {"total": _total(sums, d.DISPUTE_SETTLED), "by_route": _by(sums, d.DISPUTE_SETTLED)},
            "compensation_paid": {c: _money(v) for c, v in sorted(compensation.items())},
            "compensation_by_route": {
                r: {c: _money(v) for c, v in sorted(m.items())} for r, m in sorted(by_route.items())
            },
        },
        "deadline_breaches": {"total": _total(sums, d.DEADLINE_BREACHED), "by_kind": _by(sums, d.DEADLINE_BREACHED)},
    }


def headline(raw: Mapping[tuple[str, str], int]) -> dict[str, int]:
    sums = _Sums(raw)
    return {metric: _total(sums, metric) for metric in HEADLINE}


def comparison(current: Mapping[tuple[str, str], int], earlier: Mapping[tuple[str, str], int]) -> dict[str, Any]:
    """Each headline count against the same period a year earlier."""
    now_sums, then_sums = _Sums(current), _Sums(earlier)
    out: dict[str, Any] = {}
    for metric in HEADLINE:
        now, then = _total(now_sums, metric), _total(then_sums, metric)
        out[metric] = {
            "current": now,
            "year_ago": then,
            "change": now - then,
            "change_pct": round((now - then) * 100 / then, 1) if then else None,
        }
    return out


# --------------------------------------------------------------------------------------------
# Spikes
# --------------------------------------------------------------------------------------------


def spike_window(end: date) -> Period:
    return Period(end - timedelta(days=7 * (SPIKE_WEEKS + 1) - 1), end)


def detect_spikes(
    daily: Mapping[tuple[date, str], int],
    end: date,
    weeks: int = SPIKE_WEEKS,
    sigmas: float = SPIKE_SIGMAS,
    minimum: int = SPIKE_MINIMUM,
) -> list[dict[str, Any]]:
    """Keys whose count in the 7 days ending ``end`` is >= ``minimum`` and above mean + ``sigmas``
    standard deviations (population) of the ``weeks`` windows of 7 days before.

    ``daily`` maps (day, key) to a count. Rolling 7-day windows, not calendar weeks, so a report
    asked on a Wednesday still compares whole weeks.
    """
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * (weeks + 1))
    first = end - timedelta(days=7 * (weeks + 1) - 1)
    for (day, key), value in daily.items():
        if first <= day <= end:
            counts[key][(end - day).days // 7] += value  # 0 = the last week
    out = []
    for key, per_week in sorted(counts.items()):
        last, previous = per_week[0], per_week[1:]
        mean = sum(previous) / weeks
        sd = math.sqrt(sum((n - mean) ** 2 for n in previous) / weeks)
        threshold = mean + sigmas * sd
        if last >= minimum and last > threshold:
            out.append(
                {
                    "key": key,
                    "last_week": last,
                    "mean": round(mean, 2),
                    "sd": round(sd, 2),
                    "threshold": round(threshold, 2),
                    "week": {"from": (end - timedelta(days=6)).isoformat(), "to": end.isoformat()},
                }
            )
    return out


def spikes(cube_daily: Daily, end: date, campus: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for dimension, metric in SPIKE_DIMENSIONS.items():
        per_key: Counter[tuple[date, str]] = Counter()
        for (day, place, m, key), value in cube_daily.items():
            if place == campus and m == metric:
                per_key[(day, key)] += value
        out[dimension] = detect_spikes(per_key, end)
    return out


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    period: Period
    campus: str | None = None  # None: group-wide, with every campus beside it
    source: str | None = None  # complaint source filter
    granularity: str = "day"
    compare: bool = True  # with the same period a year earlier


def report(cube: Cube, request: Request) -> dict[str, Any]:
    """The statistics of a period, per campus and group-wide, from ``cube``."""
    scope = request.campus or d.GROUP
    totals = cube.totals(request.period, request.source)
    sums = totals.get(scope, {})
    body: dict[str, Any] = {
        "period": {
            **request.period.to_json(),
            "campus": request.campus,
            "source": request.source,
            "granularity": request.granularity,
        },
        **figures(sums),
    }
    campuses = sorted(c for c in totals if c != d.GROUP and (request.campus is None or c == request.campus))
    per_campus = {c: figures(totals[c]) for c in campuses}
    # CONTRACT-compatible shape: received.by_campus.<campus>.total / by_category
    body["received"]["by_campus"] = {
        c: {"total": f["received"]["total"], "by_category": f["received"]["by_category"]} for c, f in per_campus.items()
    }
    body["by_campus"] = {c: headline(totals[c]) for c in campuses}
    if request.compare:
        earlier_period = request.period.year_earlier()
        earlier = cube.totals(earlier_period, request.source)
        body["year_ago"] = {**earlier_period.to_json(), "comparison": comparison(sums, earlier.get(scope, {}))}
    series = cube.series(request.period, request.source, scope, HEADLINE, request.granularity)
    body["series"] = [
        {
            "bucket": bucket_label(bucket_start(b.start, request.granularity), request.granularity),
            **b.to_json(),
            **{m: series.get((bucket_start(b.start, request.granularity), m), 0) for m in HEADLINE},
        }
        for b in buckets(request.period, request.granularity)
    ]
    daily = cube.daily(spike_window(request.period.end), request.source, tuple(SPIKE_DIMENSIONS.values()))
    body["spikes"] = spikes(daily, request.period.end, scope)
    return body


# --------------------------------------------------------------------------------------------
# Restatements
# --------------------------------------------------------------------------------------------


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaves of a JSON document keyed by their dotted path (lists by index)."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list):
        out = {}
        for index, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{index}]"))
        return out
    return {prefix: value}


def changes(previous: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every figure that differs between two versions of a report: path -> previous, current."""
    before, after = flatten(previous), flatten(current)
    return {
        path: {"previous": before.get(path), "current": after.get(path)}
        for path in sorted(set(before) | set(after))
        if before.get(path) != after.get(path)
    }
