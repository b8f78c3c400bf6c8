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
intake follows them, whatever its state, and never refuses them. An erasure of the personal data
(the vault's key destroyed) is allowed in any status, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shared import phones
from shared.auth import Forbidden
from shared.errors import InvalidField, Refused

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
#: allowed in any status (once): not one of the lifecycle's actions
ERASURE = "erasure"
ATTACH = "attach"  # evidence added to the complaint's file, in any status (an archive takes papers late)
ADOPT = "adopt"
#: the complainant's contact details corrected (issue 18 item 9): in any status, while there is personal data
CORRECT_CONTACT = "correct_contact"
CORRECTABLE = ("phone", "email", "postal_address", "preferred_channel")
#: how the complainant prefers to be told (a call is the office's, by phone)
PREFERRED_CHANNELS = ("email", "sms", "letter", "phone")
COMPLAINT, SUGGESTION = "complaint", "suggestion"
AUTHORITY_REFERRAL = "authority_referral"  # the source whose complaints carry a referral (CONTRACT §10)
MAX_REPRESENTATIVES = 5  # a group complaint sends at most five representatives (办法 ≈ art. 21)
# What holds an erasure back (CONTRACT §8): the key names the id in a 409's ``held_by``.
HOLD_KINDS = {"dispute": "dispute_id", "seal": "seal_id"}

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


# --------------------------------------------------------------------------------------------
# Commands (loaded by schemas.py) and what a decision knows besides the complaint
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Register:
    """``POST /complaints``: a complaint as received (personal data included; the event carries none of it)."""

    campus: str
    channel: str
    category: str
    severity: str
    source: str
    summary: str
    departments: list[str] = field(default_factory=list)
    received_at: datetime | None = None  # None: now
    received_by: str | None = None
    receiving_department: str | None = None
    complainant: dict[str, str] | None = None
    patient: dict[str, str] | None = None
    anonymous: bool = False
    desired_outcome: str | None = None
    representatives: int | None = None  # a group complaint's representatives, 1 to 5
    kind: str = COMPLAINT  # complaint, suggestion or compliment (CONTRACT §10)
    referral: dict[str, Any] | None = None  # source authority_referral: referrer, reference, reply_due (a date)


@dataclass(frozen=True)
class Adopt:
    """``POST /complaints/<id>/adopt``: a suggestion was adopted."""

    adopted_by: str | None = None  # None: the caller
    note: str | None = None


@dataclass(frozen=True)
class ResolveOnSpot:
    resolution: str
    resolved_by: str | None = None  # None: the caller
    resolved_at: datetime | None = None  # None: now


@dataclass(frozen=True)
class NotAccept:
    reason: str
    route_advice: str
    decided_by: str | None = None  # None: the caller
    duplicate_of: Any = None  # the original's id (a UUID), only for the reason duplicate


@dataclass(frozen=True)
class Withdraw:
    withdrawn_by: str | None = None  # None: the caller
    reason: str | None = None


@dataclass(frozen=True)
class Reclassify:
    """Any of the classification fields (None: unchanged)."""

    category: str | None = None
    severity: str | None = None
    departments: list[str] | None = None
    campuses: list[str] | None = None
    note: str | None = None
    reclassified_by: str | None = None  # None: the caller


@dataclass(frozen=True)
class Erase:
    reason: str


@dataclass(frozen=True)
class CorrectContact:
    """``POST /complaints/<id>/contact``: the fields given replace the complainant's, those in ``clear`` are
    removed; the rest stay (None: unchanged). The phone arrives normalised (shared/phones.py)."""

    phone: str | None = None
    email: str | None = None
    postal_address: str | None = None
    preferred_channel: str | None = None
    clear: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AddAttachment:
    """A file already streamed in and sealed: what its ``AttachmentAdded`` publishes (never its name)."""

    attachment_id: str
    media_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Context:
    """What a decision knows besides the complaint and the command: the time, who calls, the hospital's
    departments per campus (``None`` skips that check), and which complaints the command names exist."""

    now: datetime
    actor: dict[str, str]
    departments_on: Mapping[str, Iterable[str]] | None = None
    existing: frozenset[str] = frozenset()

    def staff(self, named: str | None) -> str:
        """The staff member the command names as having acted on the ground, else the caller."""
        return named or self.actor["id"]


@dataclass(frozen=True)
class Identity:
    """What a new complaint is given before its registration is decided: its id, its reference and the
    reference of its complainant's sealed details (None without any)."""

    complaint_id: str
    reference: str
    complainant_ref: str | None


@dataclass(frozen=True)
class Registration:
    complaint_id: str
    reference: str
    complainant_ref: str | None
    event_data: dict[str, Any]
    warnings: list[dict[str, Any]] = field(default_factory=list)


CONTACT_FIELDS = ("phone", "email", "postal_address")  # how someone can be told (a landline can be called)
NO_USABLE_CONTACT = "no_usable_contact"


def contact_warnings(command: Register) -> list[dict[str, Any]]:
    """A named complainant nothing can be sent to (no e-mail, no mobile, no postal address) is registered, with a
    warning: the office will have to reply by phone or in person (CONTRACT §13)."""
    if command.anonymous:
        return []
    person = command.complainant or {}
    if person.get("email") or phones.is_mobile(person.get("phone")) or person.get("postal_address"):
        return []
    landline = " (a landline can be called: reply by phone)" if person.get("phone") else ""
    message = "no e-mail, mobile number or postal address: no message or letter can reach the complainant" + landline
    fields = ["complainant.email", "complainant.phone", "complainant.postal_address"]
    return [{"code": NO_USABLE_CONTACT, "fields": fields, "message": message}]


def register(new: Identity, command: Register, context: Context) -> Registration:
    """The ``ComplaintReceived`` a valid registration records (no personal data, no free text); received now
    unless the command states when."""
    received_at = command.received_at or context.now
    person = command.complainant or {}
    has_contact = bool(not command.anonymous and person and any(person.get(k) for k in CONTACT_FIELDS))
    data = {
        "complaint_id": new.complaint_id,
        "reference": new.reference,
        "campus": command.campus,
        "campuses": [command.campus],
        "channel": command.channel,
        "category": command.category,
        "severity": command.severity,
        "source": command.source,
        "departments": list(command.departments),
        "received_at": received_at.isoformat(),
        "anonymous": command.anonymous,
        "has_contact": has_contact,
    }
    # registered_at: when it became known (a letter is registered after it arrived); reporting's
    # "as of" answers depend on it.
    optional = {
        "received_by": command.received_by,
        "receiving_department": command.receiving_department,
        "registered_at": context.now.isoformat(),
        "representatives": command.representatives,
        "referral": _referral_data(command.referral),
    }
    data.update({key: value for key, value in optional.items() if value})
    if command.kind != COMPLAINT:
        data["kind"] = command.kind  # absent means complaint: complaints' events stay as they were
    if new.complainant_ref:
        data["complainant_ref"] = new.complainant_ref
    if command.received_by:
        data["actor"] = {"id": command.received_by, "role": FIRST_CONTACT}
    return Registration(new.complaint_id, new.reference, new.complainant_ref, data, contact_warnings(command))


def _referral_data(referral: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not referral:
        return None
    return {**referral, "reply_due": referral["reply_due"].isoformat()}


# --------------------------------------------------------------------------------------------
# The lifecycle
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hold:
    """An unsettled dispute or a seal in place on the complaint (from investigation's events)."""

    kind: str  # a key of HOLD_KINDS
    hold_id: str


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
    personal_data_erased: bool = False
    holds: tuple[Hold, ...] = ()  # unsettled disputes and seals in place, as intake has seen them
    kind: str = COMPLAINT
    adopted: bool = False  # a suggestion already adopted
    anonymous: bool = False

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
    erasure_reason: str | None = None  # the complaint's key is to be destroyed, for this reason (erase)
    adopted: bool = False  # the suggestion is marked adopted (adopt)
    contact: dict[str, str | None] | None = None  # the complainant's contact details to seal (correct_contact)


def allowed(action: str, status: str) -> bool:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return status in OPEN


def offered(
    status: str,
    personal_data_erased: bool,
    held: bool,
    role: str,
    roles: Mapping[str, Iterable[str]],
    anonymous: bool = False,
    registered_by_caller: bool = False,
) -> list[str]:
    """The actions a caller of ``role`` can take on a complaint now (``GET /complaints/<id>``'s
    ``allowed_actions``): the lifecycle's by the status, erasure while there is personal data and nothing holds
    it, correcting the contact details of a named complainant (first-contact staff: of those they registered).
    ``roles``: who may take each (the endpoints' own access groups)."""
    names = [a for a in ACTIONS if allowed(a, status) and role in roles.get(a, ())]
    if not personal_data_erased and not held and role in roles.get(ERASURE, ()):
        names.append(ERASURE)
    own = role != FIRST_CONTACT or registered_by_caller
    if not personal_data_erased and not anonymous and own and role in roles.get(CORRECT_CONTACT, ()):
        names.append(CORRECT_CONTACT)
    return names


def ensure_allowed(action: str, status: str) -> None:
    if not allowed(action, status):
        message = f"cannot {action.replace('_', ' ')} a complaint that is {status.replace('_', ' ')}"
        raise Refused(message, state=status)


def _actor(staff_id: str, role: str) -> dict[str, str]:
    return {"id": staff_id, "role": role}


def resolve_on_spot(complaint: Complaint, command: ResolveOnSpot, context: Context) -> Decision:
    """First-contact staff resolve and close the complaint, now or at a stated earlier moment."""
    ensure_allowed(RESOLVE_ON_SPOT, complaint.status)
    at = command.resolved_at or context.now
    if at < complaint.received_at:
        raise InvalidField("resolved_at", "lies before the complaint was received")
    if at > context.now + CLOCK_SKEW:
        raise InvalidField("resolved_at", "lies in the future")
    resolved_by = context.staff(command.resolved_by)
    actor = _actor(resolved_by, FIRST_CONTACT)
    data = {
        "complaint_id": complaint.complaint_id,
        "campus": complaint.campus,
        "resolved_at": at,
        "resolved_by": resolved_by,
        "resolution": command.resolution,
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
        {"resolution": command.resolution},
    )


def _check_duplicate(complaint: Complaint, command: NotAccept, context: Context) -> str | None:
    """The original a duplicate names (it must exist and be another complaint); None for other reasons."""
    duplicate_of = str(command.duplicate_of) if command.duplicate_of else None
    if command.reason == "duplicate":
        if not duplicate_of:
            raise InvalidField("duplicate_of", "required when the reason is duplicate")
        if duplicate_of == str(complaint.complaint_id):
            raise InvalidField("duplicate_of", "a complaint cannot duplicate itself")
        if duplicate_of not in context.existing:
            raise InvalidField("duplicate_of", f"no complaint {duplicate_of}")
    elif duplicate_of:
        raise InvalidField("duplicate_of", "only for the reason duplicate")
    return duplicate_of


def not_accept(complaint: Complaint, command: NotAccept, context: Context) -> Decision:
    """Record the complaint as not accepted, with the route the complainant was told applies.
    A duplicate's original must be among ``context.existing`` (the caller looked it up)."""
    ensure_allowed(NOT_ACCEPT, complaint.status)
    duplicate_of = _check_duplicate(complaint, command, context)
    actor = _actor(context.staff(command.decided_by), COMPLAINT_OFFICER)
    data: dict[str, Any] = {
        "complaint_id": complaint.complaint_id,
        "campus": complaint.campus,
        "reason": command.reason,
        "route_advice": command.route_advice,
        "decided_at": context.now,
        "actor": actor,
    }
    details: dict[str, Any] = {"reason": command.reason, "route_advice": command.route_advice}
    if duplicate_of:
        data["duplicate_of"] = duplicate_of
        details["duplicate_of"] = duplicate_of
    return Decision(
        NOT_ACCEPT, complaint.status, NOT_ACCEPTED, "ComplaintNotAccepted", data, context.now, actor, details
    )


def withdraw(complaint: Complaint, command: Withdraw, context: Context) -> Decision:
    """The complainant withdrew; ``withdrawn_by`` is the staff member who recorded it."""
    ensure_allowed(WITHDRAW, complaint.status)
    actor = _actor(context.staff(command.withdrawn_by), COMPLAINT_OFFICER)
    data: dict[str, Any] = {
        "complaint_id": complaint.complaint_id,
        "campus": complaint.campus,
        "withdrawn_at": context.now,
        "actor": actor,
    }
    if command.reason:
        data["reason"] = command.reason
    return Decision(
        WITHDRAW,
        complaint.status,
        WITHDRAWN,
        "ComplaintWithdrawn",
        data,
        context.now,
        actor,
        {"reason": command.reason} if command.reason else {},
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


def _reclassification(complaint: Complaint, requested: Mapping[str, Any], context: Context) -> dict[str, Any]:
    """The classification ``requested`` leads to; refused unless something changes and it fits the hospital.

    ``context.departments_on`` gives each campus's department codes: the resulting departments must each exist
    on at least one of the resulting campuses; ``None`` skips that check.
    """
    previous = complaint.classification()
    errors: dict[str, list[str]] = {}
    if "campuses" in requested and complaint.campus not in requested["campuses"]:
        errors["campuses"] = [f"must include the complaint's own campus {complaint.campus!r}"]
    diff = classification_diff(previous, requested)
    if not errors and not diff:
        errors = {name: ["unchanged"] for name in requested}
    current = {**previous, **diff}
    if context.departments_on is not None and "campuses" not in errors:
        known = {d for campus in current["campuses"] for d in context.departments_on.get(campus, ())}
        unknown = [d for d in current["departments"] if d not in known]
        if unknown:
            errors.setdefault("departments" if "departments" in requested else "campuses", []).append(
                f"unknown department(s) on the complaint's campuses: {', '.join(unknown)}"
            )
    if errors:
        raise InvalidField.of(errors)
    return current


def reclassify(complaint: Complaint, command: Reclassify, context: Context) -> Decision:
    """Change category, severity, departments or campuses; at least one must actually change."""
    ensure_allowed(RECLASSIFY, complaint.status)
    requested = {name: getattr(command, name) for name in CLASSIFICATION_FIELDS if getattr(command, name) is not None}
    if not requested:
        raise InvalidField("_schema", f"give at least one of {', '.join(CLASSIFICATION_FIELDS)}")
    previous = complaint.classification()
    current = _reclassification(complaint, requested, context)
    reclassified_by = context.staff(command.reclassified_by)
    actor = _actor(reclassified_by, COMPLAINT_OFFICER)
    data: dict[str, Any] = {
        "complaint_id": complaint.complaint_id,
        "campus": complaint.campus,
        "previous": previous,
        "current": current,
        "reclassified_at": context.now,
        "actor": actor,
        "reclassified_by": reclassified_by,
    }
    details: dict[str, Any] = {"changed": sorted(classification_diff(previous, requested))}
    if command.note:
        data["note"] = command.note
        details["note"] = command.note
    return Decision(
        RECLASSIFY,
        complaint.status,
        complaint.status,
        "ComplaintReclassified",
        data,
        context.now,
        actor,
        details,
        classification=current,
    )


def erase(complaint: Complaint, command: Erase, context: Context) -> Decision:
    """A lawful erasure request, in any status: the complaint's key is to be destroyed, so its personal data
    can never be read again; the complaint, its events and every statistic stay. Once only."""
    if complaint.personal_data_erased:
        raise Refused("the personal data was already erased", state="erased")
    ensure_not_held(complaint)
    data = {
        "complaint_id": complaint.complaint_id,
        "campus": complaint.campus,
        "erased_at": context.now,
        "reason": command.reason,
    }
    return Decision(
        ERASURE,
        complaint.status,
        complaint.status,
        "PersonalDataErased",
        data,
        context.now,
        context.actor,
        {"reason": command.reason},
        erasure_reason=command.reason,
    )


def add_attachment(complaint: Complaint, command: AddAttachment, context: Context) -> Decision:
    """Evidence for the complaint's file (办法 ≈ art. 20, 30), in any status; not once its personal data is
    erased (the key that would seal the file is gone)."""
    if complaint.personal_data_erased:
        raise Refused("the personal data was erased: no attachment can be sealed for it", state="erased")
    data = {
        "complaint_id": complaint.complaint_id,
        "campus": complaint.campus,
        "attachment_id": command.attachment_id,
        "media_type": command.media_type,
        "size": command.size,
        "sha256": command.sha256,
        "added_at": context.now,
    }
    details = {"attachment_id": command.attachment_id, "media_type": command.media_type, "size": command.size}
    return Decision(
        ATTACH, complaint.status, complaint.status, "AttachmentAdded", data, context.now, context.actor, details
    )


def adopt(complaint: Complaint, command: Adopt, context: Context) -> Decision:
    """A suggestion was adopted, in any status, once: a second adoption is refused (409), so reporting
    counts each suggestion adopted once; complaints and compliments are never adopted (409)."""
    if complaint.kind != SUGGESTION:
        raise Refused(f"only a suggestion can be adopted; this is a {complaint.kind}", state=complaint.kind)
    if complaint.adopted:
        raise Refused("the suggestion was already adopted", state="adopted")
    actor = _actor(context.staff(command.adopted_by), COMPLAINT_OFFICER)
    data: dict[str, Any] = {
        "complaint_id": complaint.complaint_id,
        "campus": complaint.campus,
        "adopted_at": context.now,
        "adopted_by": actor["id"],
    }
    if command.note:
        data["note"] = command.note
    details = {"note": command.note} if command.note else {}
    return Decision(
        ADOPT, complaint.status, complaint.status, "SuggestionAdopted", data, context.now, actor, details, adopted=True
    )


def _reaches(channel: str, contact: Mapping[str, str | None]) -> bool:
    """Whether the preferred channel can reach the complainant with these details (SMS: a mobile only)."""
    if channel == "sms":
        return phones.is_mobile(contact.get("phone"))
    return bool(contact.get({"email": "email", "letter": "postal_address", "phone": "phone"}[channel]))


def correct_contact(
    complaint: Complaint,
    command: CorrectContact,
    context: Context,
    current: Mapping[str, str | None],
    registered_by: str | None,
) -> Decision:
    """The complainant's contact details corrected (a new number, an address for the letter), in any status,
    while there is personal data; not for an anonymous complaint (there is no one to reach). First-contact
    staff correct only complaints they registered (``registered_by``). ``current``: the details as they are
    (opened from the vault). The event names which fields changed, never their values."""
    if complaint.personal_data_erased:
        raise Refused("the personal data was erased: there are no contact details to correct", state="erased")
    if complaint.anonymous:
        raise Refused("an anonymous complaint has no contact details to correct", state="anonymous")
    if context.actor.get("role") == FIRST_CONTACT and registered_by != context.actor.get("id"):
        raise Forbidden("first-contact staff correct the contact details only of complaints they registered")
    given = {name: getattr(command, name) for name in CORRECTABLE if getattr(command, name) is not None}
    corrected = {name: current.get(name) for name in CORRECTABLE}
    corrected.update(given)
    corrected.update(dict.fromkeys(command.clear))
    changed = [name for name in CORRECTABLE if corrected[name] != current.get(name)]
    if not changed:
        raise InvalidField.of({name: ["unchanged"] for name in [*given, *command.clear]})
    preferred = corrected["preferred_channel"]
    if preferred and not _reaches(preferred, corrected):
        needs = {"sms": "a mobile number", "email": "an e-mail address", "letter": "a postal address"}
        raise InvalidField("preferred_channel", f"{preferred} needs {needs.get(preferred, 'a phone number')}")
    actor = _actor(context.actor["id"], context.actor.get("role", COMPLAINT_OFFICER))
    data = {
        "complaint_id": complaint.complaint_id,
        "campus": complaint.campus,
        "changed": changed,
        "has_contact": any(corrected.get(k) for k in CONTACT_FIELDS),
        "corrected_at": context.now,
    }
    return Decision(
        CORRECT_CONTACT,
        complaint.status,
        complaint.status,
        "ContactDetailsCorrected",
        data,
        context.now,
        actor,
        {"changed": changed},
        contact=corrected,
    )


def ensure_not_held(complaint: Complaint) -> None:
    """While a dispute is unsettled or records are sealed, the personal data stays (医疗纠纷预防和处理条例:
    the evidence must survive the dispute): refused, naming the first hold (disputes before seals)."""
    if not complaint.holds:
        return
    hold = min(complaint.holds, key=lambda h: (list(HOLD_KINDS).index(h.kind), h.hold_id))
    why = "a medical dispute on the complaint is not settled" if hold.kind == "dispute" else "records are sealed"
    raise Refused(
        f"cannot erase the personal data: {why} ({HOLD_KINDS[hold.kind]} {hold.hold_id})",
        state="dispute_unsettled" if hold.kind == "dispute" else "records_sealed",
        held_by={HOLD_KINDS[hold.kind]: hold.hold_id},
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
