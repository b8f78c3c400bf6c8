"""The worklist's saved views (issue 18 item 6): which cases each is, as SQL on ``cases c`` and its
``deadlines``, so a view is paged and counted in the database (never by reading every case).

"Unmet" is a deadline still to be met (running or breached); a department "owes" a case its findings while
its investigation deadline is unmet and not on hold (on hold, the office owes the extension decision).

* ``todo`` — what the caller must do next. A complaint officer: active cases whose next step is the office's
  (no department owes findings: nothing assigned yet, or every finding is in and the reply is to write, or
  the reply is out and the case is to follow up and close) and cases with an extension request to decide.
  A liaison: active cases where their department owes findings or an ordered rectification.
* ``due_week`` — an active case with a running deadline (a liaison: their department's) whose last working day
  falls in this week, Monday to Sunday of the campus's local calendar.
* ``awaiting_department`` — an active case some department owes its findings.
* ``follow_up`` — a follow-up call (回访) owed: an unmet follow-up deadline.
* ``escalated`` — an active case escalated to the leadership group.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.investigation.settings import HOSPITAL
from shared.auth import AUDITOR, LEADERSHIP, LIAISON, OFFICER

#: the views each role is offered, in the order the worklist shows them
VIEWS_OF: dict[str, tuple[str, ...]] = {
    OFFICER: ("todo", "due_week", "awaiting_department", "follow_up", "escalated"),
    LIAISON: ("todo", "due_week"),
    LEADERSHIP: ("escalated", "due_week", "awaiting_department"),
    AUDITOR: ("due_week", "awaiting_department", "follow_up", "escalated"),
}
ALL_VIEWS = ("todo", "due_week", "awaiting_department", "follow_up", "escalated")

ACTIVE = "c.status IN ('open', 'replied')"
_UNMET = "d.status IN ('open', 'breached')"


def _with_deadline(condition: str) -> str:
    # An uncorrelated IN: PostgreSQL reads the matching deadlines once (a hashed subplan), for a page or a count.
    return f"c.complaint_id IN (SELECT d.complaint_id FROM deadlines d WHERE {_UNMET} AND {condition})"


OWED_BY_DEPARTMENT = _with_deadline("d.kind = 'investigation' AND NOT d.on_hold")
DECISION_OWED = _with_deadline("d.on_hold")
FOLLOW_UP_OWED = _with_deadline("d.kind = 'follow_up'")
#: GET /cases's ``awaiting_departments``: the departments that owe the case their findings (the case's holder)
AWAITING_COLUMN = (
    "ARRAY(SELECT DISTINCT d.department FROM deadlines d WHERE d.complaint_id = c.complaint_id AND d.kind ="
    f" 'investigation' AND {_UNMET} AND NOT d.on_hold ORDER BY d.department) AS awaiting_departments"
)


def week_of(campus: str, now: datetime) -> tuple[Any, Any]:
    """Monday and Sunday of the campus's local week that holds ``now``."""
    zone = ZoneInfo(HOSPITAL.calendar(campus).timezone)
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)


def _due_this_week(department: str | None, now: datetime) -> tuple[str, list[Any]]:
    weeks: dict[tuple[Any, Any], list[str]] = {}
    for campus in HOSPITAL.calendars:
        weeks.setdefault(week_of(campus, now), []).append(campus)
    alternatives, args = [], []
    for (monday, sunday), campuses in weeks.items():
        alternatives.append("(d.campus = ANY(%s) AND d.last_day BETWEEN %s AND %s)")
        args += [campuses, monday, sunday]
    mine = ""
    if department is not None:
        mine = " AND d.department = %s"
        args.append(department)
    return _with_deadline(f"d.status = 'open' AND NOT d.on_hold AND ({' OR '.join(alternatives)}){mine}"), args


def view(name: str, role: str, department: str | None, now: datetime) -> tuple[str, list[Any]]:
    """The SQL condition (on ``cases c``) of saved view ``name`` for a caller of ``role`` (a liaison: of
    ``department``), and its arguments. The schema has checked ``name``; a role's to-do is its own."""
    if name == "todo" and role == LIAISON:
        owed = _with_deadline("d.kind IN ('investigation', 'rectification') AND NOT d.on_hold AND d.department = %s")
        return f"({ACTIVE} AND {owed})", [department]
    if name == "todo":  # the complaint office's (an officer's; another role has no to-do of its own)
        return f"({ACTIVE} AND ({DECISION_OWED} OR NOT {OWED_BY_DEPARTMENT}))", []
    if name == "due_week":
        sql, args = _due_this_week(department if role == LIAISON else None, now)
        return f"({ACTIVE} AND {sql})", args
    if name == "awaiting_department":
        return f"({ACTIVE} AND {OWED_BY_DEPARTMENT})", []
    if name == "follow_up":
        return f"({ACTIVE} AND {FOLLOW_UP_OWED})", []
    return f"({ACTIVE} AND c.escalated)", []
