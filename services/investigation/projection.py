"""Investigation's event handlers: what other services' events do to cases.

Intake's events open, reclassify and end cases; notification's tell that a reply reached the
complainant (which stops the first-reply clock) or could not.
"""

from __future__ import annotations

from services.investigation import domain, metrics, store
from services.investigation.settings import HOSPITAL, SERVICE
from shared.consumer import Projector, after_commit
from shared.db import Cursor
from shared.envelope import Envelope

PROJECTOR = Projector(SERVICE)


@PROJECTOR.on("ComplaintReceived")
def open_case(cur: Cursor, event: Envelope) -> None:
    """A received complaint opens its case, with its deadlines, exactly once."""
    if event.data.get("kind", "complaint") != "complaint":
        return  # suggestions and compliments are not investigated: no case, no clocks (CONTRACT §10)
    cur.execute("SELECT 1 FROM cases WHERE complaint_id = %s", (event.subject,))
    if cur.fetchone():
        return  # opened already (an operator replayed the event)
    campus = event.data["campus"]
    case = domain.new_case(event.data)
    decision = domain.decide_open(event.data, HOSPITAL.calendar(campus), HOSPITAL.policy(campus))
    placed = store.apply(cur, case, decision, event.time, cause=event)
    after_commit(lambda: store.observe(placed))


@PROJECTOR.on("ComplaintResolvedOnSpot", "ComplaintNotAccepted", "ComplaintWithdrawn")
def end_case(cur: Cursor, event: Envelope) -> None:
    """Intake ended the complaint: investigation records the end of the case as its own event."""
    if not store.exists(cur, event.subject):
        return  # a suggestion or compliment: no case
    case = store.load(cur, event.subject)
    store.apply(cur, case, domain.decide_ended(case, event.type, event.data, event.id), event.time, cause=event)


@PROJECTOR.on("ComplaintReclassified")
def reclassify(cur: Cursor, event: Envelope) -> None:
    if not store.exists(cur, event.subject):
        return  # a suggestion or compliment: no case
    case = store.load(cur, event.subject)
    campus = case.campus
    placed = store.apply(cur, case, domain.decide_classification(case, event.data, event.id), event.time, cause=event)
    decision = domain.decide_reclassified(case, event.data["current"], HOSPITAL.context(campus, event.time))
    placed += store.apply(cur, case, decision, event.time, cause=event)
    after_commit(lambda: store.observe(placed))


@PROJECTOR.on("ContactDetailsCorrected")
def contact_changed(cur: Cursor, event: Envelope) -> None:
    """Intake corrected the contact details: whether the complainant can be reached may have changed."""
    if not store.exists(cur, event.subject):
        return  # a suggestion or compliment: no case
    case = store.load(cur, event.subject)
    store.apply(cur, case, domain.decide_contact_changed(case, event.data, event.id), event.time, cause=event)


@PROJECTOR.on("ReplySent")
def reply_delivered(cur: Cursor, event: Envelope) -> None:
    case = store.load(cur, event.subject)
    clock = case.clocks.get("first_reply")
    was_open = clock is not None and clock.status in (domain.D_OPEN, domain.D_BREACHED)
    data = event.data
    campus = case.campus
    decision = domain.decide_reply_delivered(
        case,
        data["reply_id"],
        data["sent_at"],
        event.id,
        data.get("reply_kind"),
        HOSPITAL.calendar(campus),
        HOSPITAL.policy(campus),
    )
    store.apply(cur, case, decision, event.time, cause=event)
    if was_open and clock is not None and clock.met_at and data.get("reply_kind") != "interim":
        calendar = HOSPITAL.calendar(case.campus)
        days = calendar.working_days_between(domain.parse_time(clock.started_at), domain.parse_time(clock.met_at))
        after_commit(lambda: metrics.FIRST_REPLY.labels(case.campus).observe(max(days, 0.0)))


@PROJECTOR.on("NotificationFailed")
def delivery_failed(cur: Cursor, event: Envelope) -> None:
    if event.data["purpose"] != "reply":
        return
    case = store.load(cur, event.subject)
    decision = domain.decide_reply_failed(case, event.data.get("reply_id"), event.data["failed_at"], event.id)
    store.apply(cur, case, decision, event.time, cause=event)
