"""Investigation's HTTP boundary: one marshmallow schema per action."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from shared import catalogue


def text(required: bool = True) -> fields.String:
    return fields.String(required=required, validate=validate.Length(1, catalogue.TEXT_MAX))


class Strict(Schema):
    class Meta:
        unknown = RAISE


class Departments(Strict):
    """Checked against the campus's departments by the caller (the campus is the case's)."""

    departments = fields.List(fields.String(validate=validate.Length(1, 64)), required=True,
                              validate=validate.Length(min=1))

    @validates_schema
    def no_repeats(self, data: dict[str, Any], **kwargs: Any) -> None:
        if len(set(data.get("departments", []))) != len(data.get("departments", [])):
            raise ValidationError({"departments": ["a department is listed twice"]})


class ExtensionRequest(Strict):
    department = fields.String(required=True, validate=validate.Length(1, 64))
    reason = text()
    requested_days = fields.Integer(required=True, strict=True, validate=validate.Range(1, 30))


class ExtensionDecision(Strict):
    granted = fields.Boolean(required=True, truthy={True}, falsy={False})
    note = text(required=False)


class Findings(Strict):
    department = fields.String(required=True, validate=validate.Length(1, 64))
    substantiated = fields.String(required=True, validate=validate.OneOf(catalogue.SUBSTANTIATED))
    summary = text()
    signed_off_by = fields.String(required=True, validate=validate.Length(1, 64),
                                  metadata={"description": "staff id of the head of department"})


class Escalation(Strict):
    reason = text()


class Reply(Strict):
    contact_person = fields.String(required=True, validate=validate.Length(1, 64))
    actions_taken = text()
    result = text()
    channel_preference = fields.String(validate=validate.OneOf(catalogue.NOTIFICATION_CHANNELS))


class Rectification(Strict):
    department = fields.String(required=True, validate=validate.Length(1, 64))
    description = text()
    due_in_working_days = fields.Integer(strict=True, validate=validate.Range(1, 250))


class RectificationDone(Strict):
    note = text(required=False)


class FollowUp(Strict):
    satisfied = fields.Boolean(required=True, truthy={True}, falsy={False})
    note = text(required=False)


class Close(Strict):
    outcome = text(required=False)


class Reopen(Strict):
    reason = fields.String(required=True, validate=validate.OneOf(("new_facts", "new_evidence")))
    note = text(required=False)


class Dispute(Strict):
    route = fields.String(required=True, validate=validate.OneOf(catalogue.DISPUTE_ROUTES))
    note = text(required=False)


class Settlement(Strict):
    compensation_amount = fields.Decimal(required=True, places=2, as_string=True,
                                         validate=validate.Range(min=0, max=100_000_000))
    currency = fields.String(load_default="CNY", validate=validate.Regexp(r"^[A-Z]{3}$"))


class CasesQuery(Strict):
    campus = fields.String()
    department = fields.String()
    status = fields.String(validate=validate.OneOf(("open", "replied", "closed", "resolved_on_spot", "not_accepted",
                                                    "withdrawn")))
    overdue = fields.Boolean(truthy={"true", "1"}, falsy={"false", "0"})
    provisional = fields.Boolean(truthy={"true", "1"}, falsy={"false", "0"})
    limit = fields.Integer(load_default=200, validate=validate.Range(1, 1000))
