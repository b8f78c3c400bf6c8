"""Notification delivering for real: a real SMTP server and a real HTTP server standing in for the SMS
gateway, both on loopback; intake's contact details over nameko RPC at send time."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import psycopg2
import pytest

from services.investigation import domain as investigation
from services.notification.templates import ROOT as TEMPLATES_ROOT
from shared import config
from shared.workdays import calendar_from_config
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
OFFICER = "east-office-head"


def notes(stack, complaint_id: str) -> list[dict]:
    return stack.notification.get("/notifications", params={"complaint_id": complaint_id}).json()["notifications"]


def note(stack, complaint_id: str, purpose: str) -> dict | None:
    return next((n for n in notes(stack, complaint_id) if n["purpose"] == purpose), None)


def settled(stack, complaint_id: str, purpose: str) -> dict:
    """The notification once it stopped being pending (or being sent: ``sending`` is a claim in flight)."""
    return wait_for(
        lambda: (n := note(stack, complaint_id, purpose)) and n["status"] not in ("pending", "sending") and n,
        timeout=30,
        what=f"{purpose} settled",
    )


def events(stack, complaint_id: str, event_type: str) -> list[dict]:
    log = stack.notification.get("/events", params={"after": 0, "limit": 1000}).json()["events"]
    return [e for e in log if e["subject"] == complaint_id and e["type"] == event_type]


def mails_to(stack, address: str, needle: str = "") -> list[dict]:
    return [m for m in stack.smtp.messages() if address in m["to"] and needle in m["subject"] + m["body"]]


def reply_to(stack, complaint_id: str, **extra) -> str:
    response = stack.investigation.post(
        f"/cases/{complaint_id}/replies",
        {"contact_person": OFFICER, "actions_taken": "the invoice was corrected", "result": "refund paid", **extra},
    )
    assert response.status_code == 201, response.text
    return response.json()["reply_id"]


def registered(stack, complaint, **overrides) -> dict:
    created = stack.intake.post("/complaints", complaint(departments=[], **overrides)).json()
    wait_for(lambda: stack.investigation.get(f"/cases/{created['complaint_id']}").status_code == 200, what="case")
    return created


def test_a_reply_by_email_is_delivered_stops_the_clock_and_lets_the_case_close(stack, complaint):
    email = "li.na@example.org"
    created = registered(stack, complaint, complainant={"name": "Li Na", "email": email, "phone": "13800001111"})
    cid = created["complaint_id"]
    ack = settled(stack, cid, "acknowledgement")
    assert (ack["channel"], ack["status"]) == ("email", "sent")  # e-mail before SMS

    reply_id = reply_to(stack, cid)
    sent = settled(stack, cid, "reply")
    assert (sent["channel"], sent["status"], sent["attempts"]) == ("email", "sent", 1)
    [mail] = mails_to(stack, email, "refund paid")
    assert created["reference"] in mail["subject"] and "Li Na" in mail["body"]
    assert "东院区投诉管理办公室主任" in mail["body"]  # the contact person, named in the reader's language
    [replied] = events(stack, cid, "ReplySent")
    assert replied["data"]["reply_id"] == reply_id and replied["data"]["channel"] == "email"
    assert email not in str(replied) and "Li Na" not in str(replied)

    # ReplySent stops investigation's first-reply clock; the case may now close.
    wait_for(
        lambda: (
            next(d for d in stack.investigation.get(f"/cases/{cid}").json()["deadlines"] if d["key"] == "first_reply")[
                "status"
            ]
            == "met"
        ),
        what="first reply met",
    )
    assert stack.investigation.post(f"/cases/{cid}/close", {}).status_code == 200


def test_smtp_down_is_retried_then_reported_as_failed(stack, complaint):
    email = "wu.gang@example.org"
    created = registered(stack, complaint, complainant={"name": "Wu Gang", "email": email})
    cid = created["complaint_id"]
    settled(stack, cid, "acknowledgement")
    stack.smtp.stop()
    try:
        reply_id = reply_to(stack, cid)
        failed = settled(stack, cid, "reply")
        assert (failed["status"], failed["attempts"]) == ("failed", 3)
        assert "SMTP unavailable" in failed["last_error"]
        [event] = events(stack, cid, "NotificationFailed")
        assert event["data"]["purpose"] == "reply" and event["data"]["reply_id"] == reply_id
        assert event["data"]["attempts"] == 3 and email not in str(event)
        metrics = stack.notification.get("/metrics").text
        assert 'complaints_notifications_total{channel="email",outcome="failed",purpose="reply"}' in metrics
    finally:
        stack.smtp.start()
    # The office sees it; investigation knows the reply could not be delivered and lets the case close.
    wait_for(
        lambda: stack.investigation.post(f"/cases/{cid}/close", {}).status_code == 200,
        what="close after a failed delivery",
    )


def test_sms_gateway_500_then_recovering_is_sent_on_a_retry(stack, complaint):
    created = registered(stack, complaint, complainant={"name": "Sun Li", "phone": "13900002222"})
    cid = created["complaint_id"]
    settled(stack, cid, "acknowledgement")
    stack.sms.mode(status=503)
    try:
        reply_to(stack, cid)
        wait_for(lambda: (note(stack, cid, "reply") or {}).get("attempts", 0) >= 1, what="a first failed attempt")
    finally:
        stack.sms.mode(status=200)
    sent = settled(stack, cid, "reply")
    assert sent["status"] == "sent" and sent["channel"] == "sms" and sent["attempts"] >= 2
    assert len([m for m in stack.sms.messages() if m["to"] == "13900002222" and "refund paid" in m["text"]]) == 1


def test_sms_gateway_timeouts_and_refusals_end_in_notification_failed(stack, complaint):
    slow = registered(stack, complaint, complainant={"name": "Qian", "phone": "13900003333"})
    refused = registered(stack, complaint, complainant={"name": "Zhou", "phone": "13900004444"})
    settled(stack, slow["complaint_id"], "acknowledgement")
    settled(stack, refused["complaint_id"], "acknowledgement")
    stack.sms.mode(delay=2)  # the service gives the gateway one second
    try:
        reply_to(stack, slow["complaint_id"])
        timed_out = settled(stack, slow["complaint_id"], "reply")
        assert (timed_out["status"], timed_out["attempts"]) == ("failed", 3)
        assert "timed out" in timed_out["last_error"]

        # The gateway records a message only when it answers, 2 s in: wait for the last timed-out attempt, so
        # that it is not counted by whatever test comes next. The three attempts carried one key: the gateway
        # took the first and absorbed the two retries, so the complainant got one SMS.
        def late() -> list[dict]:
            return [m for m in stack.sms.messages() if m["to"] == "13900003333" and "refund paid" in m["text"]]

        wait_for(lambda: late() and stack.sms.repeats().count(late()[0]["id"]) == 2, what="the gateway's late answers")
        assert len(late()) == 1
        stack.sms.mode(status=400)  # a refusal is final at once: no retry
        reply_to(stack, refused["complaint_id"])
        final = settled(stack, refused["complaint_id"], "reply")
        assert (final["status"], final["attempts"]) == ("failed", 1)
        assert "refused the message (400)" in final["last_error"]
    finally:
        stack.sms.mode(status=200)
    assert len(events(stack, slow["complaint_id"], "NotificationFailed")) == 1
    assert len(events(stack, refused["complaint_id"], "NotificationFailed")) == 1


def test_an_anonymous_complainant_gets_nothing_and_that_is_recorded(stack, complaint):
    before = len(stack.smtp.messages()) + len(stack.sms.messages())
    created = registered(stack, complaint, anonymous=True, complainant=None)
    cid = created["complaint_id"]
    ack = settled(stack, cid, "acknowledgement")
    assert ack["status"] == "not_sent" and "anonymous" in ack["last_error"]
    reply_to(stack, cid)
    assert settled(stack, cid, "reply")["status"] == "not_sent"
    assert len(stack.smtp.messages()) + len(stack.sms.messages()) == before
    assert stack.investigation.post(f"/cases/{cid}/close", {}).status_code == 200


def test_a_postal_address_alone_means_a_letter_the_office_posts(stack, complaint):
    address = "北京市东城区示例街 1 号"
    created = registered(
        stack, complaint, complainant={"name": "Zheng Hua", "relation": "self", "postal_address": address}
    )
    assert created["warnings"] == []  # a letter can reach them
    cid = created["complaint_id"]
    assert settled(stack, cid, "acknowledgement")["status"] == "not_sent"
    reply_to(stack, cid)
    letter = settled(stack, cid, "reply")
    assert (letter["channel"], letter["status"]) == ("letter", "queued")
    queued = stack.notification.get("/letters", params={"campus": "east"}).json()["letters"]
    assert letter["notification_id"] in {q["notification_id"] for q in queued}
    page = stack.notification.get(f"/letters/{letter['notification_id']}")
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Zheng Hua" in page.text and "refund paid" in page.text and created["reference"] in page.text
    assert address in page.text  # addressed where they asked
    assert "<script" not in page.text and "http" not in page.text.split("<body>")[1]  # nothing fetched
    posted = stack.notification.post(f"/letters/{letter['notification_id']}/posted", {})
    assert posted.status_code == 200
    again = stack.notification.post(f"/letters/{letter['notification_id']}/posted", {})
    assert again.status_code == 409 and again.json()["state"] == "sent"
    assert events(stack, cid, "ReplySent")[0]["data"]["channel"] == "letter"
    wait_for(
        lambda: (
            next(d for d in stack.investigation.get(f"/cases/{cid}").json()["deadlines"] if d["key"] == "first_reply")[
                "status"
            ]
            in ("met", "met_late")
        ),
        what="first reply met",
    )
    assert (
        stack.notification.post(f"/letters/{letter['notification_id']}/posted", {"actor": OFFICER}).status_code == 400
    )  # who posted it is the token
    assert stack.notification.get("/letters/not-a-uuid").status_code == 404
    assert stack.notification.get("/letters", params={"status": "lost"}).status_code == 400


def test_no_usable_contact_is_a_warning_at_registration_and_a_reply_is_flagged_not_lettered(stack, complaint):
    created = registered(stack, complaint, complainant={"name": "Qian Wei", "phone": "010-12345678"})
    [warning] = created["warnings"]
    assert warning["code"] == "no_usable_contact" and "complainant.postal_address" in warning["fields"]
    cid = created["complaint_id"]
    assert settled(stack, cid, "acknowledgement")["status"] == "not_sent"  # no SMS to a landline
    reply_to(stack, cid)
    flagged = settled(stack, cid, "reply")
    assert (flagged["channel"], flagged["status"]) == ("letter", "failed")
    [failed] = events(stack, cid, "NotificationFailed")
    assert failed["data"]["reason"] == "no_address" and "010-12345678" not in str(failed)
    assert flagged["notification_id"] not in {
        q["notification_id"] for q in stack.notification.get("/letters", params={"campus": "east"}).json()["letters"]
    }


def test_a_reply_given_by_phone_is_recorded_as_delivered_and_stops_the_clock(stack, complaint):
    created = registered(stack, complaint, complainant={"name": "Qian Wei", "phone": "010-12345678"})
    cid = created["complaint_id"]
    body = {"contact_person": OFFICER, "actions_taken": "called back", "result": "apology"}
    bad = stack.investigation.post(f"/cases/{cid}/replies", {**body, "channel_preference": "phone"})
    assert bad.status_code == 400 and "delivered_at" in bad.text and "delivered_by" in bad.text
    given = datetime.now(UTC).replace(microsecond=0).isoformat()
    phoned = stack.investigation.post(
        f"/cases/{cid}/replies", {**body, "channel_preference": "phone", "delivered_at": given, "delivered_by": OFFICER}
    )
    assert phoned.status_code == 201, phoned.text
    recorded = settled(stack, cid, "reply")
    assert (recorded["channel"], recorded["status"]) == ("phone", "sent")
    [sent] = events(stack, cid, "ReplySent")
    assert sent["data"]["channel"] == "phone" and sent["data"]["actor"]["id"] == OFFICER
    wait_for(
        lambda: (
            next(d for d in stack.investigation.get(f"/cases/{cid}").json()["deadlines"] if d["key"] == "first_reply")[
                "status"
            ]
            in ("met", "met_late")
        ),
        what="first reply met by the call",
    )


def test_staff_are_told_escalations_rectifications_and_breaches(stack, complaint):
    past = (datetime.now(UTC) - timedelta(days=21)).isoformat()
    created = registered(stack, complaint, severity="major", received_at=past, complainant=None)
    cid = created["complaint_id"]
    # Received three weeks ago: the major complaint's escalation, and (CONTRACT §7's ladder) one more
    # for the first reply still unmet two working days after its breach. Each leader gets each once.
    wait_for(
        lambda: len([n for n in notes(stack, cid) if n["purpose"] == "escalation" and n["status"] == "sent"]) >= 2,
        what="both leaders told",
    )
    for leader in ("leadership@demo-hospital.example", "quality-vp@demo-hospital.example"):
        subjects = [m["subject"] for m in mails_to(stack, leader, cid)]
        assert len([s for s in subjects if s.startswith("重大投诉上报")]) == 1, subjects
    assert settled(stack, cid, "breach_alert")["status"] == "sent"  # first reply, received three weeks ago
    assert mails_to(stack, "complaints-east@demo-hospital.example", cid)
    response = stack.investigation.post(
        f"/cases/{cid}/rectifications", {"department": "nursing", "description": "double-check every drip"}
    )
    assert response.status_code == 201
    assert settled(stack, cid, "rectification")["status"] == "sent"
    assert mails_to(stack, "nursing-east@demo-hospital.example", "double-check every drip")


def _received_for_a_reminder_now() -> datetime:
    """A receipt time whose 5-working-day deadline's reminder is due now but the deadline is not."""
    calendar = calendar_from_config("east", {"timezone": "Asia/Shanghai"})
    now = datetime.now(UTC)
    for days_back in range(1, 30):
        received = now - timedelta(days=days_back)
        due = calendar.add_working_days(received, 5)
        if investigation.remind_at(calendar, due, 1) <= now < due.due_at:
            return received
    raise AssertionError("no receipt date puts a reminder due now")


def test_a_reminder_reaches_the_liaison_once_and_is_recorded(stack, complaint):
    received = _received_for_a_reminder_now()
    created = registered(stack, complaint, received_at=received.isoformat(), complainant=None)
    cid = created["complaint_id"]
    assign = stack.investigation.post(f"/cases/{cid}/assignments", {"departments": ["radiology"]})
    assert assign.status_code == 200
    # The first-reply reminder goes to the office head (radiology's own clock starts now).
    reminder = settled(stack, cid, "reminder")
    assert (reminder["recipient_id"], reminder["status"]) == ("east-office-head", "sent")
    [sent] = events(stack, cid, "ReminderSent")
    assert sent["data"]["kind"] == "first_reply" and sent["data"]["recipient_role"] == "complaint_officer"
    # East writes in zh-CN (the campus's language), names the reference and links to the case (CONTRACT §13).
    [mail] = mails_to(stack, "complaints-east@demo-hospital.example", f"提醒：投诉 {created['reference']} 的首次答复")
    assert f"/cases/{cid}" in mail["body"] and cid not in mail["subject"]


def test_a_broken_template_stops_the_service_at_start_up(tmp_path):
    broken = tmp_path / "templates"
    shutil.copytree(TEMPLATES_ROOT, broken)
    (broken / "zh-CN" / "reply.txt").write_text("Subject: 答复\n{{ actions_taken }}", encoding="utf-8")
    env = {**os.environ, "NOTIFICATION_TEMPLATES": str(broken), "NOTIFICATION_PORT": "0"}
    run = subprocess.run(
        [sys.executable, "-m", "shared.run", "notification"], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode != 0
    assert "zh-CN/reply.txt (east): must name contact_person, date, reference, result" in run.stderr


def test_the_same_reply_issued_twice_sends_one_message(stack, complaint):
    """A redelivered ReplyIssued (the broker, a backfill, a replica) never sends a second message."""
    email = "he.jun@example.org"
    created = registered(stack, complaint, complainant={"name": "He Jun", "email": email})
    cid = created["complaint_id"]
    reply_to(stack, cid)
    settled(stack, cid, "reply")
    # Kill notification hard and wipe its consumer position: everything is redelivered from the start.
    stack.notification.stop(signal.SIGKILL)
    with psycopg2.connect(config.database_url("notification")) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM source_position")
    stack.notification.start()
    wait_for(lambda: _position() >= _investigation_head(stack), what="notification caught up again")
    assert len(mails_to(stack, email, "refund paid")) == 1
    assert len([n for n in notes(stack, cid) if n["purpose"] == "reply"]) == 1


def _position() -> int:
    with psycopg2.connect(config.database_url("notification")) as conn, conn.cursor() as cur:
        cur.execute("SELECT coalesce(max(upto), 0) FROM source_position WHERE source = 'investigation'")
        return cur.fetchone()[0]


def _investigation_head(stack) -> int:
    return stack.investigation.get("/events", params={"after": 0, "limit": 1}).json()["head"]
