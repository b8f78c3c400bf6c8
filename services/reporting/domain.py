"""Reporting's rules, pure: from a complaint's events to its facts, from facts to contributions, and
from summed contributions to the statistics a report shows.

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

The **statistics** are read through a :class:`Cube`: sums of contribution cells over a range of local
days. Two cubes answer the same questions: the projection tables (``queries.ProjectionCube``, for "now")
and :class:`MemoryCube` (cells folded from the event log, for "as of" and publications). Both hold the
same integers, so the same code gives the same figures from either: periods and buckets, the report's
figures, the change against a year earlier, spikes and what changed between two publications.
"""

from __future__ import annotations

import calendar as _calendar
import math
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple, Protocol
from zoneinfo import ZoneInfo

from shared import catalogue
from shared.events.vocabularies import SUBSTANTIATED
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
DISPUTE_CURRENT_ROUTE = "dispute.current_route"  # key: the dispute's latest route, dated by its recording
DISPUTE_ROUTE_CHANGED = "dispute.route_changed"  # key: the route moved to
DISPUTE_MAJOR = "dispute.major"
AUTHORITY_ON_TIME = "dispute.authority_report.on_time"
AUTHORITY_LATE = "dispute.authority_report.late"
SEALS_OPEN = "seals.open"  # +1 dated by each sealing, -1 by each unsealing
POLICE_REPORTS = "police_reports"
STATUTORY_ON_TIME = "statutory_feedback.on_time"
STATUTORY_LATE = "statutory_feedback.late"
STATUTORY_OPEN_OVERDUE = "statutory_feedback.open_overdue"
STATUTORY_WITHOUT_CONTACT = "statutory_feedback.issued_without_contact"
UPHELD = "upheld"  # key: the findings' substantiated value (yes / partly / no)
# Issue 17: authority referrals (complaints, counted apart as well), suggestions and compliments (never complaints).
REFERRAL_RECEIVED = "referral.received"
REFERRAL_ON_TIME = "referral.replied_on_time"
REFERRAL_LATE = "referral.replied_late"
REFERRAL_OPEN_OVERDUE = "referral.open_overdue"
KIND_RECEIVED = {"suggestion": "suggestion.received", "compliment": "compliment.received"}
KIND_BY_DEPARTMENT = {"suggestion": "suggestion.received.department", "compliment": "compliment.received.department"}
SUGGESTION_ADOPTED = "suggestion.adopted"
SUGGESTION_ADOPTED_BY_DEPARTMENT = "suggestion.adopted.department"
COMPLAINT = "complaint"

RECEIPT = "ComplaintReceived"  # the event a complaint's facts are made of (every other one amends them)
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
    current_route: str | None = None  # the latest route (None: never changed, ``route`` it is)
    route_changes: list[datetime] = field(default_factory=list)
    major: bool = False
    authority_due_at: datetime | None = None
    authority_due_day: date | None = None
    authority_breached: bool = False
    initial_report_at: datetime | None = None  # the first initial DisputeReportedToAuthority
    initial_report_on_time: bool | None = None


@dataclass
class StatutoryFact:
    """The statutory feedback clock (CONTRACT §7): from receipt, met by the first feedback delivered
    (``ReplySent`` of any reply kind), or for a complaint nobody can be told about by the first feedback
    issued (``InterimFeedbackIssued`` or ``ReplyIssued``)."""

    due_at: datetime | None = None
    due_day: date | None = None
    breached: bool = False
    has_contact: bool | None = None  # None: investigation did not say (the receipt's has_contact is used)
    sent_at: datetime | None = None  # the first ReplySent of any kind
    issued_at: datetime | None = None  # the first feedback issued (interim or final)


@dataclass
class ReferralFact:
    """An authority referral's reply (CONTRACT §10): due by the end of ``due_day`` (campus local), met by the
    first ``ReferrerReplied``."""

    due_day: date
    breached: bool = False
    replied_at: datetime | None = None
    replied_on_time: bool | None = None


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
    statutory: StatutoryFact = field(default_factory=lambda: StatutoryFact())
    upheld: list[tuple[str, datetime]] = field(default_factory=list)  # (substantiated, submitted_at) per findings
    seals: list[tuple[int, datetime]] = field(default_factory=list)  # (+1 sealed / -1 unsealed, when)
    police_reports: list[datetime] = field(default_factory=list)
    kind: str = COMPLAINT  # complaint, suggestion or compliment: only complaints count in complaint figures
    adopted_at: datetime | None = None  # a suggestion's adoption
    referral: ReferralFact | None = None

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


@dataclass
class _Folding:
    """One complaint's facts while its events are folded, with what later events refer back to: the
    reply round in force, the rounds' replies by id, investigations by (round, department),
    rectifications and disputes by id, and every department assigned to investigate."""

    fact: ComplaintFact
    round_no: int = 1
    rounds: dict[int, ReplyRound] = field(default_factory=dict)
    reply_round: dict[str, int] = field(default_factory=dict)
    investigations: dict[tuple[int, str], InvestigationFact] = field(default_factory=dict)
    rectifications: dict[str, RectificationFact] = field(default_factory=dict)
    disputes: dict[str, DisputeFact] = field(default_factory=dict)
    assigned: set[str] = field(default_factory=set)

    @property
    def round(self) -> ReplyRound:
        return self.rounds[self.round_no]

    def investigation(self, department: str) -> InvestigationFact | None:
        """This round's investigation by the department, if one was opened."""
        return self.investigations.get((self.round_no, department))

    def rectification(self, item: Mapping[str, Any]) -> RectificationFact | None:
        return self.rectifications.get(str(item.get("rectification_id")))

    def dispute(self, data: Mapping[str, Any]) -> DisputeFact:
        dispute_id = str(data["dispute_id"])
        return self.disputes.setdefault(dispute_id, DisputeFact(dispute_id, data["route"]))

    def finish(self) -> ComplaintFact:
        fact = self.fact
        fact.departments = sorted(set(fact.departments) | self.assigned)
        fact.campuses = sorted(set(fact.campuses) | {fact.campus})
        fact.rounds = [self.rounds[n] for n in sorted(self.rounds)]
        fact.investigations = [self.investigations[k] for k in sorted(self.investigations)]
        fact.rectifications = [self.rectifications[k] for k in sorted(self.rectifications)]
        fact.disputes = [self.disputes[k] for k in sorted(self.disputes)]
        return fact


Mutator = Callable[[_Folding, LoggedEvent], None]

#: one mutator per event type the fold reads (eventsourcing's shape); the others (reminders, failed
#: notifications, extension requests and refusals) change no statistic, so a rebuild need not read them
MUTATORS: dict[str, Mutator] = {}


def _on(event_type: str) -> Callable[[Mutator], Mutator]:
    if event_type not in catalogue.EVENT_TYPES:
        raise ValueError(f"{event_type} is no event type of the catalogue")

    def register(mutator: Mutator) -> Mutator:
        MUTATORS[event_type] = mutator
        return mutator

    return register


def fold(events: Iterable[LoggedEvent]) -> ComplaintFact | None:
    """The facts of one complaint from its events (any order, duplicates allowed); ``None`` while
    its ``ComplaintReceived`` is not known (a complaint is counted from its receipt on)."""
    seen = {(event.source, event.sequence): event for event in events}
    if len(seen) == 1:  # most batches bring a complaint one event (its receipt): no sorting to do
        ordered = list(seen.values())
    else:
        ordered = sorted(seen.values(), key=lambda e: (_SOURCE_ORDER.get(e.source, 9), e.source, e.sequence))
    receipt = next((e.data for e in ordered if e.type == RECEIPT), None)
    if receipt is None:
        return None
    state = _Folding(_fact_of_receipt(receipt))
    state.rounds[1] = ReplyRound(1, state.fact.received_at)
    for event in ordered:
        mutate = MUTATORS.get(event.type)
        if mutate is not None:
            mutate(state, event)
    return state.finish()


def _fact_of_receipt(received: Mapping[str, Any]) -> ComplaintFact:
    return ComplaintFact(
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
        statutory=StatutoryFact(has_contact=received.get("has_contact")),
        kind=received.get("kind", COMPLAINT),
        referral=ReferralFact(_day(received["referral"]["reply_due"])) if received.get("referral") else None,
    )


def _set_due(target: ReplyRound, deadline: Mapping[str, Any]) -> None:
    target.due_at, target.due_day = _ts(deadline["due_at"]), _day(deadline["last_day"])


def _set_statutory(statutory: StatutoryFact, opened: Mapping[str, Any]) -> None:
    if opened.get("statutory_feedback") and statutory.due_at is None:  # the first opening's deadline
        deadline = opened["statutory_feedback"]
        statutory.due_at, statutory.due_day = _ts(deadline["due_at"]), _day(deadline["last_day"])
    if opened.get("has_contact") is not None:
        statutory.has_contact = bool(opened["has_contact"])


def _reschedule_statutory(statutory: StatutoryFact, deadline: Mapping[str, Any]) -> None:
    statutory.due_at, statutory.due_day = _ts(deadline["due_at"]), _day(deadline["last_day"])


# -- intake ---------------------------------------------------------------------------------------


@_on(RECEIPT)
def _received(state: _Folding, event: LoggedEvent) -> None:
    """The fact is made of the first receipt (:func:`fold`); another copy of it changes nothing."""


@_on("ComplaintReclassified")
def _reclassified(state: _Folding, event: LoggedEvent) -> None:
    fact, current = state.fact, event.data["current"]
    fact.category = current.get("category", fact.category)
    fact.severity = current.get("severity", fact.severity)
    fact.campuses = list(current.get("campuses") or fact.campuses)
    fact.departments = list(current.get("departments", fact.departments))


@_on("ComplaintResolvedOnSpot")
def _resolved_on_spot(state: _Folding, event: LoggedEvent) -> None:
    state.fact.resolved_on_spot_at = _earliest(state.fact.resolved_on_spot_at, _ts(event.data["resolved_at"]))


@_on("ComplaintNotAccepted")
def _not_accepted(state: _Folding, event: LoggedEvent) -> None:
    state.fact.not_accepted.append((event.data["reason"], _ts(event.data["decided_at"])))


@_on("SuggestionAdopted")
def _suggestion_adopted(state: _Folding, event: LoggedEvent) -> None:
    state.fact.adopted_at = _earliest(state.fact.adopted_at, _ts(event.data["adopted_at"]))


@_on("ComplaintWithdrawn")
def _withdrawn(state: _Folding, event: LoggedEvent) -> None:
    state.fact.withdrawn.append(_ts(event.data["withdrawn_at"]))


# -- investigation (its own sequence order: rounds follow reopenings) --------------------------------


@_on("InvestigationOpened")
def _investigation_opened(state: _Folding, event: LoggedEvent) -> None:
    # Every opening carries the first-reply deadline currently in force for this round.
    data = event.data
    _set_due(state.round, data["first_reply"])
    _set_statutory(state.fact.statutory, data)
    state.assigned.update(data.get("departments") or [])
    for due in data.get("investigations") or []:
        state.investigations[(state.round_no, due["department"])] = InvestigationFact(
            state.round_no, due["department"], event.time, _day(due["last_day"])
        )


@_on("DeadlineRescheduled")
def _deadline_rescheduled(state: _Folding, event: LoggedEvent) -> None:
    current = event.data["current"]
    if current["kind"] == "first_reply":
        _set_due(state.round, current)
    elif current["kind"] == "statutory_feedback":
        _reschedule_statutory(state.fact.statutory, current)
    elif current["kind"] == "investigation":
        found = state.investigation(current.get("department") or "")
        if found is not None:
            found.due_day = _day(current["last_day"])
    elif (rect := state.rectification(current)) is not None:
        rect.due_day = _day(current["last_day"])


@_on("ExtensionGranted")
def _extension_granted(state: _Folding, event: LoggedEvent) -> None:
    data = event.data
    found = state.investigation(data["department"])
    if found is not None:
        found.extended_at = _earliest(found.extended_at, _ts(data["decided_at"]))
        found.due_day = _day(data["deadline"]["last_day"])


@_on("FindingsSubmitted")
def _findings_submitted(state: _Folding, event: LoggedEvent) -> None:
    data = event.data
    found = state.investigation(data["department"])
    if found is not None and found.findings_at is None:
        found.findings_at, found.findings_on_time = _ts(data["submitted_at"]), bool(data["on_time"])
        if data.get("substantiated"):
            state.fact.upheld.append((data["substantiated"], found.findings_at))


@_on("DeadlineBreached")
def _deadline_breached(state: _Folding, event: LoggedEvent) -> None:
    deadline = event.data["deadline"]
    last_day = _day(deadline["last_day"])
    state.fact.breaches.append((deadline["kind"], last_day))
    if deadline["kind"] == "first_reply":
        state.round.breached = True
    elif deadline["kind"] == "statutory_feedback":
        state.fact.statutory.breached = True
    elif deadline["kind"] == "authority_report":
        _authority_breached(state, deadline, True)
    elif deadline["kind"] == "referrer_reply" and state.fact.referral is not None:
        state.fact.referral.breached = True
    elif deadline["kind"] == "investigation":
        found = state.investigation(deadline.get("department") or "")
        if found is not None:
            found.breach_day = last_day
    elif (rect := state.rectification(deadline)) is not None:
        rect.breach_day = last_day


@_on("DeadlineBreachWithdrawn")
def _deadline_breach_withdrawn(state: _Folding, event: LoggedEvent) -> None:
    # The official calendar showed a provisional deadline was not yet due: that breach is no longer
    # counted, and the corrected deadline is the one in force (a later breach of it counts again).
    breached, current = event.data["deadline"], event.data["current"]
    if (breached["kind"], _day(breached["last_day"])) in state.fact.breaches:
        state.fact.breaches.remove((breached["kind"], _day(breached["last_day"])))
    if current["kind"] == "first_reply":
        state.round.breached = False
        _set_due(state.round, current)
    elif current["kind"] == "statutory_feedback":
        state.fact.statutory.breached = False
        _reschedule_statutory(state.fact.statutory, current)
    elif current["kind"] == "authority_report":
        _authority_breached(state, event.data["deadline"], False)
    elif current["kind"] == "investigation":
        found = state.investigation(current.get("department") or "")
        if found is not None:
            found.breach_day, found.due_day = None, _day(current["last_day"])
    elif (rect := state.rectification(current)) is not None:
        rect.breach_day, rect.due_day = None, _day(current["last_day"])


@_on("ComplaintEscalated")
def _escalated(state: _Folding, event: LoggedEvent) -> None:
    state.fact.escalated_at = _earliest(state.fact.escalated_at, _ts(event.data["escalated_at"]))


@_on("ReplyIssued")
def _reply_issued(state: _Folding, event: LoggedEvent) -> None:
    state.reply_round[str(event.data["reply_id"])] = state.round_no
    _issued(state.fact.statutory, event.data)


def _issued(statutory: StatutoryFact, data: Mapping[str, Any]) -> None:
    statutory.issued_at = _earliest(statutory.issued_at, _ts(data["issued_at"]))


@_on("InterimFeedbackIssued")
def _interim_feedback_issued(state: _Folding, event: LoggedEvent) -> None:
    _issued(state.fact.statutory, event.data)


@_on("RectificationOrdered")
def _rectification_ordered(state: _Folding, event: LoggedEvent) -> None:
    data = event.data
    rectification_id = str(data["rectification_id"])
    state.rectifications[rectification_id] = RectificationFact(
        rectification_id, data["department"], _ts(data["ordered_at"]), _day(data["due"]["last_day"])
    )


@_on("RectificationCompleted")
def _rectification_completed(state: _Folding, event: LoggedEvent) -> None:
    rect = state.rectifications.get(str(event.data["rectification_id"]))
    if rect is not None and rect.completed_at is None:
        rect.completed_at, rect.completed_on_time = _ts(event.data["completed_at"]), bool(event.data["on_time"])


@_on("FollowUpRecorded")
def _follow_up_recorded(state: _Folding, event: LoggedEvent) -> None:
    state.fact.follow_ups.append((bool(event.data["satisfied"]), _ts(event.data["recorded_at"])))


@_on("ReferrerReplied")
def _referrer_replied(state: _Folding, event: LoggedEvent) -> None:
    referral = state.fact.referral
    if referral is not None and referral.replied_at is None:
        referral.replied_at, referral.replied_on_time = _ts(event.data["answered_at"]), bool(event.data["on_time"])


@_on("ComplaintReopened")
def _reopened(state: _Folding, event: LoggedEvent) -> None:
    data = event.data
    reopened_at = _ts(data["reopened_at"])
    state.fact.reopenings.append((data["reason"], reopened_at))
    state.round_no += 1
    state.rounds[state.round_no] = ReplyRound(state.round_no, reopened_at)
    if data.get("first_reply"):
        _set_due(state.round, data["first_reply"])


@_on("ComplaintClosed")
def _closed(state: _Folding, event: LoggedEvent) -> None:
    state.fact.closed.append(_ts(event.data["closed_at"]))


@_on("DisputeRecorded")
def _dispute_recorded(state: _Folding, event: LoggedEvent) -> None:
    data = event.data
    dispute = state.dispute(data)
    dispute.recorded_at = _ts(data["recorded_at"])
    dispute.major = bool(data.get("major"))
    if data.get("authority_report"):
        deadline = data["authority_report"]
        dispute.authority_due_at, dispute.authority_due_day = _ts(deadline["due_at"]), _day(deadline["last_day"])


@_on("DisputeRouteChanged")
def _dispute_route_changed(state: _Folding, event: LoggedEvent) -> None:
    # Events are folded in sequence order: the last change read is the latest route.
    data = event.data
    dispute = state.dispute({**data, "route": data["previous"]})
    dispute.current_route = data["route"]
    dispute.route_changes.append(_ts(data["changed_at"]))


@_on("DisputeReportedToAuthority")
def _dispute_reported_to_authority(state: _Folding, event: LoggedEvent) -> None:
    data = event.data
    dispute = state.disputes.get(str(data["dispute_id"]))
    if dispute is None or data["report_kind"] != "initial" or dispute.initial_report_at is not None:
        return  # follow-up and final reports meet no deadline; the first initial report counts
    dispute.initial_report_at = _ts(data["reported_at"])
    dispute.initial_report_on_time = bool(data.get("on_time", True))


def _authority_breached(state: _Folding, deadline: Mapping[str, Any], breached: bool) -> None:
    """The case's authority_report breach names no dispute: it is the major dispute's whose deadline
    it is (by due time), else the first major dispute not yet reported."""
    majors = [d for _, d in sorted(state.disputes.items()) if d.major and d.initial_report_at is None]
    due_at = _ts(deadline["due_at"])
    found = next((d for d in majors if d.authority_due_at == due_at), majors[0] if majors else None)
    if found is not None:
        found.authority_breached = breached


@_on("RecordsSealed")
def _records_sealed(state: _Folding, event: LoggedEvent) -> None:
    state.fact.seals.append((1, _ts(event.data["sealed_at"])))


@_on("RecordsUnsealed")
def _records_unsealed(state: _Folding, event: LoggedEvent) -> None:
    state.fact.seals.append((-1, _ts(event.data["unsealed_at"])))


@_on("PoliceNotified")
def _police_notified(state: _Folding, event: LoggedEvent) -> None:
    state.fact.police_reports.append(_ts(event.data["reported_at"]))


@_on("DisputeSettled")
def _dispute_settled(state: _Folding, event: LoggedEvent) -> None:
    data = event.data
    dispute = state.dispute(data)
    if dispute.settled_at is None:
        dispute.settled_at = _ts(data["settled_at"])
        dispute.compensation_cents = _cents(data["compensation_amount"])
        dispute.currency = data.get("currency") or "CNY"


# -- notification -----------------------------------------------------------------------------------


@_on("ReplySent")
def _reply_sent(state: _Folding, event: LoggedEvent) -> None:
    # Matched by reply id: the reply of an earlier round does not answer a reopened one.
    statutory = state.fact.statutory
    statutory.sent_at = _earliest(statutory.sent_at, _ts(event.data["sent_at"]))  # any kind meets it
    if event.data.get("reply_kind") == "interim":
        return  # interim feedback stops the statutory clock only
    number = state.reply_round.get(str(event.data["reply_id"]))
    if number is not None:
        reply = state.rounds[number]
        reply.replied_at = _earliest(reply.replied_at, _ts(event.data["sent_at"]))


#: event types the fold reads (those with a mutator); a rebuild reads no other
FOLDED_TYPES = frozenset(MUTATORS)


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
    """Every number the complaint adds to the statistics, dated by the local day it belongs to. A suggestion
    or compliment adds only its own counts: every complaint figure stays complaint-only."""
    day = working.day
    if fact.kind != COMPLAINT:
        return _kind_contributions(fact, day)
    out = _receipt_contributions(fact, day)
    if fact.resolved_on_spot_at is not None:
        out.append((RESOLVED_ON_SPOT, day(fact.resolved_on_spot_at), "", 1))
    out += [(NOT_ACCEPTED, day(at), reason, 1) for reason, at in fact.not_accepted]
    out += [(WITHDRAWN, day(at), "", 1) for at in fact.withdrawn]
    out += [(CLOSED, day(at), "", 1) for at in fact.closed]
    if fact.escalated_at is not None:
        out.append((ESCALATED, day(fact.escalated_at), "", 1))
    for round_ in fact.rounds:
        out += _reply_contributions(round_, working)
    for inv in fact.investigations:
        out += _investigation_contributions(inv, day)
    for rect in fact.rectifications:
        out += _rectification_contributions(rect, day)
    out += [(DEADLINE_BREACHED, last_day, kind, 1) for kind, last_day in fact.breaches]
    out += [
        (FOLLOW_UP_SATISFIED if satisfied else FOLLOW_UP_DISSATISFIED, day(at), "", 1)
        for satisfied, at in fact.follow_ups
    ]
    out += [(REOPENED, day(at), reason, 1) for reason, at in fact.reopenings]
    for dispute in fact.disputes:
        out += _dispute_contributions(dispute, day)
    out += _statutory_contributions(fact.statutory, day)
    out += [(UPHELD, day(at), value, 1) for value, at in fact.upheld]
    out += [(SEALS_OPEN, day(at), "", sign) for sign, at in fact.seals]
    out += [(POLICE_REPORTS, day(at), "", 1) for at in fact.police_reports]
    if fact.referral is not None:
        out += _referral_contributions(fact.referral, day(fact.received_at))
    return out


def _kind_contributions(fact: ComplaintFact, day: LocalDay) -> list[Contribution]:
    """A suggestion or compliment: received (by its receipt), a suggestion adopted (by its adoption); each
    once in the total and once under every department it concerns."""
    if fact.kind not in KIND_RECEIVED:
        return []
    received = day(fact.received_at)
    out: list[Contribution] = [(KIND_RECEIVED[fact.kind], received, "", 1)]
    out += [(KIND_BY_DEPARTMENT[fact.kind], received, d, 1) for d in fact.departments]
    if fact.kind == "suggestion" and fact.adopted_at is not None:
        adopted = day(fact.adopted_at)
        out.append((SUGGESTION_ADOPTED, adopted, "", 1))
        out += [(SUGGESTION_ADOPTED_BY_DEPARTMENT, adopted, d, 1) for d in fact.departments]
    return out


def _referral_contributions(referral: ReferralFact, received: date) -> list[Contribution]:
    """Received (by the receipt); replied on time (by the reply), late or open overdue (by the reply date)."""
    out: list[Contribution] = [(REFERRAL_RECEIVED, received, "", 1)]
    if referral.replied_at is not None:
        if referral.replied_on_time:
            return [*out, (REFERRAL_ON_TIME, referral.replied_at.date(), "", 1)]
        return [*out, (REFERRAL_LATE, referral.due_day, "", 1)]
    if referral.breached:
        out.append((REFERRAL_OPEN_OVERDUE, referral.due_day, "", 1))
    return out


def _statutory_contributions(statutory: StatutoryFact, day: LocalDay) -> list[Contribution]:
    """On time (dated by the delivery), late (by the deadline's last day, as first replies), open and
    overdue (breached, nothing delivered yet: by the last day), or issued without contact (apart)."""
    if statutory.due_at is None or statutory.due_day is None:
        return []  # no statutory clock on this complaint (resolved on the spot, or an older opening)
    if statutory.has_contact is False:
        if statutory.issued_at is not None:
            return [(STATUTORY_WITHOUT_CONTACT, day(statutory.issued_at), "", 1)]
        return [(STATUTORY_OPEN_OVERDUE, statutory.due_day, "", 1)] if statutory.breached else []
    if statutory.sent_at is not None:
        if statutory.sent_at <= statutory.due_at:
            return [(STATUTORY_ON_TIME, day(statutory.sent_at), "", 1)]
        return [(STATUTORY_LATE, statutory.due_day, "", 1)]
    return [(STATUTORY_OPEN_OVERDUE, statutory.due_day, "", 1)] if statutory.breached else []


LocalDay = Callable[[datetime], date]


def _receipt_contributions(fact: ComplaintFact, day: LocalDay) -> list[Contribution]:
    received = day(fact.received_at)
    out: list[Contribution] = [
        (RECEIVED, received, "", 1),
        (RECEIVED_BY["category"], received, fact.category, 1),
        (RECEIVED_BY["channel"], received, fact.channel, 1),
        (RECEIVED_BY["severity"], received, fact.severity, 1),
    ]
    return out + [(RECEIVED_BY["department"], received, department, 1) for department in fact.departments]


def _reply_contributions(round_: ReplyRound, working: WorkingTime) -> list[Contribution]:
    out: list[Contribution] = []
    if round_.replied_at is not None:
        replied = working.day(round_.replied_at)
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
    return out


def _investigation_contributions(inv: InvestigationFact, day: LocalDay) -> list[Contribution]:
    out: list[Contribution] = [(INVESTIGATION_OPENED, day(inv.assigned_at), inv.department, 1)]
    if inv.findings_at is not None:
        metric = INVESTIGATION_ON_TIME if inv.findings_on_time else INVESTIGATION_LATE
        out.append((metric, day(inv.findings_at), inv.department, 1))
    if inv.extended_at is not None:
        out.append((INVESTIGATION_EXTENDED, day(inv.extended_at), inv.department, 1))
    if inv.breach_day is not None:
        out.append((INVESTIGATION_BREACHED, inv.breach_day, inv.department, 1))
    return out


def _rectification_contributions(rect: RectificationFact, day: LocalDay) -> list[Contribution]:
    out: list[Contribution] = []
    if rect.ordered_at is not None:
        out.append((RECTIFICATION_ORDERED, day(rect.ordered_at), rect.department, 1))
    if rect.completed_at is not None:
        out.append((RECTIFICATION_COMPLETED, day(rect.completed_at), rect.department, 1))
    if rect.breach_day is not None:
        out.append((RECTIFICATION_OVERDUE, rect.breach_day, rect.department, 1))
    elif rect.completed_at is not None and rect.completed_on_time is False and rect.due_day is not None:
        out.append((RECTIFICATION_OVERDUE, rect.due_day, rect.department, 1))
    return out


def _dispute_contributions(dispute: DisputeFact, day: LocalDay) -> list[Contribution]:
    out: list[Contribution] = []
    if dispute.recorded_at is not None:
        out.append((DISPUTE_RECORDED, day(dispute.recorded_at), dispute.route, 1))
    if dispute.settled_at is not None:
        settled = day(dispute.settled_at)
        out.append((DISPUTE_SETTLED, settled, dispute.route, 1))
        if dispute.compensation_cents:
            compensation = (
                DISPUTE_COMPENSATION,
                settled,
                f"{dispute.route}|{dispute.currency}",
                dispute.compensation_cents,
            )
            out.append(compensation)
    return out + _dispute_duty_contributions(dispute, day)


def _dispute_duty_contributions(dispute: DisputeFact, day: LocalDay) -> list[Contribution]:
    """Current route and major (dated by the recording), route changes (by each change), the initial
    authority report on time (by the report) or late (by the deadline's last day, as first replies;
    a breach unreported is late too)."""
    out: list[Contribution] = [
        (DISPUTE_ROUTE_CHANGED, day(at), dispute.current_route or "", 1) for at in dispute.route_changes
    ]
    if dispute.recorded_at is not None:
        recorded = day(dispute.recorded_at)
        out.append((DISPUTE_CURRENT_ROUTE, recorded, dispute.current_route or dispute.route, 1))
        if dispute.major:
            out.append((DISPUTE_MAJOR, recorded, "", 1))
    if dispute.initial_report_at is not None:
        if dispute.initial_report_on_time:
            out.append((AUTHORITY_ON_TIME, day(dispute.initial_report_at), "", 1))
        else:
            out.append((AUTHORITY_LATE, dispute.authority_due_day or day(dispute.initial_report_at), "", 1))
    elif dispute.major and dispute.authority_breached and dispute.authority_due_day is not None:
        out.append((AUTHORITY_LATE, dispute.authority_due_day, "", 1))
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


# --------------------------------------------------------------------------------------------
# Statistics: figures from summed contributions
# --------------------------------------------------------------------------------------------

GRANULARITIES = ("day", "week", "month", "year")

# The days a report may cover: the year-earlier comparison, the spike weeks before a period and the
# day after it must stay inside Python's and PostgreSQL's dates (docs/reporting.md, "Limits").
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)
MAX_YEARS = 100  # the longest period of one report
MAX_BUCKETS = 1000  # a series longer than this is not a report but a dump

# Counts given per bucket in a series, and compared with the same period a year earlier.
HEADLINE = (
    RECEIVED,
    RESOLVED_ON_SPOT,
    NOT_ACCEPTED,
    WITHDRAWN,
    CLOSED,
    ESCALATED,
    FIRST_REPLY_ON_TIME,
    FIRST_REPLY_LATE,
    STATUTORY_ON_TIME,
    STATUTORY_LATE,
    INVESTIGATION_OPENED,
    INVESTIGATION_ON_TIME,
    INVESTIGATION_LATE,
    INVESTIGATION_EXTENDED,
    INVESTIGATION_BREACHED,
    RECTIFICATION_ORDERED,
    RECTIFICATION_COMPLETED,
    RECTIFICATION_OVERDUE,
    FOLLOW_UP_SATISFIED,
    FOLLOW_UP_DISSATISFIED,
    REOPENED,
    DISPUTE_RECORDED,
    DISPUTE_SETTLED,
    DEADLINE_BREACHED,
)

# Spike detection (docs/reporting.md): the last 7 days against the 8 weeks of 7 days before them.
SPIKE_WEEKS = 8
SPIKE_SIGMAS = 2.0
SPIKE_MINIMUM = 3
SPIKE_DIMENSIONS = {"category": RECEIVED_BY["category"], "department": RECEIVED_BY["department"]}


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
        return Period(shift_year(self.start), shift_year(self.end))

    def previous(self) -> Period:
        """The period just before (环比): the month before a whole calendar month, else as many days."""
        day_before = self.start - timedelta(days=1)
        if self.start.day == 1 and (self.end + timedelta(days=1)).day == 1 and month_of(self.end) == self.start:
            return Period(day_before.replace(day=1), day_before)
        return Period(self.start - timedelta(days=self.days), day_before)

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
    return Period(min(end, max(FIRST_DAY, shift_year(end) + timedelta(days=1))), end)


def limits(period: Period, granularity: str) -> dict[str, list[str]]:
    """What makes a report out of range or too costly to compute, found before any of it is computed:
    400 errors by field (empty: the report may be computed)."""
    errors: dict[str, list[str]] = {}
    if not FIRST_DAY <= period.start <= period.end <= LAST_DAY:
        bad = "from" if FIRST_DAY <= period.end <= LAST_DAY else "to"
        errors[bad] = [f"outside the days a report covers ({FIRST_DAY} to {LAST_DAY})"]
    elif period.end >= shift_year(period.start, MAX_YEARS):
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
        for place in places(where):
            out[place].update(sums)
    return {place: {k: v for k, v in sums.items() if v} for place, sums in out.items()}


def holds(where: str, campus: str) -> bool:
    """Whether cells of campus set ``where`` count for ``campus`` (or the group)."""
    return campus == GROUP or campus in where.split(",")


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

    def __init__(self, cells: Mapping[CellKey, int]):
        self.cells = {k: v for k, v in cells.items() if v}

    def _select(self, period: Period, source: str | None) -> Iterable[tuple[CellKey, int]]:
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
                for place in places(where):
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


INVESTIGATION_FIGURES = {
    "opened": INVESTIGATION_OPENED,
    "on_time": INVESTIGATION_ON_TIME,
    "late": INVESTIGATION_LATE,
    "extended": INVESTIGATION_EXTENDED,
    "breached": INVESTIGATION_BREACHED,
}
RECTIFICATION_FIGURES = {
    "ordered": RECTIFICATION_ORDERED,
    "completed": RECTIFICATION_COMPLETED,
    "overdue": RECTIFICATION_OVERDUE,
}


def figures(raw: Mapping[tuple[str, str], int]) -> dict[str, Any]:
    """Every statistic of CONTRACT §5 for one campus (or the group) over one period."""
    sums = _Sums(raw)
    return {
        "received": {
            "total": _total(sums, RECEIVED),
            **{f"by_{name}": _by(sums, metric) for name, metric in RECEIVED_BY.items()},
        },
        "resolved_on_spot": _total(sums, RESOLVED_ON_SPOT),
        "not_accepted": {"total": _total(sums, NOT_ACCEPTED), "by_reason": _by(sums, NOT_ACCEPTED)},
        "withdrawn": _total(sums, WITHDRAWN),
        "closed": _total(sums, CLOSED),
        "escalated": _total(sums, ESCALATED),
        "first_reply": _first_reply_figures(sums),
        "statutory_feedback": _statutory_figures(sums),
        "upheld": _upheld_figures(sums),
        "investigations": _department_figures(sums, INVESTIGATION_FIGURES),
        "rectifications": _department_figures(sums, RECTIFICATION_FIGURES),
        "follow_up": _follow_up_figures(sums),
        "reopened": {"total": _total(sums, REOPENED), "by_reason": _by(sums, REOPENED)},
        "disputes": _dispute_figures(sums),
        "deadline_breaches": {"total": _total(sums, DEADLINE_BREACHED), "by_kind": _by(sums, DEADLINE_BREACHED)},
        "referrals": _referral_figures(sums),
        "suggestions_and_compliments": _kind_figures(sums),
    }


def _referral_figures(sums: _Sums) -> dict[str, Any]:
    return {
        "received": _total(sums, REFERRAL_RECEIVED),
        "replied_on_time": _total(sums, REFERRAL_ON_TIME),
        "replied_late": _total(sums, REFERRAL_LATE),
        "open_overdue": _total(sums, REFERRAL_OPEN_OVERDUE),
    }


def _kind_figures(sums: _Sums) -> dict[str, Any]:
    """Suggestions received and adopted, compliments received: in total and per department (CONTRACT §10)."""
    by_department = {
        "suggestions_received": KIND_BY_DEPARTMENT["suggestion"],
        "suggestions_adopted": SUGGESTION_ADOPTED_BY_DEPARTMENT,
        "compliments_received": KIND_BY_DEPARTMENT["compliment"],
    }
    return {
        "suggestions_received": _total(sums, KIND_RECEIVED["suggestion"]),
        "suggestions_adopted": _total(sums, SUGGESTION_ADOPTED),
        "compliments_received": _total(sums, KIND_RECEIVED["compliment"]),
        "by_department": _per_department(sums, by_department),
    }


def _first_reply_figures(sums: _Sums) -> dict[str, Any]:
    distribution = {int(k): v for k, v in _by(sums, FIRST_REPLY_WORKING).items()}
    on_time, late = _total(sums, FIRST_REPLY_ON_TIME), _total(sums, FIRST_REPLY_LATE)
    return {
        "on_time": on_time,
        "late": late,
        "on_time_rate": _rate(on_time, on_time + late),
        "working_days": {
            "replies": sum(distribution.values()),
            "median": percentile(distribution, 0.5),
            "p90": percentile(distribution, 0.9),
        },
    }


def _statutory_figures(sums: _Sums) -> dict[str, Any]:
    on_time, late = _total(sums, STATUTORY_ON_TIME), _total(sums, STATUTORY_LATE)
    return {
        "on_time": on_time,
        "late": late,
        "on_time_rate": _rate(on_time, on_time + late),
        "open_overdue": _total(sums, STATUTORY_OPEN_OVERDUE),
        "issued_without_contact": _total(sums, STATUTORY_WITHOUT_CONTACT),
    }


def _upheld_figures(sums: _Sums) -> dict[str, Any]:
    counts = {value: sums.by(UPHELD).get(value, 0) for value in SUBSTANTIATED}
    total = sum(counts.values())
    return {**counts, "upheld_rate": _rate(counts.get("yes", 0) + counts.get("partly", 0), total)}


def _department_figures(sums: _Sums, metrics: Mapping[str, str]) -> dict[str, Any]:
    return {
        **{name: _total(sums, metric) for name, metric in metrics.items()},
        "by_department": _per_department(sums, metrics),
    }


def _follow_up_figures(sums: _Sums) -> dict[str, Any]:
    satisfied, dissatisfied = _total(sums, FOLLOW_UP_SATISFIED), _total(sums, FOLLOW_UP_DISSATISFIED)
    return {
        "satisfied": satisfied,
        "dissatisfied": dissatisfied,
        "satisfaction_rate": _rate(satisfied, satisfied + dissatisfied),
    }


def _dispute_figures(sums: _Sums) -> dict[str, Any]:
    compensation: Counter[str] = Counter()
    by_route: dict[str, Counter[str]] = defaultdict(Counter)
    for key, cents in _by(sums, DISPUTE_COMPENSATION).items():
        route, _, currency = key.partition("|")
        compensation[currency] += cents
        by_route[route][currency] += cents
    return {
        "recorded": {"total": _total(sums, DISPUTE_RECORDED), "by_route": _by(sums, DISPUTE_RECORDED)},
        "settled": {"total": _total(sums, DISPUTE_SETTLED), "by_route": _by(sums, DISPUTE_SETTLED)},
        "compensation_paid": {c: _money(v) for c, v in sorted(compensation.items())},
        "compensation_by_route": {r: {c: _money(v) for c, v in sorted(m.items())} for r, m in sorted(by_route.items())},
        "by_current_route": _by(sums, DISPUTE_CURRENT_ROUTE),
        "route_changes": _total(sums, DISPUTE_ROUTE_CHANGED),
        "major": _total(sums, DISPUTE_MAJOR),
        "authority_reports": {"on_time": _total(sums, AUTHORITY_ON_TIME), "late": _total(sums, AUTHORITY_LATE)},
        "seals_open": _total(sums, SEALS_OPEN),
        "police_reports": _total(sums, POLICE_REPORTS),
    }


def headline(raw: Mapping[tuple[str, str], int]) -> dict[str, int]:
    sums = _Sums(raw)
    return {metric: _total(sums, metric) for metric in HEADLINE}


def comparison(
    current: Mapping[tuple[str, str], int], earlier: Mapping[tuple[str, str], int], name: str = "year_ago"
) -> dict[str, Any]:
    """Each headline count against an earlier period (``name``: ``year_ago``, ``previous``). An earlier period
    with no figure at all has no data (before the records began): its counts, changes and percentages are
    None, not 0."""
    now_sums, then_sums = _Sums(current), _Sums(earlier)
    out: dict[str, Any] = {}
    for metric in HEADLINE:
        now = _total(now_sums, metric)
        then = _total(then_sums, metric) if earlier else None
        out[metric] = {
            "current": now,
            name: then,
            "change": None if then is None else now - then,
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
    scope = request.campus or GROUP
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
    campuses = sorted(c for c in totals if c != GROUP and (request.campus is None or c == request.campus))
    per_campus = {c: figures(totals[c]) for c in campuses}
    # CONTRACT-compatible shape: received.by_campus.<campus>.total / by_category
    body["received"]["by_campus"] = {
        c: {"total": f["received"]["total"], "by_category": f["received"]["by_category"]} for c, f in per_campus.items()
    }
    body["by_campus"] = {c: headline(totals[c]) for c in campuses}
    if request.compare:
        earlier_period = request.period.year_earlier()
        earlier = cube.totals(earlier_period, request.source).get(scope, {})
        body["year_ago"] = {
            **earlier_period.to_json(),
            "has_data": bool(earlier),
            "comparison": comparison(sums, earlier),
        }
        before_period = request.period.previous()
        before = cube.totals(before_period, request.source).get(scope, {})
        body["previous_period"] = {
            **before_period.to_json(),
            "has_data": bool(before),
            "comparison": comparison(sums, before, "previous"),
        }
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


# --------------------------------------------------------------------------------------------
# When contributions became known (the bitemporal read model behind "as of")
# --------------------------------------------------------------------------------------------

KnownEvent = tuple[datetime, LoggedEvent]  # when the event's fact became known, the event
KnownChange = tuple[datetime, CellKey, int]  # a cell's change at a moment it became known


def _difference(before: Cells, after: Cells) -> Iterator[tuple[CellKey, int]]:
    for key in before.keys() | after.keys():
        change = after.get(key, 0) - before.get(key, 0)
        if change:
            yield key, change


def known_changes(
    earlier: Sequence[KnownEvent],
    new: Sequence[KnownEvent],
    calendars: Calendars,
    earlier_cells: Cells | None = None,
    all_cells: Cells | None = None,
) -> tuple[datetime, list[KnownChange]]:
    """One complaint's changes from the first moment ``new`` is known on: ``(since, changes)``, where the
    complaint's rows known at or after ``since`` are to be replaced by ``changes``. Its cells as of any T
    are the fold of its events known by T; a change is a version minus the one before.

    ``earlier_cells`` / ``all_cells``, the folds of ``earlier`` and of everything, spare two folds
    when the caller has them (the usual case: one new event, known after every earlier one)."""
    since = min(moment for moment, _ in new)
    everything = [*earlier, *new]
    prior = [event for moment, event in earlier if moment < since]
    reusable = earlier_cells is not None and len(prior) == len(earlier)
    previous = earlier_cells if reusable and earlier_cells is not None else cells_of(prior, calendars)
    moments = sorted({moment for moment, _ in everything if moment >= since})
    changes: list[KnownChange] = []
    for moment in moments:
        if moment == moments[-1] and all_cells is not None:
            version = all_cells
        else:
            version = cells_of([event for known, event in everything if known <= moment], calendars)
        changes += [(moment, key, change) for key, change in _difference(previous, version)]
        previous = version
    return since, changes


def known_history(events: Sequence[KnownEvent], calendars: Calendars) -> list[KnownChange]:
    """Every change of one complaint's cells, from its first known event on (a build from the log)."""
    if not events:
        return []
    return known_changes([], events, calendars)[1]
