"""The statutory feedback clock and interim feedback (CONTRACT §7) through the real services.

Interim feedback is delivered by the real notification service (the SMS stand-in), which publishes
``ReplySent`` with ``reply_kind: "interim"``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.test_lifecycle import AS_CARDIOLOGY, AS_OFFICER, OFFICER, act, case, events_of, types_of
from tests.e2e.test_notification import events as notification_events
from tests.e2e.test_notification import settled
from tests.e2e.test_replicas import second_replicas  # noqa: F401  (the fixture, by name)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
FEEDBACK = {"contact_person": OFFICER, "progress": "cardiology is reviewing the ECG", "next_steps": "a reply"}


def deadline(stack, cid: str, key: str) -> dict:
    return next(d for d in case(stack, cid)["deadlines"] if d["key"] == key)


def opened(stack, complaint, **overrides) -> str:
    cid = stack.intake.post("/complaints", complaint(**overrides)).json()["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").status_code == 200, what="the case opened")
    return cid


def test_an_extension_moves_first_reply_and_investigation_never_the_statutory_deadline(stack, complaint):
    cid = opened(stack, complaint, departments=["cardiology"])
    before = deadline(stack, cid, "statutory_feedback")
    assert before["kind"] == "statutory_feedback" and before["department"] is None and before["working_days"] == 5
    first_reply, investigation = deadline(stack, cid, "first_reply"), deadline(stack, cid, "investigation:cardiology")
    ext = act(
        stack,
        cid,
        "extensions",
        201,
        department="cardiology",
        reason="ECG review",
        requested_days=3,
        token=AS_CARDIOLOGY,
    )
    assert deadline(stack, cid, "statutory_feedback")["on_hold"] is False
    act(stack, cid, f"extensions/{ext['extension_id']}/decision", granted=True)
    assert deadline(stack, cid, "first_reply")["due_at"] > first_reply["due_at"]
    assert deadline(stack, cid, "investigation:cardiology")["due_at"] > investigation["due_at"]
    assert deadline(stack, cid, "statutory_feedback") == before
    shown = case(stack, cid)
    assert shown["statutory_feedback"]["due_at"] == before["due_at"]
    worklist = stack.investigation.get("/cases", params={"campus": "east"}).json()["cases"]
    row = next(c for c in worklist if c["complaint_id"] == cid)
    assert row["statutory_feedback_due_at"] == before["due_at"] and row["statutory_feedback_status"] == "open"


def test_interim_feedback_delivered_meets_the_statutory_clock_and_leaves_the_first_reply_open(stack, complaint):
    cid = opened(stack, complaint, departments=["cardiology"])
    assert "issue_feedback" in case(stack, cid)["allowed_actions"]
    issued = act(stack, cid, "feedback", 201, **FEEDBACK, expected_reply_by="2027-01-08", channel_preference="sms")
    assert issued["events"] == ["InterimFeedbackIssued"]  # while cardiology's findings are pending
    data = next(e["data"] for e in events_of(stack, cid) if e["type"] == "InterimFeedbackIssued")
    assert data["feedback_id"] == issued["feedback_id"] and data["expected_reply_by"] == "2027-01-08"
    # notification delivers it by SMS (the stand-in gateway) and publishes ReplySent reply_kind "interim"
    wait_for(lambda: deadline(stack, cid, "statutory_feedback")["status"] == "met", what="statutory clock met")
    assert deadline(stack, cid, "statutory_feedback")["met_by"] == "delivered"
    assert deadline(stack, cid, "first_reply")["status"] == "open"
    recorded = next(e["data"] for e in events_of(stack, cid) if e["type"] == "ReplyDeliveryRecorded")
    assert recorded["reply_kind"] == "interim" and recorded["statutory_feedback_met"] == "delivered"


def test_a_failed_delivery_does_not_meet_it(stack, complaint):
    cid = opened(stack, complaint, departments=["cardiology"])
    settled(stack, cid, "acknowledgement")
    stack.sms.mode(status=400)  # the gateway refuses: the delivery fails at once
    try:
        issued = act(stack, cid, "feedback", 201, **FEEDBACK, channel_preference="sms")
        failed = settled(stack, cid, "interim_feedback")
    finally:
        stack.sms.mode(status=200)
    assert failed["status"] == "failed"
    [event] = wait_for(lambda: notification_events(stack, cid, "NotificationFailed"), what="NotificationFailed")
    assert event["data"]["reply_id"] == issued["feedback_id"]
    # investigation has consumed notification's log up to that failure (a later delivery shows it caught up)
    other = opened(stack, complaint, departments=["cardiology"])
    act(stack, other, "feedback", 201, **FEEDBACK, channel_preference="sms")
    wait_for(lambda: deadline(stack, other, "statutory_feedback")["status"] == "met", what="the later delivery")
    assert deadline(stack, cid, "statutory_feedback")["status"] == "open"
    assert issued["feedback_id"] in case(stack, cid)["feedbacks"]


def test_registered_after_its_statutory_deadline_breaches_it_exactly_once(stack, complaint):
    received_at = (datetime.now(UTC) - timedelta(days=21)).isoformat()
    cid = opened(stack, complaint, departments=["cardiology"], received_at=received_at)

    def statutory_breaches() -> int:
        return sum(
            1
            for e in events_of(stack, cid)
            if e["type"] == "DeadlineBreached" and e["data"]["deadline"]["kind"] == "statutory_feedback"
        )

    wait_for(lambda: statutory_breaches() == 1, what="the statutory breach")
    wait_for(lambda: types_of(stack, cid).count("DeadlineBreached") == 2, what="first reply breached too")
    metrics = stack.investigation.get("/metrics").text
    assert 'kind="statutory_feedback"' in metrics
    act(stack, cid, "feedback", 201, **FEEDBACK)
    later = opened(stack, complaint, departments=["cardiology"], received_at=received_at)
    wait_for(lambda: "DeadlineBreached" in types_of(stack, later), what="a later tick's breach")
    assert statutory_breaches() == 1  # the engine ticked again since: still once
    # the feedback issued above may since have been delivered: met late, never breached twice
    assert deadline(stack, cid, "statutory_feedback")["status"] in ("breached", "met_late")


def test_two_departments_give_10_working_days(stack, complaint):
    cid = opened(stack, complaint, departments=["cardiology", "radiology"])
    assert deadline(stack, cid, "statutory_feedback")["working_days"] == 10
    single = opened(stack, complaint, departments=["cardiology"])
    act(stack, single, "assignments", departments=["radiology"])
    assert deadline(stack, single, "statutory_feedback")["working_days"] == 10


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in FEEDBACK.items() if k != "progress"}, "progress"),
        ({k: v for k, v in FEEDBACK.items() if k != "contact_person"}, "contact_person"),
        ({**FEEDBACK, "next_steps": ""}, "next_steps"),
        ({**FEEDBACK, "expected_reply_by": "next week"}, "expected_reply_by"),
        ({**FEEDBACK, "channel_preference": "pigeon"}, "channel_preference"),
        ({**FEEDBACK, "colour": "blue"}, "colour"),
    ],
)
def test_bad_feedback_is_400_naming_the_field(stack, complaint, body, field):
    cid = opened(stack, complaint)
    response = stack.investigation.post(f"/cases/{cid}/feedback", body, token=AS_OFFICER)
    assert response.status_code == 400, response.text
    assert field in response.text
    assert "InterimFeedbackIssued" not in types_of(stack, cid)


def test_feedback_on_an_ended_case_is_409_and_on_an_unknown_one_404(stack, complaint):
    cid = opened(stack, complaint)
    withdrawn = stack.intake.post(f"/complaints/{cid}/withdraw", {"withdrawn_by": OFFICER}, token=AS_OFFICER)
    assert withdrawn.status_code == 200, withdrawn.text
    wait_for(lambda: case(stack, cid)["status"] == "withdrawn", what="the case ended")
    response = stack.investigation.post(f"/cases/{cid}/feedback", FEEDBACK, token=AS_OFFICER)
    assert response.status_code == 409 and "withdrawn" in response.text
    assert stack.investigation.post(f"/cases/{uuid.uuid4()}/feedback", FEEDBACK, token=AS_OFFICER).status_code == 404
    assert "issue_feedback" not in case(stack, cid)["allowed_actions"]


@pytest.mark.usefixtures("second_replicas")
def test_the_escalation_ladder_escalates_each_unmet_breach_exactly_once_with_two_replicas(stack, complaint):
    received_at = (datetime.now(UTC) - timedelta(days=21)).isoformat()

    def ladder(cid: str) -> list[str]:
        return [
            e["data"]["deadline"]["kind"]
            for e in events_of(stack, cid)
            if e["type"] == "ComplaintEscalated" and e["data"]["reason"] == "breach_unresolved"
        ]

    # First reply and statutory feedback breached on registration, their breach already 2 working days old.
    cids = [opened(stack, complaint, departments=["cardiology"], received_at=received_at) for _ in range(4)]
    for cid in cids:
        wait_for(lambda cid=cid: len(ladder(cid)) == 2, what="both breaches up the ladder")
    later = opened(stack, complaint, departments=["cardiology"], received_at=received_at)
    wait_for(lambda: len(ladder(later)) == 2, what="a later tick's escalations")
    for cid in cids:  # both replicas ticked since: still once per deadline
        assert sorted(ladder(cid)) == ["first_reply", "statutory_feedback"]
        # the feedback issued above may since have been delivered: met late, never breached twice
    assert deadline(stack, cid, "statutory_feedback")["status"] in ("breached", "met_late")
