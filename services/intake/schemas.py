"""Intake's HTTP boundary: marshmallow schemas for requests and responses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

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
    class Meta:
        unknown = RAISE

    campus = Text()
    status = Text()
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
