"""Delivery across a lost database: a message that went out is recorded once the database is back and is
never sent again because its outcome could not be written at once (issue 20: a failover cut the commit
of a delivery and the message went out twice); a claim left by a process that died mid-send is sent
again once its deliverer falls silent (or after its lease). Real PostgreSQL, notification's real
migrations, the real SMTP channel to the local SMTP stand-in."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
import pytest

from services.notification import delivery, settings
from services.notification.channels import Email
from services.notification.delivery import Deliverer
from services.notification.projection import queue_messages
from shared import config
from shared.db import Database, migrate
from shared.envelope import new_event
from tests.e2e.conftest import Smtp
from tests.support.databases import recreate
from tests.support.waiting import wait_for

SMTP_PORT = 18003 + 10 * int(__import__("os").environ.get("COMPLAINTS_TEST_SLOT", "0")) + 600


@pytest.fixture
def dsn() -> str:
    url = config.database_url("delivery")
    recreate(url)
    migrate(url)
    migrate(url, config.ROOT / "services" / "notification" / "migrations")
    return url


@pytest.fixture
def db(dsn: str) -> Iterator[Database]:
    database = Database(dsn, size=2)
    yield database
    database.close()


@pytest.fixture(autouse=True)
def always_open(monkeypatch: pytest.MonkeyPatch) -> None:
    """The breach alerts below are sent whatever the hour (office hours: test_office_hours.py)."""
    monkeypatch.setattr(settings, "OFFICE_HOURS_ALWAYS_OPEN", True)


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[Smtp]:
    sink = Smtp(SMTP_PORT, tmp_path / "mail")
    sink.start()
    yield sink
    sink.stop()


class EmailThenDatabaseLost(Email):
    """The real SMTP channel; right after the message is accepted, every connection of the deliverer's
    database is terminated, as a failover does between the send and the commit of its outcome."""

    def send(self, to: str, subject: str, body: str, message_key: str) -> None:
        super().send(to, subject, body, message_key)
        killer = psycopg2.connect(config.database_url("delivery"))
        killer.autocommit = True
        with killer.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        killer.close()


def _deliverer(db: Database, email: Email) -> Deliverer:
    return Deliverer(
        db,
        lambda _complaint_id: {"reference": "EAST-2026-000001"},
        email,
        None,
        settings.TEMPLATES,
        settings.DIRECTORY,
        max_attempts=3,
        backoff=0.1,
        backoff_cap=0.5,
    )


def _queue_breach_alert(db: Database) -> str:
    complaint_id = str(uuid.uuid4())
    deadline = {
        "kind": "first_reply",
        "due_at": "2026-12-04T16:00:00Z",
        "last_day": "2026-12-04",
        "working_days": 5,
        "provisional": False,
        "calendar_version": "cn-statutory/test",
        "policy_version": "policy/test",
    }
    event = new_event(
        "investigation",
        "DeadlineBreached",
        complaint_id,
        {
            "complaint_id": complaint_id,
            "campus": "east",
            "deadline": deadline,
            "breached_at": "2026-12-04T16:00:00Z",
            "actor": {"id": "system", "role": "system"},
        },
    )
    with db.transaction() as cur:
        queue_messages(cur, event)
    return complaint_id


def _outcome(db: Database, complaint_id: str) -> tuple[list[str], list[str]]:
    with db.transaction() as cur:
        cur.execute("SELECT status FROM notifications WHERE complaint_id = %s", (complaint_id,))
        statuses = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT type FROM events WHERE stream_id = %s", (complaint_id,))
        events = [r[0] for r in cur.fetchall()]
    return statuses, events


def test_a_message_whose_outcome_was_cut_by_a_lost_database_is_recorded_and_not_sent_again(db, smtp):
    email = EmailThenDatabaseLost("127.0.0.1", SMTP_PORT, "complaints@hospital.example", timeout=5)
    complaint_id = _queue_breach_alert(db)
    deliverer = _deliverer(db, email)

    assert deliverer.deliver_due() == 1  # sent, then the database went away; the outcome written once it is back
    assert deliverer.deliver_due() == 0  # nothing left to send
    wait_for(lambda: smtp.messages(), what="the breach alert in the SMTP sink")
    assert len(smtp.messages()) == 1
    assert _outcome(db, complaint_id) == (["sent"], [])  # a breach alert leads to no event of its own


def _claim_as(db: Database, notification_id_of: str, holder: str | None, age: str, heard_of: str | None) -> None:
    """What a deliverer leaves behind between claiming and recording: a claim of ``age``, held by ``holder``
    last heard of ``heard_of`` ago (None: never heard of)."""
    with db.transaction() as cur:
        if holder is not None and heard_of is not None:
            cur.execute(
                "INSERT INTO deliverers (deliverer_id, seen_at) VALUES (%s, now() - %s::interval)", (holder, heard_of)
            )
        cur.execute(
            "UPDATE notifications SET status = 'sending', claimed_by = %s, updated_at = now() - %s::interval"
            " WHERE complaint_id = %s",
            (holder, age, notification_id_of),
        )


def test_a_claim_left_by_a_process_that_died_mid_send_is_sent_after_its_lease(db, smtp):
    complaint_id = _queue_breach_alert(db)
    _claim_as(db, complaint_id, None, "1 hour", None)  # a claim older than the lease, whoever held it
    fresh = _queue_breach_alert(db)
    _claim_as(db, fresh, str(uuid.uuid4()), "5 seconds", "1 second")  # another replica, alive, sending it now
    email = Email("127.0.0.1", SMTP_PORT, "complaints@hospital.example", timeout=5)

    assert _deliverer(db, email).deliver_due() == 1
    wait_for(lambda: smtp.messages(), what="the released claim sent")
    assert _outcome(db, complaint_id)[0] == ["sent"]
    assert _outcome(db, fresh)[0] == ["sending"]  # left to the replica that holds it


def test_a_claim_whose_deliverer_fell_silent_is_sent_again_long_before_the_lease(db, smtp):
    """A replica SIGKILLed mid-send stops its heartbeat: its claim is released once it has been silent for
    SILENT_SECONDS, not after the 5-minute lease (chaos: a killed replica's claim held a message 5 minutes)."""
    dead = _queue_breach_alert(db)
    _claim_as(db, dead, str(uuid.uuid4()), "30 seconds", f"{delivery.SILENT_SECONDS + 1} seconds")
    alive = _queue_breach_alert(db)
    _claim_as(db, alive, str(uuid.uuid4()), "30 seconds", f"{delivery.SILENT_SECONDS - 5} seconds")
    email = Email("127.0.0.1", SMTP_PORT, "complaints@hospital.example", timeout=5)

    assert _deliverer(db, email).deliver_due() == 1
    assert _outcome(db, dead)[0] == ["sent"]
    assert _outcome(db, alive)[0] == ["sending"]  # its deliverer still beats: never sent twice meanwhile


def test_an_outcome_is_not_written_over_a_claim_another_deliverer_took_over(db, smtp):
    """A deliverer that fell silent and came back finds its claim released and taken: it writes nothing."""
    complaint_id = _queue_breach_alert(db)
    email = Email("127.0.0.1", SMTP_PORT, "complaints@hospital.example", timeout=5)
    slow, other = _deliverer(db, email), _deliverer(db, email)
    slow.heartbeat()
    row = slow._claim(datetime.now(UTC))
    assert row is not None
    with db.transaction() as cur:  # meanwhile its claim was released and another deliverer holds it
        cur.execute(
            "UPDATE notifications SET claimed_by = %s WHERE complaint_id = %s", (other.deliverer_id, complaint_id)
        )

    slow._record(row, lambda cur: cur.execute("UPDATE notifications SET status = 'sent'"), "email", "sent")
    assert _outcome(db, complaint_id)[0] == ["sending"]  # left to the deliverer that holds the claim now
