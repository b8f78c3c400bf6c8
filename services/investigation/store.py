"""Loading, deciding and saving cases: the one path every change to a case takes.

``apply`` appends the decided events to investigation's log, folds them into the case and saves
the case and its deadlines, all in the caller's transaction (an HTTP command's, a consumed
event's, or the deadline engine's).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime

import orjson
import psycopg2.extras

from services.investigation import domain, metrics
from services.investigation.settings import HOSPITAL, SERVICE
from shared.db import Cursor
from shared.envelope import Envelope, new_event, rfc3339
from shared.errors import UnknownItem
from shared.eventstore import EventStore

STORE = EventStore(SERVICE)
log = logging.getLogger(__name__)


def load(cur: Cursor, complaint_id: str) -> domain.Case:
    """The case, locked for the rest of the transaction (actions on one case are serialised)."""
    cur.execute("SELECT state FROM cases WHERE complaint_id = %s FOR UPDATE", (complaint_id,))
    row = cur.fetchone()
    if row is None:
        raise UnknownItem(f"no case {complaint_id}")
    return domain.Case.from_json(row[0])


def exists(cur: Cursor, complaint_id: str) -> bool:
    """Whether the complaint has a case (suggestions and compliments have none)."""
    cur.execute("SELECT 1 FROM cases WHERE complaint_id = %s", (complaint_id,))
    return cur.fetchone() is not None


def try_lock(cur: Cursor, complaint_id: str) -> domain.Case | None:
    """The case if nobody else holds it now (the deadline engine skips busy cases until next tick)."""
    cur.execute("SELECT state FROM cases WHERE complaint_id = %s FOR UPDATE SKIP LOCKED", (complaint_id,))
    row = cur.fetchone()
    return domain.Case.from_json(row[0]) if row else None


def _dumps(state: dict) -> str:
    return orjson.dumps(state).decode()


def save(cur: Cursor, case: domain.Case, now: datetime) -> None:
    """The case's row and its deadlines' rows, as the case now is."""
    cur.execute(
        "INSERT INTO cases (complaint_id, reference, campus, category, severity, source, status, departments,"
        " escalated, provisional, received_at, updated_at, version, state)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (complaint_id) DO UPDATE SET category = EXCLUDED.category, severity = EXCLUDED.severity,"
        " status = EXCLUDED.status, departments = EXCLUDED.departments, escalated = EXCLUDED.escalated,"
        " provisional = EXCLUDED.provisional, updated_at = EXCLUDED.updated_at, version = EXCLUDED.version,"
        " state = EXCLUDED.state",
        (
            case.complaint_id,
            case.reference,
            case.campus,
            case.category,
            case.severity,
            case.source,
            case.status,
            case.departments,
            case.escalated,
            case.provisional(),
            case.received_at,
            now,
            case.version,
            psycopg2.extras.Json(case.to_json(), dumps=_dumps),
        ),
    )
    _save_deadlines(cur, case)


def _save_deadlines(cur: Cursor, case: domain.Case) -> None:
    calendar, days = HOSPITAL.calendar(case.campus), HOSPITAL.breach_escalation_working_days(case.campus)
    psycopg2.extras.execute_values(
        cur,
        """
        INSERT INTO deadlines (complaint_id, key, campus, kind, department, due_at, remind_at, last_day, working_days,
            provisional, calendar_version, policy_version, status, reminded, on_hold, started_at, breached_at, met_at,
            escalate_at, ladder_escalated)
        VALUES %s
        ON CONFLICT (complaint_id, key) DO UPDATE SET due_at = EXCLUDED.due_at, remind_at = EXCLUDED.remind_at,
            last_day = EXCLUDED.last_day, working_days = EXCLUDED.working_days, provisional = EXCLUDED.provisional,
            calendar_version = EXCLUDED.calendar_version, policy_version = EXCLUDED.policy_version,
            status = EXCLUDED.status, reminded = EXCLUDED.reminded, on_hold = EXCLUDED.on_hold,
            started_at = EXCLUDED.started_at, breached_at = EXCLUDED.breached_at, met_at = EXCLUDED.met_at,
            escalate_at = EXCLUDED.escalate_at, ladder_escalated = EXCLUDED.ladder_escalated""",
        [
            (
                case.complaint_id,
                c.key,
                case.campus,
                c.due["kind"],
                c.due.get("department"),
                c.due["due_at"],
                c.remind_at,
                c.due["last_day"],
                c.due["working_days"],
                c.due["provisional"],
                c.due["calendar_version"],
                c.due["policy_version"],
                c.status,
                c.reminded,
                c.on_hold,
                c.started_at,
                c.breached_at,
                c.met_at,
                domain.ladder_due(c, calendar, days),
                c.ladder_escalated,
            )
            for c in case.clocks.values()
        ],
    )


def _chain_of(cur: Cursor, complaint_id: str) -> str | None:
    """The correlation id of the complaint's chain (carried by the case's first event)."""
    cur.execute(
        "SELECT correlation_id FROM events WHERE stream_id = %s ORDER BY stream_version LIMIT 1", (complaint_id,)
    )
    row = cur.fetchone()
    return str(row[0]) if row else None


def apply(
    cur: Cursor,
    case: domain.Case,
    decision: domain.Decision,
    now: datetime,
    cause: Envelope | None = None,
    actor: dict[str, str] | None = None,
) -> list[Envelope]:
    """Append the decided events, fold them into the case, save it; returns the events as placed.
    ``actor``: who acted (the caller's token), recorded on every event of the decision."""
    if not decision:
        return []
    if actor is not None:
        decision = [(event_type, {**data, "actor": actor}) for event_type, data in decision]
    # CONTRACT §12: caused by an event, or by one request (or one run of the clock): one id for all of them;
    # correlated to the complaint's first event, which the case's first event already names.
    causation = cause.id if cause else str(uuid.uuid4())
    correlation = cause.correlationid if cause else _chain_of(cur, case.complaint_id)
    events = [
        new_event(
            SERVICE, event_type, case.complaint_id, data, time=now, correlationid=correlation, causationid=causation
        )
        for event_type, data in decision
    ]
    placed = STORE.append(cur, case.complaint_id, case.version, events)
    calendar = HOSPITAL.calendar(case.campus)
    days_before = HOSPITAL.policy(case.campus)["reminder_days_before"]
    for event in placed:
        domain.evolve(
            case,
            event.type,
            event.data,
            rfc3339(event.time),
            domain.reminders_for(event.data, event.type, calendar, days_before),
        )
    case.version = placed[-1].streamversion
    save(cur, case, now)
    for event in placed:
        if any(d.get("provisional") for d in domain.deadlines_started(event.type, event.data)):
            log.warning(
                "provisional deadline for %s: the %s calendar does not cover its year yet",
                case.reference,
                case.campus,
                extra={"complaint_id": case.complaint_id, "campus": case.campus, "event_type": event.type},
            )
    return placed


def run(
    cur: Cursor,
    complaint_id: str,
    now: datetime,
    decide: Callable[[domain.Case], domain.Decision],
    actor: dict[str, str] | None = None,
) -> tuple[domain.Case, list[Envelope]]:
    """Load (locked), decide, apply: the body of every HTTP command."""
    case = load(cur, complaint_id)
    placed = apply(cur, case, decide(case), now, actor=actor)
    return case, placed


def observe(placed: list[Envelope]) -> None:
    """Metrics for what was committed (called after the transaction)."""
    for event in placed:
        metrics.observe_event(event, HOSPITAL)
