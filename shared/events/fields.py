"""The building blocks of event schemas: strict JSON fields and validators, field factories, the objects
several events share (actor, deadlines, classification, campuses) and :func:`declare`, which makes an event
type's schema from them. Every field and validator here has an exact JSON Schema translation
(:mod:`shared.events.jsonschema`).

Not the HTTP input fields: those are :mod:`shared.fields`, which builds on :class:`UtcDateTime`,
:class:`StrictBoolean` and :class:`FullMatch` from here (so events and requests read times alike).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from shared.events.vocabularies import CASE_DEADLINE_KINDS, CATEGORIES, DEADLINE_KINDS, ROLES, SERVICES, SEVERITIES

# Bounds of strings in event data (the HTTP input fields of shared.fields reuse TEXT_MAX and CODE_MAX).
TEXT_MAX = 4000
CODE_MAX = 64  # campus and department codes
ID_MAX = 128  # staff / system ids, opaque refs, calendar and policy versions
REFERENCE_MAX = 64


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


def field_options(required: bool, description: str | None, **extra: Any) -> dict[str, Any]:
    """Keyword arguments of a field: an optional one may also be ``null``; a default makes it optional."""
    options: dict[str, Any] = {"required": required, "allow_none": not required, **extra}
    if "load_default" in extra:
        options["required"] = False
    if description:
        options["metadata"] = {"description": description}
    return options


def uuid_field(required: bool = True, description: str | None = None) -> fields.Field:
    return CanonicalUUID(**field_options(required, description))


def code(required: bool = True, description: str | None = None) -> fields.Field:
    """A campus or department code."""
    return fields.String(validate=validate.Length(1, CODE_MAX), **field_options(required, description))


def ident(required: bool = True, description: str | None = None) -> fields.Field:
    """An opaque id: staff member, system, complainant ref, calendar/policy version."""
    return fields.String(validate=validate.Length(1, ID_MAX), **field_options(required, description))


def idents(required: bool = True, description: str | None = None, max_items: int = 50) -> fields.Field:
    """A list of distinct opaque ids (e.g. the staff a finding names)."""
    return fields.List(
        fields.String(validate=validate.Length(1, ID_MAX)),
        validate=[validate.Length(max=max_items), Unique()],
        **field_options(required, description),
    )


def text(required: bool = True, description: str | None = None, min_length: int = 0) -> fields.Field:
    """Bounded free text on an office action (never personal data)."""
    return fields.String(validate=validate.Length(min_length, TEXT_MAX), **field_options(required, description))


def choice(values: Iterable[str], required: bool = True, description: str | None = None, **extra: Any) -> fields.Field:
    return fields.String(validate=validate.OneOf(tuple(values)), **field_options(required, description, **extra))


def when(required: bool = True, description: str | None = None) -> fields.Field:
    return UtcDateTime(**field_options(required, description))


def day(required: bool = True, description: str | None = None) -> fields.Field:
    return IsoDate(**field_options(required, description))


def flag(required: bool = True, description: str | None = None) -> fields.Field:
    return StrictBoolean(**field_options(required, description))


def count(
    minimum: int = 0, maximum: int | None = None, required: bool = True, description: str | None = None
) -> fields.Field:
    return fields.Integer(
        strict=True, validate=validate.Range(min=minimum, max=maximum), **field_options(required, description)
    )


def codes(required: bool = True, description: str | None = None, min_items: int = 0, **extra: Any) -> fields.Field:
    """A list of distinct campus or department codes."""
    return fields.List(
        fields.String(validate=validate.Length(1, CODE_MAX)),
        validate=[validate.Length(min=min_items), Unique()],
        **field_options(required, description, **extra),
    )


def obj(schema: type[Schema], required: bool = True, description: str | None = None) -> fields.Field:
    return Obj(schema, **field_options(required, description))


def objs(
    schema: type[Schema], required: bool = True, description: str | None = None, min_items: int = 0, **extra: Any
) -> fields.Field:
    return fields.List(
        Obj(schema), validate=validate.Length(min=min_items), **field_options(required, description, **extra)
    )


def money(required: bool = True, description: str | None = None) -> fields.Field:
    return Money(**field_options(required, description))


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
    """A deadline of the whole case (first reply, statutory feedback, authority report) has no department;
    the other kinds have one."""

    json_schema_extra: ClassVar[dict[str, Any]] = {
        "allOf": [
            {
                "if": {"properties": {"kind": {"enum": list(CASE_DEADLINE_KINDS)}}, "required": ["kind"]},
                "then": {"properties": {"department": {"type": "null"}}},
                "else": {"properties": {"department": {"type": "string"}}, "required": ["department"]},
            }
        ],
    }

    @validates_schema
    def _department_matches_kind(self, data: dict[str, Any], **kwargs: Any) -> None:
        kind, department = data.get("kind"), data.get("department")
        if kind in CASE_DEADLINE_KINDS and department is not None:
            raise ValidationError(f"must be null for a {kind} deadline", "department")
        if kind in ("investigation", "rectification") and department is None:
            raise ValidationError(f"required for {kind} deadlines", "department")


def _deadline_schema(name: str, kinds: tuple[str, ...]) -> type[Schema]:
    """The deadline object, narrowed to ``kinds`` (``department`` follows the kind)."""
    bases: tuple[type[Schema], ...] = (StrictSchema,)
    department: fields.Field
    if set(kinds) <= set(CASE_DEADLINE_KINDS):
        department = Null(load_default=None, metadata={"description": f"always null for {', '.join(kinds)}"})
    elif not set(kinds) & set(CASE_DEADLINE_KINDS):
        department = code()
    else:
        department = fields.String(
            validate=validate.Length(1, CODE_MAX),
            allow_none=True,
            load_default=None,
            metadata={"description": "null for a deadline of the whole case, the department otherwise"},
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
        "working_days": count(0, description="working days counted, the start day excluded (0 for hours)"),
        "hours": count(
            1, required=False, description="for deadlines counted in hours (authority_report): the hours counted"
        ),
        "rectification_id": uuid_field(required=False, description="for rectification deadlines: which one"),
    }
    return type(StrictSchema)(name, bases, attrs)


Deadline = _deadline_schema("Deadline", DEADLINE_KINDS)
FirstReplyDeadline = _deadline_schema("FirstReplyDeadline", ("first_reply",))
InvestigationDeadline = _deadline_schema("InvestigationDeadline", ("investigation",))
RectificationDeadline = _deadline_schema("RectificationDeadline", ("rectification",))
StatutoryFeedbackDeadline = _deadline_schema("StatutoryFeedbackDeadline", ("statutory_feedback",))
AuthorityReportDeadline = _deadline_schema("AuthorityReportDeadline", ("authority_report",))
ReferrerReplyDeadline = _deadline_schema("ReferrerReplyDeadline", ("referrer_reply",))
FollowUpDeadline = _deadline_schema("FollowUpDeadline", ("follow_up",))


class Classification(StrictSchema):
    """How a complaint is classified and whom it concerns."""

    category = choice(CATEGORIES)
    severity = choice(SEVERITIES)
    departments = codes()
    campuses = codes(min_items=1)


_CAMPUSES_DESCRIPTION = "every campus the complaint concerns; must include campus; defaults to [campus]"


class WithCampuses(StrictSchema):
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


def campus_optional() -> fields.Field:
    """The complaint's campus on an event that may omit it (receivers use it to filter)."""
    return code(required=False, description="campus of the complaint (for filtering)")


# --------------------------------------------------------------------------------------------
# Declaring an event type
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventType:
    """An event type of the catalogue: its name, the service that publishes it, its schema per version."""

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


def declare(
    owner: str, name: str, doc: str, *mixins: type[Schema], version: int = 1, **event_fields: fields.Field
) -> EventType:
    """Declare ``name`` at ``version``, published by ``owner``: EventData + mixins + the given fields.

    The schema class is named ``<name>V<version>`` and belongs to the owner's module
    (``shared.events.<owner>``); :func:`shared.events.registry` merges the versions of one name.
    """
    assert owner in SERVICES, owner
    attrs: dict[str, Any] = {"__module__": f"shared.events.{owner}", "__doc__": doc, **event_fields}
    schema = type(EventData)(f"{name}V{version}", (*mixins, EventData), attrs)
    return EventType(name=name, owner=owner, versions={version: schema})
