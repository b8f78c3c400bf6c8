"""A complaint from receipt to close through the real services: escalation, breaches, an extension,
findings, a reply, a rectification, a dissatisfied follow-up that reopens it, and the close."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from shared.config import hospital_config_path
from shared.workdays import calendar_from_config
from tests.e2e.conftest import token_for
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
OFFICER = "east-office-head"
AS_OFFICER = token_for("complaint_officer", OFFICER, ("east",))
AS_CARDIOLOGY = token_for("department_liaison", "east-cardiology-liaison", ("east",), "cardiology")
AS_NURSING = token_for("department_liaison", "east-nursing-liaison", ("east",), "nursing")


def events_of(stack, complaint_id: str) -> list[dict]:
    log = stack.investigation.get("/events", params={"after": 0, "limit": 1000}).json()["events"]
    return [e for e in log if e["subject"] == complaint_id]


def types_of(stack, complaint_id: str) -> list[str]:
    return [e["type"] for e in events_of(stack, complaint_id)]


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def case(stack, complaint_id: str) -> dict:
    return stack.investigation.get(f"/cases/{complaint_id}").json()


def act(stack, complaint_id: str, path: str, status: int = 200, token: str = AS_OFFICER, **body) -> dict:
    """An action on the case, as the east complaint office head unless another caller is named."""
    response = stack.investigation.post(f"/cases/{complaint_id}/{path}", body, token=token)
    assert response.status_code == status, response.text
    return response.json()


def test_receipt_to_close_with_breach_extension_rectification_and_reopening(stack, complaint):
    received_at = (datetime.now(UTC) - timedelta(days=21)).isoformat()
    created = stack.intake.post(
        "/complaints",
        complaint(
            severity="major",
            category="medical_quality",
            departments=["cardiology"],
            received_at=received_at,
            complainant=None,
        ),
    ).json()
    cid = created["complaint_id"]

    # Major: escalated on receipt. Received three weeks ago: the first reply is already past → breached, once.
    # Cardiology, named at registration, was assigned then: its 5 working days start now (issue 12).
    wait_for(lambda: "ComplaintEscalated" in types_of(stack, cid), what="escalation on receipt")
    # The statutory feedback deadline (CONTRACT §7), as old as the first reply's, breaches with it.
    wait_for(lambda: types_of(stack, cid).count("DeadlineBreached") == 2, what="the first reply's breach")
    breached = {e["data"]["deadline"]["kind"] for e in events_of(stack, cid) if e["type"] == "DeadlineBreached"}
    assert breached == {"first_reply", "statutory_feedback"}
    cardiology = next(d for d in case(stack, cid)["deadlines"] if d["key"] == "investigation:cardiology")
    assert cardiology["status"] == "open" and at(cardiology["due_at"]) > datetime.now(UTC)
    assert case(stack, cid)["overdue"] is True
    overdue = stack.investigation.get("/cases", params={"campus": "east", "overdue": "true"}).json()["cases"]
    assert cid in {c["complaint_id"] for c in overdue}
    act(stack, cid, "escalate", 409, reason="again")
    # What each caller may do now, as the case answers it (the console offers exactly these).
    assert case(stack, cid)["allowed_actions"] == [
        "assign",
        "request_extension",
        "submit_findings",
        "issue_reply",
        "issue_feedback",
        "order_rectification",
        "record_dispute",
    ]
    as_cardiology = stack.investigation.get(f"/cases/{cid}", token=AS_CARDIOLOGY).json()
    assert as_cardiology["allowed_actions"] == ["request_extension", "submit_findings"]

    # A second department now: its own 5 working days, and an extension asked in time, granted.
    act(stack, cid, "assignments", departments=["nursing"])
    extension = act(
        stack,
        cid,
        "extensions",
        201,
        department="nursing",
        reason="waiting for the night shift",
        requested_days=3,
        token=AS_NURSING,
    )
    nursing_before = next(d for d in case(stack, cid)["deadlines"] if d["key"] == "investigation:nursing")
    assert nursing_before["on_hold"] is True
    act(stack, cid, f"extensions/{extension['extension_id']}/decision", granted=True, note="ok")
    nursing = next(d for d in case(stack, cid)["deadlines"] if d["key"] == "investigation:nursing")
    assert nursing["working_days"] == 8 and nursing["due_at"] > nursing_before["due_at"]

    # Findings from both, in time. Then the reply (nobody to deliver to: no contact details).
    act(stack, cid, "replies", 409, contact_person=OFFICER, actions_taken="x", result="y")
    act(
        stack,
        cid,
        "findings",
        department="cardiology",
        substantiated="partly",
        summary="ECG read late",
        signed_off_by="east-cardiology-head",
        token=AS_CARDIOLOGY,
    )
    act(
        stack,
        cid,
        "findings",
        department="nursing",
        substantiated="no",
        summary="care as planned",
        signed_off_by="east-nursing-head",
        token=AS_NURSING,
    )
    findings = [e["data"] for e in events_of(stack, cid) if e["type"] == "FindingsSubmitted"]
    assert {f["department"]: f["on_time"] for f in findings} == {"cardiology": True, "nursing": True}
    act(
        stack,
        cid,
        "replies",
        201,
        contact_person=OFFICER,
        actions_taken="ECG process changed",
        result="partly substantiated",
    )

    # A rectification, ordered and completed; closing waits for it.
    rect = act(stack, cid, "rectifications", 201, department="cardiology", description="read every ECG in 1h")
    act(stack, cid, "close", 409)
    act(stack, cid, f"rectifications/{rect['rectification_id']}/complete", note="done", token=AS_CARDIOLOGY)

    # The complainant is not satisfied: the case reopens with a new first-reply clock.
    reopened = act(stack, cid, "follow-up", satisfied=False, note="no apology")
    assert reopened["status"] == "open" and reopened["events"] == ["FollowUpRecorded", "ComplaintReopened"]
    current = case(stack, cid)
    assert current["reopened"] == 1 and current["assignments"] == {}
    reply_clock = next(d for d in current["deadlines"] if d["key"] == "first_reply")
    assert reply_clock["status"] == "open" and reply_clock["working_days"] == 10  # two departments involved

    # Second round: the office answers again, the complainant is satisfied, the case closes.
    act(stack, cid, "replies", 201, contact_person=OFFICER, actions_taken="apology by the head", result="apologised")
    act(stack, cid, "follow-up", satisfied=True)
    closed = act(stack, cid, "close", outcome="resolved after apology")
    assert closed["status"] == "closed"
    act(stack, cid, "close", 409)
    assert case(stack, cid)["allowed_actions"] == ["reopen", "record_dispute"]
    assert stack.investigation.get(f"/cases/{cid}", token=AS_CARDIOLOGY).json()["allowed_actions"] == []

    # Every action is in the log with the staff member who took it; breaches stayed exactly once.
    log = events_of(stack, cid)
    assert [e["type"] for e in log].count("DeadlineBreached") == 2  # first reply and statutory feedback
    # Who acted is the caller's token: subject and role, on every event.
    actors = {e["type"]: e["data"]["actor"] for e in log if "actor" in e["data"]}
    assert actors["ExtensionRequested"] == {"id": "east-nursing-liaison", "role": "department_liaison"}
    assert actors["RectificationCompleted"] == {"id": "east-cardiology-liaison", "role": "department_liaison"}
    assert actors["ComplaintClosed"] == {"id": OFFICER, "role": "complaint_officer"}
    assert actors["DeadlineBreached"] == {"id": "system", "role": "system"}
    assert all(e["data"].get("campus") == "east" for e in log)
    wait_for(
        lambda: stack.intake.get(f"/complaints/{cid}").json()["status"] == "closed", what="intake following the close"
    )


def test_actions_refused_in_the_wrong_state_name_the_state_and_change_nothing(stack, complaint):
    cid = stack.intake.post("/complaints", complaint(departments=[])).json()["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").status_code == 200, what="case")
    before = case(stack, cid)
    refusals = [
        ("follow-up", {"satisfied": True}, "the case is open"),
        ("close", {}, "the case is open"),
        ("reopen", {"reason": "new_facts"}, "the case is open"),
        (
            "findings",
            {"department": "cardiology", "substantiated": "yes", "summary": "s", "signed_off_by": "h"},
            "cardiology is not assigned",
        ),
        ("extensions", {"department": "cardiology", "reason": "r", "requested_days": 2}, "cardiology is not assigned"),
    ]
    for path, body, why in refusals:
        response = stack.investigation.post(f"/cases/{cid}/{path}", body)
        assert response.status_code == 409, (path, response.text)
        assert response.json()["state"] == "open" and why in response.json()["error"], (path, response.text)
    unknown = [
        ("extensions/00000000-0000-0000-0000-000000000001/decision", {"granted": True}),
        ("rectifications/00000000-0000-0000-0000-000000000001/complete", {}),
        ("disputes/00000000-0000-0000-0000-000000000001/settle", {"compensation_amount": "10.00"}),
    ]
    for path, body in unknown:
        assert stack.investigation.post(f"/cases/{cid}/{path}", body).status_code == 404, path
    bad = [
        ("assignments", {"departments": ["astrology"]}, "departments"),
        ("assignments", {"departments": []}, "departments"),
        ("assignments", {"departments": ["nursing"], "actor": OFFICER}, "actor"),  # who acts is the token
        ("extensions", {"department": "nursing", "reason": "r", "requested_days": 0}, "requested_days"),
        (
            "findings",
            {"department": "nursing", "substantiated": "maybe", "summary": "s", "signed_off_by": "h"},
            "substantiated",
        ),
        ("disputes", {"route": "duel"}, "route"),
        ("follow-up", {"satisfied": "yes"}, "satisfied"),
        ("rectifications", {"department": "nursing", "description": "d", "extra": 1}, "extra"),
    ]
    for path, body, field in bad:
        response = stack.investigation.post(f"/cases/{cid}/{path}", body)
        assert response.status_code == 400, (path, response.text)
        assert field in response.json()["errors"], (path, response.text)
    assert stack.investigation.post("/cases/not-a-uuid/close", {}).status_code == 404
    assert stack.investigation.post("/cases/00000000-0000-0000-0000-000000000000/close", {}).status_code == 404
    after = case(stack, cid)
    assert after["version"] == before["version"] and after["deadlines"] == before["deadlines"]


def test_disputes_are_recorded_and_settled_with_compensation(stack, complaint):
    cid = stack.intake.post("/complaints", complaint()).json()["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").status_code == 200, what="case")
    dispute = act(stack, cid, "disputes", 201, route="mediation", note="via the city mediation board")
    act(stack, cid, f"disputes/{dispute['dispute_id']}/settle", compensation_amount="1200.5")
    act(stack, cid, f"disputes/{dispute['dispute_id']}/settle", 409, compensation_amount="1")
    settled = next(e for e in events_of(stack, cid) if e["type"] == "DisputeSettled")["data"]
    assert settled["compensation_amount"] == "1200.50" and settled["currency"] == "CNY"
    assert settled["route"] == "mediation"


def test_a_late_letter_naming_a_department_gives_it_5_working_days_from_registration(stack, complaint):
    calendar = calendar_from_config("east", {"timezone": "Asia/Shanghai"})
    received_at = datetime.now(UTC) - timedelta(days=6)
    before = datetime.now(UTC)
    cid = stack.intake.post(
        "/complaints", complaint(channel="letter", departments=["cardiology"], received_at=received_at.isoformat())
    ).json()["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").status_code == 200, what="case")
    [opened] = [e["data"] for e in events_of(stack, cid) if e["type"] == "InvestigationOpened"]
    assigned_at = at(opened["assigned_at"])
    assert before <= assigned_at <= datetime.now(UTC)
    deadlines = {d["key"]: d for d in case(stack, cid)["deadlines"]}
    assert (
        deadlines["investigation:cardiology"]["last_day"]
        == calendar.add_working_days(assigned_at, 5).last_day.isoformat()
    )
    assert at(deadlines["investigation:cardiology"]["started_at"]) == assigned_at
    # The first reply still counts from receipt.
    assert deadlines["first_reply"]["last_day"] == calendar.add_working_days(received_at, 5).last_day.isoformat()


def test_investigation_refuses_to_start_with_an_announced_schedule_for_a_year_the_library_covers(tmp_path):
    config = json.loads(hospital_config_path().read_text(encoding="utf-8"))
    config["campuses"]["east"].setdefault("calendar", {})["announced_years"] = {
        "2026": {"holidays": ["2026-10-09"], "workdays": []}
    }
    path = tmp_path / "hospital.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    env = {**os.environ, "HOSPITAL_CONFIG": str(path), "INVESTIGATION_PORT": "0"}
    run = subprocess.run(
        [sys.executable, "-m", "shared.run", "investigation"], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode != 0
    assert (
        "hospital configuration, campus 'east', calendar: announced_years.2026: chinesecalendar 1.11.0 "
        "already covers 2026" in run.stderr
    )
