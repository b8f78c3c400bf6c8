"""Investigation's rules, pure: the case, its deadlines, and what each action decides.

The case is a decider: ``decide_*`` functions take the current :class:`Case`, a command (schemas.py's
frozen dataclasses) and a :class:`Context` (now, who acts, the campus's calendar, policy and departments)
and return the events it leads to, or raise shared/errors.py's ``Refused`` (409, naming the state),
``InvalidField`` (400) or ``UnknownItem`` (404). :func:`evolve` folds an event into the case, one small
mutator per event type. The same fold handles intake's events (which open, reclassify and end cases) and
investigation's own. :func:`allowed_actions` says which actions a role may take in the case's state, and
:func:`deadline_overdue` (with :data:`OVERDUE_SQL` beside it) is the one definition of an overdue deadline.
No I/O here: the calendar, policy, clock and new ids are passed in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import orjson

from shared.envelope import rfc3339
from shared.errors import InvalidField, Refused, UnknownItem
from shared.events.vocabularies import CASE_DEADLINE_KINDS
from shared.workdays import CampusCalendar, Deadline

if TYPE_CHECKING:
    from services.investigation import schemas

# Case statuses. `open`: being investigated (or awaiting assignment); `replied`: a reply was
# issued; `closed`: closed by the office; the last three end the case from intake.
OPEN, REPLIED, CLOSED = "open", "replied", "closed"
RESOLVED_ON_SPOT, NOT_ACCEPTED, WITHDRAWN = "resolved_on_spot", "not_accepted", "withdrawn"
ENDED = (CLOSED, RESOLVED_ON_SPOT, NOT_ACCEPTED, WITHDRAWN)
ACTIVE = (OPEN, REPLIED)

# Deadline statuses: `open` (clock running), `met` (done in time), `breached` (passed unmet;
# `met_late` once done after that), `stopped` (the case ended before it mattered).
D_OPEN, D_MET, D_BREACHED, D_MET_LATE, D_STOPPED = "open", "met", "breached", "met_late", "stopped"

Decision = list[tuple[str, dict[str, Any]]]


# The roles of the tokens (shared/auth.py's names; not imported, so the domain needs nothing of the auth code).
OFFICER, LIAISON = "complaint_officer", "department_liaison"


@dataclass(frozen=True)
class Context:
    """What a decision needs besides the case and the command: the time, who decides (a staff id, or
    ``system`` for the service's own decisions) and the campus's calendar, policy and departments."""

    now: datetime
    staff: str
    calendar: CampusCalendar
    policy: Mapping[str, Any]
    departments: tuple[str, ...] = ()
    # each department's configured heads (ids), who sign off its findings; a department absent here has none
    heads: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def deadline_overdue(status: str, on_hold: bool, due_at: datetime, now: datetime) -> bool:
    """A deadline is overdue once breached, or when still open and due with no extension request awaiting
    its decision (a held clock does not breach: the office must decide first). :data:`OVERDUE_SQL` is
    the same test on a ``deadlines d`` row."""
    return status == D_BREACHED or (status == D_OPEN and not on_hold and due_at <= now)


# deadline_overdue, as SQL on the deadlines table aliased `d` (GET /cases?overdue=, the overdue gauge)
OVERDUE_SQL = "(d.status = 'breached' OR (d.status = 'open' AND NOT d.on_hold AND d.due_at <= now()))"


def policy_version(policy: Mapping[str, Any]) -> str:
    """Names the policy a deadline was computed with; changes whenever any setting changes."""
    digest = hashlib.sha256(json.dumps(policy, sort_keys=True).encode()).hexdigest()[:8]
    return f"policy@{digest}"


# The statutory feedback clock (CONTRACT §7, 医疗机构投诉管理办法 2019): law, not policy, so not per campus.
STATUTORY_FEEDBACK_DAYS, STATUTORY_FEEDBACK_DAYS_MULTI = 5, 10
# How a statutory feedback deadline was met: feedback delivered to the complainant, or (nobody can be told:
# anonymous, no contact details) issued by the office. Reporting counts them apart.
MET_DELIVERED, MET_ISSUED_NO_CONTACT = "delivered", "issued_no_contact"


def statutory_feedback_days(departments: list[str]) -> int:
    """5 working days; 10 when several departments must study the complaint together (CONTRACT §7)."""
    return STATUTORY_FEEDBACK_DAYS_MULTI if len(departments) > 1 else STATUTORY_FEEDBACK_DAYS


def first_reply_days(policy: Mapping[str, Any], departments: list[str]) -> int:
    """5 working days; 10 once the complaint involves more than one department (CONTRACT §2)."""
    return policy["first_reply_days_multi"] if len(departments) > 1 else policy["first_reply_days"]


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def deadline_data(
    kind: str,
    due: Deadline,
    days: int,
    policy: Mapping[str, Any],
    department: str | None = None,
    rectification_id: str | None = None,
) -> dict[str, Any]:
    """The deadline object events carry."""
    data = {
        "kind": kind,
        "department": department,
        "due_at": rfc3339(due.due_at),
        "last_day": due.last_day.isoformat(),
        "provisional": due.provisional,
        "calendar_version": due.calendar_version,
        "policy_version": policy_version(policy),
        "working_days": days,
    }
    if rectification_id:
        data["rectification_id"] = rectification_id
    return data


# Issue 17: an authority referral's reply date, and the call back after the reply to a key complaint.
REFERRER_REPLY, FOLLOW_UP = "referrer_reply", "follow_up"
DEFAULT_FOLLOW_UP_DAYS = 5


def follow_up_days(policy: Mapping[str, Any]) -> int:
    """The campus's setting ``follow_up_days`` (working days after the first reply was delivered; default 5)."""
    return int(policy.get("follow_up_days", DEFAULT_FOLLOW_UP_DAYS))


def referrer_reply_deadline(reply_due: str, calendar: CampusCalendar, policy: Mapping[str, Any]) -> dict[str, Any]:
    """The referrer's reply date as a deadline: the end (24:00 campus local time) of that date, whether or not
    it is a working day (the referrer chose the date), as an exact UTC moment."""
    day = date.fromisoformat(reply_due)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), ZoneInfo(calendar.timezone))
    due = Deadline(due_at=end.astimezone(UTC), last_day=day, provisional=False, calendar_version=calendar.version)
    return deadline_data(REFERRER_REPLY, due, 0, policy)


def deadline_key(data: dict[str, Any]) -> str:
    if data["kind"] in CASE_DEADLINE_KINDS:
        return data["kind"]
    if data["kind"] == "rectification":
        return f"rectification:{data['rectification_id']}"
    return f"investigation:{data['department']}"


def remind_at(calendar: CampusCalendar, due: Deadline, days_before: int) -> datetime:
    """``days_before`` working days before the deadline falls due: the end of that working day."""
    start = calendar.working_day_before(due, days_before).astimezone(ZoneInfo(calendar.timezone))
    end = datetime.combine(start.date() + timedelta(days=1), datetime.min.time(), ZoneInfo(calendar.timezone))
    return end.astimezone(UTC)


@dataclass
class Clock:
    """One running deadline of a case, as the deadline engine needs it."""

    key: str
    due: dict[str, Any]  # the deadline object of the events
    started_at: str  # when counting started (receipt, assignment, order, reopening)
    remind_at: str
    status: str = D_OPEN
    reminded: bool = False
    on_hold: bool = False  # an extension request awaits the office's decision
    breached_at: str | None = None
    met_at: str | None = None
    extended_days: int = 0  # working days added by granted extensions (kept when the base changes)
    met_by: str | None = None  # statutory feedback: MET_DELIVERED or MET_ISSUED_NO_CONTACT
    ladder_escalated: bool = False  # escalated to leadership as still unmet after its breach (CONTRACT §7)

    @property
    def due_at(self) -> datetime:
        return parse_time(self.due["due_at"])


@dataclass
class Case:
    complaint_id: str
    reference: str
    campus: str
    campuses: list[str]
    category: str
    severity: str
    source: str
    received_at: str
    has_contact: bool
    status: str = OPEN
    departments: list[str] = field(default_factory=list)  # every department the complaint concerns
    assignments: dict[str, dict[str, Any]] = field(default_factory=dict)  # this round's investigations
    clocks: dict[str, Clock] = field(default_factory=dict)
    extensions: dict[str, dict[str, Any]] = field(default_factory=dict)
    replies: dict[str, dict[str, Any]] = field(default_factory=dict)
    feedbacks: dict[str, dict[str, Any]] = field(default_factory=dict)  # interim feedback issued (CONTRACT §7)
    rectifications: dict[str, dict[str, Any]] = field(default_factory=dict)
    disputes: dict[str, dict[str, Any]] = field(default_factory=dict)
    follow_ups: list[dict[str, Any]] = field(default_factory=list)
    referrer_replies: list[dict[str, Any]] = field(default_factory=list)  # the replies to an authority referral
    seals: dict[str, dict[str, Any]] = field(default_factory=dict)  # the sealing register (disputes.py)
    police_reports: list[dict[str, Any]] = field(default_factory=list)
    escalated: bool = False
    reopened: int = 0
    version: int = 0  # of the case's stream in investigation's log

    # -- persistence (the read model stores the case as JSON) ----------------------------------
    def to_json(self) -> dict[str, Any]:
        # A deep, JSON-ready copy, as dataclasses.asdict made it, at a fifth of its cost (asdict deep-copies
        # field by field: a fifth of opening a case).
        return orjson.loads(orjson.dumps(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Case:
        clocks = {k: Clock(**v) for k, v in data.get("clocks", {}).items()}
        return cls(**{**data, "clocks": clocks})

    # -- questions -----------------------------------------------------------------------------
    def require(self, allowed: tuple[str, ...], action: str) -> None:
        if self.status not in allowed:
            raise Refused(f"cannot {action}: the case is {self.status}", self.status)

    def open_clock(self, key: str) -> Clock | None:
        clock = self.clocks.get(key)
        return clock if clock is not None and clock.status == D_OPEN else None

    def pending_findings(self) -> list[str]:
        return sorted(d for d, a in self.assignments.items() if a["status"] == "investigating")

    def overdue(self, now: datetime) -> bool:
        return any(deadline_overdue(c.status, c.on_hold, c.due_at, now) for c in self.clocks.values())

    def provisional(self) -> bool:
        return any(c.due["provisional"] and c.status == D_OPEN for c in self.clocks.values())


def actor(staff_id: str, role: str) -> dict[str, str]:
    return {"id": staff_id, "role": role}


# -- opening ----------------------------------------------------------------------------------------


def assigned_at_registration(received: dict[str, Any]) -> str:
    """When the departments named at registration were assigned: at the registration, which for a
    letter or a complaint-box item comes after its receipt (CONTRACT §2: 5 working days after the
    department is assigned). The first reply still counts from receipt."""
    registered = received.get("registered_at")
    if registered and parse_time(registered) > parse_time(received["received_at"]):
        return registered
    return received["received_at"]


def decide_open(received: dict[str, Any], calendar: CampusCalendar, policy: Mapping[str, Any]) -> Decision:
    """A received complaint opens its case with its deadlines; a major one goes to leadership at once."""
    received_at = parse_time(received["received_at"])
    assigned_at = assigned_at_registration(received)
    departments = list(received["departments"])
    reply_days = first_reply_days(policy, departments)
    statutory_days = statutory_feedback_days(departments)
    investigation_days = policy["investigation_days"]
    opened = {
        "complaint_id": received["complaint_id"],
        "campus": received["campus"],
        "campuses": received.get("campuses") or [received["campus"]],
        "category": received["category"],
        "severity": received["severity"],
        "source": received["source"],
        "departments": departments,
        "received_at": received["received_at"],
        "first_reply": deadline_data(
            "first_reply", calendar.add_working_days(received_at, reply_days), reply_days, policy
        ),
        "statutory_feedback": deadline_data(
            "statutory_feedback", calendar.add_working_days(received_at, statutory_days), statutory_days, policy
        ),
        "investigations": [
            deadline_data(
                "investigation",
                calendar.add_working_days(parse_time(assigned_at), investigation_days),
                investigation_days,
                policy,
                d,
            )
            for d in departments
        ],
        "assigned_at": assigned_at,
        "actor": actor("system", "system"),
        # what new_case takes from intake's event, so the case can be rebuilt from investigation's log alone
        "reference": received["reference"],
        "has_contact": bool(received.get("has_contact")) and not received.get("anonymous", False),
    }
    if received.get("referral"):
        opened["referrer_reply"] = referrer_reply_deadline(received["referral"]["reply_due"], calendar, policy)
    decision: Decision = [("InvestigationOpened", opened)]
    if received["severity"] == "major":
        decision.append(
            (
                "ComplaintEscalated",
                {
                    "complaint_id": received["complaint_id"],
                    "campus": received["campus"],
                    "severity": "major",
                    "reason": "major complaint: escalated on receipt",
                    "escalated_at": received["received_at"],
                    "to": "leadership_group",
                    "actor": actor("system", "system"),
                },
            )
        )
    return decision


def new_case(received: dict[str, Any]) -> Case:
    return Case(
        complaint_id=received["complaint_id"],
        reference=received["reference"],
        campus=received["campus"],
        campuses=received.get("campuses") or [received["campus"]],
        category=received["category"],
        severity=received["severity"],
        source=received["source"],
        received_at=received["received_at"],
        has_contact=bool(received.get("has_contact")) and not received.get("anonymous", False),
    )


def case_from_opening(opened: dict[str, Any]) -> Case:
    """The case as its first ``InvestigationOpened`` starts it (replaying investigation's own log)."""
    return new_case({**opened, "has_contact": bool(opened.get("has_contact"))})


# -- what other services' events do to a case, recorded as investigation's own events -----------------

ENDED_BY = {
    "ComplaintResolvedOnSpot": (RESOLVED_ON_SPOT, "resolved_at"),
    "ComplaintNotAccepted": (NOT_ACCEPTED, "decided_at"),
    "ComplaintWithdrawn": (WITHDRAWN, "withdrawn_at"),
}


def decide_ended(case: Case, cause_type: str, cause: dict[str, Any], cause_id: str) -> Decision:
    """Intake ended the complaint: the case ends with it (whatever its state, as intake decided)."""
    reason, at_field = ENDED_BY[cause_type]
    return [
        (
            "CaseEnded",
            {
                "complaint_id": case.complaint_id,
                "campus": case.campus,
                "reason": reason,
                "ended_at": cause[at_field],
                "cause_id": cause_id,
                "actor": actor("system", "system"),
            },
        )
    ]


def decide_classification(case: Case, cause: dict[str, Any], cause_id: str) -> Decision:
    """Intake reclassified the complaint: the case takes the new classification."""
    return [
        (
            "CaseReclassified",
            {
                "complaint_id": case.complaint_id,
                "campus": case.campus,
                "previous": cause["previous"],
                "current": cause["current"],
                "reclassified_at": cause["reclassified_at"],
                "cause_id": cause_id,
                "actor": actor("system", "system"),
            },
        )
    ]


def decide_contact_changed(case: Case, cause: dict[str, Any], cause_id: str) -> Decision:
    """Intake corrected the contact details: the case follows whether the complainant can be reached (nothing
    when that did not change: a new number for a reachable complainant changes nothing here)."""
    has_contact = bool(cause["has_contact"])
    if has_contact == case.has_contact:
        return []
    return [
        (
            "CaseContactChanged",
            {
                "complaint_id": case.complaint_id,
                "campus": case.campus,
                "has_contact": has_contact,
                "changed_at": cause["corrected_at"],
                "cause_id": cause_id,
                "actor": actor("system", "system"),
            },
        )
    ]


def decide_reply_delivered(
    case: Case,
    reply_id: str,
    sent_at: str,
    cause_id: str,
    reply_kind: str | None = None,
    calendar: CampusCalendar | None = None,
    policy: Mapping[str, Any] | None = None,
) -> Decision:
    """A reply (or, ``reply_kind`` "interim", an interim feedback) reached the complainant; only one of this
    round changes the case. An interim feedback meets only the statutory feedback clock (CONTRACT §7)."""
    interim = reply_kind == "interim"
    if reply_id not in (case.feedbacks if interim else case.replies):
        return []
    data = {
        "complaint_id": case.complaint_id,
        "campus": case.campus,
        "reply_id": reply_id,
        "sent_at": sent_at,
        "cause_id": cause_id,
        "actor": actor("system", "system"),
    }
    if interim:
        data["reply_kind"] = "interim"
    if _statutory_open(case):
        data["statutory_feedback_met"] = MET_DELIVERED
    if not interim and calendar is not None and policy is not None and _follow_up_owed(case):
        days = follow_up_days(policy)
        due = calendar.add_working_days(parse_time(sent_at), days)
        data[FOLLOW_UP] = deadline_data(FOLLOW_UP, due, days, policy)
    return [("ReplyDeliveryRecorded", data)]


def _follow_up_owed(case: Case) -> bool:
    """The first reply of this round delivered to a major or disputed complaint: the office calls back
    (国家卫健委 "十应当": follow-up visits on key complaints)."""
    first = case.clocks.get("first_reply")
    key = case.severity == "major" or bool(case.disputes)
    if not key or first is None or first.status not in (D_OPEN, D_BREACHED):
        return False
    # a call back recorded before the delivery was known already did what the deadline asks
    return not any(parse_time(f["recorded_at"]) >= parse_time(first.started_at) for f in case.follow_ups)


def _statutory_open(case: Case) -> bool:
    """The statutory feedback clock still waits for its first feedback (running, or breached and unmet)."""
    clock = case.clocks.get("statutory_feedback")
    return clock is not None and clock.status in (D_OPEN, D_BREACHED)


def _issued_meets_statutory(case: Case, data: dict[str, Any]) -> dict[str, Any]:
    """A complainant nobody can tell (anonymous, no contact details): issuing the feedback meets the clock."""
    if not case.has_contact and _statutory_open(case):
        data["statutory_feedback_met"] = MET_ISSUED_NO_CONTACT
    return data


def decide_reply_failed(case: Case, reply_id: str | None, failed_at: str, cause_id: str) -> Decision:
    """A reply could not be delivered; only a reply of this round changes the case."""
    if reply_id is None or reply_id not in case.replies:
        return []
    return [
        (
            "ReplyDeliveryFailed",
            {
                "complaint_id": case.complaint_id,
                "campus": case.campus,
                "reply_id": reply_id,
                "failed_at": failed_at,
                "cause_id": cause_id,
                "actor": actor("system", "system"),
            },
        )
    ]


# -- the office's and departments' actions ----------------------------------------------------------


def _first_reply_if_changed(
    case: Case,
    departments: list[str],
    calendar: CampusCalendar,
    policy: Mapping[str, Any],
    reason: str,
    who: dict[str, str],
) -> Decision:
    """Reschedule the first reply when the number of departments changes its length (5 ↔ 10 days)."""
    clock = case.open_clock("first_reply")
    days = first_reply_days(policy, departments)
    if clock is None or clock.due["working_days"] - clock.extended_days == days:
        return []
    total = days + clock.extended_days  # granted extensions keep their effect
    current = deadline_data(
        "first_reply", calendar.add_working_days(parse_time(clock.started_at), total), total, policy
    )
    return [_rescheduled(case, clock.due, current, reason, who)]


def _statutory_if_changed(
    case: Case,
    departments: list[str],
    calendar: CampusCalendar,
    policy: Mapping[str, Any],
    reason: str,
    who: dict[str, str],
) -> Decision:
    """Reschedule the statutory feedback deadline when the department count changes its length (5 ↔ 10):
    the only change besides a calendar correction that moves it (never an extension, CONTRACT §7)."""
    clock = case.clocks.get("statutory_feedback")
    days = statutory_feedback_days(departments)
    if clock is None or clock.status != D_OPEN or clock.due["working_days"] == days:
        return []  # (a breach stands: a department assigned later does not undo it)
    current = _counted_again(clock, days, calendar, policy)
    return [_rescheduled(case, clock.due, current, reason, who)]


def require_known_departments(case: Case, departments: Sequence[str], context: Context, field_name: str) -> None:
    """Departments of the case's campus only (the schema knows the hospital's, not which campus's)."""
    unknown = sorted(set(departments) - set(context.departments))
    if unknown:
        raise InvalidField(field_name, f"unknown department(s) on {case.campus}: {', '.join(unknown)}")


def decide_assign(case: Case, command: schemas.AssignDepartments, context: Context) -> Decision:
    require_known_departments(case, command.departments, context, "departments")
    return _assignment(case, list(command.departments), context)


def _assignment(case: Case, departments: list[str], context: Context) -> Decision:
    """Departments assigned to the case (by the office, or by a reclassification)."""
    case.require((OPEN,), "assign departments")
    already = sorted(set(departments) & set(case.assignments))
    if already:
        raise Refused(f"already assigned: {', '.join(already)}", case.status)
    now, calendar, policy = context.now, context.calendar, context.policy
    who = actor(context.staff, "complaint_officer")
    involved = sorted(set(case.departments) | set(departments))
    decision = _first_reply_if_changed(case, involved, calendar, policy, "departments_assigned", who)
    first_reply = decision[0][1]["current"] if decision else case.clocks["first_reply"].due
    decision += _statutory_if_changed(case, involved, calendar, policy, "departments_assigned", who)
    days = policy["investigation_days"]
    decision.append(
        (
            "InvestigationOpened",
            {
                "complaint_id": case.complaint_id,
                "campus": case.campus,
                "campuses": case.campuses,
                "category": case.category,
                "severity": case.severity,
                "source": case.source,
                "departments": list(departments),
                "received_at": case.received_at,
                "first_reply": first_reply,
                "investigations": [
                    deadline_data("investigation", calendar.add_working_days(now, days), days, policy, d)
                    for d in departments
                ],
                "assigned_at": rfc3339(now),
                "actor": who,
            },
        )
    )
    return decision


def _investigation(case: Case, department: str, action: str) -> dict[str, Any]:
    assignment = case.assignments.get(department)
    if assignment is None:
        raise Refused(f"cannot {action}: {department} is not assigned to this case", case.status)
    if assignment["status"] != "investigating":
        raise Refused(f"cannot {action}: {department} already submitted its findings", case.status)
    return assignment


def decide_request_extension(case: Case, command: schemas.RequestExtension, context: Context) -> Decision:
    department, days, now, policy = command.department, command.requested_days, context.now, context.policy
    case.require((OPEN,), "ask for an extension")
    if days > policy["extension_max_days"]:
        raise InvalidField("requested_days", f"at most {policy['extension_max_days']} working days on this campus")
    _investigation(case, department, "ask for an extension")
    clock = case.clocks[f"investigation:{department}"]
    if clock.status != D_OPEN or now >= clock.due_at:
        raise Refused(
            f"an extension must be asked before the deadline passes; it passed at {clock.due['due_at']}", case.status
        )
    if clock.on_hold:
        raise Refused(f"{department} already has an extension request awaiting a decision", case.status)
    return [
        (
            "ExtensionRequested",
            {
                "complaint_id": case.complaint_id,
                "campus": case.campus,
                "extension_id": command.extension_id,
                "department": department,
                "reason": command.reason,
                "requested_days": days,
                "requested_at": rfc3339(now),
                "deadline": clock.due,
                "actor": actor(context.staff, "department_liaison"),
            },
        )
    ]


def _counted_again(clock: Clock, total: int, calendar: CampusCalendar, policy: Mapping[str, Any]) -> dict[str, Any]:
    """The deadline ``total`` working days after the clock started, counted again with today's calendar:
    a base computed with the fallback stays provisional, or is corrected, instead of being taken on trust."""
    due = calendar.add_working_days(parse_time(clock.started_at), total)
    return deadline_data(
        clock.due["kind"], due, total, policy, clock.due.get("department"), clock.due.get("rectification_id")
    )


def _extended(clock: Clock, days: int, calendar: CampusCalendar, policy: Mapping[str, Any]) -> dict[str, Any]:
    """The deadline ``days`` more working days after the current one (its last day is not counted twice)."""
    return _counted_again(clock, clock.due["working_days"] + days, calendar, policy)


def _first_reply_after_extension(
    case: Case, department: str, days: int, calendar: CampusCalendar, policy: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The first reply moves as far as the furthest investigation of this round has moved, not by the sum
    of their extensions (the complainant's answer waits for the slowest department)."""
    reply = case.open_clock("first_reply")
    if reply is None:
        return None
    moved = {d: case.clocks[f"investigation:{d}"].extended_days for d in case.assignments}
    moved[department] = case.clocks[f"investigation:{department}"].extended_days + days
    furthest = max(moved.values())
    if furthest <= reply.extended_days:
        return None
    base = reply.due["working_days"] - reply.extended_days
    return _counted_again(reply, base + furthest, calendar, policy)


def extension_preview(case: Case, calendar: CampusCalendar, policy: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """What the extension forms show before anyone submits: the campus's limit (``max_days``), for each
    department that may still ask the last day its deadline would move to with each number of days allowed
    (``departments``: {department: {"1": "2026-12-08", ...}}), and for each request awaiting its decision
    the last day granting it would give (``pending``: {extension_id: last day}). Counted as a grant counts."""
    limit = int(policy["extension_max_days"])
    askable: dict[str, dict[str, str]] = {}
    if case.status == OPEN:
        for department, assignment in case.assignments.items():
            clock = case.clocks.get(f"investigation:{department}")
            if assignment["status"] != "investigating" or clock is None:
                continue
            if clock.status == D_OPEN and not clock.on_hold and now < clock.due_at:
                askable[department] = {
                    str(days): _extended(clock, days, calendar, policy)["last_day"] for days in range(1, limit + 1)
                }
    pending = {
        extension_id: _extended(case.clocks[f"investigation:{e['department']}"], e["requested_days"], calendar, policy)[
            "last_day"
        ]
        for extension_id, e in case.extensions.items()
        if e["status"] == "pending" and f"investigation:{e['department']}" in case.clocks
    }
    return {"max_days": limit, "departments": askable, "pending": pending}


def decide_extension(case: Case, command: schemas.DecideExtension, context: Context) -> Decision:
    extension_id, calendar, policy = command.extension_id, context.calendar, context.policy
    extension = case.extensions.get(extension_id)
    if extension is None:
        raise UnknownItem(f"no extension {extension_id} on this case")
    case.require((OPEN,), "decide on an extension")
    if extension["status"] != "pending":
        raise Refused(f"the extension was already {extension['status']}", case.status)
    who = actor(context.staff, "complaint_officer")
    base = {
        "complaint_id": case.complaint_id,
        "campus": case.campus,
        "extension_id": extension_id,
        "department": extension["department"],
        "decided_at": rfc3339(context.now),
        "actor": who,
    }
    if command.note:
        base["note"] = command.note
    if not command.granted:
        return [("ExtensionRefused", base)]
    clock = case.clocks[f"investigation:{extension['department']}"]
    decision: Decision = [
        ("ExtensionGranted", {**base, "deadline": _extended(clock, extension["requested_days"], calendar, policy)})
    ]
    moved = _first_reply_after_extension(case, extension["department"], extension["requested_days"], calendar, policy)
    if moved is not None:
        decision.append(_rescheduled(case, case.clocks["first_reply"].due, moved, "extension_granted", who))
    return decision


def require_head(department: str, signed_off_by: str, context: Context) -> None:
    """Findings are signed off by a head of the department (CONTRACT §1): one of those the hospital's
    configuration names for it. A department the configuration names no heads for is not checked."""
    heads = context.heads.get(department) or ()
    if heads and signed_off_by not in heads:
        raise InvalidField("signed_off_by", f"not a head of {department}: choose one of {', '.join(heads)}")


def decide_findings(case: Case, command: schemas.SubmitFindings, context: Context) -> Decision:
    department, now = command.department, context.now
    case.require((OPEN,), "submit findings")
    _investigation(case, department, "submit findings")
    require_head(department, command.signed_off_by, context)
    clock = case.clocks[f"investigation:{department}"]
    return [
        (
            "FindingsSubmitted",
            {
                "complaint_id": case.complaint_id,
                "campus": case.campus,
                "department": department,
                "substantiated": command.substantiated,
                "summary": command.summary,
                "signed_off_by": command.signed_off_by,
                "submitted_at": rfc3339(now),
                "on_time": now < clock.due_at,  # at due_at it is already breached
                **({"staff_involved": list(command.staff_involved)} if command.staff_involved else {}),
                "actor": actor(context.staff, "department_liaison"),
            },
        )
    ]


def decide_escalate(case: Case, command: schemas.Escalate, context: Context) -> Decision:
    case.require(ACTIVE, "escalate")
    if case.escalated:
        raise Refused("the complaint was already escalated to the leadership group", case.status)
    return [
        (
            "ComplaintEscalated",
            {
                "complaint_id": case.complaint_id,
                "campus": case.campus,
                "severity": case.severity,
                "reason": command.reason,
                "escalated_at": rfc3339(context.now),
                "to": "leadership_group",
                "actor": actor(context.staff, "complaint_officer"),
            },
        )
    ]


def decide_reply(case: Case, command: schemas.IssueReply, context: Context) -> Decision:
    case.require((OPEN,), "issue a reply")
    waiting = case.pending_findings()
    if waiting:
        raise Refused(f"cannot issue a reply: awaiting findings from {', '.join(waiting)}", case.status)
    data = {
        "complaint_id": case.complaint_id,
        "campus": case.campus,
        "reply_id": command.reply_id,
        "contact_person": command.contact_person,
        "actions_taken": command.actions_taken,
        "result": command.result,
        "issued_at": rfc3339(context.now),
        "actor": actor(context.staff, "complaint_officer"),
    }
    _delivery_preference(data, command)
    return [("ReplyIssued", _issued_meets_statutory(case, data))]


def _delivery_preference(data: dict[str, Any], command: schemas.IssueReply | schemas.IssueFeedback) -> None:
    """The channel asked for; a reply given by phone or in person says when and by whom (notification records
    it as delivered then: CONTRACT §13)."""
    if command.channel_preference:
        data["channel_preference"] = command.channel_preference
    if command.delivered_at is not None and command.delivered_by:
        data["delivered_at"] = rfc3339(command.delivered_at)
        data["delivered_by"] = command.delivered_by


def decide_feedback(case: Case, command: schemas.IssueFeedback, context: Context) -> Decision:
    """Interim feedback (处理情况反馈): allowed while the case is open, also while findings are pending;
    notification delivers it and its ReplySent (reply_kind "interim") meets the statutory clock only."""
    case.require((OPEN,), "issue interim feedback")
    data: dict[str, Any] = {
        "complaint_id": case.complaint_id,
        "campus": case.campus,
        "feedback_id": command.feedback_id,
        "contact_person": command.contact_person,
        "progress": command.progress,
        "next_steps": command.next_steps,
        "issued_at": rfc3339(context.now),
        "actor": actor(context.staff, "complaint_officer"),
    }
    if command.expected_reply_by:
        data["expected_reply_by"] = command.expected_reply_by.isoformat()
    _delivery_preference(data, command)
    return [("InterimFeedbackIssued", _issued_meets_statutory(case, data))]


def decide_rectification(case: Case, command: schemas.OrderRectification, context: Context) -> Decision:
    require_known_departments(case, [command.department], context, "department")
    rectification_id, department, now = command.rectification_id, command.department, context.now
    case.require(ACTIVE, "order a rectification")
    days = command.due_in_working_days or context.policy["rectification_days"]
    calendar, policy = context.calendar, context.policy
    due = deadline_data(
        "rectification", calendar.add_working_days(now, days), days, policy, department, rectification_id
    )
    return [
        (
            "RectificationOrdered",
            {
                "complaint_id": case.complaint_id,
                "campus": case.campus,
                "rectification_id": rectification_id,
                "department": department,
                "description": command.description,
                "due": due,
                "ordered_at": rfc3339(now),
                "actor": actor(context.staff, "complaint_officer"),
            },
        )
    ]


def decide_complete_rectification(case: Case, command: schemas.CompleteRectification, context: Context) -> Decision:
    rectification_id, now = command.rectification_id, context.now
    rectification = case.rectifications.get(rectification_id)
    if rectification is None:
        raise UnknownItem(f"no rectification {rectification_id} on this case")
    if rectification["status"] != "ordered":
        raise Refused("the rectification was already completed", case.status)
    clock = case.clocks[f"rectification:{rectification_id}"]
    data = {
        "complaint_id": case.complaint_id,
        "campus": case.campus,
        "rectification_id": rectification_id,
        "department": rectification["department"],
        "completed_at": rfc3339(now),
        "on_time": now < clock.due_at,
        "actor": actor(context.staff, "department_liaison"),
    }
    if command.note:
        data["note"] = command.note
    return [("RectificationCompleted", data)]


def _reopening(
    case: Case, reason: str, note: str | None, who: dict[str, str], context: Context
) -> tuple[str, dict[str, Any]]:
    now, calendar, policy = context.now, context.calendar, context.policy
    days = first_reply_days(policy, case.departments)
    data = {
        "complaint_id": case.complaint_id,
        "campus": case.campus,
        "reason": reason,
        "reopened_at": rfc3339(now),
        "first_reply": deadline_data("first_reply", calendar.add_working_days(now, days), days, policy),
        "actor": who,
    }
    if note:
        data["note"] = note
    return ("ComplaintReopened", data)


def decide_follow_up(case: Case, command: schemas.RecordFollowUp, context: Context) -> Decision:
    case.require((REPLIED,), "record a follow-up")
    who = actor(context.staff, "complaint_officer")
    data = {
        "complaint_id": case.complaint_id,
        "campus": case.campus,
        "satisfied": command.satisfied,
        "recorded_at": rfc3339(context.now),
        "actor": who,
    }
    if command.note:
        data["note"] = command.note
    decision: Decision = [("FollowUpRecorded", data)]
    if not command.satisfied:  # a dissatisfied complainant reopens the case (CONTRACT §2)
        decision.append(_reopening(case, "dissatisfied", command.note, who, context))
    return decision


def decide_referrer_reply(case: Case, command: schemas.RecordReferrerReply, context: Context) -> Decision:
    """The reply to the authority that referred the complaint (CONTRACT §10), in any status; once, since the
    referrer wants one answer by its date (a second is 409)."""
    if REFERRER_REPLY not in case.clocks:
        raise Refused("cannot record a reply to the referrer: the complaint was not referred by an authority", "none")
    if case.referrer_replies:
        raise Refused("the referrer was already answered", "answered")
    answered_at = command.answered_at or context.now
    if answered_at > context.now:
        raise InvalidField("answered_at", "must not be in the future")
    data = {
        "complaint_id": case.complaint_id,
        "campus": case.campus,
        "answered_by": command.answered_by or context.staff,
        "answered_at": rfc3339(answered_at),
        "summary": command.summary,
        "on_time": answered_at <= case.clocks[REFERRER_REPLY].due_at,
        "actor": actor(context.staff, "complaint_officer"),
    }
    return [("ReferrerReplied", data)]


def decide_reopen(case: Case, command: schemas.ReopenCase, context: Context) -> Decision:
    """New facts or evidence reopen a closed or not-accepted complaint (CONTRACT §2)."""
    case.require(ENDED, "reopen")
    return [_reopening(case, command.reason, command.note, actor(context.staff, "complaint_officer"), context)]


def decide_close(case: Case, command: schemas.CloseCase, context: Context) -> Decision:
    """Closing needs a reply the complainant received (or cannot receive) and no open rectification."""
    case.require((REPLIED,), "close")
    if case.has_contact and not any(r.get("sent_at") or r.get("failed") for r in case.replies.values()):
        raise Refused("cannot close: the reply has not been delivered to the complainant yet", case.status)
    open_rectifications = [r for r in case.rectifications.values() if r["status"] == "ordered"]
    if open_rectifications:
        raise Refused(f"cannot close: {len(open_rectifications)} rectification(s) not completed", case.status)
    data = {
        "complaint_id": case.complaint_id,
        "campus": case.campus,
        "closed_at": rfc3339(context.now),
        "actor": actor(context.staff, "complaint_officer"),
    }
    if command.outcome:
        data["outcome"] = command.outcome
    return [("ComplaintClosed", data)]


def decide_dispute(case: Case, command: schemas.RecordDispute, context: Context) -> Decision:
    """A dispute can arise at any point, also after the case was closed (rules: disputes.py)."""
    return disputes.decide_record(case, command, context)


def decide_settle(case: Case, command: schemas.SettleDispute, context: Context) -> Decision:
    dispute_id = command.dispute_id
    dispute = case.disputes.get(dispute_id)
    if dispute is None:
        raise UnknownItem(f"no dispute {dispute_id} on this case")
    if dispute["status"] == "settled":
        raise Refused("the dispute was already settled", case.status)
    return [
        (
            "DisputeSettled",
            {
                "complaint_id": case.complaint_id,
                "campus": case.campus,
                "dispute_id": dispute_id,
                "route": dispute["route"],
                "settled_at": rfc3339(context.now),
                "compensation_amount": str(command.compensation_amount),
                "currency": command.currency,
                "actor": actor(context.staff, "complaint_officer"),
            },
        )
    ]


# -- intake's decisions ----------------------------------------------------------------------------


def decide_reclassified(case: Case, current: dict[str, Any], context: Context) -> Decision:
    """Intake changed the classification: new departments are assigned, a now-major complaint escalated."""
    if case.status not in ACTIVE:
        return []
    who = actor("system", "system")
    decision: Decision = []
    added = [d for d in current.get("departments", case.departments) if d not in case.assignments]
    if added and case.status == OPEN:
        decision += _assignment(case, added, Context(context.now, "system", context.calendar, context.policy))
        opened = decision[-1][1]
        opened["actor"] = who
        for key in ("category", "severity", "campuses"):  # the new classification, whether folded yet or not
            opened[key] = current.get(key, opened[key])
        for _, data in decision:
            if data.get("reason") == "departments_assigned":
                data["reason"] = "reclassified"
                data["actor"] = who
    if current.get("severity") == "major" and not case.escalated:
        decision.append(
            (
                "ComplaintEscalated",
                {
                    "complaint_id": case.complaint_id,
                    "campus": case.campus,
                    "severity": "major",
                    "reason": "reclassified as major",
                    "escalated_at": rfc3339(context.now),
                    "to": "leadership_group",
                    "actor": who,
                },
            )
        )
    return decision


# -- the deadline engine ---------------------------------------------------------------------------


def decide_remind(case: Case, key: str, now: datetime) -> Decision:
    clock = case.open_clock(key)
    if clock is None or clock.reminded or now < datetime.fromisoformat(clock.remind_at) or now >= clock.due_at:
        return []  # (a deadline already past is breached, not reminded of)
    office_kinds = ("first_reply", "statutory_feedback", REFERRER_REPLY, FOLLOW_UP)
    role = "complaint_officer" if clock.due["kind"] in office_kinds else "department_liaison"
    return [
        (
            "InvestigationDue",
            {
                "complaint_id": case.complaint_id,
                "campus": case.campus,
                "deadline": clock.due,
                "reminder_for_role": role,
                "actor": actor("system", "system"),
            },
        )
    ]


def decide_breach(case: Case, key: str, now: datetime) -> Decision:
    """A deadline that passed unmet; none while an extension request awaits its decision."""
    clock = case.open_clock(key)
    if clock is None or clock.on_hold or now < clock.due_at:
        return []
    return [
        (
            "DeadlineBreached",
            {
                "complaint_id": case.complaint_id,
                "campus": case.campus,
                "deadline": clock.due,
                "breached_at": clock.due["due_at"],
                "actor": actor("system", "system"),
            },
        )
    ]


# ComplaintEscalated.reason of the escalation ladder (CONTRACT §7).
BREACH_UNRESOLVED = "breach_unresolved"


def ladder_due(clock: Clock, calendar: CampusCalendar, working_days: int) -> datetime | None:
    """When a breached deadline still unmet goes up the ladder: ``working_days`` after its breach (the end of
    that working day, as deadlines fall due); None for a deadline not breached or already escalated."""
    if clock.status != D_BREACHED or clock.ladder_escalated or clock.breached_at is None:
        return None
    return calendar.add_working_days(parse_time(clock.breached_at), working_days).due_at


def decide_ladder(case: Case, key: str, now: datetime, calendar: CampusCalendar, working_days: int) -> Decision:
    """A breached deadline still unmet ``working_days`` working days later: escalated to leadership, once."""
    clock = case.clocks.get(key)
    due = ladder_due(clock, calendar, working_days) if clock is not None else None
    if clock is None or due is None or now < due or case.status not in ACTIVE:
        return []
    return [
        (
            "ComplaintEscalated",
            {
                "complaint_id": case.complaint_id,
                "campus": case.campus,
                "severity": case.severity,
                "reason": BREACH_UNRESOLVED,
                "escalated_at": rfc3339(now),
                "to": "leadership_group",
                "deadline": clock.due,
                "actor": actor("system", "system"),
            },
        )
    ]


def decide_recompute(case: Case, key: str, calendar: CampusCalendar, policy: Mapping[str, Any]) -> Decision:
    """A provisional deadline computed again once the calendar covers its year."""
    clock = case.open_clock(key)
    if clock is None or not clock.due["provisional"]:
        return []
    days = clock.due["working_days"]
    due = calendar.add_working_days(parse_time(clock.started_at), days)
    current = deadline_data(
        clock.due["kind"], due, days, policy, clock.due.get("department"), clock.due.get("rectification_id")
    )
    if current["provisional"] and parse_time(current["due_at"]) == clock.due_at:
        return []  # still not covered: nothing new to say
    return [_rescheduled(case, clock.due, current, "calendar_updated", actor("system", "system"))]


def decide_recheck_breach(
    case: Case, key: str, now: datetime, calendar: CampusCalendar, policy: Mapping[str, Any]
) -> Decision:
    """A breached provisional deadline looked at again once the official calendar knows its year.

    Not yet due by the real calendar: the breach is withdrawn and the corrected deadline runs again.
    Due after all: the breach stands, and the deadline is confirmed as the real calendar counts it.
    A still-provisional recount (a better guess is no proof) changes nothing."""
    clock = case.clocks.get(key)
    if clock is None or clock.status != D_BREACHED or not clock.due["provisional"]:
        return []
    current = _counted_again(clock, clock.due["working_days"], calendar, policy)
    if current["provisional"]:
        return []
    system = actor("system", "system")
    if parse_time(current["due_at"]) <= now:
        return [_rescheduled(case, clock.due, current, "calendar_updated", system)]
    return [
        (
            "DeadlineBreachWithdrawn",
            {
                "complaint_id": case.complaint_id,
                "campus": case.campus,
                "deadline": clock.due,
                "current": current,
                "breached_at": clock.breached_at or clock.due["due_at"],
                "withdrawn_at": rfc3339(now),
                "reason": "calendar_updated",
                "actor": system,
            },
        )
    ]


def _rescheduled(
    case: Case, previous: dict[str, Any], current: dict[str, Any], reason: str, who: dict[str, str]
) -> tuple[str, dict[str, Any]]:
    """A deadline moved: the one shape of ``DeadlineRescheduled`` every decision emits."""
    data = {"complaint_id": case.complaint_id, "campus": case.campus, "previous": previous, "current": current}
    return "DeadlineRescheduled", {**data, "reason": reason, "actor": who}


# -- the fold --------------------------------------------------------------------------------------


def _start_clock(case: Case, due: dict[str, Any], started_at: str, reminder_at: str) -> None:
    case.clocks[deadline_key(due)] = Clock(key=deadline_key(due), due=due, started_at=started_at, remind_at=reminder_at)


def _stop_clocks(case: Case, keep_rectifications: bool = False) -> None:
    for clock in case.clocks.values():
        if clock.due["kind"] in ("authority_report", REFERRER_REPLY):
            continue  # the health authority (or the referrer) is answered whatever becomes of the case
        if clock.status == D_OPEN and not (keep_rectifications and clock.due["kind"] == "rectification"):
            clock.status = D_STOPPED


def _meet(clock: Clock | None, at: str) -> None:
    if clock is None:
        return
    if clock.status == D_OPEN:
        clock.status, clock.met_at = D_MET, at
    elif clock.status == D_BREACHED:
        clock.status, clock.met_at = D_MET_LATE, at


Mutator = Callable[[Case, dict[str, Any], str, dict[str, str]], None]
_MUTATORS: dict[str, Mutator] = {}


def mutates(*event_types: str) -> Callable[[Mutator], Mutator]:
    """Registers the fold of one event type (or of types that mean the same to a case)."""

    def register(mutator: Mutator) -> Mutator:
        for event_type in event_types:
            _MUTATORS[event_type] = mutator
        return mutator

    return register


def evolve(case: Case, event_type: str, data: dict[str, Any], at: str, reminders: dict[str, str] | None = None) -> Case:
    """Fold one event (intake's or investigation's) into the case; types that do not concern a case pass.
    ``reminders`` carries, for deadlines the event starts, when their reminder is due (computed with the
    calendar by the caller: :func:`reminders_for`)."""
    mutator = _MUTATORS.get(event_type)
    if mutator is not None:
        mutator(case, data, at, reminders or {})
    return case


@mutates("InvestigationOpened")
def _opened(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    # Events before `assigned_at` existed: the first opening counted from receipt, later ones from their time.
    started = data.get("assigned_at") or (data["received_at"] if not case.clocks else at)
    if "first_reply" not in case.clocks:
        _start_clock(case, data["first_reply"], data["received_at"], reminders["first_reply"])
    statutory = data.get("statutory_feedback")
    if statutory and "statutory_feedback" not in case.clocks:
        _start_clock(case, statutory, data["received_at"], reminders["statutory_feedback"])
    referrer = data.get(REFERRER_REPLY)
    if referrer and REFERRER_REPLY not in case.clocks:
        _start_clock(case, referrer, data["received_at"], reminders[REFERRER_REPLY])
    for due in data["investigations"]:
        _start_clock(case, due, started, reminders[deadline_key(due)])
        case.assignments[due["department"]] = {"status": "investigating", "assigned_at": started}
    case.departments = sorted(set(case.departments) | set(data["departments"]))


@mutates("DeadlineRescheduled")
def _rescheduled_deadline(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    clock = case.clocks[deadline_key(data["current"])]
    if data["reason"] == "extension_granted":
        clock.extended_days += data["current"]["working_days"] - data["previous"]["working_days"]
    clock.due = data["current"]
    clock.remind_at = reminders.get(clock.key, clock.remind_at)
    clock.reminded = (
        clock.reminded
        and data["reason"] == "calendar_updated"
        and parse_time(data["current"]["due_at"]) == parse_time(data["previous"]["due_at"])
    )


@mutates("ExtensionRequested")
def _extension_requested(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    case.extensions[data["extension_id"]] = {
        "department": data["department"],
        "status": "pending",
        "requested_days": data["requested_days"],
        # what the office decides on (the console's decision form shows them)
        "reason": data["reason"],
        "requested_at": data["requested_at"],
        "requested_by": data["actor"]["id"],
    }
    case.clocks[f"investigation:{data['department']}"].on_hold = True


@mutates("ExtensionGranted")
def _extension_granted(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    case.extensions[data["extension_id"]]["status"] = "granted"
    clock = case.clocks[f"investigation:{data['department']}"]
    clock.on_hold = False
    clock.extended_days += data["deadline"]["working_days"] - clock.due["working_days"]
    clock.due = data["deadline"]
    clock.remind_at = reminders.get(clock.key, clock.remind_at)
    clock.reminded = False


@mutates("ExtensionRefused")
def _extension_refused(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    case.extensions[data["extension_id"]]["status"] = "refused"
    case.clocks[f"investigation:{data['department']}"].on_hold = False


@mutates("FindingsSubmitted")
def _findings_submitted(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    case.assignments[data["department"]]["status"] = "findings_submitted"
    case.assignments[data["department"]]["substantiated"] = data["substantiated"]
    clock = case.clocks.get(f"investigation:{data['department']}")
    if clock is not None:
        clock.on_hold = False
    _meet(clock, data["submitted_at"])
    for extension in case.extensions.values():  # the findings make a pending request moot
        if extension["department"] == data["department"] and extension["status"] == "pending":
            extension["status"] = "superseded"


@mutates("InvestigationDue")
def _reminded(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    case.clocks[deadline_key(data["deadline"])].reminded = True


@mutates("DeadlineBreached")
def _breached(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    clock = case.clocks[deadline_key(data["deadline"])]
    clock.status, clock.breached_at = D_BREACHED, data["breached_at"]


@mutates("DeadlineBreachWithdrawn")
def _breach_withdrawn(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    clock = case.clocks[deadline_key(data["current"])]
    clock.status, clock.breached_at, clock.due = D_OPEN, None, data["current"]
    clock.remind_at = reminders.get(clock.key, clock.remind_at)
    clock.reminded = False  # the reminder sent was for the wrong day


@mutates("ComplaintEscalated")
def _escalated(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    case.escalated = True
    if data["reason"] == BREACH_UNRESOLVED and data.get("deadline"):
        case.clocks[deadline_key(data["deadline"])].ladder_escalated = True


def _meet_statutory(case: Case, data: dict[str, Any], at: str) -> None:
    """The event says it met the statutory feedback clock (and how): its first feedback."""
    clock = case.clocks.get("statutory_feedback")
    if data.get("statutory_feedback_met") and clock is not None and clock.status in (D_OPEN, D_BREACHED):
        _meet(clock, at)
        clock.met_by = data["statutory_feedback_met"]


@mutates("ReplyIssued")
def _reply_issued(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    case.replies[data["reply_id"]] = {"issued_at": data["issued_at"]}
    case.status = REPLIED
    _meet_statutory(case, data, data["issued_at"])


@mutates("InterimFeedbackIssued")
def _feedback_issued(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    case.feedbacks[data["feedback_id"]] = {"issued_at": data["issued_at"]}
    _meet_statutory(case, data, data["issued_at"])


@mutates("ReplySent", "ReplyDeliveryRecorded")
def _reply_delivered(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    if data.get("reply_kind") == "interim":  # meets only the statutory clock, never the first reply
        if data["reply_id"] in case.feedbacks:
            case.feedbacks[data["reply_id"]]["sent_at"] = data["sent_at"]
            _meet_statutory(case, {"statutory_feedback_met": MET_DELIVERED}, data["sent_at"])
        return
    if data["reply_id"] in case.replies:  # a reply of an earlier round no longer stops this one's clock
        case.replies[data["reply_id"]]["sent_at"] = data["sent_at"]
        _meet(case.clocks.get("first_reply"), data["sent_at"])
        _meet_statutory(case, {"statutory_feedback_met": MET_DELIVERED}, data["sent_at"])  # any delivery meets it
    if data.get(FOLLOW_UP):
        _start_clock(case, data[FOLLOW_UP], data["sent_at"], reminders[FOLLOW_UP])


@mutates("NotificationFailed", "ReplyDeliveryFailed")
def _reply_failed(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    if data.get("reply_id") in case.replies:
        case.replies[data["reply_id"]]["failed"] = True


@mutates("RectificationOrdered")
def _rectification_ordered(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    case.rectifications[data["rectification_id"]] = {"department": data["department"], "status": "ordered"}
    _start_clock(case, data["due"], data["ordered_at"], reminders[deadline_key(data["due"])])


@mutates("RectificationCompleted")
def _rectification_completed(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    case.rectifications[data["rectification_id"]]["status"] = "completed"
    _meet(case.clocks.get(f"rectification:{data['rectification_id']}"), data["completed_at"])


@mutates("FollowUpRecorded")
def _followed_up(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    case.follow_ups.append({"satisfied": data["satisfied"], "recorded_at": data["recorded_at"]})
    _meet(case.clocks.get(FOLLOW_UP), data["recorded_at"])


@mutates("ReferrerReplied")
def _referrer_replied(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    case.referrer_replies.append({k: data[k] for k in ("answered_by", "answered_at", "on_time")})
    _meet(case.clocks.get(REFERRER_REPLY), data["answered_at"])


@mutates("ComplaintReopened")
def _reopened(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    _stop_clocks(case, keep_rectifications=True)  # ordered rectifications still have to be done
    case.status = OPEN
    case.reopened += 1
    case.assignments = {}  # a new round: the office assigns departments again
    case.replies = {}
    reply = data["first_reply"]
    case.clocks["first_reply"] = Clock(
        key="first_reply", due=reply, started_at=data["reopened_at"], remind_at=reminders["first_reply"]
    )


@mutates("DisputeSettled")
def _dispute_settled(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    case.disputes[data["dispute_id"]].update(status="settled", compensation=data["compensation_amount"])


def _ends_with(status: str) -> Mutator:
    def ended(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
        case.status = status
        _stop_clocks(case)

    return ended


# Closed by the office, or ended by intake (intake's own events, and the CaseEnded that records them).
mutates("ComplaintClosed")(_ends_with(CLOSED))
for _intake_type, (_ended_status, _) in ENDED_BY.items():
    mutates(_intake_type)(_ends_with(_ended_status))


@mutates("CaseEnded")
def _case_ended(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    _ends_with(data["reason"])(case, data, at, reminders)  # the reasons are the ended statuses


@mutates("CaseContactChanged")
def _contact_changed(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    case.has_contact = bool(data["has_contact"])


@mutates("ComplaintReclassified", "CaseReclassified")
def _reclassified(case: Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    current = data["current"]
    case.category = current.get("category", case.category)
    case.severity = current.get("severity", case.severity)
    case.campuses = current.get("campuses", case.campuses)


# -- the deadlines an event starts or moves ------------------------------------------------------------------

_STARTED: dict[str, Callable[[dict[str, Any]], list[dict[str, Any]]]] = {
    "InvestigationOpened": lambda data: [
        data["first_reply"],
        *([data["statutory_feedback"]] if data.get("statutory_feedback") else []),
        *([data[REFERRER_REPLY]] if data.get(REFERRER_REPLY) else []),
        *data["investigations"],
    ],
    "ReplyDeliveryRecorded": lambda data: [data[FOLLOW_UP]] if data.get(FOLLOW_UP) else [],
    "DeadlineRescheduled": lambda data: [data["current"]],
    "DeadlineBreachWithdrawn": lambda data: [data["current"]],
    "ExtensionGranted": lambda data: [data["deadline"]],
    "RectificationOrdered": lambda data: [data["due"]],
    "ComplaintReopened": lambda data: [data["first_reply"]],
}


def deadlines_started(event_type: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The deadline objects an event starts or moves (none for most types)."""
    started = _STARTED.get(event_type)
    return started(data) if started else []


def reminders_for(
    decision_data: dict[str, Any], event_type: str, calendar: CampusCalendar, days_before: int
) -> dict[str, str]:
    """When each deadline an event starts or moves should be reminded of."""
    result = {}
    for due in deadlines_started(event_type, decision_data):
        deadline = Deadline(
            due_at=parse_time(due["due_at"]),
            last_day=datetime.fromisoformat(due["last_day"]).date(),
            provisional=due["provisional"],
            calendar_version=due["calendar_version"],
        )
        result[deadline_key(due)] = remind_at(calendar, deadline, days_before).isoformat()
    return result


# -- what a role may do now ---------------------------------------------------------------------------------

# Investigation's POST actions, by their operationId, in the order the API lists them.
ACTIONS = (
    "assign",
    "request_extension",
    "decide_extension",
    "submit_findings",
    "escalate",
    "issue_reply",
    "issue_feedback",
    "order_rectification",
    "complete_rectification",
    "follow_up",
    "close",
    "reopen",
    "record_dispute",
    "settle_dispute",
    # disputes.py's (CONTRACT §8)
    "change_dispute_route",
    "report_to_authority",
    "seal_records",
    "unseal_records",
    "report_to_police",
    "referrer_reply",  # CONTRACT §10
)


def allowed_actions(
    case: Case, role: str, department: str | None, campus_departments: Sequence[str], now: datetime
) -> list[str]:
    """The actions (operationIds) ``role`` may take on the case in its current state; a liaison only for
    ``department``. This is the state machine the deciders enforce, asked without a command: what a command's
    own values decide (which department, how many days) is not known yet, and two waits are left to the
    decider's 409 saying what is missing (a reply while findings are awaited, a close before the reply is
    delivered), so the office sees those actions and why they are not possible yet."""
    officer, liaison = role == OFFICER, role == LIAISON
    if not (officer or liaison):
        return []
    mine = [d for d in sorted(case.assignments) if officer or d == department]
    investigating = [d for d in mine if case.assignments[d]["status"] == "investigating"]
    allowed: set[str] = set()
    if case.status == OPEN:
        if officer and any(d not in case.assignments for d in campus_departments):
            allowed.add("assign")
        if any(_extension_askable(case.clocks.get(f"investigation:{d}"), now) for d in investigating):
            allowed.add("request_extension")
        if investigating:
            allowed.add("submit_findings")
        if officer and any(e["status"] == "pending" for e in case.extensions.values()):
            allowed.add("decide_extension")
        if officer:
            allowed |= {"issue_reply", "issue_feedback"}
    if officer and case.status in ACTIVE:
        allowed |= {"order_rectification"} if case.escalated else {"escalate", "order_rectification"}
    if officer and case.status == REPLIED:
        allowed |= {"follow_up", "close"}
    if officer and case.status in ENDED:
        allowed.add("reopen")
    if any(
        r["status"] == "ordered" and (officer or r["department"] == department) for r in case.rectifications.values()
    ):
        allowed.add("complete_rectification")
    if officer:
        allowed.add("record_dispute")  # a dispute can arise at any point, also after close
        if any(d["status"] != "settled" for d in case.disputes.values()):
            allowed.add("settle_dispute")
    allowed |= disputes.allowed(case, role)
    if officer and REFERRER_REPLY in case.clocks and not case.referrer_replies:
        allowed.add("referrer_reply")
    return [a for a in ACTIONS if a in allowed]


def _extension_askable(clock: Clock | None, now: datetime) -> bool:
    """An extension is asked for a running investigation deadline, before it passes, one request at a time."""
    return clock is not None and clock.status == D_OPEN and not clock.on_hold and now < clock.due_at


# The names disputes.py folds with; its deciders and folds (registered on import) complete this module.
start_clock, meet = _start_clock, _meet
from services.investigation import disputes  # noqa: E402
