"""Periods, figures, comparison, spikes and restatement diffs, over an in-memory cube (no database);
and the CSV / HTML pages of a report."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from services.reporting import domain, render
from services.reporting.domain import MemoryCube, Period, Request

D = date(2026, 3, 2)


def cell(
    day: date, metric: str, key: str = "", value: int = 1, campuses: str = "east", source: str = "patient_or_family"
) -> tuple:
    return (day, campuses, source, metric, key), value


def cube(*cells) -> MemoryCube:
    out: dict = {}
    for key, value in cells:
        out[key] = out.get(key, 0) + value
    return MemoryCube(out)


def test_month_periods_and_their_year_earlier():
    assert domain.month_period("2028-02") == Period(date(2028, 2, 1), date(2028, 2, 29))
    assert domain.month_period("2028-02").year_earlier() == Period(date(2027, 2, 1), date(2027, 2, 28))
    for bad in ("2026-13", "2026-3", "26-03", "march", "2026-03-01"):
        with pytest.raises(ValueError):
            domain.month_period(bad)
    with pytest.raises(ValueError):
        Period(date(2026, 3, 2), date(2026, 3, 1))


def test_buckets_are_iso_weeks_months_and_years_clipped_to_the_period():
    period = Period(date(2026, 3, 4), date(2026, 3, 17))  # a Wednesday to a Tuesday
    weeks = domain.buckets(period, "week")
    assert [(b.start, b.end) for b in weeks] == [
        (date(2026, 3, 4), date(2026, 3, 8)),
        (date(2026, 3, 9), date(2026, 3, 15)),
        (date(2026, 3, 16), date(2026, 3, 17)),
    ]
    assert domain.bucket_label(date(2026, 3, 9), "week") == "2026-W11"
    assert len(domain.buckets(Period(date(2025, 12, 15), date(2026, 2, 3)), "month")) == 3
    assert [b.start for b in domain.buckets(Period(date(2025, 12, 15), date(2026, 2, 3)), "year")] == [
        date(2025, 12, 15),
        date(2026, 1, 1),
    ]
    assert len(domain.buckets(period, "day")) == 14


def test_a_multi_campus_complaint_counts_under_each_campus_and_once_in_the_group():
    figures = domain.report(
        cube(cell(D, "received", campuses="east,west"), cell(D, "received")), Request(Period(D, D), compare=False)
    )
    assert figures["received"]["total"] == 2
    assert {c: v["total"] for c, v in figures["received"]["by_campus"].items()} == {"east": 2, "west": 1}
    west = domain.report(
        cube(cell(D, "received", campuses="east,west"), cell(D, "received")),
        Request(Period(D, D), campus="west", compare=False),
    )
    assert west["received"]["total"] == 1 and list(west["by_campus"]) == ["west"]


def test_rates_percentiles_and_money():
    c = cube(
        cell(D, "first_reply.on_time", value=3),
        cell(D, "first_reply.late"),
        *(cell(D, "first_reply.working_days", str(t)) for t in (12, 30, 31, 45, 80)),
        cell(D, "follow_up.satisfied", value=4),
        cell(D, "follow_up.dissatisfied"),
        cell(D, "dispute.compensation", "mediation|CNY", 120050),
        cell(D, "dispute.compensation", "litigation|CNY", 5),
    )
    figures = domain.report(c, Request(Period(D, D), compare=False))
    assert figures["first_reply"] == {
        "on_time": 3,
        "late": 1,
        "on_time_rate": 0.75,
        "working_days": {"replies": 5, "median": 3.1, "p90": 8.0},
    }
    assert figures["follow_up"]["satisfaction_rate"] == 0.8
    assert figures["disputes"]["compensation_paid"] == {"CNY": "1200.55"}
    assert figures["disputes"]["compensation_by_route"]["mediation"] == {"CNY": "1200.50"}
    empty = domain.report(cube(), Request(Period(D, D), compare=False))
    assert empty["first_reply"]["on_time_rate"] is None and empty["first_reply"]["working_days"]["median"] is None


def test_the_same_period_a_year_earlier():
    c = cube(cell(D, "received", value=5), cell(domain.shift_year(D), "received", value=4))
    figures = domain.report(c, Request(Period(D, D)))
    assert figures["year_ago"]["from"] == "2025-03-02"
    assert figures["year_ago"]["comparison"]["received"] == {
        "current": 5,
        "year_ago": 4,
        "change": 1,
        "change_pct": 25.0,
    }
    assert figures["year_ago"]["comparison"]["escalated"]["change_pct"] is None


def test_series_per_bucket_and_source_filter():
    c = cube(
        cell(D, "received"),
        cell(D + timedelta(days=7), "received", value=2),
        cell(D, "received", source="staff_internal"),
    )
    figures = domain.report(c, Request(Period(D, D + timedelta(days=13)), granularity="week", compare=False))
    assert [(b["bucket"], b["received"]) for b in figures["series"]] == [("2026-W10", 2), ("2026-W11", 2)]
    staff = domain.report(c, Request(Period(D, D), source="staff_internal", compare=False))
    assert staff["received"]["total"] == 1


def test_a_spike_is_a_week_above_mean_plus_two_sd_of_the_eight_before_and_at_least_three():
    end = date(2026, 3, 31)
    daily = {(end - timedelta(days=7 * w + 1), "billing"): n for w, n in enumerate([6, 1, 2, 1, 2, 1, 2, 1, 2])}
    [spike] = domain.detect_spikes(daily, end)
    assert spike["key"] == "billing" and spike["last_week"] == 6 and spike["mean"] == 1.5
    assert spike["threshold"] == 2.5 and spike["week"] == {"from": "2026-03-25", "to": "2026-03-31"}
    assert domain.detect_spikes({**daily, (end, "billing"): -4}, end) == [], "2 is below the minimum of 3"
    steady = {(end - timedelta(days=7 * w), "nursing"): 3 for w in range(9)}
    assert domain.detect_spikes(steady, end) == [], "3 every week is no spike (sd 0: threshold 3, not above)"


def test_spikes_in_a_report_per_dimension():
    end = date(2026, 3, 31)
    cells = [cell(end, "received.category", "billing", 5)] + [
        cell(end - timedelta(days=7 * w), "received.category", "billing") for w in range(1, 9)
    ]
    figures = domain.report(cube(*cells), Request(Period(date(2026, 3, 1), end), compare=False))
    assert [s["key"] for s in figures["spikes"]["category"]] == ["billing"]
    assert figures["spikes"]["department"] == []


def test_changes_name_every_figure_that_differs():
    before = {"received": {"total": 3, "by_category": {"billing": 3}}, "series": [{"received": 1}]}
    after = {"received": {"total": 4, "by_category": {"billing": 3, "other": 1}}, "series": [{"received": 2}]}
    assert domain.changes(before, after) == {
        "received.by_category.other": {"previous": None, "current": 1},
        "received.total": {"previous": 3, "current": 4},
        "series[0].received": {"previous": 1, "current": 2},
    }
    assert domain.changes(before, before) == {}


def monthly_report() -> dict:
    end = date(2026, 3, 31)
    c = cube(
        cell(D, "received"),
        cell(D, "received.category", "billing"),
        cell(D, "first_reply.on_time"),
        cell(D, "investigation.opened", "cardiology"),
        cell(D, "received", campuses="east,west"),
        *(cell(end - timedelta(days=7 * w), "received.category", "billing", 5 if w == 0 else 1) for w in range(9)),
    )
    body = domain.report(c, Request(domain.month_period("2026-03")))
    return {"month": "2026-03", "as_of": "2026-04-02T00:00:00Z", "computed_from": "projection", **body}


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_html_page_is_self_contained_with_tables_and_charts(lang):
    page = render.to_html(
        monthly_report(),
        lang,
        {
            "version": 2,
            "published_at": "2026-04-02T00:00:00Z",
            "changes": {"received.total": {"previous": 1, "current": 2}},
        },
    )
    assert page.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in page
    assert page.count("<svg") >= 3 and "<table>" in page
    urls = re.findall(r"(?:https?:)?//[^\s\"'<>]+", page)
    assert urls and set(urls) == {"http://www.w3.org/2000/svg"}, "nothing fetched: the only URL is the SVG namespace"
    assert "<script" not in page
    assert ("投诉管理统计月报" in page) == (lang == "zh-CN")
    assert ("收费" in page) == (lang == "zh-CN") and ("Billing" in page) == (lang == "en")


def test_the_html_page_escapes_what_it_shows():
    report = monthly_report()
    report["received"]["by_category"] = {"<script>alert(1)</script>": 1}
    assert "<script>alert" not in render.to_html(report, "en")


def test_the_csv_has_one_row_per_figure():
    text = render.to_csv(monthly_report(), "en")
    lines = text.splitlines()
    assert lines[0] == "\ufeffSection,Figure,Key,Label,Value"
    assert "received,total,,Received · Total,2" in lines
    assert any(line.startswith("first_reply,on_time,,First reply · On time,1") for line in lines)
    assert any(line.startswith("year_ago,comparison,received.current") for line in lines)
