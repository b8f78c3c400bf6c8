"""Investigation's rules, pure: deadlines a case gets when it opens. No I/O here."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from shared.envelope import rfc3339
from shared.workdays import CampusCalendar, Deadline

OPEN = "open"


def policy_version(policy: dict[str, Any]) -> str:
    """Names the policy a deadline was computed with; changes whenever any setting changes."""
    digest = hashlib.sha256(json.dumps(policy, sort_keys=True).encode()).hexdigest()[:8]
    return f"policy@{digest}"


def first_reply_days(policy: dict[str, Any], departments: list[str]) -> int:
    """5 working days; 10 once the complaint involves more than one department (CONTRACT §2)."""
    return policy["first_reply_days_multi"] if len(departments) > 1 else policy["first_reply_days"]


def deadline(kind: str, department: str | None, due: Deadline, days: int, policy: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": kind,
        "department": department,
        "due_at": rfc3339(due.due_at),
        "last_day": due.last_day.isoformat(),
        "provisional": due.provisional,
        "calendar_version": due.calendar_version,
        "policy_version": policy_version(policy),
        "working_days": days,
    }


def open_case(received: dict[str, Any], calendar: CampusCalendar, policy: dict[str, Any]) -> dict[str, Any]:
    """The ``InvestigationOpened`` a received complaint leads to, with every deadline it starts."""
    received_at = datetime.fromisoformat(received["received_at"].replace("Z", "+00:00"))
    departments = list(received["departments"])
    reply_days = first_reply_days(policy, departments)
    data = {
        "complaint_id": received["complaint_id"],
        "campus": received["campus"],
        "campuses": received.get("campuses") or [received["campus"]],
        "category": received["category"],
        "severity": received["severity"],
        "source": received["source"],
        "departments": departments,
        "received_at": received["received_at"],
        "first_reply": deadline("first_reply", None, calendar.add_working_days(received_at, reply_days),
                                reply_days, policy),
        "investigations": [
            deadline("investigation", d, calendar.add_working_days(received_at, policy["investigation_days"]),
                     policy["investigation_days"], policy) for d in departments],
    }
    return data
