"""The console's view models, pure (no I/O, the clock passed in): how urgent a deadline is, the worklist's
rows, their filters and order, one timeline merged from the services' event logs, which actions a user's
role allows in a case's current state, and the API's errors as the form fields and sentences they concern.

Everything here reads the services' JSON as it arrives; the console keeps nothing of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared import glossary
from shared.auth import (
    CASE_READERS,
    COMPLAINT_REGISTRARS,
    OFFICER,
    REPORT_READERS,
    Principal,
)
from shared.workdays import CampusCalendar

# -- deadlines --------------------------------------------------------------------------------------

OVERDUE, DUE_SOON, ON_HOLD, RUNNING = "overdue", "due_soon", "on_hold", "running"
# Worst first: the worklist's urgency order and a case's urgency (its most urgent running deadline).
URGENCY_ORDER = (OVERDUE, DUE_SOON, ON_HOLD, RUNNING)
NO_DEADLINE = "none"
UNMET = ("open", "breached")  # a deadline still to be met (a breached one still has to be met, late)


def parse_time(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class DeadlineView:
    key: str
    kind: str
    department: str | None
    due_at: datetime
    last_day: str
    working_days: int
    status: str
    urgency: str
    provisional: bool
    on_hold: bool
    calendar_version: str
    policy_version: str
    remaining: timedelta  # negative once overdue

    @property
    def running(self) -> bool:
        return self.status in UNMET


def urgency(deadline: Mapping[str, Any], now: datetime) -> str:
    """Overdue once due (or breached); due soon from its reminder on (the product's own "1 working day
    before"); on hold while an extension request awaits the office; else running."""
    due_at = parse_time(deadline["due_at"])
    assert due_at is not None
    if deadline["status"] == "breached" or (
        deadline["status"] == "open" and not deadline.get("on_hold") and due_at <= now
    ):
        return OVERDUE
    if deadline.get("on_hold"):
        return ON_HOLD
    remind_at = parse_time(deadline.get("remind_at"))
    if remind_at is not None and remind_at <= now:
        return DUE_SOON
    return RUNNING


def deadline_view(deadline: Mapping[str, Any], now: datetime) -> DeadlineView:
    due_at = parse_time(deadline["due_at"])
    assert due_at is not None
    return DeadlineView(
        key=deadline["key"],
        kind=deadline["kind"],
        department=deadline.get("department"),
        due_at=due_at,
        last_day=str(deadline.get("last_day") or ""),
        working_days=int(deadline.get("working_days") or 0),
        status=deadline["status"],
        urgency=urgency(deadline, now),
        provisional=bool(deadline.get("provisional")),
        on_hold=bool(deadline.get("on_hold")),
        calendar_version=str(deadline.get("calendar_version") or ""),
        policy_version=str(deadline.get("policy_version") or ""),
        remaining=due_at - now,
    )


def worst(urgencies: Iterable[str]) -> str:
    found = [u for u in urgencies if u in URGENCY_ORDER]
    return min(found, key=URGENCY_ORDER.index) if found else NO_DEADLINE


# -- the worklist ---------------------------------------------------------------------------------

ACTIVE_STATES = ("open", "replied")
SORT_KEYS = ("urgency", "next_due", "received", "reference", "campus", "status")


@dataclass(frozen=True)
class CaseRow:
    complaint_id: str
    reference: str
    campus: str
    departments: tuple[str, ...]
    status: str
    category: str
    severity: str
    escalated: bool
    received_at: datetime
    deadlines: tuple[DeadlineView, ...]  # the running ones, soonest first
    urgency: str
    provisional: bool
    next_due: datetime | None
    statutory: DeadlineView | None = None  # the statutory feedback clock (CONTRACT §7), running or not
    source: str = ""
    referral: DeadlineView | None = None  # an authority referral's reply date (CONTRACT §10), running or not
    awaiting: tuple[str, ...] = ()  # the departments that owe the case their findings (investigation says)
    days_left: int | None = None  # working days to the nearest running deadline (negative: late)

    @property
    def nearest(self) -> DeadlineView | None:
        return self.deadlines[0] if self.deadlines else None

    @property
    def holder(self) -> str:
        """Who holds the case now: ``departments`` (those that owe findings), the complaint ``office`` (every
        other next step of an active case is the office's), or ``none`` once it has ended."""
        if self.awaiting:
            return "departments"
        return "office" if self.status in ACTIVE_STATES else "none"


def case_row(
    case: Mapping[str, Any], detail: Mapping[str, Any] | None, now: datetime, calendar: CampusCalendar | None = None
) -> CaseRow:
    """A worklist row from ``GET /cases`` (the case) and ``GET /cases/<id>`` (its deadlines); with the
    campus's ``calendar``, the working days left to its nearest running deadline."""
    views = [deadline_view(d, now) for d in (detail or {}).get("deadlines", [])]
    running = tuple(sorted((v for v in views if v.running), key=lambda v: v.due_at))
    received = parse_time(case["received_at"])
    assert received is not None
    days_left = None
    if calendar is not None and running and running[0].last_day:
        days_left = calendar.working_days_left(date.fromisoformat(running[0].last_day), now)
    return CaseRow(
        complaint_id=str(case["complaint_id"]),
        reference=case["reference"],
        campus=case["campus"],
        departments=tuple(case.get("departments") or ()),
        status=case["status"],
        category=case["category"],
        severity=case["severity"],
        escalated=bool(case.get("escalated")),
        received_at=received,
        deadlines=running,
        urgency=worst(v.urgency for v in running),
        provisional=any(v.provisional for v in running) or bool(case.get("provisional")),
        next_due=running[0].due_at if running else None,
        statutory=next((v for v in views if v.kind == "statutory_feedback"), None),
        source=case.get("source") or "",
        referral=next((v for v in views if v.kind == "referrer_reply"), None),
        awaiting=tuple(case.get("awaiting_departments") or ()),
        days_left=days_left,
    )


def filter_rows(
    rows: Iterable[CaseRow],
    urgency_filter: str | None = None,
    provisional: bool | None = None,
    referral: bool | None = None,
) -> list[CaseRow]:
    """What the services cannot filter by: how urgent, whether any running deadline is provisional, whether
    the complaint was referred by an authority (CONTRACT §10)."""
    kept = []
    for row in rows:
        if urgency_filter and urgency_filter not in {d.urgency for d in row.deadlines}:
            continue
        if provisional is not None and row.provisional != provisional:
            continue
        if referral is not None and (row.source == "authority_referral") != referral:
            continue
        kept.append(row)
    return kept


_FAR = datetime.max.replace(tzinfo=UTC)


def sort_rows(rows: Iterable[CaseRow], key: str = "urgency", descending: bool = False) -> list[CaseRow]:
    """Sorted by ``key``; cases without a running deadline go last when sorting by deadline."""
    orders = {
        "urgency": lambda r: ((*URGENCY_ORDER, NO_DEADLINE).index(r.urgency), r.next_due or _FAR),
        "next_due": lambda r: (r.next_due is None, r.next_due or _FAR),
        "received": lambda r: r.received_at,
        "reference": lambda r: r.reference,
        "campus": lambda r: (r.campus, r.reference),
        "status": lambda r: (r.status, r.reference),
    }
    return sorted(rows, key=orders.get(key, orders["urgency"]), reverse=descending)


def counts(rows: Sequence[CaseRow]) -> dict[str, int]:
    """How many cases have an overdue / due-soon deadline (the worklist's headline)."""
    return {u: sum(1 for r in rows if u in {d.urgency for d in r.deadlines}) for u in (OVERDUE, DUE_SOON)}


# -- the timeline -----------------------------------------------------------------------------------

SOURCES = ("intake", "investigation", "notification")

# For each event type: the fields worth showing (glossary.field_group says which are codes, to be named).
SHOWN_FIELDS: dict[str, tuple[str, ...]] = {
    "ComplaintReceived": ("reference", "channel", "category", "severity", "source", "departments", "received_by"),
    "ComplaintResolvedOnSpot": ("resolution", "resolved_by"),
    "ComplaintNotAccepted": ("reason", "route_advice", "decided_by"),
    "ComplaintWithdrawn": ("reason", "withdrawn_by"),
    "ComplaintReclassified": ("note",),
    "InvestigationOpened": ("departments",),
    "InvestigationDue": ("reminder_for_role",),
    "DeadlineRescheduled": ("reason",),
    "ExtensionRequested": ("department", "requested_days", "reason"),
    "ExtensionGranted": ("department", "note"),
    "ExtensionRefused": ("department", "note"),
    "FindingsSubmitted": ("department", "substantiated", "summary", "signed_off_by", "on_time"),
    "DeadlineBreached": (),
    "DeadlineBreachWithdrawn": (),  # the title says why (the calendar was corrected)
    "ComplaintStatusFollowed": (),  # intake's record of investigation's ComplaintClosed / ComplaintReopened
    "PersonalDataErased": ("reason",),
    "AttachmentAdded": ("media_type", "size"),  # never its name: that is personal data, sealed in intake
    "SuggestionAdopted": ("adopted_by", "note"),
    "ContactDetailsCorrected": ("changed",),  # which fields; their values are personal data (sealed in intake)
    "ReferrerReplied": ("answered_by", "summary", "on_time"),
    "CaseEnded": (),  # investigation's record of intake's ending, shown just before it: the title says it
    "CaseReclassified": (),
    "CaseContactChanged": ("has_contact",),
    "ReplyDeliveryRecorded": (),
    "ReplyDeliveryFailed": (),
    "ComplaintEscalated": ("severity", "reason", "to"),
    "ReplyIssued": ("contact_person", "actions_taken", "result", "channel_preference"),
    "RectificationOrdered": ("department", "description"),
    "RectificationCompleted": ("department", "note", "on_time"),
    "FollowUpRecorded": ("satisfied", "note"),
    "ComplaintReopened": ("reason", "note"),
    "ComplaintClosed": ("outcome",),
    "DisputeRecorded": ("route", "note"),
    "DisputeSettled": ("route", "compensation_amount", "currency"),
    "ReplySent": ("channel",),
    "ReminderSent": ("kind", "department", "recipient_role", "channel"),
    "NotificationFailed": ("purpose", "channel", "attempts", "error"),
}


@dataclass(frozen=True)
class Detail:
    field: str
    value: Any
    group: str | None  # the name group of a code, None for text written by staff


@dataclass(frozen=True)
class Entry:
    at: datetime
    source: str
    sequence: int
    type: str
    actor: Mapping[str, str] | None
    details: tuple[Detail, ...]
    deadlines: tuple[Mapping[str, Any], ...]  # every deadline the event sets: calendar and policy versions


def _deadlines_of(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = [
        data.get("first_reply"),
        data.get("current"),
        data.get("deadline"),
        data.get("due"),
        *data.get("investigations", []),
    ]
    return [d for d in found if isinstance(d, Mapping)]


def _details(event_type: str, data: Mapping[str, Any]) -> tuple[Detail, ...]:
    details = []
    for name in SHOWN_FIELDS.get(event_type, ()):
        value = data.get(name)
        if value is None or value == [] or value == "":
            continue
        details.append(Detail(name, value, glossary.field_group(event_type, name)))
    if event_type == "ComplaintReclassified":
        for key, value in (data.get("current") or {}).items():
            details.append(Detail(key, value, glossary.field_group(event_type, key)))
    return tuple(details)


def timeline(logs: Mapping[str, Sequence[Mapping[str, Any]]], subject: str) -> list[Entry]:
    """One history of a complaint from every service's log: the events about ``subject``, in time order.
    Events of one instant keep the order of cause and effect: intake before investigation before
    notification, then each source's own sequence."""
    entries = []
    for source, events in logs.items():
        for event in events:
            if event.get("subject") != subject:
                continue
            data = event.get("data") or {}
            at = parse_time(event["time"])
            assert at is not None
            entries.append(
                Entry(
                    at=at,
                    source=source,
                    sequence=int(event.get("sequence") or 0),
                    type=event["type"],
                    actor=data.get("actor"),
                    details=_details(event["type"], data),
                    deadlines=tuple(_deadlines_of(data)),
                )
            )
    rank = {s: i for i, s in enumerate(SOURCES)}
    return sorted(entries, key=lambda e: (e.at, rank.get(e.source, len(SOURCES)), e.sequence))


# -- what a user may do -------------------------------------------------------------------------------

# Who may use which page: the access table of shared/auth.py (CASE_READERS, COMPLAINT_REGISTRARS, ...).

ACTIONS = (
    "resolve_on_spot",
    "assign",
    "request_extension",
    "decide_extension",
    "findings",
    "escalate",
    "reply",
    "feedback",
    "order_rectification",
    "complete_rectification",
    "follow_up",
    "close",
    "reopen",
    "record_dispute",
    "settle_dispute",
    # CONTRACT §8 (dispute_options below)
    "change_dispute_route",
    "report_to_authority",
    "seal_records",
    "unseal_records",
    "report_to_police",
    # intake's own (offered by GET /complaints/<id>'s allowed_actions)
    "reclassify",
    "not_accept",
    "withdraw",
    "erasure",
    "correct_contact",  # issue 18 item 9
    "referrer_reply",  # CONTRACT §10
)
#: the console's actions that are intake's, and what their forms offer
INTAKE_ACTIONS = ("reclassify", "not_accept", "withdraw", "erasure", "correct_contact")


@dataclass
class Allowed:
    """The actions on offer, each with what its form needs to offer (departments, ids)."""

    actions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return name in self.actions

    def __getitem__(self, name: str) -> dict[str, Any]:
        return self.actions[name]

    def names(self) -> list[str]:
        return [a for a in ACTIONS if a in self.actions]


def nav(who: Principal) -> list[str]:
    """The console's pages a user's role can use."""
    pages = []
    if who.role in CASE_READERS:
        pages.append("worklist")
    if who.role in COMPLAINT_REGISTRARS:
        pages.append("register")
    if who.role in REPORT_READERS:
        pages.append("reports")
    return pages


def home(who: Principal) -> str:
    return (
        {"worklist": "/worklist", "register": "/register", "reports": "/reports"}[nav(who)[0]] if nav(who) else "/login"
    )


# The console's names of investigation's actions where they differ from the API's operationIds (the names
# GET /cases/<id> answers in ``allowed_actions``).
OPERATION_IDS = {"findings": "submit_findings", "reply": "issue_reply", "feedback": "issue_feedback"}


def allowed_actions(
    who: Principal,
    complaint: Mapping[str, Any] | None,
    case: Mapping[str, Any] | None,
    campus_departments: Sequence[str],
    now: datetime,
) -> Allowed:
    """The actions on offer: intake's resolve-on-the-spot by the complaint's state, and exactly the case's
    ``allowed_actions`` (investigation decides what the user's role may do in the case's state); each with
    what its form offers. The API has the last word: it answers 409 when the state changed meanwhile, and
    the console shows that as a sentence."""
    allowed = Allowed()
    intake_offers = set(complaint.get("allowed_actions") or ()) if complaint is not None else set()
    # On the spot means before anyone investigates: not once a department has been assigned.
    if "resolve_on_spot" in intake_offers and (
        case is None or (case["status"] == "open" and not case.get("assignments"))
    ):
        allowed.actions["resolve_on_spot"] = {}
    for name in INTAKE_ACTIONS:
        if name in intake_offers:
            allowed.actions[name] = {"departments": list(campus_departments)} if name == "reclassify" else {}
    if case is None or not who.covers(case["campus"]):
        return allowed
    offered = set(case.get("allowed_actions") or ())
    for name in ACTIONS:
        if OPERATION_IDS.get(name, name) in offered:
            allowed.actions[name] = _form_options(name, who, case, campus_departments, now)
    return allowed


def _form_options(
    name: str, who: Principal, case: Mapping[str, Any], campus_departments: Sequence[str], now: datetime
) -> dict[str, Any]:
    """What an offered action's form lets the user choose from (departments, pending items)."""
    officer = who.role == OFFICER
    assignments: Mapping[str, Mapping[str, Any]] = case.get("assignments") or {}
    rank = {d: i for i, d in enumerate(campus_departments)}  # the hospital's order (the caller gives it)
    investigating = [
        d
        for d in sorted(assignments, key=lambda d: (rank.get(d, len(rank)), d))
        if (officer or d == who.department) and assignments[d].get("status") == "investigating"
    ]
    if name == "assign":
        return {"departments": [d for d in campus_departments if d not in assignments]}
    if name == "request_extension":
        deadlines = {d["key"]: d for d in case.get("deadlines", [])}
        return {"departments": [d for d in investigating if _askable(deadlines.get(f"investigation:{d}"), now)]}
    if name == "findings":
        return {"departments": investigating}
    if name == "decide_extension":
        extensions = (case.get("extensions") or {}).items()
        return {"extensions": [{"extension_id": i, **e} for i, e in extensions if e.get("status") == "pending"]}
    if name == "reply":
        return {"waiting_for": sorted(d for d, a in assignments.items() if a.get("status") == "investigating")}
    if name == "order_rectification":
        return {"departments": list(campus_departments)}
    if name == "complete_rectification":
        items = (case.get("rectifications") or {}).items()
        mine = [{"rectification_id": i, **r} for i, r in items if officer or r.get("department") == who.department]
        return {"rectifications": [r for r in mine if r.get("status") == "ordered"]}
    if name == "settle_dispute":
        items = (case.get("disputes") or {}).items()
        return {"disputes": [{"dispute_id": i, **d} for i, d in items if d.get("status") != "settled"]}
    return dispute_options(name, case)


def extension_result(
    preview: Mapping[str, Any], department: str, days: Any
) -> tuple[int | None, str | None, bool] | None:
    """The request form's result from investigation's ``extension_preview``: (days asked, the last day a grant
    would give, within the limit); days None: nothing typed yet, and the latest possible day. None when
    there is no department to count from."""
    dates: Mapping[str, str] = (preview.get("departments") or {}).get(department) or {}
    if not dates:
        return None
    limit = int(preview.get("max_days") or len(dates))
    try:
        asked = int(str(days).strip())
    except (TypeError, ValueError):
        return None, dates.get(str(limit)), True
    if asked < 1 or asked > limit:
        return asked, None, False
    return asked, dates.get(str(asked)), True


def _askable(clock: Mapping[str, Any] | None, now: datetime) -> bool:
    """A department's clock an extension can still be asked for (the form offers only those departments)."""
    due = parse_time(clock["due_at"]) if clock else None
    return bool(clock and clock["status"] == "open" and not clock.get("on_hold") and due is not None and now < due)


# -- the API's errors, for people --------------------------------------------------------------------


def field_errors(body: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """A 400's ``errors`` flattened to the form's field names (``complainant.email``)."""
    errors = (body or {}).get("errors") or {}
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            flat.setdefault(prefix or "_schema", []).extend(value)
        elif isinstance(value, list):  # errors of list items: {"departments": {"0": [...]}} or nested lists
            for inner in value:
                walk(prefix, inner)
        else:
            flat.setdefault(prefix or "_schema", []).append(str(value))

    if isinstance(errors, Mapping):
        walk("", errors)
    else:
        flat["_schema"] = [str(errors)]
    # List items' errors (departments.0) belong to the list's field.
    merged: dict[str, list[str]] = {}
    for key, messages in flat.items():
        parts = key.split(".")
        while len(parts) > 1 and parts[-1].isdigit():
            parts.pop()
        merged.setdefault(".".join(parts), []).extend(messages)
    return merged


# -- medical disputes' duties (CONTRACT §8) ----------------------------------------------------------------------


def dispute_options(name: str, case: Mapping[str, Any]) -> dict[str, Any]:
    """What the forms of the dispute duties offer: the disputes, major ones, seals in place (else nothing)."""
    disputes = [{"dispute_id": i, **d} for i, d in (case.get("disputes") or {}).items()]
    if name == "change_dispute_route":
        return {"disputes": [d for d in disputes if d.get("status") != "settled"]}
    if name == "report_to_authority":
        return {"disputes": [d for d in disputes if d.get("major")]}
    if name == "unseal_records":
        seals = (case.get("seals") or {}).items()
        return {"seals": [{"seal_id": i, **s} for i, s in seals if s.get("status") == "sealed"]}
    return {}
