"""The fold from events to facts and contributions, alone (no database)."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from services.reporting import domain
from services.reporting.domain import LoggedEvent
from services.reporting.settings import CALENDARS
from shared import catalogue
from shared.workdays import CampusCalendar
from tests.support import simulate

CID = "0b5f5d5e-1111-4222-8333-444455556666"
REPLY = "9d0e8a11-aaaa-4bbb-8ccc-dddddddddddd"
EAST = CALENDARS["east"]


def ev(source: str, sequence: int, kind: str, time: str = "2026-03-02T01:00:00Z", /, **data) -> LoggedEvent:
    return LoggedEvent(
        source, sequence, kind, datetime.fromisoformat(time), {"complaint_id": CID, "campus": "east", **data}
    )


def deadline(kind: str, due_at: str, last_day: str, department: str | None = None, **extra) -> dict:
    return {
        "kind": kind,
        "department": department,
        "due_at": due_at,
        "last_day": last_day,
        "provisional": False,
        "calendar_version": "cn",
        "policy_version": "p",
        "working_days": 5,
        **extra,
    }


FIRST_REPLY = deadline("first_reply", "2026-03-08T16:00:00Z", "2026-03-08")  # end of Mon 9 Mar local? (see below)
RECEIVED = ev(
    "intake",
    1,
    "ComplaintReceived",
    "2026-03-02T01:00:00Z",
    reference="EAST-2026-000001",
    campuses=["east"],
    channel="letter",
    category="billing",
    severity="normal",
    source="patient_or_family",
    departments=["billing_office"],
    received_at="2026-03-01T17:30:00Z",
    anonymous=False,
    has_contact=True,
)
OPENED = ev(
    "investigation",
    1,
    "InvestigationOpened",
    "2026-03-02T01:00:05Z",
    campuses=["east"],
    category="billing",
    severity="normal",
    source="patient_or_family",
    departments=["billing_office"],
    received_at="2026-03-01T17:30:00Z",
    first_reply=FIRST_REPLY,
    investigations=[deadline("investigation", "2026-03-08T16:00:00Z", "2026-03-08", "billing_office")],
)
ISSUED = ev(
    "investigation",
    2,
    "ReplyIssued",
    "2026-03-05T02:00:00Z",
    reply_id=REPLY,
    contact_person="x",
    actions_taken="a",
    result="r",
    issued_at="2026-03-05T02:00:00Z",
)
SENT = ev(
    "notification",
    1,
    "ReplySent",
    "2026-03-05T03:00:00Z",
    reply_id=REPLY,
    notification_id="1d0e8a11-aaaa-4bbb-8ccc-dddddddddddd",
    channel="email",
    sent_at="2026-03-05T03:00:00Z",
)


def contributions(events) -> set[tuple]:
    fact = domain.fold(events)
    return set(domain.contributions(fact, EAST))


def test_a_complaint_is_counted_from_its_receipt_on_its_local_day():
    fact = domain.fold([RECEIVED])
    assert fact.category == "billing" and fact.campuses == ["east"] and fact.departments == ["billing_office"]
    # 17:30 UTC on 1 March is 01:30 on 2 March in Shanghai: the complaint belongs to 2 March
    assert contributions([RECEIVED]) == {
        ("received", date(2026, 3, 2), "", 1),
        ("received.category", date(2026, 3, 2), "billing", 1),
        ("received.channel", date(2026, 3, 2), "letter", 1),
        ("received.severity", date(2026, 3, 2), "normal", 1),
        ("received.department", date(2026, 3, 2), "billing_office", 1),
    }
    assert domain.fold([OPENED, SENT]) is None, "nothing counts before the receipt is known"


def test_the_fold_depends_on_the_set_of_events_not_their_order_or_repetition():
    events = [RECEIVED, OPENED, ISSUED, SENT]
    expected = domain.fold(events)
    for order in itertools.permutations(events):
        assert domain.fold([*order, order[0]]) == expected


def test_a_reply_delivered_before_its_deadline_is_on_time_with_its_working_time():
    found = contributions([RECEIVED, OPENED, ISSUED, SENT])
    assert ("first_reply.on_time", date(2026, 3, 5), "", 1) in found
    # received 01:30 Mon 2 March (local), delivered 11:00 Thu 5 March: 22.5h/24 of Monday + Tue + Wed + 11/24
    assert ("first_reply.working_days", date(2026, 3, 5), "34", 1) in found
    assert not any(c[0] == "first_reply.late" for c in found)


def test_a_reply_without_delivery_is_not_yet_a_first_reply():
    assert not any(c[0].startswith("first_reply") for c in contributions([RECEIVED, OPENED, ISSUED]))


def test_a_breached_first_reply_is_late_on_its_last_day_and_stays_late_when_delivered_later():
    breach = ev(
        "investigation",
        3,
        "DeadlineBreached",
        "2026-03-08T16:00:30Z",
        deadline=FIRST_REPLY,
        breached_at="2026-03-08T16:00:00Z",
    )
    late_sent = SENT._replace(data={**SENT.data, "sent_at": "2026-03-10T01:00:00Z"})
    assert ("first_reply.late", date(2026, 3, 8), "", 1) in contributions([RECEIVED, OPENED, breach])
    found = contributions([RECEIVED, OPENED, breach, ISSUED._replace(sequence=4), late_sent])
    assert [c for c in found if c[0] in ("first_reply.late", "first_reply.on_time")] == [
        ("first_reply.late", date(2026, 3, 8), "", 1)
    ]
    assert ("deadline.breached", date(2026, 3, 8), "first_reply", 1) in found


def test_an_extended_deadline_counts_a_later_reply_on_time():
    later = deadline("first_reply", "2026-03-11T16:00:00Z", "2026-03-11", working_days=8)
    rescheduled = ev(
        "investigation", 2, "DeadlineRescheduled", previous=FIRST_REPLY, current=later, reason="extension_granted"
    )
    sent = SENT._replace(data={**SENT.data, "sent_at": "2026-03-10T01:00:00Z"})
    found = contributions([RECEIVED, OPENED, rescheduled, ISSUED._replace(sequence=3), sent])
    assert ("first_reply.on_time", date(2026, 3, 10), "", 1) in found


def test_a_withdrawn_breach_is_no_longer_counted_and_only_once():
    # Provisional deadlines breached on Sun 8 March; the real calendar says they end Tue 10 March.
    guessed = {**FIRST_REPLY, "provisional": True}
    guessed_inv = deadline("investigation", "2026-03-08T16:00:00Z", "2026-03-08", "billing_office", provisional=True)
    real = deadline("first_reply", "2026-03-10T16:00:00Z", "2026-03-10")
    real_inv = deadline("investigation", "2026-03-10T16:00:00Z", "2026-03-10", "billing_office")
    breaches = [
        ev(
            "investigation",
            n,
            "DeadlineBreached",
            "2026-03-08T16:00:30Z",
            deadline=d,
            breached_at="2026-03-08T16:00:00Z",
        )
        for n, d in ((2, guessed), (3, guessed_inv))
    ]
    withdrawn = [
        ev(
            "investigation",
            n,
            "DeadlineBreachWithdrawn",
            "2026-03-09T01:00:00Z",
            deadline=d,
            current=c,
            breached_at="2026-03-08T16:00:00Z",
            withdrawn_at="2026-03-09T01:00:00Z",
            reason="calendar_updated",
        )
        for n, d, c in ((4, guessed, real), (5, guessed_inv, real_inv))
    ]
    for event in withdrawn:
        catalogue.validate_data(event.type, 1, dict(event.data))
    breached = contributions([RECEIVED, OPENED, *breaches])
    assert {
        ("first_reply.late", date(2026, 3, 8), "", 1),
        ("investigation.breached", date(2026, 3, 8), "billing_office", 1),
        ("deadline.breached", date(2026, 3, 8), "first_reply", 1),
        ("deadline.breached", date(2026, 3, 8), "investigation", 1),
    } <= breached
    restated = contributions([RECEIVED, OPENED, *breaches, *withdrawn, *withdrawn])  # a redelivery changes nothing
    assert not {c for c in restated if c[0] in ("first_reply.late", "investigation.breached", "deadline.breached")}
    # Delivered on Mon 9 March: on time against the real deadline.
    sent = SENT._replace(data={**SENT.data, "sent_at": "2026-03-09T03:00:00Z"})
    assert ("first_reply.on_time", date(2026, 3, 9), "", 1) in contributions(
        [RECEIVED, OPENED, *breaches, *withdrawn, ISSUED._replace(sequence=6), sent]
    )
    # Breached again against the real deadline: counted once, on its own last day.
    again = ev(
        "investigation",
        6,
        "DeadlineBreached",
        "2026-03-10T16:00:30Z",
        deadline=real_inv,
        breached_at="2026-03-10T16:00:00Z",
    )
    found = contributions([RECEIVED, OPENED, *breaches, *withdrawn, again])
    assert {c for c in found if c[0] in ("investigation.breached", "deadline.breached")} == {
        ("investigation.breached", date(2026, 3, 10), "billing_office", 1),
        ("deadline.breached", date(2026, 3, 10), "investigation", 1),
    }


def test_reclassification_changes_category_campuses_and_departments():
    reclassified = ev(
        "intake",
        2,
        "ComplaintReclassified",
        "2026-03-03T01:00:00Z",
        previous={"category": "billing", "severity": "normal", "departments": ["billing_office"], "campuses": ["east"]},
        current={
            "category": "care_process",
            "severity": "major",
            "departments": ["nursing"],
            "campuses": ["east", "west"],
        },
        reclassified_at="2026-03-03T01:00:00Z",
    )
    fact = domain.fold([RECEIVED, reclassified, OPENED])
    assert (fact.category, fact.severity, fact.campuses) == ("care_process", "major", ["east", "west"])
    # the department assigned to investigate still counts, beside the one the classification names now
    assert fact.departments == ["billing_office", "nursing"]
    cells = domain.cells_of([RECEIVED, reclassified], CALENDARS)
    assert {k[1] for k in cells} == {"east,west"} and domain.places("east,west") == ["east", "west", "*"]


def test_investigations_extensions_findings_and_breaches_per_department():
    extended = deadline("investigation", "2026-03-11T16:00:00Z", "2026-03-11", "billing_office")
    granted = ev(
        "investigation",
        2,
        "ExtensionGranted",
        extension_id=REPLY,
        department="billing_office",
        decided_at="2026-03-04T02:00:00Z",
        deadline=extended,
    )
    findings = ev(
        "investigation",
        3,
        "FindingsSubmitted",
        department="billing_office",
        substantiated="yes",
        summary="s",
        signed_off_by="h",
        submitted_at="2026-03-12T02:00:00Z",
        on_time=False,
    )
    breach = ev("investigation", 4, "DeadlineBreached", deadline=extended, breached_at="2026-03-11T16:00:00Z")
    found = contributions([RECEIVED, OPENED, granted, breach, findings])
    assert {c for c in found if c[0].startswith("investigation")} == {
        ("investigation.opened", date(2026, 3, 2), "billing_office", 1),
        ("investigation.extended", date(2026, 3, 4), "billing_office", 1),
        ("investigation.late", date(2026, 3, 12), "billing_office", 1),
        ("investigation.breached", date(2026, 3, 11), "billing_office", 1),
    }


def test_reopening_starts_a_second_round_whose_reply_counts_separately():
    reopened = ev(
        "investigation",
        3,
        "ComplaintReopened",
        "2026-03-20T02:00:00Z",
        reason="dissatisfied",
        reopened_at="2026-03-20T02:00:00Z",
        first_reply=deadline("first_reply", "2026-03-27T16:00:00Z", "2026-03-27"),
    )
    second_id = "8d0e8a11-aaaa-4bbb-8ccc-dddddddddddd"
    issued = ev(
        "investigation",
        4,
        "ReplyIssued",
        reply_id=second_id,
        contact_person="x",
        actions_taken="a",
        result="r",
        issued_at="2026-03-30T02:00:00Z",
    )
    sent = ev(
        "notification",
        2,
        "ReplySent",
        reply_id=second_id,
        notification_id=second_id,
        channel="email",
        sent_at="2026-03-30T03:00:00Z",
    )
    fact = domain.fold([RECEIVED, OPENED, ISSUED, SENT, reopened, issued, sent])
    assert [(r.number, r.replied_at is not None) for r in fact.rounds] == [(1, True), (2, True)]
    found = contributions([RECEIVED, OPENED, ISSUED, SENT, reopened, issued, sent])
    assert ("first_reply.on_time", date(2026, 3, 5), "", 1) in found
    assert ("first_reply.late", date(2026, 3, 27), "", 1) in found
    assert ("reopened", date(2026, 3, 20), "dissatisfied", 1) in found


def test_rectifications_follow_ups_disputes_and_outcomes():
    rect_id = "7d0e8a11-aaaa-4bbb-8ccc-dddddddddddd"
    due = deadline("rectification", "2026-03-30T16:00:00Z", "2026-03-30", "billing_office", rectification_id=rect_id)
    events = [
        RECEIVED,
        OPENED,
        ev(
            "investigation",
            2,
            "RectificationOrdered",
            rectification_id=rect_id,
            department="billing_office",
            description="d",
            due=due,
            ordered_at="2026-03-03T02:00:00Z",
        ),
        ev(
            "investigation",
            3,
            "RectificationCompleted",
            rectification_id=rect_id,
            department="billing_office",
            completed_at="2026-04-02T02:00:00Z",
            on_time=False,
        ),
        ev("investigation", 4, "FollowUpRecorded", satisfied=True, recorded_at="2026-04-03T02:00:00Z"),
        ev(
            "investigation",
            5,
            "DisputeRecorded",
            dispute_id=rect_id,
            route="mediation",
            recorded_at="2026-04-04T02:00:00Z",
        ),
        ev(
            "investigation",
            6,
            "DisputeSettled",
            dispute_id=rect_id,
            route="mediation",
            settled_at="2026-04-10T02:00:00Z",
            compensation_amount="1200.50",
            currency="CNY",
        ),
        ev("investigation", 7, "ComplaintClosed", closed_at="2026-04-11T02:00:00Z"),
        ev(
            "investigation",
            8,
            "ComplaintEscalated",
            severity="normal",
            reason="r",
            escalated_at="2026-03-02T03:00:00Z",
            to="leadership_group",
        ),
    ]
    found = contributions(events)
    assert {
        ("rectification.ordered", date(2026, 3, 3), "billing_office", 1),
        ("rectification.completed", date(2026, 4, 2), "billing_office", 1),
        ("rectification.overdue", date(2026, 3, 30), "billing_office", 1),
        ("follow_up.satisfied", date(2026, 4, 3), "", 1),
        ("dispute.recorded", date(2026, 4, 4), "mediation", 1),
        ("dispute.settled", date(2026, 4, 10), "mediation", 1),
        ("dispute.compensation", date(2026, 4, 10), "mediation|CNY", 120050),
        ("closed", date(2026, 4, 11), "", 1),
        ("escalated", date(2026, 3, 2), "", 1),
    } <= found


def test_intake_outcomes():
    found = contributions(
        [
            RECEIVED,
            ev(
                "intake",
                2,
                "ComplaintNotAccepted",
                reason="litigation",
                route_advice="court",
                decided_at="2026-03-03T02:00:00Z",
            ),
            ev(
                "intake",
                3,
                "ComplaintResolvedOnSpot",
                resolved_at="2026-03-02T02:00:00Z",
                resolved_by="x",
                resolution="refund",
            ),
            ev("intake", 4, "ComplaintWithdrawn", withdrawn_at="2026-03-04T02:00:00Z"),
        ]
    )
    assert {
        ("not_accepted", date(2026, 3, 3), "litigation", 1),
        ("resolved_on_spot", date(2026, 3, 2), "", 1),
        ("withdrawn", date(2026, 3, 4), "", 1),
    } <= found


def test_cells_subtract_exactly_what_they_added():
    cells = domain.cells_of([RECEIVED, OPENED, ISSUED, SENT], CALENDARS)
    domain.cells_of([RECEIVED, OPENED, ISSUED, SENT], CALENDARS, cells, -1)
    assert not any(cells.values())


def test_working_time_matches_the_campus_calendar_step_for_step():
    rng = random.Random(3)
    calendar = CampusCalendar("east", closures={date(2026, 3, 4)}, extra_workdays={date(2026, 3, 7)})
    working = domain.WorkingTime(calendar)
    for _ in range(300):
        start = datetime(2025, 12, 20, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 60 * 24 * 120))
        end = start + timedelta(minutes=rng.randint(-60 * 24 * 3, 60 * 24 * 30))
        assert working.between(start, end) == calendar.working_days_between(start, end)


def test_an_unknown_campus_still_gets_a_calendar():
    assert domain.Calendars({})["nowhere"].calendar.campus == "nowhere"


@pytest.mark.parametrize("seed", [1, 2])
def test_simulated_events_are_catalogue_valid_as_they_are(seed):
    for planned in simulate.stream(seed, 40, datetime(2026, 1, 1, tzinfo=UTC), 30, CALENDARS.calendars):
        assert catalogue.validate_data(planned.type, 1, planned.data) == planned.data, planned.type


def test_shift_year_keeps_the_day_or_falls_back_from_29_february():
    assert domain.shift_year(date(2026, 3, 31)) == date(2025, 3, 31)
    assert domain.shift_year(date(2028, 2, 29)) == date(2027, 2, 28)


def test_the_fold_has_one_mutator_per_folded_event_type_of_the_catalogue():
    assert set(domain.MUTATORS) == domain.FOLDED_TYPES
    assert domain.FOLDED_TYPES.issubset(catalogue.EVENT_TYPES)
    with pytest.raises(ValueError):
        domain._on("NoSuchEvent")
