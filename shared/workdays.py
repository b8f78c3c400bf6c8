"""Working-day arithmetic for complaint deadlines, per campus (CONTRACT §2 "Deadlines").

A day is judged, in this order: campus ``closures`` / ``extra_workdays``; the campus's
``announced_years`` schedule (only for years the library does not cover); the chinesecalendar
library when it covers the year; otherwise the FALLBACK (weekends, the fixed-date statutory
holidays and the lunar-dated ones computed by lunar-python), which marks the result
*provisional* so ops can see it and the deadline can be recomputed once the year is covered.
Nothing here raises for a date the calendar does not know: a complaint is never refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import metadata
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
from lunar_python import Lunar

LIBRARY_VERSION: str = chinese_calendar.__version__
CALENDAR_FAMILY = "cn-statutory"
# Names the fallback's rules in every calendar version: a better estimate is a different calendar.
FALLBACK_VERSION = f"fixed+lunar-python-{metadata.version('lunar_python')}"

# Fixed-date statutory days off under the State Council rules in force since 2025.
FALLBACK_HOLIDAYS: frozenset[tuple[int, int]] = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})


@cache
def lunar_holidays(year: int) -> frozenset[date]:
    """The lunar-dated statutory days off of ``year`` under the 2025 rules: Spring Festival (New
    Year's Eve and the first three days of the first month), Qingming (the solar term's day),
    Dragon Boat (5th of the 5th month), Mid-Autumn (15th of the 8th month).

    Only the statutory days themselves: the bridging days and make-up Saturdays around them are
    announced by the State Council each year and cannot be computed, hence still provisional."""

    def solar(month: int, day: int) -> date:
        s = Lunar.fromYmd(year, month, day).getSolar()
        return date(s.getYear(), s.getMonth(), s.getDay())

    spring = solar(1, 1)
    qingming = Lunar.fromYmd(year, 1, 1).getJieQiTable()["清明"]  # a solar term, in April of ``year``
    days = {
        spring - timedelta(days=1),
        spring,
        spring + timedelta(days=1),
        spring + timedelta(days=2),
        date(qingming.getYear(), qingming.getMonth(), qingming.getDay()),
        solar(5, 5),
        solar(8, 15),
    }
    return frozenset(days)


def fallback_is_working_day(day: date) -> bool:
    """The FALLBACK's judgement of a day in a year no official calendar covers yet."""
    return day.weekday() < 5 and (day.month, day.day) not in FALLBACK_HOLIDAYS and day not in lunar_holidays(day.year)


@cache
def _library_covers_year(year: int) -> bool:
    # The library raises NotImplementedError outside its data range; probing once per year
    # keeps that exception out of every later lookup.
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


# The library's data ends with its last listed holiday year (2026 for 1.11.0).
LIBRARY_LAST_YEAR: int = max(d.year for d in chinese_calendar.constants.holidays)


def _weekday_rule(day: date, holidays: frozenset[date], workdays: frozenset[date]) -> bool:
    if day in workdays:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


class CalendarConfigError(ValueError):
    """A campus calendar config is unusable; the message names the offending key."""


@dataclass(frozen=True)
class YearSchedule:
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # make-up working days (e.g. Saturdays)


@dataclass(frozen=True)
class Deadline:
    due_at: datetime  # aware UTC: 00:00 local of the day after last_day, i.e. the END of last_day
    last_day: date  # the last working day, local date
    provisional: bool  # some day counted or skipped was judged by the fallback rules
    calendar_version: str


@dataclass(frozen=True)
class CampusCalendar:
    campus: str
    timezone: str = "Asia/Shanghai"
    closures: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    # hash=False: a Mapping is not hashable, yet the calendar must stay usable as a dict key;
    # equality still compares it.
    announced_years: Mapping[int, YearSchedule] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        # Freeze copies: a caller mutating its dict/set afterwards must not change results
        # (or the version) of a calendar already used to compute deadlines.
        object.__setattr__(self, "closures", frozenset(self.closures))
        object.__setattr__(self, "extra_workdays", frozenset(self.extra_workdays))
        object.__setattr__(self, "announced_years", MappingProxyType(dict(self.announced_years)))
        object.__setattr__(self, "_judged", {})  # is_working_day's answers (not a field: no effect on ==)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CalendarConfigError(f"timezone: unknown time zone {self.timezone!r}") from exc
        both = self.closures & self.extra_workdays
        if both:
            raise CalendarConfigError(f"closures/extra_workdays: dates in both: {sorted(d.isoformat() for d in both)}")
        for year, sched in self.announced_years.items():
            if _library_covers_year(year):
                # A schedule replaces the whole year: taking it for a covered year would silently
                # drop the library's Spring Festival and the rest. Campus changes to a covered
                # year are closures / extra_workdays.
                raise CalendarConfigError(
                    f"announced_years.{year}: chinesecalendar {LIBRARY_VERSION} already covers {year}; "
                    "remove the year, and put campus changes to it in closures / extra_workdays"
                )
            clash = sched.holidays & sched.workdays
            if clash:
                raise CalendarConfigError(
                    f"announced_years.{year}: dates both holiday and workday: {sorted(d.isoformat() for d in clash)}"
                )
            strays = {d for d in sched.holidays | sched.workdays if d.year != year}
            if strays:
                raise CalendarConfigError(
                    f"announced_years.{year}: dates outside {year}: {sorted(d.isoformat() for d in strays)}"
                )

    @property
    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo caches instances, so this is cheap

    # -- judging single days -------------------------------------------------------------

    def covers(self, day: date) -> bool:
        return day.year in self.announced_years or _library_covers_year(day.year)

    def is_working_day(self, day: date) -> tuple[bool, bool]:
        """(working?, provisional?) for one local date; remembered per calendar (it is immutable), as
        counting a deadline asks the same days again and again (a tenth of opening a case)."""
        known = self._judged.get(day)
        if known is None:
            known = self._judged[day] = self._judge(day)
        return known

    def _judge(self, day: date) -> tuple[bool, bool]:
        if day in self.closures:
            return False, False
        if day in self.extra_workdays:
            return True, False
        sched = self.announced_years.get(day.year)
        if sched is not None:
            return _weekday_rule(day, sched.holidays, sched.workdays), False
        if _library_covers_year(day.year):
            return chinese_calendar.is_workday(day), False
        return fallback_is_working_day(day), True

    @property
    def last_covered_day(self) -> date:
        # Contiguous coverage: an announced 2028 does not help while 2027 is still unknown,
        # because every date in 2027 would still be judged by the fallback.
        year = LIBRARY_LAST_YEAR
        while year + 1 in self.announced_years:
            year += 1
        return date(year, 12, 31)

    @property
    def covered_until(self) -> datetime:
        """The end (24:00 in the campus's zone, as UTC) of :attr:`last_covered_day`."""
        return self._local_midnight_utc(self.last_covered_day + timedelta(days=1))

    # -- deadlines -----------------------------------------------------------------------

    def _local_midnight_utc(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self._zone).astimezone(UTC)

    def _local_date(self, moment: datetime) -> date:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("received_at/start/end must be timezone-aware")
        return moment.astimezone(self._zone).date()

    def add_working_days(self, received_at: datetime, days: int) -> Deadline:
        """Deadline `days` working days after receipt; the day of receipt is never counted."""
        if days < 1:
            raise ValueError(f"days must be >= 1, got {days}")
        day = self._local_date(received_at)
        provisional = False
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            working, guessed = self.is_working_day(day)
            provisional = provisional or guessed  # a guessed day off moves the deadline too
            if working:
                counted += 1
        return Deadline(
            due_at=self._local_midnight_utc(day + timedelta(days=1)),
            last_day=day,
            provisional=provisional,
            calendar_version=self.version,
        )

    def working_day_before(self, deadline: Deadline, days: int = 1) -> datetime:
        """Start (00:00 local, as UTC) of the working day `days` working days before last_day."""
        if days < 0:
            raise ValueError(f"days must be >= 0, got {days}")
        day = deadline.last_day
        counted = 0
        while counted < days:
            day -= timedelta(days=1)
            if self.is_working_day(day)[0]:
                counted += 1
        return self._local_midnight_utc(day)

    def working_days_left(self, last_day: date, at: datetime) -> int:
        """Whole working days left to a deadline whose last working day is ``last_day``, counted in the campus's
        local day of ``at``: today counts while it is a working day (due today: 1 left). Once past, minus the
        working days since (0 on the days off straight after it: overdue, yet no working day lost)."""
        today = self._local_date(at)
        if today <= last_day:
            return sum(self.is_working_day(today + timedelta(days=n))[0] for n in range((last_day - today).days + 1))
        return -sum(self.is_working_day(last_day + timedelta(days=n))[0] for n in range(1, (today - last_day).days + 1))

    def working_days_between(self, start: datetime, end: datetime) -> float:
        """Elapsed working time in working days; partial working days count pro rata.

        Antisymmetric (end before start gives a negative value) so bad data shows up in
        statistics instead of silently reading as zero.
        """
        if end < start:
            return -self.working_days_between(end, start)
        day, last = self._local_date(start), self._local_date(end)
        total = 0.0
        while day <= last:
            if self.is_working_day(day)[0]:
                # Local-day length from real instants, so a DST day is still "one day".
                day_start = self._local_midnight_utc(day)
                day_end = self._local_midnight_utc(day + timedelta(days=1))
                overlap = min(end, day_end) - max(start, day_start)
                total += max(overlap.total_seconds(), 0.0) / (day_end - day_start).total_seconds()
            day += timedelta(days=1)
        return total

    # -- versioning ----------------------------------------------------------------------

    @property
    def version(self) -> str:
        """Library version plus a hash of every campus override that can change a result."""
        overrides = {
            "timezone": self.timezone,
            "fallback": FALLBACK_VERSION,
            "closures": sorted(d.isoformat() for d in self.closures),
            "extra_workdays": sorted(d.isoformat() for d in self.extra_workdays),
            "announced_years": {
                str(year): {
                    "holidays": sorted(d.isoformat() for d in sched.holidays),
                    "workdays": sorted(d.isoformat() for d in sched.workdays),
                }
                for year, sched in sorted(self.announced_years.items())
            },
        }
        digest = hashlib.sha256(json.dumps(overrides, sort_keys=True).encode()).hexdigest()[:8]
        return f"{CALENDAR_FAMILY}/chinesecalendar-{LIBRARY_VERSION}/{self.campus}@{digest}"


# -- configuration -------------------------------------------------------------------------

_CONFIG_KEYS = frozenset({"timezone", "closures", "extra_workdays", "announced_years"})
_SCHEDULE_KEYS = frozenset({"holidays", "workdays"})


def _parse_dates(key: str, values: object) -> frozenset[date]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise CalendarConfigError(f"{key}: expected a list of ISO dates, got {values!r}")
    out: set[date] = set()
    for i, value in enumerate(values):
        if isinstance(value, date) and not isinstance(value, datetime):
            out.add(value)
            continue
        try:
            out.add(date.fromisoformat(value if isinstance(value, str) else ""))
        except ValueError as exc:
            raise CalendarConfigError(f"{key}[{i}]: invalid date {value!r} (expected YYYY-MM-DD)") from exc
    return frozenset(out)


def _check_keys(where: str, given: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise CalendarConfigError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")


def calendar_from_config(campus: str, config: Mapping[str, Any]) -> CampusCalendar:
    """Build a campus calendar from its JSON-ish config; every error names the offending key."""
    _check_keys(f"calendar config of campus {campus!r}", config, _CONFIG_KEYS)
    tz = config.get("timezone", "Asia/Shanghai")
    if not isinstance(tz, str):
        raise CalendarConfigError(f"timezone: expected a string, got {tz!r}")
    announced: dict[int, YearSchedule] = {}
    raw_years = config.get("announced_years", {})
    if not isinstance(raw_years, Mapping):
        raise CalendarConfigError(f"announced_years: expected a mapping year -> schedule, got {raw_years!r}")
    for raw_year, raw_sched in raw_years.items():
        key = f"announced_years.{raw_year}"
        try:
            year = int(raw_year)
        except (TypeError, ValueError) as exc:
            raise CalendarConfigError(f"{key}: year must be an integer") from exc
        if not isinstance(raw_sched, Mapping):
            raise CalendarConfigError(f"{key}: expected {{'holidays': [...], 'workdays': [...]}}, got {raw_sched!r}")
        _check_keys(key, raw_sched, _SCHEDULE_KEYS)
        announced[year] = YearSchedule(
            holidays=_parse_dates(f"{key}.holidays", raw_sched.get("holidays", [])),
            workdays=_parse_dates(f"{key}.workdays", raw_sched.get("workdays", [])),
        )
    return CampusCalendar(
        campus=campus,
        timezone=tz,
        closures=_parse_dates("closures", config.get("closures", [])),
        extra_workdays=_parse_dates("extra_workdays", config.get("extra_workdays", [])),
        announced_years=announced,
    )


# -- office hours (CONTRACT §7) ------------------------------------------------------------


@dataclass(frozen=True)
class OfficeHours:
    """When a campus's complaint office is open: ``opens`` to ``closes`` local time on the calendar's working days
    (a make-up Saturday is a working day; a holiday is not)."""

    opens: time = time(8, 0)
    closes: time = time(17, 30)

    def __post_init__(self) -> None:
        if not self.opens < self.closes:
            raise CalendarConfigError(f"office_hours: opens {self.opens} must be before closes {self.closes}")


DEFAULT_OFFICE_HOURS = OfficeHours()


def office_hours_from_config(config: Mapping[str, Any] | None) -> OfficeHours:
    """``{"opens": "08:00", "closes": "17:30"}`` (either may be left out); errors name the key."""
    config = config or {}
    if not isinstance(config, Mapping):
        raise CalendarConfigError(f"office_hours: expected {{'opens': 'HH:MM', 'closes': 'HH:MM'}}, got {config!r}")
    _check_keys("office_hours", config, frozenset({"opens", "closes"}))
    parsed: dict[str, time] = {}
    for key in ("opens", "closes"):
        value = config.get(key, getattr(DEFAULT_OFFICE_HOURS, key).strftime("%H:%M"))
        try:
            parsed[key] = time.fromisoformat(value if isinstance(value, str) else "")
        except ValueError as exc:
            raise CalendarConfigError(f"office_hours.{key}: invalid time {value!r} (expected HH:MM)") from exc
    return OfficeHours(**parsed)


def next_office_moment(calendar: CampusCalendar, hours: OfficeHours, at: datetime) -> datetime:
    """``at`` itself when the campus's office is open then, else the next opening (as UTC): what falls due at
    24:00 on a Friday is delivered at 08:00 on the next working day, never at night or on a holiday."""
    local = calendar._local_date(at)
    moment = at.astimezone(calendar._zone)
    day = local
    for _ in range(400):  # a year of closures at most; a calendar with no working day is not a calendar
        if calendar.is_working_day(day)[0]:
            opens = datetime.combine(day, hours.opens, tzinfo=calendar._zone)
            closes = datetime.combine(day, hours.closes, tzinfo=calendar._zone)
            if day == local and opens <= moment < closes:
                return at.astimezone(UTC)
            if moment < opens:
                return opens.astimezone(UTC)
        day += timedelta(days=1)
    raise CalendarConfigError(f"campus {calendar.campus!r}: no working day within 400 days of {local}")
