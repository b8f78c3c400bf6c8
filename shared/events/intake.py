"""The event types intake publishes (CONTRACT §3): a complaint registered, ended at intake (resolved on the spot,
not accepted, withdrawn), reclassified, its personal data erased; and intake's own record of following
investigation's closing or reopening."""

from __future__ import annotations

from marshmallow import fields, validate

from shared.events.fields import (
    REFERENCE_MAX,
    Classification,
    EventType,
    StrictSchema,
    Unique,
    WithCampuses,
    choice,
    code,
    codes,
    count,
    day,
    declare,
    flag,
    ident,
    obj,
    text,
    uuid_field,
    when,
)
from shared.events.vocabularies import (
    ATTACHMENT_MEDIA_TYPES,
    CATEGORIES,
    CHANNELS,
    COMPLAINT_KINDS,
    FOLLOWED_ACTIONS,
    INTAKE,
    INTAKE_STATUSES,
    NOT_ACCEPTED_REASONS,
    REOPEN_REASONS,
    SEVERITIES,
    SOURCES,
)


class Referral(StrictSchema):
    """Who passed the complaint on (a health authority, a government hotline) and by when it wants the reply."""

    referrer = text(min_length=1, description="the authority or hotline, e.g. 12345 or the district health commission")
    reference = text(min_length=1, description="the referrer's own reference of the complaint")
    reply_due = day(description="the date the referrer wants the reply by (24:00 local time of that day)")


#: in contract order
TYPES: tuple[EventType, ...] = (
    declare(
        INTAKE,
        "ComplaintReceived",
        "A complaint was registered (personal data stays in intake).",
        WithCampuses,
        reference=fields.String(
            validate=validate.Length(1, REFERENCE_MAX),
            metadata={"description": "human reference, e.g. EAST-2026-000123"},
            required=True,
        ),
        channel=choice(CHANNELS),
        category=choice(CATEGORIES),
        severity=choice(SEVERITIES),
        source=choice(SOURCES),
        departments=codes(load_default=list, description="department codes; may be empty until assigned"),
        received_at=when(description="when the complaint was made (letters: when it arrived)"),
        registered_at=when(required=False, description="when it was entered, if later than received_at"),
        received_by=ident(required=False, description="staff id of whoever registered it"),
        receiving_department=code(required=False, description="department where it was made"),
        anonymous=flag(),
        has_contact=flag(description="the complainant left a way to be contacted"),
        complainant_ref=ident(required=False, description="opaque reference to the complainant in intake"),
        reopened_from=uuid_field(required=False, description="earlier complaint reopened by new facts"),
        representatives=count(
            1, 5, required=False, description="a group complaint's number of representatives (at most 5)"
        ),
        kind=choice(COMPLAINT_KINDS, required=False, description="absent means complaint (CONTRACT §10)"),
        referral=obj(Referral, required=False, description="for the source authority_referral: the referral"),
    ),
    declare(
        INTAKE,
        "ComplaintResolvedOnSpot",
        "First-contact staff resolved and closed the complaint.",
        campus=code(),
        resolved_at=when(),
        resolved_by=ident(description="staff id"),
        resolution=text(min_length=1, description="the measure taken (no personal data)"),
    ),
    declare(
        INTAKE,
        "ComplaintNotAccepted",
        "The complaint is recorded but not accepted; the route is advised.",
        campus=code(),
        reason=choice(NOT_ACCEPTED_REASONS),
        route_advice=text(min_length=1, description="which route applies, as told to the complainant"),
        decided_at=when(),
        duplicate_of=uuid_field(required=False, description="for reason duplicate: the original complaint"),
    ),
    declare(
        INTAKE,
        "ComplaintWithdrawn",
        "The complainant withdrew the complaint.",
        campus=code(),
        withdrawn_at=when(),
        reason=text(required=False),
    ),
    declare(
        INTAKE,
        "ComplaintReclassified",
        "Category, severity, departments or campuses changed.",
        campus=code(),
        previous=obj(Classification),
        current=obj(Classification),
        reclassified_at=when(),
        note=text(required=False),
        reclassified_by=ident(required=False, description="staff id of whoever reclassified it"),
    ),
    # Intake's own record of what changed its state otherwise than by its own commands, so that its complaints
    # can be rebuilt from its log alone (``python -m shared.replay intake --check``).
    declare(
        INTAKE,
        "ComplaintStatusFollowed",
        "Intake followed investigation's closing or reopening of the complaint.",
        campus=code(),
        followed=choice(FOLLOWED_ACTIONS, description="what investigation did"),
        status=choice(INTAKE_STATUSES, description="the complaint's status in intake afterwards"),
        followed_at=when(description="when investigation closed or reopened it"),
        cause_id=uuid_field(description="id of investigation's ComplaintClosed or ComplaintReopened"),
        cause_version=count(1, description="its version in investigation's stream of the complaint"),
        outcome=text(required=False),
        reason=choice(REOPEN_REASONS, required=False),
        note=text(required=False),
    ),
    declare(
        INTAKE,
        "PersonalDataErased",
        "The complaint's personal data was erased (its key destroyed) on a lawful "
        "request; the complaint, its events and statistics stay.",
        campus=code(),
        erased_at=when(),
        reason=text(min_length=1, description="the lawful request it answers (no personal data)"),
    ),
    declare(
        INTAKE,
        "AttachmentAdded",
        "A file (evidence: a letter, a bill, a photo, a recording) was added to the complaint's file; its name "
        "and content stay in intake, sealed with the complaint's key.",
        campus=code(),
        attachment_id=uuid_field(description="the attachment, as intake serves it"),
        media_type=choice(ATTACHMENT_MEDIA_TYPES, description="the type its content was found to be"),
        size=count(1, description="bytes"),
        sha256=fields.String(
            validate=validate.Regexp(r"^[0-9a-f]{64}$"),
            metadata={"description": "SHA-256 of the content, lower-case hex"},
            required=True,
        ),
        added_at=when(),
    ),
    declare(
        INTAKE,
        "SuggestionAdopted",
        "A suggestion was adopted (CONTRACT §10); complaints and compliments are never adopted.",
        campus=code(),
        adopted_at=when(),
        adopted_by=ident(description="staff id of whoever adopted it"),
        note=text(required=False, description="what is done with it (no personal data)"),
    ),
    declare(
        INTAKE,
        "ContactDetailsCorrected",
        "The complainant's contact details were corrected (issue 18); which fields changed, never their values "
        "(those stay in intake, sealed with the complaint's key).",
        campus=code(),
        changed=fields.List(
            fields.String(validate=validate.OneOf(("phone", "email", "postal_address", "preferred_channel"))),
            validate=[validate.Length(min=1), Unique()],
            required=True,
            metadata={"description": "the fields corrected (given or removed)"},
        ),
        has_contact=flag(description="whether any phone, e-mail or postal address is left to reach them by"),
        corrected_at=when(),
    ),
)
