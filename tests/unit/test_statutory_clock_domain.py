"""The statutory feedback clock and interim feedback (CONTRACT §7), on the pure domain with injected times.

Same story and helpers as test_investigation_domain.py: received Fri 2026-11-20 10:00 CST; 5 working days
end with Fri 2026-11-27 (due 16:00 UTC), 10 with Fri 2026-12-04."""

from __future__ import annotations

from datetime import date

import pytest

from services.investigation import domain, schemas
from services.investigation.domain import Case
from shared.errors import Refused
from tests.unit.test_investigation_domain import (
    CAL,
    NOTIFICATION,
    OFFICER,
    THU_26,
    THU_26_PM,
    WED_25,
    act,
    cst,
    ctx,
    decide_extension,
    findings,
    reply,
    reply_failed,
    reply_sent,
    request_extension,
    resolved_on_spot,
    story,
    types,
    utc,
    withdrawn,
)

FEEDBACK = "f1e2d3c4-b5a6-4978-8877-665544332211"


def feedback(case: Case, now=WED_25, feedback_id: str = FEEDBACK) -> domain.Decision:
    command = schemas.IssueFeedback(
        OFFICER, "cardiology is reviewing the ECG", "a written reply", date(2026, 12, 4), "sms", feedback_id
    )
    return act(case, domain.decide_feedback(case, command, ctx(now, OFFICER)), now)


def interim_delivered(case: Case, now=THU_26_PM, feedback_id: str = FEEDBACK) -> Case:
    data = {"reply_id": feedback_id, "notification_id": NOTIFICATION, "channel": "sms", "sent_at": now.isoformat()}
    data["reply_kind"] = "interim"
    decision = domain.decide_reply_delivered(case, feedback_id, data["sent_at"], NOTIFICATION, "interim")
    act(case, decision, now)
    return case


def statutory(case: Case) -> domain.Clock:
    return case.clocks["statutory_feedback"]


def test_one_department_gives_5_working_days_and_two_give_10() -> None:
    assert statutory(story()).due["last_day"] == "2026-11-27"
    assert statutory(story()).due["department"] is None
    assert statutory(story(("cardiology", "radiology"))).due["last_day"] == "2026-12-04"


def test_a_second_department_reschedules_it_to_10_working_days() -> None:
    case = story()
    decision = act(case, domain.decide_assign(case, schemas.AssignDepartments(["radiology"]), ctx(WED_25)), WED_25)
    moved = [d for t, d in decision if t == "DeadlineRescheduled" and d["current"]["kind"] == "statutory_feedback"]
    assert len(moved) == 1 and moved[0]["reason"] == "departments_assigned"
    assert statutory(case).due["last_day"] == "2026-12-04"
    assert statutory(case).due["working_days"] == 10


def test_an_extension_moves_first_reply_and_investigation_never_statutory() -> None:
    case = story()
    before = dict(statutory(case).due)
    request_extension(case, days=3)
    assert not statutory(case).on_hold
    decision = decide_extension(case, granted=True)
    assert types(decision) == ["ExtensionGranted", "DeadlineRescheduled"]
    assert case.clocks["first_reply"].due["last_day"] == "2026-12-02"
    assert case.clocks["investigation:cardiology"].due["last_day"] == "2026-12-02"
    assert statutory(case).due == before


def test_interim_feedback_is_allowed_while_findings_are_pending() -> None:
    case = story()
    assert "issue_feedback" in domain.allowed_actions(case, "complaint_officer", None, (), WED_25)
    decision = feedback(case)
    assert types(decision) == ["InterimFeedbackIssued"]
    assert decision[0][1]["expected_reply_by"] == "2026-12-04"
    assert "statutory_feedback_met" not in decision[0][1]  # the complainant can be told: delivery meets it
    assert statutory(case).status == domain.D_OPEN


def test_interim_feedback_delivered_meets_statutory_only() -> None:
    case = story()
    feedback(case)
    interim_delivered(case)
    assert statutory(case).status == domain.D_MET
    assert statutory(case).met_by == domain.MET_DELIVERED
    assert case.clocks["first_reply"].status == domain.D_OPEN


def test_an_interim_reply_sent_for_a_reply_id_does_not_meet_the_first_reply() -> None:
    case = story()
    findings(case)
    reply(case)
    decision = domain.decide_reply_delivered(case, "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", "x", "c", "interim")
    assert decision == []  # an interim delivery names a feedback of this round, not a reply


def test_a_failed_delivery_does_not_meet_it() -> None:
    case = story()
    findings(case)
    reply(case)
    reply_failed(case)
    assert statutory(case).status == domain.D_OPEN
    assert domain.decide_breach(case, "statutory_feedback", utc(2026, 11, 27, 16))[0][0] == "DeadlineBreached"


def test_the_final_reply_delivered_meets_it_too() -> None:
    case = story()
    findings(case)
    reply(case)
    reply_sent(case)
    assert statutory(case).status == domain.D_MET
    assert case.clocks["first_reply"].status == domain.D_MET


def test_no_contact_feedback_meets_it_when_issued_and_says_so() -> None:
    case = story(anonymous=True, has_contact=False)
    decision = feedback(case)
    assert decision[0][1]["statutory_feedback_met"] == domain.MET_ISSUED_NO_CONTACT
    assert statutory(case).status == domain.D_MET
    assert statutory(case).met_by == domain.MET_ISSUED_NO_CONTACT


def test_registered_after_its_deadline_breaches_exactly_once() -> None:
    case = story(at=cst(2026, 11, 20))
    now = utc(2026, 12, 1)  # a letter registered after the statutory deadline passed
    assert domain.decide_remind(case, "statutory_feedback", now) == []
    decision = act(case, domain.decide_breach(case, "statutory_feedback", now), now)
    assert types(decision) == ["DeadlineBreached"]
    assert domain.decide_breach(case, "statutory_feedback", now) == []
    feedback(case, now=cst(2026, 12, 1))
    interim_delivered(case, now=cst(2026, 12, 1, 15))
    assert statutory(case).status == domain.D_MET_LATE


def test_reminded_to_the_office_once() -> None:
    case = story()
    decision = act(case, domain.decide_remind(case, "statutory_feedback", utc(2026, 11, 26, 16)), THU_26)
    assert decision[0][1]["reminder_for_role"] == "complaint_officer"
    assert domain.decide_remind(case, "statutory_feedback", utc(2026, 11, 26, 17)) == []


@pytest.mark.parametrize("end", [resolved_on_spot, withdrawn])
def test_feedback_is_refused_once_the_case_ended(end) -> None:
    case = end(story())
    with pytest.raises(Refused, match="issue interim feedback"):
        feedback(case)


def test_resolved_on_the_spot_stops_it() -> None:
    case = resolved_on_spot(story())
    assert statutory(case).status == domain.D_STOPPED
    assert domain.decide_breach(case, "statutory_feedback", utc(2026, 12, 1)) == []


# -- the escalation ladder --------------------------------------------------------------------------------------


def breached_statutory() -> Case:
    case = story()
    at = utc(2026, 11, 27, 16)  # the end of Fri 27th: breached
    act(case, domain.decide_breach(case, "statutory_feedback", at), at)
    return case


def test_a_breach_still_unmet_2_working_days_later_is_escalated_once() -> None:
    case = breached_statutory()
    clock = statutory(case)
    # Breached at the end of Fri 27th: 2 working days later is the end of Tue Dec 1st (the weekend not counted).
    assert domain.ladder_due(clock, CAL, 2) == utc(2026, 12, 1, 16)
    assert domain.decide_ladder(case, "statutory_feedback", utc(2026, 12, 1, 15, 59), CAL, 2) == []
    decision = act(case, domain.decide_ladder(case, "statutory_feedback", utc(2026, 12, 1, 16), CAL, 2), THU_26)
    assert types(decision) == ["ComplaintEscalated"]
    assert decision[0][1]["reason"] == domain.BREACH_UNRESOLVED
    assert decision[0][1]["deadline"]["kind"] == "statutory_feedback"
    assert statutory(case).ladder_escalated and case.escalated
    assert domain.decide_ladder(case, "statutory_feedback", utc(2026, 12, 9), CAL, 2) == []
    assert domain.ladder_due(statutory(case), CAL, 2) is None


def test_a_breach_met_late_before_the_ladder_is_not_escalated() -> None:
    case = breached_statutory()
    feedback(case, now=cst(2026, 11, 30))
    interim_delivered(case, now=cst(2026, 11, 30, 15))
    assert domain.decide_ladder(case, "statutory_feedback", utc(2026, 12, 9), CAL, 2) == []


def test_the_ladder_counts_the_campus_setting() -> None:
    case = breached_statutory()
    assert domain.ladder_due(statutory(case), CAL, 3) == utc(2026, 12, 2, 16)
