"""CONTRACT §8 (issue 15 item 6): while a dispute is unsettled, erasing the complainant's personal data is
refused with 409 naming the dispute; once investigation's settlement reaches intake, the erasure is allowed.
Intake learns of the dispute from investigation's events only (its projection), never by calling it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.e2e.test_lifecycle import act
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


def registered(stack, complaint) -> str:
    created = stack.intake.post("/complaints", complaint(summary="Wrong dose given on the ward"))
    assert created.status_code == 201, created.text
    cid = created.json()["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").status_code == 200, what="case opened")
    return cid


def holds(stack, cid: str) -> list[dict]:
    return stack.intake.get(f"/complaints/{cid}").json()["erasure_held_by"]


def test_an_unsettled_dispute_holds_the_erasure_until_it_is_settled(stack, complaint):
    cid = registered(stack, complaint)
    dispute = act(stack, cid, "disputes", 201, route="negotiation", note="the family asks for compensation")
    dispute_id = dispute["dispute_id"]
    wait_for(lambda: holds(stack, cid), what="intake saw the dispute")
    assert holds(stack, cid)[0]["kind"] == "dispute" and holds(stack, cid)[0]["hold_id"] == dispute_id

    refused = stack.intake.post(f"/complaints/{cid}/erasure", {"reason": "a lawful request"})
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["state"] == "dispute_unsettled"
    assert body["held_by"] == {"dispute_id": dispute_id}
    assert dispute_id in body["error"]
    shown = stack.intake.get(f"/complaints/{cid}").json()
    assert shown["personal_data_erased"] is False and shown["complainant"]["name"] == "Wang Fang"

    act(stack, cid, f"disputes/{dispute_id}/settle", compensation_amount="800.00")
    wait_for(lambda: not holds(stack, cid), what="intake saw the settlement")
    erased = stack.intake.post(f"/complaints/{cid}/erasure", {"reason": "a lawful request"})
    assert erased.status_code == 200, erased.text
    assert erased.json()["personal_data_erased"] is True


def test_two_disputes_hold_until_both_are_settled(stack, complaint):
    cid = registered(stack, complaint)
    first = act(stack, cid, "disputes", 201, route="negotiation")["dispute_id"]
    second = act(stack, cid, "disputes", 201, route="mediation")["dispute_id"]
    wait_for(lambda: len(holds(stack, cid)) == 2, what="intake saw both disputes")
    act(stack, cid, f"disputes/{first}/settle", compensation_amount="0")
    wait_for(lambda: len(holds(stack, cid)) == 1, what="intake saw the first settlement")
    refused = stack.intake.post(f"/complaints/{cid}/erasure", {"reason": "a lawful request"})
    assert refused.status_code == 409 and refused.json()["held_by"] == {"dispute_id": second}
    act(stack, cid, f"disputes/{second}/settle", compensation_amount="100.00")
    wait_for(lambda: not holds(stack, cid), what="intake saw the second settlement")
    assert stack.intake.post(f"/complaints/{cid}/erasure", {"reason": "a lawful request"}).status_code == 200


def test_a_complaint_without_dispute_or_seal_is_erased_at_once(stack, complaint):
    cid = registered(stack, complaint)
    assert holds(stack, cid) == []
    assert stack.intake.post(f"/complaints/{cid}/erasure", {"reason": "a lawful request"}).status_code == 200


def test_a_seal_holds_the_erasure_after_the_dispute_is_settled_until_it_is_unsealed(stack, complaint):
    cid = registered(stack, complaint)
    dispute_id = act(stack, cid, "disputes", 201, route="people_mediation")["dispute_id"]
    seal = {
        "items": ["住院病历 (全部)"],
        "sealed_at": datetime.now(UTC).isoformat(),
        "hospital_witness": "east-office-head",
        "patient_side_present": True,
        "list_signed_by_both": True,
    }
    seal_id = act(stack, cid, "seals", 201, **seal)["seal_id"]
    act(stack, cid, f"disputes/{dispute_id}/settle", compensation_amount="300.00")
    wait_for(lambda: [h["kind"] for h in holds(stack, cid)] == ["seal"], what="intake saw the settlement and seal")

    refused = stack.intake.post(f"/complaints/{cid}/erasure", {"reason": "a lawful request"})
    assert refused.status_code == 409, refused.text
    assert refused.json()["state"] == "records_sealed" and refused.json()["held_by"] == {"seal_id": seal_id}

    act(stack, cid, f"seals/{seal_id}/unseal", reason="dispute_settled")
    wait_for(lambda: not holds(stack, cid), what="intake saw the unsealing")
    erased = stack.intake.post(f"/complaints/{cid}/erasure", {"reason": "a lawful request"})
    assert erased.status_code == 200, erased.text
