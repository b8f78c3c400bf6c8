"""A complaint through all four services, running as real processes."""

from __future__ import annotations

import signal

import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


def case_of(stack, complaint_id: str) -> dict | None:
    response = stack.investigation.get(f"/cases/{complaint_id}")
    return response.json() if response.status_code == 200 else None


def received_total(stack, campus: str | None = None, day: str | None = None) -> int:
    params = {"campus": campus} if campus else {}
    if day:  # a fixed receipt day: a period that holds it whatever the date of the run
        params.update({"from": day, "to": day})
    return stack.reporting.get("/reports/summary", params=params).json()["received"]["total"]


def test_a_complaint_flows_through_all_four_services(stack, complaint):
    before = received_total(stack, "west", "2026-11-20")
    response = stack.intake.post(
        "/complaints",
        complaint(
            campus="west",
            category="medical_quality",
            departments=["cardiology", "nursing"],
            received_at="2026-11-20T09:30:00+08:00",
        ),
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["reference"].startswith("WEST-2026-")

    case = wait_for(lambda: case_of(stack, created["complaint_id"]), what="the case opened by investigation")
    assert case["reference"] == created["reference"]
    assert case["departments"] == ["cardiology", "nursing"]
    first_reply = next(d for d in case["deadlines"] if d["kind"] == "first_reply")
    # Received Friday 2026-11-20; two departments → 10 working days: Mon 23 Nov .. Fri 4 Dec.
    assert first_reply["last_day"] == "2026-12-04" and first_reply["working_days"] == 10
    assert first_reply["due_at"] == "2026-12-04T16:00:00Z"  # 24:00 Asia/Shanghai
    assert first_reply["provisional"] is False and first_reply["calendar_version"].startswith("cn-statutory/")

    def acknowledged():
        # only the acknowledgement: the investigations' deadlines (27 Nov) are past by now, so breach
        # alerts and reminders to staff join it, sooner or later depending on the date of the run
        notes = stack.notification.get("/notifications", params={"complaint_id": created["complaint_id"]}).json()
        return [
            (n["purpose"], n["channel"], n["status"])
            for n in notes["notifications"]
            if n["purpose"] == "acknowledgement"
        ]

    # The complainant gave a phone number only: acknowledged by SMS, through the real gateway.
    # (Staff alerts for the by-now-passed investigation deadline are other notifications.)
    wait_for(lambda: acknowledged() == [("acknowledgement", "sms", "sent")], what="the acknowledgement sent")
    sms = [m for m in stack.sms.messages() if created["reference"] in m["text"]]
    # typed "+86 138 0000 0000": stored and dialled normalised (shared/phones.py)
    assert len(sms) == 1 and sms[0]["to"] == "13800000000" and sms[0]["authorization"] == "Bearer test-token"

    wait_for(lambda: received_total(stack, "west", "2026-11-20") == before + 1, what="reporting counting the complaint")
    by_category = stack.reporting.get(
        "/reports/summary", params={"campus": "west", "from": "2026-11-20", "to": "2026-11-20"}
    ).json()
    assert by_category["received"]["by_campus"]["west"]["by_category"]["medical_quality"] >= 1


def test_events_carry_no_personal_data_and_backfill_serves_them_in_order(stack, complaint):
    response = stack.intake.post(
        "/complaints",
        complaint(
            complainant={"name": "Zhao Min", "phone": "13912345678", "email": "zhao.min@example.org"},
            patient={"name": "Zhao Xiaoming", "mrn": "MRN-778899"},
        ),
    )
    complaint_id = response.json()["complaint_id"]
    page = stack.intake.get("/events", params={"after": 0, "limit": 1000}).json()
    sequences = [e["sequence"] for e in page["events"]]
    assert sequences == list(range(1, len(sequences) + 1)) and page["head"] == sequences[-1]
    mine = [e for e in page["events"] if e["subject"] == complaint_id]
    assert [e["type"] for e in mine] == ["ComplaintReceived"]
    text = str(mine[0])
    for secret in ("Zhao", "13912345678", "zhao.min@example.org", "MRN-778899", "Charged twice"):
        assert secret not in text
    assert mine[0]["data"]["complainant_ref"] and mine[0]["data"]["has_contact"] is True
    assert stack.intake.get("/events", params={"after": sequences[-1]}).json()["events"] == []
    bad = stack.intake.get("/events", params={"after": -1, "limit": 5000})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"after", "limit"}


def test_bad_input_is_refused_naming_each_field_and_writes_nothing(stack, complaint):
    head = stack.intake.get("/events", params={"after": 0, "limit": 1}).json()["head"]
    listed = len(stack.intake.get("/complaints").json()["complaints"])
    cases = [
        (complaint(campus="north"), {"campus"}),
        (complaint(channel="fax", severity="urgent"), {"channel", "severity"}),
        (complaint(departments=["cardiology", "astrology"]), {"departments"}),
        (complaint(received_at="2026-11-20T09:30:00"), {"received_at"}),
        (complaint(surprise="field"), {"surprise"}),
        ({k: v for k, v in complaint().items() if k != "summary"}, {"summary"}),
        (complaint(anonymous=True), {"complainant"}),
    ]
    for body, fields in cases:
        response = stack.intake.post("/complaints", body)
        assert response.status_code == 400, (body, response.text)
        assert set(response.json()["errors"]) == fields, response.text
    not_json = stack.intake.post("/complaints", data=b"{oops", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400 and "_body" in not_json.json()["errors"]
    too_big = stack.intake.post("/complaints", complaint(summary="x" * 300_000))
    assert too_big.status_code == 413
    assert stack.intake.get("/events", params={"after": 0, "limit": 1}).json()["head"] == head
    assert len(stack.intake.get("/complaints").json()["complaints"]) == listed
    assert stack.intake.get("/complaints/not-a-uuid").status_code == 404
    assert stack.investigation.get("/cases/00000000-0000-0000-0000-000000000000").status_code == 404


def test_health_and_metrics_on_every_service(stack):
    for process in stack.values():
        assert process.get("/health/live").json()["status"] == "live"
        assert process.get("/health/ready").json()["checks"] == {"database": True, "broker": True}
        metrics = process.get("/metrics")
        assert metrics.headers["Content-Type"].startswith("text/plain")
        assert "complaints_http_requests_total" in metrics.text
    assert 'complaints_relay_leader{service="intake"} 1.0' in stack.intake.get("/metrics").text
    assert "complaints_consumer_applied_events_total" in stack.reporting.get("/metrics").text


@pytest.mark.parametrize("victim,sig", [("investigation", signal.SIGKILL), ("reporting", signal.SIGTERM)])
def test_a_service_restarted_mid_flow_still_converges(stack, complaint, victim, sig):
    before = received_total(stack, "east")
    ids = []
    for n in range(12):
        if n == 4:
            stack[victim].stop(sig)  # down while complaints keep coming
        ids.append(stack.intake.post("/complaints", complaint(summary=f"complaint {n}")).json()["complaint_id"])
    stack[victim].start()
    wait_for(lambda: all(case_of(stack, i) for i in ids), timeout=30, what="every case opened")
    wait_for(lambda: received_total(stack, "east") >= before + 12, timeout=30, what="every complaint counted")
    # Exactly once: every case opened once in investigation's log, every complaint counted once.
    log = stack.investigation.get("/events", params={"after": 0, "limit": 1000}).json()["events"]
    opened = [e["subject"] for e in log if e["type"] == "InvestigationOpened"]
    assert sorted(i for i in opened if i in ids) == sorted(ids)
    assert received_total(stack, "east") == before + 12
