"""The reports page's choice (services/console/reports.py): the as-of moment picked in the campus's local time
becomes reporting's RFC 3339 ``as_of``; links keep what is shown."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from services.console.reports import Choice


def test_a_picked_moment_is_sent_with_the_campus_offset():
    assert Choice("2026-12", "east", "Asia/Shanghai", "2026-12-03T21:27").as_of == "2026-12-03T21:27:00+08:00"
    assert Choice("2026-12", "", "Asia/Shanghai", "2026-12-03T21:27:30").as_of == "2026-12-03T21:27:30+08:00"
    assert Choice("2026-12", "east", "Europe/Berlin", "2026-07-01T10:00").as_of == "2026-07-01T10:00:00+02:00"


def test_no_moment_is_the_latest_and_a_bad_one_goes_to_reporting_as_typed():
    assert Choice("2026-12", "east", "Asia/Shanghai").as_of is None
    assert Choice("2026-12", "east", "Asia/Shanghai", "yesterday").as_of == "yesterday"  # reporting: 400 as_of


def test_links_keep_the_month_the_campus_and_the_moment_or_the_version():
    picked = Choice("2026-12", "", "Asia/Shanghai", "2026-12-03T21:27")
    query = parse_qs(urlsplit(picked.link("/reports/monthly.csv")).query, keep_blank_values=True)
    assert query == {"month": ["2026-12"], "campus": [""], "as_of": ["2026-12-03T21:27"]}  # "": group-wide
    version = parse_qs(urlsplit(picked.link("/reports", version=2, as_of="")).query, keep_blank_values=True)
    assert version == {"month": ["2026-12"], "campus": [""], "version": ["2"]}
