"""The reports the HTTP entrypoints serve: which cube answers (projection now, log as of a moment or
at recorded positions), and publications of monthly reports. I/O here, rules in statistics/domain."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from marshmallow import ValidationError

from services.reporting import domain, offload, queries, statistics
from services.reporting.projection import LOCK_CLASS
from services.reporting.settings import CALENDARS, timezone_of
from shared.db import Cursor, fetch_dicts
from shared.envelope import rfc3339

LOCK_PUBLISH = 2  # advisory lock (with projection.LOCK_CLASS) serialising publications
MAX_BUCKETS = statistics.MAX_BUCKETS


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, (date, Decimal, UUID)):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _jsonable(value: Any) -> Any:
    """The document exactly as it is served (and stored): dates and decimals as strings."""
    return json.loads(json.dumps(value, default=_default))


def today(as_of: datetime | None, timezone: str) -> date:
    return domain.local_day(as_of or datetime.now(UTC), timezone)


def cube(
    cur: Cursor, request: statistics.Request, as_of: datetime | None = None, at: Mapping[str, int] | None = None
) -> statistics.Cube:
    if as_of is None and at is None:
        return queries.ProjectionCube(cur)
    return queries.log_cube(cur, request, CALENDARS, timezone_of(request.campus), as_of, at)


def figures(
    cur: Cursor, request: statistics.Request, as_of: datetime | None = None, at: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """The report's figures from the cube that answers; summing cells in memory is CPU work, done
    off the hub (the projection's sums are PostgreSQL's work, through this green thread's cursor)."""
    found = cube(cur, request, as_of, at)
    if isinstance(found, statistics.MemoryCube):
        return offload.run(statistics.report, found, request)
    return statistics.report(found, request)


def summary_request(params: Mapping[str, Any], today_: date) -> statistics.Request:
    """The period, buckets and comparison a summary asks for, every limit checked (400) before any
    work: ``to`` defaults to today (local), ``from`` to twelve months before ``to``."""
    end = params.get("to") or today_
    start = params.get("from_")
    if start is None:
        period = statistics.default_period(end)
    elif start > end:
        raise ValidationError({"from": [f"is after the period's end ({end}, today unless to is given)"]})
    else:
        period = statistics.Period(start, end)
    granularity = params.get("granularity") or statistics.default_granularity(period)
    errors = statistics.limits(period, granularity)
    if errors:
        raise ValidationError(errors)
    return statistics.Request(
        period, params.get("campus"), params.get("source"), granularity, compare=start is not None
    )


def summary(cur: Cursor, params: Mapping[str, Any]) -> dict[str, Any]:
    """``GET /reports/summary``."""
    as_of = params.get("as_of")
    request = summary_request(params, today(as_of, timezone_of(params.get("campus"))))
    body = figures(cur, request, as_of)
    return _jsonable({**_provenance(cur, as_of, None), **body})


def _provenance(cur: Cursor, as_of: datetime | None, at: Mapping[str, int] | None) -> dict[str, Any]:
    if as_of is None and at is None:
        return {"as_of": rfc3339(datetime.now(UTC)), "computed_from": "projection", "positions": queries.positions(cur)}
    out: dict[str, Any] = {"computed_from": "log"}
    if as_of is not None:
        out["as_of"] = rfc3339(as_of)
    if at is not None:
        out["positions"] = dict(at)
    return out


def monthly(
    cur: Cursor,
    period: statistics.Period,
    campus: str | None,
    as_of: datetime | None = None,
    at: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The monthly report: the month's figures, a year earlier, daily series, spikes."""
    request = statistics.Request(period, campus, None, "day", compare=True)
    body = figures(cur, request, as_of, at)
    return _jsonable({"month": period.start.strftime("%Y-%m"), **_provenance(cur, as_of, at), **body})


# --------------------------------------------------------------------------------------------
# Publications
# --------------------------------------------------------------------------------------------

_PUBLICATION = "id, month, campus, version, published_at, published_by, positions, changes"


def _campus_key(campus: str | None) -> str:
    return campus or domain.GROUP


def publish(cur: Cursor, period: statistics.Period, campus: str | None, published_by: str | None) -> dict[str, Any]:
    """Compute the month at the current log positions, from the log alone, and record it as the next
    version; the caller's transaction must be REPEATABLE READ (positions and copy read together)."""
    cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, LOCK_PUBLISH))
    at = queries.positions(cur)
    figures = monthly(cur, period, campus, at=at)
    cur.execute(
        "SELECT version, figures FROM rpt_publications WHERE month = %s AND campus = %s ORDER BY version DESC LIMIT 1",
        (period.start, _campus_key(campus)),
    )
    previous = cur.fetchone()
    version = previous[0] + 1 if previous else 1
    changes = statistics.changes(_comparable(previous[1]), _comparable(figures)) if previous else {}
    cur.execute(
        f"INSERT INTO rpt_publications (month, campus, version, published_by, positions, figures, changes)"
        f" VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING {_PUBLICATION}, figures",
        (
            period.start,
            _campus_key(campus),
            version,
            published_by,
            json.dumps(at),
            json.dumps(figures),
            json.dumps(changes),
        ),
    )
    return _publication_row(fetch_dicts(cur)[0])


def _comparable(figures: Mapping[str, Any]) -> dict[str, Any]:
    """What a restatement compares: the figures, not when or from which positions they were computed."""
    return {k: v for k, v in figures.items() if k not in ("as_of", "positions", "computed_from")}


def _publication_row(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["month"] = row["month"].strftime("%Y-%m")
    row["campus"] = None if row["campus"] == domain.GROUP else row["campus"]
    return _jsonable(row)


def publications(cur: Cursor, period: statistics.Period | None, campus: str | None) -> list[dict[str, Any]]:
    clauses, args = ["TRUE"], []
    if period is not None:
        clauses.append("month = %s")
        args.append(period.start)
    if campus is not None:
        clauses.append("campus = %s")
        args.append(campus)
    cur.execute(
        f"SELECT {_PUBLICATION} FROM rpt_publications WHERE {' AND '.join(clauses)}"
        " ORDER BY month DESC, campus, version DESC",
        args,
    )
    return [_publication_row(row) for row in fetch_dicts(cur)]


def publication(cur: Cursor, publication_id: int) -> dict[str, Any] | None:
    cur.execute(f"SELECT {_PUBLICATION}, figures FROM rpt_publications WHERE id = %s", (publication_id,))
    rows = fetch_dicts(cur)
    return _publication_row(rows[0]) if rows else None


def published_version(cur: Cursor, period: statistics.Period, campus: str | None, version: int) -> dict | None:
    cur.execute(
        f"SELECT {_PUBLICATION}, figures FROM rpt_publications WHERE month = %s AND campus = %s AND version = %s",
        (period.start, _campus_key(campus), version),
    )
    rows = fetch_dicts(cur)
    return _publication_row(rows[0]) if rows else None


def reproduce(cur: Cursor, found: Mapping[str, Any]) -> dict[str, Any]:
    """The publication computed again from the log at its recorded positions, and any difference."""
    period = statistics.month_period(found["month"])
    again = monthly(cur, period, found["campus"], at=found["positions"])
    differences = statistics.changes(_comparable(found["figures"]), _comparable(again))
    return {
        "id": found["id"],
        "month": found["month"],
        "campus": found["campus"],
        "version": found["version"],
        "positions": found["positions"],
        "matches": not differences,
        "differences": differences,
    }


# --------------------------------------------------------------------------------------------
# One complaint's facts (an audit's question: why is this complaint counted so?)
# --------------------------------------------------------------------------------------------


def facts(cur: Cursor, complaint_id: str, as_of: datetime | None) -> dict[str, Any] | None:
    events = queries.complaint_events(cur, complaint_id, as_of)
    fact = domain.fold(events)
    if fact is None:
        return None
    working = CALENDARS[fact.campus]
    return _jsonable(
        {
            "complaint_id": complaint_id,
            "events": len(events),
            "facts": fact.to_json(),
            "contributions": [
                {"metric": m, "day": d, "key": k, "value": v} for m, d, k, v in domain.contributions(fact, working)
            ],
            "campuses": domain.places(domain.campus_set(fact.campuses)),
        }
    )
