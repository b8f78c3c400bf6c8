"""Notification's rules, pure: who is told what about which event, over which channel, and when a
failed delivery is tried again. No I/O here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared import phones
from shared.envelope import rfc3339
from shared.errors import Refused

if TYPE_CHECKING:  # the command's type only: schemas.py builds on this module
    from services.notification.schemas import PostLetter

COMPLAINANT = "complainant"
EMAIL, SMS, LETTER = "email", "sms", "letter"
NO_ADDRESS = "no_address"  # a letter is due but there is no postal address: NotificationFailed says so
DELIVERED_BY_STAFF = ("phone", "in_person")  # given by the office itself: recorded as delivered, nothing sent

# Delivery statuses: `pending` (to be tried, maybe again), `sent` (the channel accepted it),
# `queued` (a letter waiting for the office to post it), `failed` (gave up: NotificationFailed),
# `not_sent` (nothing to send to: anonymous, no contact details; recorded, never retried).
PENDING, SENT, QUEUED, FAILED, NOT_SENT = "pending", "sent", "queued", "failed", "not_sent"
SENDING = "sending"  # claimed by a deliverer: being sent, its outcome not yet recorded


@dataclass(frozen=True)
class Recipient:
    """A staff recipient from the directory (the complainant is resolved at send time, over RPC)."""

    id: str
    role: str
    name: str
    email: str | None = None
    phone: str | None = None
    names: dict[str, str] = field(default_factory=dict)  # how a message in each language names them

    def name_in(self, lang: str, role_label: str) -> str:
        """Their name as a message in ``lang`` says it: the configured name for that language, else ``name``
        when it is written in that language's script, else their role (never an English name in Chinese)."""
        if self.names.get(lang):
            return self.names[lang]
        written_in_chinese = any("\u4e00" <= ch <= "\u9fff" for ch in self.name)
        return self.name if written_in_chinese == (lang == "zh-CN") else role_label


@dataclass(frozen=True)
class Planned:
    """One message an event asks for: to whom, for what, with which (non-personal) template data."""

    purpose: str
    recipient_role: str
    recipient_id: str  # staff id, or "complainant"
    context: dict[str, Any] = field(default_factory=dict)
    channel_preference: str | None = None
    office_hours: bool = False  # staff only: held until the campus's office opens (CONTRACT §7)


@dataclass(frozen=True)
class Directory:
    """Who is who: the complaint-office head per campus, a liaison per department, the leadership group."""

    office_heads: dict[str, Recipient]
    liaisons: dict[tuple[str, str], Recipient]
    leadership: list[Recipient]
    campus_names: dict[str, str]
    languages: dict[str, str]

    def staff(self, staff_id: str) -> Recipient | None:
        for person in [*self.office_heads.values(), *self.liaisons.values(), *self.leadership]:
            if person.id == staff_id:
                return person
        return None


class DirectoryError(ValueError):
    """The recipient directory in the configuration is incomplete; the message lists every problem."""


def load_directory(config: dict[str, Any]) -> Directory:
    """Build and validate the directory; every problem is reported at once, at start-up."""
    problems: list[str] = []

    def person(where: str, raw: Any, role: str) -> Recipient | None:
        if not isinstance(raw, dict) or not raw.get("id"):
            problems.append(f"{where}: missing (needs at least an id and an email or phone)")
            return None
        email, phone = raw.get("email"), raw.get("phone")
        if not email and not phone:
            problems.append(f"{where} ({raw['id']}): no email and no phone: nobody could reach them")
        if email and ("@" not in email or email.startswith("@") or email.endswith("@")):
            problems.append(f"{where} ({raw['id']}): email {email!r} is not an address")
        names = {lang: text for lang, text in (raw.get("names") or {}).items() if isinstance(text, str) and text}
        name = raw.get("name") or raw["id"]
        return Recipient(id=raw["id"], role=role, name=name, email=email, phone=phone, names=names)

    office_heads: dict[str, Recipient] = {}
    liaisons: dict[tuple[str, str], Recipient] = {}
    names: dict[str, str] = {}
    languages: dict[str, str] = {}
    for campus, settings in config.get("campuses", {}).items():
        names[campus] = settings.get("name", campus)
        languages[campus] = settings.get("language", "zh-CN")
        if languages[campus] not in ("zh-CN", "en"):
            problems.append(f"campuses.{campus}.language: {languages[campus]!r} is not zh-CN or en")
        head = person(f"campuses.{campus}.office_head", settings.get("office_head"), "complaint_officer")
        if head:
            office_heads[campus] = head
        departments = settings.get("departments") or {}
        if not departments:
            problems.append(f"campuses.{campus}.departments: none configured")
        for code, department in departments.items():
            liaison = person(
                f"campuses.{campus}.departments.{code}.liaison", (department or {}).get("liaison"), "department_liaison"
            )
            if liaison:
                liaisons[(campus, code)] = liaison
    leadership = [
        p
        for i, raw in enumerate(config.get("leadership") or [])
        if (p := person(f"leadership[{i}]", raw, "leadership"))
    ]
    if not config.get("leadership"):
        problems.append("leadership: nobody to escalate major complaints to")
    if problems:
        raise DirectoryError("recipient directory: " + "; ".join(problems))
    return Directory(office_heads, liaisons, leadership, names, languages)


BREACH_UNRESOLVED = "breach_unresolved"  # ComplaintEscalated.reason of the escalation ladder's last step
MAJOR_DISPUTE = "major_dispute"  # the escalation message's reason when a major dispute alerts the leadership
AT_ONCE_KINDS = ("authority_report",)  # deadlines whose reminders and breaches ignore office hours


def held(deadline_kind: str) -> bool:
    """Whether a reminder or breach alert of this deadline kind waits for office hours."""
    return deadline_kind not in AT_ONCE_KINDS


# -- what each event asks for -------------------------------------------------------------------

Planner = Callable[[dict[str, Any], dict[str, Any], Directory, dict[str, Any]], list[Planned]]
PLANNERS: dict[str, Planner] = {}  # event type → its planner; events not here ask for nothing


def planner(event_type: str) -> Callable[[Planner], Planner]:
    """Register the planner of one event type (called with the event's data, the context every
    message shares, the directory and the campus's policy)."""

    def register(function: Planner) -> Planner:
        PLANNERS[event_type] = function
        return function

    return register


def plan(event_type: str, data: dict[str, Any], directory: Directory, policy: dict[str, Any]) -> list[Planned]:
    """The messages an event asks for (empty for events nobody needs telling about)."""
    planner_of_event = PLANNERS.get(event_type)
    if planner_of_event is None:
        return []
    campus = data.get("campus") or ""
    base = {
        "complaint_id": data["complaint_id"],
        "campus": campus,
        "campus_name": directory.campus_names.get(campus, campus),
    }
    return planner_of_event(data, base, directory, policy)


@planner("InvestigationOpened")
def _acknowledge(
    data: dict[str, Any], base: dict[str, Any], directory: Directory, policy: dict[str, Any]
) -> list[Planned]:
    """The acknowledgement goes on the case's first opening (it names the reference), so that it can state
    the statutory feedback date and the reply date investigation computed (CONTRACT §7; docs/decisions.md)."""
    if not data.get("reference") or not policy.get("acknowledge_receipt", True):
        return []  # a later opening (departments assigned): acknowledged already
    statutory = data.get("statutory_feedback") or {}
    context = {
        **base,
        "reference": data["reference"],
        "received_at": data["received_at"],
        "reply_last_day": data["first_reply"]["last_day"],
        "statutory_last_day": statutory.get("last_day") or "",
        "statutory_days": statutory.get("working_days") or (10 if len(data.get("departments") or []) > 1 else 5),
    }
    return [Planned("acknowledgement", COMPLAINANT, COMPLAINANT, context)]


@planner("ComplaintNotAccepted")
def _not_accepted(
    data: dict[str, Any], base: dict[str, Any], directory: Directory, policy: dict[str, Any]
) -> list[Planned]:
    context = {
        **base,
        "reason": data["reason"],
        "route_advice": data["route_advice"],
        "decided_at": data["decided_at"],
    }
    return [Planned("not_accepted", COMPLAINANT, COMPLAINANT, context)]


def _contact_context(directory: Directory, staff_id: str) -> dict[str, str]:
    """The office contact a reply or feedback names: their name, telephone and e-mail from the directory."""
    contact = directory.staff(staff_id)
    return {
        "contact_id": staff_id,  # delivery names them in the reader's language
        "contact_person": contact.name if contact else staff_id,
        "contact_phone": (contact.phone if contact else None) or "",
        "contact_email": (contact.email if contact else None) or "",
    }


def _given_by_staff(data: dict[str, Any]) -> dict[str, str]:
    """A reply given by phone or in person: when and by whom (delivery records it; nothing is sent)."""
    if data.get("channel_preference") not in DELIVERED_BY_STAFF:
        return {}
    return {"delivered_at": data["delivered_at"], "delivered_by": data["delivered_by"]}


@planner("ReplyIssued")
def _reply(data: dict[str, Any], base: dict[str, Any], directory: Directory, policy: dict[str, Any]) -> list[Planned]:
    context = {
        **base,
        "reply_id": data["reply_id"],
        "actions_taken": data["actions_taken"],
        "result": data["result"],
        "issued_at": data["issued_at"],
        **_contact_context(directory, data["contact_person"]),
        **_given_by_staff(data),
    }
    return [Planned("reply", COMPLAINANT, COMPLAINANT, context, channel_preference=data.get("channel_preference"))]


@planner("InterimFeedbackIssued")
def _interim_feedback(
    data: dict[str, Any], base: dict[str, Any], directory: Directory, policy: dict[str, Any]
) -> list[Planned]:
    """Interim feedback (CONTRACT §7): what is being done, what comes next, by when; delivered like a reply."""
    context = {
        **base,
        "feedback_id": data["feedback_id"],
        "progress": data["progress"],
        "next_steps": data["next_steps"],
        "expected_reply_by": data.get("expected_reply_by") or "",
        "issued_at": data["issued_at"],
        **_contact_context(directory, data["contact_person"]),
        **_given_by_staff(data),
    }
    preference = data.get("channel_preference")
    return [Planned("interim_feedback", COMPLAINANT, COMPLAINANT, context, channel_preference=preference)]


@planner("DisputeRecorded")
def _dispute(data: dict[str, Any], base: dict[str, Any], directory: Directory, policy: dict[str, Any]) -> list[Planned]:
    """The dispute notice to the complainant (CONTRACT §8); a major dispute also alerts the office head and the
    leadership group at once (the authority report is due in hours, whatever the office hours)."""
    notice = Planned("dispute_notice", COMPLAINANT, COMPLAINANT, {**base, "dispute_id": data["dispute_id"]})
    if not data.get("major"):
        return [notice]
    due_at = (data.get("authority_report") or {}).get("due_at") or ""
    context = {**base, "severity": "major", "reason": MAJOR_DISPUTE, "escalated_at": data["recorded_at"]}
    context.update(major_dispute="yes", due_at=due_at)
    head = directory.office_heads.get(base["campus"])
    alerted = [head] if head else []
    return [notice, *(Planned("escalation", p.role, p.id, context) for p in [*alerted, *directory.leadership])]


@planner("InvestigationDue")
def _reminder(
    data: dict[str, Any], base: dict[str, Any], directory: Directory, policy: dict[str, Any]
) -> list[Planned]:
    deadline = data["deadline"]
    if deadline["kind"] == "first_reply":
        recipient = directory.office_heads.get(base["campus"])
    else:
        recipient = directory.liaisons.get((base["campus"], deadline.get("department") or ""))
    if recipient is None:
        return []
    context = {
        **base,
        "kind": deadline["kind"],
        "department": deadline.get("department") or "",
        "due_at": deadline["due_at"],
        "last_day": deadline["last_day"],
        "provisional": deadline["provisional"],
    }
    return [Planned("reminder", recipient.role, recipient.id, context, office_hours=held(deadline["kind"]))]


@planner("DeadlineBreached")
def _breach_alert(
    data: dict[str, Any], base: dict[str, Any], directory: Directory, policy: dict[str, Any]
) -> list[Planned]:
    head = directory.office_heads.get(base["campus"])
    if head is None:
        return []
    deadline = data["deadline"]
    context = {
        **base,
        "kind": deadline["kind"],
        "department": deadline.get("department") or "",
        "due_at": deadline["due_at"],
    }
    return [Planned("breach_alert", head.role, head.id, context, office_hours=held(deadline["kind"]))]


@planner("ComplaintEscalated")
def _escalation(
    data: dict[str, Any], base: dict[str, Any], directory: Directory, policy: dict[str, Any]
) -> list[Planned]:
    context = {**base, "severity": data["severity"], "reason": data["reason"], "escalated_at": data["escalated_at"]}
    # A breach still unmet goes within office hours; a major complaint's escalation at once (CONTRACT §7).
    hold = data["reason"] == BREACH_UNRESOLVED and data["severity"] != "major"
    return [Planned("escalation", p.role, p.id, context, office_hours=hold) for p in directory.leadership]


@planner("RectificationOrdered")
def _rectification(
    data: dict[str, Any], base: dict[str, Any], directory: Directory, policy: dict[str, Any]
) -> list[Planned]:
    liaison = directory.liaisons.get((base["campus"], data["department"]))
    if liaison is None:
        return []
    context = {
        **base,
        "department": data["department"],
        "description": data["description"],
        "due_at": data["due"]["due_at"],
        "last_day": data["due"]["last_day"],
    }
    return [Planned("rectification", liaison.role, liaison.id, context)]


# -- channels and retries -------------------------------------------------------------------------


# What reaches a complainant with no e-mail or phone as a letter the office posts.
LETTER_PURPOSES = ("reply", "not_accepted", "interim_feedback", "dispute_notice")


def complainant_channel(contact: dict[str, Any], preference: str | None, purpose: str) -> str | None:
    """The channel for a message to the complainant: their (or the office's) preference when it can
    reach them, else e-mail, then SMS; a reply or a refusal falls back to a letter the office
    hands over or posts. ``None``: nothing can or may be sent."""
    if contact.get("anonymous"):
        return None
    # SMS reaches mobiles only (a landline-only complainant gets a letter, or a call the office records); a letter
    # needs a postal address: without one the message is flagged (NO_ADDRESS), never queued as a letter to nowhere.
    reachable = {
        EMAIL: bool(contact.get("email")),
        SMS: phones.is_mobile(contact.get("phone")),
        LETTER: bool(contact.get("postal_address")),
    }
    if reachable.get(preference):
        return preference
    if reachable[EMAIL]:
        return EMAIL
    if reachable[SMS]:
        return SMS
    if purpose in LETTER_PURPOSES or preference == LETTER:
        return LETTER if reachable[LETTER] else NO_ADDRESS
    return None


def staff_channel(recipient: Recipient) -> str | None:
    """E-mail, else SMS to a mobile; None for someone with a landline only (no message can reach them)."""
    if recipient.email:
        return EMAIL
    return SMS if phones.is_mobile(recipient.phone) else None


def next_attempt(attempts: int, now: datetime, base_seconds: float, cap_seconds: float) -> datetime:
    """Exponential backoff: base, 2·base, 4·base, … capped."""
    return now + timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(attempts - 1, 0)))


def should_give_up(attempts: int, max_attempts: int) -> bool:
    return attempts >= max_attempts


# -- a notification's outcomes: what an attempt (or the office) changes ---------------------------

SYSTEM = {"id": "system", "role": "system"}  # the actor of what the deliverer decides


@dataclass(frozen=True)
class Notification:
    """One message to deliver, as stored (never contact details: intake gives those at send time)."""

    notification_id: str
    complaint_id: str
    caused_by: str
    purpose: str
    campus: str
    recipient_role: str
    recipient_id: str
    context: dict[str, Any]
    channel_preference: str | None
    attempts: int
    status: str


@dataclass(frozen=True)
class Context:
    """When, and by whom, an outcome is decided."""

    now: datetime
    actor: dict[str, str] = field(default_factory=lambda: dict(SYSTEM))


@dataclass(frozen=True)
class Event:
    """An event an outcome leads to (the store wraps it in an envelope caused by the notification's event)."""

    type: str
    data: dict[str, Any]
    time: datetime


@dataclass(frozen=True)
class Outcome:
    """A notification's new status and attempt count, what to keep of the attempt, and its events."""

    status: str
    attempts: int
    channel: str | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    events: tuple[Event, ...] = ()


def queued_as_letter(attempts: int) -> Outcome:
    """No channel reaches the complainant: the office prints the letter and marks it posted."""
    return Outcome(QUEUED, attempts, channel=LETTER)


def not_sent(attempts: int, error: str) -> Outcome:
    return Outcome(NOT_SENT, attempts, error=error)


def try_again(attempts: int, channel: str | None, error: str, retry_at: datetime) -> Outcome:
    return Outcome(PENDING, attempts, channel=channel, error=error, next_attempt_at=retry_at)


def failed(
    notification: Notification,
    attempts: int,
    channel: str | None,
    error: str,
    context: Context,
    reason: str | None = None,
) -> Outcome:
    """Given up: NotificationFailed says so (with the reply it was for, so the case can see it); ``reason``
    ``no_address``: a letter was due and there is no postal address to send it to."""
    data = {
        "complaint_id": notification.complaint_id,
        "campus": notification.campus,
        "notification_id": notification.notification_id,
        "purpose": notification.purpose,
        "channel": channel or EMAIL,
        "attempts": attempts,
        "error": error[:4000],
        "failed_at": rfc3339(context.now),
        "actor": context.actor,
    }
    if reason:
        data["reason"] = reason
    if notification.purpose in FEEDBACK_PURPOSES:
        data["reply_id"] = notification.context[FEEDBACK_PURPOSES[notification.purpose][0]]
    event = Event("NotificationFailed", data, context.now)
    return Outcome(FAILED, attempts, channel=channel, error=error, events=(event,))


def sent(notification: Notification, attempts: int, channel: str, context: Context) -> Outcome:
    """The channel accepted it (or the office posted it): a reply or a reminder says so in an event."""
    sent_event = SENT_EVENTS.get(notification.purpose)
    events = (sent_event(notification, channel, context),) if sent_event else ()
    return Outcome(SENT, attempts, channel=channel, sent_at=context.now, events=events)


def given_by_staff(notification: Notification, attempts: int) -> Outcome:
    """A reply the office gave by phone or in person: delivered when and by whom it says (CONTRACT §13), so its
    ReplySent stops the clocks like any delivery; no contact details are needed."""
    given = notification.context
    moment = datetime.fromisoformat(given["delivered_at"].replace("Z", "+00:00"))
    actor = {"id": given["delivered_by"], "role": "complaint_officer"}
    return sent(notification, attempts, str(notification.channel_preference), Context(moment, actor))


def post_letter(letter: Notification, command: PostLetter, context: Context) -> Outcome:
    """The office posted (or handed over) a queued letter: it now counts as sent, by the officer."""
    if letter.status != QUEUED:
        raise Refused(f"the letter is {letter.status}, not queued", state=letter.status)
    return sent(letter, letter.attempts, LETTER, context)


def _sent_base(notification: Notification, context: Context) -> dict[str, Any]:
    return {
        "complaint_id": notification.complaint_id,
        "campus": notification.campus,
        "notification_id": notification.notification_id,
        "sent_at": rfc3339(context.now),
        "actor": context.actor,
    }


# purpose → (the context key of the id ReplySent carries as reply_id, its reply_kind); a dispute notice is
# tracked like a reply but is no feedback: no ReplySent (CONTRACT §8).
FEEDBACK_PURPOSES: dict[str, tuple[str, str | None]] = {
    "reply": ("reply_id", None),
    "interim_feedback": ("feedback_id", "interim"),
}


def _reply_sent(notification: Notification, channel: str, context: Context) -> Event:
    key, kind = FEEDBACK_PURPOSES[notification.purpose]
    data = {**_sent_base(notification, context), "reply_id": notification.context[key], "channel": channel}
    if kind:
        data["reply_kind"] = kind
    return Event("ReplySent", data, context.now)


def _reminder_sent(notification: Notification, channel: str, context: Context) -> Event:
    data = {
        **_sent_base(notification, context),
        "kind": notification.context["kind"],
        "department": notification.context.get("department") or None,
        "recipient_role": notification.recipient_role,
        "channel": channel,
        "due_at": notification.context["due_at"],
    }
    return Event("ReminderSent", data, context.now)


# purpose → the event its sending leads to (other purposes are recorded in the table only)
SENT_EVENTS: dict[str, Callable[[Notification, str, Context], Event]] = {
    "reply": _reply_sent,
    "interim_feedback": _reply_sent,
    "reminder": _reminder_sent,
}
