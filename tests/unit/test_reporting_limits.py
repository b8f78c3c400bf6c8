"""The limits of a report (issue 11, items 2, 3 and 6), pure: bucket counts by arithmetic, every
limit checked before any work, a default period that no complaint's date can stretch, and the
outermost days a report covers."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from marshmallow import ValidationError

from services.reporting import reports, statistics
from services.reporting.statistics import FIRST_DAY, LAST_DAY, MAX_BUCKETS, Period

TODAY = date(2026, 12, 2)


def test_bucket_counts_are_what_the_buckets_would_be():
    rng = random.Random(11)
    for _ in range(400):
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(1200))
        period = Period(start, start + timedelta(days=rng.randrange(800)))
        for granularity in statistics.GRANULARITIES:
            assert statistics.bucket_count(period, granularity) == len(statistics.buckets(period, granularity))


def test_the_costliest_rejected_query_is_refused_without_building_a_bucket(monkeypatch):
    def no_buckets(*args):
        raise AssertionError("buckets built before the limits were checked")

    monkeypatch.setattr(statistics, "buckets", no_buckets)
    with pytest.raises(ValidationError) as refused:
        reports.summary_request({"from_": date(1900, 1, 1), "to": LAST_DAY, "granularity": "day"}, TODAY)
    assert set(refused.value.messages) == {"from", "granularity"}
    assert f"{Period(date(1900, 1, 1), LAST_DAY).days} buckets" in refused.value.messages["granularity"][0]


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
    with pytest.raises(ValidationError) as refused:
        reports.summary_request(params, TODAY)
    assert set(refused.value.messages) == fields


def test_the_longest_periods_allowed():
    widest = reports.summary_request(
        {"from_": date(1900, 1, 1), "to": date(1999, 12, 31), "granularity": "year"}, TODAY
    )
    assert statistics.bucket_count(widest.period, "year") == 100
    days = reports.summary_request(
        {"from_": TODAY - timedelta(days=MAX_BUCKETS - 1), "to": TODAY, "granularity": "day"}, TODAY
    )
    assert days.period.days == MAX_BUCKETS


def test_the_default_period_is_the_twelve_months_up_to_today_whatever_the_oldest_complaint():
    request = reports.summary_request({}, TODAY)
    assert request.period == Period(date(2025, 12, 3), TODAY) and request.granularity == "month"
    assert request.compare is False  # open-ended as before: no year-earlier comparison unless from is given
    ending = reports.summary_request({"to": date(2024, 2, 29)}, TODAY)
    assert ending.period == Period(date(2023, 3, 1), date(2024, 2, 29))
    assert reports.summary_request({}, date(1900, 6, 1)).period == Period(FIRST_DAY, date(1900, 6, 1))


def test_the_outermost_days_keep_their_year_earlier_and_spike_weeks_representable():
    for period in (Period(FIRST_DAY, FIRST_DAY + timedelta(days=30)), Period(LAST_DAY - timedelta(days=30), LAST_DAY)):
        report = statistics.report(statistics.MemoryCube({}), statistics.Request(period, None, None, "day"))
        assert report["year_ago"]["to"] == statistics.d.shift_year(period.end).isoformat()
        assert len(report["series"]) == 31
