"""Reporting's rules, pure: from a complaint's events to its facts, and from facts to contributions.

A **fact** is what the statistics need to know about one complaint (its classification, what
happened to it and when), with one sub-fact per reply round, investigation (complaint x
department x round), rectification and dispute. :func:`fold` derives it from the complaint's
events of every source.

The fold depends only on the *set* of events, never on the order in which a consumer happened to
receive the sources: it sorts them by (source, sequence) itself, and no rule looks across sources
in sequence (a ``ReplySent`` is matched to its round by ``reply_id``). So the incremental
projection (events arriving in batches, sources interleaved at random), a rebuild (events read
back in one pass) and an as-of answer (a subset of the log) all fold to the same facts.

A **contribution** is one number on one local day: ``(metric, day, key, value)``, e.g.
``("received.category", 2026-03-02, "billing", 1)``. :func:`contributions` lists a fact's
contributions; a **cell** adds where it counts: the complaint's *campus set* (its campuses, sorted,
joined by commas) and its source. A campus's figure sums the cells of every campus set that contains
it; the group's sums every cell once, so a complaint concerning two campuses counts under each and
once in the group total (:func:`places`). Every statistic is a sum of cells over a period, so a
projection is maintained by adding what a changed fact contributes now and subtracting what it
contributed before (a reclassified complaint moves between categories; it is never counted twice),
and a rebuild or an as-of answer sums the same numbers.

Each contribution is dated by an event's own timestamp (or, for a late deadline, the deadline's
last day, which an event told us about); docs/reporting.md lists which date each metric uses.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from shared.workdays import CampusCalendar

GROUP = "*"  # the campus value of group-wide rows: a complaint counts there once, whatever its campuses

# Metric names (the `metric` column). Keys: "" for plain counts, otherwise the dimension named.
RECEIVED = "received"
RECEIVED_BY = {
    "category": "received.category",
    "channel": "received.channel",
    "severity": "received.severity",
    "department": "received.department",
}
RESOLVED_ON_SPOT = "resolved_on_spot"
NOT_ACCEPTED = "not_accepted"  # key: reason
WITHDRAWN = "withdrawn"
CLOSED = "closed"
ESCALATED = "escalated"
FIRST_REPLY_ON_TIME = "first_reply.on_time"
FIRST_REPLY_LATE = "first_reply.late"
FIRST_REPLY_WORKING = "first_reply.working_days"  # key: working time in tenths of a working day
INVESTIGATION_OPENED = "investigation.opened"  # key: department (also below)
INVESTIGATION_ON_TIME = "investigation.on_time"
INVESTIGATION_LATE = "investigation.late"
INVESTIGATION_EXTENDED = "investigation.extended"
INVESTIGATION_BREACHED = "investigation.breached"
RECTIFICATION_ORDERED = "rectification.ordered"
RECTIFICATION_COMPLETED = "rectification.completed"
RECTIFICATION_OVERDUE = "rectification.overdue"
DEADLINE_BREACHED = "deadline.breached"  # key: deadline kind
FOLLOW_UP_SATISFIED = "follow_up.satisfied"
FOLLOW_UP_DISSATISFIED = "follow_up.dissatisfied"
REOPENED = "reopened"  # key: reason
DISPUTE_RECORDED = "dispute.recorded"  # key: route
DISPUTE_SETTLED = "dispute.settled"  # key: route
DISPUTE_COMPENSATION = "dispute.compensation"  # key: "route|currency", value: minor units (cents)

#: event types the fold reads; the others (reminders, failed notifications, extension requests and
#: refusals) change no statistic, so a rebuild need not even read them
FOLDED_TYPES = frozenset(
    {
        "ComplaintReceived",
        "ComplaintResolvedOnSpot",
        "ComplaintNotAccepted",
        "ComplaintWithdrawn",
        "ComplaintReclassified",
        "InvestigationOpened",
        "DeadlineRescheduled",
        "ExtensionGranted",
        "FindingsSubmitted",
        "DeadlineBreached",
        "ComplaintEscalated",
        "ReplyIssued",
        "RectificationOrdered",
        "RectificationCompleted",
        "DeadlineBreachWithdrawn",
        "FollowUpRecorded",
        "ComplaintReopened",
        "ComplaintClosed",
        "DisputeRecorded",
        "DisputeSettled",
        "ReplySent",
    }
)
_SOURCE_ORDER = {"intake": 0, "investigation": 1, "notification": 2}

Contribution = tuple[str, date, str, int]  # metric, local day, key, value
CellKey = tuple[date, str, str, str, str]  # day, campus set, complaint source, metric, key
Cells = dict[CellKey, int]


class LoggedEvent(NamedTuple):
    """What the fold needs of an event: where it sits in its source's log, its type, time and data
    (``time`` is read for ``InvestigationOpened`` only: assignments carry no time of their own)."""

    source: str
    sequence: int
    type: str
    time: datetime | None
    data: Mapping[str, Any]


# --------------------------------------------------------------------------------------------
# Facts
# --------------------------------------------------------------------------------------------


@dataclass
class ReplyRound:
    """One first-reply obligation: the complaint's first round, and one more per reopening."""

    number: int
    started_at: datetime | None  # receipt, or the reopening
    due_at: datetime | None = None  # the deadline in force (extended, rescheduled)
    due_day: date | None = None  # its last working day, local
    breached: bool = False
    replied_at: datetime | None = None  # the first delivered reply (ReplySent) of this round


@dataclass
class InvestigationFact:
    round: int
    department: str
    assigned_at: datetime
    due_day: date | None
    extended_at: datetime | None = None
    findings_at: datetime | None = None
    findings_on_time: bool | None = None
    breach_day: date | None = None


@dataclass
class RectificationFact:
    rectification_id: str
    department: str
    ordered_at: datetime | None
    due_day: date | None
    completed_at: datetime | None = None
    completed_on_time: bool | None = None
    breach_day: date | None = None


@dataclass
class DisputeFact:
    dispute_id: str
    route: str
    recorded_at: datetime | None = None
    settled_at: datetime | None = None
    compensation_cents: int = 0
    currency: str = "CNY"


@dataclass
class ComplaintFact:
    complaint_id: str
    reference: str
    campus: str  # the registering campus (its calendar and time zone date everything)
    campuses: list[str]  # every campus it concerns (current classification)
    category: str  # current, after any reclassification
    severity: str
    channel: str
    source: str
    departments: list[str]  # current classification plus every department assigned to investigate
    received_at: datetime
    resolved_on_spot_at: datetime | None = None
    not_accepted: list[tuple[str, datetime]] = field(default_factory=list)
    withdrawn: list[datetime] = field(default_factory=list)
    closed: list[datetime] = field(default_factory=list)
    escalated_at: datetime | None = None
    rounds: list[ReplyRound] = field(default_factory=list)
    investigations: list[InvestigationFact] = field(default_factory=list)
    rectifications: list[RectificationFact] = field(default_factory=list)
    disputes: list[DisputeFact] = field(default_factory=list)
    follow_ups: list[tuple[bool, datetime]] = field(default_factory=list)
    reopenings: list[tuple[str, datetime]] = field(default_factory=list)
    breaches: list[tuple[str, date]] = field(default_factory=list)  # (deadline kind, its last day)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value)  # the catalogue normalises to RFC 3339 UTC ("Z"), which 3.11 reads


def _day(value: str) -> date:
    return date.fromisoformat(value)


def _cents(amount: str) -> int:
    return int((Decimal(amount) * 100).to_integral_value())


def _earliest(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate < current else current


def fold(events: Iterable[LoggedEvent]) -> ComplaintFact | None:
    """The facts of one complaint from its events (any order, duplicates allowed); ``None`` while
    its ``ComplaintReceived`` is not known (a complaint is counted from its receipt on)."""
    seen = {(event.source, event.sequence): event for event in events}
    if len(seen) == 1:  # most batches bring a complaint one event (its receipt): no sorting to do
        ordered = list(seen.values())
    else:
        ordered = sorted(seen.values(), key=lambda e: (_SOURCE_ORDER.get(e.source, 9), e.source, e.sequence))
    received = next((e.data for e in ordered if e.type == "ComplaintReceived"), None)
    if received is None:
        return None
    fact = ComplaintFact(
        complaint_id=str(received["complaint_id"]),
        reference=received.get("reference", ""),
        campus=received["campus"],
        campuses=list(received.get("campuses") or [received["campus"]]),
        category=received["category"],
        severity=received["severity"],
        channel=received["channel"],
        source=received["source"],
        departments=list(received.get("departments") or []),
        received_at=_ts(received["received_at"]),
    )
    assigned: set[str] = set()
    round_no = 1
    rounds = {1: ReplyRound(1, fact.received_at)}
    reply_round: dict[str, int] = {}
    investigations: dict[tuple[int, str], InvestigationFact] = {}
    rectifications: dict[str, RectificationFact] = {}
    disputes: dict[str, DisputeFact] = {}

    def set_due(target: ReplyRound, deadline: Mapping[str, Any]) -> None:
        target.due_at, target.due_day = _ts(deadline["due_at"]), _day(deadline["last_day"])

    for event in ordered:
        data, kind = event.data, event.type
        # -- intake ---------------------------------------------------------------------------
        if kind == "ComplaintReclassified":
            current = data["current"]
            fact.category = current.get("category", fact.category)
            fact.severity = current.get("severity", fact.severity)
            fact.campuses = list(current.get("campuses") or fact.campuses)
            fact.departments = list(current.get("departments", fact.departments))
        elif kind == "ComplaintResolvedOnSpot":
            fact.resolved_on_spot_at = _earliest(fact.resolved_on_spot_at, _ts(data["resolved_at"]))
        elif kind == "ComplaintNotAccepted":
            fact.not_accepted.append((data["reason"], _ts(data["decided_at"])))
        elif kind == "ComplaintWithdrawn":
            fact.withdrawn.append(_ts(data["withdrawn_at"]))
        # -- investigation (its own sequence order: rounds follow reopenings) --------------------
        elif kind == "InvestigationOpened":
            # Every opening carries the first-reply deadline currently in force for this round.
            set_due(rounds[round_no], data["first_reply"])
            assigned.update(data.get("departments") or [])
            for due in data.get("investigations") or []:
                investigations[(round_no, due["department"])] = InvestigationFact(
                    round_no, due["department"], event.time, _day(due["last_day"])
                )
        elif kind == "DeadlineRescheduled":
            current = data["current"]
            if current["kind"] == "first_reply":
                set_due(rounds[round_no], current)
            elif current["kind"] == "investigation":
                found = investigations.get((round_no, current.get("department") or ""))
                if found is not None:
                    found.due_day = _day(current["last_day"])
            elif (rect := rectifications.get(str(current.get("rectification_id")))) is not None:
                rect.due_day = _day(current["last_day"])
        elif kind == "ExtensionGranted":
            found = investigations.get((round_no, data["department"]))
            if found is not None:
                found.extended_at = _earliest(found.extended_at, _ts(data["decided_at"]))
                found.due_day = _day(data["deadline"]["last_day"])
        elif kind == "FindingsSubmitted":
            found = investigations.get((round_no, data["department"]))
            if found is not None and found.findings_at is None:
                found.findings_at, found.findings_on_time = _ts(data["submitted_at"]), bool(data["on_time"])
        elif kind == "DeadlineBreached":
            deadline = data["deadline"]
            last_day = _day(deadline["last_day"])
            fact.breaches.append((deadline["kind"], last_day))
            if deadline["kind"] == "first_reply":
                rounds[round_no].breached = True
            elif deadline["kind"] == "investigation":
                found = investigations.get((round_no, deadline.get("department") or ""))
                if found is not None:
                    found.breach_day = last_day
            elif (rect := rectifications.get(str(deadline.get("rectification_id")))) is not None:
                rect.breach_day = last_day
        elif kind == "DeadlineBreachWithdrawn":
            # The official calendar showed a provisional deadline was not yet due: that breach is no longer
            # counted, and the corrected deadline is the one in force (a later breach of it counts again).
            breached, current = data["deadline"], data["current"]
            if (breached["kind"], _day(breached["last_day"])) in fact.breaches:
                fact.breaches.remove((breached["kind"], _day(breached["last_day"])))
            if current["kind"] == "first_reply":
                rounds[round_no].breached = False
                set_due(rounds[round_no], current)
            elif current["kind"] == "investigation":
                found = investigations.get((round_no, current.get("department") or ""))
                if found is not None:
                    found.breach_day, found.due_day = None, _day(current["last_day"])
            elif (rect := rectifications.get(str(current.get("rectification_id")))) is not None:
                rect.breach_day, rect.due_day = None, _day(current["last_day"])
        elif kind == "ComplaintEscalated":
            fact.escalated_at = _earliest(fact.escalated_at, _ts(data["escalated_at"]))
        elif kind == "ReplyIssued":
            reply_round[str(data["reply_id"])] = round_no
        elif kind == "RectificationOrdered":
            rectifications[str(data["rectification_id"])] = RectificationFact(
                str(data["rectification_id"]),
                data["department"],
                _ts(data["ordered_at"]),
                _day(data["due"]["last_day"]),
            )
        elif kind == "RectificationCompleted":
            rect = rectifications.get(str(data["rectification_id"]))
            if rect is not None and rect.completed_at is None:
                rect.completed_at, rect.completed_on_time = _ts(data["completed_at"]), bool(data["on_time"])
        elif kind == "FollowUpRecorded":
            fact.follow_ups.append((bool(data["satisfied"]), _ts(data["recorded_at"])))
        elif kind == "ComplaintReopened":
            reopened_at = _ts(data["reopened_at"])
            fact.reopenings.append((data["reason"], reopened_at))
            round_no += 1
            rounds[round_no] = ReplyRound(round_no, reopened_at)
            if data.get("first_reply"):
                set_due(rounds[round_no], data["first_reply"])
        elif kind == "ComplaintClosed":
            fact.closed.append(_ts(data["closed_at"]))
        elif kind == "DisputeRecorded":
            dispute = disputes.setdefault(str(data["dispute_id"]), DisputeFact(str(data["dispute_id"]), data["route"]))
            dispute.recorded_at = _ts(data["recorded_at"])
        elif kind == "DisputeSettled":
            dispute = disputes.setdefault(str(data["dispute_id"]), DisputeFact(str(data["dispute_id"]), data["route"]))
            if dispute.settled_at is None:
                dispute.settled_at = _ts(data["settled_at"])
                dispute.compensation_cents = _cents(data["compensation_amount"])
                dispute.currency = data.get("currency") or "CNY"
        # -- notification ---------------------------------------------------------------------
        elif kind == "ReplySent":
            # Matched by reply id: the reply of an earlier round does not answer a reopened one.
            number = reply_round.get(str(data["reply_id"]))
            if number is not None:
                rounds[number].replied_at = _earliest(rounds[number].replied_at, _ts(data["sent_at"]))
    fact.departments = sorted(set(fact.departments) | assigned)
    fact.campuses = sorted(set(fact.campuses) | {fact.campus})
    fact.rounds = [rounds[n] for n in sorted(rounds)]
    fact.investigations = [investigations[k] for k in sorted(investigations)]
    fact.rectifications = [rectifications[k] for k in sorted(rectifications)]
    fact.disputes = [disputes[k] for k in sorted(disputes)]
    return fact


# --------------------------------------------------------------------------------------------
# Contributions
# --------------------------------------------------------------------------------------------


class WorkingTime:
    """A campus calendar's local days and working time, remembering each day's judgement (the
    library's lookups dominate otherwise). ``between`` is ``CampusCalendar.working_days_between``
    step for step, so it gives the same float (tests/unit/test_reporting_domain.py checks it)."""

    def __init__(self, calendar: CampusCalendar):
        self.calendar = calendar
        self.zone = ZoneInfo(calendar.timezone)
        self._days: dict[date, tuple[bool, datetime, datetime]] = {}

    def day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def _judge(self, day: date) -> tuple[bool, datetime, datetime]:
        found = self._days.get(day)
        if found is None:
            start = datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC)
            end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone).astimezone(UTC)
            found = self._days[day] = (self.calendar.is_working_day(day)[0], start, end)
        return found

    def between(self, start: datetime, end: datetime) -> float:
        if end < start:
            return -self.between(end, start)
        day, last = self.day(start), self.day(end)
        total = 0.0
        while day <= last:
            working, day_start, day_end = self._judge(day)
            if working:
                overlap = min(end, day_end) - max(start, day_start)
                total += max(overlap.total_seconds(), 0.0) / (day_end - day_start).total_seconds()
            day += timedelta(days=1)
        return total

    def tenths(self, start: datetime, end: datetime) -> int:
        """Working time in tenths of a working day (the statistics' resolution: medians and
        percentiles are exact at it, and the projection keeps a bounded number of rows)."""
        return round(self.between(start, end) * 10)


def contributions(fact: ComplaintFact, working: WorkingTime) -> list[Contribution]:
    """Every number the complaint adds to the statistics, dated by the local day it belongs to."""
    day = working.day

    received = day(fact.received_at)
    out: list[Contribution] = [
        (RECEIVED, received, "", 1),
        (RECEIVED_BY["category"], received, fact.category, 1),
        (RECEIVED_BY["channel"], received, fact.channel, 1),
        (RECEIVED_BY["severity"], received, fact.severity, 1),
    ]
    out += [(RECEIVED_BY["department"], received, department, 1) for department in fact.departments]
    if fact.resolved_on_spot_at is not None:
        out.append((RESOLVED_ON_SPOT, day(fact.resolved_on_spot_at), "", 1))
    out += [(NOT_ACCEPTED, day(at), reason, 1) for reason, at in fact.not_accepted]
    out += [(WITHDRAWN, day(at), "", 1) for at in fact.withdrawn]
    out += [(CLOSED, day(at), "", 1) for at in fact.closed]
    if fact.escalated_at is not None:
        out.append((ESCALATED, day(fact.escalated_at), "", 1))
    for round_ in fact.rounds:
        if round_.replied_at is not None:
            replied = day(round_.replied_at)
            if round_.started_at is not None:
                tenths = working.tenths(round_.started_at, round_.replied_at)
                out.append((FIRST_REPLY_WORKING, replied, str(tenths), 1))
            if round_.due_at is not None and round_.replied_at <= round_.due_at:
                # delivered in time: on time, even if a breach was emitted before the delivery was known
                out.append((FIRST_REPLY_ON_TIME, replied, "", 1))
            elif round_.due_day is not None:
                out.append((FIRST_REPLY_LATE, round_.due_day, "", 1))
        elif round_.breached and round_.due_day is not None:
            out.append((FIRST_REPLY_LATE, round_.due_day, "", 1))
    for inv in fact.investigations:
        out.append((INVESTIGATION_OPENED, day(inv.assigned_at), inv.department, 1))
        if inv.findings_at is not None:
            metric = INVESTIGATION_ON_TIME if inv.findings_on_time else INVESTIGATION_LATE
            out.append((metric, day(inv.findings_at), inv.department, 1))
        if inv.extended_at is not None:
            out.append((INVESTIGATION_EXTENDED, day(inv.extended_at), inv.department, 1))
        if inv.breach_day is not None:
            out.append((INVESTIGATION_BREACHED, inv.breach_day, inv.department, 1))
    for rect in fact.rectifications:
        if rect.ordered_at is not None:
            out.append((RECTIFICATION_ORDERED, day(rect.ordered_at), rect.department, 1))
        if rect.completed_at is not None:
            out.append((RECTIFICATION_COMPLETED, day(rect.completed_at), rect.department, 1))
        if rect.breach_day is not None:
            out.append((RECTIFICATION_OVERDUE, rect.breach_day, rect.department, 1))
        elif rect.completed_at is not None and rect.completed_on_time is False and rect.due_day is not None:
            out.append((RECTIFICATION_OVERDUE, rect.due_day, rect.department, 1))
    out += [(DEADLINE_BREACHED, last_day, kind, 1) for kind, last_day in fact.breaches]
    out += [
        (FOLLOW_UP_SATISFIED if satisfied else FOLLOW_UP_DISSATISFIED, day(at), "", 1)
        for satisfied, at in fact.follow_ups
    ]
    out += [(REOPENED, day(at), reason, 1) for reason, at in fact.reopenings]
    for dispute in fact.disputes:
        if dispute.recorded_at is not None:
            out.append((DISPUTE_RECORDED, day(dispute.recorded_at), dispute.route, 1))
        if dispute.settled_at is not None:
            settled = day(dispute.settled_at)
            out.append((DISPUTE_SETTLED, settled, dispute.route, 1))
            if dispute.compensation_cents:
                out.append(
                    (DISPUTE_COMPENSATION, settled, f"{dispute.route}|{dispute.currency}", dispute.compensation_cents)
                )
    return out


def campus_set(campuses: Iterable[str]) -> str:
    return ",".join(sorted(set(campuses)))


def places(campus_set_: str) -> list[str]:
    """Where a cell of this campus set counts: under each of its campuses, and once in the group."""
    return [*campus_set_.split(","), GROUP]


def add_cells(fact: ComplaintFact, items: Iterable[Contribution], cells: Cells, sign: int = 1) -> Cells:
    # Interned: a rebuild holds many cells whose strings would otherwise be copies per complaint.
    where, source = sys.intern(campus_set(fact.campuses)), sys.intern(fact.source)
    for metric, day, key, value in items:
        cell = (day, where, source, metric, sys.intern(key))
        cells[cell] = cells.get(cell, 0) + sign * value
    return cells


class Calendars:
    """Each campus's working time; a campus missing from the configuration gets the statutory default
    (statistics must never fail because a campus was renamed or removed)."""

    def __init__(self, calendars: Mapping[str, CampusCalendar]):
        self.calendars = dict(calendars)
        self._working: dict[str, WorkingTime] = {}

    def __getitem__(self, campus: str) -> WorkingTime:
        found = self._working.get(campus)
        if found is None:
            found = self._working[campus] = WorkingTime(self.calendars.get(campus) or CampusCalendar(campus))
        return found


def cells_of(events: Iterable[LoggedEvent], calendars: Calendars, into: Cells | None = None, sign: int = 1) -> Cells:
    """Fold one complaint's events and add (or with ``sign=-1`` subtract) its cells."""
    cells: Cells = {} if into is None else into
    fact = fold(events)
    if fact is not None:
        add_cells(fact, contributions(fact, calendars[fact.campus]), cells, sign)
    return cells


def month_of(day: date) -> date:
    return day.replace(day=1)


def local_day(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def shift_year(day: date, years: int = -1) -> date:
    """The same calendar day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


ONE_DAY = timedelta(days=1)
