"""Reporting's view of the hospital configuration: campus calendars (for local days and working
time) and the campuses a report may be asked for. Read once at start, like every service."""

from __future__ import annotations

from services.reporting.domain import Calendars
from shared.config import Hospital, calendars, load_hospital

HOSPITAL: Hospital = load_hospital()

CALENDARS = Calendars(calendars(HOSPITAL))
CAMPUSES: tuple[str, ...] = tuple(sorted(HOSPITAL.campuses))
# Group-wide reports date "today" and months in the first campus's zone (all demo campuses share one).
DEFAULT_TIMEZONE: str = HOSPITAL.campuses[CAMPUSES[0]].get("timezone", "Asia/Shanghai") if CAMPUSES else "Asia/Shanghai"


def timezone_of(campus: str | None) -> str:
    if campus and campus in HOSPITAL.campuses:
        return HOSPITAL.campuses[campus].get("timezone", DEFAULT_TIMEZONE)
    return DEFAULT_TIMEZONE
