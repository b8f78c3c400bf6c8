"""The referrer_reply deadline (CONTRACT §10, issue 17) through the real deadline engine and PostgreSQL, in the
style of test_deadlines.py: reminded once a working day before, breached once at 24:00 campus time of the
referral's reply date; a suggestion opens no case and so has no deadline at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.investigation.deadlines import DeadlineEngine
from shared.envelope import Envelope, new_event
from tests.integration.test_deadlines import db, deadlines, log_of, open_cases  # noqa: F401  (db: the fixture)
from tests.integration.test_deadlines import received as complaint_received


def referred(received_at: str, reply_due: str, sequence: int = 1) -> Envelope:
    plain = complaint_received(received_at, [], sequence)
    data = {
        **plain.data,
        "source": "authority_referral",
        "referral": {"referrer": "12320 hotline", "reference": "12320-0042", "reply_due": reply_due},
    }
    return new_event("intake", "ComplaintReceived", plain.subject, data, time=plain.time).with_position(sequence, 1)


def test_a_referral_is_reminded_and_breached_once_at_the_end_of_its_date_in_campus_time(db):  # noqa: F811
    # Received Monday 2026-11-23 (Asia/Shanghai), the referrer wants the reply by Wednesday 2026-11-25:
    # due at the end of that day there (2026-11-25T16:00Z), reminded at the end of Tuesday (2026-11-24T16:00Z).
    event = referred("2026-11-23T10:00:00+08:00", "2026-11-25")
    open_cases(db, event)
    row = deadlines(db, event.subject)["referrer_reply"]
    due_at, remind_at = datetime(2026, 11, 25, 16, tzinfo=UTC), datetime(2026, 11, 24, 16, tzinfo=UTC)
    assert row["due_at"] == due_at and row["remind_at"] == remind_at and row["department"] is None
    engine = DeadlineEngine(db)
    assert engine.tick(remind_at - timedelta(seconds=1)).total == 0
    assert engine.tick(remind_at).reminded == 1  # only the referral: first reply and statutory are due later
    assert engine.tick(remind_at + timedelta(hours=1)).total == 0
    [reminder] = log_of(db, "InvestigationDue")
    assert reminder.data["deadline"]["kind"] == "referrer_reply"
    assert reminder.data["reminder_for_role"] == "complaint_officer"
    assert engine.tick(due_at - timedelta(seconds=1)).breached == 0
    assert engine.tick(due_at).breached == 1
    assert engine.tick(due_at + timedelta(hours=2)).breached == 0
    [breach] = log_of(db, "DeadlineBreached")
    assert breach.data["deadline"]["kind"] == "referrer_reply" and breach.data["breached_at"] == "2026-11-25T16:00:00Z"
    assert deadlines(db, event.subject)["referrer_reply"]["status"] == "breached"


def test_a_suggestion_opens_no_case_and_has_no_deadline(db):  # noqa: F811
    plain = complaint_received("2026-11-23T10:00:00+08:00", ["nursing"])
    suggestion = new_event(
        "intake", "ComplaintReceived", plain.subject, {**plain.data, "kind": "suggestion"}, time=plain.time
    ).with_position(1, 1)
    open_cases(db, suggestion)
    assert deadlines(db, suggestion.subject) == {}
    assert DeadlineEngine(db).tick(datetime(2027, 6, 1, tzinfo=UTC)).total == 0
