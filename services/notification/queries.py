"""Notification's read models for GET: what was sent about a complaint, the office's letters, and which
complaints a campus-scoped reader of GET /events may see."""

from __future__ import annotations

from typing import Any

from shared.db import Cursor, fetch_dicts

# What a reader is shown of a notification (never contact details: those are not stored).
COLUMNS = (
    "notification_id, complaint_id, purpose, campus, recipient_role, recipient_id, channel, status, attempts,"
    " last_error, detail, created_at, sent_at, updated_at"
)
# GET /events for a campus-scoped reader: the complaints with a notification on its campuses.
SCOPED_STREAMS = "SELECT complaint_id::text FROM notifications WHERE campus = ANY(%s)"


def notifications_of(cur: Cursor, complaint_id: str) -> list[dict[str, Any]]:
    cur.execute(f"SELECT {COLUMNS} FROM notifications WHERE complaint_id = %s ORDER BY created_at", (complaint_id,))
    return fetch_dicts(cur)


def letters(cur: Cursor, status: str, campus: str | None, visible_campuses: list[str] | None) -> list[dict[str, Any]]:
    """Letters in ``status``, on ``campus`` if given, and only on ``visible_campuses`` unless that is None (all)."""
    clauses, args = ["channel = 'letter' AND status = %s"], [status]
    if campus is not None:
        clauses.append("campus = %s")
        args.append(campus)
    if visible_campuses is not None:
        clauses.append("campus = ANY(%s)")
        args.append(visible_campuses)
    cur.execute(f"SELECT {COLUMNS} FROM notifications WHERE {' AND '.join(clauses)} ORDER BY created_at", args)
    return fetch_dicts(cur)
