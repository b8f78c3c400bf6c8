"""Investigation's HTTP boundary: one marshmallow schema per action. Field types and the rules on text and
codes are shared/fields.py's (the same for every service and its published OpenAPI)."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, validate, validates_schema
from marshmallow import fields as mm

from shared import catalogue, fields


def text(required: bool = True) -> fields.Text:
    return fields.text(required=required)


def staff(required: bool = True, description: str | None = None) -> fields.Text:
    metadata = {"description": description} if description else {}
    return fields.ident(required=required, metadata=metadata)


class Strict(Schema):
    class Meta:
        unknown = RAISE


class Departments(fields.HospitalSchema):
    """Checked against the campus's departments by the caller (the campus is the case's)."""

    departments = mm.List(fields.department_code(required=True), required=True, validate=validate.Length(min=1))

    @validates_schema
    def no_repeats(self, data: dict[str, Any], **kwargs: Any) -> None:
        if len(set(data.get("departments", []))) != len(data.get("departments", [])):
            raise ValidationError({"departments": ["a department is listed twice"]})


class ExtensionRequest(fields.HospitalSchema):
    department = fields.department_code(required=True)
    reason = text()
    requested_days = mm.Integer(required=True, strict=True, validate=validate.Range(1, 30))


class ExtensionDecision(Strict):
    granted = fields.StrictBoolean(required=True)
    note = text(required=False)


class Findings(fields.HospitalSchema):
    department = fields.department_code(required=True)
    substantiated = fields.Text(required=True, validate=validate.OneOf(catalogue.SUBSTANTIATED))
    summary = text()
    signed_off_by = staff(description="staff id of the head of department")


class Escalation(Strict):
    reason = text()


class Reply(Strict):
    contact_person = staff()
    actions_taken = text()
    result = text()
    channel_preference = fields.Text(validate=validate.OneOf(catalogue.NOTIFICATION_CHANNELS))


class Rectification(fields.HospitalSchema):
    department = fields.department_code(required=True)
    description = text()
    due_in_working_days = mm.Integer(strict=True, validate=validate.Range(1, 250))


class RectificationDone(Strict):
    note = text(required=False)


class FollowUp(Strict):
    satisfied = fields.StrictBoolean(required=True)
    note = text(required=False)


class Close(Strict):
    outcome = text(required=False)


class Reopen(Strict):
    reason = fields.Text(required=True, validate=validate.OneOf(("new_facts", "new_evidence")))
    note = text(required=False)


class Dispute(Strict):
    route = fields.Text(required=True, validate=validate.OneOf(catalogue.DISPUTE_ROUTES))
    note = text(required=False)


class Settlement(Strict):
    compensation_amount = mm.Decimal(
        required=True, places=2, as_string=True, validate=validate.Range(min=0, max=100_000_000)
    )
    currency = fields.Text(load_default="CNY", validate=fields.FullMatch(r"[A-Z]{3}"))


class CasesQuery(fields.HospitalSchema):
    campus = fields.campus_code()
    department = fields.department_code()
    status = fields.Text(
        validate=validate.OneOf(("open", "replied", "closed", "resolved_on_spot", "not_accepted", "withdrawn"))
    )
    overdue = mm.Boolean(truthy={"true", "1"}, falsy={"false", "0"})
    provisional = mm.Boolean(truthy={"true", "1"}, falsy={"false", "0"})
    limit = mm.Integer(load_default=200, validate=validate.Range(1, 1000))
