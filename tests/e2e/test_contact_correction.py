"""Correcting the complainant's contact details through intake (issue 18 item 9): sealed like the rest, with a
``ContactDetailsCorrected`` naming the fields only; a bad phone is 400 naming the field and writes nothing; who
may correct what; the notification service is told the new details and the preferred channel."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import psycopg2
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from shared import config
from shared.auth import authenticator
from tests.e2e.conftest import REGISTERED_PERSONAL_DATA, token_for
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
OFFICE = token_for("complaint_officer", "east-office-head", ("east",))
DESK = token_for("first_contact", "east-desk-01", ("east",))
OTHER_DESK = token_for("first_contact", "east-desk-02", ("east",))
WEST_OFFICE = token_for("complaint_officer", "west-office-head", ("west",))
NEW_MOBILE, NEW_EMAIL = "+86 139 1234 5678", "wang.fang.new@example.org"
REGISTERED_PERSONAL_DATA.update({"13912345678", NEW_EMAIL, "北京市朝阳区建国路 88 号 3 单元 502"})


def registered(stack, complaint, token=DESK, **overrides) -> str:
    body = complaint(received_at=(datetime.now(UTC) - timedelta(hours=1)).isoformat(), **overrides)
    response = stack.intake.post("/complaints", body, token=token)
    assert response.status_code == 201, response.text
    return response.json()["complaint_id"]


def shown(stack, cid: str) -> dict:
    return stack.intake.get(f"/complaints/{cid}", token=OFFICE).json()


def stored(cid: str) -> tuple:
    """What the database holds for the complainant: the sealed columns, the channel, the complaint's version."""
    with psycopg2.connect(config.database_url("intake")) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT p.phone_sealed, p.email_sealed, p.postal_address_sealed, p.preferred_channel, c.version"
            " FROM complaints c JOIN complainants p ON p.complainant_ref = c.complainant_ref"
            " WHERE c.complaint_id = %s",
            (cid,),
        )
        row = cur.fetchone()
    return tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)


def events_of(stack, cid: str) -> list[dict]:
    return stack.intake.get("/events", params={"after": 0, "limit": 1000, "subject": cid}).json()["events"]


def test_the_office_corrects_the_details_sealed_and_the_event_names_only_the_fields(stack, complaint):
    cid = registered(stack, complaint)
    before = stored(cid)
    body = {"phone": NEW_MOBILE, "email": NEW_EMAIL, "postal_address": "北京市朝阳区建国路 88 号 3 单元 502"}
    response = stack.intake.post(f"/complaints/{cid}/contact", {**body, "preferred_channel": "letter"}, token=OFFICE)
    assert response.status_code == 200, response.text
    person = response.json()["complainant"]
    assert person["phone"] == "13912345678" and person["email"] == NEW_EMAIL  # normalised by shared/phones.py
    assert person["postal_address"] == body["postal_address"] and person["preferred_channel"] == "letter"
    assert person["name"] == "Wang Fang"  # not a contact detail: unchanged
    after = stored(cid)
    assert after[4] == before[4] + 1 and after[3] == "letter"
    assert b"13912345678" not in after[0] and NEW_EMAIL.encode() not in after[1]  # sealed, not in the clear
    corrected = [e for e in events_of(stack, cid) if e["type"] == "ContactDetailsCorrected"]
    assert len(corrected) == 1
    data = corrected[0]["data"]
    assert data["changed"] == ["phone", "email", "postal_address", "preferred_channel"] and data["has_contact"]
    assert data["actor"] == {"id": "east-office-head", "role": "complaint_officer"}
    assert "139" not in str(data) and "example.org" not in str(data) and "北京" not in str(data)
    history = shown(stack, cid)["history"]
    assert history[-1]["action"] == "correct_contact" and history[-1]["details"] == {"changed": data["changed"]}
    # The notification service reads the new details (and the preferred channel) at send time.
    token = authenticator().service_token("notification")
    with ClusterRpcProxy({"AMQP_URI": os.environ["AMQP_URI"]}, timeout=20) as cluster:
        contact = cluster.intake.contact_for(cid, token=token)
    assert contact["phone"] == "13912345678" and contact["preferred_channel"] == "letter"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": "+44 20 7946 0958", "email": NEW_EMAIL}, "phone"),  # the good e-mail is not written either
        ({"email": "not-an-address"}, "email"),
        ({"preferred_channel": "email"}, "preferred_channel"),  # nothing reaches them by e-mail
        ({"phone": "13800000000"}, "phone"),  # unchanged
        ({"phone": NEW_MOBILE, "clear": ["phone"]}, "phone"),
        ({}, "_schema"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(stack, complaint, body, field):
    cid = registered(stack, complaint)
    before, events = stored(cid), len(events_of(stack, cid))
    response = stack.intake.post(f"/complaints/{cid}/contact", body, token=OFFICE)
    assert response.status_code == 400, response.text
    assert field in response.json()["errors"], response.text
    assert stored(cid) == before and len(events_of(stack, cid)) == events


def test_who_may_correct_what(stack, complaint):
    cid = registered(stack, complaint)  # by east-desk-01
    change = {"phone": NEW_MOBILE}
    assert stack.intake.post(f"/complaints/{cid}/contact", change, token=OTHER_DESK).status_code == 403
    assert "contact" not in str(stack.intake.get(f"/complaints/{cid}", token=OTHER_DESK).json()["allowed_actions"])
    assert stack.intake.post(f"/complaints/{cid}/contact", change, token=WEST_OFFICE).status_code == 404
    liaison = token_for("department_liaison", "east-billing_office-liaison", ("east",), "billing_office")
    assert stack.intake.post(f"/complaints/{cid}/contact", change, token=liaison).status_code == 403
    assert stored(cid)[3] is None and shown(stack, cid)["complainant"]["phone"] == "13800000000"
    assert "correct_contact" in stack.intake.get(f"/complaints/{cid}", token=DESK).json()["allowed_actions"]
    assert stack.intake.post(f"/complaints/{cid}/contact", change, token=DESK).status_code == 200  # their own


def test_an_anonymous_or_erased_complaint_is_409(stack, complaint):
    anonymous = registered(stack, complaint, anonymous=True, complainant=None)
    response = stack.intake.post(f"/complaints/{anonymous}/contact", {"phone": NEW_MOBILE}, token=OFFICE)
    assert response.status_code == 409 and response.json()["state"] == "anonymous", response.text
    erased = registered(stack, complaint)
    assert stack.intake.post(f"/complaints/{erased}/erasure", {"reason": "书面申请"}, token=OFFICE).status_code == 200
    response = stack.intake.post(f"/complaints/{erased}/contact", {"phone": NEW_MOBILE}, token=OFFICE)
    assert response.status_code == 409 and response.json()["state"] == "erased", response.text


def test_the_case_follows_whether_the_complainant_can_be_reached(stack, complaint):
    cid = registered(stack, complaint, complainant={"name": "赵敏", "relation": "本人"})  # nothing reaches her
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").status_code == 200, what="the case")
    assert stack.investigation.get(f"/cases/{cid}").json()["has_contact"] is False
    response = stack.intake.post(f"/complaints/{cid}/contact", {"phone": NEW_MOBILE}, token=OFFICE)
    assert response.status_code == 200, response.text
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").json()["has_contact"] is True, what="has_contact")
    events = stack.investigation.get("/events", params={"after": 0, "limit": 1000, "subject": cid}).json()["events"]
    changed = [e for e in events if e["type"] == "CaseContactChanged"]
    assert len(changed) == 1 and changed[0]["data"]["has_contact"] is True
    # Another number for a reachable complainant changes nothing in the case.
    again = {"phone": "+86 139 8765 4321"}
    REGISTERED_PERSONAL_DATA.add("13987654321")
    assert stack.intake.post(f"/complaints/{cid}/contact", again, token=OFFICE).status_code == 200
    # A reclassification after it: once the case shows that, investigation has consumed the correction before it.
    reclassified = {"category": "service_quality"}  # (not the severity: a major complaint tells the leadership)
    assert stack.intake.post(f"/complaints/{cid}/reclassify", reclassified, token=OFFICE).status_code == 200

    def investigation_types() -> list[str]:
        page = stack.investigation.get("/events", params={"after": 0, "limit": 1000, "subject": cid}).json()
        return [e["type"] for e in page["events"]]

    wait_for(lambda: "CaseReclassified" in investigation_types(), what="the reclassification followed")
    assert investigation_types().count("CaseContactChanged") == 1
