"""Notification's part of CONTRACT §7 and §8 with the real services and the SMTP / SMS stand-ins: interim
feedback delivered (ReplySent reply_kind interim) or failing (no ReplySent), the acknowledgement naming the
dates, the dispute notice and a major dispute's alerts.

Investigation does not emit InterimFeedbackIssued and DisputeRecorded on this branch yet, so each test hands
the catalogued event to notification's own handler (``projection.queue_messages``, the function its consumer
runs, in a transaction on notification's database) for a complaint really registered with intake; the running
notification service then delivers it (contact details from intake over RPC) and publishes what follows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import psycopg2
import pytest

from services.notification.projection import queue_messages
from shared import config
from shared.envelope import new_event
from tests.e2e.test_notification import OFFICER, events, mails_to, notes, registered, settled
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC).isoformat().replace("+00:00", "Z")


def hand_to_notification(complaint_id: str, event_type: str, data: dict) -> str:
    """The event as investigation publishes it, handled by notification's consumer function; returns its id."""
    event = new_event(
        "investigation", event_type, complaint_id, {"complaint_id": complaint_id, "campus": "east", **data}
    )
    with psycopg2.connect(config.database_url("notification")) as conn, conn.cursor() as cur:
        queue_messages(cur, event)
    conn.close()
    return event.id


def interim(complaint_id: str, **extra) -> str:
    feedback_id = str(uuid.uuid4())
    hand_to_notification(
        complaint_id,
        "InterimFeedbackIssued",
        {
            "feedback_id": feedback_id,
            "contact_person": OFFICER,
            "progress": "radiology is reviewing the two invoices",
            "next_steps": "the billing office will check the refund",
            "expected_reply_by": "2026-12-18",
            "issued_at": NOW,
            **extra,
        },
    )
    return feedback_id


def test_interim_feedback_delivered_is_a_reply_sent_of_kind_interim(stack, complaint):
    email = "gao.min@example.org"
    created = registered(stack, complaint, complainant={"name": "Gao Min", "email": email})
    cid = created["complaint_id"]
    feedback_id = interim(cid)
    sent = settled(stack, cid, "interim_feedback")
    assert (sent["channel"], sent["status"]) == ("email", "sent")
    [mail] = mails_to(stack, email, "radiology is reviewing the two invoices")
    assert created["reference"] in mail["subject"] and "Gao Min" in mail["body"]
    # East writes in zh-CN: what is being done, what comes next, by when (the campus-local date)
    for text in ("正在开展的工作", "下一步安排：the billing office will check the refund", "2026-12-18前答复您"):
        assert text in mail["body"]
    [replied] = wait_for(lambda: events(stack, cid, "ReplySent"), what="ReplySent")
    assert replied["data"]["reply_id"] == feedback_id and replied["data"]["reply_kind"] == "interim"
    assert replied["data"]["channel"] == "email" and email not in str(replied)


def test_interim_feedback_whose_delivery_fails_emits_no_reply_sent(stack, complaint):
    created = registered(stack, complaint, complainant={"name": "Ma Lin", "phone": "13900005555"})
    cid = created["complaint_id"]
    settled(stack, cid, "acknowledgement")
    stack.sms.mode(status=400)  # the gateway refuses: final at once
    try:
        feedback_id = interim(cid)
        failed = settled(stack, cid, "interim_feedback")
    finally:
        stack.sms.mode(status=200)
    assert (failed["channel"], failed["status"], failed["attempts"]) == ("sms", "failed", 1)
    [event] = events(stack, cid, "NotificationFailed")
    assert event["data"]["purpose"] == "interim_feedback" and event["data"]["reply_id"] == feedback_id
    assert events(stack, cid, "ReplySent") == []


def test_the_acknowledgement_names_the_statutory_feedback_date_and_the_reply_date(stack, complaint):
    email = "tang.yu@example.org"
    created = registered(stack, complaint, complainant={"name": "Tang Yu", "email": email})
    cid = created["complaint_id"]
    assert settled(stack, cid, "acknowledgement")["status"] == "sent"
    [mail] = mails_to(stack, email, created["reference"])
    deadlines = {d["key"]: d for d in stack.investigation.get(f"/cases/{cid}").json()["deadlines"]}
    assert f"答复期限为{deadlines['first_reply']['last_day']}" in mail["body"]
    statutory = deadlines.get("statutory_feedback")
    if statutory:  # investigation computes it (issue 14): the date itself
        assert f"最迟将于{statutory['last_day']}向您反馈处理情况" in mail["body"]
    else:  # not yet on this branch: the working days the law gives
        assert "在5个工作日内向您反馈处理情况" in mail["body"]


def test_the_dispute_notice_states_the_routes_and_rules_and_is_no_feedback(stack, complaint):
    email = "lu.qing@example.org"
    created = registered(stack, complaint, complainant={"name": "Lu Qing", "email": email})
    cid = created["complaint_id"]
    settled(stack, cid, "acknowledgement")
    recorded = {"dispute_id": str(uuid.uuid4()), "route": "negotiation", "recorded_at": NOW}
    hand_to_notification(cid, "DisputeRecorded", recorded)
    notice = settled(stack, cid, "dispute_notice")
    assert (notice["channel"], notice["status"]) == ("email", "sent")  # tracked in GET /notifications
    [mail] = mails_to(stack, email, "医疗纠纷")
    routes = ("双方自愿协商", "申请人民调解", "申请行政调解", "向人民法院提起诉讼", "医疗损害鉴定")
    for text in (*routes, "医患双方在场", "封存满3年", "查阅、复制", created["reference"]):
        assert text in mail["body"] + mail["subject"]
    assert events(stack, cid, "ReplySent") == []  # not feedback: no clock stops


def test_a_major_dispute_alerts_the_office_head_and_the_leadership_at_once(stack, complaint):
    created = registered(stack, complaint, complainant=None, anonymous=True)
    cid = created["complaint_id"]
    recorded = {
        "dispute_id": str(uuid.uuid4()),
        "route": "litigation",
        "recorded_at": NOW,
        "major": True,
        "authority_report": {
            "kind": "authority_report",
            "department": None,
            "due_at": "2026-12-03T02:00:00Z",
            "last_day": "2026-12-03",
            "provisional": False,
            "calendar_version": "cn-statutory/test",
            "policy_version": "policy/test",
            "working_days": 0,
            "hours": 12,
        },
    }
    hand_to_notification(cid, "DisputeRecorded", recorded)
    wait_for(
        lambda: len([n for n in notes(stack, cid) if n["purpose"] == "escalation" and n["status"] == "sent"]) == 3,
        what="office head and both leaders told",
    )
    for address in (
        "complaints-east@demo-hospital.example",
        "leadership@demo-hospital.example",
        "quality-vp@demo-hospital.example",
    ):
        [alert] = mails_to(stack, address, cid)
        assert "重大医疗纠纷" in alert["subject"] and "2026-12-03 10:00" in alert["body"]  # the due time, local
    assert settled(stack, cid, "dispute_notice")["status"] == "not_sent"  # anonymous: nobody to tell
