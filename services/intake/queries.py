"""Intake's read models for GET: a complaint as staff see it (its personal data opened, its histories),
the listing, and the contact details the notification service asks for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.intake.search_terms import reference_form
from services.intake.settings import LIST_DEFAULT, SEARCH_KEY, VAULT
from services.intake.vault import PERSONAL, Erased
from shared.auth import LIAISON, Principal
from shared.db import Cursor, fetch_dicts
from shared.errors import UnknownItem

COLUMNS = (
    "complaint_id, reference, campus, campuses, channel, category, severity, source, departments,"
    " received_at, received_by, receiving_department, anonymous, status,"
    " status_changed_at, version, registered_at, representatives, kind, referral, adopted_at"
)
#: the complaints of some campuses (``GET /events`` for a caller who sees only those), given as a text[]
SCOPED_STREAMS = "SELECT complaint_id::text FROM complaints WHERE campuses && %s::text[]"


@dataclass(frozen=True)
class ComplaintsFilter:
    """``GET /complaints?campus=&status=&q=&limit=`` (None: any)."""

    campus: str | None = None
    status: str | None = None
    limit: int = LIST_DEFAULT
    q: str | None = None  # a reference, phone number, name or MRN: the whole value (search_terms.py)


def _sealed(cur: Cursor, complaint_id: str) -> tuple[bytes | None, dict[str, bytes | None]]:
    """The complaint's wrapped key (None once erased) and its sealed personal fields."""
    cur.execute(
        "SELECT k.wrapped_key, p.name_sealed, p.phone_sealed, p.email_sealed, p.relation_sealed,"
        " p.patient_name_sealed, p.patient_mrn_sealed, c.summary_sealed, c.desired_outcome_sealed,"
        " p.postal_address_sealed"
        " FROM complaints c LEFT JOIN complainant_keys k ON k.complainant_ref = c.complainant_ref"
        " LEFT JOIN complainants p ON p.complainant_ref = c.complainant_ref WHERE c.complaint_id = %s",
        (complaint_id,),
    )
    wrapped, *sealed = cur.fetchone()
    return wrapped, dict(zip(PERSONAL, sealed, strict=True))


def unsealed(cur: Cursor, complaint_id: str, ref: str) -> dict[str, Any]:
    """The complaint's personal data, opened with its own key; ``{"erased": True}`` once that key is gone."""
    wrapped, sealed = _sealed(cur, complaint_id)
    return VAULT.open_personal(wrapped, ref, complaint_id, sealed)


def preferred_channel(cur: Cursor, ref: str) -> str | None:
    """The complainant's preferred channel, once stated (a code, kept in the clear); None without."""
    cur.execute("SELECT preferred_channel FROM complainants WHERE complainant_ref = %s", (ref,))
    row = cur.fetchone()
    return row[0] if row else None


def _personal(cur: Cursor, complaint_id: str, ref: str) -> dict[str, Any]:
    data = unsealed(cur, complaint_id, ref)
    complainant = {k: data.get(k) for k in ("name", "phone", "email", "relation", "postal_address")}
    complainant["preferred_channel"] = None if data["erased"] else preferred_channel(cur, ref)
    return {
        "complainant": complainant,
        "patient": {"name": data.get("patient_name"), "mrn": data.get("patient_mrn")},
        "summary": data.get("summary"),
        "desired_outcome": data.get("desired_outcome"),
        "personal_data_erased": data["erased"],
    }


def _history(cur: Cursor, complaint_id: str) -> list[dict[str, Any]]:
    cur.execute(
        "SELECT action, status_before, status_after, actor_id, actor_role, occurred_at, details, event_id"
        " FROM complaint_actions WHERE complaint_id = %s ORDER BY id",
        (complaint_id,),
    )
    return [
        {
            "action": r["action"],
            "status_before": r["status_before"],
            "status_after": r["status_after"],
            "actor": {"id": r["actor_id"], "role": r["actor_role"]} if r["actor_id"] else None,
            "occurred_at": r["occurred_at"],
            "details": r["details"],
            "event_id": r["event_id"],
        }
        for r in fetch_dicts(cur)
    ]


def _classification_history(cur: Cursor, complaint_id: str) -> list[dict[str, Any]]:
    cur.execute(
        "SELECT previous, current, changed, note, reclassified_by, reclassified_at, event_id"
        " FROM classification_history WHERE complaint_id = %s ORDER BY id",
        (complaint_id,),
    )
    return fetch_dicts(cur)


def _found(cur: Cursor, complaint_id: str) -> tuple[dict[str, Any], list[str]] | None:
    """The complaint as staff see it, and the departments investigating it (not shown: they widen who
    may read it); None for an unknown id."""
    cur.execute(
        f"SELECT {COLUMNS}, complainant_ref, investigating_departments FROM complaints WHERE complaint_id = %s",
        (complaint_id,),
    )
    rows = fetch_dicts(cur)
    if not rows:
        return None
    complaint = rows[0]
    investigating = complaint.pop("investigating_departments")
    complaint.update(_personal(cur, complaint_id, complaint.pop("complainant_ref")))
    complaint["classification_history"] = _classification_history(cur, complaint_id)
    complaint["history"] = _history(cur, complaint_id)
    complaint["erasure_held_by"] = _holds(cur, complaint_id)
    return complaint, investigating


def _holds(cur: Cursor, complaint_id: str) -> list[dict[str, Any]]:
    """The unsettled disputes and seals in place that hold an erasure back (CONTRACT §8), as intake has seen them."""
    cur.execute(
        "SELECT kind, hold_id::text, placed_at FROM erasure_holds WHERE complaint_id = %s AND released_at IS NULL"
        " ORDER BY kind, hold_id",
        (complaint_id,),
    )
    return fetch_dicts(cur)


def complaint(cur: Cursor, complaint_id: str) -> dict[str, Any]:
    """The complaint as staff see it: with the complainant's and patient's details and its history."""
    found = _found(cur, complaint_id)
    if found is None:
        raise UnknownItem(f"no complaint {complaint_id}")
    return found[0]


def complaint_for(cur: Cursor, complaint_id: str, who: Principal) -> dict[str, Any]:
    """The complaint, if ``who`` may read it. Staff read complaints of their campuses; a department liaison
    only those of their department (on its own campus), including the departments assigned to investigate it
    later. Out of scope answers 404, as an unknown id does."""
    found = _found(cur, complaint_id)
    if found is None:
        raise UnknownItem(f"no complaint {complaint_id}")
    shown, investigating = found
    _require_readable(who, complaint_id, shown["campus"], shown["campuses"], [*shown["departments"], *investigating])
    return shown


def _require_readable(
    who: Principal, complaint_id: str, campus: str, campuses: list[str], departments: list[str]
) -> None:
    """Intake's read rule: staff read complaints of their campuses; a department liaison only those of their
    department (its own or investigating), on its own campus. Out of scope answers as an unknown id."""
    not_found = f"no complaint {complaint_id}"
    if who.role == LIAISON:
        who.require_visible(not_found, [campus], departments)
    else:
        who.require_visible(not_found, campuses)


def complaints(cur: Cursor, wanted: ComplaintsFilter, who: Principal) -> list[dict[str, Any]]:
    """The newest complaints ``who`` may see that match ``wanted``; ``campus`` matches every campus a
    complaint concerns."""
    clauses, args = [], []
    if wanted.campus is not None:
        who.require_campus(wanted.campus)
        clauses.append("%s = ANY(campuses)")
        args.append(wanted.campus)
    if who.campus_filter() is not None:
        clauses.append("campuses && %s")
        args.append(who.campus_filter())
    if who.role == LIAISON:
        clauses.append("(%s = ANY(departments) OR %s = ANY(investigating_departments))")
        args += [who.department, who.department]
    if wanted.status is not None:
        clauses.append("status = %s")
        args.append(wanted.status)
    matched, matched_args = "", []
    if wanted.q is not None:
        digests = SEARCH_KEY.candidates(wanted.q)
        clauses.append(f"(reference = %s OR complaint_id IN ({_MATCHING}))")
        args += [reference_form(wanted.q), digests]
        matched = f", reference = %s AS reference_matched, ARRAY({_MATCHED_FIELDS}) AS matched"
        matched_args = [reference_form(wanted.q), digests]
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    cur.execute(
        f"SELECT {COLUMNS}{matched} FROM complaints {where} ORDER BY received_at DESC, reference DESC LIMIT %s",
        (*matched_args, *args, wanted.limit),
    )
    rows = fetch_dicts(cur)
    for row in rows if wanted.q is not None else ():
        row["matched"] = (["reference"] if row.pop("reference_matched") else []) + list(row["matched"])
    return rows


# A search (``q``): the complaints one of whose details hashes as the query would, and which details did.
_MATCHING = "SELECT t.complaint_id FROM complaint_search_terms t WHERE t.digest = ANY(%s)"
_MATCHED_FIELDS = (
    "SELECT t.field FROM complaint_search_terms t WHERE t.complaint_id = complaints.complaint_id"
    " AND t.digest = ANY(%s) ORDER BY t.field"
)


def contact(cur: Cursor, complaint_id: str) -> dict[str, Any] | None:
    """How to reach the complainant (None for an unknown id); every personal field None when anonymous."""
    cur.execute(
        "SELECT anonymous, campus, reference, complainant_ref FROM complaints WHERE complaint_id = %s",
        (complaint_id,),
    )
    rows = fetch_dicts(cur)
    if not rows:
        return None
    found = rows[0]
    ref = found.pop("complainant_ref")
    data = unsealed(cur, complaint_id, ref)
    found.update(
        {k: data.get(k) for k in ("name", "phone", "email", "relation", "postal_address")}, erased=data["erased"]
    )
    found["preferred_channel"] = None if data["erased"] else preferred_channel(cur, ref)
    if found["anonymous"]:
        found.update(name=None, phone=None, email=None, relation=None, postal_address=None, preferred_channel=None)
    return found


# -- attachments --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Readable:
    """A complaint ``who`` may read, with what opens its sealed data (``wrapped_key`` None once erased)."""

    complaint_id: str
    complainant_ref: str
    wrapped_key: bytes | None

    def key(self) -> bytes:
        """The complaint's own key (raises ``vault.Erased`` once it was destroyed)."""
        return VAULT.unwrap(self.wrapped_key, self.complainant_ref)


def readable(cur: Cursor, complaint_id: str, who: Principal) -> Readable:
    """The complaint's attachments are for exactly who may read it (``complaint_for``'s rule): a liaison of
    another department gets the 404 an unknown complaint gets, as everywhere (an id out of scope does not say
    that the complaint exists)."""
    cur.execute(
        "SELECT c.campus, c.campuses, c.departments, c.investigating_departments, c.complainant_ref, k.wrapped_key"
        " FROM complaints c LEFT JOIN complainant_keys k ON k.complainant_ref = c.complainant_ref"
        " WHERE c.complaint_id = %s",
        (complaint_id,),
    )
    row = cur.fetchone()
    if row is None:
        raise UnknownItem(f"no complaint {complaint_id}")
    campus, campuses, departments, investigating, ref, wrapped = row
    covering = [*departments, *investigating]
    _require_readable(who, complaint_id, campus, list(campuses), covering)
    return Readable(complaint_id, ref, None if wrapped is None else bytes(wrapped))


def attachment_place(complaint_id: str, attachment_id: str) -> str:
    """What an attachment's sealed name and chunks are bound to (vault's ``where``)."""
    return f"{complaint_id}:attachment:{attachment_id}"


def attachments(cur: Cursor, complaint: Readable) -> list[dict[str, Any]]:
    """The complaint's attachments, oldest first; once erased, without their names (sealed, now unreadable)."""
    cur.execute(
        "SELECT attachment_id::text, name_sealed, media_type, size, sha256, added_at, added_by, added_by_role"
        " FROM attachments WHERE complaint_id = %s ORDER BY added_at, attachment_id",
        (complaint.complaint_id,),
    )
    rows = fetch_dicts(cur)
    try:
        key: bytes | None = complaint.key()
    except Erased:
        key = None
    for row in rows:
        sealed = row.pop("name_sealed")
        place = attachment_place(complaint.complaint_id, row["attachment_id"])
        row["name"] = None if key is None else VAULT.open(key, sealed, f"{place}:name")
        row["added_by"] = {"id": row["added_by"], "role": row.pop("added_by_role")}
        row["erased"] = key is None
    return rows


@dataclass(frozen=True)
class Stored:
    """One attachment to serve: its sealed chunks' store and count, and the key that opens them."""

    attachment_id: str
    name: str
    media_type: str
    size: int
    chunks: int
    storage: str
    place: str
    key: bytes


def attachment(cur: Cursor, complaint: Readable, attachment_id: str) -> Stored:
    """An attachment of the complaint (404 for another complaint's); ``vault.Erased`` once its key is gone."""
    cur.execute(
        "SELECT name_sealed, media_type, size, chunks, storage FROM attachments"
        " WHERE attachment_id = %s AND complaint_id = %s",
        (attachment_id, complaint.complaint_id),
    )
    row = cur.fetchone()
    if row is None:
        raise UnknownItem(f"no attachment {attachment_id} of complaint {complaint.complaint_id}")
    sealed, media_type, size, chunks, storage = row
    key = complaint.key()
    place = attachment_place(complaint.complaint_id, attachment_id)
    name = VAULT.open(key, sealed, f"{place}:name") or ""
    return Stored(attachment_id, name, media_type, size, chunks, storage, place, key)
