"""Office hours (CONTRACT §7) through the real queue and deliverer: a reminder falling due at 24:00 on a Friday
before a holiday week is held and delivered at 08:00 on the next working day; what concerns a major dispute's
report to the authority, and a major complaint's escalation, goes at once. Real PostgreSQL with notification's
migrations, the real SMTP channel to the SMTP stand-in; the clock is injected (the projection's ``clock`` and
``deliver_due(now=…)``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.notification import projection, settings
from services.notification.channels import Email
from services.notification.delivery import Deliverer
from shared import config
from shared.db import Database, fetch_dicts, migrate
from shared.envelope import new_event
from shared.workdays import calendar_from_config
from tests.e2e.conftest import Smtp
from tests.support.databases import recreate
from tests.support.waiting import wait_for

SMTP_PORT = 18003 + 10 * int(os.environ.get("COMPLAINTS_TEST_SLOT", "0")) + 601
FRIDAY_MIDNIGHT = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # Friday 20 November 2026, 24:00 in Shanghai
HOLIDAY_WEEK = [f"2026-11-{day}" for day in range(23, 28)]  # the east campus closed Monday to Friday after it
OPENING = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Monday 30 November, 08:00 in Shanghai
LIAISON = "radiology-east@demo-hospital.example"


@pytest.fixture
def db() -> Iterator[Database]:
    url = config.database_url("office_hours")
    recreate(url)
    migrate(url)
    migrate(url, config.ROOT / "services" / "notification" / "migrations")
    database = Database(url, size=2)
    yield database
    database.close()


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[Smtp]:
    sink = Smtp(SMTP_PORT, tmp_path / "mail")
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(autouse=True)
def office_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    """Office hours on (the e2e stack turns them off), a holiday week on the east campus, the clock at Friday 24:00."""
    monkeypatch.setattr(settings, "OFFICE_HOURS_ALWAYS_OPEN", False)
    monkeypatch.setitem(settings.CALENDARS, "east", calendar_from_config("east", {"closures": HOLIDAY_WEEK}))
    monkeypatch.setattr(projection, "clock", lambda: FRIDAY_MIDNIGHT)


def deliverer(db: Database) -> Deliverer:
    email = Email("127.0.0.1", SMTP_PORT, "complaints@hospital.example", timeout=5)
    contacts = lambda _: {"reference": "EAST-2026-000001"}  # noqa: E731 (staff messages ask intake the reference)
    return Deliverer(db, contacts, email, None, settings.TEMPLATES, settings.DIRECTORY, 3, 0.1, 0.5)


def deadline(kind: str, department: str | None) -> dict:
    return {
        "kind": kind,
        "department": department,
        "due_at": "2026-11-20T16:00:00Z",
        "last_day": "2026-11-20",
        "working_days": 0 if kind == "authority_report" else 5,
        "provisional": False,
        "calendar_version": "cn-statutory/test",
        "policy_version": "policy/test",
        **({"hours": 12} if kind == "authority_report" else {}),
    }


def handle(db: Database, event_type: str, data: dict) -> str:
    complaint_id = str(uuid.uuid4())
    event = new_event(
        "investigation", event_type, complaint_id, {"complaint_id": complaint_id, "campus": "east", **data}
    )
    with db.transaction() as cur:
        projection.queue_messages(cur, event)
    return complaint_id


def rows(db: Database, complaint_id: str) -> list[dict]:
    with db.transaction() as cur:
        cur.execute(
            "SELECT purpose, status, next_attempt_at, sent_at FROM notifications WHERE complaint_id = %s",
            (complaint_id,),
        )
        return fetch_dicts(cur)


def test_a_reminder_due_at_24_00_on_a_friday_before_a_holiday_week_reaches_staff_at_08_00_after_it(db, smtp):
    cid = handle(
        db,
        "InvestigationDue",
        {"deadline": deadline("investigation", "radiology"), "reminder_for_role": "department_liaison"},
    )
    [queued] = rows(db, cid)
    assert (queued["status"], queued["next_attempt_at"]) == ("pending", OPENING)
    sender = deliverer(db)
    assert sender.deliver_due(now=FRIDAY_MIDNIGHT) == 0  # not at midnight
    assert sender.deliver_due(now=datetime(2026, 11, 23, 0, 0, tzinfo=UTC)) == 0  # not on the holiday's 08:00
    assert sender.deliver_due(now=datetime(2026, 11, 29, 23, 59, tzinfo=UTC)) == 0  # not before opening
    assert sender.deliver_due(now=OPENING) == 1
    [sent] = rows(db, cid)
    assert (sent["status"], sent["sent_at"]) == ("sent", OPENING)
    wait_for(lambda: smtp.messages(), what="the reminder in the SMTP sink")
    assert [m["to"] for m in smtp.messages()] == [[LIAISON]]
    with db.transaction() as cur:
        cur.execute("SELECT data FROM events WHERE stream_id = %s AND type = 'ReminderSent'", (cid,))
        [(data,)] = cur.fetchall()
    assert data["sent_at"] == "2026-11-30T00:00:00Z"


def test_breach_alerts_and_unresolved_breaches_wait_a_major_dispute_or_complaint_does_not(db, smtp):
    held = [
        handle(
            db, "DeadlineBreached", {"deadline": deadline("first_reply", None), "breached_at": "2026-11-20T16:00:00Z"}
        ),
        handle(
            db,
            "ComplaintEscalated",
            {"severity": "normal", "reason": "breach_unresolved", "escalated_at": "2026-11-20T16:00:00Z"},
        ),
    ]
    at_once = [
        handle(
            db,
            "DeadlineBreached",
            {"deadline": deadline("authority_report", None), "breached_at": "2026-11-20T16:00:00Z"},
        ),
        handle(
            db,
            "ComplaintEscalated",
            {"severity": "major", "reason": "breach_unresolved", "escalated_at": "2026-11-20T16:00:00Z"},
        ),
        handle(
            db,
            "DisputeRecorded",
            {
                "dispute_id": str(uuid.uuid4()),
                "route": "litigation",
                "recorded_at": "2026-11-20T16:00:00Z",
                "major": True,
            },
        ),
    ]
    assert {r["next_attempt_at"] for cid in held for r in rows(db, cid)} == {OPENING}
    assert {r["next_attempt_at"] for cid in at_once for r in rows(db, cid)} == {FRIDAY_MIDNIGHT}
    deliverer(db).deliver_due(now=FRIDAY_MIDNIGHT)
    assert {r["status"] for cid in held for r in rows(db, cid)} == {"pending"}
    staff = [r for cid in at_once for r in rows(db, cid) if r["purpose"] != "dispute_notice"]
    assert len(staff) == 1 + 2 + 3 and {r["status"] for r in staff} == {"sent"}
