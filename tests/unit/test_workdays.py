"""Working-day deadlines (CONTRACT §2). Every expected date below was worked out by hand from
the official 2025/2026 schedules (as shipped in chinesecalendar 1.11.0) and a wall calendar."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from importlib import metadata
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from prometheus_client import REGISTRY

from scripts import fallback_accuracy
from services.investigation import metrics as investigation_metrics
from shared import workdays
from shared.workdays import (
    CalendarConfigError,
    CampusCalendar,
    Deadline,
    OfficeHours,
    YearSchedule,
    calendar_from_config,
    fallback_is_working_day,
    lunar_holidays,
    next_office_moment,
    office_hours_from_config,
)

CST = ZoneInfo("Asia/Shanghai")
EAST = CampusCalendar(campus="east")


def local(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=CST)


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def last_day(cal: CampusCalendar, received: datetime, days: int = 5) -> date:
    return cal.add_working_days(received, days).last_day


# -- library-backed years ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 1, 26), True),  # Sunday make-up day, Spring Festival 2025
        (date(2025, 1, 28), False),
        (date(2025, 2, 4), False),
        (date(2025, 2, 8), True),  # Saturday make-up day
        (date(2025, 9, 28), True),  # Sunday make-up, National Day 2025
        (date(2025, 10, 8), False),
        (date(2025, 10, 11), True),  # Saturday make-up
        (date(2026, 2, 14), True),  # Saturday make-up, Spring Festival 2026
        (date(2026, 2, 15), False),
        (date(2026, 2, 23), False),
        (date(2026, 2, 28), True),  # Saturday make-up
        (date(2026, 9, 20), True),  # Sunday make-up, National Day 2026
        (date(2026, 10, 7), False),
        (date(2026, 10, 10), True),  # Saturday make-up
    ],
)
def test_is_working_day_official_schedule(day: date, working: bool) -> None:
    assert EAST.is_working_day(day) == (working, False)


def test_spring_festival_2025() -> None:
    # Fri Jan 24: Sat off, Sun 26 (make-up) 1, Mon 27 2, Jan 28-Feb 4 off, Feb 5 3, 6 4, 7 5.
    deadline = EAST.add_working_days(local(2025, 1, 24), 5)
    assert deadline == Deadline(
        due_at=utc(2025, 2, 7, 16),  # Sat Feb 8 00:00 CST
        last_day=date(2025, 2, 7),
        provisional=False,
        calendar_version=EAST.version,
    )
    # Received on the make-up Sunday itself: receipt day not counted; Jan 27, Feb 5, 6, 7, 8 (Sat).
    assert last_day(EAST, local(2025, 1, 26)) == date(2025, 2, 8)


def test_received_on_holiday_2025() -> None:
    # Thu Jan 30 (holiday): Feb 5, 6, 7, 8 (make-up Sat), 10.
    assert last_day(EAST, local(2025, 1, 30)) == date(2025, 2, 10)


def test_received_on_make_up_saturday() -> None:
    # Sat Feb 8 2025 is a working day but still the day of receipt: Feb 10..14.
    assert last_day(EAST, local(2025, 2, 8, 9)) == date(2025, 2, 14)


def test_spring_festival_2026() -> None:
    # Thu Feb 12: 13 1, Sat 14 (make-up) 2, Feb 15-23 off, 24 3, 25 4, 26 5.
    assert last_day(EAST, local(2026, 2, 12)) == date(2026, 2, 26)
    # Ten days (multi-department): ... 27 6, Sat 28 (make-up) 7, Mar 2 8, 3 9, 4 10.
    assert last_day(EAST, local(2026, 2, 12), 10) == date(2026, 3, 4)
    # Received Fri Feb 20 (holiday): 24, 25, 26, 27, Sat 28.
    assert last_day(EAST, local(2026, 2, 20)) == date(2026, 2, 28)


def test_national_day_2025() -> None:
    # Fri Sep 26: Sun 28 (make-up) 1, 29 2, 30 3, Oct 1-8 off, Oct 9 4, Oct 10 5.
    assert last_day(EAST, local(2025, 9, 26)) == date(2025, 10, 10)
    # Tue Sep 30: Oct 9, 10, Sat 11 (make-up), 13, 14.
    assert last_day(EAST, local(2025, 9, 30)) == date(2025, 10, 14)
    # Received during the holiday (Oct 3): Oct 9, 10, 11, 13, 14.
    assert last_day(EAST, local(2025, 10, 3)) == date(2025, 10, 14)


def test_national_day_2026() -> None:
    # Fri Sep 18: Sun 20 (make-up) 1, 21 2, 22 3, 23 4, 24 5.
    assert last_day(EAST, local(2026, 9, 18)) == date(2026, 9, 24)
    # Thu Sep 24: Sep 25-27 off (Mid-Autumn), 28 1, 29 2, 30 3, Oct 1-7 off, Oct 8 4, Oct 9 5.
    assert last_day(EAST, local(2026, 9, 24)) == date(2026, 10, 9)
    # Wed Sep 30: Oct 8, 9, Sat 10 (make-up), 12, 13.
    assert last_day(EAST, local(2026, 9, 30)) == date(2026, 10, 13)


# -- day of receipt and time zones --------------------------------------------------------------


def test_2359_and_midnight_differ() -> None:
    # Mon Mar 3 2025 23:59: Mar 4..7, 10.  Tue Mar 4 00:00: Mar 5..7, 10, 11.
    late = EAST.add_working_days(local(2025, 3, 3, 23, 59), 5)
    assert late.last_day == date(2025, 3, 10)
    assert late.due_at == utc(2025, 3, 10, 16)
    assert last_day(EAST, local(2025, 3, 4, 0, 0)) == date(2025, 3, 11)


def test_utc_input_already_next_local_day() -> None:
    # 16:30Z Mon Mar 3 is 00:30 CST Tue Mar 4; 15:59Z is still 23:59 Monday.
    assert last_day(EAST, utc(2025, 3, 3, 16, 30)) == date(2025, 3, 11)
    assert last_day(EAST, utc(2025, 3, 3, 15, 59)) == date(2025, 3, 10)


def test_due_at_is_utc_end_of_local_day() -> None:
    deadline = EAST.add_working_days(utc(2025, 3, 3, 2), 5)
    assert deadline.due_at.utcoffset() == timedelta(0)
    assert deadline.due_at.astimezone(CST) == datetime(2025, 3, 11, 0, 0, tzinfo=CST)


def test_naive_datetime_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        EAST.add_working_days(datetime(2025, 3, 3, 10), 5)


# -- years the library does not cover ------------------------------------------------------------

# Receipt day in Dec 2026 -> 5th working day, by hand. Dec 1 2026 is a Tuesday; in the fallback,
# Fri Jan 1 2027 is a fixed-date holiday and Jan 2-3 a weekend, so the first 2027 working day is
# Mon Jan 4.
DECEMBER_2026 = {
    1: date(2026, 12, 8),
    2: date(2026, 12, 9),
    3: date(2026, 12, 10),
    4: date(2026, 12, 11),
    5: date(2026, 12, 11),
    6: date(2026, 12, 11),
    7: date(2026, 12, 14),
    8: date(2026, 12, 15),
    9: date(2026, 12, 16),
    10: date(2026, 12, 17),
    11: date(2026, 12, 18),
    12: date(2026, 12, 18),
    13: date(2026, 12, 18),
    14: date(2026, 12, 21),
    15: date(2026, 12, 22),
    16: date(2026, 12, 23),
    17: date(2026, 12, 24),
    18: date(2026, 12, 25),
    19: date(2026, 12, 25),
    20: date(2026, 12, 25),
    21: date(2026, 12, 28),
    22: date(2026, 12, 29),
    23: date(2026, 12, 30),
    24: date(2026, 12, 31),
    25: date(2027, 1, 4),
    26: date(2027, 1, 4),
    27: date(2027, 1, 4),
    28: date(2027, 1, 5),
    29: date(2027, 1, 6),
    30: date(2027, 1, 7),
    31: date(2027, 1, 8),
}


@pytest.mark.parametrize("day", range(1, 32))
def test_december_2026_crossing_into_2027(day: int) -> None:
    deadline = EAST.add_working_days(local(2026, 12, day, 23, 59), 5)
    assert deadline.last_day == DECEMBER_2026[day]
    assert deadline.provisional == (day >= 25)  # exactly those whose counted days reach 2027


def test_fallback_rules_2027() -> None:
    assert EAST.is_working_day(date(2027, 1, 1)) == (False, True)  # New Year, Friday
    assert EAST.is_working_day(date(2027, 1, 4)) == (True, True)
    assert EAST.is_working_day(date(2027, 5, 3)) == (True, True)  # only May 1-2 are fixed
    assert EAST.is_working_day(date(2027, 10, 1)) == (False, True)
    assert not EAST.covers(date(2027, 1, 1))
    assert EAST.covers(date(2026, 12, 31))
    assert EAST.last_covered_day == date(2026, 12, 31)


def test_never_raises_2000_to_2100() -> None:
    for year in range(2000, 2101):
        for start in (local(year, 1, 1), local(year, 12, 31, 23, 59)):
            deadline = EAST.add_working_days(start, 10)
            assert deadline.last_day > start.date()
            # All counted days fall in last_day's year (10 days from Jan 1 or from Dec 31).
            assert deadline.provisional == (not 2004 <= deadline.last_day.year <= 2026)
            EAST.working_day_before(deadline, 1)
            assert EAST.working_days_between(start, deadline.due_at) > 0


ANNOUNCED_2027 = YearSchedule(
    holidays=frozenset({date(2027, 1, 1), date(2027, 1, 4)}),
    workdays=frozenset({date(2027, 1, 9)}),  # a Saturday
)
WEST = CampusCalendar(campus="west", announced_years={2027: ANNOUNCED_2027})


def test_announced_year_is_covered_and_used() -> None:
    # Fri Dec 25 2026: Dec 28..31 (4), Jan 1 off, weekend, Jan 4 announced off, Jan 5 (5).
    deadline = WEST.add_working_days(local(2026, 12, 25), 5)
    assert (deadline.last_day, deadline.provisional) == (date(2027, 1, 5), False)
    # Thu Dec 31: Jan 5, 6, 7, 8, Sat 9 (announced make-up).
    deadline = WEST.add_working_days(local(2026, 12, 31), 5)
    assert (deadline.last_day, deadline.provisional) == (date(2027, 1, 9), False)
    assert WEST.covers(date(2027, 6, 1))
    assert WEST.is_working_day(date(2027, 10, 1)) == (True, False)  # not announced as a holiday
    assert WEST.last_covered_day == date(2027, 12, 31)
    # 2028 is still unknown: fallback again.
    assert WEST.is_working_day(date(2028, 1, 3)) == (True, True)


# -- campus overrides --------------------------------------------------------------------------


def test_closures_and_extra_workdays_override() -> None:
    cal = CampusCalendar(
        campus="north",
        closures=frozenset({date(2025, 3, 5), date(2025, 2, 8), date(2027, 1, 4)}),
        extra_workdays=frozenset({date(2025, 3, 15), date(2025, 2, 4), date(2027, 1, 2)}),
    )
    # Mon Mar 3 2025, Wed 5 closed: 4, 6, 7, 10, 11.
    assert last_day(cal, local(2025, 3, 3)) == date(2025, 3, 11)
    # Mon Mar 10: 11, 12, 13, 14, Sat 15 (extra).
    assert last_day(cal, local(2025, 3, 10)) == date(2025, 3, 15)
    # Library holiday made a working day; library make-up day closed.
    assert cal.is_working_day(date(2025, 2, 4)) == (True, False)
    assert cal.is_working_day(date(2025, 2, 8)) == (False, False)
    # Overrides win over the fallback too and are not provisional themselves.
    assert cal.is_working_day(date(2027, 1, 2)) == (True, False)
    assert cal.is_working_day(date(2027, 1, 4)) == (False, False)


def test_closure_overrides_announced_schedule() -> None:
    cal = CampusCalendar(campus="west", closures=frozenset({date(2027, 1, 9)}), announced_years={2027: ANNOUNCED_2027})
    assert cal.is_working_day(date(2027, 1, 9)) == (False, False)


def test_version_stable_and_sensitive() -> None:
    assert re.fullmatch(r"cn-statutory/chinesecalendar-1\.11\.0/east@[0-9a-f]{8}", EAST.version)
    assert CampusCalendar(campus="east").version == EAST.version
    same = CampusCalendar(campus="x", closures=frozenset({date(2025, 3, 5), date(2025, 3, 6)}))
    reordered = CampusCalendar(campus="x", closures=frozenset({date(2025, 3, 6), date(2025, 3, 5)}))
    assert same.version == reordered.version
    versions = {
        CampusCalendar(campus="x").version,
        same.version,
        CampusCalendar(campus="x", extra_workdays=frozenset({date(2025, 3, 5)})).version,
        CampusCalendar(campus="x", announced_years={2027: ANNOUNCED_2027}).version,
        CampusCalendar(campus="x", timezone="Asia/Urumqi").version,
    }
    assert len(versions) == 5


def test_announced_dict_is_copied() -> None:
    years = {2027: ANNOUNCED_2027}
    cal = CampusCalendar(campus="x", announced_years=years)
    before = cal.version
    years[2028] = ANNOUNCED_2027
    assert cal.version == before and not cal.covers(date(2028, 1, 1))


# -- reminders and elapsed time ------------------------------------------------------------------


def test_working_day_before() -> None:
    deadline = EAST.add_working_days(local(2025, 1, 24), 5)  # last day Fri Feb 7 2025
    assert EAST.working_day_before(deadline) == utc(2025, 2, 5, 16)  # Thu Feb 6 00:00 CST
    # Across the Spring Festival: before Wed Feb 5 comes Mon Jan 27, then make-up Sun Jan 26.
    after_holiday = EAST.add_working_days(local(2025, 1, 27), 1)
    assert after_holiday.last_day == date(2025, 2, 5)
    assert EAST.working_day_before(after_holiday) == utc(2025, 1, 26, 16)
    assert EAST.working_day_before(after_holiday, 2) == utc(2025, 1, 25, 16)


def test_working_days_between_simple_week() -> None:
    assert EAST.working_days_between(local(2025, 3, 3, 9), local(2025, 3, 7, 9)) == pytest.approx(4.0)
    assert EAST.working_days_between(local(2025, 3, 3, 6), local(2025, 3, 3, 18)) == pytest.approx(0.5)
    # Same interval given in UTC.
    assert EAST.working_days_between(utc(2025, 3, 3, 1), utc(2025, 3, 7, 1)) == pytest.approx(4.0)


def test_working_days_between_across_weekend_and_holiday() -> None:
    # Fri 12:00 -> Mon 12:00: half of Friday + half of Monday.
    assert EAST.working_days_between(local(2025, 3, 7, 12), local(2025, 3, 10, 12)) == pytest.approx(1.0)
    assert EAST.working_days_between(local(2025, 3, 8, 1), local(2025, 3, 9, 23)) == 0.0
    # Mon Jan 27 00:00 -> Wed Feb 5 00:00 2025: only Jan 27 is a working day.
    assert EAST.working_days_between(local(2025, 1, 27, 0), local(2025, 2, 5, 0)) == pytest.approx(1.0)
    assert EAST.working_days_between(local(2025, 3, 10, 12), local(2025, 3, 7, 12)) == pytest.approx(-1.0)


# -- configuration -------------------------------------------------------------------------------


def test_calendar_from_config_happy_path() -> None:
    cal = calendar_from_config(
        "east",
        {
            "timezone": "Asia/Shanghai",
            "closures": ["2026-03-02"],
            "extra_workdays": ["2026-03-07"],
            "announced_years": {"2027": {"holidays": ["2027-01-01", "2027-01-04"], "workdays": ["2027-01-09"]}},
        },
    )
    assert cal == CampusCalendar(
        campus="east",
        closures=frozenset({date(2026, 3, 2)}),
        extra_workdays=frozenset({date(2026, 3, 7)}),
        announced_years={2027: ANNOUNCED_2027},
    )
    assert calendar_from_config("east", {}).version == EAST.version


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"closures": ["2026-02-30"]}, "closures[0]"),
        ({"extra_workdays": ["2026-03-07", "next monday"]}, "extra_workdays[1]"),
        ({"announced_years": {"2027": {"holidays": ["2027-13-01"]}}}, "announced_years.2027.holidays[0]"),
        ({"announced_years": {"2027": {"holidays": ["2028-01-01"]}}}, "announced_years.2027"),
        ({"announced_years": {"2027": {"days_off": []}}}, "announced_years.2027"),
        ({"closure": ["2026-03-02"]}, "closure"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
    ],
)
def test_calendar_from_config_errors_name_the_key(config: dict[str, object], key: str) -> None:
    with pytest.raises(ValueError, match=re.escape(key)):
        calendar_from_config("east", config)


# -- the fallback's lunar-dated holidays (issue 12, item 5) -------------------------------------------


def test_fallback_2027_knows_spring_festival_qingming_dragon_boat_and_mid_autumn() -> None:
    # Spring Festival 2027 (lunar-python): New Year's Eve Fri Feb 5, first day Sat Feb 6, Sun 7, Mon 8.
    assert lunar_holidays(2027) == {
        date(2027, 2, 5),
        date(2027, 2, 6),
        date(2027, 2, 7),
        date(2027, 2, 8),
        date(2027, 4, 5),
        date(2027, 6, 9),
        date(2027, 9, 15),
    }
    for day in (date(2027, 2, 5), date(2027, 2, 8), date(2027, 4, 5), date(2027, 6, 9), date(2027, 9, 15)):
        assert EAST.is_working_day(day) == (False, True), day
    assert EAST.is_working_day(date(2027, 2, 9)) == (True, True)  # bridging days are not known: still provisional
    # Received Wed Feb 3 2027: Thu 4 (1), Fri 5 and Mon 8 off, Tue 9 (2), Wed 10, Thu 11, Fri 12 (5).
    deadline = EAST.add_working_days(local(2027, 2, 3), 5)
    assert (deadline.last_day, deadline.provisional) == (date(2027, 2, 12), True)


def test_lunar_holidays_are_days_off_in_every_year_the_library_knows() -> None:
    # New Year's Eve became statutory in 2025; in 2024 it was a working day.
    for year in range(2015, 2027):
        working = {d for d in lunar_holidays(year) if chinese_calendar.is_workday(d)}
        assert working == ({date(2024, 2, 9)} if year == 2024 else set()), year


@pytest.mark.parametrize("year", range(2020, 2027))
def test_the_lunar_fallback_gets_fewer_deadlines_wrong_on_known_years(year: int) -> None:
    before = fallback_accuracy.measure(fallback_accuracy.fixed_dates_only, range(year, year + 1))
    after = fallback_accuracy.measure(fallback_is_working_day, range(year, year + 1))
    assert after.deadlines == before.deadlines > 600
    assert after.wrong < before.wrong * 0.9, (before, after)
    assert after.worst_too_early_days < before.worst_too_early_days
    assert after.worst_too_early_days <= (6 if year == 2020 else 5)  # 2020: Spring Festival extended (epidemic)


def test_the_fallback_is_part_of_the_calendar_version(monkeypatch: pytest.MonkeyPatch) -> None:
    # A better fallback is a different calendar for provisional deadlines: the version says so.
    assert "lunar-python-" + metadata.version("lunar_python") in workdays.FALLBACK_VERSION
    before = EAST.version
    monkeypatch.setattr(workdays, "FALLBACK_VERSION", "fixed-dates-only")
    assert CampusCalendar(campus="east").version != before


# -- announced_years only for years the library does not know (issue 12, item 6) ---------------------


def test_an_announced_schedule_for_a_year_the_library_covers_is_refused() -> None:
    schedule = YearSchedule(holidays=frozenset({date(2026, 3, 2)}))
    with pytest.raises(
        CalendarConfigError,
        match=r"announced_years\.2026: chinesecalendar 1\.11\.0 already covers"
        r" 2026.*closures / extra_workdays",
    ):
        CampusCalendar(campus="x", announced_years={2026: schedule})
    with pytest.raises(CalendarConfigError, match=r"announced_years\.2025"):
        calendar_from_config("east", {"announced_years": {"2025": {"holidays": ["2025-03-03"]}}})
    # The library's Spring Festival 2026 stays where it was.
    assert EAST.is_working_day(date(2026, 2, 17)) == (False, False)


# -- the coverage metric: end of the last covered day, local (issue 12, item 7) -------------------------


def test_covered_until_is_the_end_of_the_last_covered_day_in_the_campus_zone() -> None:
    assert EAST.covered_until == utc(2026, 12, 31, 16)  # 24:00 CST on 2026-12-31
    assert WEST.covered_until == utc(2027, 12, 31, 16)
    assert CampusCalendar(campus="far-west", timezone="Asia/Urumqi").covered_until == utc(2026, 12, 31, 18)


def test_the_coverage_metric_reports_the_local_end_of_the_last_covered_day() -> None:
    class Hospital:
        calendars = {"test-east": EAST, "test-urumqi": CampusCalendar(campus="test-urumqi", timezone="Asia/Urumqi")}

    investigation_metrics.set_calendar_coverage(Hospital())  # type: ignore[arg-type]
    sample = REGISTRY.get_sample_value
    name = "complaints_calendar_last_covered_day_timestamp_seconds"
    assert sample(name, {"campus": "test-east"}) == utc(2026, 12, 31, 16).timestamp()
    assert sample(name, {"campus": "test-urumqi"}) == utc(2026, 12, 31, 18).timestamp()


def test_the_hospitals_calendars_are_built_in_one_place_and_a_bad_one_names_its_campus():
    from shared.config import Hospital, calendars, load_hospital

    demo = load_hospital()
    built = calendars(demo)
    assert set(built) == set(demo.campuses)
    assert all(c.campus == campus and c.timezone == demo.campuses[campus]["timezone"] for campus, c in built.items())
    bad = Hospital(campuses={"north": {"timezone": "Asia/Shanghai", "calendar": {"closures": ["2027-13-01"]}}})
    with pytest.raises(CalendarConfigError, match=r"campus 'north', calendar: closures\[0\]"):
        calendars(bad)


# -- office hours (CONTRACT §7) ----------------------------------------------------------


def _at(local: str, zone: str = "Asia/Shanghai") -> datetime:
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone))


HOLIDAY_WEEK = calendar_from_config("east", {"closures": [f"2026-11-{d}" for d in range(23, 28)]})


@pytest.mark.parametrize(
    "calendar,at,expected",
    [
        # 24:00 on a Friday before a (campus) holiday week: 08:00 on the Monday after it, not at midnight
        (HOLIDAY_WEEK, "2026-11-21T00:00", "2026-11-30T08:00"),
        # 24:00 on the Wednesday before National Day 2026 (1-7 October off): 08:00 on 8 October
        (calendar_from_config("east", {}), "2026-10-01T00:00", "2026-10-08T08:00"),
        # Friday 13 February 2026 at 24:00: the make-up Saturday before the Spring Festival is a working day
        (calendar_from_config("east", {}), "2026-02-14T00:00", "2026-02-14T08:00"),
        (calendar_from_config("east", {}), "2026-12-02T07:59", "2026-12-02T08:00"),  # before opening: today's
        (calendar_from_config("east", {}), "2026-12-02T08:00", "2026-12-02T08:00"),  # open: at once
        (calendar_from_config("east", {}), "2026-12-02T17:29", "2026-12-02T17:29"),
        (calendar_from_config("east", {}), "2026-12-02T17:30", "2026-12-03T08:00"),  # closed at 17:30
        (calendar_from_config("east", {}), "2026-12-05T11:00", "2026-12-07T08:00"),  # a Saturday
    ],
)
def test_the_next_office_moment(calendar, at, expected):
    moment = next_office_moment(calendar, OfficeHours(), _at(at))
    assert moment == _at(expected) and moment.tzinfo == UTC


def test_office_hours_follow_the_campus_zone_and_configuration():
    london = calendar_from_config("uk", {"timezone": "Europe/London"})
    hours = office_hours_from_config({"opens": "09:00", "closes": "17:00"})
    # 08:30 UTC on a Wednesday in December is 08:30 in London: the office opens at 09:00 London time
    assert next_office_moment(london, hours, datetime(2026, 12, 2, 8, 30, tzinfo=UTC)) == datetime(
        2026, 12, 2, 9, 0, tzinfo=UTC
    )
    assert office_hours_from_config(None) == OfficeHours(time(8, 0), time(17, 30))


@pytest.mark.parametrize(
    "config,message",
    [
        ({"opens": "8am"}, "office_hours.opens: invalid time"),
        ({"opens": "18:00"}, "must be before closes"),
        ({"open": "08:00"}, "office_hours: unknown key(s) ['open']"),
    ],
)
def test_bad_office_hours_are_named(config, message):
    with pytest.raises(CalendarConfigError) as error:
        office_hours_from_config(config)
    assert message in str(error.value)
