"""Intake's HTTP boundary: marshmallow schemas for requests and responses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.intake import domain
from shared import catalogue
from shared.config import Hospital

Text = fields.String


class Complainant(Schema):
    class Meta:
        unknown = RAISE

    name = Text(validate=validate.Length(max=200))
    phone = Text(validate=validate.Regexp(r"^\+?[0-9 ()-]{5,30}$", error="not a phone number"))
    email = fields.Email(validate=validate.Length(max=254))
    relation = Text(validate=validate.Length(max=50))


class Patient(Schema):
    class Meta:
        unknown = RAISE

    name = Text(validate=validate.Length(max=200))
    mrn = Text(validate=validate.Length(min=1, max=64))


class NewComplaint(Schema):
    """``POST /complaints``. Campus and departments are checked against the hospital's configuration."""

    class Meta:
        unknown = RAISE

    campus = Text(required=True)
    channel = Text(required=True, validate=validate.OneOf(catalogue.CHANNELS))
    category = Text(required=True, validate=validate.OneOf(catalogue.CATEGORIES))
    severity = Text(required=True, validate=validate.OneOf(catalogue.SEVERITIES))
    source = Text(required=True, validate=validate.OneOf(catalogue.SOURCES))
    summary = Text(required=True, validate=validate.Length(min=1, max=10000))
    departments = fields.List(Text(), load_default=list)
    received_at = fields.AwareDateTime(load_default=None, allow_none=True)
    received_by = Text(validate=validate.Length(min=1, max=64))
    receiving_department = Text(validate=validate.Length(min=1, max=64))
    complainant = fields.Nested(Complainant, load_default=None, allow_none=True)
    patient = fields.Nested(Patient, load_default=None, allow_none=True)
    anonymous = fields.Boolean(load_default=False)
    desired_outcome = Text(validate=validate.Length(max=4000))

    def __init__(self, hospital: Hospital, now: datetime | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.hospital = hospital
        self.now = now

    @validates_schema
    def check_hospital(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        campus = data.get("campus")
        if campus not in self.hospital.campuses:
            errors["campus"] = [f"unknown campus; one of {', '.join(sorted(self.hospital.campuses))}"]
        else:
            known = set(self.hospital.departments(campus))
            unknown = [d for d in data.get("departments", []) if d not in known]
            if unknown:
                errors["departments"] = [f"unknown department(s) on {campus}: {', '.join(unknown)}"]
            if len(set(data.get("departments", []))) != len(data.get("departments", [])):
                errors.setdefault("departments", []).append("a department is listed twice")
            if data.get("receiving_department") and data["receiving_department"] not in known:
                errors["receiving_department"] = [f"unknown department on {campus}"]
        now = self.now or datetime.now(UTC)
        received_at = data.get("received_at")
        if received_at is not None and received_at > now + timedelta(minutes=5):
            errors["received_at"] = ["lies in the future"]
        if data.get("anonymous") and data.get("complainant"):
            errors["complainant"] = ["an anonymous complaint carries no complainant details"]
        if errors:
            raise ValidationError(errors)


class ComplaintsQuery(Schema):
    """``GET /complaints?campus=&status=&limit=``; ``campus`` matches every campus a complaint concerns."""

    class Meta:
        unknown = RAISE

    campus = Text()
    status = Text(validate=validate.OneOf(domain.STATUSES))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))

    def __init__(self, hospital: Hospital, **kwargs: Any):
        super().__init__(**kwargs)
        self.hospital = hospital

    @validates_schema
    def check_campus(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "campus" in data and data["campus"] not in self.hospital.campuses:
            raise ValidationError(f"unknown campus; one of {', '.join(sorted(self.hospital.campuses))}", "campus")


# --------------------------------------------------------------------------------------------
# Lifecycle actions. What needs the complaint itself (its campus, its time of receipt, whether a
# duplicate exists) is checked by the domain once the complaint is read; these check the shape.
# --------------------------------------------------------------------------------------------


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be blank")


def _text(required: bool = False) -> fields.Field:
    """Bounded text written by staff (recorded in the event, so bounded like every event text)."""
    return Text(required=required, validate=[validate.Length(min=1, max=catalogue.TEXT_MAX), _not_blank])


def _staff(required: bool = False) -> fields.Field:
    """Who took the action on the ground; defaults to the caller (the token's subject)."""
    return Text(required=required, validate=[validate.Length(min=1, max=catalogue.ID_MAX), _not_blank])


class ResolveOnSpot(Schema):
    """``POST /complaints/<id>/resolve-on-spot``."""

    class Meta:
        unknown = RAISE

    resolution = _text(required=True)
    resolved_by = _staff()
    resolved_at = catalogue.UtcDateTime(load_default=None, allow_none=True)


class NotAccepted(Schema):
    """``POST /complaints/<id>/not-accepted``."""

    class Meta:
        unknown = RAISE

    reason = Text(required=True, validate=validate.OneOf(catalogue.NOT_ACCEPTED_REASONS))
    route_advice = _text(required=True)
    decided_by = _staff()
    duplicate_of = catalogue.CanonicalUUID(load_default=None, allow_none=True)

    @validates_schema
    def check_duplicate(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("reason") == "duplicate" and data.get("duplicate_of") is None:
            raise ValidationError("required when the reason is duplicate", "duplicate_of")
        if data.get("reason") not in (None, "duplicate") and data.get("duplicate_of") is not None:
            raise ValidationError("only for the reason duplicate", "duplicate_of")


class Withdraw(Schema):
    """``POST /complaints/<id>/withdraw``."""

    class Meta:
        unknown = RAISE

    withdrawn_by = _staff()
    reason = _text()


def _codes() -> fields.Field:
    return fields.List(Text(validate=validate.Length(min=1, max=catalogue.CODE_MAX)), validate=catalogue.Unique())


class Reclassify(Schema):
    """``POST /complaints/<id>/reclassify``: any of the classification fields, which replace the old ones."""

    class Meta:
        unknown = RAISE

    category = Text(validate=validate.OneOf(catalogue.CATEGORIES))
    severity = Text(validate=validate.OneOf(catalogue.SEVERITIES))
    departments = _codes()
    campuses = _codes()
    note = _text()
    reclassified_by = _staff()

    def __init__(self, hospital: Hospital, **kwargs: Any):
        super().__init__(**kwargs)
        self.hospital = hospital

    @validates_schema
    def check_classification(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        campuses = data.get("campuses")
        if campuses is not None:
            unknown = [c for c in campuses if c not in self.hospital.campuses]
            if unknown:
                errors["campuses"] = [f"unknown campus(es): {', '.join(unknown)}; known:"
                                      f" {', '.join(sorted(self.hospital.campuses))}"]
            elif not campuses:
                errors["campuses"] = ["at least the complaint's own campus"]
        departments = data.get("departments")
        if departments is not None:
            known = {d for campus in self.hospital.campuses for d in self.hospital.departments(campus)}
            unknown = [d for d in departments if d not in known]
            if unknown:
                errors["departments"] = [f"unknown department(s): {', '.join(unknown)}"]
        if errors:
            raise ValidationError(errors)
        if not any(name in data for name in domain.CLASSIFICATION_FIELDS):
            raise ValidationError(f"give at least one of {', '.join(domain.CLASSIFICATION_FIELDS)}")


class Erasure(Schema):
    """``POST /complaints/<id>/erasure``: why (the lawful request it answers)."""

    class Meta:
        unknown = RAISE

    reason = Text(required=True, validate=[validate.Length(min=1, max=catalogue.TEXT_MAX), _not_blank])
