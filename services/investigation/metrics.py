"""Investigation's deadline metrics (Prometheus naming: base units, `_total`, low-cardinality labels:
campus, department, deadline kind — never a complaint id)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.investigation import domain
from shared.db import Database
from shared.envelope import Envelope

if TYPE_CHECKING:
    from services.investigation.settings import Hospital

BREACHES = Counter(
    "complaints_deadline_breaches_total",
    "Deadlines that passed unmet (each counted once).",
    ["campus", "department", "kind"],
)
REMINDERS = Counter(
    "complaints_deadline_reminders_total", "Deadlines falling due in one working day.", ["campus", "kind"]
)
ESCALATIONS = Counter("complaints_escalations_total", "Complaints escalated to the leadership group.", ["campus"])
FIRST_REPLY = Histogram(
    "complaints_first_reply_working_days",
    "Working days from receipt (or reopening) to the delivered first reply.",
    ["campus"],
    buckets=(1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30),
)
CALENDAR_COVERED = Gauge(
    "complaints_calendar_last_covered_day_timestamp_seconds",
    "End of the last day the campus calendar knows officially (no provisional deadlines before it).",
    ["campus"],
)
TICK_SECONDS = Histogram(
    "complaints_deadline_tick_duration_seconds",
    "Time one deadline-engine tick took.",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5),
)


def _breached(campus: str, data: dict[str, Any]) -> None:
    BREACHES.labels(campus, data["deadline"].get("department") or "", data["deadline"]["kind"]).inc()


def _reminded(campus: str, data: dict[str, Any]) -> None:
    REMINDERS.labels(campus, data["deadline"]["kind"]).inc()


def _escalated(campus: str, data: dict[str, Any]) -> None:
    ESCALATIONS.labels(campus).inc()


# What each committed event counts, by its type (the others count nothing).
_COUNTED: dict[str, Callable[[str, dict[str, Any]], None]] = {
    "DeadlineBreached": _breached,
    "InvestigationDue": _reminded,
    "ComplaintEscalated": _escalated,
}


def observe_event(event: Envelope, hospital: Hospital) -> None:
    count = _COUNTED.get(event.type)
    if count is not None:
        count(event.data.get("campus") or "", event.data)


def set_calendar_coverage(hospital: Hospital) -> None:
    for campus, calendar in hospital.calendars.items():
        CALENDAR_COVERED.labels(campus).set(calendar.covered_until.timestamp())  # 24:00 local, not UTC


class CaseGauges(Collector):
    """Open cases, overdue and provisional deadlines, read from the database when scraped."""

    def __init__(self, db: Database):
        self.db = db

    def collect(self) -> Iterator[Any]:
        open_cases = GaugeMetricFamily(
            "complaints_open_cases", "Cases being handled (open or replied).", labels=["campus"]
        )
        overdue = GaugeMetricFamily(
            "complaints_overdue_deadlines", "Deadlines past due and not met, now.", labels=["campus", "kind"]
        )
        provisional = GaugeMetricFamily(
            "complaints_provisional_deadlines",
            "Running deadlines computed without the official calendar of their year.",
            labels=["campus"],
        )
        try:
            with self.db.transaction() as cur:
                cur.execute("SELECT campus, count(*) FROM cases WHERE status IN ('open', 'replied') GROUP BY campus")
                for campus, n in cur.fetchall():
                    open_cases.add_metric([campus], n)
                cur.execute(
                    f"SELECT d.campus, d.kind, count(*) FROM deadlines d WHERE {domain.OVERDUE_SQL}"
                    " GROUP BY d.campus, d.kind"
                )
                for campus, kind, n in cur.fetchall():
                    overdue.add_metric([campus, kind], n)
                cur.execute(
                    "SELECT campus, count(*) FROM deadlines WHERE status = 'open' AND provisional GROUP BY campus"
                )
                for campus, n in cur.fetchall():
                    provisional.add_metric([campus], n)
        except Exception:  # the database is down: /health/ready says so; the scrape still answers
            return
        yield from (open_cases, overdue, provisional)


_registered: list[CaseGauges] = []


def register_case_gauges(db: Database) -> None:
    if not _registered:
        _registered.append(CaseGauges(db))
        REGISTRY.register(_registered[0])
