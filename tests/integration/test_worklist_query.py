"""GET /cases as the console's worklist reads it, against the real PostgreSQL: active cases, one page at a
time newest first, each with its deadlines, filtered by urgency in SQL (queries.cases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.investigation import queries, schemas
from shared.db import Database
from tests.integration.test_deadlines import open_cases, received
from tests.support.databases import fresh_service_database


@pytest.fixture
def db():
    database = Database(fresh_service_database("investigation"), size=4)
    yield database
    database.close()


def listed(db: Database, **wanted) -> list[dict]:
    with db.transaction() as cur:
        return queries.cases(cur, schemas.CaseFilter(**wanted), None, None)


def test_pages_newest_first_with_deadlines_and_the_urgency_filter_in_sql(db):
    now = datetime.now(UTC)
    late = received((now - timedelta(days=20)).isoformat(), ["emergency"], sequence=1)
    fresh = [received((now - timedelta(minutes=10 + i)).isoformat(), ["emergency"], sequence=2 + i) for i in range(5)]
    open_cases(db, late, *fresh)
    first = listed(db, active=True, deadlines=True, limit=4)
    second = listed(db, active=True, deadlines=True, limit=4, offset=4)
    ids = [c["complaint_id"] for c in first + second]
    assert len(ids) == 6 == len(set(ids))
    assert str(ids[-1]) == late.data["complaint_id"], "newest first: the old one on the last page"
    assert all(c["deadlines"] and all("overdue" in d for d in c["deadlines"]) for c in first + second)
    overdue = listed(db, active=True, urgency="overdue")
    assert [str(c["complaint_id"]) for c in overdue] == [late.data["complaint_id"]]
    assert "deadlines" not in overdue[0], "deadlines only when asked"
    assert listed(db, active=False) == []
    assert listed(db, urgency="on_hold") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"offset": "-1"}, "offset"),
        ({"offset": "100001"}, "offset"),
        ({"urgency": "late"}, "urgency"),
        ({"deadlines": "maybe"}, "deadlines"),
        ({"active": "yes"}, "active"),
    ],
)
def test_bad_paging_and_filters_name_the_field(query, field):
    errors = schemas.CasesQuery().validate(query)
    assert field in errors
