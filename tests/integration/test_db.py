"""shared.db's mechanisms against the real PostgreSQL under eventlet: a transaction holding a lock every
writer queues on does not yield between its statements (``hold_until_commit``); prepared statements
(``execute_prepared``)."""

from __future__ import annotations

import time
import uuid
from contextlib import nullcontext

import eventlet
import pytest

from shared.db import Database, execute_prepared, hold_until_commit
from shared.envelope import new_event
from shared.eventstore import EventStore
from tests.support.databases import fresh_backbone_database


@pytest.fixture
def db():
    database = Database(fresh_backbone_database("hold"), size=4)
    with database.transaction() as cur:
        cur.execute("CREATE TABLE hot (id int PRIMARY KEY, n int NOT NULL)")
        cur.execute("INSERT INTO hot VALUES (1, 0)")
    yield database
    database.close()


class Ticker:
    """A green thread that counts how often it gets to run."""

    def __init__(self) -> None:
        self.ticks = 0
        self.running = True
        self.thread = eventlet.spawn(self._run)
        eventlet.sleep(0)

    def _run(self) -> None:
        while self.running:
            self.ticks += 1
            eventlet.sleep(0)

    def stop(self) -> None:
        self.running = False
        self.thread.wait()


def ticks_during_statements(cur, ticker: Ticker, statements: int = 20) -> int:
    before = ticker.ticks
    for _ in range(statements):
        cur.execute("UPDATE hot SET n = n + 1 WHERE id = 1")
    return ticker.ticks - before


def test_statements_after_the_hold_do_not_let_other_green_threads_run(db):
    ticker = Ticker()
    try:
        with db.transaction() as cur:
            yielding = ticks_during_statements(cur, ticker)
            hold_until_commit(cur)
            held = ticks_during_statements(cur, ticker)
            before_commit = ticker.ticks
        committed = ticker.ticks - before_commit
    finally:
        ticker.stop()
    assert yielding >= 20, "without the hold every statement yields"
    assert held == 0, "a statement of a holding transaction let another green thread run"
    assert committed == 0, "the holding transaction's commit let another green thread run"


@pytest.mark.parametrize("ending", ["commit", "rollback"])
def test_the_hold_ends_with_its_transaction(db, ending):
    ticker = Ticker()
    try:
        with pytest.raises(RuntimeError) if ending == "rollback" else nullcontext(), db.transaction() as cur:
            hold_until_commit(cur)
            cur.execute("SELECT 1")
            if ending == "rollback":
                raise RuntimeError("the transaction fails")
        with db.transaction() as cur:  # the pool gives the same connection back (LIFO)
            after = ticks_during_statements(cur, ticker)
    finally:
        ticker.stop()
    assert after >= 20, f"after its {ending} the connection's statements still did not yield"


def test_a_held_statement_waiting_for_a_lock_of_a_suspended_green_thread_waits_cooperatively(db):
    """The other green thread of the same process holds the row and can only release it if it runs: the
    held statement blocks the process for at most UNYIELDING_WAIT, then waits cooperatively."""
    locked = eventlet.event.Event()

    def holder() -> None:
        with db.transaction() as cur:
            cur.execute("SELECT n FROM hot WHERE id = 1 FOR UPDATE")
            locked.send(True)
            eventlet.sleep(0.05)  # suspended, holding the row
            cur.execute("UPDATE hot SET n = 100 WHERE id = 1")

    other = eventlet.spawn(holder)
    locked.wait()
    started = time.monotonic()
    with db.transaction() as cur:
        cur.execute("SELECT 1")
        hold_until_commit(cur)
        cur.execute("UPDATE hot SET n = n + 1 WHERE id = 1 RETURNING n")
        assert cur.fetchone() == (101,)
    other.wait()
    assert time.monotonic() - started < 2.0


def test_an_append_holds_until_commit(db):
    """The event store's append takes the log head every writer of the service queues on."""
    store = EventStore("intake")
    stream = str(uuid.uuid4())
    event = new_event(
        "intake",
        "ComplaintWithdrawn",
        stream,
        {"complaint_id": stream, "campus": "east", "withdrawn_at": "2026-03-02T08:00:00Z", "reason": "r"},
    )
    ticker = Ticker()
    try:
        with db.transaction() as cur:
            before = ticks_during_statements(cur, ticker)
            store.append(cur, stream, 0, [event])
            after = ticks_during_statements(cur, ticker)
    finally:
        ticker.stop()
    assert before >= 20
    assert after == 0


def test_a_prepared_statement_answers_as_the_plain_one_and_survives_a_rollback(db):
    statement = "SELECT count(*) FROM hot WHERE id = ANY($1::int[]) AND n >= $2"
    with db.transaction() as cur:
        cur.execute("INSERT INTO hot SELECT g, g FROM generate_series(2, 20) g")
    with pytest.raises(RuntimeError), db.transaction() as cur:
        execute_prepared(cur, "hot_count", statement, ([2, 3, 4], 3))
        assert cur.fetchone() == (2,)
        raise RuntimeError("rolled back: the connection keeps its prepared statement")
    with db.transaction() as cur:  # the same connection (LIFO): EXECUTE without PREPARE again
        execute_prepared(cur, "hot_count", statement, ([5, 6, 30], 0))
        assert cur.fetchone() == (2,)
        cur.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = 'hot_count'")
        assert cur.fetchone() == (1,)
    other = db.connect()  # a new connection prepares it for itself
    try:
        with other, other.cursor() as cur:
            execute_prepared(cur, "hot_count", statement, ([2], 0))
            assert cur.fetchone() == (1,)
    finally:
        other.close()


def test_casts_name_what_psycopg2_would_not_coerce(db):
    with db.transaction() as cur:
        cur.execute("CREATE TABLE ids (id uuid PRIMARY KEY)")
        one = str(uuid.uuid4())
        cur.execute("INSERT INTO ids VALUES (%s)", (one,))
        statement = "SELECT count(*) FROM ids WHERE id = ANY($1::uuid[])"
        execute_prepared(cur, "ids_count", statement, ([one, str(uuid.uuid4())],), casts=("uuid[]",))
        assert cur.fetchone() == (1,)
        execute_prepared(cur, "ids_count", statement, ([one],), casts=("uuid[]",), before="SET LOCAL jit = off")
        assert cur.fetchone() == (1,)
