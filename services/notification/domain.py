"""Notification's rules, pure: who is told what about which event, over which channel, and when a
failed delivery is tried again. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

COMPLAINANT = "complainant"
EMAIL, SMS, LETTER = "email", "sms", "letter"

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


@dataclass(frozen=True)
class Planned:
    """One message an event asks for: to whom, for what, with which (non-personal) template data."""

    purpose: str
    recipient_role: str
    recipient_id: str  # staff id, or "complainant"
    context: dict[str, Any] = field(default_factory=dict)
    channel_preference: str | None = None


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
        return Recipient(id=raw["id"], role=role, name=raw.get("name") or raw["id"], email=email, phone=phone)

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


# -- what each event asks for -------------------------------------------------------------------


def plan(event_type: str, data: dict[str, Any], directory: Directory, policy: dict[str, Any]) -> list[Planned]:
    """The messages an event asks for (empty for events nobody needs telling about)."""
    campus = data.get("campus") or ""
    base = {
        "complaint_id": data["complaint_id"],
        "campus": campus,
        "campus_name": directory.campus_names.get(campus, campus),
    }
    if event_type == "ComplaintReceived":
        if not policy.get("acknowledge_receipt", True):
            return []
        return [
            Planned(
                "acknowledgement",
                COMPLAINANT,
                COMPLAINANT,
                {**base, "reference": data["reference"], "received_at": data["received_at"]},
            )
        ]
    if event_type == "ComplaintNotAccepted":
        return [
            Planned(
                "not_accepted",
                COMPLAINANT,
                COMPLAINANT,
                {
                    **base,
                    "reason": data["reason"],
                    "route_advice": data["route_advice"],
                    "decided_at": data["decided_at"],
                },
            )
        ]
    if event_type == "ReplyIssued":
        contact = directory.staff(data["contact_person"])
        return [
            Planned(
                "reply",
                COMPLAINANT,
                COMPLAINANT,
                {
                    **base,
                    "reply_id": data["reply_id"],
                    "actions_taken": data["actions_taken"],
                    "result": data["result"],
                    "issued_at": data["issued_at"],
                    "contact_person": contact.name if contact else data["contact_person"],
                    "contact_phone": (contact.phone if contact else None) or "",
                    "contact_email": (contact.email if contact else None) or "",
                },
                channel_preference=data.get("channel_preference"),
            )
        ]
    if event_type == "InvestigationDue":
        deadline = data["deadline"]
        if deadline["kind"] == "first_reply":
            recipient = directory.office_heads.get(campus)
        else:
            recipient = directory.liaisons.get((campus, deadline.get("department") or ""))
        if recipient is None:
            return []
        return [
            Planned(
                "reminder",
                recipient.role,
                recipient.id,
                {
                    **base,
                    "kind": deadline["kind"],
                    "department": deadline.get("department") or "",
                    "due_at": deadline["due_at"],
                    "last_day": deadline["last_day"],
                    "provisional": deadline["provisional"],
                },
            )
        ]
    if event_type == "DeadlineBreached":
        head = directory.office_heads.get(campus)
        deadline = data["deadline"]
        return (
            [
                Planned(
                    "breach_alert",
                    head.role,
                    head.id,
                    {
                        **base,
                        "kind": deadline["kind"],
                        "department": deadline.get("department") or "",
                        "due_at": deadline["due_at"],
                    },
                )
            ]
            if head
            else []
        )
    if event_type == "ComplaintEscalated":
        return [
            Planned(
                "escalation",
                leader.role,
                leader.id,
                {**base, "severity": data["severity"], "reason": data["reason"], "escalated_at": data["escalated_at"]},
            )
            for leader in directory.leadership
        ]
    if event_type == "RectificationOrdered":
        liaison = directory.liaisons.get((campus, data["department"]))
        return (
            [
                Planned(
                    "rectification",
                    liaison.role,
                    liaison.id,
                    {
                        **base,
                        "department": data["department"],
                        "description": data["description"],
                        "due_at": data["due"]["due_at"],
                        "last_day": data["due"]["last_day"],
                    },
                )
            ]
            if liaison
            else []
        )
    return []


# -- channels and retries -------------------------------------------------------------------------


def complainant_channel(contact: dict[str, Any], preference: str | None, purpose: str) -> str | None:
    """The channel for a message to the complainant: their (or the office's) preference when it can
    reach them, else e-mail, then SMS; a reply or a refusal falls back to a letter the office
    hands over or posts. ``None``: nothing can or may be sent."""
    if contact.get("anonymous"):
        return None
    reachable = {EMAIL: bool(contact.get("email")), SMS: bool(contact.get("phone")), LETTER: True}
    if reachable.get(preference):
        return preference
    if reachable[EMAIL]:
        return EMAIL
    if reachable[SMS]:
        return SMS
    return LETTER if purpose in ("reply", "not_accepted") else None


def staff_channel(recipient: Recipient) -> str:
    return EMAIL if recipient.email else SMS


def next_attempt(attempts: int, now: datetime, base_seconds: float, cap_seconds: float) -> datetime:
    """Exponential backoff: base, 2·base, 4·base, … capped."""
    return now + timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(attempts - 1, 0)))


def should_give_up(attempts: int, max_attempts: int) -> bool:
    return attempts >= max_attempts
