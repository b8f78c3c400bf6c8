"""Issue 17 items 1, 2 and 5 through the real services: authority referrals and their referrer_reply deadline,
suggestions and compliments (no case, no clocks; a suggestion adopted once), and the follow-up deadline after
the first reply to a major complaint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.test_lifecycle import OFFICER, act, case, events_of
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
CST = ZoneInfo("Asia/Shanghai")
AS_OFFICER_PATH = "/complaints/{}/adopt"


def _tomorrow_local() -> str:
    return (datetime.now(CST).date() + timedelta(days=1)).isoformat()


def referral(**overrides) -> dict:
    return {"referrer": "12345 hotline", "reference": "12345-2026-0042", "reply_due": _tomorrow_local(), **overrides}


def intake_events(stack, complaint_id: str) -> list[dict]:
    log = stack.intake.get("/events", params={"after": 0, "limit": 1000}).json()["events"]
    return [e for e in log if e["subject"] == complaint_id]


def opened(stack, complaint, **overrides) -> str:
    response = stack.intake.post("/complaints", complaint(**overrides))
    assert response.status_code == 201, response.text
    cid = response.json()["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").status_code == 200, what="the case opened")
    return cid


def deadline(stack, cid: str, key: str) -> dict | None:
    return next((d for d in case(stack, cid)["deadlines"] if d["key"] == key), None)


# -- authority referrals ---------------------------------------------------------------------------------


def test_a_referral_gets_a_referrer_reply_deadline_at_the_end_of_its_date_in_campus_time(stack, complaint):
    reply_due = _tomorrow_local()
    cid = opened(stack, complaint, source="authority_referral", referral=referral(reply_due=reply_due))
    shown = stack.intake.get(f"/complaints/{cid}").json()
    assert shown["referral"] == referral(reply_due=reply_due) and shown["kind"] == "complaint"
    [received] = [e for e in intake_events(stack, cid) if e["type"] == "ComplaintReceived"]
    assert received["data"]["referral"]["reply_due"] == reply_due
    due = deadline(stack, cid, "referrer_reply")
    # 24:00 Shanghai time of that date is 16:00 UTC of the same date
    assert due["due_at"] == f"{reply_due}T16:00:00Z" and due["last_day"] == reply_due and due["department"] is None
    assert due["status"] == "open"
    assert "referrer_reply" in case(stack, cid)["allowed_actions"]


def test_the_reply_to_the_referrer_meets_its_deadline_once(stack, complaint):
    cid = opened(stack, complaint, source="authority_referral", referral=referral())
    done = act(stack, cid, "referrer-reply", summary="Findings and measures sent to the hotline")
    assert done["events"] == ["ReferrerReplied"]
    data = next(e["data"] for e in events_of(stack, cid) if e["type"] == "ReferrerReplied")
    assert data["answered_by"] == OFFICER and data["on_time"] is True
    assert deadline(stack, cid, "referrer_reply")["status"] == "met"
    act(stack, cid, "referrer-reply", 409, summary="again")
    assert "referrer_reply" not in case(stack, cid)["allowed_actions"]


def test_a_reply_to_the_referrer_of_a_complaint_not_referred_is_refused(stack, complaint):
    cid = opened(stack, complaint)
    act(stack, cid, "referrer-reply", 409, summary="no referrer")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"summary": ""}, "summary"),
        ({}, "summary"),
        ({"summary": "x", "answered_at": "tomorrow"}, "answered_at"),
        ({"summary": "x", "answered_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}, "answered_at"),
        ({"summary": "x", "answered_by": ""}, "answered_by"),
        ({"summary": "x", "extra": 1}, "extra"),
    ],
)
def test_a_bad_reply_to_the_referrer_is_a_400_naming_the_field(stack, complaint, body, field):
    cid = opened(stack, complaint, source="authority_referral", referral=referral())
    response = stack.investigation.post(f"/cases/{cid}/referrer-reply", body)
    assert response.status_code == 400, response.text
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"source": "authority_referral"}, "referral"),
        ({"referral": referral()}, "referral"),
        ({"source": "authority_referral", "referral": referral(reply_due="2026-13-01")}, "referral"),
        ({"source": "authority_referral", "referral": referral(reply_due=None)}, "referral"),
        ({"source": "authority_referral", "referral": {"referrer": "12345", "reference": "r"}}, "referral"),
        ({"source": "authority_referral", "referral": referral(referrer="")}, "referral"),
        ({"source": "authority_referral", "referral": referral(extra="x")}, "referral"),
        ({"source": "authority_referral", "referral": referral(reply_due="2020-01-01")}, "referral.reply_due"),
        ({"kind": "praise"}, "kind"),
        ({"kind": None}, "kind"),
    ],
)
def test_a_bad_referral_or_kind_is_a_400_naming_the_field(stack, complaint, overrides, field):
    response = stack.intake.post("/complaints", complaint(**overrides))
    assert response.status_code == 400, response.text
    assert field in response.json()["errors"], response.json()


def test_a_reply_date_before_the_day_of_receipt_is_named(stack, complaint):
    received = datetime.now(UTC) - timedelta(days=3)
    day_before = (received.astimezone(CST).date() - timedelta(days=1)).isoformat()
    response = stack.intake.post(
        "/complaints",
        complaint(
            source="authority_referral", referral=referral(reply_due=day_before), received_at=received.isoformat()
        ),
    )
    assert response.status_code == 400, response.text
    assert set(response.json()["errors"]) == {"referral.reply_due"}


# -- suggestions and compliments ---------------------------------------------------------------------------


def test_a_suggestion_has_no_case_and_is_adopted_once(stack, complaint):
    response = stack.intake.post("/complaints", complaint(kind="suggestion", summary="Open the pharmacy later"))
    assert response.status_code == 201, response.text
    cid = response.json()["complaint_id"]
    [received] = wait_for(
        lambda: [e for e in intake_events(stack, cid) if e["type"] == "ComplaintReceived"], what="received"
    )
    assert received["data"]["kind"] == "suggestion"
    adopted = stack.intake.post(AS_OFFICER_PATH.format(cid), {"note": "from next month"})
    assert adopted.status_code == 200, adopted.text
    assert adopted.json()["adopted_at"] is not None and adopted.json()["kind"] == "suggestion"
    again = stack.intake.post(AS_OFFICER_PATH.format(cid), {})
    assert again.status_code == 409, again.text
    assert [e["type"] for e in intake_events(stack, cid)].count("SuggestionAdopted") == 1
    # a later complaint's case opens, so investigation has consumed the suggestion: it opened none
    later = opened(stack, complaint)
    assert stack.investigation.get(f"/cases/{later}").status_code == 200
    assert stack.investigation.get(f"/cases/{cid}").status_code == 404


@pytest.mark.parametrize("kind", ["complaint", "compliment"])
def test_only_a_suggestion_can_be_adopted(stack, complaint, kind):
    cid = stack.intake.post("/complaints", complaint(kind=kind)).json()["complaint_id"]
    response = stack.intake.post(AS_OFFICER_PATH.format(cid), {})
    assert response.status_code == 409, response.text


def test_a_bad_adoption_is_a_400_naming_the_field(stack, complaint):
    cid = stack.intake.post("/complaints", complaint(kind="suggestion")).json()["complaint_id"]
    response = stack.intake.post(AS_OFFICER_PATH.format(cid), {"note": ""})
    assert response.status_code == 400 and "note" in response.json()["errors"], response.text
    response = stack.intake.post(AS_OFFICER_PATH.format(cid), {"adopted": True})
    assert response.status_code == 400 and "adopted" in response.json()["errors"], response.text


# -- follow-up of key complaints ----------------------------------------------------------------------------


def test_the_first_reply_delivered_to_a_major_complaint_starts_a_follow_up_that_the_follow_up_meets(stack, complaint):
    cid = opened(stack, complaint, severity="major", departments=[])
    assert deadline(stack, cid, "follow_up") is None
    act(stack, cid, "replies", 201, contact_person=OFFICER, actions_taken="refunded", result="substantiated")
    follow_up = wait_for(lambda: deadline(stack, cid, "follow_up"), what="the follow-up deadline")
    assert follow_up["status"] == "open" and follow_up["working_days"] == 5 and follow_up["department"] is None
    recorded = next(e["data"] for e in events_of(stack, cid) if e["type"] == "ReplyDeliveryRecorded")
    assert recorded["follow_up"]["kind"] == "follow_up"
    act(stack, cid, "follow-up", satisfied=True)
    assert deadline(stack, cid, "follow_up")["status"] == "met"


def test_a_normal_complaint_gets_no_follow_up_deadline(stack, complaint):
    cid = opened(stack, complaint, departments=[])
    act(stack, cid, "replies", 201, contact_person=OFFICER, actions_taken="refunded", result="substantiated")
    wait_for(lambda: deadline(stack, cid, "first_reply")["status"] == "met", what="the reply delivered")
    assert deadline(stack, cid, "follow_up") is None
