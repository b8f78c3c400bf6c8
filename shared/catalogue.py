"""The event catalogue: every event type of CONTRACT §3, its owner and its versioned schema.

Each event type maps to one marshmallow schema per version. ``data`` of an event is a JSON
object; :func:`validate_data` loads it through the schema (so every rule below is checked)
and dumps it back, so what is stored and published is always the normalised JSON form:

* datetimes are RFC 3339 with an offset (``Z`` or ``+08:00``) on input and UTC ``Z`` on output;
* dates are ``YYYY-MM-DD``; ids are canonical lower-case UUID strings;
* money is a decimal string with two places (``"1200.00"``).

Conventions shared by every type (kept here once, as base schemas and field factories):

* ``complaint_id`` (UUID, required) and ``actor`` (optional ``{"id", "role"}``) on every event;
* no personal data ever: the complainant appears only as the opaque ``complainant_ref``;
  intake events carry no free text that could hold personal data; notes and reasons on
  office actions are bounded strings (:data:`TEXT_MAX` characters);
* optional fields may be absent or ``null``; the contract grows only by adding optional
  fields, so receivers validate with ``strict=False`` (unknown fields dropped) and producers
  with ``strict=True`` (unknown fields rejected).

:func:`json_schema` converts a schema to JSON Schema (draft 2020-12) for subscribers by
walking its fields (published open: unknown fields validate; :func:`strict_json_schema` is the
closed form the producer's tests use); a field or validator it cannot translate faithfully makes it raise rather
than publish a looser schema. Cross-field rules JSON Schema cannot express (``campus`` must
be one of ``campuses``) are stated in the field's ``description``.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, ClassVar

import fastjsonschema
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema
from marshmallow.utils import missing

# --------------------------------------------------------------------------------------------
# Enumerations (CONTRACT §2)
# --------------------------------------------------------------------------------------------

INTAKE = "intake"
INVESTIGATION = "investigation"
NOTIFICATION = "notification"
SERVICES = (INTAKE, INVESTIGATION, NOTIFICATION)

CHANNELS = ("phone", "email", "in_person", "letter", "complaint_box", "online", "hotline")
CATEGORIES = ("medical_quality", "service_quality", "care_process", "billing", "other")
SEVERITIES = ("normal", "major")
SOURCES = ("patient_or_family", "staff_internal", "supervision", "satisfaction_survey")
NOT_ACCEPTED_REASONS = (
    "litigation",
    "mediation",
    "handled_elsewhere",
    "no_specific_facts",
    "criminal_case",
    "out_of_scope",
    "duplicate",
)
DISPUTE_ROUTES = ("mediation", "litigation", "negotiation")
SUBSTANTIATED = ("yes", "partly", "no")
DEADLINE_KINDS = ("first_reply", "investigation", "rectification")
NOTIFICATION_CHANNELS = ("email", "sms", "letter")
ROLES = (
    "first_contact",
    "complaint_officer",
    "department_liaison",
    "leadership",
    "auditor",
    "ops",
    "system",
)
REOPEN_REASONS = ("new_facts", "dissatisfied", "new_evidence")
RESCHEDULE_REASONS = (
    "calendar_updated",  # a provisional deadline recomputed once the calendar covers its year
    "policy_updated",
    "reclassified",  # e.g. more departments: first reply 5 -> 10 working days
    "extension_granted",
    "reopened",
    "departments_assigned",  # a later assignment made the complaint multi-department
    "other",
)
ESCALATION_TARGETS = ("leadership_group",)
CASE_END_REASONS = ("resolved_on_spot", "not_accepted", "withdrawn")
INTAKE_STATUSES = ("received", "resolved_on_spot", "not_accepted", "withdrawn", "closed", "reopened")
FOLLOWED_ACTIONS = ("closed", "reopened")
NOTIFICATION_PURPOSES = (
    "acknowledgement",
    "reply",
    "reminder",
    "breach_alert",
    "escalation",
    "rectification",
    "not_accepted",  # the complainant is told why and which route applies (CONTRACT §2)
)

TEXT_MAX = 4000
CODE_MAX = 64  # campus and department codes
ID_MAX = 128  # staff / system ids, opaque refs, calendar and policy versions
REFERENCE_MAX = 64


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class UnknownEventType(KeyError, ValueError):
    """The event type (or this version of it) is not in the catalogue."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class UnknownSchemaVersion(UnknownEventType):
    """The event type is known but not at this schema version."""


# --------------------------------------------------------------------------------------------
# Strict JSON fields and validators (each has an exact JSON Schema translation)
# --------------------------------------------------------------------------------------------

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?P<frac>\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})")
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
MONEY_PATTERN = r"[0-9]{1,12}(?:\.[0-9]{1,2})?"
_MONEY = re.compile(MONEY_PATTERN)


class FullMatch(validate.Regexp):
    """Like ``Regexp`` but the whole string must match (JSON Schema: ``^(?:…)$``)."""

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, str) or self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class Unique(validate.Validator):
    """No item may appear twice (JSON Schema: ``uniqueItems``)."""

    error = "Items must be unique; repeated: {repeated}."

    def __call__(self, value: Any) -> Any:
        seen: set[Any] = set()
        repeated = [item for item in value if item in seen or seen.add(item)]
        if repeated:
            raise ValidationError(self.error.format(repeated=", ".join(map(str, repeated))))
        return value


class StrictBoolean(fields.Boolean):
    """A JSON ``true``/``false`` only (marshmallow's Boolean also takes "yes", 1, …)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class UtcDateTime(fields.DateTime):
    """RFC 3339 date-time with an offset; dumped in UTC with ``Z``."""

    default_error_messages = {
        "invalid": "Not a valid RFC 3339 date-time with offset (e.g. 2026-03-02T08:30:00Z).",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                raise self.make_error("invalid")
            return value
        match = _RFC3339.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise self.make_error("invalid")
        text = value.upper()
        frac = match.group("frac")
        if frac and len(frac) > 7:  # keep microseconds, drop finer digits
            text = text.replace(frac, frac[:7], 1)
        try:
            return datetime.fromisoformat(text)
        except ValueError as exc:
            raise self.make_error("invalid") from exc

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class IsoDate(fields.Date):
    """A full date ``YYYY-MM-DD``."""

    default_error_messages = {"invalid": "Not a valid date (YYYY-MM-DD)."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if not isinstance(value, str) or _FULL_DATE.fullmatch(value) is None:
            raise self.make_error("invalid")
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise self.make_error("invalid") from exc


class CanonicalUUID(fields.UUID):
    """A UUID in its canonical 8-4-4-4-12 hex form; dumped lower-case."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> uuid.UUID:
        if isinstance(value, uuid.UUID):
            return value
        if not isinstance(value, str) or _CANONICAL_UUID.fullmatch(value) is None:
            raise self.make_error("invalid_uuid")
        return uuid.UUID(value)


class Money(fields.Decimal):
    """A non-negative amount as a decimal string with at most two places; dumped as ``"12.50"``."""

    default_error_messages = {
        "invalid": 'Not a valid amount: a string like "1200" or "1200.50" (>= 0, at most 2 places).',
    }

    def __init__(self, **kwargs: Any):
        super().__init__(places=2, as_string=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, Decimal):
            value = format(value, "f")
        if not isinstance(value, str) or _MONEY.fullmatch(value) is None:
            raise self.make_error("invalid")
        try:
            return Decimal(value)
        except InvalidOperation as exc:  # pragma: no cover - the pattern already excludes it
            raise self.make_error("invalid") from exc

    def _serialize(self, value: Decimal | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return format(Decimal(value).quantize(Decimal("0.01")), "f")


class Null(fields.Raw):
    """Only ``null`` (e.g. the department of a first-reply deadline)."""

    default_error_messages = {"not_null": "Must be null."}

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("allow_none", True)
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> None:
        raise self.make_error("not_null")


class Obj(fields.Nested):
    """Nested object that follows its root schema's ``unknown`` policy (strict or lenient)."""

    @property
    def schema(self) -> Schema:
        fresh = self._schema is None
        nested = super().schema
        if fresh and self.unknown is None and self.root is not None:
            nested.unknown = self.root.unknown
        return nested


# --------------------------------------------------------------------------------------------
# Field factories
# --------------------------------------------------------------------------------------------


def _opts(required: bool, description: str | None, **extra: Any) -> dict[str, Any]:
    options: dict[str, Any] = {"required": required, "allow_none": not required, **extra}
    if "load_default" in extra:
        options["required"] = False
    if description:
        options["metadata"] = {"description": description}
    return options


def uuid_field(required: bool = True, description: str | None = None) -> fields.Field:
    return CanonicalUUID(**_opts(required, description))


def code(required: bool = True, description: str | None = None) -> fields.Field:
    """A campus or department code."""
    return fields.String(validate=validate.Length(1, CODE_MAX), **_opts(required, description))


def ident(required: bool = True, description: str | None = None) -> fields.Field:
    """An opaque id: staff member, system, complainant ref, calendar/policy version."""
    return fields.String(validate=validate.Length(1, ID_MAX), **_opts(required, description))


def text(required: bool = True, description: str | None = None, min_length: int = 0) -> fields.Field:
    """Bounded free text on an office action (never personal data)."""
    return fields.String(validate=validate.Length(min_length, TEXT_MAX), **_opts(required, description))


def choice(values: Iterable[str], required: bool = True, description: str | None = None, **extra: Any) -> fields.Field:
    return fields.String(validate=validate.OneOf(tuple(values)), **_opts(required, description, **extra))


def when(required: bool = True, description: str | None = None) -> fields.Field:
    return UtcDateTime(**_opts(required, description))


def day(required: bool = True, description: str | None = None) -> fields.Field:
    return IsoDate(**_opts(required, description))


def flag(required: bool = True, description: str | None = None) -> fields.Field:
    return StrictBoolean(**_opts(required, description))


def count(
    minimum: int = 0, maximum: int | None = None, required: bool = True, description: str | None = None
) -> fields.Field:
    return fields.Integer(
        strict=True, validate=validate.Range(min=minimum, max=maximum), **_opts(required, description)
    )


def codes(required: bool = True, description: str | None = None, min_items: int = 0, **extra: Any) -> fields.Field:
    """A list of distinct campus or department codes."""
    return fields.List(
        fields.String(validate=validate.Length(1, CODE_MAX)),
        validate=[validate.Length(min=min_items), Unique()],
        **_opts(required, description, **extra),
    )


def obj(schema: type[Schema], required: bool = True, description: str | None = None) -> fields.Field:
    return Obj(schema, **_opts(required, description))


def objs(
    schema: type[Schema], required: bool = True, description: str | None = None, min_items: int = 0, **extra: Any
) -> fields.Field:
    return fields.List(Obj(schema), validate=validate.Length(min=min_items), **_opts(required, description, **extra))


def money(required: bool = True, description: str | None = None) -> fields.Field:
    return Money(**_opts(required, description))


# --------------------------------------------------------------------------------------------
# Shared object schemas
# --------------------------------------------------------------------------------------------


class StrictSchema(Schema):
    """Every object of the catalogue: unknown fields are rejected unless loaded leniently."""

    #: merged into the JSON Schema of this object (rules a field walk cannot see)
    json_schema_extra: ClassVar[dict[str, Any]] = {}

    class Meta:
        unknown = RAISE


class Actor(StrictSchema):
    """The staff member or system that acted (an opaque id, never a name)."""

    id = ident(description="staff or system id")
    role = choice(ROLES)


class EventData(StrictSchema):
    """Fields common to the data of every event."""

    complaint_id = uuid_field(description="the complaint this event belongs to")
    actor = obj(Actor, required=False)


class _KindDepartmentRule(StrictSchema):
    """A first-reply deadline has no department; the other kinds have one."""

    json_schema_extra: ClassVar[dict[str, Any]] = {
        "allOf": [
            {
                "if": {"properties": {"kind": {"const": "first_reply"}}, "required": ["kind"]},
                "then": {"properties": {"department": {"type": "null"}}},
                "else": {"properties": {"department": {"type": "string"}}, "required": ["department"]},
            }
        ],
    }

    @validates_schema
    def _department_matches_kind(self, data: dict[str, Any], **kwargs: Any) -> None:
        kind, department = data.get("kind"), data.get("department")
        if kind == "first_reply" and department is not None:
            raise ValidationError("must be null for a first_reply deadline", "department")
        if kind in ("investigation", "rectification") and department is None:
            raise ValidationError(f"required for {kind} deadlines", "department")


def _deadline_schema(name: str, kinds: tuple[str, ...]) -> type[Schema]:
    """The deadline object, narrowed to ``kinds`` (``department`` follows the kind)."""
    bases: tuple[type[Schema], ...] = (StrictSchema,)
    department: fields.Field
    if kinds == ("first_reply",):
        department = Null(load_default=None, metadata={"description": "always null for first_reply"})
    elif "first_reply" not in kinds:
        department = code()
    else:
        department = fields.String(
            validate=validate.Length(1, CODE_MAX),
            allow_none=True,
            load_default=None,
            metadata={"description": "null for first_reply, the department otherwise"},
        )
        bases = (_KindDepartmentRule,)
    attrs: dict[str, Any] = {
        "__module__": __name__,
        "__doc__": f"A deadline ({', '.join(kinds)}) as computed, with the calendar and policy used.",
        "kind": choice(kinds),
        "department": department,
        "due_at": when(description="end (24:00 local time) of the last working day, in UTC"),
        "last_day": day(description="the last working day, in the campus's local calendar"),
        "provisional": flag(description="computed without the official calendar of that year"),
        "calendar_version": ident(),
        "policy_version": ident(),
        "working_days": count(0, description="working days counted, the start day excluded"),
        "rectification_id": uuid_field(required=False, description="for rectification deadlines: which one"),
    }
    return type(StrictSchema)(name, bases, attrs)


Deadline = _deadline_schema("Deadline", DEADLINE_KINDS)
FirstReplyDeadline = _deadline_schema("FirstReplyDeadline", ("first_reply",))
InvestigationDeadline = _deadline_schema("InvestigationDeadline", ("investigation",))
RectificationDeadline = _deadline_schema("RectificationDeadline", ("rectification",))


class Classification(StrictSchema):
    """How a complaint is classified and whom it concerns."""

    category = choice(CATEGORIES)
    severity = choice(SEVERITIES)
    departments = codes()
    campuses = codes(min_items=1)


_CAMPUSES_DESCRIPTION = "every campus the complaint concerns; must include campus; defaults to [campus]"


class _WithCampuses(StrictSchema):
    """``campus`` (the registering campus) and ``campuses`` (all it concerns, incl. campus)."""

    campus = code(description="the campus that registered the complaint")
    campuses = codes(required=False, min_items=1, description=_CAMPUSES_DESCRIPTION)

    @validates_schema
    def _campus_among_campuses(self, data: dict[str, Any], **kwargs: Any) -> None:
        campus, campuses = data.get("campus"), data.get("campuses")
        if campus is not None and campuses is not None and campus not in campuses:
            raise ValidationError(f"must include campus {campus!r}", "campuses")

    @post_load
    def _default_campuses(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if data.get("campuses") is None and data.get("campus") is not None:
            data["campuses"] = [data["campus"]]
        return data


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventType:
    name: str
    owner: str
    versions: dict[int, type[Schema]]

    @property
    def latest(self) -> int:
        """The newest schema version (what producers publish)."""
        return max(self.versions)

    @property
    def latest_schema(self) -> type[Schema]:
        return self.versions[self.latest]


EVENT_TYPES: dict[str, EventType] = {}


def _register(
    owner: str, name: str, doc: str, *mixins: type[Schema], version: int = 1, **event_fields: fields.Field
) -> type[Schema]:
    """Declare ``name`` at ``version``: EventData + mixins + the given fields."""
    assert owner in SERVICES, owner
    bases = (*mixins, EventData)
    attrs: dict[str, Any] = {"__module__": __name__, "__doc__": doc, **event_fields}
    schema = type(EventData)(f"{name}V{version}", bases, attrs)
    known = EVENT_TYPES.get(name)
    if known is not None and (known.owner != owner or version in known.versions):
        raise ValueError(f"{name} v{version} is already registered")
    versions = dict(known.versions) if known else {}
    versions[version] = schema
    EVENT_TYPES[name] = EventType(name=name, owner=owner, versions=versions)
    return schema


def _campus_opt() -> fields.Field:
    return code(required=False, description="campus of the complaint (for filtering)")


# --- intake ---------------------------------------------------------------------------------

_register(
    INTAKE,
    "ComplaintReceived",
    "A complaint was registered (personal data stays in intake).",
    _WithCampuses,
    reference=fields.String(
        validate=validate.Length(1, REFERENCE_MAX),
        metadata={"description": "human reference, e.g. EAST-2026-000123"},
        required=True,
    ),
    channel=choice(CHANNELS),
    category=choice(CATEGORIES),
    severity=choice(SEVERITIES),
    source=choice(SOURCES),
    departments=codes(load_default=list, description="department codes; may be empty until assigned"),
    received_at=when(description="when the complaint was made (letters: when it arrived)"),
    registered_at=when(required=False, description="when it was entered, if later than received_at"),
    received_by=ident(required=False, description="staff id of whoever registered it"),
    receiving_department=code(required=False, description="department where it was made"),
    anonymous=flag(),
    has_contact=flag(description="the complainant left a way to be contacted"),
    complainant_ref=ident(required=False, description="opaque reference to the complainant in intake"),
    reopened_from=uuid_field(required=False, description="earlier complaint reopened by new facts"),
)
_register(
    INTAKE,
    "ComplaintResolvedOnSpot",
    "First-contact staff resolved and closed the complaint.",
    campus=code(),
    resolved_at=when(),
    resolved_by=ident(description="staff id"),
    resolution=text(min_length=1, description="the measure taken (no personal data)"),
)
_register(
    INTAKE,
    "ComplaintNotAccepted",
    "The complaint is recorded but not accepted; the route is advised.",
    campus=code(),
    reason=choice(NOT_ACCEPTED_REASONS),
    route_advice=text(min_length=1, description="which route applies, as told to the complainant"),
    decided_at=when(),
    duplicate_of=uuid_field(required=False, description="for reason duplicate: the original complaint"),
)
_register(
    INTAKE,
    "ComplaintWithdrawn",
    "The complainant withdrew the complaint.",
    campus=code(),
    withdrawn_at=when(),
    reason=text(required=False),
)
_register(
    INTAKE,
    "ComplaintReclassified",
    "Category, severity, departments or campuses changed.",
    campus=code(),
    previous=obj(Classification),
    current=obj(Classification),
    reclassified_at=when(),
    note=text(required=False),
    reclassified_by=ident(required=False, description="staff id of whoever reclassified it"),
)

# Intake's own record of what changed its state otherwise than by its own commands, so that its complaints
# can be rebuilt from its log alone (``python -m shared.replay intake --check``).
_register(
    INTAKE,
    "ComplaintStatusFollowed",
    "Intake followed investigation's closing or reopening of the complaint.",
    campus=code(),
    followed=choice(FOLLOWED_ACTIONS, description="what investigation did"),
    status=choice(INTAKE_STATUSES, description="the complaint's status in intake afterwards"),
    followed_at=when(description="when investigation closed or reopened it"),
    cause_id=uuid_field(description="id of investigation's ComplaintClosed or ComplaintReopened"),
    cause_version=count(1, description="its version in investigation's stream of the complaint"),
    outcome=text(required=False),
    reason=choice(REOPEN_REASONS, required=False),
    note=text(required=False),
)
_register(
    INTAKE,
    "PersonalDataErased",
    "The complaint's personal data was erased (its key destroyed) on a lawful "
    "request; the complaint, its events and statistics stay.",
    campus=code(),
    erased_at=when(),
    reason=text(min_length=1, description="the lawful request it answers (no personal data)"),
)

# --- investigation --------------------------------------------------------------------------

_register(
    INVESTIGATION,
    "InvestigationOpened",
    "The office opened the case and its deadlines.",
    _WithCampuses,
    category=choice(CATEGORIES),
    severity=choice(SEVERITIES),
    source=choice(SOURCES),
    departments=codes(load_default=list),
    received_at=when(),
    first_reply=obj(FirstReplyDeadline),
    investigations=objs(
        InvestigationDeadline, load_default=list, description="one investigation deadline per assigned department"
    ),
    assigned_at=when(
        required=False,
        description="when these departments were assigned: their investigation "
        "deadlines count from it (at registration for those named then)",
    ),
    reference=fields.String(
        validate=validate.Length(1, REFERENCE_MAX),
        **_opts(False, "the complaint's reference (on the case's first opening)"),
    ),
    has_contact=flag(required=False, description="the complainant can be contacted (on the case's first opening)"),
)
_register(
    INVESTIGATION,
    "InvestigationDue",
    "A deadline falls due in one working day.",
    campus=_campus_opt(),
    deadline=obj(Deadline),
    reminder_for_role=choice(ROLES),
)
_register(
    INVESTIGATION,
    "DeadlineRescheduled",
    "A deadline was recomputed (e.g. a provisional one confirmed).",
    campus=_campus_opt(),
    previous=obj(Deadline),
    current=obj(Deadline),
    reason=choice(RESCHEDULE_REASONS),
    note=text(required=False),
)
_register(
    INVESTIGATION,
    "ExtensionRequested",
    "A department asked for more time before its deadline passed.",
    campus=_campus_opt(),
    extension_id=uuid_field(),
    department=code(),
    reason=text(min_length=1, description="the written reason"),
    requested_days=count(1, 365, description="extra working days asked for"),
    requested_at=when(),
    deadline=obj(Deadline, description="the deadline the extension is asked against"),
)


class _ExtensionDecision(StrictSchema):
    campus = _campus_opt()
    extension_id = uuid_field()
    department = code()
    decided_at = when()
    note = text(required=False)


_register(
    INVESTIGATION,
    "ExtensionGranted",
    "The office granted an extension.",
    _ExtensionDecision,
    deadline=obj(Deadline, description="the new, extended deadline"),
)
_register(INVESTIGATION, "ExtensionRefused", "The office refused an extension.", _ExtensionDecision)
_register(
    INVESTIGATION,
    "FindingsSubmitted",
    "A department submitted its written findings.",
    campus=_campus_opt(),
    department=code(),
    substantiated=choice(SUBSTANTIATED),
    summary=text(min_length=1),
    signed_off_by=ident(description="staff id of the head of department"),
    submitted_at=when(),
    on_time=flag(),
)
_register(
    INVESTIGATION,
    "DeadlineBreached",
    "A deadline passed unmet (emitted once per deadline).",
    campus=_campus_opt(),
    deadline=obj(Deadline),
    breached_at=when(),
)
_register(
    INVESTIGATION,
    "DeadlineBreachWithdrawn",
    "A breach of a provisional deadline withdrawn: the official calendar shows it was not yet due. The "
    "deadline runs again, corrected; statistics no longer count the breach (emitted once per breach).",
    campus=_campus_opt(),
    deadline=obj(Deadline, description="the deadline as it was breached (provisional)"),
    current=obj(Deadline, description="the corrected deadline, running again"),
    breached_at=when(description="the breached_at of the DeadlineBreached withdrawn"),
    withdrawn_at=when(),
    reason=choice(("calendar_updated",), description="why the breach no longer stands"),
)
_register(
    INVESTIGATION,
    "ComplaintEscalated",
    "The complaint was escalated to the leadership group.",
    campus=code(),
    severity=choice(SEVERITIES),
    reason=text(min_length=1),
    escalated_at=when(),
    to=choice(ESCALATION_TARGETS, load_default="leadership_group"),
)
_register(
    INVESTIGATION,
    "ReplyIssued",
    "The office approved the reply to the complainant.",
    campus=code(),
    reply_id=uuid_field(),
    contact_person=ident(description="staff id of the office contact named in the reply"),
    actions_taken=text(min_length=1),
    result=text(min_length=1),
    issued_at=when(),
    channel_preference=choice(NOTIFICATION_CHANNELS, required=False),
)
_register(
    INVESTIGATION,
    "RectificationOrdered",
    "A department was ordered to rectify.",
    campus=_campus_opt(),
    rectification_id=uuid_field(),
    department=code(),
    description=text(min_length=1),
    due=obj(RectificationDeadline),
    ordered_at=when(),
)
_register(
    INVESTIGATION,
    "RectificationCompleted",
    "A department completed a rectification.",
    campus=_campus_opt(),
    rectification_id=uuid_field(),
    department=code(),
    completed_at=when(),
    on_time=flag(),
    note=text(required=False),
)
_register(
    INVESTIGATION,
    "FollowUpRecorded",
    "The office recorded the complainant's satisfaction.",
    campus=_campus_opt(),
    satisfied=flag(),
    recorded_at=when(),
    note=text(required=False),
)
_register(
    INVESTIGATION,
    "ComplaintReopened",
    "A closed or not-accepted complaint was reopened.",
    campus=_campus_opt(),
    reason=choice(REOPEN_REASONS),
    reopened_at=when(),
    note=text(required=False),
    first_reply=obj(FirstReplyDeadline, required=False, description="the new first-reply deadline"),
)
_register(
    INVESTIGATION,
    "ComplaintClosed",
    "The case was closed.",
    campus=_campus_opt(),
    closed_at=when(),
    outcome=text(required=False),
)
_register(
    INVESTIGATION,
    "DisputeRecorded",
    "A medical dispute arising from the complaint was recorded.",
    campus=_campus_opt(),
    dispute_id=uuid_field(),
    route=choice(DISPUTE_ROUTES),
    recorded_at=when(),
    note=text(required=False),
)
_register(
    INVESTIGATION,
    "DisputeSettled",
    "A medical dispute was settled.",
    campus=_campus_opt(),
    dispute_id=uuid_field(),
    route=choice(DISPUTE_ROUTES),
    settled_at=when(),
    compensation_amount=money(description='compensation paid, >= 0, e.g. "1200.00"'),
    currency=fields.String(
        validate=FullMatch(r"[A-Z]{3}"), load_default="CNY", metadata={"description": "ISO 4217 code"}
    ),
)

# Investigation's own record of what intake's and notification's events did to a case, so that the
# case can be rebuilt from investigation's log alone (``python -m shared.replay investigation --check``).


class _CausedBy(StrictSchema):
    campus = _campus_opt()
    cause_id = uuid_field(description="id of the other service's event that caused this change")


_register(
    INVESTIGATION,
    "CaseEnded",
    "Intake ended the complaint (resolved on the spot, not accepted, withdrawn): the case ends and its clocks stop.",
    _CausedBy,
    reason=choice(CASE_END_REASONS, description="how intake ended the complaint"),
    ended_at=when(description="when intake ended it (the time stated in intake's event)"),
)
_register(
    INVESTIGATION,
    "CaseReclassified",
    "Intake reclassified the complaint: the case takes the new classification.",
    _CausedBy,
    previous=obj(Classification),
    current=obj(Classification),
    reclassified_at=when(),
)
_register(
    INVESTIGATION,
    "ReplyDeliveryRecorded",
    "A reply of this round reached the complainant (notification's ReplySent): the first-reply clock is met.",
    _CausedBy,
    reply_id=uuid_field(),
    sent_at=when(),
)
_register(
    INVESTIGATION,
    "ReplyDeliveryFailed",
    "A reply of this round could not be delivered (notification's NotificationFailed).",
    _CausedBy,
    reply_id=uuid_field(),
    failed_at=when(),
)

# --- notification ---------------------------------------------------------------------------

_register(
    NOTIFICATION,
    "ReplySent",
    "The reply was delivered to the complainant (stops the first-reply clock).",
    campus=_campus_opt(),
    reply_id=uuid_field(),
    notification_id=uuid_field(),
    channel=choice(NOTIFICATION_CHANNELS),
    sent_at=when(),
)
_register(
    NOTIFICATION,
    "ReminderSent",
    "A deadline reminder was delivered to staff.",
    campus=_campus_opt(),
    notification_id=uuid_field(),
    kind=choice(DEADLINE_KINDS, description="kind of the deadline reminded of"),
    department=code(required=False),
    recipient_role=choice(ROLES),
    channel=choice(NOTIFICATION_CHANNELS, required=False),
    due_at=when(required=False),
    sent_at=when(),
)
_register(
    NOTIFICATION,
    "NotificationFailed",
    "A notification could not be delivered after retrying.",
    campus=_campus_opt(),
    notification_id=uuid_field(),
    purpose=choice(NOTIFICATION_PURPOSES),
    channel=choice(NOTIFICATION_CHANNELS),
    reply_id=uuid_field(required=False, description="for purpose reply"),
    attempts=count(1),
    error=text(min_length=1),
    failed_at=when(),
)


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def event_type(name: str) -> EventType:
    try:
        return EVENT_TYPES[name]
    except (KeyError, TypeError):
        raise UnknownEventType(f"unknown event type {name!r}") from None


def owner_of(name: str) -> str:
    """The service that publishes ``name``: intake, investigation or notification."""
    return event_type(name).owner


def latest_version(name: str) -> int:
    return event_type(name).latest


def types_of(owner: str) -> list[str]:
    """Event types published by ``owner``, in contract order."""
    return [t.name for t in EVENT_TYPES.values() if t.owner == owner]


def _schema_class(name: str, version: int) -> type[Schema]:
    known = event_type(name)
    try:
        return known.versions[version]
    except (KeyError, TypeError):
        raise UnknownSchemaVersion(
            f"unknown schema version {version!r} of {name} (known: {sorted(known.versions)})"
        ) from None


@cache
def _schema(name: str, version: int, strict: bool) -> Schema:
    return _schema_class(name, version)(unknown=RAISE if strict else EXCLUDE)


def schema_for(name: str, version: int, *, strict: bool = True) -> Schema:
    """The marshmallow schema instance of ``name`` at ``version`` (shared; do not mutate)."""
    _schema_class(name, version)  # raise UnknownEventType before touching the cache
    return _schema(name, version, strict)


def validate_data(name: str, version: int, data: Any, strict: bool = True) -> dict[str, Any]:
    """Validate event ``data`` and return its normalised JSON-ready form.

    Raises :class:`marshmallow.ValidationError` (messages keyed by field) on bad data and
    :class:`UnknownEventType` for an unknown type or version. ``strict`` rejects unknown
    fields (producers); ``strict=False`` drops them (receivers of a newer producer).
    """
    schema = schema_for(name, version, strict=strict)
    return schema.dump(schema.load(data))


def check_received(name: str, version: int, data: Any) -> None:
    """Validate received event ``data`` against the published JSON Schema, tolerating fields a newer
    producer added. Much cheaper than a marshmallow load (the consumer's hot path); raises
    :class:`marshmallow.ValidationError` keyed by the field's path."""
    try:
        _receiving_validator(name, version)(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        path = ".".join(str(p) for p in exc.path[1:]) or "_schema"
        raise ValidationError({path: [exc.message.removeprefix("data.").removeprefix("data ")]}) from None


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@cache
def _receiving_validator(name: str, version: int) -> Callable[[Any], Any]:
    schema = json_schema(name, version)  # the published schema: open for additive change
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"  # what fastjsonschema compiles
    return fastjsonschema.compile(schema, formats={"uuid": _UUID.pattern}, use_default=False)


# --------------------------------------------------------------------------------------------
# JSON Schema (draft 2020-12)
# --------------------------------------------------------------------------------------------

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_id(name: str, version: int) -> str:
    """The ``$id`` of the published schema of ``name`` at ``version``: the events' ``dataschema`` (CONTRACT §12)."""
    from shared.envelope import dataschema_of  # envelope imports this module

    return dataschema_of(name, version)


def strict_json_schema(name: str, version: int) -> dict[str, Any]:
    """The JSON Schema of the ``data`` of ``name`` at ``version`` with every object closed
    (``additionalProperties: false``): what the producer's own tests hold its events to."""
    schema = _schema_class(name, version)
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": schema_id(name, version),
        "title": f"{name} v{version} data",
        "x-owner": owner_of(name),
        **_object_schema(schema),
    }


def json_schema(name: str, version: int) -> dict[str, Any]:
    """The published JSON Schema of the ``data`` of ``name`` at ``version``, for subscribers: open for additive
    change (CONTRACT §12), so a field a later release adds validates; everything declared is checked exactly."""
    return _opened(strict_json_schema(name, version))


def _opened(node: Any) -> Any:
    """Drop ``additionalProperties: false`` everywhere (a value schema of a map stays)."""
    if isinstance(node, dict):
        return {k: _opened(v) for k, v in node.items() if not (k == "additionalProperties" and v is False)}
    if isinstance(node, list):
        return [_opened(v) for v in node]
    return node


def all_json_schemas() -> dict[str, dict[str, Any]]:
    """Every published schema keyed by its ``$id`` (the ``dataschema`` of its events)."""
    out: dict[str, dict[str, Any]] = {}
    for known in EVENT_TYPES.values():
        for version in sorted(known.versions):
            out[schema_id(known.name, version)] = json_schema(known.name, version)
    return out


def _object_schema(schema: type[Schema]) -> dict[str, Any]:
    declared: Mapping[str, fields.Field] = schema._declared_fields
    properties: dict[str, Any] = {}
    required: list[str] = []
    for attr, field in declared.items():
        key = field.data_key or attr
        properties[key] = _field_schema(field)
        if field.required:
            required.append(key)
    out: dict[str, Any] = {"type": "object"}
    doc = (schema.__doc__ or "").strip()
    if doc:
        out["description"] = doc
    out.update({"properties": properties, "required": required, "additionalProperties": False})
    for klass in reversed(schema.__mro__):
        extra = getattr(klass, "json_schema_extra", None)
        if extra and "json_schema_extra" in vars(klass):
            out.update(copy.deepcopy(extra))
    return out


def _field_schema(field: fields.Field) -> dict[str, Any]:
    out = _base_type(field)
    for validator in field.validators:
        apply_validator(out, validator, field)
    description = field.metadata.get("description")
    if description:
        out["description"] = description
    default = field.load_default
    if default is not missing:
        value = default() if callable(default) else default
        out["default"] = None if value is None else field._serialize(value, None, None)
    if field.allow_none and out.get("type") != "null":
        out = _nullable(out)
    return out


def _base_type(field: fields.Field) -> dict[str, Any]:
    if isinstance(field, Null):
        return {"type": "null"}
    if isinstance(field, fields.Nested):
        nested = field.nested
        if not (isinstance(nested, type) and issubclass(nested, Schema)):
            raise TypeError(f"json_schema: Nested fields must name a Schema class, not {nested!r}")
        inner = _object_schema(nested)
        return {"type": "array", "items": inner} if field.many else inner
    if isinstance(field, fields.List):
        return {"type": "array", "items": _field_schema(field.inner)}
    if isinstance(field, fields.Dict):
        out: dict[str, Any] = {"type": "object"}
        if field.key_field is not None:
            out["propertyNames"] = _field_schema(field.key_field)
        if field.value_field is not None:
            out["additionalProperties"] = _field_schema(field.value_field)
        return out
    if isinstance(field, Money):
        return {"type": "string", "pattern": f"^(?:{MONEY_PATTERN})$"}
    if isinstance(field, fields.Boolean):
        return {"type": "boolean"}
    if isinstance(field, fields.Integer):
        return {"type": "integer"}
    if isinstance(field, fields.Decimal) and not field.as_string:
        return {"type": "number"}
    if isinstance(field, fields.Float):
        return {"type": "number"}
    if isinstance(field, fields.UUID):  # before String: UUID subclasses it
        return {"type": "string", "format": "uuid"}
    if isinstance(field, fields.DateTime):
        return {"type": "string", "format": "date-time"}
    if isinstance(field, fields.Date):
        return {"type": "string", "format": "date"}
    if isinstance(field, fields.String):
        return {"type": "string"}
    raise TypeError(f"json_schema: no faithful translation for field {type(field).__name__}")


def apply_validator(
    out: dict[str, Any], validator: Callable[..., Any], field: fields.Field | None = None, strict: bool = True
) -> None:
    """Translate a marshmallow validator into JSON Schema keywords on ``out``. ``strict`` (event schemas,
    which must be faithful) refuses a validator it cannot translate; otherwise (HTTP request schemas) such a
    check — a plain function, a lookup in the hospital's configuration — simply stays server-side."""
    kind = out.get("type")
    if isinstance(validator, validate.OneOf):
        out["enum"] = list(validator.choices)
    elif isinstance(validator, validate.Length):
        low, high = ("minItems", "maxItems") if kind == "array" else ("minLength", "maxLength")
        if validator.equal is not None:
            out[low] = out[high] = validator.equal
        else:
            if validator.min is not None and validator.min > 0:
                out[low] = validator.min
            if validator.max is not None:
                out[high] = validator.max
    elif isinstance(validator, validate.Range) and (kind in ("integer", "number") or not strict):
        if validator.min is not None:
            out["minimum" if validator.min_inclusive else "exclusiveMinimum"] = validator.min
        if validator.max is not None:
            out["maximum" if validator.max_inclusive else "exclusiveMaximum"] = validator.max
    elif isinstance(validator, FullMatch):
        out["pattern"] = f"^(?:{validator.regex.pattern})$"
    elif isinstance(validator, validate.Regexp):
        pattern = validator.regex.pattern  # marshmallow matches from the start: anchor it there too
        out["pattern"] = pattern if pattern.startswith("^") else f"^(?:{pattern})"
    elif isinstance(validator, Unique):
        out["uniqueItems"] = True
    elif isinstance(validator, validate.Equal):
        out["const"] = validator.comparable
    elif strict:
        raise TypeError(f"json_schema: no faithful translation for validator {validator!r} on {field!r}")


def _nullable(out: dict[str, Any]) -> dict[str, Any]:
    if isinstance(out.get("type"), str) and out["type"] != "object":
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [out, {"type": "null"}]}
