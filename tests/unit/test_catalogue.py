"""The event catalogue against CONTRACT §2/§3: registration, validation, JSON Schema."""

from __future__ import annotations

import copy
import json
import re
from datetime import date, datetime
from typing import Any

import pytest
from marshmallow import Schema, ValidationError, fields

from shared import catalogue, events
from shared.events import intake, investigation, jsonschema, notification

# --------------------------------------------------------------------------------------------
# CONTRACT §3, written out literally
# --------------------------------------------------------------------------------------------

CONTRACT_TYPES: dict[str, list[str]] = {
    "intake": [
        "ComplaintReceived",
        "ComplaintResolvedOnSpot",
        "ComplaintNotAccepted",
        "ComplaintWithdrawn",
        "ComplaintReclassified",
        # added by issue 13 (event-sourced for real): intake records what changed its state besides its commands
        "ComplaintStatusFollowed",
        "PersonalDataErased",
        # CONTRACT §9/§11 (issue 16): evidence added to the complaint's file
        "AttachmentAdded",
        # CONTRACT §10/§11 (issue 17)
        "SuggestionAdopted",
        # issue 18 item 9: the complainant's contact details corrected (which fields, never their values)
        "ContactDetailsCorrected",
    ],
    "investigation": [
        "InvestigationOpened",
        "InvestigationDue",
        "DeadlineRescheduled",
        "ExtensionRequested",
        "ExtensionGranted",
        "ExtensionRefused",
        "FindingsSubmitted",
        "DeadlineBreached",
        "DeadlineBreachWithdrawn",  # added by issue 12 (the contract grows by adding)
        "ComplaintEscalated",
        "ReplyIssued",
        "RectificationOrdered",
        "RectificationCompleted",
        "FollowUpRecorded",
        "ComplaintReopened",
        "ComplaintClosed",
        "DisputeRecorded",
        "DisputeSettled",
        # CONTRACT §11 (2026-12)
        "InterimFeedbackIssued",
        "DisputeRouteChanged",
        "DisputeReportedToAuthority",
        "RecordsSealed",
        "RecordsUnsealed",
        "PoliceNotified",
        # added by issue 13 (event-sourced for real): investigation records what others' events did to a case
        "CaseEnded",
        "CaseReclassified",
        "ReplyDeliveryRecorded",
        "ReplyDeliveryFailed",
        # issue 17: the reply to an authority referral (CONTRACT §10 names no event for it)
        "ReferrerReplied",
        # issue 18 item 9: the case follows intake's ContactDetailsCorrected (whether anything reaches them)
        "CaseContactChanged",
    ],
    "notification": ["ReplySent", "ReminderSent", "NotificationFailed"],
}
ALL_TYPES = [name for names in CONTRACT_TYPES.values() for name in names]

# --------------------------------------------------------------------------------------------
# One realistic example per type, written in normalised form (what validate_data returns)
# --------------------------------------------------------------------------------------------

CID = "5b0f6f7e-2c1d-4e8a-9b3f-0d6c2a7e9f11"
OFFICER = {"id": "staff-east-0031", "role": "complaint_officer"}
SYSTEM = {"id": "investigation", "role": "system"}

FIRST_REPLY = {  # received Mon 2026-03-02 (east); two departments -> 10 working days
    "kind": "first_reply",
    "department": None,
    "due_at": "2026-03-16T16:00:00Z",
    "last_day": "2026-03-16",
    "provisional": False,
    "calendar_version": "chinesecalendar-1.11.0+east-4",
    "policy_version": "east-2026-01",
    "working_days": 10,
}
INV_CARDIOLOGY = {
    "kind": "investigation",
    "department": "cardiology",
    "due_at": "2026-03-09T16:00:00Z",
    "last_day": "2026-03-09",
    "provisional": False,
    "calendar_version": "chinesecalendar-1.11.0+east-4",
    "policy_version": "east-2026-01",
    "working_days": 5,
}
INV_NURSING = {**INV_CARDIOLOGY, "department": "nursing"}
INV_EXTENDED = {**INV_CARDIOLOGY, "due_at": "2026-03-16T16:00:00Z", "last_day": "2026-03-16", "working_days": 10}
RECTIFICATION = {
    "kind": "rectification",
    "department": "cardiology",
    "due_at": "2026-04-14T16:00:00Z",
    "last_day": "2026-04-14",
    "provisional": False,
    "calendar_version": "chinesecalendar-1.11.0+east-4",
    "policy_version": "east-2026-01",
    "working_days": 20,
}
PROVISIONAL = {  # received Mon 2026-12-28: its year-2027 days are not in the calendar yet
    "kind": "first_reply",
    "department": None,
    "due_at": "2027-01-05T16:00:00Z",
    "last_day": "2027-01-05",
    "provisional": True,
    "calendar_version": "chinesecalendar-1.11.0+east-4",
    "policy_version": "east-2026-01",
    "working_days": 5,
}
CONFIRMED = {
    **PROVISIONAL,
    "due_at": "2027-01-06T16:00:00Z",
    "last_day": "2027-01-06",
    "provisional": False,
    "calendar_version": "chinesecalendar-1.11.0+east-5",
}

EXAMPLES: dict[str, dict[str, Any]] = {
    "ComplaintReceived": {
        "complaint_id": CID,
        "actor": {"id": "staff-east-0417", "role": "first_contact"},
        "reference": "EAST-2026-000123",
        "campus": "east",
        "campuses": ["east"],
        "channel": "in_person",
        "category": "care_process",
        "severity": "normal",
        "source": "patient_or_family",
        "departments": ["cardiology", "nursing"],
        "received_at": "2026-03-02T01:15:00Z",
        "received_by": "staff-east-0417",
        "receiving_department": "cardiology",
        "anonymous": False,
        "has_contact": True,
        "complainant_ref": "cpl-8f2a91c4",
    },
    "ComplaintResolvedOnSpot": {
        "complaint_id": CID,
        "actor": {"id": "staff-east-0212", "role": "first_contact"},
        "campus": "east",
        "resolved_at": "2026-03-02T02:05:00Z",
        "resolved_by": "staff-east-0212",
        "resolution": "Duplicate CT charge found on the bill; reversed at the cashier and receipt reissued.",
    },
    "ComplaintNotAccepted": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "west",
        "reason": "litigation",
        "route_advice": "The matter is before the district court; the court procedure applies.",
        "decided_at": "2026-03-03T06:40:00Z",
    },
    "ComplaintWithdrawn": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "withdrawn_at": "2026-03-04T03:00:00Z",
        "reason": "Complainant reports the issue is resolved.",
    },
    "ComplaintReclassified": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "previous": {
            "category": "service_quality",
            "severity": "normal",
            "departments": ["nursing"],
            "campuses": ["east"],
        },
        "current": {
            "category": "medical_quality",
            "severity": "major",
            "departments": ["nursing", "cardiology"],
            "campuses": ["east", "west"],
        },
        "reclassified_at": "2026-03-03T02:30:00Z",
        "note": "Concerns a treatment decision as well.",
        "reclassified_by": "staff-east-0031",
    },
    "ComplaintStatusFollowed": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "followed": "reopened",
        "status": "reopened",
        "followed_at": "2026-03-20T02:00:00Z",
        "cause_id": "8e617a9f-b2a3-44c5-9fe0-5b6c7d8e9fa0",
        "cause_version": 9,
        "reason": "dissatisfied",
        "note": "Asks for a meeting with the department.",
    },
    "PersonalDataErased": {
        "complaint_id": CID,
        "actor": {"id": "auditor-01", "role": "auditor"},
        "campus": "east",
        "erased_at": "2026-06-01T02:00:00Z",
        "reason": "Lawful erasure request 2026-117.",
    },
    "AttachmentAdded": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "attachment_id": "5b0c2e8a-6f1d-4c3b-9a7e-2d4f6a8c0e1b",
        "media_type": "application/pdf",
        "size": 48213,
        "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "added_at": "2026-03-06T03:15:00Z",
    },
    "InvestigationOpened": {
        "complaint_id": CID,
        "actor": SYSTEM,
        "campus": "east",
        "campuses": ["east"],
        "category": "care_process",
        "severity": "normal",
        "source": "patient_or_family",
        "departments": ["cardiology", "nursing"],
        "received_at": "2026-03-02T01:15:00Z",
        "first_reply": FIRST_REPLY,
        "investigations": [INV_CARDIOLOGY, INV_NURSING],
        "reference": "EAST-2026-000123",
        "has_contact": True,
    },
    "CaseEnded": {
        "complaint_id": CID,
        "actor": SYSTEM,
        "campus": "east",
        "reason": "withdrawn",
        "ended_at": "2026-03-04T06:00:00Z",
        "cause_id": "3f1c2b4a-6d5e-4f70-8a9b-0c1d2e3f4a5b",
    },
    "CaseContactChanged": {
        "complaint_id": CID,
        "actor": SYSTEM,
        "campus": "east",
        "cause_id": "5b3e4d6c-8f70-4192-8cbd-2e3f4a5b6c7d",
        "has_contact": True,
        "changed_at": "2026-03-05T02:00:00Z",
    },
    "CaseReclassified": {
        "complaint_id": CID,
        "actor": SYSTEM,
        "campus": "east",
        "cause_id": "4a2d3c5b-7e6f-4081-9bac-1d2e3f4a5b6c",
        "previous": {
            "category": "service_quality",
            "severity": "normal",
            "departments": ["nursing"],
            "campuses": ["east"],
        },
        "current": {
            "category": "medical_quality",
            "severity": "major",
            "departments": ["nursing", "cardiology"],
            "campuses": ["east", "west"],
        },
        "reclassified_at": "2026-03-03T02:30:00Z",
    },
    "ReplyDeliveryRecorded": {
        "complaint_id": CID,
        "actor": SYSTEM,
        "campus": "east",
        "cause_id": "5b3e4d6c-8f70-4192-acbd-2e3f4a5b6c7d",
        "reply_id": "6c4f5e7d-9081-42a3-bdce-3f4a5b6c7d8e",
        "sent_at": "2026-03-12T03:00:00Z",
    },
    "ReplyDeliveryFailed": {
        "complaint_id": CID,
        "actor": SYSTEM,
        "campus": "east",
        "cause_id": "7d506f8e-a192-43b4-8edf-4a5b6c7d8e9f",
        "reply_id": "6c4f5e7d-9081-42a3-bdce-3f4a5b6c7d8e",
        "failed_at": "2026-03-12T04:00:00Z",
    },
    "InvestigationDue": {
        "complaint_id": CID,
        "actor": SYSTEM,
        "campus": "east",
        "deadline": INV_CARDIOLOGY,
        "reminder_for_role": "department_liaison",
    },
    "DeadlineRescheduled": {
        "complaint_id": CID,
        "actor": SYSTEM,
        "campus": "east",
        "previous": PROVISIONAL,
        "current": CONFIRMED,
        "reason": "calendar_updated",
        "note": "2027 statutory holiday schedule loaded for campus east.",
    },
    "ExtensionRequested": {
        "complaint_id": CID,
        "actor": {"id": "staff-east-1150", "role": "department_liaison"},
        "campus": "east",
        "extension_id": "0c7d7e44-5a55-4f4e-8f6b-3b7e1c2d9a01",
        "department": "cardiology",
        "reason": "External consultation report on the ECG recording is still pending.",
        "requested_days": 5,
        "requested_at": "2026-03-06T08:00:00Z",
        "deadline": INV_CARDIOLOGY,
    },
    "ExtensionGranted": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "extension_id": "0c7d7e44-5a55-4f4e-8f6b-3b7e1c2d9a01",
        "department": "cardiology",
        "decided_at": "2026-03-06T09:30:00Z",
        "deadline": INV_EXTENDED,
        "note": "Granted once.",
    },
    "ExtensionRefused": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "extension_id": "9a1e4b7c-2f3d-4c5e-8a6b-7c8d9e0f1a2b",
        "department": "nursing",
        "decided_at": "2026-03-06T09:35:00Z",
        "note": "Ward records are available; no extension needed.",
    },
    "FindingsSubmitted": {
        "complaint_id": CID,
        "actor": {"id": "staff-east-1150", "role": "department_liaison"},
        "campus": "east",
        "department": "nursing",
        "substantiated": "partly",
        "summary": "Night round documented late; call bell response exceeded the ward standard.",
        "signed_off_by": "staff-east-1101",
        "submitted_at": "2026-03-09T07:20:00Z",
        "on_time": True,
    },
    "DeadlineBreached": {
        "complaint_id": CID,
        "actor": SYSTEM,
        "campus": "east",
        "deadline": INV_CARDIOLOGY,
        "breached_at": "2026-03-09T16:00:00Z",
    },
    "DeadlineBreachWithdrawn": {  # the 2027 schedule shows the provisional first reply was not yet due
        "complaint_id": CID,
        "actor": SYSTEM,
        "campus": "east",
        "deadline": PROVISIONAL,
        "current": CONFIRMED,
        "breached_at": "2027-01-05T16:00:00Z",
        "withdrawn_at": "2027-01-06T01:00:00Z",
        "reason": "calendar_updated",
    },
    "ComplaintEscalated": {
        "complaint_id": CID,
        "actor": SYSTEM,
        "campus": "east",
        "severity": "major",
        "reason": "Major complaint: escalated on receipt.",
        "escalated_at": "2026-03-02T01:16:00Z",
        "to": "leadership_group",
    },
    "ReplyIssued": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "reply_id": "2d4f6a8c-1b3d-4e5f-9a7b-c9d8e7f6a5b4",
        "contact_person": "staff-east-0031",
        "actions_taken": "Ward call-bell response audited; staffing of the night shift adjusted.",
        "result": "Complaint partly substantiated.",
        "issued_at": "2026-03-12T06:00:00Z",
        "channel_preference": "letter",
    },
    "RectificationOrdered": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "rectification_id": "6e5d4c3b-2a19-4f8e-b7d6-c5b4a3928170",
        "department": "cardiology",
        "description": "Retrain night staff on call-bell response and document rounds on time.",
        "due": RECTIFICATION,
        "ordered_at": "2026-03-13T02:00:00Z",
    },
    "RectificationCompleted": {
        "complaint_id": CID,
        "actor": {"id": "staff-east-1150", "role": "department_liaison"},
        "campus": "east",
        "rectification_id": "6e5d4c3b-2a19-4f8e-b7d6-c5b4a3928170",
        "department": "cardiology",
        "completed_at": "2026-04-10T08:00:00Z",
        "on_time": True,
        "note": "Training held on 2026-04-08; attendance sheet filed.",
    },
    "SuggestionAdopted": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "adopted_at": "2026-03-20T03:00:00Z",
        "adopted_by": "office-east-1",
        "note": "Evening opening hours of the pharmacy from next month.",
    },
    "ContactDetailsCorrected": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "changed": ["phone", "preferred_channel"],
        "has_contact": True,
        "corrected_at": "2026-03-20T03:00:00Z",
    },
    "ReferrerReplied": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "answered_by": "office-east-1",
        "answered_at": "2026-03-20T03:00:00Z",
        "summary": "Replied to the 12345 hotline with the findings and the measures taken.",
        "on_time": True,
    },
    "FollowUpRecorded": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "satisfied": False,
        "recorded_at": "2026-03-20T03:00:00Z",
        "note": "Not satisfied with the explanation given.",
    },
    "ComplaintReopened": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "reason": "dissatisfied",
        "reopened_at": "2026-03-20T03:05:00Z",
        "first_reply": {
            **FIRST_REPLY,
            "due_at": "2026-03-27T16:00:00Z",
            "last_day": "2026-03-27",
            "working_days": 5,
        },
    },
    "ComplaintClosed": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "closed_at": "2026-04-15T09:00:00Z",
        "outcome": "Replied; rectification completed; complainant satisfied at second follow-up.",
    },
    "DisputeRecorded": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "dispute_id": "7f8e9d0c-1b2a-4c3d-8e4f-5a6b7c8d9e0f",
        "route": "mediation",
        "recorded_at": "2026-04-01T02:00:00Z",
        "note": "Applied to the municipal medical dispute committee.",
    },
    "DisputeSettled": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "dispute_id": "7f8e9d0c-1b2a-4c3d-8e4f-5a6b7c8d9e0f",
        "route": "mediation",
        "settled_at": "2026-05-11T07:00:00Z",
        "compensation_amount": "12000.00",
        "currency": "CNY",
    },
    "InterimFeedbackIssued": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "feedback_id": "8a9b0c1d-2e3f-4a5b-9c6d-7e8f9a0b1c2d",
        "contact_person": "office-east-1",
        "progress": "Cardiology is reviewing the ward's records of that night.",
        "next_steps": "We will reply with the findings.",
        "expected_reply_by": "2026-05-15",
        "issued_at": "2026-05-08T07:00:00Z",
    },
    "DisputeRouteChanged": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "dispute_id": "7f8e9d0c-1b2a-4c3d-8e4f-5a6b7c8d9e0f",
        "previous": "negotiation",
        "route": "people_mediation",
        "changed_at": "2026-05-09T07:00:00Z",
    },
    "DisputeReportedToAuthority": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "dispute_id": "7f8e9d0c-1b2a-4c3d-8e4f-5a6b7c8d9e0f",
        "report_id": "9b0c1d2e-3f4a-4b5c-8d7e-8f9a0b1c2d3e",
        "authority": "district health commission",
        "report_kind": "initial",
        "reported_at": "2026-05-09T09:00:00Z",
        "reference": "HC-2026-0042",
        "on_time": True,
    },
    "RecordsSealed": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "seal_id": "0c1d2e3f-4a5b-4c6d-9e8f-9a0b1c2d3e4f",
        "items": ["inpatient record, progress notes", "infusion bag and tubing"],
        "sealed_at": "2026-05-09T08:00:00Z",
        "hospital_witness": "office-east-1",
        "patient_side_present": True,
        "list_signed_by_both": True,
    },
    "RecordsUnsealed": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "seal_id": "0c1d2e3f-4a5b-4c6d-9e8f-9a0b1c2d3e4f",
        "reason": "jointly",
        "unsealed_at": "2026-06-09T08:00:00Z",
    },
    "PoliceNotified": {
        "complaint_id": CID,
        "actor": OFFICER,
        "campus": "east",
        "police_report_id": "1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a",
        "reported_at": "2026-05-09T10:00:00Z",
        "reason": "threats against ward staff",
    },
    "ReplySent": {
        "complaint_id": CID,
        "actor": SYSTEM,
        "campus": "east",
        "reply_id": "2d4f6a8c-1b3d-4e5f-9a7b-c9d8e7f6a5b4",
        "notification_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
        "channel": "letter",
        "sent_at": "2026-03-12T08:00:00Z",
    },
    "ReminderSent": {
        "complaint_id": CID,
        "actor": {"id": "notification", "role": "system"},
        "campus": "east",
        "notification_id": "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e",
        "kind": "investigation",
        "department": "cardiology",
        "recipient_role": "department_liaison",
        "channel": "email",
        "due_at": "2026-03-09T16:00:00Z",
        "sent_at": "2026-03-06T00:30:00Z",
    },
    "NotificationFailed": {
        "complaint_id": CID,
        "actor": {"id": "notification", "role": "system"},
        "campus": "east",
        "notification_id": "c3d4e5f6-a7b8-4c9d-8e0f-2a3b4c5d6e7f",
        "purpose": "reply",
        "channel": "sms",
        "reply_id": "2d4f6a8c-1b3d-4e5f-9a7b-c9d8e7f6a5b4",
        "attempts": 5,
        "error": "SMS gateway rejected the message: 550 number unreachable",
        "failed_at": "2026-03-12T09:00:00Z",
    },
}

# Top-level (or nested, dotted) enum fields per type and the constant they must use.
ENUMS: dict[str, dict[str, tuple[str, ...]]] = {
    "ComplaintReceived": {
        "channel": catalogue.CHANNELS,
        "category": catalogue.CATEGORIES,
        "severity": catalogue.SEVERITIES,
        "source": catalogue.SOURCES,
    },
    "ComplaintNotAccepted": {"reason": catalogue.NOT_ACCEPTED_REASONS},
    "AttachmentAdded": {"media_type": catalogue.ATTACHMENT_MEDIA_TYPES},
    "ComplaintReclassified": {"previous.category": catalogue.CATEGORIES, "current.severity": catalogue.SEVERITIES},
    "CaseEnded": {"reason": catalogue.CASE_END_REASONS},
    "ComplaintStatusFollowed": {"followed": catalogue.FOLLOWED_ACTIONS, "status": catalogue.INTAKE_STATUSES},
    "InvestigationOpened": {
        "category": catalogue.CATEGORIES,
        "severity": catalogue.SEVERITIES,
        "source": catalogue.SOURCES,
        "first_reply.kind": ("first_reply",),
    },
    "InvestigationDue": {"reminder_for_role": catalogue.ROLES, "deadline.kind": catalogue.DEADLINE_KINDS},
    "DeadlineBreached": {"deadline.kind": catalogue.DEADLINE_KINDS},
    "FindingsSubmitted": {"substantiated": catalogue.SUBSTANTIATED},
    "ComplaintEscalated": {"severity": catalogue.SEVERITIES, "to": ("leadership_group",)},
    "ReplyIssued": {"channel_preference": catalogue.NOTIFICATION_CHANNELS},
    "RectificationOrdered": {"due.kind": ("rectification",)},
    "ComplaintReopened": {"reason": ("new_facts", "dissatisfied", "new_evidence")},
    "DisputeRecorded": {"route": catalogue.DISPUTE_ROUTES},
    "DisputeSettled": {"route": catalogue.DISPUTE_ROUTES},
    "ReplySent": {"channel": catalogue.NOTIFICATION_CHANNELS},
    "ReminderSent": {
        "kind": catalogue.DEADLINE_KINDS,
        "recipient_role": catalogue.ROLES,
        "channel": catalogue.NOTIFICATION_CHANNELS,
    },
    "NotificationFailed": {
        "channel": catalogue.NOTIFICATION_CHANNELS,
        "purpose": (
            "acknowledgement",
            "reply",
            "reminder",
            "breach_alert",
            "escalation",
            "rectification",
            "not_accepted",
            "interim_feedback",
            "dispute_notice",
        ),
    },
}


def _validate(name: str, data: Any, strict: bool = True) -> dict[str, Any]:
    return catalogue.validate_data(name, 1, copy.deepcopy(data), strict=strict)


def _errors(name: str, data: Any, strict: bool = True) -> dict[str, Any]:
    with pytest.raises(ValidationError) as caught:
        _validate(name, data, strict)
    return caught.value.messages  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------------


def test_every_contract_type_is_registered_with_its_owner_and_nothing_else() -> None:
    assert sorted(catalogue.EVENT_TYPES) == sorted(ALL_TYPES)
    for owner, names in CONTRACT_TYPES.items():
        assert catalogue.types_of(owner) == names
        for name in names:
            assert catalogue.owner_of(name) == owner
            assert catalogue.latest_version(name) == 1
            known = catalogue.EVENT_TYPES[name]
            assert known.name == name and known.owner == owner and known.latest == 1
            assert issubclass(known.versions[1], Schema)
            assert isinstance(catalogue.schema_for(name, 1), Schema)
    assert catalogue.types_of("reporting") == []


def test_each_owner_module_declares_its_own_types_in_contract_order() -> None:
    for module, owner in ((intake, "intake"), (investigation, "investigation"), (notification, "notification")):
        assert [known.name for known in module.TYPES] == CONTRACT_TYPES[owner]
        assert {known.owner for known in module.TYPES} == {owner}
        assert all(known.latest_schema.__module__ == module.__name__ for known in module.TYPES)


def test_the_facade_reexports_the_registry_itself() -> None:
    assert catalogue.EVENT_TYPES is events.EVENT_TYPES
    for name in catalogue.__all__:
        assert hasattr(catalogue, name), name
    assert catalogue.validate_data is events.validate_data and catalogue.json_schema is events.json_schema


def test_a_version_is_registered_once() -> None:
    received = events.EVENT_TYPES["ComplaintReceived"]
    with pytest.raises(ValueError, match="ComplaintReceived v1 is already registered"):
        events.registry([received, received])
    second = events.fields.EventType(received.name, received.owner, {2: received.versions[1]})
    assert events.registry([received, second])["ComplaintReceived"].latest == 2


def test_examples_cover_every_type() -> None:
    assert sorted(EXAMPLES) == sorted(ALL_TYPES)


def test_contract_enumerations() -> None:
    assert catalogue.CHANNELS == (
        "phone",
        "email",
        "in_person",
        "letter",
        "complaint_box",
        "online",
        "hotline",
    )
    assert catalogue.CATEGORIES == ("medical_quality", "service_quality", "care_process", "billing", "other")
    assert catalogue.SEVERITIES == ("normal", "major")
    assert catalogue.SOURCES == (
        "patient_or_family",
        "staff_internal",
        "supervision",
        "satisfaction_survey",
        "authority_referral",
    )
    assert catalogue.NOT_ACCEPTED_REASONS == (
        "litigation",
        "mediation",
        "handled_elsewhere",
        "no_specific_facts",
        "criminal_case",
        "out_of_scope",
        "duplicate",
    )
    assert catalogue.DISPUTE_ROUTES == (
        "mediation",
        "litigation",
        "negotiation",
        "people_mediation",
        "administrative_mediation",
        "technical_appraisal",
    )
    assert catalogue.SUBSTANTIATED == ("yes", "partly", "no")
    assert catalogue.DEADLINE_KINDS == (
        "first_reply",
        "investigation",
        "rectification",
        "statutory_feedback",
        "authority_report",
        "referrer_reply",  # CONTRACT §10/§11
        "follow_up",  # issue 17: not in CONTRACT §11's list; see docs/decisions.md
    )
    assert catalogue.COMPLAINT_KINDS == ("complaint", "suggestion", "compliment")
    assert catalogue.NOTIFICATION_CHANNELS == ("email", "sms", "letter", "phone", "in_person")
    assert catalogue.ROLES == (
        "first_contact",
        "complaint_officer",
        "department_liaison",
        "leadership",
        "auditor",
        "ops",
        "system",
    )


def test_unknown_type_and_version() -> None:
    with pytest.raises(catalogue.UnknownEventType) as caught:
        catalogue.owner_of("ComplaintEaten")
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, ValueError)
    assert str(caught.value) == "unknown event type 'ComplaintEaten'"
    with pytest.raises(catalogue.UnknownEventType):
        catalogue.latest_version("ComplaintEaten")
    with pytest.raises(catalogue.UnknownEventType):
        catalogue.validate_data("ComplaintEaten", 1, {})
    with pytest.raises(catalogue.UnknownEventType, match="version 2 of ReplySent"):
        catalogue.validate_data("ReplySent", 2, EXAMPLES["ReplySent"])
    with pytest.raises(catalogue.UnknownEventType):
        catalogue.json_schema("ReplySent", 2)


def test_event_type_is_frozen() -> None:
    known = catalogue.EVENT_TYPES["ReplySent"]
    with pytest.raises(AttributeError):
        known.owner = "intake"  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_TYPES)
def test_valid_example_round_trips(name: str) -> None:
    example = EXAMPLES[name]
    clean = _validate(name, example)
    assert clean == example
    assert json.loads(json.dumps(clean)) == clean
    assert _validate(name, clean) == clean
    assert _validate(name, clean, strict=False) == clean


@pytest.mark.parametrize("name", ALL_TYPES)
def test_minimal_example_round_trips(name: str) -> None:
    """Only the required fields (plus defaults filled in) is enough."""
    required = set(catalogue.json_schema(name, 1)["required"])
    minimal = {k: v for k, v in EXAMPLES[name].items() if k in required}
    clean = _validate(name, minimal)
    assert set(clean) >= required
    assert _validate(name, clean) == clean


def test_normalisation() -> None:
    raw = {
        **EXAMPLES["ComplaintReceived"],
        "complaint_id": CID.upper(),
        "received_at": "2026-03-02T09:15:00+08:00",
    }
    del raw["campuses"], raw["departments"]
    clean = _validate("ComplaintReceived", raw)
    assert clean["complaint_id"] == CID
    assert clean["received_at"] == "2026-03-02T01:15:00Z"
    assert clean["campuses"] == ["east"]
    assert clean["departments"] == []

    settled = {**EXAMPLES["DisputeSettled"], "compensation_amount": "350.5"}
    del settled["currency"]
    clean = _validate("DisputeSettled", settled)
    assert clean["compensation_amount"] == "350.50"
    assert clean["currency"] == "CNY"

    escalated = dict(EXAMPLES["ComplaintEscalated"])
    del escalated["to"]
    assert _validate("ComplaintEscalated", escalated)["to"] == "leadership_group"

    opened = copy.deepcopy(EXAMPLES["InvestigationOpened"])
    del opened["first_reply"]["department"]
    assert _validate("InvestigationOpened", opened)["first_reply"]["department"] is None


def test_python_values_are_accepted_and_dumped_as_json() -> None:
    data = {
        **EXAMPLES["DeadlineBreached"],
        "breached_at": datetime.fromisoformat("2026-03-10T00:00:00+08:00"),
        "deadline": {**INV_CARDIOLOGY, "last_day": date(2026, 3, 9)},
    }
    clean = _validate("DeadlineBreached", data)
    assert clean["breached_at"] == "2026-03-09T16:00:00Z"
    assert clean["deadline"]["last_day"] == "2026-03-09"
    naive = {**EXAMPLES["DeadlineBreached"], "breached_at": datetime(2026, 3, 10)}
    assert list(_errors("DeadlineBreached", naive)) == ["breached_at"]


@pytest.mark.parametrize("name", ALL_TYPES)
def test_unknown_field_rejected_when_strict_dropped_when_not(name: str) -> None:
    data = {**EXAMPLES[name], "patient_name": "x"}
    assert _errors(name, data) == {"patient_name": ["Unknown field."]}
    assert _validate(name, data, strict=False) == EXAMPLES[name]


def test_unknown_nested_field_rejected_when_strict_dropped_when_not() -> None:
    # lenient first, so a cached strict nested schema cannot mask a missing propagation
    data = copy.deepcopy(EXAMPLES["InvestigationOpened"])
    data["first_reply"]["timezone"] = "Asia/Shanghai"
    data["investigations"][1]["escalate_after"] = 3
    data["actor"]["shift"] = "night"
    assert _validate("InvestigationOpened", data, strict=False) == EXAMPLES["InvestigationOpened"]
    errors = _errors("InvestigationOpened", data)
    assert errors == {
        "first_reply": {"timezone": ["Unknown field."]},
        "investigations": {1: {"escalate_after": ["Unknown field."]}},
        "actor": {"shift": ["Unknown field."]},
    }
    fresh_lenient = catalogue.EVENT_TYPES["InvestigationOpened"].versions[1](unknown="exclude")
    assert fresh_lenient.dump(fresh_lenient.load(copy.deepcopy(data))) == EXAMPLES["InvestigationOpened"]


@pytest.mark.parametrize(("name", "path"), [(n, p) for n, enums in ENUMS.items() for p in enums])
def test_bad_enum_value_names_the_field(name: str, path: str) -> None:
    data = copy.deepcopy(EXAMPLES[name])
    *parents, leaf = path.split(".")
    target = data
    for part in parents:
        target = target[part]
    target[leaf] = "not_a_value"
    errors: Any = _errors(name, data)
    for part in parents:
        assert list(errors) == [part]
        errors = errors[part]
    assert list(errors) == [leaf]
    assert errors[leaf][0].startswith("Must be one of:")


def test_bad_actor_role_names_the_field() -> None:
    data = {**EXAMPLES["ReplyIssued"], "actor": {"id": "staff-1", "role": "janitor"}}
    assert list(_errors("ReplyIssued", data)) == ["actor"]
    assert list(_errors("ReplyIssued", data)["actor"]) == ["role"]


@pytest.mark.parametrize("name", ALL_TYPES)
def test_missing_required_fields_are_named(name: str) -> None:
    required = catalogue.json_schema(name, 1)["required"]
    assert "complaint_id" in required
    for field in required:
        data = {k: v for k, v in EXAMPLES[name].items() if k != field}
        assert _errors(name, data) == {field: ["Missing data for required field."]}


def test_missing_nested_required_field_is_named() -> None:
    data = copy.deepcopy(EXAMPLES["InvestigationDue"])
    del data["deadline"]["due_at"]
    assert _errors("InvestigationDue", data) == {"deadline": {"due_at": ["Missing data for required field."]}}


@pytest.mark.parametrize(
    ("name", "patch", "field"),
    [
        ("ComplaintReceived", {"received_at": "2026-03-02T09:15:00"}, "received_at"),  # no offset
        ("ComplaintReceived", {"received_at": "2026-03-02"}, "received_at"),
        ("ComplaintReceived", {"complaint_id": "123"}, "complaint_id"),
        ("ComplaintReceived", {"anonymous": "no"}, "anonymous"),
        ("ComplaintReceived", {"anonymous": 0}, "anonymous"),
        ("ComplaintReceived", {"campuses": ["west"]}, "campuses"),  # must include campus
        ("ComplaintReceived", {"campuses": []}, "campuses"),
        ("ComplaintReceived", {"departments": ["cardiology", "cardiology"]}, "departments"),
        ("ComplaintReceived", {"campus": ""}, "campus"),
        ("ComplaintReceived", {"channel": None}, "channel"),
        ("ComplaintResolvedOnSpot", {"resolution": "x" * (catalogue.TEXT_MAX + 1)}, "resolution"),
        ("ComplaintResolvedOnSpot", {"resolution": ""}, "resolution"),
        ("ExtensionRequested", {"requested_days": 0}, "requested_days"),
        ("ExtensionRequested", {"requested_days": "5"}, "requested_days"),
        ("ExtensionRequested", {"requested_days": True}, "requested_days"),
        ("NotificationFailed", {"attempts": 0}, "attempts"),
        ("DisputeSettled", {"compensation_amount": "-1.00"}, "compensation_amount"),
        ("DisputeSettled", {"compensation_amount": "10.005"}, "compensation_amount"),
        ("DisputeSettled", {"compensation_amount": 100}, "compensation_amount"),
        ("DisputeSettled", {"compensation_amount": "NaN"}, "compensation_amount"),
        ("DisputeSettled", {"currency": "cny"}, "currency"),
        ("ExtensionGranted", {"deadline": {**INV_CARDIOLOGY, "department": None}}, "deadline"),
        ("DeadlineBreached", {"deadline": {**FIRST_REPLY, "department": "cardiology"}}, "deadline"),
        ("InvestigationOpened", {"first_reply": INV_CARDIOLOGY}, "first_reply"),
        ("InvestigationOpened", {"investigations": [FIRST_REPLY]}, "investigations"),
        ("RectificationOrdered", {"due": {**RECTIFICATION, "working_days": -1}}, "due"),
        ("RectificationOrdered", {"due": {**RECTIFICATION, "last_day": "2026-04-31"}}, "due"),
    ],
)
def test_bad_values_are_rejected_and_named(name: str, patch: dict[str, Any], field: str) -> None:
    assert list(_errors(name, {**EXAMPLES[name], **patch})) == [field]


def test_data_must_be_an_object() -> None:
    assert "_schema" in _errors("ReplySent", ["not", "an", "object"])


def test_optional_fields_may_be_null() -> None:
    data = {**EXAMPLES["ComplaintReceived"], "actor": None, "complainant_ref": None, "received_by": None}
    assert _validate("ComplaintReceived", data) == data


def test_envelope_uses_the_catalogue() -> None:
    from shared import envelope

    data = copy.deepcopy(EXAMPLES["ComplaintReceived"])
    event = envelope.new_event("intake", "ComplaintReceived", CID, data)
    assert event.dataschema == "https://schemas.complaints.example/complaints/ComplaintReceived/1"  # §12
    body = event.with_position(1, 1).to_dict()
    body["data"]["added_in_a_later_version"] = True
    parsed = envelope.parse(json.dumps(body))
    # Received data is checked against the published schema and passed on as sent: a field a newer
    # producer added is tolerated, not an error.
    assert parsed.data == {**EXAMPLES["ComplaintReceived"], "added_in_a_later_version": True}
    body["data"]["channel"] = "fax"
    with pytest.raises(envelope.EnvelopeError) as refused:
        envelope.parse(json.dumps(body))
    assert "channel" in refused.value.errors["data"]
    with pytest.raises(envelope.EnvelopeError):
        envelope.new_event("investigation", "ComplaintReceived", CID, EXAMPLES["ComplaintReceived"])


# --------------------------------------------------------------------------------------------
# JSON Schema
# --------------------------------------------------------------------------------------------


def _enum_of(prop: dict[str, Any]) -> list[Any]:
    if "anyOf" in prop:
        prop = prop["anyOf"][0]
    return [v for v in prop["enum"] if v is not None]


def _property(schema: dict[str, Any], path: str) -> dict[str, Any]:
    for part in path.split("."):
        if "anyOf" in schema:
            schema = schema["anyOf"][0]
        schema = schema["properties"][part]
    return schema


@pytest.mark.parametrize("name", ALL_TYPES)
def test_json_schema_structure(name: str) -> None:
    schema = catalogue.strict_json_schema(name, 1)  # the producer's closed form (CONTRACT §12)
    json.dumps(schema)  # serialisable
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://schemas.complaints.example/complaints/{name}/1"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    published = catalogue.json_schema(name, 1)
    assert "additionalProperties" not in published and published["$id"] == schema["$id"]  # open for additions
    example = EXAMPLES[name]
    assert set(example) <= set(schema["properties"])
    assert set(schema["required"]) <= set(schema["properties"])
    # `required` is exactly the set of example fields whose absence the schema rejects
    really_required = []
    for field in example:
        try:
            _validate(name, {k: v for k, v in example.items() if k != field})
        except ValidationError:
            really_required.append(field)
    assert sorted(schema["required"]) == sorted(really_required)
    assert _property(schema, "complaint_id") == {
        "type": "string",
        "format": "uuid",
        "description": "the complaint this event belongs to",
    }
    assert _enum_of(_property(schema, "actor.role")) == list(catalogue.ROLES)
    for path, values in ENUMS.get(name, {}).items():
        assert _enum_of(_property(schema, path)) == list(values)


def test_json_schema_details() -> None:
    received = catalogue.json_schema("ComplaintReceived", 1)
    assert received["properties"]["received_at"] == {
        "type": "string",
        "format": "date-time",
        "description": "when the complaint was made (letters: when it arrived)",
    }
    assert received["properties"]["departments"]["uniqueItems"] is True
    assert received["properties"]["departments"]["default"] == []
    assert received["properties"]["complainant_ref"]["type"] == ["string", "null"]
    assert received["properties"]["anonymous"]["type"] == "boolean"
    deadline = _property(catalogue.json_schema("InvestigationDue", 1), "deadline")
    assert deadline["properties"]["last_day"]["format"] == "date"
    assert deadline["properties"]["working_days"] == {
        "type": "integer",
        "minimum": 0,
        "description": "working days counted, the start day excluded (0 for hours)",
    }
    assert deadline["allOf"][0]["if"]["properties"]["kind"] == {"enum": list(catalogue.CASE_DEADLINE_KINDS)}
    settled = catalogue.json_schema("DisputeSettled", 1)["properties"]
    assert settled["currency"] == {
        "type": "string",
        "pattern": "^(?:[A-Z]{3})$",
        "description": "ISO 4217 code",
        "default": "CNY",
    }
    assert settled["compensation_amount"]["type"] == "string"
    text = catalogue.json_schema("FindingsSubmitted", 1)["properties"]["summary"]
    assert text["maxLength"] == catalogue.TEXT_MAX and text["minLength"] == 1
    base = "https://schemas.complaints.example/complaints/"
    assert set(catalogue.all_json_schemas()) == {f"{base}{n}/1" for n in ALL_TYPES}


def test_json_schema_refuses_fields_it_cannot_translate() -> None:
    with pytest.raises(TypeError):
        jsonschema.field_schema(fields.Email())
    with pytest.raises(TypeError):
        jsonschema.field_schema(fields.Decimal(as_string=True))


# A small JSON Schema (2020-12) checker for the keywords json_schema emits, with formats asserted
# (marshmallow asserts them too). Used because `jsonschema` is not a dependency.

_FORMATS = {
    "date-time": re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"),
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "uuid": re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"),
}
_HANDLED = {
    "$schema",
    "$id",
    "title",
    "description",
    "default",
    "x-owner",
    "type",
    "enum",
    "const",
    "anyOf",
    "allOf",
    "if",
    "then",
    "else",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
}


def _is_type(value: Any, kind: str) -> bool:
    return {
        "null": value is None,
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "string": isinstance(value, str),
        "array": isinstance(value, list),
        "object": isinstance(value, dict),
    }[kind]


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _format_ok(kind: str, value: str) -> bool:
    if not _FORMATS[kind].fullmatch(value):
        return False
    try:
        if kind == "date-time":
            datetime.fromisoformat(value.upper()[:19])
        elif kind == "date":
            date.fromisoformat(value)
    except ValueError:
        return False
    return True


def js_errors(schema: dict[str, Any], value: Any, path: str = "$") -> list[str]:
    unknown = set(schema) - _HANDLED
    assert not unknown, f"checker does not know keywords {unknown}"
    errors: list[str] = []
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is_type(value, k) for k in kinds):
            return [f"{path}: not {kinds}"]
    if "anyOf" in schema and all(js_errors(s, value, path) for s in schema["anyOf"]):
        errors.append(f"{path}: matches no anyOf branch")
    for sub in schema.get("allOf", []):
        errors += js_errors(sub, value, path)
    if "if" in schema:
        branch = "then" if not js_errors(schema["if"], value, path) else "else"
        errors += js_errors(schema.get(branch, {}), value, path)
    if "const" in schema and not _same(value, schema["const"]):
        errors.append(f"{path}: not {schema['const']!r}")
    if "enum" in schema and not any(_same(value, e) for e in schema["enum"]):
        errors.append(f"{path}: not in enum")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", len(value)):
            errors.append(f"{path}: bad length")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: does not match pattern")
        if "format" in schema and not _format_ok(schema["format"], value):
            errors.append(f"{path}: not a {schema['format']}")
    if _is_type(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path}: below minimum")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{path}: above maximum")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
            errors.append(f"{path}: bad number of items")
        if schema.get("uniqueItems") and len({json.dumps(v, sort_keys=True) for v in value}) != len(value):
            errors.append(f"{path}: items not unique")
        for i, item in enumerate(value):
            errors += js_errors(schema.get("items", {}), item, f"{path}[{i}]")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        errors += [f"{path}.{k}: required" for k in schema.get("required", []) if k not in value]
        for key, item in value.items():
            if key in props:
                errors += js_errors(props[key], item, f"{path}.{key}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{path}.{key}: not allowed")
    return errors


@pytest.mark.parametrize("name", ALL_TYPES)
def test_examples_validate_against_json_schema(name: str) -> None:
    schema = catalogue.strict_json_schema(name, 1)
    assert js_errors(schema, EXAMPLES[name]) == []
    assert js_errors(schema, _validate(name, EXAMPLES[name])) == []
    assert js_errors(schema, {**EXAMPLES[name], "extra": 1}) != []
    assert js_errors(catalogue.json_schema(name, 1), {**EXAMPLES[name], "extra": 1}) == []  # published: open


# Values tried in place of every field (top level and one level of nesting): marshmallow and
# the JSON Schema must agree on each. `campus` against `campuses` is the one cross-field rule
# JSON Schema cannot express (it is stated in the description instead).
MUTATIONS: list[Any] = [
    None,
    0,
    7,
    -1,
    1.5,
    True,
    "",
    "x",
    "x" * (catalogue.TEXT_MAX + 1),
    "y" * 65,
    [],
    ["east"],
    {},
    "2026-03-02T10:00:00",
    "2026-03-02T10:00:00+08:00",
    "2026-03-02",
    "2026-02-30",
    "3F1C2A4E-8B7D-4C6A-9E2F-1A2B3C4D5E6F",
    "12.345",
    "12.5",
    "normal",
    "first_reply",
    "system",
]
CROSS_FIELD = {("ComplaintReceived", "campus"), ("InvestigationOpened", "campus")}


def _mutants(example: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for key, value in example.items():
        for mutation in MUTATIONS:
            out.append((key, {**example, key: mutation}))
        nested = (
            value
            if isinstance(value, dict)
            else (value[0] if value and isinstance(value, list) and isinstance(value[0], dict) else None)
        )
        if nested is None:
            continue
        for sub in nested:
            for mutation in [*MUTATIONS, "__drop__"]:
                changed = {k: v for k, v in nested.items() if k != sub}
                if mutation != "__drop__":
                    changed[sub] = mutation
                out.append((key, {**example, key: changed if isinstance(value, dict) else [changed]}))
    return out


@pytest.mark.parametrize("name", ALL_TYPES)
def test_json_schema_is_faithful_to_marshmallow(name: str) -> None:
    schema = catalogue.strict_json_schema(name, 1)
    disagreements = []
    for key, mutant in _mutants(EXAMPLES[name]):
        if (name, key) in CROSS_FIELD:
            continue
        try:
            _validate(name, mutant)
            accepted = True
        except ValidationError:
            accepted = False
        if accepted != (js_errors(schema, mutant) == []):
            disagreements.append((key, mutant.get(key), accepted))
    assert disagreements == []


def test_jsonschema_library_agrees_when_available() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    for name in ALL_TYPES:
        validator = jsonschema.Draft202012Validator(
            catalogue.json_schema(name, 1),
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
        validator.validate(EXAMPLES[name])
        validator.validate(_validate(name, EXAMPLES[name]))


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_receiving_check_agrees_with_marshmallow_on_the_examples(name: str) -> None:
    """The consumer's fast check (compiled published schema) accepts what producers write and refuses
    what they would refuse: a missing required field, a wrong type."""
    example = copy.deepcopy(EXAMPLES[name])
    catalogue.check_received(name, 1, example)
    required = sorted(catalogue.json_schema(name, 1)["required"])
    for key in required:
        broken = {k: v for k, v in example.items() if k != key}
        with pytest.raises(ValidationError):
            catalogue.validate_data(name, 1, broken)
        with pytest.raises(ValidationError):
            catalogue.check_received(name, 1, broken)
    with pytest.raises(ValidationError):
        catalogue.check_received(name, 1, {**example, "complaint_id": 12})
