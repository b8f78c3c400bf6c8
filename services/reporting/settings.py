"""Reporting's view of the hospital configuration: campus calendars (for local days and working
time) and the campuses a report may be asked for. Read once at start, like every service."""

from __future__ import annotations

from services.reporting.domain import Calendars
from shared.config import Hospital, calendars, env, load_hospital

HOSPITAL: Hospital = load_hospital()

CALENDARS = Calendars(calendars(HOSPITAL))
CAMPUSES: tuple[str, ...] = tuple(sorted(HOSPITAL.campuses))
# Group-wide reports date "today" and months in the first campus's zone (all demo campuses share one).
DEFAULT_TIMEZONE: str = HOSPITAL.campuses[CAMPUSES[0]].get("timezone", "Asia/Shanghai") if CAMPUSES else "Asia/Shanghai"


def timezone_of(campus: str | None) -> str:
    if campus and campus in HOSPITAL.campuses:
        return HOSPITAL.campuses[campus].get("timezone", DEFAULT_TIMEZONE)
    return DEFAULT_TIMEZONE


def _retention_years() -> int:
    """``ARCHIVE_RETENTION_YEARS``: how long a complaint's archive is kept after it was closed (default 30, as
    inpatient medical records: docs/decisions.md). A bad value stops the service at start, saying so."""
    raw = env("ARCHIVE_RETENTION_YEARS", "30")
    if not raw.isdigit() or not 1 <= int(raw) <= 200:
        raise SystemExit(f"ARCHIVE_RETENTION_YEARS must be a whole number of years, 1 to 200 (got {raw!r})")
    return int(raw)


ARCHIVE_RETENTION_YEARS: int = _retention_years()
