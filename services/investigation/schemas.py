"""Investigation's HTTP boundary: one marshmallow schema per action, loading into its typed command (a frozen
dataclass the domain's ``decide_*`` takes). Field types and the rules on text and codes are shared/fields.py's
(the same for every service and its published OpenAPI).

Ids the caller does not send (a path's ``extension_id``, the new ``reply_id``) default to ``""`` and are set
by the entrypoint with ``dataclasses.replace`` before the command reaches the domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from marshmallow import RAISE, ValidationError, validate, validates_schema
from marshmallow import fields as mm

from services.investigation import saved_views
from shared import catalogue, fields
from shared.commands import CommandSchema

# -- the commands ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignDepartments:
    departments: list[str]


@dataclass(frozen=True)
class RequestExtension:
    department: str
    reason: str
    requested_days: int
    extension_id: str = ""  # new


@dataclass(frozen=True)
class DecideExtension:
    granted: bool
    note: str | None = None
    extension_id: str = ""  # from the path


@dataclass(frozen=True)
class SubmitFindings:
    department: str
    substantiated: str
    summary: str
    signed_off_by: str
    staff_involved: tuple[str, ...] = ()  # opaque staff ids, for the appraisal figures (CONTRACT §9)


@dataclass(frozen=True)
class Escalate:
    reason: str


@dataclass(frozen=True)
class IssueReply:
    contact_person: str
    actions_taken: str
    result: str
    channel_preference: str | None = None
    reply_id: str = ""  # new
    delivered_at: datetime | None = None  # phone / in_person: when the office gave it
    delivered_by: str | None = None  # phone / in_person: the staff member who gave it


@dataclass(frozen=True)
class IssueFeedback:
    contact_person: str
    progress: str
    next_steps: str
    expected_reply_by: date | None = None
    channel_preference: str | None = None
    feedback_id: str = ""  # new
    delivered_at: datetime | None = None
    delivered_by: str | None = None


@dataclass(frozen=True)
class OrderRectification:
    department: str
    description: str
    due_in_working_days: int | None = None  # the campus policy's default when not given
    rectification_id: str = ""  # new


@dataclass(frozen=True)
class CompleteRectification:
    note: str | None = None
    rectification_id: str = ""  # from the path


@dataclass(frozen=True)
class RecordFollowUp:
    satisfied: bool
    note: str | None = None


@dataclass(frozen=True)
class RecordReferrerReply:
    """``POST /cases/<id>/referrer-reply``: the reply given to the authority that referred the complaint."""

    summary: str
    answered_by: str | None = None  # None: the caller
    answered_at: datetime | None = None  # None: now


@dataclass(frozen=True)
class CloseCase:
    outcome: str | None = None


@dataclass(frozen=True)
class ReopenCase:
    reason: str
    note: str | None = None


@dataclass(frozen=True)
class RecordDispute:
    route: str
    note: str | None = None
    dispute_id: str = ""  # new
    major: bool = False  # reported to the health authority (CONTRACT §8; disputes.py)
    recorded_at: datetime | None = None  # when the dispute arose, if not now


@dataclass(frozen=True)
class SettleDispute:
    compensation_amount: Decimal
    currency: str = "CNY"
    dispute_id: str = ""  # from the path


@dataclass(frozen=True)
class CaseFilter:
    """GET /cases's query: each filter given narrows the list (``None``: not given)."""

    campus: str | None = None
    department: str | None = None
    status: str | None = None
    active: bool | None = None  # true: open or replied (the worklist's default); false: neither
    overdue: bool | None = None
    provisional: bool | None = None
    urgency: str | None = None  # overdue / due_soon / on_hold: a running deadline of the case is so
    deadlines: bool = False  # each case with its deadlines (the worklist's rows, without a read per case)
    view: str | None = None  # a saved view of the caller's role (saved_views.py): todo, due_week, ...
    limit: int = 200
    offset: int = 0  # paging, newest first


# -- the schemas ----------------------------------------------------------------------------------------------


def text(required: bool = True) -> fields.Text:
    return fields.text(required=required)


def staff(required: bool = True, description: str | None = None) -> fields.Text:
    metadata = {"description": description} if description else {}
    return fields.ident(required=required, metadata=metadata)


class Strict(CommandSchema):
    class Meta:
        unknown = RAISE


class Departments(fields.HospitalSchema, CommandSchema):
    """Checked against the departments of the case's campus when the assignment is decided (domain.py)."""

    command = AssignDepartments

    departments = mm.List(fields.department_code(required=True), required=True, validate=validate.Length(min=1))

    @validates_schema
    def no_repeats(self, data: dict[str, Any], **kwargs: Any) -> None:
        if len(set(data.get("departments", []))) != len(data.get("departments", [])):
            raise ValidationError({"departments": ["a department is listed twice"]})


class ExtensionRequest(fields.HospitalSchema, CommandSchema):
    command = RequestExtension
    department = fields.department_code(required=True)
    reason = text()
    requested_days = mm.Integer(required=True, strict=True, validate=validate.Range(1, 30))


class ExtensionDecision(Strict):
    command = DecideExtension
    granted = fields.StrictBoolean(required=True)
    note = text(required=False)


class Findings(fields.HospitalSchema, CommandSchema):
    command = SubmitFindings
    department = fields.department_code(required=True)
    substantiated = fields.Text(required=True, validate=validate.OneOf(catalogue.SUBSTANTIATED))
    summary = text()
    signed_off_by = staff(description="staff id of the head of department")
    staff_involved = mm.List(
        staff(),
        load_default=list,
        validate=[validate.Length(max=50), catalogue.Unique()],
        metadata={"description": "opaque ids of the staff the complaint concerns (appraisal; CONTRACT §9)"},
    )


class Escalation(Strict):
    command = Escalate
    reason = text()


class DeliveredByStaff(Strict):
    """A reply or feedback given by telephone or in person (CONTRACT §13) says when and by whom; nothing is sent."""

    channel_preference = fields.Text(validate=validate.OneOf(catalogue.NOTIFICATION_CHANNELS))
    delivered_at = fields.DateTime(
        metadata={"description": "phone / in_person (required then): when it was given; not in the future"}
    )
    delivered_by = staff(False, "phone / in_person (required then): staff id of who gave it")

    @validates_schema
    def delivered_when_and_by_whom(self, data: dict[str, Any], **kwargs: Any) -> None:
        problems: dict[str, list[str]] = {}
        by_staff = data.get("channel_preference") in catalogue.DELIVERED_BY_STAFF
        for name in ("delivered_at", "delivered_by"):
            if by_staff and data.get(name) is None:
                problems[name] = [f"required when the reply is given by {data['channel_preference']}"]
            elif not by_staff and data.get(name) is not None:
                problems[name] = ["only for a reply given by phone or in person (channel_preference)"]
        moment = data.get("delivered_at")
        if moment is not None and moment > datetime.now(UTC) + timedelta(minutes=5):
            problems.setdefault("delivered_at", []).append("lies in the future")
        if problems:
            raise ValidationError(problems)


class Reply(DeliveredByStaff):
    command = IssueReply
    contact_person = staff()
    actions_taken = text()
    result = text()


class Feedback(DeliveredByStaff):
    """Interim feedback (CONTRACT §7): what is being done, what comes next, by when."""

    command = IssueFeedback
    contact_person = staff()
    progress = text()
    next_steps = text()
    expected_reply_by = mm.Date(metadata={"description": "when the reply is expected (campus local date)"})


class Rectification(fields.HospitalSchema, CommandSchema):
    command = OrderRectification
    department = fields.department_code(required=True)
    description = text()
    due_in_working_days = mm.Integer(strict=True, validate=validate.Range(1, 250))


class RectificationDone(Strict):
    command = CompleteRectification
    note = text(required=False)


class FollowUp(Strict):
    command = RecordFollowUp
    satisfied = fields.StrictBoolean(required=True)
    note = text(required=False)


class ReferrerReply(Strict):
    command = RecordReferrerReply
    summary = text()
    answered_by = staff(required=False, description="who answered the referrer; defaults to the caller")
    answered_at = fields.DateTime(
        load_default=None, metadata={"description": "when the referrer was answered; defaults to now, never later"}
    )


class Close(Strict):
    command = CloseCase
    outcome = text(required=False)


class Reopen(Strict):
    command = ReopenCase
    reason = fields.Text(required=True, validate=validate.OneOf(("new_facts", "new_evidence")))
    note = text(required=False)


class Dispute(Strict):
    command = RecordDispute
    route = fields.Text(required=True, validate=validate.OneOf(catalogue.DISPUTE_ROUTES))
    note = text(required=False)
    major = fields.StrictBoolean(
        load_default=False, metadata={"description": "a death, serious harm or 3+ patients harmed (CONTRACT §8)"}
    )
    recorded_at = fields.DateTime(
        metadata={"description": "when the dispute arose, if earlier than now; the authority report counts from it"}
    )


class Settlement(Strict):
    command = SettleDispute
    compensation_amount = mm.Decimal(
        required=True, places=2, as_string=True, validate=validate.Range(min=0, max=100_000_000)
    )
    currency = fields.Text(load_default="CNY", validate=fields.FullMatch(r"[A-Z]{3}"))


class CasesQuery(fields.HospitalSchema, CommandSchema):
    command = CaseFilter
    campus = fields.campus_code()
    department = fields.department_code()
    status = fields.Text(
        validate=validate.OneOf(("open", "replied", "closed", "resolved_on_spot", "not_accepted", "withdrawn"))
    )
    active = mm.Boolean(truthy={"true", "1"}, falsy={"false", "0"})
    overdue = mm.Boolean(truthy={"true", "1"}, falsy={"false", "0"})
    provisional = mm.Boolean(truthy={"true", "1"}, falsy={"false", "0"})
    urgency = fields.Text(validate=validate.OneOf(("overdue", "due_soon", "on_hold")))
    deadlines = mm.Boolean(truthy={"true", "1"}, falsy={"false", "0"})
    view = fields.Text(
        validate=validate.OneOf(saved_views.ALL_VIEWS),
        metadata={"description": "a saved view of the caller's role (GET /cases/views lists them with counts)"},
    )
    limit = mm.Integer(load_default=200, validate=validate.Range(1, 1000))
    offset = mm.Integer(load_default=0, validate=validate.Range(0, 100_000))


# -- medical disputes' duties (CONTRACT §8; rules in disputes.py) -----------------------------------------------


@dataclass(frozen=True)
class ChangeDisputeRoute:
    route: str
    note: str | None = None
    dispute_id: str = ""  # from the path


@dataclass(frozen=True)
class ReportToAuthority:
    authority: str
    reported_at: datetime
    report_kind: str
    reference: str | None = None
    dispute_id: str = ""  # from the path
    report_id: str = ""  # new


@dataclass(frozen=True)
class SealRecords:
    items: list[str]
    sealed_at: datetime
    hospital_witness: str
    patient_side_present: bool
    list_signed_by_both: bool
    dispute_id: str | None = None  # not asked for yet: the case's seals serve its disputes
    seal_id: str = ""  # new


@dataclass(frozen=True)
class UnsealRecords:
    reason: str
    seal_id: str = ""  # from the path


@dataclass(frozen=True)
class ReportToPolice:
    reported_at: datetime
    reason: str
    reference: str | None = None
    police_report_id: str = ""  # new


class DisputeRoute(Strict):
    command = ChangeDisputeRoute
    route = fields.Text(required=True, validate=validate.OneOf(catalogue.DISPUTE_ROUTES))
    note = text(required=False)


class AuthorityReport(Strict):
    command = ReportToAuthority
    authority = text()
    reported_at = fields.DateTime(required=True)
    report_kind = fields.Text(required=True, validate=validate.OneOf(catalogue.AUTHORITY_REPORT_KINDS))
    reference = staff(required=False, description="the authority's or the hospital's reference of the report")


class Seal(Strict):
    command = SealRecords
    items = mm.List(fields.text(required=True, max_length=500), required=True, validate=validate.Length(min=1))
    sealed_at = fields.DateTime(required=True)
    hospital_witness = staff(description="staff id of the hospital's witness")
    patient_side_present = fields.StrictBoolean(required=True)
    list_signed_by_both = fields.StrictBoolean(required=True)


class Unseal(Strict):
    command = UnsealRecords
    reason = fields.Text(required=True, validate=validate.OneOf(catalogue.UNSEAL_REASONS))


class PoliceReport(Strict):
    command = ReportToPolice
    reported_at = fields.DateTime(required=True)
    reason = text()
    reference = staff(required=False, description="the police's reference (e.g. the case number)")
