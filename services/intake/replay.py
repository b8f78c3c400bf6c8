"""Intake's replay hook (``python -m shared.replay intake --check``): complaints, their action history,
classification history and reference counters, rebuilt from intake's own log.

The sealed personal-data vault (``complainants``, ``complainant_keys`` and the sealed columns) never enters a
log, by design, and is not rebuilt; ``EXCLUDED`` lists every live column the log cannot give, and why.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg2.extras

from services.intake import domain, store
from shared.db import Cursor
from shared.envelope import Envelope

TABLES: dict[str, tuple[str, ...]] = {
    "complaints": ("complaint_id",),
    "complaint_actions": ("event_id",),
    "classification_history": ("event_id",),
    "reference_counters": ("campus", "year"),
}
EXCLUDED: dict[str, dict[str, str]] = {
    "complaints": {
        "summary_sealed": "sealed personal data (the vault)",
        "desired_outcome_sealed": "sealed personal data (the vault)",
        "complainant_ref": "the vault's key reference: every complaint has one, the log names it only when "
        "there is a complainant",
        "investigating_departments": "a copy of investigation's assignments (InvestigationOpened) kept for "
        "liaisons' read access; recording it as intake's event would move intake's "
        "stream versions, which intake's API and tests fix (docs/decisions.md)",
    },
    "complaint_actions": {
        "id": "a serial number, in commit order across complaints",
        "recorded_at": "when the row was written",
    },
    "classification_history": {"id": "a serial number, in commit order across complaints"},
}
ENDED = {
    "ComplaintResolvedOnSpot": (domain.RESOLVE_ON_SPOT, domain.RESOLVED_ON_SPOT),
    "ComplaintNotAccepted": (domain.NOT_ACCEPT, domain.NOT_ACCEPTED),
    "ComplaintWithdrawn": (domain.WITHDRAW, domain.WITHDRAWN),
}


def _action(
    cur: Cursor,
    event: Envelope,
    action: str,
    before: str | None,
    after: str,
    at: Any,
    details: dict[str, Any],
    event_id: str,
) -> None:
    # the service's own writer, so a rebuilt row is written exactly as the live one was
    store.record_action(cur, event.subject, action, before, after, event.data.get("actor"), at, details, event_id)


def _received(cur: Cursor, event: Envelope) -> None:
    data = event.data
    registered = data.get("registered_at") or event.time
    cur.execute(
        "INSERT INTO complaints (complaint_id, reference, campus, campuses, channel, category, severity,"
        " source, departments, received_at, received_by, receiving_department, anonymous, status, version,"
        " registered_at, status_changed_at, representatives, kind, referral) VALUES (%s, %s, %s, %s, %s, %s, %s,"
        " %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            event.subject,
            data["reference"],
            data["campus"],
            data["campuses"],
            data["channel"],
            data["category"],
            data["severity"],
            data["source"],
            data["departments"],
            data["received_at"],
            data.get("received_by"),
            data.get("receiving_department"),
            data["anonymous"],
            domain.RECEIVED,
            event.streamversion,
            registered,
            registered,
            data.get("representatives"),
            data.get("kind", domain.COMPLAINT),
            psycopg2.extras.Json(data["referral"]) if data.get("referral") else None,
        ),
    )
    year, number = data["reference"].rsplit("-", 2)[1:]
    cur.execute(
        "INSERT INTO reference_counters AS c (campus, year, last_number) VALUES (%s, %s, %s)"
        " ON CONFLICT (campus, year) DO UPDATE SET last_number = greatest(c.last_number, EXCLUDED.last_number)",
        (data["campus"], int(year), int(number)),
    )
    _action(cur, event, "register", None, domain.RECEIVED, event.time, {}, event.id)


def _status_of(cur: Cursor, complaint_id: str) -> str:
    cur.execute("SELECT status FROM complaints WHERE complaint_id = %s", (complaint_id,))
    return cur.fetchone()[0]


def _moved(cur: Cursor, event: Envelope, status: str, at: Any, **extra: Any) -> None:
    """The complaint's new status (its change time moves only when the status does) and stream version."""
    sets = "".join(f", {name} = %s" for name in extra)
    cur.execute(
        f"UPDATE complaints SET status = %s, version = %s{sets},"
        " status_changed_at = CASE WHEN status = %s THEN status_changed_at ELSE %s END"
        " WHERE complaint_id = %s",
        (status, event.streamversion, *extra.values(), status, at, event.subject),
    )


def _ended(cur: Cursor, event: Envelope) -> None:
    action, status = ENDED[event.type]
    data = event.data
    details = {
        "ComplaintResolvedOnSpot": {"resolution": data.get("resolution")},
        "ComplaintNotAccepted": {
            "reason": data.get("reason"),
            "route_advice": data.get("route_advice"),
            "duplicate_of": data.get("duplicate_of"),
        },
        "ComplaintWithdrawn": {"reason": data.get("reason")},
    }[event.type]
    before = _status_of(cur, event.subject)
    _moved(cur, event, status, event.time)
    _action(cur, event, action, before, status, event.time, {k: v for k, v in details.items() if v}, event.id)


def _reclassified(cur: Cursor, event: Envelope) -> None:
    data, status = event.data, _status_of(cur, event.subject)
    current = data["current"]
    changed = sorted(domain.classification_diff(data["previous"], current))
    _moved(
        cur,
        event,
        status,
        event.time,
        category=current["category"],
        severity=current["severity"],
        departments=current["departments"],
        campuses=current["campuses"],
    )
    details: dict[str, Any] = {"changed": changed, **({"note": data["note"]} if data.get("note") else {})}
    _action(cur, event, domain.RECLASSIFY, status, status, event.time, details, event.id)
    cur.execute(
        "INSERT INTO classification_history (complaint_id, previous, current, changed, note, reclassified_by,"
        " reclassified_at, event_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (
            event.subject,
            psycopg2.extras.Json(data["previous"]),
            psycopg2.extras.Json(current),
            changed,
            data.get("note"),
            data.get("reclassified_by") or (data.get("actor") or {}).get("id"),
            event.time,
            event.id,
        ),
    )


def _followed(cur: Cursor, event: Envelope) -> None:
    data = event.data
    before = _status_of(cur, event.subject)
    _moved(cur, event, data["status"], data["followed_at"], followed_version=data["cause_version"])
    details = {k: data[k] for k in ("outcome", "reason", "note") if data.get(k) is not None}
    _action(
        cur,
        event,
        data["followed"],
        before,
        data["status"],
        data["followed_at"],
        {**details, "source": "investigation"},
        data["cause_id"],
    )


def _erased(cur: Cursor, event: Envelope) -> None:
    status = _status_of(cur, event.subject)
    _moved(cur, event, status, event.time)
    _action(cur, event, "erasure", status, status, event.data["erased_at"], {"reason": event.data["reason"]}, event.id)


def _attached(cur: Cursor, event: Envelope) -> None:
    """The attachment's action and stream version; the attachment's row and chunks are the vault's (sealed
    name, sealed content) and, like it, not rebuilt from the log (EXCLUDED says so for the tables it reads)."""
    data, status = event.data, _status_of(cur, event.subject)
    _moved(cur, event, status, event.time)
    details = {k: data[k] for k in ("attachment_id", "media_type", "size")}
    _action(cur, event, domain.ATTACH, status, status, data["added_at"], details, event.id)


def _adopted(cur: Cursor, event: Envelope) -> None:
    status = _status_of(cur, event.subject)
    _moved(cur, event, status, event.time, adopted_at=event.data["adopted_at"])
    details = {"note": event.data["note"]} if event.data.get("note") else {}
    _action(cur, event, domain.ADOPT, status, status, event.data["adopted_at"], details, event.id)


def _contact_corrected(cur: Cursor, event: Envelope) -> None:
    """The correction's action and stream version; the corrected details are the vault's, not the log's."""
    status = _status_of(cur, event.subject)
    _moved(cur, event, status, event.time)
    details = {"changed": event.data["changed"]}
    _action(cur, event, domain.CORRECT_CONTACT, status, status, event.data["corrected_at"], details, event.id)


FOLD = {
    "ComplaintReceived": _received,
    **dict.fromkeys(ENDED, _ended),
    "ComplaintReclassified": _reclassified,
    "ComplaintStatusFollowed": _followed,
    "PersonalDataErased": _erased,
    "AttachmentAdded": _attached,
    "SuggestionAdopted": _adopted,
    "ContactDetailsCorrected": _contact_corrected,
}


def rebuild(cur: Cursor, events: Iterator[Envelope]) -> None:
    for event in events:
        FOLD[event.type](cur, event)
