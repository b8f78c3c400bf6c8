"""The event store's guarantees, against the real PostgreSQL."""

from __future__ import annotations

import random
import uuid

import eventlet
import pytest

from shared.db import Database
from shared.envelope import new_event
from shared.eventstore import ConcurrencyError, EventStore, StreamScope, chain_hash, verify_chain
from tests.support.databases import fresh_backbone_database

STORE = EventStore("intake")


@pytest.fixture
def db():
    database = Database(fresh_backbone_database("store"), size=20)
    with database.transaction() as cur:
        cur.execute("CREATE TABLE test_state (stream_id text PRIMARY KEY, note text)")
    yield database
    database.close()


def received(complaint_id: str, n: int = 0) -> object:
    return new_event(
        "intake",
        "ComplaintWithdrawn",
        complaint_id,
        {"complaint_id": complaint_id, "campus": "east", "withdrawn_at": "2026-03-02T08:00:00Z", "reason": f"note {n}"},
    )


def test_concurrent_writers_are_seen_by_followers_exactly_once_in_commit_order(db):
    writers, per_writer = 10, 30
    committed: list[int] = []  # sequences in the order their writers saw their commits return

    def writer(w: int) -> None:
        for i in range(per_writer):
            stream = f"{uuid.uuid4()}"
            with db.transaction() as cur:
                cur.execute("INSERT INTO test_state VALUES (%s, %s)", (stream, f"{w}-{i}"))
                placed = STORE.append(cur, stream, 0, [received(stream, i)])
                # Hold the transaction open a random while: a store whose sequence is not taken in
                # commit order would now let a later number commit first, and a follower skip it.
                eventlet.sleep(random.random() * 0.003)
            committed.append(placed[0].sequence)

    seen: list[list[int]] = [[], [], []]
    done = eventlet.event.Event()

    def follower(me: int) -> None:
        position = 0
        while True:
            finished = done.ready()
            with db.transaction() as cur:
                page = STORE.read_after(cur, position, 50)
            for event in page:
                assert event.sequence == position + 1, f"follower at {position} was shown {event.sequence}"
                position = event.sequence
                seen[me].append(event.sequence)
            if finished and not page:
                return
            eventlet.sleep(0)

    followers = [eventlet.spawn(follower, me) for me in range(3)]
    pool = [eventlet.spawn(writer, w) for w in range(writers)]
    for thread in pool:
        thread.wait()
    done.send(True)
    for thread in followers:
        thread.wait()

    total = writers * per_writer
    # Each number handed out exactly once, none lost. (The order in which writers *see* their commits
    # return is no proof of commit order: after COMMIT the next writer may resume first. The commit
    # order shows in what followers see: a number that committed after a higher one would be skipped.)
    assert sorted(committed) == list(range(1, total + 1)), "sequence numbers were lost or repeated"
    for follower_saw in seen:
        assert follower_saw == list(range(1, total + 1)), "a follower missed or repeated an event"
    with db.transaction() as cur:
        cur.execute("SELECT count(*), min(sequence), max(sequence) FROM events")
        assert cur.fetchone() == (total, 1, total)


def test_conflicting_append_fails_and_writes_nothing(db):
    stream = str(uuid.uuid4())
    with db.transaction() as cur:
        STORE.append(cur, stream, 0, [received(stream, 0)])

    with pytest.raises(ConcurrencyError) as raised, db.transaction() as cur:
        cur.execute("INSERT INTO test_state VALUES (%s, 'loser')", (stream,))
        STORE.append(cur, stream, 0, [received(stream, 1)])
    assert raised.value.actual == 1

    with db.transaction() as cur:
        cur.execute("SELECT count(*) FROM test_state")
        assert cur.fetchone()[0] == 0, "the losing transaction's state change was kept"
        cur.execute("SELECT last_sequence FROM log_head")
        assert cur.fetchone()[0] == 1
        assert [e.streamversion for e in STORE.read_stream(cur, stream)] == [1]


def test_two_racing_writers_on_one_stream_one_wins(db):
    stream = str(uuid.uuid4())
    outcomes: list[str] = []

    def attempt(n: int) -> None:
        try:
            with db.transaction() as cur:
                version = STORE.stream_version(cur, stream)
                eventlet.sleep(0.01)  # both read version 0 before either appends
                STORE.append(cur, stream, version, [received(stream, n)])
            outcomes.append("ok")
        except ConcurrencyError:
            outcomes.append("conflict")

    threads = [eventlet.spawn(attempt, n) for n in range(2)]
    for thread in threads:
        thread.wait()
    assert sorted(outcomes) == ["conflict", "ok"]


def test_rollback_gives_sequence_numbers_back(db):
    stream = str(uuid.uuid4())
    with pytest.raises(RuntimeError), db.transaction() as cur:
        STORE.append(cur, stream, 0, [received(stream, 0), received(stream, 1)])
        raise RuntimeError("the state change failed after the append")
    with db.transaction() as cur:
        placed = STORE.append(cur, stream, 0, [received(stream, 2)])
    assert placed[0].sequence == 1
    assert placed[0].streamversion == 1


def test_read_stream_and_read_after(db):
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    with db.transaction() as cur:
        STORE.append(cur, a, 0, [received(a, 0), received(a, 1)])
        STORE.append(cur, b, 0, [received(b, 0)])
        STORE.append(cur, a, 2, [received(a, 2)])
    with db.transaction() as cur:
        stream = STORE.read_stream(cur, a)
        assert [(e.sequence, e.streamversion) for e in stream] == [(1, 1), (2, 2), (4, 3)]
        assert [e.data["reason"] for e in stream] == ["note 0", "note 1", "note 2"]
        assert [e.sequence for e in STORE.read_after(cur, 1, 2)] == [2, 3]
        assert STORE.head(cur) == 4


def test_read_after_one_subject_and_within_a_scope(db):
    """``GET /events?subject=`` and the campus scope: one stream's events, in sequence order, paged by
    ``after``/``limit``; only the streams a scope query selects; both at once."""
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    with db.transaction() as cur:
        cur.execute("INSERT INTO test_state VALUES (%s, 'west'), (%s, 'east'), (%s, 'west')", (a, b, c))
        STORE.append(cur, a, 0, [received(a, 0), received(a, 1)])  # 1, 2
        STORE.append(cur, b, 0, [received(b, 0)])  # 3
        STORE.append(cur, c, 0, [received(c, 0)])  # 4
        STORE.append(cur, a, 2, [received(a, 2)])  # 5
    west = StreamScope("SELECT stream_id FROM test_state WHERE note = ANY(%s)", (["west"],))
    with db.transaction() as cur:
        assert [e.sequence for e in STORE.read_after(cur, 0, 10, subject=a)] == [1, 2, 5]
        assert [e.sequence for e in STORE.read_after(cur, 1, 1, subject=a)] == [2]
        assert [e.sequence for e in STORE.read_after(cur, 2, 10, subject=a)] == [5]
        assert STORE.read_after(cur, 0, 10, subject=str(uuid.uuid4())) == []
        assert [e.sequence for e in STORE.read_after(cur, 0, 10, within=west)] == [1, 2, 4, 5]
        assert [e.sequence for e in STORE.read_after(cur, 1, 2, within=west)] == [2, 4]  # limit counts what is shown
        assert [e.sequence for e in STORE.read_after(cur, 0, 10, subject=c, within=west)] == [4]
        assert STORE.read_after(cur, 0, 10, subject=b, within=west) == []


def test_one_subjects_events_are_read_through_the_stream_index(db):
    """The console's case page must not cost the hospital's whole history (issue 12 item 9)."""
    streams = [str(uuid.uuid4()) for _ in range(20)]
    with db.transaction() as cur:
        for stream in streams:
            STORE.append(cur, stream, 0, [received(stream, n) for n in range(500)])
        cur.execute("ANALYZE events")
    with db.transaction() as cur:
        cur.execute(
            "EXPLAIN SELECT sequence FROM events WHERE sequence > 0 AND stream_id = %s"
            " ORDER BY stream_version LIMIT 1000",
            (streams[7],),
        )
        plan = " ".join(row[0] for row in cur.fetchall())
        assert "events_stream_id_stream_version_key" in plan and "Seq Scan" not in plan, plan
        assert len(STORE.read_after(cur, 0, 1000, subject=streams[7])) == 500


def test_append_refuses_an_event_of_another_stream_or_service(db):
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    with pytest.raises(Exception, match="does not belong"), db.transaction() as cur:
        STORE.append(cur, a, 0, [received(b)])
    with pytest.raises(Exception, match="does not belong"), db.transaction() as cur:
        EventStore("notification").append(cur, a, 0, [received(a)])


def test_the_log_is_hash_chained_and_a_tampered_row_is_found(db):
    streams = [str(uuid.uuid4()) for _ in range(5)]
    with db.transaction() as cur:
        for n, stream in enumerate(streams):
            STORE.append(cur, stream, 0, [received(stream, n)])
    with db.transaction() as cur:
        events = STORE.read_after(cur, 0, 10)
        assert events[0].prevhash == "" and all(e.prevhash for e in events[1:])
        assert [e.prevhash for e in events[1:]] == [chain_hash(p.prevhash, p) for p in events[:-1]]
        assert verify_chain(cur, "intake") == (5, None)
        # Someone edits a stored event behind the store's back.
        cur.execute("UPDATE events SET data = jsonb_set(data, '{reason}', '\"edited\"') WHERE sequence = 3")
        checked, broken = verify_chain(cur, "intake")
        assert (checked, broken.sequence) == (2, 3) and "does not match its hash" in broken.reason


def test_a_removed_event_breaks_the_chain(db):
    streams = [str(uuid.uuid4()) for _ in range(4)]
    with db.transaction() as cur:
        for n, stream in enumerate(streams):
            STORE.append(cur, stream, 0, [received(stream, n)])
    with db.transaction() as cur:
        cur.execute("DELETE FROM events WHERE sequence = 2")
        checked, broken = verify_chain(cur, "intake")
        assert (checked, broken.sequence) == (1, 2) and "missing" in broken.reason


def test_verify_log_command_reports_the_first_broken_link(monkeypatch, capsys, db):
    from shared import verify_log

    monkeypatch.setenv("INTAKE_DATABASE_URL", db.dsn)
    streams = [str(uuid.uuid4()) for _ in range(3)]
    with db.transaction() as cur:
        for n, stream in enumerate(streams):
            STORE.append(cur, stream, 0, [received(stream, n)])
    assert verify_log.main(["intake"]) == 0
    assert capsys.readouterr().out.strip() == "intake: 3 events, chain intact"
    with db.transaction() as cur:
        cur.execute("UPDATE events SET type = 'ComplaintReceived' WHERE sequence = 2")
    assert verify_log.main(["intake"]) == 1
    assert "BROKEN at sequence 2" in capsys.readouterr().out
