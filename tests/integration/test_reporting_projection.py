"""Reporting's projection against the real PostgreSQL: incremental == rebuild == a fold of the log,
whatever the batches, duplicates and delivery order; as of a past moment; publications; backfill."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

import eventlet
import eventlet.wsgi
import pytest
from werkzeug.wrappers import Request, Response

from services.reporting import domain, queries, rebuild, schemas
from services.reporting.projection import PROJECTOR, SERVICE
from services.reporting.settings import CALENDARS
from shared.consumer import Backfill, Inbox
from shared.db import Database
from shared.envelope import Envelope, new_event
from tests.support import simulate
from tests.support.databases import fresh_service_database

START = datetime(2026, 1, 5, tzinfo=UTC)
PERIOD = domain.Period(date(2026, 1, 1), date(2026, 4, 30))


@pytest.fixture
def db():
    database = Database(fresh_service_database(SERVICE), size=6)
    yield database
    database.close()


@pytest.fixture
def inbox(db):
    return Inbox(SERVICE, db, PROJECTOR)


def history(seed: int, complaints: int = 30, days: int = 60, until: datetime | None = None) -> list[Envelope]:
    log = simulate.Log(seed)
    return [log.envelope(p) for p in simulate.stream(seed, complaints, START, days, CALENDARS.calendars, until)]


def deliver(inbox: Inbox, events: Sequence[Envelope], rng: random.Random, duplicates: float = 0.2) -> None:
    """Batches of random size with sources interleaved, some events delivered twice, some early
    (the inbox holds them until the gap before them fills)."""
    pending = list(events)
    sent: list[Envelope] = []
    while pending:
        size = rng.randint(1, 12)
        batch, pending = pending[:size], pending[size:]
        if pending and rng.random() < 0.3:  # one from further ahead arrives early
            early = pending.pop(rng.randrange(min(len(pending), 8)))
            batch.append(early)
        if sent and rng.random() < duplicates:  # redeliveries
            batch += rng.sample(sent, k=min(len(sent), rng.randint(1, 3)))
        rng.shuffle(batch)
        inbox.receive([e.to_json() for e in batch])
        sent += batch


def tables(db: Database) -> dict[str, list[tuple]]:
    out = {}
    with db.transaction() as cur:
        for table in ("rpt_daily", "rpt_monthly", "received_daily"):
            cur.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4" + (", 5" if table != "received_daily" else ""))
            out[table] = cur.fetchall()
    return out


def folded(events: Iterable[Envelope]) -> list[tuple]:
    """rpt_daily's rows as a pure fold of every event computes them."""
    by_complaint: dict[str, list[domain.LoggedEvent]] = {}
    for e in events:
        by_complaint.setdefault(str(e.data["complaint_id"]), []).append(
            domain.LoggedEvent(e.service, e.sequence, e.type, e.time, e.data)
        )
    cells: domain.Cells = {}
    for complaint_events in by_complaint.values():
        domain.cells_of(complaint_events, CALENDARS, cells)
    return sorted((*k, v) for k, v in cells.items() if v)


def run_rebuild(db: Database, **kwargs) -> rebuild.Result:
    return rebuild.run(db.dsn, CALENDARS, **kwargs)


@pytest.mark.parametrize("seed", range(8))
def test_rebuild_equals_the_incremental_projection_whatever_the_delivery(db, inbox, seed):
    events = history(seed)
    deliver(inbox, events, random.Random(seed))
    assert {s: inbox.position(s) for s in ("intake", "investigation", "notification")} == {
        s: sum(1 for e in events if e.service == s) for s in ("intake", "investigation", "notification")
    }
    incremental = tables(db)
    assert incremental["rpt_daily"] == folded(events), "the projection is the fold of the log"
    result = run_rebuild(db)
    assert result.events == len(events) and result.caught_up == 0
    assert tables(db) == incremental
    with db.transaction() as cur:
        cur.execute("SELECT count(*) FROM rpt_daily WHERE value = 0")
        assert cur.fetchone()[0] == 0


def test_events_copied_during_a_rebuild_are_caught_up_at_the_swap(db, inbox):
    events = history(21, complaints=40)
    cut = len(events) * 2 // 3
    deliver(inbox, events[:cut], random.Random(1), duplicates=0)

    def meanwhile(message: str) -> None:
        if message.startswith("snapshot"):  # the consumer goes on while the rebuild folds
            deliver(inbox, events[cut:], random.Random(2), duplicates=0)

    result = run_rebuild(db, progress=meanwhile)
    assert result.caught_up > 0
    assert tables(db)["rpt_daily"] == folded(events)
    deliver(inbox, events[-5:], random.Random(3))  # redeliveries after the swap change nothing
    assert tables(db)["rpt_daily"] == folded(events)


def test_one_rebuild_at_a_time(db, inbox):
    deliver(inbox, history(4, complaints=3), random.Random(4))
    first = rebuild.request(db.dsn)
    with pytest.raises(rebuild.RebuildRunning):
        rebuild.request(db.dsn)
    run_rebuild(db, rebuild_id=first)
    with db.transaction() as cur:
        assert rebuild.status(cur, first)["status"] == "done"
    second = rebuild.request(db.dsn)  # the first finished: a new one may start
    assert second > first


def test_duplicates_change_nothing(db, inbox):
    events = history(5, complaints=10)
    inbox.receive([e.to_json() for e in events])
    before = tables(db)
    for _ in range(2):
        outcome = inbox.receive([e.to_json() for e in events])
        assert outcome.applied == 0 and outcome.duplicates == len(events)
    assert tables(db) == before
    with db.transaction() as cur:
        cur.execute("SELECT count(*) FROM event_copy")
        assert cur.fetchone()[0] == len(events)


def received(complaint_id: str, campus: str = "east", category: str = "billing", **extra) -> Envelope:
    data = {
        "complaint_id": complaint_id,
        "campus": campus,
        "reference": "EAST-2026-000001",
        "channel": "phone",
        "category": category,
        "severity": "normal",
        "source": "patient_or_family",
        "departments": ["nursing"],
        "received_at": "2026-03-02T02:00:00Z",
        "anonymous": False,
        "has_contact": True,
        **extra,
    }
    return new_event("intake", "ComplaintReceived", complaint_id, data, time=datetime(2026, 3, 2, 2, tzinfo=UTC))


def reclassified(complaint_id: str, previous: dict, current: dict) -> Envelope:
    return new_event(
        "intake",
        "ComplaintReclassified",
        complaint_id,
        {
            "complaint_id": complaint_id,
            "campus": "east",
            "previous": previous,
            "current": current,
            "reclassified_at": "2026-03-03T02:00:00Z",
        },
        time=datetime(2026, 3, 3, 2, tzinfo=UTC),
    )


def numbered(events: Sequence[Envelope], first: int = 1) -> list[Envelope]:
    return [e.with_position(first + i, i + 1) for i, e in enumerate(events)]


def summary(db: Database, campus: str | None = None, period: domain.Period = PERIOD, **kwargs) -> dict:
    with db.transaction() as cur:
        params = schemas.SummaryParams(from_=period.start, to=period.end, campus=campus, **kwargs)
        return queries.summary(cur, params)


def test_a_reclassified_complaint_moves_between_categories_without_double_counting(db, inbox):
    cid = "6f1c1a5e-0000-4000-8000-000000000001"
    before = {"category": "billing", "severity": "normal", "departments": ["nursing"], "campuses": ["east"]}
    after = {**before, "category": "medical_quality", "campuses": ["east", "west"]}
    first, second = numbered([received(cid), reclassified(cid, before, after)])
    inbox.receive([first.to_json()])
    assert summary(db)["received"]["by_category"] == {"billing": 1}
    inbox.receive([second.to_json()])
    figures = summary(db)
    assert figures["received"]["total"] == 1
    assert figures["received"]["by_category"] == {"medical_quality": 1}
    # ... and now it concerns west too: once under each campus, once group-wide
    assert figures["received"]["by_campus"] == {
        "east": {"total": 1, "by_category": {"medical_quality": 1}},
        "west": {"total": 1, "by_category": {"medical_quality": 1}},
    }
    with db.transaction() as cur:
        cur.execute("SELECT campuses, metric, key, value FROM rpt_daily WHERE metric = 'received.category'")
        assert cur.fetchall() == [("east,west", "received.category", "medical_quality", 1)]
        cur.execute("SELECT campus, category, received FROM received_daily ORDER BY campus")
        assert cur.fetchall() == [("east", "medical_quality", 1), ("west", "medical_quality", 1)]


def test_a_multi_campus_complaint_counts_once_group_wide_and_once_per_campus(db, inbox):
    events = numbered(
        [
            received("6f1c1a5e-0000-4000-8000-000000000002", campuses=["east", "west"]),
            received("6f1c1a5e-0000-4000-8000-000000000003", campus="west"),
        ]
    )
    inbox.receive([e.to_json() for e in events])
    figures = summary(db)
    assert figures["received"]["total"] == 2
    assert {c: v["total"] for c, v in figures["received"]["by_campus"].items()} == {"east": 1, "west": 2}
    assert figures["received"]["by_department"] == {"nursing": 2}
    assert summary(db, "east")["received"]["total"] == 1
    assert summary(db, "west")["received"]["by_department"] == {"nursing": 2}


class LogServer:
    """A source's GET /events over a list of its events (as shared.runtime.EventLog serves them)."""

    def __init__(self, events: Sequence[Envelope]):
        self.events = list(events)
        self.socket = eventlet.listen(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.thread = eventlet.spawn(eventlet.wsgi.server, self.socket, self.app, log_output=False)

    @Request.application
    def app(self, request: Request) -> Response:
        after, limit = int(request.args["after"]), int(request.args["limit"])
        page = [e.to_dict() for e in self.events if e.sequence > after][:limit]
        return Response(json.dumps({"events": page, "head": len(self.events)}), mimetype="application/json")

    def close(self) -> None:
        self.thread.kill()
        self.socket.close()


def test_a_missing_event_is_backfilled_from_its_source(db, inbox):
    events = history(9, complaints=12)
    intake = [e for e in events if e.service == "intake"]
    lost = intake[3]
    inbox.receive([e.to_json() for e in events if e is not lost])
    with db.transaction() as cur:
        cur.execute("SELECT count(*) FROM pending_events")
        assert cur.fetchone()[0] == len(intake) - 4, "everything after the gap waits for it"
    assert tables(db)["rpt_daily"] != folded(events)
    server = LogServer(intake)
    try:
        Backfill(inbox, {"intake": server.url}, page=5).fill("intake")
    finally:
        server.close()
    assert inbox.position("intake") == len(intake)
    assert tables(db)["rpt_daily"] == folded(events)


def _figures(db: Database, as_of: datetime | None = None, at: dict | None = None) -> dict:
    request = domain.Request(PERIOD, None, None, "week")
    with db.transaction() as cur:
        return domain.report(queries.cube(cur, request, as_of, at), request)


def test_as_of_a_past_moment_gives_the_figures_of_that_moment(db, inbox):
    moment = START + timedelta(days=40)
    events = history(13, complaints=60, days=60)
    then = [e for e in events if simulate.Planned(e.time, e.service, e.type, e.subject, e.data).appended <= moment]
    later = events[len(then) :]
    assert later and all(e.time > moment or e.type == "ComplaintReceived" for e in later)
    deliver(inbox, then, random.Random(13), duplicates=0)
    at_that_moment = _figures(db)
    deliver(inbox, later, random.Random(14), duplicates=0)
    now = _figures(db)
    assert now != at_that_moment, "the later events changed the figures"
    assert _figures(db, as_of=moment) == at_that_moment
    assert _figures(db, as_of=datetime.now(UTC)) == now
    with db.transaction() as cur:  # the log path only folds complaints that can count in the period
        window = queries.log_cells(
            cur, [domain.Period(date(2026, 2, 1), date(2026, 2, 7))], CALENDARS, "Asia/Shanghai", as_of=moment
        )
    assert 0 < len(window) < len(folded(then))


def test_a_publication_is_reproducible_and_a_restatement_shows_what_changed(db, inbox):
    events = history(17, complaints=50, days=40)
    cut = sum(1 for e in events if e.time < datetime(2026, 1, 20, tzinfo=UTC))  # mid-month: January changes later
    deliver(inbox, events[:cut], random.Random(17), duplicates=0)
    month = domain.month_period("2026-01")

    def publish() -> dict:
        with db.transaction() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return queries.publish(cur, month, None, "east-office-head")

    first = publish()
    assert first["version"] == 1 and first["changes"] == {}
    deliver(inbox, events[cut:], random.Random(18), duplicates=0)
    second = publish()
    assert second["version"] == 2 and second["positions"] != first["positions"]
    assert second["changes"], "later events changed January's figures"
    some_path, some_change = next(iter(second["changes"].items()))
    assert some_change["previous"] != some_change["current"], some_path
    with db.transaction() as cur:
        reproduced = queries.reproduce(cur, queries.publication(cur, first["id"]))
        stored = queries.publication(cur, second["id"])["figures"]
    assert reproduced["matches"] and reproduced["differences"] == {}
    with db.transaction() as cur:  # the second version equals the figures now (nothing else arrived)
        now = queries.monthly(cur, month, None)
    assert domain.changes(queries._comparable(stored), queries._comparable(now)) == {}


def test_the_projection_counts_what_the_simulated_log_says(db, inbox):
    """A plain check of a few figures against the events themselves (not against the fold)."""
    events = history(23, complaints=40, days=30)
    deliver(inbox, events, random.Random(23))
    figures = summary(db, period=domain.Period(date(2025, 12, 1), date(2026, 12, 31)))
    types = Counter(e.type for e in events)
    assert figures["received"]["total"] == types["ComplaintReceived"]
    assert figures["closed"] == types["ComplaintClosed"]
    assert figures["deadline_breaches"]["total"] == types["DeadlineBreached"]
    assert figures["reopened"]["total"] == types["ComplaintReopened"]
    assert figures["escalated"] == types["ComplaintEscalated"]
    satisfied = sum(1 for e in events if e.type == "FollowUpRecorded" and e.data["satisfied"])
    assert figures["follow_up"]["satisfied"] == satisfied


# --------------------------------------------------------------------------------------------
# Local days (issue 12, item 1): an instant counts on the campus's day, not the UTC date
# --------------------------------------------------------------------------------------------

EVENING = datetime(2026, 5, 31, 16, 30, tzinfo=UTC)  # 2026-06-01 00:30 in Asia/Shanghai


def _day_series(figures: dict) -> dict[str, int]:
    return {bucket["bucket"]: bucket["received"] for bucket in figures["series"] if bucket["received"]}


@pytest.mark.parametrize("as_of", [None, "now"], ids=["projection", "log"])
def test_a_complaint_at_1630_utc_counts_on_the_next_local_day(db, inbox, as_of):
    cid = "6f1c1a5e-0000-4000-8000-000000000016"
    event = new_event(
        "intake", "ComplaintReceived", cid, {**received(cid).data, "received_at": "2026-05-31T16:30:00Z"}, time=EVENING
    )
    inbox.receive([e.to_json() for e in numbered([event])])
    moment = {"as_of": datetime.now(UTC)} if as_of else {}
    june_first = summary(db, period=domain.Period(date(2026, 6, 1), date(2026, 6, 1)), **moment)
    may_last = summary(db, period=domain.Period(date(2026, 5, 31), date(2026, 5, 31)), **moment)
    assert june_first["received"]["total"] == 1 and may_last["received"]["total"] == 0
    around = summary(db, period=domain.Period(date(2026, 5, 25), date(2026, 6, 5)), granularity="day", **moment)
    assert _day_series(around) == {"2026-06-01": 1}
    with db.transaction() as cur:
        june = queries.monthly(cur, domain.month_period("2026-06"), None, moment.get("as_of"))
        may = queries.monthly(cur, domain.month_period("2026-05"), None, moment.get("as_of"))
    assert june["received"]["total"] == 1 and may["received"]["total"] == 0
    assert _day_series(june) == {"2026-06-01": 1}


# --------------------------------------------------------------------------------------------
# The edges of the calendar (issue 11, items 2 and 6): the longest and outermost periods allowed
# --------------------------------------------------------------------------------------------

EDGES = [
    (date(1900, 1, 1), date(1900, 1, 31), "day"),
    (date(2999, 12, 1), date(2999, 12, 31), "day"),
    (date(1900, 1, 1), date(1999, 12, 31), "year"),
    (date(2900, 1, 1), date(2999, 12, 31), "year"),
]


@pytest.mark.parametrize("start,end,granularity", EDGES)
@pytest.mark.parametrize("as_of", [None, "now"], ids=["projection", "log"])
def test_the_outermost_periods_allowed_are_computed(db, inbox, start, end, granularity, as_of):
    inbox.receive([e.to_json() for e in numbered([received("6f1c1a5e-0000-4000-8000-000000000017")])])
    moment = {"as_of": datetime.now(UTC)} if as_of else {}
    figures = summary(db, period=domain.Period(start, end), granularity=granularity, **moment)
    assert figures["received"]["total"] == 0
    assert figures["year_ago"]["from"] == domain.shift_year(start).isoformat()
    assert len(figures["series"]) == domain.bucket_count(domain.Period(start, end), granularity)
    with db.transaction() as cur:
        for month in ("1900-01", "2999-12"):
            assert queries.monthly(cur, domain.month_period(month), "east", moment.get("as_of"))["month"] == month
