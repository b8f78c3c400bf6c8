"""Intake's HTTP boundary: marshmallow schemas for requests, each loading into its typed command (a frozen
dataclass of domain.py) or query (queries.py). Field types and the rules on text, times and codes are
shared/fields.py's (the same for every service and its published OpenAPI)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import RAISE, Schema, ValidationError, validate, validates_schema
from marshmallow import fields as mm

from services.intake import domain, media, procedure, queries, search_terms
from services.intake.domain import CLOCK_SKEW
from services.intake.settings import DEFAULT_GO_LIVE, DEFAULT_RECEIVED_MAX_AGE_DAYS, LIST_DEFAULT, LIST_MAX
from shared import catalogue, fields
from shared.commands import CommandSchema
from shared.config import Hospital

Text = fields.Text


def received_at_problem(received_at: datetime, now: datetime, campus: dict[str, Any] | None) -> str | None:
    """Why ``received_at`` cannot be the time a complaint reached ``campus`` (its settings), or None.
    Not before the campus's go-live date (its local calendar), not more than its configured number of days
    before ``now``, not after ``now`` beyond a small clock skew."""
    if received_at > now + CLOCK_SKEW:
        return "lies in the future"
    if campus is None:
        return None
    go_live = date.fromisoformat(campus.get("go_live", DEFAULT_GO_LIVE))
    if received_at.astimezone(ZoneInfo(campus["timezone"])).date() < go_live:
        return f"lies before the campus went live ({go_live.isoformat()})"
    max_age = int(campus.get("received_at_max_age_days", DEFAULT_RECEIVED_MAX_AGE_DAYS))
    if received_at < now - timedelta(days=max_age):
        return f"lies more than {max_age} days in the past"
    return None


class Complainant(Schema):
    class Meta:
        unknown = RAISE

    name = Text(validate=validate.Length(max=200))
    phone = fields.Phone()
    email = fields.Email(validate=validate.Length(max=254))
    relation = Text(validate=validate.Length(max=50))
    postal_address = fields.text(required=False, max_length=500)  # where a letter goes (sealed like the rest)


class Patient(Schema):
    class Meta:
        unknown = RAISE

    name = Text(validate=validate.Length(max=200))
    mrn = Text(validate=validate.Length(min=1, max=64))


class Referral(Schema):
    """An authority referral (CONTRACT §10): who passed the complaint on, their reference, their reply date."""

    class Meta:
        unknown = RAISE

    referrer = fields.text(required=True, max_length=200)
    reference = fields.text(required=True, max_length=100)
    reply_due = catalogue.IsoDate(
        required=True, metadata={"description": "the date the referrer wants the reply by (24:00 local time)"}
    )


def referral_problems(data: dict[str, Any], campus: dict[str, Any] | None, now: datetime) -> dict[str, list[str]]:
    """A referral only with (and always with) the source authority_referral; its reply date not before the
    day of receipt in the campus's calendar."""
    referral, source = data.get("referral"), data.get("source")
    if source == domain.AUTHORITY_REFERRAL and referral is None:
        return {"referral": ["required for the source authority_referral"]}
    if source != domain.AUTHORITY_REFERRAL and referral is not None:
        return {"referral": ["only for the source authority_referral"]}
    if referral is None or campus is None:
        return {}
    received = (data.get("received_at") or now).astimezone(ZoneInfo(campus["timezone"])).date()
    if referral["reply_due"] < received:
        return {"referral.reply_due": [f"lies before the day of receipt ({received.isoformat()})"]}
    return {}


class NewComplaint(fields.HospitalSchema, CommandSchema):
    """``POST /complaints``. Whether the departments exist on that campus is checked against the hospital's
    configuration."""

    command = domain.Register

    campus = fields.campus_code(required=True)
    channel = Text(required=True, validate=validate.OneOf(catalogue.CHANNELS))
    category = Text(required=True, validate=validate.OneOf(catalogue.CATEGORIES))
    severity = Text(required=True, validate=validate.OneOf(catalogue.SEVERITIES))
    source = Text(required=True, validate=validate.OneOf(catalogue.SOURCES))
    summary = fields.text(required=True, max_length=10000)
    departments = mm.List(fields.department_code(), load_default=list)
    received_at = fields.DateTime(
        load_default=None,
        allow_none=True,
        metadata={
            "description": (
                "RFC 3339 with offset; defaults to now. Not before the campus's go-live date, nor more than its"
                " configured number of days ago (default 1095), nor more than 5 minutes ahead"
            )
        },
    )
    received_by = fields.ident()
    receiving_department = fields.department_code()
    complainant = mm.Nested(Complainant, load_default=None, allow_none=True)
    patient = mm.Nested(Patient, load_default=None, allow_none=True)
    anonymous = fields.StrictBoolean(load_default=False)
    desired_outcome = Text(validate=validate.Length(max=4000))
    representatives = mm.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=domain.MAX_REPRESENTATIVES),
        metadata={"description": "a group complaint's number of representatives: 1 to 5 (办法 ≈ art. 21)"},
    )
    kind = Text(
        load_default=domain.COMPLAINT,
        validate=validate.OneOf(catalogue.COMPLAINT_KINDS),
        metadata={"description": "complaint (default), suggestion or compliment: only complaints are investigated"},
    )
    referral = mm.Nested(
        Referral,
        load_default=None,
        metadata={"description": "required with, and only with, the source authority_referral"},
    )

    def __init__(self, hospital: Hospital, now: datetime | None = None, **kwargs: Any):
        super().__init__(hospital, **kwargs)
        self.now = now

    @validates_schema
    def check_hospital(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        campus = data.get("campus")
        if campus in self.hospital.campuses:
            known = set(self.hospital.departments(campus))
            unknown = [d for d in data.get("departments", []) if d not in known]
            if unknown:
                errors["departments"] = [f"unknown department(s) on {campus}: {', '.join(unknown)}"]
            if len(set(data.get("departments", []))) != len(data.get("departments", [])):
                errors.setdefault("departments", []).append("a department is listed twice")
            if data.get("receiving_department") and data["receiving_department"] not in known:
                errors["receiving_department"] = [f"unknown department on {campus}"]
        received_at = data.get("received_at")
        if received_at is not None:
            problem = received_at_problem(
                received_at, self.now or datetime.now(UTC), self.hospital.campuses.get(campus)
            )
            if problem:
                errors["received_at"] = [problem]
        if data.get("anonymous") and data.get("complainant"):
            errors["complainant"] = ["an anonymous complaint carries no complainant details"]
        errors.update(referral_problems(data, self.hospital.campuses.get(campus), self.now or datetime.now(UTC)))
        if errors:
            raise ValidationError(errors)


class ComplaintsQuery(fields.HospitalSchema, CommandSchema):
    """``GET /complaints?campus=&status=&q=&limit=``; ``campus`` matches every campus a complaint concerns."""

    command = queries.ComplaintsFilter

    campus = fields.campus_code()
    status = Text(validate=validate.OneOf(domain.STATUSES))
    limit = mm.Integer(load_default=LIST_DEFAULT, validate=validate.Range(min=1, max=LIST_MAX))
    q = fields.text(
        max_length=search_terms.MAX_QUERY,
        metadata={
            "description": "find complaints by reference, phone number, e-mail, complainant's or patient's name"
            " or MRN: the whole value, however spaced or cased (each listed complaint says which `matched`)"
        },
    )


class ProcedureQuery(fields.HospitalSchema, CommandSchema):
    """``GET /public/complaint-procedure?campus=&lang=`` (no token): ``lang`` defaults to the campus's."""

    command = procedure.Wanted

    campus = fields.campus_code(required=True)
    lang = Text(validate=validate.OneOf(procedure.LANGUAGES))


class AttachmentQuery(CommandSchema):
    """``POST /complaints/<id>/attachments?name=``: the file's name (or ``Content-Disposition``'s filename;
    its rules are media.file_name's, which names ``name`` in a 400)."""

    command = media.Named

    name = mm.String(metadata={"description": "the file's name, e.g. 发票.pdf (else Content-Disposition's)"})


# --------------------------------------------------------------------------------------------
# Lifecycle actions. What needs the complaint itself (its campus, its time of receipt, whether a
# duplicate exists) is checked by the domain once the complaint is read; these check the shape.
# --------------------------------------------------------------------------------------------


def _text(required: bool = False) -> mm.Field:
    """Bounded text written by staff (recorded in the event, so bounded like every event text)."""
    return fields.text(required=required)


def _staff(required: bool = False) -> mm.Field:
    """Who took the action on the ground; defaults to the caller (the token's subject)."""
    return fields.ident(required=required, max_length=catalogue.ID_MAX)


class ResolveOnSpot(CommandSchema):
    """``POST /complaints/<id>/resolve-on-spot``."""

    command = domain.ResolveOnSpot

    class Meta:
        unknown = RAISE

    resolution = _text(required=True)
    resolved_by = _staff()
    resolved_at = fields.DateTime(load_default=None, allow_none=True)


class NotAccepted(CommandSchema):
    """``POST /complaints/<id>/not-accepted``. ``duplicate_of`` only with the reason duplicate (never null)."""

    command = domain.NotAccept

    class Meta:
        unknown = RAISE

    reason = Text(required=True, validate=validate.OneOf(catalogue.NOT_ACCEPTED_REASONS))
    route_advice = _text(required=True)
    decided_by = _staff()
    duplicate_of = catalogue.CanonicalUUID()

    @validates_schema
    def check_duplicate(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("reason") == "duplicate" and data.get("duplicate_of") is None:
            raise ValidationError("required when the reason is duplicate", "duplicate_of")
        if data.get("reason") not in (None, "duplicate") and data.get("duplicate_of") is not None:
            raise ValidationError("only for the reason duplicate", "duplicate_of")


class Withdraw(CommandSchema):
    """``POST /complaints/<id>/withdraw``."""

    command = domain.Withdraw

    class Meta:
        unknown = RAISE

    withdrawn_by = _staff()
    reason = _text()


class Reclassify(fields.HospitalSchema, CommandSchema):
    """``POST /complaints/<id>/reclassify``: any of the classification fields, which replace the old ones."""

    command = domain.Reclassify

    category = Text(validate=validate.OneOf(catalogue.CATEGORIES))
    severity = Text(validate=validate.OneOf(catalogue.SEVERITIES))
    departments = mm.List(fields.department_code(required=True), validate=catalogue.Unique())
    campuses = mm.List(fields.campus_code(required=True), validate=catalogue.Unique())
    note = _text()
    reclassified_by = _staff()

    @validates_schema
    def check_classification(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("campuses") == []:
            raise ValidationError("at least the complaint's own campus", "campuses")
        if not any(name in data for name in domain.CLASSIFICATION_FIELDS):
            raise ValidationError(f"give at least one of {', '.join(domain.CLASSIFICATION_FIELDS)}")


class Adopt(CommandSchema):
    """``POST /complaints/<id>/adopt``: a suggestion adopted (once)."""

    command = domain.Adopt

    class Meta:
        unknown = RAISE

    adopted_by = _staff()
    note = _text()


class CorrectContact(CommandSchema):
    """``POST /complaints/<id>/contact``: the complainant's corrected contact details. Only the fields given
    change; ``clear`` names fields to remove. The name is no contact detail: it is not corrected here."""

    command = domain.CorrectContact

    class Meta:
        unknown = RAISE

    phone = fields.Phone()
    email = fields.Email(validate=validate.Length(max=254))
    postal_address = fields.text(required=False, max_length=500)
    preferred_channel = Text(
        validate=validate.OneOf(domain.PREFERRED_CHANNELS),
        metadata={"description": "how the complainant prefers to be told; it must reach them"},
    )
    clear = mm.List(
        Text(validate=validate.OneOf(domain.CORRECTABLE)),
        validate=catalogue.Unique(),
        load_default=list,
        metadata={"description": "fields to remove (not also given)"},
    )

    @validates_schema
    def check_something_changes(self, data: dict[str, Any], **kwargs: Any) -> None:
        both = [name for name in data.get("clear", []) if data.get(name) is not None]
        if both:
            raise ValidationError("given and cleared at once", both[0])
        if not data.get("clear") and all(data.get(name) is None for name in domain.CORRECTABLE):
            raise ValidationError(f"give at least one of {', '.join(domain.CORRECTABLE)}, or clear")


class Erasure(CommandSchema):
    """``POST /complaints/<id>/erasure``: why (the lawful request it answers)."""

    command = domain.Erase

    class Meta:
        unknown = RAISE

    reason = _text(required=True)
