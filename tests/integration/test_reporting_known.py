"""The bitemporal read model behind "as of" against the real PostgreSQL: for random histories delivered in
random batches and orders (late sources, duplicates), checkpoints made midway, and random moments, the
figures it sums in SQL equal folding every complaint's events known by then, and the log path's fold;
a build from the copy of the log gives the same."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.reporting import domain, known, queries
from services.reporting.projection import SERVICE, project
from services.reporting.settings import CALENDARS
from shared.db import Database
from shared.envelope import Envelope
from tests.support import simulate
from tests.support.databases import fresh_service_database

START = datetime(2026, 1, 5, tzinfo=UTC)
DAYS = 75
WINDOWS = [
    domain.Period(date(2026, 1, 1), date(2026, 5, 31)),  # everything
    domain.Period(date(2026, 2, 1), date(2026, 2, 28)),  # a month
    domain.Period(date(2026, 3, 9), date(2026, 3, 15)),  # a week
]

REQUESTS = [
    domain.Request(domain.Period(date(2026, 2, 1), date(2026, 2, 28)), None, None, "day", compare=True),
    domain.Request(domain.Period(date(2026, 1, 10), date(2026, 4, 20)), None, None, "month"),
    domain.Request(domain.Period(date(2026, 1, 1), date(2026, 3, 31)), "east", "patient_or_family", "week"),
]


@pytest.fixture(scope="module")
def db():
    database = Database(fresh_service_database(SERVICE), size=4)
    yield database
    database.close()


def history(seed: int, complaints: int) -> list[Envelope]:
    log = simulate.Log(seed)
    return [log.envelope(p) for p in simulate.stream(seed, complaints, START, DAYS, CALENDARS.calendars)]


def deliver(db: Database, events: Sequence[Envelope], rng: random.Random) -> None:
    """Random batches straight into the projection's handler, shuffled within a window and some redelivered:
    an event may arrive after events known later than it (one source lagging behind another)."""
    pending = list(events)
    for start in range(0, len(pending), 20):  # shuffle within windows of 20
        window = pending[start : start + 20]
        rng.shuffle(window)
        pending[start : start + 20] = window
    sent: list[Envelope] = []
    while pending:
        size = rng.randint(1, 9)
        batch, pending = pending[:size], pending[size:]
        if sent and rng.random() < 0.2:
            batch += rng.sample(sent, k=min(len(sent), 2))
        with db.transaction() as cur:
            project(cur, batch)
        sent += batch


def reset(db: Database) -> None:
    with db.transaction() as cur:
        cur.execute("TRUNCATE event_copy")  # the trigger wipes every projection and the model


def folded_as_of(db: Database, moment: datetime, windows: Sequence[domain.Period]) -> domain.Cells:
    """Every complaint's events known by ``moment``, folded in Python: the definition of "as of"."""
    by_complaint: dict[str, list[domain.LoggedEvent]] = defaultdict(list)
    with db.transaction() as cur:
        cur.execute(
            "SELECT complaint_id::text, source, sequence, type, occurred_at, data FROM event_copy"
            " WHERE known_at <= %s AND type = ANY(%s)",
            (moment, sorted(domain.FOLDED_TYPES)),
        )
        for complaint_id, *row in cur.fetchall():
            by_complaint[complaint_id].append(domain.LoggedEvent(*row))
    cells: domain.Cells = {}
    for events in by_complaint.values():
        domain.cells_of(events, CALENDARS, cells)
    return {k: v for k, v in cells.items() if v and any(w.start <= k[0] <= w.end for w in windows)}


def fast(db: Database, moment: datetime, windows: Sequence[domain.Period]) -> domain.Cells:
    with db.transaction() as cur:
        assert known.complete(cur)
        return known.cells(cur, windows, moment)


def moments(db: Database, rng: random.Random, count: int) -> list[datetime]:
    """Random moments over the history, and some exactly at an event's known_at (the boundary)."""
    with db.transaction() as cur:
        cur.execute("SELECT known_at FROM event_copy ORDER BY random() LIMIT %s", (count,))
        exact = [row[0] for row in cur.fetchall()]
    spread = [START + timedelta(seconds=rng.uniform(-86400, (DAYS + 60) * 86400)) for _ in range(count)]
    return [*exact, *spread]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), checkpoint_after=st.floats(0.1, 0.9))
def test_as_of_from_the_model_equals_the_fold_for_random_histories_and_moments(db, seed, checkpoint_after):
    reset(db)
    rng = random.Random(seed)
    events = history(seed, complaints=25)
    cut = int(len(events) * checkpoint_after)
    deliver(db, events[:cut], rng)
    with db.transaction() as cur:  # checkpoints midway: later deliveries known before them are carried in
        known.make_checkpoints(cur, now=START + timedelta(days=DAYS + 90))
    deliver(db, events[cut:], rng)
    for moment in moments(db, rng, 6):
        for windows in ([WINDOWS[0]], WINDOWS[1:]):
            assert fast(db, moment, windows) == folded_as_of(db, moment, windows), moment
        # The report the service answers (KnownCube's SQL questions) equals the report of the fold.
        for request in REQUESTS:
            with db.transaction() as cur:
                asked = domain.report(queries.KnownCube(cur, moment), request)
            expected = domain.MemoryCube(folded_as_of(db, moment, queries.windows_for(request)))
            assert asked == domain.report(expected, request), (moment, request)


@pytest.mark.parametrize("seed", [3, 17])
def test_the_model_also_equals_the_log_path_and_a_build_from_the_log(db, seed):
    reset(db)
    rng = random.Random(seed)
    deliver(db, history(seed, complaints=40), rng)
    checks = moments(db, rng, 5)
    incremental = {m: fast(db, m, WINDOWS) for m in checks}
    with db.transaction() as cur:
        for moment in checks:
            assert incremental[moment] == {
                k: v for k, v in queries.log_cells(cur, WINDOWS, CALENDARS, "Asia/Shanghai", moment).items() if v
            }
    built = known.build(db.dsn)
    assert built["complaints"] > 0 and built["checkpoints"] > 0
    assert {m: fast(db, m, WINDOWS) for m in checks} == incremental


def test_a_checkpoint_holds_everything_known_before_it(db):
    reset(db)
    deliver(db, history(5, complaints=30), random.Random(5))
    with db.transaction() as cur:
        made = known.make_checkpoints(cur, now=START + timedelta(days=200))
        assert made == [datetime(2026, m, 1, tzinfo=UTC) for m in range(2, 8)]
        assert known.make_checkpoints(cur, now=START + timedelta(days=200)) == []  # made once
    for checkpoint in made:  # the sums at the checkpoint are the fold of what was known just before it
        assert fast(db, checkpoint - timedelta(microseconds=1), WINDOWS[:1]) == folded_as_of(
            db, checkpoint - timedelta(microseconds=1), WINDOWS[:1]
        )


def test_summary_as_of_is_answered_from_the_model_once_complete(db):
    reset(db)
    deliver(db, history(8, complaints=20), random.Random(8))
    request = domain.Request(WINDOWS[1], None, None, "day")
    moment = START + timedelta(days=40)
    with db.transaction() as cur:
        assert isinstance(queries.cube(cur, request, moment), queries.KnownCube)
        from_model = domain.report(queries.cube(cur, request, moment), request)
        cur.execute("UPDATE rpt_known_state SET complete = false")
        from_log = domain.report(queries.cube(cur, request, moment), request)
        cur.execute("UPDATE rpt_known_state SET complete = true")
    assert from_model == from_log
