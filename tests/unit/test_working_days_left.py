"""Working days left to a deadline (the worklist's column), counted in the campus's local day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.workdays import CampusCalendar

CALENDAR = CampusCalendar("east", closures=frozenset({date(2026, 11, 18)}))  # a Wednesday the campus is closed
FRIDAY = date(2026, 11, 20)  # the deadline's last working day


@pytest.mark.parametrize(
    ("at", "left"),
    [
        (datetime(2026, 11, 16, 2, tzinfo=UTC), 4),  # Monday: Mon, Tue, Thu, Fri (Wednesday is closed)
        (datetime(2026, 11, 19, 2, tzinfo=UTC), 2),  # Thursday: Thu and Fri
        (datetime(2026, 11, 20, 2, tzinfo=UTC), 1),  # due today
        (datetime(2026, 11, 19, 17, tzinfo=UTC), 1),  # 01:00 on Friday in Shanghai, still Thursday in UTC
        (datetime(2026, 11, 21, 2, tzinfo=UTC), 0),  # Saturday: past, yet no working day lost
        (datetime(2026, 11, 23, 2, tzinfo=UTC), -1),  # Monday after: one working day late
        (datetime(2026, 11, 25, 2, tzinfo=UTC), -3),
    ],
)
def test_working_days_left(at, left):
    assert CALENDAR.working_days_left(FRIDAY, at) == left


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        CALENDAR.working_days_left(FRIDAY, datetime(2026, 11, 16))
