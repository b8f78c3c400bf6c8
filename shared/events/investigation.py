"""The event types investigation publishes (CONTRACT §3): the case opened, its deadlines due, rescheduled,
extended and breached, findings, escalation, the reply, rectifications, follow-up, reopening, closing and
disputes; and investigation's own record of what intake's and notification's events did to a case."""

from __future__ import annotations

from marshmallow import fields, validate

from shared.events.fields import (
    REFERENCE_MAX,
    AuthorityReportDeadline,
    Classification,
    Deadline,
    EventType,
    FirstReplyDeadline,
    FullMatch,
    InvestigationDeadline,
    RectificationDeadline,
    StatutoryFeedbackDeadline,
    StrictSchema,
    WithCampuses,
    campus_optional,
    choice,
    code,
    codes,
    count,
    day,
    declare,
    field_options,
    flag,
    ident,
    idents,
    money,
    obj,
    objs,
    text,
    uuid_field,
    when,
)
from shared.events.vocabularies import (
    AUTHORITY_REPORT_KINDS,
    CASE_END_REASONS,
    CATEGORIES,
    DISPUTE_ROUTES,
    ESCALATION_TARGETS,
    INVESTIGATION,
    NOTIFICATION_CHANNELS,
    REOPEN_REASONS,
    REPLY_KINDS,
    RESCHEDULE_REASONS,
    ROLES,
    SEVERITIES,
    SOURCES,
    STATUTORY_FEEDBACK_MET,
    SUBSTANTIATED,
    UNSEAL_REASONS,
)


class _ExtensionDecision(StrictSchema):
    """What granting and refusing an extension both state."""

    campus = campus_optional()
    extension_id = uuid_field()
    department = code()
    decided_at = when()
    note = text(required=False)


class _CausedBy(StrictSchema):
    """Investigation's record of another service's event: which one caused the change to the case."""

    campus = campus_optional()
    cause_id = uuid_field(description="id of the other service's event that caused this change")


#: in contract order
TYPES: tuple[EventType, ...] = (
    declare(
        INVESTIGATION,
        "InvestigationOpened",
        "The office opened the case and its deadlines.",
        WithCampuses,
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
            **field_options(False, "the complaint's reference (on the case's first opening)"),
        ),
        has_contact=flag(required=False, description="the complainant can be contacted (on the case's first opening)"),
        statutory_feedback=obj(
            StatutoryFeedbackDeadline,
            required=False,
            description="the statutory feedback deadline (CONTRACT §7; on the case's first opening)",
        ),
    ),
    declare(
        INVESTIGATION,
        "InvestigationDue",
        "A deadline falls due in one working day.",
        campus=campus_optional(),
        deadline=obj(Deadline),
        reminder_for_role=choice(ROLES),
    ),
    declare(
        INVESTIGATION,
        "DeadlineRescheduled",
        "A deadline was recomputed (e.g. a provisional one confirmed).",
        campus=campus_optional(),
        previous=obj(Deadline),
        current=obj(Deadline),
        reason=choice(RESCHEDULE_REASONS),
        note=text(required=False),
    ),
    declare(
        INVESTIGATION,
        "ExtensionRequested",
        "A department asked for more time before its deadline passed.",
        campus=campus_optional(),
        extension_id=uuid_field(),
        department=code(),
        reason=text(min_length=1, description="the written reason"),
        requested_days=count(1, 365, description="extra working days asked for"),
        requested_at=when(),
        deadline=obj(Deadline, description="the deadline the extension is asked against"),
    ),
    declare(
        INVESTIGATION,
        "ExtensionGranted",
        "The office granted an extension.",
        _ExtensionDecision,
        deadline=obj(Deadline, description="the new, extended deadline"),
    ),
    declare(INVESTIGATION, "ExtensionRefused", "The office refused an extension.", _ExtensionDecision),
    declare(
        INVESTIGATION,
        "FindingsSubmitted",
        "A department submitted its written findings.",
        campus=campus_optional(),
        department=code(),
        substantiated=choice(SUBSTANTIATED),
        summary=text(min_length=1),
        signed_off_by=ident(description="staff id of the head of department"),
        submitted_at=when(),
        on_time=flag(),
        staff_involved=idents(
            required=False, description="opaque ids of the staff the complaint concerns (for appraisal only)"
        ),
    ),
    declare(
        INVESTIGATION,
        "DeadlineBreached",
        "A deadline passed unmet (emitted once per deadline).",
        campus=campus_optional(),
        deadline=obj(Deadline),
        breached_at=when(),
    ),
    declare(
        INVESTIGATION,
        "DeadlineBreachWithdrawn",
        "A breach of a provisional deadline withdrawn: the official calendar shows it was not yet due. The "
        "deadline runs again, corrected; statistics no longer count the breach (emitted once per breach).",
        campus=campus_optional(),
        deadline=obj(Deadline, description="the deadline as it was breached (provisional)"),
        current=obj(Deadline, description="the corrected deadline, running again"),
        breached_at=when(description="the breached_at of the DeadlineBreached withdrawn"),
        withdrawn_at=when(),
        reason=choice(("calendar_updated",), description="why the breach no longer stands"),
    ),
    declare(
        INVESTIGATION,
        "ComplaintEscalated",
        "The complaint was escalated to the leadership group.",
        campus=code(),
        severity=choice(SEVERITIES),
        reason=text(
            min_length=1,
            description='free text; "breach_unresolved": a breached deadline still unmet (the escalation ladder)',
        ),
        escalated_at=when(),
        to=choice(ESCALATION_TARGETS, load_default="leadership_group"),
        deadline=obj(Deadline, required=False, description="for breach_unresolved: the deadline still unmet"),
    ),
    declare(
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
        statutory_feedback_met=choice(
            STATUTORY_FEEDBACK_MET,
            required=False,
            description="this event met the statutory feedback clock: delivered, or issued with nobody to tell",
        ),
    ),
    declare(
        INVESTIGATION,
        "RectificationOrdered",
        "A department was ordered to rectify.",
        campus=campus_optional(),
        rectification_id=uuid_field(),
        department=code(),
        description=text(min_length=1),
        due=obj(RectificationDeadline),
        ordered_at=when(),
    ),
    declare(
        INVESTIGATION,
        "RectificationCompleted",
        "A department completed a rectification.",
        campus=campus_optional(),
        rectification_id=uuid_field(),
        department=code(),
        completed_at=when(),
        on_time=flag(),
        note=text(required=False),
    ),
    declare(
        INVESTIGATION,
        "FollowUpRecorded",
        "The office recorded the complainant's satisfaction.",
        campus=campus_optional(),
        satisfied=flag(),
        recorded_at=when(),
        note=text(required=False),
    ),
    declare(
        INVESTIGATION,
        "ComplaintReopened",
        "A closed or not-accepted complaint was reopened.",
        campus=campus_optional(),
        reason=choice(REOPEN_REASONS),
        reopened_at=when(),
        note=text(required=False),
        first_reply=obj(FirstReplyDeadline, required=False, description="the new first-reply deadline"),
    ),
    declare(
        INVESTIGATION,
        "ComplaintClosed",
        "The case was closed.",
        campus=campus_optional(),
        closed_at=when(),
        outcome=text(required=False),
    ),
    declare(
        INVESTIGATION,
        "DisputeRecorded",
        "A medical dispute arising from the complaint was recorded.",
        campus=campus_optional(),
        dispute_id=uuid_field(),
        route=choice(DISPUTE_ROUTES),
        recorded_at=when(),
        note=text(required=False),
        major=flag(required=False, description="a major dispute: reported to the health authority (CONTRACT §8)"),
        authority_report=obj(
            AuthorityReportDeadline, required=False, description="for a major dispute: the report's deadline"
        ),
    ),
    declare(
        INVESTIGATION,
        "DisputeSettled",
        "A medical dispute was settled.",
        campus=campus_optional(),
        dispute_id=uuid_field(),
        route=choice(DISPUTE_ROUTES),
        settled_at=when(),
        compensation_amount=money(description='compensation paid, >= 0, e.g. "1200.00"'),
        currency=fields.String(
            validate=FullMatch(r"[A-Z]{3}"), load_default="CNY", metadata={"description": "ISO 4217 code"}
        ),
    ),
    # CONTRACT §7 and §8 (2026-12): interim feedback, and a dispute's duties.
    declare(
        INVESTIGATION,
        "InterimFeedbackIssued",
        "The office issued interim feedback to the complainant (what is being done, what comes next, by when).",
        campus=code(),
        feedback_id=uuid_field(description="notification's ReplySent for it carries this id as reply_id"),
        contact_person=ident(description="staff id of the office contact named in the feedback"),
        progress=text(min_length=1),
        next_steps=text(min_length=1),
        expected_reply_by=day(required=False),
        channel_preference=choice(NOTIFICATION_CHANNELS, required=False),
        issued_at=when(),
        statutory_feedback_met=choice(
            STATUTORY_FEEDBACK_MET,
            required=False,
            description="this event met the statutory feedback clock: delivered, or issued with nobody to tell",
        ),
    ),
    declare(
        INVESTIGATION,
        "DisputeRouteChanged",
        "A dispute moved to another route (e.g. from negotiation to people's mediation).",
        campus=campus_optional(),
        dispute_id=uuid_field(),
        previous=choice(DISPUTE_ROUTES),
        route=choice(DISPUTE_ROUTES),
        changed_at=when(),
        note=text(required=False),
    ),
    declare(
        INVESTIGATION,
        "DisputeReportedToAuthority",
        "A major dispute was reported to the health authority (the initial report meets its deadline).",
        campus=campus_optional(),
        dispute_id=uuid_field(),
        report_id=uuid_field(),
        authority=text(min_length=1),
        report_kind=choice(AUTHORITY_REPORT_KINDS),
        reported_at=when(),
        reference=text(required=False),
        on_time=flag(required=False, description="for the initial report: within the authority_report deadline"),
    ),
    declare(
        INVESTIGATION,
        "RecordsSealed",
        "Medical records or physical evidence were sealed (both sides present, the list signed).",
        campus=campus_optional(),
        seal_id=uuid_field(),
        items=fields.List(
            fields.String(validate=validate.Length(1, 500)),
            required=True,
            validate=validate.Length(min=1),
            metadata={"description": "what was sealed: record sections or physical evidence"},
        ),
        sealed_at=when(),
        hospital_witness=ident(description="staff id of the hospital's witness"),
        patient_side_present=flag(),
        list_signed_by_both=flag(),
        dispute_id=uuid_field(required=False),
    ),
    declare(
        INVESTIGATION,
        "RecordsUnsealed",
        "Sealed records were unsealed (jointly, or by the hospital after settlement or 3 years with no claim).",
        campus=campus_optional(),
        seal_id=uuid_field(),
        reason=choice(UNSEAL_REASONS),
        unsealed_at=when(),
    ),
    declare(
        INVESTIGATION,
        "PoliceNotified",
        "The police were notified (extreme behaviour or a likely criminal matter).",
        campus=campus_optional(),
        police_report_id=uuid_field(),
        reported_at=when(),
        reason=text(min_length=1),
        reference=text(required=False),
    ),
    # Investigation's own record of what intake's and notification's events did to a case, so that the
    # case can be rebuilt from investigation's log alone (``python -m shared.replay investigation --check``).
    declare(
        INVESTIGATION,
        "CaseEnded",
        "Intake ended the complaint (resolved on the spot, not accepted, withdrawn): the case ends and its clocks "
        "stop.",
        _CausedBy,
        reason=choice(CASE_END_REASONS, description="how intake ended the complaint"),
        ended_at=when(description="when intake ended it (the time stated in intake's event)"),
    ),
    declare(
        INVESTIGATION,
        "CaseReclassified",
        "Intake reclassified the complaint: the case takes the new classification.",
        _CausedBy,
        previous=obj(Classification),
        current=obj(Classification),
        reclassified_at=when(),
    ),
    declare(
        INVESTIGATION,
        "ReplyDeliveryRecorded",
        "A reply of this round reached the complainant (notification's ReplySent): the first-reply clock is met.",
        _CausedBy,
        reply_id=uuid_field(),
        sent_at=when(),
        reply_kind=choice(REPLY_KINDS, required=False, description='"interim": an interim feedback was delivered'),
        statutory_feedback_met=choice(
            STATUTORY_FEEDBACK_MET,
            required=False,
            description="this event met the statutory feedback clock: delivered, or issued with nobody to tell",
        ),
    ),
    declare(
        INVESTIGATION,
        "ReplyDeliveryFailed",
        "A reply of this round could not be delivered (notification's NotificationFailed).",
        _CausedBy,
        reply_id=uuid_field(),
        failed_at=when(),
    ),
)
