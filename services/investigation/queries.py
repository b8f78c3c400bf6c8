"""Investigation's read models for GET: a case with its deadlines, and the list of cases a caller may see.

An overdue deadline is the domain's :func:`domain.deadline_overdue` (rows) and :data:`domain.OVERDUE_SQL`
(the same test in the database), used here and by the overdue gauge (metrics.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.investigation import domain, saved_views
from services.investigation.schemas import CaseFilter
from shared.db import Cursor, fetch_dicts

CASE_COLUMNS = (
    "complaint_id, reference, campus, category, severity, source, status, departments, escalated,"
    " provisional, received_at, updated_at"
)
DEADLINE_COLUMNS = (
    "key, kind, department, due_at, remind_at, last_day, working_days, provisional, calendar_version,"
    " policy_version, status, reminded, on_hold, started_at, breached_at, met_at"
)
# What the case's JSON state adds to its row in GET /cases/<id>.
STATE_KEYS = (
    "campuses",
    "assignments",
    "extensions",
    "replies",
    "feedbacks",
    "rectifications",
    "disputes",
    "follow_ups",
    "reopened",
    "has_contact",
    "version",
)
# The streams a campus-scoped caller of GET /events may read: those of their campuses' cases, as GET /cases.
SCOPED_STREAMS = "SELECT complaint_id::text FROM cases WHERE campus = ANY(%s)"
# The worklist's statutory clock (CONTRACT §7), from the deadline row joined as `s` (absent on older cases).
STATUTORY_COLUMNS = (
    "s.due_at AS statutory_feedback_due_at, s.status AS statutory_feedback_status,"
    " (s.status = 'breached' OR (s.status = 'open' AND s.due_at <= now())) IS TRUE AS statutory_feedback_overdue"
)
OVERDUE_CASE = f"EXISTS (SELECT 1 FROM deadlines d WHERE d.complaint_id = c.complaint_id AND {domain.OVERDUE_SQL})"
ACTIVE_STATUSES = ("open", "replied")  # GET /cases?active=true: the cases still being worked on
# GET /cases?urgency=: a case with a running deadline this urgent (the console's definitions, views.urgency:
# due soon from the reminder on, on hold while an extension request awaits its decision).
_URGENT = "EXISTS (SELECT 1 FROM deadlines d WHERE d.complaint_id = c.complaint_id AND {})"
URGENCY_CASE = {
    "overdue": OVERDUE_CASE,
    "due_soon": _URGENT.format(
        f"d.status = 'open' AND NOT d.on_hold AND d.remind_at <= now() AND NOT {domain.OVERDUE_SQL}"
    ),
    "on_hold": _URGENT.format("d.status = 'open' AND d.on_hold"),
}


def case_with_deadlines(cur: Cursor, complaint_id: str, now: datetime) -> tuple[dict[str, Any], domain.Case] | None:
    """The case's row with its deadlines (each marked ``overdue``) and its state, or None."""
    cur.execute(f"SELECT {CASE_COLUMNS}, state FROM cases WHERE complaint_id = %s", (complaint_id,))
    found = fetch_dicts(cur)
    if not found:
        return None
    case = found[0]
    state = domain.Case.from_json(case.pop("state")).to_json()  # a state saved before a field existed: its default
    cur.execute(
        f"SELECT {DEADLINE_COLUMNS} FROM deadlines WHERE complaint_id = %s ORDER BY started_at, key", (complaint_id,)
    )
    case["deadlines"] = fetch_dicts(cur)
    for deadline in case["deadlines"]:
        deadline["overdue"] = domain.deadline_overdue(deadline["status"], deadline["on_hold"], deadline["due_at"], now)
        deadline["met_by"] = state["clocks"].get(deadline["key"], {}).get("met_by")
    case["overdue"] = any(d["overdue"] for d in case["deadlines"])
    case["statutory_feedback"] = next((d for d in case["deadlines"] if d["kind"] == "statutory_feedback"), None)
    for key in STATE_KEYS:
        case[key] = state.get(key, {} if key == "feedbacks" else None)
    return case, domain.Case.from_json(state)


def _scope(
    wanted: CaseFilter, campuses: list[str] | None, liaison_department: str | None
) -> tuple[list[str], list[Any]]:
    """The WHERE clauses (and their arguments) of the cases ``wanted`` names within the caller's ``campuses``
    (None: all) and, for a liaison, their department's; without its saved view."""
    clauses, args = ["TRUE"], []
    if campuses is not None:
        clauses.append("c.campus = ANY(%s)")
        args.append(campuses)
    if liaison_department is not None:  # a liaison sees only their department's cases
        clauses.append("c.departments @> ARRAY[%s]")
        args.append(liaison_department)
    for key in ("campus", "status"):
        if getattr(wanted, key) is not None:
            clauses.append(f"c.{key} = %s")
            args.append(getattr(wanted, key))
    if wanted.department is not None:
        clauses.append("c.departments @> ARRAY[%s]")
        args.append(wanted.department)
    if wanted.provisional is not None:
        clauses.append("c.provisional = %s")
        args.append(wanted.provisional)
    if wanted.overdue is not None:
        clauses.append(OVERDUE_CASE if wanted.overdue else f"NOT {OVERDUE_CASE}")
    if wanted.active is not None:
        clauses.append(f"{'' if wanted.active else 'NOT '}c.status = ANY(%s)")
        args.append(list(ACTIVE_STATUSES))
    if wanted.urgency is not None:
        clauses.append(URGENCY_CASE[wanted.urgency])
    return clauses, args


def cases(
    cur: Cursor, wanted: CaseFilter, campuses: list[str] | None, liaison_department: str | None, role: str = ""
) -> list[dict[str, Any]]:
    """The cases ``wanted`` names, newest first, within the caller's ``campuses`` (None: all) and, for a
    liaison, their department's; with ``view``, those of that saved view of the caller's ``role``."""
    clauses, args = _scope(wanted, campuses, liaison_department)
    if wanted.view is not None:
        sql, view_args = saved_views.view(wanted.view, role, liaison_department, datetime.now(UTC))
        clauses.append(sql)
        args += view_args
    cur.execute(
        f"SELECT {', '.join('c.' + c.strip() for c in CASE_COLUMNS.split(','))}, {STATUTORY_COLUMNS},"
        f" {saved_views.AWAITING_COLUMN} FROM cases c"
        f" LEFT JOIN deadlines s ON s.complaint_id = c.complaint_id AND s.key = 'statutory_feedback'"
        f" WHERE {' AND '.join(clauses)} ORDER BY c.received_at DESC, c.complaint_id LIMIT %s OFFSET %s",
        (*args, wanted.limit, wanted.offset),
    )
    rows = fetch_dicts(cur)
    if wanted.deadlines:
        _attach_deadlines(cur, rows, datetime.now(UTC))
    return rows


def view_counts(
    cur: Cursor, wanted: CaseFilter, campuses: list[str] | None, liaison_department: str | None, role: str
) -> list[dict[str, Any]]:
    """How many cases each saved view of ``role`` holds within the caller's scope and ``wanted``'s filters,
    counted in one statement (each view's cases are read once, not per case)."""
    clauses, args = _scope(wanted, campuses, liaison_department)
    names = saved_views.VIEWS_OF.get(role, ())
    if not names:
        return []
    filters, filter_args = [], []
    now = datetime.now(UTC)
    for name in names:
        sql, view_args = saved_views.view(name, role, liaison_department, now)
        filters.append(f"count(*) FILTER (WHERE {sql})")
        filter_args += view_args
    # JIT off: at 100 k open cases the planner's estimate JIT-compiles the count, ~0.1 s for nothing.
    cur.execute(
        f"SET LOCAL jit = off; SELECT {', '.join(filters)} FROM cases c WHERE {' AND '.join(clauses)}",
        (*filter_args, *args),
    )
    counted = cur.fetchone()
    return [{"view": name, "count": count} for name, count in zip(names, counted, strict=True)]


def _attach_deadlines(cur: Cursor, rows: list[dict[str, Any]], now: datetime) -> None:
    """Each listed case's deadlines (as GET /cases/<id> gives them, without ``met_by``), in one read."""
    by_case: dict[str, list[dict[str, Any]]] = {str(row["complaint_id"]): [] for row in rows}
    cur.execute(
        f"SELECT complaint_id::text AS case_id, {DEADLINE_COLUMNS} FROM deadlines WHERE complaint_id = ANY(%s::uuid[])"
        " ORDER BY started_at, key",
        (list(by_case),),
    )
    for deadline in fetch_dicts(cur):
        deadline["overdue"] = domain.deadline_overdue(deadline["status"], deadline["on_hold"], deadline["due_at"], now)
        by_case[deadline.pop("case_id")].append(deadline)
    for row in rows:
        row["deadlines"] = by_case[str(row["complaint_id"])]


# CONTRACT §8: the sealing register and the police reports are shown on the case too (disputes.py).
STATE_KEYS += ("seals", "police_reports")
