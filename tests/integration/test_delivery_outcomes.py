"""Delivery across a lost database: a message that went out is recorded once the database is back and is
never sent again because its outcome could not be written at once (issue 20: a failover cut the commit
of a delivery and the message went out twice); a claim left by a process that died mid-send is sent
again after its lease. Real PostgreSQL, notification's real migrations, the real SMTP channel to the
local SMTP stand-in."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from services.notification import settings
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
        lambda _complaint_id: {},
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


def test_a_claim_left_by_a_process_that_died_mid_send_is_sent_after_its_lease(db, smtp):
    complaint_id = _queue_breach_alert(db)
    with db.transaction() as cur:  # what a deliverer killed between claiming and recording leaves behind
        cur.execute(
            "UPDATE notifications SET status = 'sending', updated_at = now() - interval '1 hour'"
            " WHERE complaint_id = %s",
            (complaint_id,),
        )
    fresh = str(uuid.uuid4())
    with db.transaction() as cur:  # a claim still within its lease: another replica is sending it now
        cur.execute(
            "INSERT INTO notifications (notification_id, complaint_id, caused_by, purpose, campus,"
            " recipient_role, recipient_id, status, context) SELECT %s, %s, 'other-cause', purpose, campus,"
            " recipient_role, recipient_id, 'sending', context FROM notifications WHERE complaint_id = %s",
            (fresh, fresh, complaint_id),
        )
    email = Email("127.0.0.1", SMTP_PORT, "complaints@hospital.example", timeout=5)

    assert _deliverer(db, email).deliver_due() == 1
    wait_for(lambda: smtp.messages(), what="the released claim sent")
    assert _outcome(db, complaint_id)[0] == ["sent"]
    assert _outcome(db, fresh)[0] == ["sending"]  # left to the replica that holds it
