"""Investigation's configuration, read once at start: the service's name and the hospital's campus
calendars, policies and departments (a calendar that does not load stops the service, saying where)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.investigation import domain
from shared.config import calendars, load_hospital
from shared.workdays import CampusCalendar

SERVICE = "investigation"


class Hospital:
    """Campus calendars and policies, from the hospital configuration (read once at start)."""

    def __init__(self) -> None:
        self.config = load_hospital()
        self.calendars: dict[str, CampusCalendar] = calendars(self.config)  # a bad one stops the service here

    def calendar(self, campus: str) -> CampusCalendar:
        return self.calendars[campus]

    def policy(self, campus: str) -> dict[str, Any]:
        return self.config.campuses[campus]["policy"]

    def breach_escalation_working_days(self, campus: str) -> int:
        """Working days a breached deadline may stay unmet before the leadership group is told (default 2)."""
        return int(self.config.campuses[campus].get("breach_escalation_working_days", 2))

    def departments(self, campus: str) -> list[str]:
        return self.config.departments(campus)

    def context(self, campus: str, now: datetime, staff: str = "system") -> domain.Context:
        """What a decision on a case of ``campus`` needs besides the case and the command."""
        return domain.Context(
            now=now,
            staff=staff,
            calendar=self.calendar(campus),
            policy=self.policy(campus),
            departments=tuple(self.departments(campus)),
            heads={
                d: tuple(h["id"] for h in self.config.department_heads(campus, d)) for d in self.departments(campus)
            },
        )


HOSPITAL = Hospital()
