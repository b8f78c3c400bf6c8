"""The deadline engine against the real PostgreSQL: reminders, breaches exactly once (also with two
replicas), provisional deadlines recomputed once the campus announces next year's calendar."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import eventlet
import pytest

from services.investigation import projection, settings, store
from services.investigation.deadlines import DeadlineEngine
from shared.db import Database, fetch_dicts
from shared.envelope import Envelope, new_event
from shared.eventstore import EventStore
from shared.workdays import calendar_from_config
from tests.support.databases import fresh_service_database

STORE = EventStore("investigation")


@pytest.fixture
def db(monkeypatch):
    monkeypatch.setenv("INVESTIGATION_DATABASE_URL", os.environ["DATABASE_URL_TEMPLATE"].format(service="deadlines"))
    database = Database(fresh_service_database("investigation"), size=10)
    yield database
    database.close()


def received(received_at: str, departments: list[str], sequence: int = 1, campus: str = "east") -> Envelope:
    complaint_id = str(uuid.uuid4())
    return new_event(
        "intake",
        "ComplaintReceived",
        complaint_id,
        {
            "complaint_id": complaint_id,
            "reference": f"EAST-2026-{sequence:06d}",
            "campus": campus,
            "channel": "phone",
            "category": "care_process",
            "severity": "normal",
            "source": "patient_or_family",
            "departments": departments,
            "received_at": received_at,
            "anonymous": False,
            "has_contact": True,
        },
        time=datetime.fromisoformat(received_at),
    ).with_position(sequence, 1)


def open_cases(db: Database, *events: Envelope) -> None:
    with db.transaction() as cur:
        for event in events:
            projection.open_case(cur, event)


def log_of(db: Database, event_type: str) -> list[Envelope]:
    with db.transaction() as cur:
        return [e for e in STORE.read_after(cur, 0, 100000) if e.type == event_type]


def deadlines(db: Database, complaint_id: str) -> dict[str, dict]:
    with db.transaction() as cur:
        cur.execute("SELECT * FROM deadlines WHERE complaint_id = %s", (complaint_id,))
        return {row["key"]: row for row in fetch_dicts(cur)}


def test_reminder_one_working_day_before_and_breach_at_24h_each_once(db):
    # Received Friday 2026-11-20 (Asia/Shanghai): 5 working days → last day Friday 2026-11-27,
    # due at its end (2026-11-27T16:00Z); reminded at the end of Thursday 2026-11-26 (2026-11-26T16:00Z).
    event = received("2026-11-20T10:00:00+08:00", ["radiology"])
    open_cases(db, event)
    engine = DeadlineEngine(db)
    remind_at = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    due_at = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)

    assert engine.tick(remind_at - timedelta(seconds=1)).total == 0
    assert engine.tick(remind_at).reminded == 3  # first reply, statutory feedback, radiology's investigation
    assert engine.tick(remind_at + timedelta(hours=1)).total == 0
    reminders = log_of(db, "InvestigationDue")
    assert sorted(e.data["deadline"]["kind"] for e in reminders) == [
        "first_reply",
        "investigation",
        "statutory_feedback",
    ]
    assert {e.data["reminder_for_role"] for e in reminders} == {"complaint_officer", "department_liaison"}

    assert engine.tick(due_at - timedelta(seconds=1)).breached == 0
    assert engine.tick(due_at).breached == 3
    # Still unmet 2 working days after the breach: each goes up the escalation ladder once (CONTRACT §7).
    assert engine.tick(due_at + timedelta(days=30)).escalated == 3
    assert engine.tick(due_at + timedelta(days=31)).total == 0
    breaches = log_of(db, "DeadlineBreached")
    assert len(breaches) == 3 and {e.data["breached_at"] for e in breaches} == {"2026-11-27T16:00:00Z"}
    rows = deadlines(db, event.subject)
    assert {k: r["status"] for k, r in rows.items()} == {
        "first_reply": "breached",
        "statutory_feedback": "breached",
        "investigation:radiology": "breached",
    }


def test_two_replicas_breach_each_deadline_exactly_once(db):
    events = [received("2026-11-02T09:00:00+08:00", ["nursing", "emergency"], n) for n in range(1, 121)]
    open_cases(db, *events)
    replicas = [DeadlineEngine(Database(db.dsn, size=3), batch=25) for _ in range(2)]
    later = datetime(2026, 12, 31, tzinfo=UTC)
    results = [eventlet.spawn(engine.tick, later) for engine in replicas for _ in range(2)]
    for result in results:
        result.wait()
    for engine in replicas:  # anything a busy case made them skip is picked up by the next tick
        engine.tick(later)
    breaches = log_of(db, "DeadlineBreached")
    keys = [(e.subject, e.data["deadline"]["kind"], e.data["deadline"]["department"]) for e in breaches]
    assert len(keys) == len(set(keys)) == 120 * 4, "a deadline was breached twice, or missed"
    ladder = [e for e in log_of(db, "ComplaintEscalated") if e.data["reason"] == "breach_unresolved"]
    escalated = [(e.subject, e.data["deadline"]["kind"], e.data["deadline"]["department"]) for e in ladder]
    assert len(escalated) == len(set(escalated)) == 120 * 4, "a breach went up the ladder twice, or not at all"
    reminders = log_of(db, "InvestigationDue")
    assert reminders == [], "a deadline already past is breached, not reminded of"


def test_december_2026_deadlines_are_provisional_until_the_2027_schedule_is_announced(db, monkeypatch):
    # Received Monday 2026-12-28: the fifth working day lies in 2027, which chinesecalendar 1.11 does not know.
    event = received("2026-12-28T09:00:00+08:00", ["pediatrics"])
    open_cases(db, event)
    with db.transaction() as cur:
        case = store.load(cur, event.subject)
    assert case.provisional()
    first = deadlines(db, event.subject)["first_reply"]
    # Fallback: weekends and 1 January off → Dec 29, 30, 31, Jan 4, 5.
    assert first["provisional"] and str(first["last_day"]) == "2027-01-05"

    engine = DeadlineEngine(db)
    assert engine.recompute_provisional() == 0, "nothing new is known about 2027 yet"

    announced = calendar_from_config(
        "east",
        {
            "timezone": "Asia/Shanghai",
            "announced_years": {
                "2027": {"holidays": ["2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04"], "workdays": []}
            },
        },
    )
    monkeypatch.setitem(settings.HOSPITAL.calendars, "east", announced)
    assert engine.recompute_provisional() == 3  # first reply, statutory feedback, pediatrics' investigation
    rescheduled = log_of(db, "DeadlineRescheduled")
    assert {e.data["reason"] for e in rescheduled} == {"calendar_updated"}
    moved = next(e for e in rescheduled if e.data["current"]["kind"] == "first_reply")
    assert moved.data["previous"]["last_day"] == "2027-01-05" and moved.data["previous"]["provisional"]
    assert moved.data["current"]["last_day"] == "2027-01-06" and not moved.data["current"]["provisional"]
    assert moved.data["current"]["calendar_version"] == announced.version
    row = deadlines(db, event.subject)["first_reply"]
    assert not row["provisional"] and str(row["last_day"]) == "2027-01-06"
    with db.transaction() as cur:
        assert not store.load(cur, event.subject).provisional()
    assert engine.recompute_provisional() == 0


@pytest.mark.parametrize("day", range(1, 32))
def test_a_complaint_any_day_of_december_2026_is_accepted_with_a_deadline(db, day):
    event = received(f"2026-12-{day:02d}T23:59:00+08:00", ["cardiology"], day)
    open_cases(db, event)
    first = deadlines(db, event.subject)["first_reply"]
    assert first["status"] == "open"
    # Counting starts the next day; only deadlines reaching into 2027 are provisional.
    assert first["provisional"] == (first["last_day"].year == 2027)


def test_a_premature_breach_of_a_provisional_deadline_is_withdrawn_exactly_once(db, monkeypatch):
    # Received Monday 2026-12-28: by the fallback both deadlines end Tuesday 2027-01-05 and are breached then.
    event = received("2026-12-28T09:00:00+08:00", ["pediatrics"])
    open_cases(db, event)
    engine = DeadlineEngine(db)
    assert engine.tick(datetime(2027, 1, 5, 16, tzinfo=UTC)).breached == 3
    now = datetime(2027, 1, 6, 1, tzinfo=UTC)  # Wednesday 09:00 local
    assert engine.recompute_provisional(now) == 0, "nothing new is known about 2027 yet: the breaches stand"

    # The campus announces 2027 with 1-4 January off: the deadlines really end Wednesday 2027-01-06.
    announced = calendar_from_config(
        "east",
        {
            "timezone": "Asia/Shanghai",
            "announced_years": {
                "2027": {"holidays": ["2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04"], "workdays": []}
            },
        },
    )
    monkeypatch.setitem(settings.HOSPITAL.calendars, "east", announced)
    assert engine.recompute_provisional(now) == 3
    assert engine.recompute_provisional(now) == 0, "withdrawn once"
    withdrawn = log_of(db, "DeadlineBreachWithdrawn")
    assert sorted(e.data["current"]["kind"] for e in withdrawn) == [
        "first_reply",
        "investigation",
        "statutory_feedback",
    ]
    assert {(e.data["deadline"]["last_day"], e.data["current"]["last_day"]) for e in withdrawn} == {
        ("2027-01-05", "2027-01-06")
    }
    assert {e.data["breached_at"] for e in withdrawn} == {"2027-01-05T16:00:00Z"}
    rows = deadlines(db, event.subject)
    assert {(r["status"], r["provisional"], str(r["last_day"]), r["breached_at"]) for r in rows.values()} == {
        ("open", False, "2027-01-06", None)
    }
    assert case_overdue(db, event.subject, now) is False

    # The corrected deadlines run again and are breached at their real end, once each.
    assert engine.tick(datetime(2027, 1, 6, 15, 59, tzinfo=UTC)).breached == 0
    assert engine.tick(datetime(2027, 1, 6, 16, tzinfo=UTC)).breached == 3
    assert engine.recompute_provisional(datetime(2027, 1, 7, tzinfo=UTC)) == 0
    assert [e.data["deadline"]["last_day"] for e in log_of(db, "DeadlineBreached")] == ["2027-01-05"] * 3 + [
        "2027-01-06"
    ] * 3


def test_a_provisional_breach_the_real_calendar_confirms_stands(db, monkeypatch):
    event = received("2026-12-28T09:00:00+08:00", ["pediatrics"])
    open_cases(db, event)
    engine = DeadlineEngine(db)
    assert engine.tick(datetime(2027, 1, 5, 16, tzinfo=UTC)).breached == 3
    announced = calendar_from_config(
        "east", {"timezone": "Asia/Shanghai", "announced_years": {"2027": {"holidays": ["2027-01-01"], "workdays": []}}}
    )  # the fallback was right
    monkeypatch.setitem(settings.HOSPITAL.calendars, "east", announced)
    assert engine.recompute_provisional(datetime(2027, 1, 6, 1, tzinfo=UTC)) == 3
    assert log_of(db, "DeadlineBreachWithdrawn") == []
    assert {e.data["reason"] for e in log_of(db, "DeadlineRescheduled")} == {"calendar_updated"}
    rows = deadlines(db, event.subject)
    assert {(r["status"], r["provisional"], str(r["last_day"])) for r in rows.values()} == {
        ("breached", False, "2027-01-05")
    }
    assert engine.recompute_provisional(datetime(2027, 1, 6, 2, tzinfo=UTC)) == 0


def case_overdue(db: Database, complaint_id: str, now: datetime) -> bool:
    with db.transaction() as cur:
        return store.load(cur, complaint_id).overdue(now)
