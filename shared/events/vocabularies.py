"""The vocabularies of the event catalogue (CONTRACT §2): the services that own event types and the closed
lists of values event fields take. Services, the console's code names and the tests read these same tuples."""

INTAKE = "intake"
INVESTIGATION = "investigation"
NOTIFICATION = "notification"
SERVICES = (INTAKE, INVESTIGATION, NOTIFICATION)

CHANNELS = ("phone", "email", "in_person", "letter", "complaint_box", "online", "hotline")
CATEGORIES = ("medical_quality", "service_quality", "care_process", "billing", "other")
SEVERITIES = ("normal", "major")
SOURCES = ("patient_or_family", "staff_internal", "supervision", "satisfaction_survey", "authority_referral")
# What was registered (CONTRACT §10): only complaints are investigated and counted as complaints.
COMPLAINT_KINDS = ("complaint", "suggestion", "compliment")
NOT_ACCEPTED_REASONS = (
    "litigation",
    "mediation",
    "handled_elsewhere",
    "no_specific_facts",
    "criminal_case",
    "out_of_scope",
    "duplicate",
)
# `mediation` stays valid and means people's mediation (CONTRACT §8)
DISPUTE_ROUTES = (
    "mediation",
    "litigation",
    "negotiation",
    "people_mediation",
    "administrative_mediation",
    "technical_appraisal",
)
AUTHORITY_REPORT_KINDS = ("initial", "follow_up", "final")
UNSEAL_REASONS = ("jointly", "dispute_settled", "three_years_no_claim")
REPLY_KINDS = ("interim", "final")  # ReplySent.reply_kind: absent means final (CONTRACT §7)
SUBSTANTIATED = ("yes", "partly", "no")
# How a statutory feedback deadline was met (CONTRACT §7): delivered, or issued to nobody who can be told.
STATUTORY_FEEDBACK_MET = ("delivered", "issued_no_contact")
DEADLINE_KINDS = (
    "first_reply",
    "investigation",
    "rectification",
    "statutory_feedback",
    "authority_report",
    "referrer_reply",  # an authority referral's reply date (CONTRACT §10)
    "follow_up",  # calling back after the reply to a major or disputed complaint (issue 17)
)
# Deadlines of the whole case (no department): the others belong to one department.
CASE_DEADLINE_KINDS = ("first_reply", "statutory_feedback", "authority_report", "referrer_reply", "follow_up")
# phone / in_person: a reply the office gave by telephone or face to face (CONTRACT §13): recorded, nothing sent.
NOTIFICATION_CHANNELS = ("email", "sms", "letter", "phone", "in_person")
DELIVERED_BY_STAFF = ("phone", "in_person")
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
    "interim_feedback",  # CONTRACT §7
    "dispute_notice",  # CONTRACT §8
)
#: what an attachment may be, decided by its content (CONTRACT §9): PDF, JPEG, PNG, WebP, MP3, M4A, WAV, MP4, text
ATTACHMENT_MEDIA_TYPES = (
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/webp",
    "audio/mpeg",
    "audio/mp4",
    "audio/wav",
    "video/mp4",
    "text/plain",
)
