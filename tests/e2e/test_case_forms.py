"""Issue 18 item 8 through the real services: the extension preview in GET /cases/<id> is what a grant then gives,
and findings are signed off by a head the hospital configuration names (anyone else: 400 naming the field,
nothing written); the extension's reason and requester are kept on the case."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import token_for
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
OFFICE = token_for("complaint_officer", "east-office-head", ("east",))
CARDIOLOGY = token_for("department_liaison", "east-cardiology-liaison", ("east",), "cardiology")


def opened(stack, complaint) -> str:
    response = stack.intake.post("/complaints", complaint(departments=["cardiology"]), token=OFFICE)
    assert response.status_code == 201, response.text
    cid = response.json()["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").status_code == 200, what="the case")
    return cid


def case(stack, cid: str) -> dict:
    return stack.investigation.get(f"/cases/{cid}", token=OFFICE).json()


@pytest.mark.parametrize("signer", ["east-nursing-head", "west-cardiology-head", "east-cardiology-liaison", "h"])
def test_findings_signed_off_by_anyone_but_a_configured_head_are_400_and_write_nothing(stack, complaint, signer):
    cid = opened(stack, complaint)
    before = case(stack, cid)
    body = {"department": "cardiology", "substantiated": "no", "summary": "as planned", "signed_off_by": signer}
    response = stack.investigation.post(f"/cases/{cid}/findings", body, token=CARDIOLOGY)
    assert response.status_code == 400, response.text
    assert list(response.json()["errors"]) == ["signed_off_by"] and "east-cardiology-head" in response.text
    after = case(stack, cid)
    assert after["version"] == before["version"] and after["assignments"] == before["assignments"]
    good = {**body, "signed_off_by": "east-cardiology-head"}
    assert stack.investigation.post(f"/cases/{cid}/findings", good, token=CARDIOLOGY).status_code == 200


def test_the_preview_is_what_the_grant_gives_and_the_request_keeps_its_reason_and_requester(stack, complaint):
    cid = opened(stack, complaint)
    preview = case(stack, cid)["extension_preview"]
    assert preview["max_days"] == 5 and list(preview["departments"]["cardiology"]) == ["1", "2", "3", "4", "5"]
    asked = {"department": "cardiology", "reason": "等候影像会诊", "requested_days": 4}
    response = stack.investigation.post(f"/cases/{cid}/extensions", asked, token=CARDIOLOGY)
    assert response.status_code == 201, response.text
    extension_id = response.json()["extension_id"]
    shown = case(stack, cid)
    request = shown["extensions"][extension_id]
    assert (request["reason"], request["requested_by"], request["requested_days"]) == (
        "等候影像会诊",
        "east-cardiology-liaison",
        4,
    )
    assert shown["extension_preview"]["departments"] == {}  # on hold: nothing more to ask for
    will_be = shown["extension_preview"]["pending"][extension_id]
    assert will_be == preview["departments"]["cardiology"]["4"]
    decided = stack.investigation.post(
        f"/cases/{cid}/extensions/{extension_id}/decision", {"granted": True}, token=OFFICE
    )
    assert decided.status_code == 200, decided.text
    deadline = next(d for d in case(stack, cid)["deadlines"] if d["key"] == "investigation:cardiology")
    assert deadline["last_day"] == will_be
