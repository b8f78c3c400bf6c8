"""``shared.replay`` against the real PostgreSQL, on a small database of its own: investigation's cases and
deadlines rebuilt from its log match what its writers left, and any tampered live row is named."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest

from services.investigation import projection
from services.investigation.deadlines import DeadlineEngine
from shared import config, replay
from shared.db import Database
from shared.envelope import Envelope, new_event
from tests.support.databases import fresh_service_database


@pytest.fixture
def db(monkeypatch):
    monkeypatch.setenv("INVESTIGATION_DATABASE_URL", os.environ["DATABASE_URL_TEMPLATE"].format(service="replaycheck"))
    database = Database(fresh_service_database("investigation"), size=2)
    yield database
    database.close()


def received(received_at: str, sequence: int) -> Envelope:
    complaint_id = str(uuid.uuid4())
    return new_event(
        "intake",
        "ComplaintReceived",
        complaint_id,
        {
            "complaint_id": complaint_id,
            "reference": f"EAST-2026-{sequence:06d}",
            "campus": "east",
            "channel": "phone",
            "category": "care_process",
            "severity": "major",
            "source": "patient_or_family",
            "departments": ["radiology"],
            "received_at": received_at,
            "anonymous": False,
            "has_contact": True,
        },
        time=datetime.fromisoformat(received_at),
    ).with_position(sequence, 1)


def withdrawn(opened: Envelope, sequence: int) -> Envelope:
    return new_event(
        "intake",
        "ComplaintWithdrawn",
        opened.subject,
        {
            "complaint_id": opened.subject,
            "campus": "east",
            "withdrawn_at": "2026-11-23T03:00:00Z",
        },
        time=datetime(2026, 11, 23, 3, tzinfo=UTC),
    ).with_position(sequence, 2)


@pytest.fixture
def history(db):
    """Two cases: one breached by the deadline engine, one withdrawn by intake (investigation's CaseEnded)."""
    breached, ended = received("2026-11-20T10:00:00+08:00", 1), received("2026-11-20T11:00:00+08:00", 2)
    with db.transaction() as cur:
        projection.open_case(cur, breached)
        projection.open_case(cur, ended)
        projection.end_case(cur, withdrawn(ended, 3))
    DeadlineEngine(db).tick(datetime(2026, 11, 28, tzinfo=UTC))
    return breached, ended


def tamper(db: Database, sql: str, *args: object) -> None:
    with db.transaction() as cur:
        cur.execute(sql, args)
        assert cur.rowcount == 1


def test_rebuilt_from_the_log_is_identical_and_leaves_nothing_behind(db, history):
    assert replay.check("investigation", db.dsn) is None
    with db.transaction() as cur:
        cur.execute("SELECT status FROM cases ORDER BY reference")
        assert [s for (s,) in cur.fetchall()] == ["open", "withdrawn"]
        cur.execute("SELECT type FROM events WHERE stream_id = %s ORDER BY stream_version", (history[1].subject,))
        assert [t for (t,) in cur.fetchall()] == ["InvestigationOpened", "ComplaintEscalated", "CaseEnded"]
        cur.execute("SELECT kind FROM deadlines WHERE status = 'breached' ORDER BY kind")
        # the first case's first reply, statutory feedback (CONTRACT §7) and investigation, each once
        assert [k for (k,) in cur.fetchall()] == ["first_reply", "investigation", "statutory_feedback"]
        cur.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (replay.SCRATCH,))
        assert cur.fetchone() is None


def test_a_tampered_case_row_is_named(db, history):
    tamper(db, "UPDATE cases SET status = 'open' WHERE complaint_id = %s", history[1].subject)
    difference = replay.check("investigation", db.dsn)
    assert difference == (
        f"cases {{'complaint_id': '{history[1].subject}'}}: column status: live 'open', rebuilt 'withdrawn'"
    )


def test_a_tampered_deadline_and_a_row_the_log_never_made_are_named(db, history):
    tamper(
        db,
        "UPDATE deadlines SET reminded = NOT reminded WHERE complaint_id = %s AND key = 'first_reply'",
        history[0].subject,
    )
    assert (
        f"deadlines {{'complaint_id': '{history[0].subject}', 'key': 'first_reply'}}: column reminded"
        in replay.check("investigation", db.dsn)
    )
    tamper(
        db,
        "UPDATE deadlines SET reminded = NOT reminded WHERE complaint_id = %s AND key = 'first_reply'",
        history[0].subject,
    )
    tamper(
        db,
        "INSERT INTO deadlines SELECT complaint_id, 'investigation:nursing', campus, kind, 'nursing', due_at,"
        " remind_at, last_day, working_days, provisional, calendar_version, policy_version, status, reminded,"
        " on_hold, started_at, breached_at, met_at FROM deadlines WHERE complaint_id = %s"
        " AND key = 'investigation:radiology'",
        history[0].subject,
    )
    assert replay.check("investigation", db.dsn) == (
        f"deadlines {{'complaint_id': '{history[0].subject}', 'key': 'investigation:nursing'}}: "
        "live row missing from the rebuilt state"
    )


def test_the_command_prints_identical_or_the_difference_and_its_exit_status(db, history):
    env = {**os.environ, "INVESTIGATION_DATABASE_URL": db.dsn}
    command = [sys.executable, "-m", "shared.replay", "investigation", "--check"]
    same = subprocess.run(command, cwd=config.ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert (same.returncode, same.stdout.strip()) == (0, "identical"), same.stderr
    tamper(db, "UPDATE cases SET escalated = false WHERE complaint_id = %s", history[0].subject)
    different = subprocess.run(command, cwd=config.ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert different.returncode == 1, different.stderr
    assert different.stdout.strip() == (
        f"investigation: DIFFERENT: cases {{'complaint_id': '{history[0].subject}'}}:"
        " column escalated: live False, rebuilt True"
    )
