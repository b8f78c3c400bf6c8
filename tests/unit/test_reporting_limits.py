"""The limits of a report (issue 11, items 2, 3 and 6), pure: bucket counts by arithmetic, every
limit checked before any work, a default period that no complaint's date can stretch, and the
outermost days a report covers."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from services.reporting import domain, queries, schemas
from services.reporting.domain import FIRST_DAY, LAST_DAY, MAX_BUCKETS, Period
from shared.errors import InvalidField

TODAY = date(2026, 12, 2)


def test_bucket_counts_are_what_the_buckets_would_be():
    rng = random.Random(11)
    for _ in range(400):
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(1200))
        period = Period(start, start + timedelta(days=rng.randrange(800)))
        for granularity in domain.GRANULARITIES:
            assert domain.bucket_count(period, granularity) == len(domain.buckets(period, granularity))


def test_the_costliest_rejected_query_is_refused_without_building_a_bucket(monkeypatch):
    def no_buckets(*args):
        raise AssertionError("buckets built before the limits were checked")

    monkeypatch.setattr(domain, "buckets", no_buckets)
    with pytest.raises(InvalidField) as refused:
        queries.summary_request(schemas.SummaryParams(from_=date(1900, 1, 1), to=LAST_DAY, granularity="day"), TODAY)
    assert set(refused.value.errors) == {"from", "granularity"}
    assert f"{Period(date(1900, 1, 1), LAST_DAY).days} buckets" in refused.value.errors["granularity"][0]


@pytest.mark.parametrize(
    "params,fields",
    [
        ({"from_": date(1900, 1, 1), "to": date(2000, 1, 1), "granularity": "year"}, {"from"}),  # 100 years and a day
        ({"from_": date(2020, 1, 1), "to": date(2026, 1, 1), "granularity": "day"}, {"granularity"}),
        ({"from_": date(1900, 1, 1)}, {"from"}),  # to defaults to today: 126 years
        ({"from_": date(2027, 1, 1)}, {"from"}),  # after today
        ({"to": date(1899, 12, 31)}, {"to"}),
    ],
)
def test_limits_name_the_field(params, fields):
    with pytest.raises(InvalidField) as refused:
        queries.summary_request(schemas.SummaryParams(**params), TODAY)
    assert set(refused.value.errors) == fields


def test_the_longest_periods_allowed():
    widest = queries.summary_request(
        schemas.SummaryParams(from_=date(1900, 1, 1), to=date(1999, 12, 31), granularity="year"), TODAY
    )
    assert domain.bucket_count(widest.period, "year") == 100
    days = queries.summary_request(
        schemas.SummaryParams(from_=TODAY - timedelta(days=MAX_BUCKETS - 1), to=TODAY, granularity="day"), TODAY
    )
    assert days.period.days == MAX_BUCKETS


def test_the_default_period_is_the_twelve_months_up_to_today_whatever_the_oldest_complaint():
    request = queries.summary_request(schemas.SummaryParams(), TODAY)
    assert request.period == Period(date(2025, 12, 3), TODAY) and request.granularity == "month"
    assert request.compare is False  # open-ended as before: no year-earlier comparison unless from is given
    ending = queries.summary_request(schemas.SummaryParams(to=date(2024, 2, 29)), TODAY)
    assert ending.period == Period(date(2023, 3, 1), date(2024, 2, 29))
    assert queries.summary_request(schemas.SummaryParams(), date(1900, 6, 1)).period == Period(
        FIRST_DAY, date(1900, 6, 1)
    )


def test_the_outermost_days_keep_their_year_earlier_and_spike_weeks_representable():
    for period in (Period(FIRST_DAY, FIRST_DAY + timedelta(days=30)), Period(LAST_DAY - timedelta(days=30), LAST_DAY)):
        report = domain.report(domain.MemoryCube({}), domain.Request(period, None, None, "day"))
        assert report["year_ago"]["to"] == domain.shift_year(period.end).isoformat()
        assert len(report["series"]) == 31
