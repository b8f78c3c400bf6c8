"""CONTRACT §12's one causation/correlation convention, walked with one complaint from ComplaintReceived to
ReplySent through the real services: every event of the complaint, in every service, carries the id of its
first event as correlationid; causationid names the causing event, or the request (one id for all the events
of one request)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import token_for
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
OFFICER = "east-office-head"
AS_OFFICER = token_for("complaint_officer", OFFICER, ("east",))
AS_CARDIOLOGY = token_for("department_liaison", "east-cardiology-liaison", ("east",), "cardiology")


def chain(stack, complaint_id: str) -> dict[str, list[dict]]:
    """The complaint's events in each owning service's log, as a subscriber backfills them."""
    out = {}
    for service in ("intake", "investigation", "notification"):
        log = stack[service].get("/events", params={"after": 0, "limit": 1000}).json()["events"]
        out[service] = [e for e in log if e["subject"] == complaint_id]
    return out


def one(events: list[dict], event_type: str) -> dict:
    [event] = [e for e in events if e["type"] == event_type]
    return event


def act(stack, complaint_id: str, path: str, token: str = AS_OFFICER, **body) -> dict:
    response = stack.investigation.post(f"/cases/{complaint_id}/{path}", body, token=token)
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_one_complaint_from_received_to_reply_sent_is_one_chain(stack, complaint):
    created = stack.intake.post(
        "/complaints",
        complaint(departments=["cardiology"], complainant={"name": "Li Na", "email": "li.na.chain@example.org"}),
    ).json()
    cid = created["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").status_code == 200, what="the case")
    act(
        stack,
        cid,
        "findings",
        AS_CARDIOLOGY,
        department="cardiology",
        substantiated="yes",
        summary="billed twice",
        signed_off_by="east-cardiology-head",
    )
    act(stack, cid, "replies", contact_person=OFFICER, actions_taken="invoice corrected", result="refund paid")
    wait_for(
        lambda: any(e["type"] == "ReplySent" for e in chain(stack, cid)["notification"]), timeout=30, what="ReplySent"
    )
    reopened = act(stack, cid, "follow-up", satisfied=False, note="no apology")  # one request, two events
    assert reopened["events"] == ["FollowUpRecorded", "ComplaintReopened"]

    log = chain(stack, cid)
    everything = [e for events in log.values() for e in events]
    ids = {e["id"] for e in everything}
    received = one(log["intake"], "ComplaintReceived")
    opened = one(log["investigation"], "InvestigationOpened")
    findings = one(log["investigation"], "FindingsSubmitted")
    issued = one(log["investigation"], "ReplyIssued")
    sent = one(log["notification"], "ReplySent")
    followed = one(log["investigation"], "FollowUpRecorded")
    again = one(log["investigation"], "ComplaintReopened")

    # correlationid: the complaint's first event, on every event of the chain, in every service
    assert {e["correlationid"] for e in everything} == {received["id"]}, [
        (e["type"], e["correlationid"]) for e in everything
    ]
    # causationid: the causing event ...
    assert opened["causationid"] == received["id"]
    assert sent["causationid"] == issued["id"]
    # ... or the request, which is no event, and one id for every event of one request
    for by_request in (received, findings, issued, followed):
        assert by_request["causationid"] not in ids, by_request["type"]
    assert followed["causationid"] == again["causationid"]
    assert (
        len({received["causationid"], findings["causationid"], issued["causationid"], followed["causationid"]}) == 4
    )  # four requests


def test_a_subscriber_starts_from_now_by_asking_beyond_the_head(stack, complaint):
    """docs/subscribers.md, Backfill: `after` at or beyond the head answers no events and the head to start from."""
    stack.intake.post("/complaints", complaint())
    page = stack.intake.get("/events", params={"after": 2**63 - 1, "limit": 1}).json()
    assert page["events"] == [] and page["head"] >= 1
    following = stack.intake.get("/events", params={"after": page["head"] - 1, "limit": 1}).json()
    assert [e["sequence"] for e in following["events"]] == [page["head"]]
