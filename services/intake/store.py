"""Loading, deciding and saving complaints: the one path every change to a complaint takes.

A registration decides the new complaint's ``ComplaintReceived`` and writes it; every later change loads
the complaint locked, lets the domain decide, then saves the new state, its action row and its event in
the caller's transaction. Personal data is sealed here on the way in (the vault, settings.VAULT) and its
key destroyed on erasure; it never enters an event.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

import psycopg2.extras

from services.intake import domain, search_index
from services.intake.blobs import ChunkStore
from services.intake.queries import Readable, attachment_place
from services.intake.settings import DEPARTMENTS_ON, HOSPITAL, SERVICE, VAULT
from shared.auth import Principal
from shared.db import Cursor, hold_until_commit
from shared.envelope import Envelope, new_event
from shared.errors import UnknownItem
from shared.eventstore import EventStore

STORE = EventStore(SERVICE)
Decide = Callable[[domain.Complaint, Any, domain.Context], domain.Decision]


def record_action(
    cur: Cursor,
    complaint_id: str,
    action: str,
    before: str | None,
    after: str,
    actor: dict[str, str] | None,
    at: datetime,
    details: dict[str, Any],
    event_id: str | None,
) -> None:
    """One row of the complaint's history (replay.py writes the rebuilt ones with it too)."""
    actor = actor or {}
    cur.execute(
        "INSERT INTO complaint_actions (complaint_id, action, status_before, status_after, actor_id, actor_role,"
        " occurred_at, details, event_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            complaint_id,
            action,
            before,
            after,
            actor.get("id"),
            actor.get("role"),
            at,
            psycopg2.extras.Json(details),
            event_id,
        ),
    )


# -- registering --------------------------------------------------------------------------------


def _next_reference(cur: Cursor, campus: str, received_at: datetime) -> str:
    """The campus's next number of that year. The counter row stays locked until commit, so two
    registrations never share a number, and a rolled-back registration gives its number back."""
    settings = HOSPITAL.campuses[campus]
    year = domain.reference_year(received_at, settings["timezone"])
    cur.execute(
        "INSERT INTO reference_counters AS c (campus, year, last_number) VALUES (%s, %s, 1)"
        " ON CONFLICT (campus, year) DO UPDATE SET last_number = c.last_number + 1"
        " RETURNING last_number",
        (campus, year),
    )
    hold_until_commit(cur)  # the campus's registrations queue behind this one until it commits
    return domain.reference(settings["reference_prefix"], year, cur.fetchone()[0])


def _personal_values(command: domain.Register) -> dict[str, str | None]:
    person, patient = command.complainant or {}, command.patient or {}
    return {
        **{name: person.get(name) for name in ("name", "phone", "email", "relation", "postal_address")},
        "patient_name": patient.get("name"),
        "patient_mrn": patient.get("mrn"),
        "summary": command.summary,
        "desired_outcome": command.desired_outcome,
    }


def _insert_complaint(
    cur: Cursor, command: domain.Register, new: domain.Identity, key_ref: str, sealed: dict[str, Any], at: datetime
) -> None:
    cur.execute(
        "INSERT INTO complaints (complaint_id, reference, campus, campuses, channel, category, severity,"
        " source, departments, summary_sealed, desired_outcome_sealed, received_at, received_by,"
        " receiving_department, anonymous, complainant_ref, status, version, registered_at,"
        " status_changed_at, representatives, kind, referral) VALUES"
        " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1, %s, %s, %s, %s, %s)",
        (
            new.complaint_id,
            new.reference,
            command.campus,
            [command.campus],
            command.channel,
            command.category,
            command.severity,
            command.source,
            command.departments,
            sealed["summary"],
            sealed["desired_outcome"],
            command.received_at,
            command.received_by,
            command.receiving_department,
            command.anonymous,
            key_ref,
            domain.RECEIVED,
            at,
            at,
            command.representatives,
            command.kind,
            psycopg2.extras.Json(_referral_json(command.referral)) if command.referral else None,
        ),
    )


def _referral_json(referral: dict[str, Any]) -> dict[str, Any]:
    return {**referral, "reply_due": referral["reply_due"].isoformat()}


def _insert_complainant(cur: Cursor, complaint_id: str, key_ref: str, sealed: dict[str, Any]) -> None:
    """The complainant's and patient's sealed details (after the complaint, which the row names)."""
    cur.execute(
        "INSERT INTO complainants (complainant_ref, complaint_id, relation_sealed, name_sealed, phone_sealed,"
        " email_sealed, patient_name_sealed, patient_mrn_sealed, postal_address_sealed)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            key_ref,
            complaint_id,
            *(
                sealed[name]
                for name in ("relation", "name", "phone", "email", "patient_name", "patient_mrn", "postal_address")
            ),
        ),
    )


def register(cur: Cursor, command: domain.Register, who: Principal) -> domain.Registration:
    """Number, decide and write a new complaint, its sealed personal data and its ``ComplaintReceived``."""
    command = dataclasses.replace(command, received_at=command.received_at or datetime.now(UTC))
    complaint_id = str(uuid.uuid4())
    # Every complaint's personal data (names, numbers, its free text) is sealed with a key of its own.
    key_ref = f"cp-{uuid.uuid4().hex}"
    key, wrapped = VAULT.new_key(key_ref)
    sealed = VAULT.seal_personal(key, complaint_id, _personal_values(command))
    complainant_ref = key_ref if (command.complainant or command.patient) else None
    context = domain.Context(now=datetime.now(UTC), actor=who.actor)
    # The complaint's rows go in first, its id standing in for its number: the campus's counter row is
    # locked from numbering until commit, so every registration of the campus queues behind that part
    # alone (at 50 a second they queued behind the whole transaction).
    unnumbered = domain.Identity(complaint_id, complaint_id, complainant_ref)
    registered_at = datetime.fromisoformat(domain.register(unnumbered, command, context).event_data["registered_at"])
    cur.execute("INSERT INTO complainant_keys (complainant_ref, wrapped_key) VALUES (%s, %s)", (key_ref, wrapped))
    _insert_complaint(cur, command, unnumbered, key_ref, sealed, registered_at)
    _insert_complainant(cur, complaint_id, key_ref, sealed)
    index_for_search(cur, complaint_id, _personal_values(command))
    reference = _next_reference(cur, command.campus, command.received_at)
    cur.execute("UPDATE complaints SET reference = %s WHERE complaint_id = %s", (reference, complaint_id))
    registration = domain.register(domain.Identity(complaint_id, reference, complainant_ref), command, context)
    event = new_event(
        SERVICE,
        "ComplaintReceived",
        complaint_id,
        {**registration.event_data, "actor": who.actor},
        time=command.received_at,
        causationid=str(uuid.uuid4()),  # the request
    )
    record_action(cur, complaint_id, "register", None, domain.RECEIVED, who.actor, command.received_at, {}, event.id)
    STORE.append(cur, complaint_id, 0, [event])
    return registration


# -- changing -----------------------------------------------------------------------------------


class Locked(NamedTuple):
    """A complaint loaded for a change: what the rules see, its stream version and its key's reference."""

    complaint: domain.Complaint
    version: int
    complainant_ref: str | None


def load(cur: Cursor, complaint_id: str) -> Locked:
    """The complaint, locked for the rest of the transaction (changes to one complaint are serialised)."""
    cur.execute(
        "SELECT complaint_id, campus, status, received_at, category, severity, departments, campuses, version,"
        " complainant_ref, kind, adopted_at IS NOT NULL, anonymous FROM complaints WHERE complaint_id = %s"
        " FOR UPDATE",
        (complaint_id,),
    )
    row = cur.fetchone()
    if row is None:
        raise UnknownItem(f"no complaint {complaint_id}")
    cid, campus, status, received_at, category, severity, departments, campuses, version, ref, kind, adopted, anon = row
    # Read once the complaint is locked (a statement of its own, so it sees an erasure that held the lock):
    # two erasures at once are one erasure and one refusal.
    cur.execute("SELECT erased_at IS NOT NULL FROM complainant_keys WHERE complainant_ref = %s", (ref,))
    key = cur.fetchone()
    # Holds are placed by the projection without locking the complaint: an erasure committed before a hold
    # is the window docs/decisions.md describes; one that reads the hold here is refused.
    cur.execute(
        "SELECT kind, hold_id FROM erasure_holds WHERE complaint_id = %s AND released_at IS NULL", (complaint_id,)
    )
    holds = tuple(domain.Hold(kind, str(hold_id)) for kind, hold_id in cur.fetchall())
    complaint = domain.Complaint(
        str(cid),
        campus,
        status,
        received_at,
        category,
        severity,
        tuple(departments),
        tuple(campuses),
        personal_data_erased=bool(key and key[0]),
        holds=holds,
        kind=kind,
        adopted=adopted,
        anonymous=anon,
    )
    return Locked(complaint, version, ref)


def _existing(cur: Cursor, command: Any) -> frozenset[str]:
    """Of the other complaints the command names (a duplicate's original), those that exist."""
    named = getattr(command, "duplicate_of", None)
    if not named:
        return frozenset()
    cur.execute("SELECT 1 FROM complaints WHERE complaint_id = %s", (str(named),))
    return frozenset({str(named)}) if cur.fetchone() is not None else frozenset()


def change(cur: Cursor, complaint_id: str, who: Principal, decide: Decide, command: Any) -> Envelope:
    """Lock the complaint, let the domain decide, write the new state and its event in this transaction."""
    locked = load(cur, complaint_id)
    who.require_visible(f"no complaint {complaint_id}", locked.complaint.campuses)
    context = domain.Context(
        now=datetime.now(UTC), actor=who.actor, departments_on=DEPARTMENTS_ON, existing=_existing(cur, command)
    )
    decision = decide(locked.complaint, command, context)
    event = _event_of(cur, complaint_id, decision, who.actor)
    _save(cur, locked, decision)
    if decision.adopted:
        cur.execute("UPDATE complaints SET adopted_at = %s WHERE complaint_id = %s", (decision.at, complaint_id))
    _record_decision(cur, complaint_id, decision, who, event)
    if decision.classification is not None:
        _record_reclassification(cur, complaint_id, decision, event)
    if decision.erasure_reason is not None:
        _destroy_key(cur, locked, decision, who)
    STORE.append(cur, complaint_id, locked.version, [event])
    return event


def _event_of(cur: Cursor, complaint_id: str, decision: domain.Decision, actor: dict[str, str]) -> Envelope:
    """The decision's event, its actor the caller, in the complaint's chain (CONTRACT §12)."""
    first = STORE.read_stream(cur, complaint_id)[:1]
    return new_event(
        SERVICE,
        decision.event_type,
        complaint_id,
        {**decision.event_data, "actor": actor},
        time=decision.at,
        correlationid=first[0].correlationid if first else None,
        causationid=str(uuid.uuid4()),  # the request
    )


def _save(cur: Cursor, locked: Locked, decision: domain.Decision) -> None:
    """The complaint's new status and classification; its change time moves only when the status does."""
    classification = decision.classification or locked.complaint.classification()
    cur.execute(
        "UPDATE complaints SET status = %s, category = %s, severity = %s, departments = %s, campuses = %s,"
        " version = %s, status_changed_at = CASE WHEN status = %s THEN status_changed_at ELSE %s END"
        " WHERE complaint_id = %s",
        (
            decision.status,
            classification["category"],
            classification["severity"],
            classification["departments"],
            classification["campuses"],
            locked.version + 1,
            decision.status,
            decision.at,
            locked.complaint.complaint_id,
        ),
    )


def _record_reclassification(cur: Cursor, complaint_id: str, decision: domain.Decision, event: Envelope) -> None:
    cur.execute(
        "INSERT INTO classification_history (complaint_id, previous, current, changed, note,"
        " reclassified_by, reclassified_at, event_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (
            complaint_id,
            psycopg2.extras.Json(event.data["previous"]),
            psycopg2.extras.Json(event.data["current"]),
            decision.details["changed"],
            decision.details.get("note"),
            decision.actor["id"],
            decision.at,
            event.id,
        ),
    )


def _destroy_key(cur: Cursor, locked: Locked, decision: domain.Decision, who: Principal) -> None:
    """Crypto-shredding: without its key the complaint's sealed data can never be read again. The key row
    itself never enters a log (the erasure's event carries no personal data)."""
    cur.execute(
        "UPDATE complainant_keys SET wrapped_key = NULL, erased_at = %s, erased_by = %s,"
        " erasure_reason = %s WHERE complainant_ref = %s",
        (decision.at, who.subject, decision.erasure_reason, locked.complainant_ref),
    )
    if cur.rowcount == 0:  # a complaint without a key (never expected): as before, nothing to erase is unknown
        raise UnknownItem(f"no complaint {locked.complaint.complaint_id}")
    search_index.forget(cur, locked.complaint.complaint_id)  # found by its reference only, from now on


def index_for_search(cur: Cursor, complaint_id: str, values: Mapping[str, str | None] | None = None) -> None:
    """(Re)write the complaint's search index rows, in the caller's transaction: from ``values`` (its personal
    data in clear, vault.PERSONAL names, e.g. corrected contact details; the caller holds the complaint's row
    lock, as ``change`` takes it) or, without them, from its sealed data (the row locked here)."""
    if values is None:
        search_index.reindex(cur, complaint_id)
    else:
        search_index.write(cur, complaint_id, values)


# -- correcting the contact details -------------------------------------------------------------------


def _record_decision(
    cur: Cursor, complaint_id: str, decision: domain.Decision, who: Principal, event: Envelope
) -> None:
    """The action row of a decision on an existing complaint, beside the event that records it."""
    record_action(
        cur,
        complaint_id,
        decision.action,
        decision.status_before,
        decision.status,
        who.actor,
        decision.at,
        decision.details,
        event.id,
    )


def correct_contact(cur: Cursor, complaint_id: str, who: Principal, command: domain.CorrectContact) -> Envelope:
    """The complainant's corrected contact details, sealed with the complaint's key like the rest, with their
    action row and ``ContactDetailsCorrected`` (which fields changed, no values) in this transaction."""
    locked = load(cur, complaint_id)
    who.require_visible(f"no complaint {complaint_id}", locked.complaint.campuses)
    current, key = _contact_now(cur, complaint_id, locked)
    context = domain.Context(now=datetime.now(UTC), actor=who.actor)
    decision = domain.correct_contact(locked.complaint, command, context, current, registered_by(cur, complaint_id))
    event = _event_of(cur, complaint_id, decision, who.actor)
    corrected = decision.contact or {}
    place = {name: f"{complaint_id}:{name}" for name in ("phone", "email", "postal_address")}
    cur.execute(
        "UPDATE complainants SET phone_sealed = %s, email_sealed = %s, postal_address_sealed = %s,"
        " preferred_channel = %s WHERE complainant_ref = %s",
        (
            *(VAULT.seal(key, corrected.get(name), where) for name, where in place.items()),
            corrected.get("preferred_channel"),
            locked.complainant_ref,
        ),
    )
    index_for_search(cur, complaint_id)  # from the details just sealed: the old phone finds it no more
    _save(cur, locked, decision)
    _record_decision(cur, complaint_id, decision, who, event)
    STORE.append(cur, complaint_id, locked.version, [event])
    return event


def _contact_now(cur: Cursor, complaint_id: str, locked: Locked) -> tuple[dict[str, str | None], bytes | None]:
    """The contact details as they are (opened with the complaint's key) and that key (None once erased)."""
    cur.execute(
        "SELECT k.wrapped_key, p.phone_sealed, p.email_sealed, p.postal_address_sealed, p.preferred_channel"
        " FROM complainant_keys k LEFT JOIN complainants p ON p.complainant_ref = k.complainant_ref"
        " WHERE k.complainant_ref = %s",
        (locked.complainant_ref,),
    )
    row = cur.fetchone()
    if row is None or row[0] is None:
        return {}, None  # erased (the domain refuses): nothing to open
    wrapped, *sealed, preferred = row
    key = VAULT.unwrap(wrapped, str(locked.complainant_ref))
    names = ("phone", "email", "postal_address")
    opened = {name: VAULT.open(key, blob, f"{complaint_id}:{name}") for name, blob in zip(names, sealed, strict=True)}
    return {**opened, "preferred_channel": preferred}, key


def registered_by(cur: Cursor, complaint_id: str) -> str | None:
    """The staff member who registered the complaint (its registration's actor)."""
    cur.execute(
        "SELECT actor_id FROM complaint_actions WHERE complaint_id = %s AND action = 'register' ORDER BY id LIMIT 1",
        (complaint_id,),
    )
    row = cur.fetchone()
    return row[0] if row else None


# -- attachments --------------------------------------------------------------------------------


def _seal_chunks(
    cur: Cursor, chunks: Iterable[bytes], key: bytes, place: str, attachment_id: str, to: ChunkStore
) -> tuple[int, int, str]:
    """Seal and store each chunk as it comes (one behind, to know which is the last); its count, the size
    and the SHA-256 of the content."""
    digest, size, index, previous = hashlib.sha256(), 0, 0, None
    for chunk in chunks:
        if previous is not None:
            to.put(cur, attachment_id, index, VAULT.seal_chunk(key, previous, place, index, final=False))
            index += 1
        digest.update(chunk)
        size += len(chunk)
        previous = chunk
    if previous is None:
        raise ValueError("no content")  # the caller reads the first chunk before it calls
    to.put(cur, attachment_id, index, VAULT.seal_chunk(key, previous, place, index, final=True))
    return index + 1, size, digest.hexdigest()


def add_attachment(
    cur: Cursor,
    complaint: Readable,
    who: Principal,
    name: str,
    media_type: str,
    chunks: Iterable[bytes],
    to: ChunkStore,
) -> domain.AddAttachment:
    """Stream a file into the store sealed with the complaint's key, then — the complaint locked only now, so a
    slow upload holds no one up — its row, its action and its ``AttachmentAdded`` in this transaction."""
    attachment_id = str(uuid.uuid4())
    place = attachment_place(complaint.complaint_id, attachment_id)
    key = complaint.key()
    try:
        written, size, sha256 = _seal_chunks(cur, chunks, key, place, attachment_id, to)
        added = domain.AddAttachment(attachment_id, media_type, size, sha256)
        event = change(cur, complaint.complaint_id, who, domain.add_attachment, added)
        cur.execute(
            "INSERT INTO attachments (attachment_id, complaint_id, name_sealed, media_type, size, sha256, chunks,"
            " storage, added_at, added_by, added_by_role, event_id) VALUES"
            " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                attachment_id,
                complaint.complaint_id,
                VAULT.seal(key, name, f"{place}:name"),
                media_type,
                size,
                sha256,
                written,
                to.kind,
                event.data["added_at"],
                who.subject,
                who.role,
                event.id,
            ),
        )
    except BaseException:
        to.discard(attachment_id)
        raise
    return added


# -- following investigation --------------------------------------------------------------------


def _followed_event(
    event: Envelope, campus: str, action: str, status: str, at: Any, details: dict[str, Any]
) -> Envelope:
    """Intake's own ``ComplaintStatusFollowed``: the complaint rebuilds from intake's log alone."""
    complaint_id = str(event.data["complaint_id"])
    actor = event.data.get("actor") or {}
    return new_event(
        SERVICE,
        "ComplaintStatusFollowed",
        complaint_id,
        {
            "complaint_id": complaint_id,
            "campus": campus,
            "followed": action,
            "status": status,
            "followed_at": at,
            "cause_id": event.id,
            "cause_version": event.streamversion,
            **{k: v for k, v in details.items() if k != "source"},
            **({"actor": actor} if actor else {}),
        },
        time=event.time,
        correlationid=event.correlationid,
        causationid=event.id,
    )


def follow(
    cur: Cursor, event: Envelope, action: str, rule: Callable[[str], str], at_field: str, details: dict[str, Any]
) -> None:
    """Follow investigation's event: the new status (``rule`` of the old one) and its action row, recorded as
    intake's own event in the same transaction. An event older than the last one followed changes nothing."""
    complaint_id = str(event.data["complaint_id"])
    cur.execute(
        "SELECT status, followed_version, version, campus FROM complaints WHERE complaint_id = %s FOR UPDATE",
        (complaint_id,),
    )
    row = cur.fetchone()
    if row is None:  # parked: investigation knows a complaint intake does not (never expected)
        raise LookupError(f"{event.type} {event.id} for unknown complaint {complaint_id}")
    status, followed, version, campus = row
    if domain.is_stale(followed, event.streamversion):
        return
    new_status = rule(status)
    at = event.data.get(at_field) or event.time
    details = {k: v for k, v in details.items() if v is not None}
    followed_event = _followed_event(event, campus, action, new_status, at, details)
    cur.execute(
        "UPDATE complaints SET status = %s, followed_version = %s, version = %s,"
        " status_changed_at = CASE WHEN status = %s THEN status_changed_at ELSE %s END"
        " WHERE complaint_id = %s",
        (new_status, event.streamversion, version + 1, new_status, at, complaint_id),
    )
    actor = event.data.get("actor") or {}
    cur.execute(
        "INSERT INTO complaint_actions (complaint_id, action, status_before, status_after, actor_id, actor_role,"
        " occurred_at, details, event_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (event_id) DO NOTHING",
        (
            complaint_id,
            action,
            status,
            new_status,
            actor.get("id"),
            actor.get("role"),
            at,
            psycopg2.extras.Json(details),
            event.id,
        ),
    )
    STORE.append(cur, complaint_id, version, [followed_event])


def add_investigating(cur: Cursor, complaint_id: str, departments: list[str]) -> None:
    """Departments assigned to investigate; idempotent (a set union), so order and redelivery do not matter."""
    cur.execute(
        "UPDATE complaints SET investigating_departments = ARRAY(SELECT DISTINCT d FROM unnest("
        "investigating_departments || %s::text[]) AS d ORDER BY d) WHERE complaint_id = %s",
        (departments, complaint_id),
    )


def place_hold(cur: Cursor, kind: str, hold_id: str, complaint_id: str, at: Any, event_id: str) -> None:
    """A dispute recorded or records sealed: it holds erasure back until released. Idempotent; a release
    already seen (events replayed out of order) stays released."""
    cur.execute(
        "INSERT INTO erasure_holds (kind, hold_id, complaint_id, placed_at, placed_by_event)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (kind, hold_id) DO UPDATE"
        " SET placed_at = coalesce(erasure_holds.placed_at, EXCLUDED.placed_at),"
        " placed_by_event = coalesce(erasure_holds.placed_by_event, EXCLUDED.placed_by_event)",
        (kind, hold_id, complaint_id, at, event_id),
    )


def release_hold(cur: Cursor, kind: str, hold_id: str, complaint_id: str, at: Any, event_id: str) -> None:
    """A dispute settled or records unsealed: the hold is released (the first release seen counts)."""
    cur.execute(
        "INSERT INTO erasure_holds (kind, hold_id, complaint_id, released_at, released_by_event)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (kind, hold_id) DO UPDATE"
        " SET released_at = coalesce(erasure_holds.released_at, EXCLUDED.released_at),"
        " released_by_event = coalesce(erasure_holds.released_by_event, EXCLUDED.released_by_event)",
        (kind, hold_id, complaint_id, at, event_id),
    )
