"""Intake's rules, pure: registering a complaint and its lifecycle as intake sees it. No I/O here.

Statuses and what moves a complaint between them::

    received ──resolve-on-spot──▶ resolved_on_spot
    received ──not-accepted─────▶ not_accepted
    received ──withdraw─────────▶ withdrawn
    received ──reclassify───────▶ received            (same for reopened)
    received / reopened ──ComplaintClosed (investigation)──▶ closed
    any ──ComplaintReopened (investigation)──▶ reopened

Intake's own actions are allowed from ``received`` and ``reopened`` only. ``closed`` and
``reopened`` are decided by investigation (it owns ``ComplaintClosed`` and ``ComplaintReopened``);
intake follows them, whatever its state, and never refuses them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

RECEIVED = "received"
RESOLVED_ON_SPOT = "resolved_on_spot"
NOT_ACCEPTED = "not_accepted"
WITHDRAWN = "withdrawn"
CLOSED = "closed"
REOPENED = "reopened"
STATUSES = (RECEIVED, RESOLVED_ON_SPOT, NOT_ACCEPTED, WITHDRAWN, CLOSED, REOPENED)
#: statuses in which intake's own actions are allowed
OPEN = (RECEIVED, REOPENED)
#: outcomes intake itself decided; a later ComplaintClosed of the case does not overwrite them
INTAKE_OUTCOMES = (RESOLVED_ON_SPOT, NOT_ACCEPTED, WITHDRAWN)

RESOLVE_ON_SPOT = "resolve_on_spot"
NOT_ACCEPT = "not_accept"
WITHDRAW = "withdraw"
RECLASSIFY = "reclassify"
ACTIONS = (RESOLVE_ON_SPOT, NOT_ACCEPT, WITHDRAW, RECLASSIFY)

FIRST_CONTACT = "first_contact"
COMPLAINT_OFFICER = "complaint_officer"
#: how far ahead of the server's clock a stated time may be (clock skew between desks and server)
CLOCK_SKEW = timedelta(minutes=5)
CLASSIFICATION_FIELDS = ("category", "severity", "departments", "campuses")
#: compared as sets: reordering a list is not a reclassification
UNORDERED = ("departments", "campuses")


def reference(prefix: str, year: int, number: int) -> str:
    """Per campus and year, zero-padded so references sort: EAST-2026-000123."""
    return f"{prefix}-{year}-{number:06d}"


def reference_year(received_at: datetime, timezone: str) -> int:
    """The campus's local year of receipt (a complaint at 23:30 UTC on Dec 31 is already next year in Shanghai)."""
    return received_at.astimezone(ZoneInfo(timezone)).year


@dataclass(frozen=True)
class Registration:
    complaint_id: str
    reference: str
    complainant_ref: str | None
    event_data: dict[str, Any]


def register(command: dict[str, Any], complaint_id: str, ref: str, complainant_ref: str | None) -> Registration:
    """The ``ComplaintReceived`` a valid registration records (no personal data, no free text)."""
    has_contact = bool(
        not command["anonymous"]
        and command.get("complainant")
        and any(command["complainant"].get(k) for k in ("phone", "email"))
    )
    data = {
        "complaint_id": complaint_id,
        "reference": ref,
        "campus": command["campus"],
        "campuses": [command["campus"]],
        "channel": command["channel"],
        "category": command["category"],
        "severity": command["severity"],
        "source": command["source"],
        "departments": list(command["departments"]),
        "received_at": command["received_at"],
        "anonymous": command["anonymous"],
        "has_contact": has_contact,
    }
    # registered_at: when it became known (a letter is registered after it arrived); reporting's
    # "as of" answers depend on it.
    for key in ("received_by", "receiving_department", "registered_at"):
        if command.get(key):
            data[key] = command[key]
    if complainant_ref:
        data["complainant_ref"] = complainant_ref
    if command.get("received_by"):
        data["actor"] = {"id": command["received_by"], "role": FIRST_CONTACT}
    return Registration(complaint_id, ref, complainant_ref, data)


# --------------------------------------------------------------------------------------------
# The lifecycle
# --------------------------------------------------------------------------------------------


class NotAllowed(Exception):
    """The action is not allowed in the complaint's current status (HTTP 409 naming it)."""

    def __init__(self, action: str, status: str):
        super().__init__(f"cannot {action.replace('_', ' ')} a complaint that is {status.replace('_', ' ')}")
        self.action, self.status = action, status


class Invalid(Exception):
    """The command does not fit this complaint (HTTP 400); ``errors`` names each bad field."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Complaint:
    """What the rules need to know of a complaint."""

    complaint_id: str
    campus: str
    status: str
    received_at: datetime
    category: str
    severity: str
    departments: tuple[str, ...] = ()
    campuses: tuple[str, ...] = ()

    def classification(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "severity": self.severity,
            "departments": list(self.departments),
            "campuses": list(self.campuses or (self.campus,)),
        }


@dataclass(frozen=True)
class Decision:
    """What an allowed action records: the new status, the event, and who acted."""

    action: str
    status_before: str
    status: str
    event_type: str
    event_data: dict[str, Any]
    at: datetime
    actor: dict[str, str]
    details: dict[str, Any] = field(default_factory=dict)
    classification: dict[str, Any] | None = None  # the new classification (reclassify)


def allowed(action: str, status: str) -> bool:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return status in OPEN


def ensure_allowed(action: str, status: str) -> None:
    if not allowed(action, status):
        raise NotAllowed(action, status)


def _actor(staff_id: str, role: str) -> dict[str, str]:
    return {"id": staff_id, "role": role}


def resolve_on_spot(
    complaint: Complaint, *, resolution: str, resolved_by: str, now: datetime, resolved_at: datetime | None = None
) -> Decision:
    """First-contact staff resolve and close the complaint, now or at a stated earlier moment."""
    ensure_allowed(RESOLVE_ON_SPOT, complaint.status)
    at = resolved_at or now
    if at < complaint.received_at:
        raise Invalid({"resolved_at": ["lies before the complaint was received"]})
    if at > now + CLOCK_SKEW:
        raise Invalid({"resolved_at": ["lies in the future"]})
    actor = _actor(resolved_by, FIRST_CONTACT)
    data = {
        "complaint_id": complaint.complaint_id,
        "campus": complaint.campus,
        "resolved_at": at,
        "resolved_by": resolved_by,
        "resolution": resolution,
        "actor": actor,
    }
    return Decision(
        RESOLVE_ON_SPOT,
        complaint.status,
        RESOLVED_ON_SPOT,
        "ComplaintResolvedOnSpot",
        data,
        at,
        actor,
        {"resolution": resolution},
    )


def not_accept(
    complaint: Complaint,
    *,
    reason: str,
    route_advice: str,
    decided_by: str,
    now: datetime,
    duplicate_of: str | None = None,
    duplicate_exists: bool = False,
) -> Decision:
    """Record the complaint as not accepted, with the route the complainant was told applies.

    ``duplicate_exists`` says whether ``duplicate_of`` names a complaint that exists (the caller looked).
    """
    ensure_allowed(NOT_ACCEPT, complaint.status)
    if reason == "duplicate":
        if not duplicate_of:
            raise Invalid({"duplicate_of": ["required when the reason is duplicate"]})
        if str(duplicate_of) == str(complaint.complaint_id):
            raise Invalid({"duplicate_of": ["a complaint cannot duplicate itself"]})
        if not duplicate_exists:
            raise Invalid({"duplicate_of": [f"no complaint {duplicate_of}"]})
    elif duplicate_of:
        raise Invalid({"duplicate_of": ["only for the reason duplicate"]})
    actor = _actor(decided_by, COMPLAINT_OFFICER)
    data: dict[str, Any] = {
        "complaint_id": complaint.complaint_id,
        "campus": complaint.campus,
        "reason": reason,
        "route_advice": route_advice,
        "decided_at": now,
        "actor": actor,
    }
    details: dict[str, Any] = {"reason": reason, "route_advice": route_advice}
    if duplicate_of:
        data["duplicate_of"] = str(duplicate_of)
        details["duplicate_of"] = str(duplicate_of)
    return Decision(NOT_ACCEPT, complaint.status, NOT_ACCEPTED, "ComplaintNotAccepted", data, now, actor, details)


def withdraw(complaint: Complaint, *, withdrawn_by: str, now: datetime, reason: str | None = None) -> Decision:
    """The complainant withdrew; ``withdrawn_by`` is the staff member who recorded it."""
    ensure_allowed(WITHDRAW, complaint.status)
    actor = _actor(withdrawn_by, COMPLAINT_OFFICER)
    data: dict[str, Any] = {
        "complaint_id": complaint.complaint_id,
        "campus": complaint.campus,
        "withdrawn_at": now,
        "actor": actor,
    }
    if reason:
        data["reason"] = reason
    return Decision(
        WITHDRAW,
        complaint.status,
        WITHDRAWN,
        "ComplaintWithdrawn",
        data,
        now,
        actor,
        {"reason": reason} if reason else {},
    )


def _same(name: str, a: Any, b: Any) -> bool:
    if name in UNORDERED:
        return set(a) == set(b)
    return a == b


def classification_diff(previous: Mapping[str, Any], requested: Mapping[str, Any]) -> dict[str, Any]:
    """The classification fields of ``requested`` that differ from ``previous`` (lists compared as sets)."""
    return {
        name: list(value) if name in UNORDERED else value
        for name, value in requested.items()
        if name in CLASSIFICATION_FIELDS and value is not None and not _same(name, previous[name], value)
    }


def reclassify(
    complaint: Complaint,
    changes: Mapping[str, Any],
    *,
    reclassified_by: str,
    now: datetime,
    departments_on: Mapping[str, Iterable[str]] | None = None,
    note: str | None = None,
) -> Decision:
    """Change category, severity, departments or campuses; at least one must actually change.

    ``departments_on`` gives each campus's department codes (the hospital configuration): the resulting
    departments must each exist on at least one of the resulting campuses; ``None`` skips that check.
    """
    ensure_allowed(RECLASSIFY, complaint.status)
    requested = {k: v for k, v in changes.items() if k in CLASSIFICATION_FIELDS and v is not None}
    if not requested:
        raise Invalid({"_schema": [f"give at least one of {', '.join(CLASSIFICATION_FIELDS)}"]})
    previous = complaint.classification()
    errors: dict[str, list[str]] = {}
    if "campuses" in requested and complaint.campus not in requested["campuses"]:
        errors["campuses"] = [f"must include the complaint's own campus {complaint.campus!r}"]
    diff = classification_diff(previous, requested)
    if not errors and not diff:
        errors = {name: ["unchanged"] for name in requested}
    current = {**previous, **diff}
    if departments_on is not None and "campuses" not in errors:
        known = {d for campus in current["campuses"] for d in departments_on.get(campus, ())}
        unknown = [d for d in current["departments"] if d not in known]
        if unknown:
            errors.setdefault("departments" if "departments" in requested else "campuses", []).append(
                f"unknown department(s) on the complaint's campuses: {', '.join(unknown)}"
            )
    if errors:
        raise Invalid(errors)
    actor = _actor(reclassified_by, COMPLAINT_OFFICER)
    data: dict[str, Any] = {
        "complaint_id": complaint.complaint_id,
        "campus": complaint.campus,
        "previous": previous,
        "current": current,
        "reclassified_at": now,
        "actor": actor,
        "reclassified_by": reclassified_by,
    }
    details: dict[str, Any] = {"changed": sorted(diff)}
    if note:
        data["note"] = note
        details["note"] = note
    return Decision(
        RECLASSIFY,
        complaint.status,
        complaint.status,
        "ComplaintReclassified",
        data,
        now,
        actor,
        details,
        classification=current,
    )


# --------------------------------------------------------------------------------------------
# Following investigation (it owns closing and reopening)
# --------------------------------------------------------------------------------------------


def follow_closed(status: str) -> str:
    """Intake's status once the case is closed: ``closed``, unless intake itself ended the complaint
    (resolved on the spot, not accepted, withdrawn): that outcome is the more specific one and stays."""
    if status in INTAKE_OUTCOMES:
        return status
    return CLOSED


def follow_reopened(status: str) -> str:
    """Investigation reopened the complaint (new facts or evidence, a dissatisfied complainant): ``reopened``
    from any status, including ``reopened`` itself (a repeated event changes nothing)."""
    return REOPENED


def is_stale(followed_version: int, event_streamversion: int) -> bool:
    """Whether an investigation event is older than the last one intake followed for this complaint
    (a redelivery, or a parked event replayed after later ones): it must not move the status back."""
    return event_streamversion <= followed_version
