"""How good is the provisional FALLBACK? Measured on years the library knows.

For every receipt day of each year and 5 and 10 working days, the deadline counted with the
fallback's rules is compared with the one counted with chinesecalendar: how many differ, and by
how many calendar days the worst one falls too early (a breach the real calendar would not see).

    .venv/bin/python -m scripts.fallback_accuracy [first_year last_year]
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import chinese_calendar

from shared.workdays import FALLBACK_HOLIDAYS, LIBRARY_LAST_YEAR, fallback_is_working_day

Judge = Callable[[date], bool]
DEADLINE_LENGTHS = (5, 10)


def fixed_dates_only(day: date) -> bool:
    """The fallback before lunar-python: weekends and the fixed-date holidays only."""
    return day.weekday() < 5 and (day.month, day.day) not in FALLBACK_HOLIDAYS


@dataclass(frozen=True)
class Accuracy:
    deadlines: int
    wrong: int
    worst_too_early_days: int


def _last_day(judge: Judge, received: date, days: int) -> date:
    day, counted = received, 0
    while counted < days:
        day += timedelta(days=1)
        counted += judge(day)
    return day


def measure(judge: Judge, years: range) -> Accuracy:
    """``judge`` against the library on every receipt day of ``years`` (deadlines ending past the
    library's last year are left out: there is nothing to compare them with)."""
    deadlines = wrong = worst = 0
    judge, library = cache(judge), cache(chinese_calendar.is_workday)  # each day is judged many times
    for year in years:
        day = date(year, 1, 1)
        while day.year == year:
            for days in DEADLINE_LENGTHS:
                real = (
                    _last_day(library, day, days)
                    if day + timedelta(days=3 * days + 20) <= date(LIBRARY_LAST_YEAR, 12, 31)
                    else None
                )
                if real is not None:
                    estimate = _last_day(judge, day, days)
                    deadlines += 1
                    if estimate != real:
                        wrong += 1
                        worst = max(worst, (real - estimate).days)
            day += timedelta(days=1)
    return Accuracy(deadlines, wrong, worst)


def main(argv: list[str]) -> None:
    first, last = (int(argv[0]), int(argv[1])) if len(argv) == 2 else (2020, LIBRARY_LAST_YEAR)
    print("year  fixed-only wrong/worst  with lunar wrong/worst  fewer wrong")
    for year in range(first, last + 1):
        before = measure(fixed_dates_only, range(year, year + 1))
        after = measure(fallback_is_working_day, range(year, year + 1))
        cut = 100 * (before.wrong - after.wrong) / before.wrong if before.wrong else 0.0
        print(
            f"{year}  {before.wrong:5d}/{before.deadlines} {before.worst_too_early_days:2d} d"
            f"   {after.wrong:5d}/{after.deadlines} {after.worst_too_early_days:2d} d   {cut:5.1f} %"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
