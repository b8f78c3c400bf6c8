"""Intake: where complaints are registered and where intake's part of their lifecycle happens.
Entrypoints only; the rules are in domain.py, the following of investigation in projection.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg2.extras
from marshmallow import ValidationError
from werkzeug.wrappers import Request, Response

from services.intake import domain, schemas
from services.intake.projection import PROJECTOR, SERVICE
from services.intake.vault import Erased, Vault
from shared.auth import (
    AUDITOR,
    FIRST_CONTACT,
    LEADERSHIP,
    LIAISON,
    OFFICER,
    AuthError,
    Forbidden,
    Principal,
    authenticator,
)
from shared.config import load_hospital
from shared.db import Cursor, Database, fetch_dicts
from shared.envelope import new_event
from shared.eventstore import EventStore
from shared.queues import quorum_rpc as rpc  # nameko's rpc, its queue a quorum queue
from shared.runtime import Backbone, ConsumerProvider, DatabaseProvider, EventLog, RelayProvider
from shared.web import Conflict, NotFound, http, json_response, load, path_id, principal, query

HOSPITAL = load_hospital()
VAULT = Vault.from_env()
DEPARTMENTS_ON = {campus: HOSPITAL.departments(campus) for campus in HOSPITAL.campuses}
COLUMNS = (
    "complaint_id, reference, campus, campuses, channel, category, severity, source, departments,"
    " received_at, received_by, receiving_department, anonymous, status,"
    " status_changed_at, version, registered_at"
)


READERS = (FIRST_CONTACT, OFFICER, LIAISON, LEADERSHIP, AUDITOR)


def _may_read(who: Principal, complaint_id: str, campus: str, campuses: list[str], departments: list[str]) -> None:
    """Staff read complaints of their campuses; a department liaison only those of their department (on its
    own campus). Out of scope answers 404, as an unknown id does."""
    if who.role == LIAISON:
        who.require_visible(f"no complaint {complaint_id}", [campus], departments)
    else:
        who.require_visible(f"no complaint {complaint_id}", campuses)


def _by(request: Request, command: dict[str, Any], field: str) -> str:
    """The staff member named as having acted on the ground, else the caller."""
    return command.get(field) or principal(request).subject


class ComplaintNotFound(LookupError):
    """No complaint with that id (raised to RPC callers, who see ``RemoteError`` of this type)."""


class CallerNotAllowed(PermissionError):
    """An RPC caller without the service token the RPC asks for: it learns nothing, not even whether the id
    exists (any AMQP client that may publish to ``nameko-rpc`` can reach the RPC, so the broker is no lock)."""


CONTACT_CALLERS = ("notification",)  # the only service that sends to complainants


def _require_caller(token: str | None, *services: str) -> None:
    try:
        authenticator().verify_service(token, *services)
    except (AuthError, Forbidden) as exc:
        raise CallerNotAllowed(str(exc)) from None


def _valid_id(complaint_id: Any) -> str | None:
    try:
        return str(uuid.UUID(str(complaint_id)))
    except ValueError:
        return None


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
    return domain.reference(settings["reference_prefix"], year, cur.fetchone()[0])


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


PERSONAL = ("name", "phone", "email", "relation", "patient_name", "patient_mrn", "summary", "desired_outcome")


def _unsealed(cur: Cursor, complaint_id: str, ref: str) -> dict[str, Any]:
    """The complaint's personal data, opened with its own key; ``{"erased": True}`` once that key is gone."""
    cur.execute(
        "SELECT k.wrapped_key, p.name_sealed, p.phone_sealed, p.email_sealed, p.relation_sealed,"
        " p.patient_name_sealed, p.patient_mrn_sealed, c.summary_sealed, c.desired_outcome_sealed"
        " FROM complaints c LEFT JOIN complainant_keys k ON k.complainant_ref = c.complainant_ref"
        " LEFT JOIN complainants p ON p.complainant_ref = c.complainant_ref WHERE c.complaint_id = %s",
        (complaint_id,),
    )
    wrapped, *sealed = cur.fetchone()
    try:
        key = VAULT.unwrap(wrapped, ref)
    except Erased:
        return {"erased": True}
    opened = {
        field: VAULT.open(key, blob, f"{complaint_id}:{field}") for field, blob in zip(PERSONAL, sealed, strict=True)
    }
    return {"erased": False, **opened}


def _personal(cur: Cursor, complaint_id: str, ref: str) -> dict[str, Any]:
    data = _unsealed(cur, complaint_id, ref)
    return {
        "complainant": {k: data.get(k) for k in ("name", "phone", "email", "relation")},
        "patient": {"name": data.get("patient_name"), "mrn": data.get("patient_mrn")},
        "summary": data.get("summary"),
        "desired_outcome": data.get("desired_outcome"),
        "personal_data_erased": data["erased"],
    }


def _read(cur: Cursor, complaint_id: str) -> dict[str, Any] | None:
    """The complaint as staff see it: with the complainant's and patient's details and its history."""
    cur.execute(f"SELECT {COLUMNS}, complainant_ref FROM complaints WHERE complaint_id = %s", (complaint_id,))
    rows = fetch_dicts(cur)
    if not rows:
        return None
    complaint = rows[0]
    complaint.update(_personal(cur, complaint_id, complaint.pop("complainant_ref")))
    cur.execute(
        "SELECT previous, current, changed, note, reclassified_by, reclassified_at, event_id"
        " FROM classification_history WHERE complaint_id = %s ORDER BY id",
        (complaint_id,),
    )
    complaint["classification_history"] = fetch_dicts(cur)
    cur.execute(
        "SELECT action, status_before, status_after, actor_id, actor_role, occurred_at, details, event_id"
        " FROM complaint_actions WHERE complaint_id = %s ORDER BY id",
        (complaint_id,),
    )
    complaint["history"] = [
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
    return complaint


Decide = Callable[[Cursor, domain.Complaint], domain.Decision]


class Service(Backbone, EventLog):
    name = SERVICE
    db: Database = DatabaseProvider(SERVICE)
    store: EventStore = RelayProvider(SERVICE)
    inbox = ConsumerProvider(SERVICE, PROJECTOR)
    scoped_streams = "SELECT complaint_id::text FROM complaints WHERE campuses && %s::text[]"  # GET /events

    # -- registering and reading --------------------------------------------------------------
    @http("POST", "/complaints", roles=(FIRST_CONTACT, OFFICER))
    def register(self, request: Request) -> Response:
        who = principal(request)
        command = load(schemas.NewComplaint(HOSPITAL), request)
        who.require_campus(command["campus"])
        command["received_at"] = command["received_at"] or datetime.now(UTC)
        complaint_id = str(uuid.uuid4())
        person = command.get("complainant") or {}
        patient = command.get("patient") or {}
        # Every complaint's personal data (names, numbers, its free text) is sealed with a key of its own.
        key_ref = f"cp-{uuid.uuid4().hex}"
        complainant_ref = key_ref if (person or patient) else None
        key, wrapped = VAULT.new_key(key_ref)

        def seal(field: str, value: str | None) -> bytes | None:
            return VAULT.seal(key, value, f"{complaint_id}:{field}")

        with self.db.transaction() as cur:
            ref = _next_reference(cur, command["campus"], command["received_at"])
            registration = domain.register(
                {
                    **command,
                    "received_at": command["received_at"].isoformat(),
                    "registered_at": datetime.now(UTC).isoformat(),
                },
                complaint_id,
                ref,
                complainant_ref,
            )
            event = new_event(
                SERVICE,
                "ComplaintReceived",
                complaint_id,
                {**registration.event_data, "actor": who.actor},
                time=command["received_at"],
                causationid=str(uuid.uuid4()),
            )  # the request
            # registered_at (and the status's first change) as the event records it: rebuilt from the log alike
            registered_at = datetime.fromisoformat(event.data["registered_at"])
            cur.execute(
                "INSERT INTO complainant_keys (complainant_ref, wrapped_key) VALUES (%s, %s)", (key_ref, wrapped)
            )
            cur.execute(
                "INSERT INTO complaints (complaint_id, reference, campus, campuses, channel, category, severity,"
                " source, departments, summary_sealed, desired_outcome_sealed, received_at, received_by,"
                " receiving_department, anonymous, complainant_ref, status, version, registered_at,"
                " status_changed_at) VALUES"
                " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1, %s, %s)",
                (
                    complaint_id,
                    ref,
                    command["campus"],
                    [command["campus"]],
                    command["channel"],
                    command["category"],
                    command["severity"],
                    command["source"],
                    command["departments"],
                    seal("summary", command["summary"]),
                    seal("desired_outcome", command.get("desired_outcome")),
                    command["received_at"],
                    command.get("received_by"),
                    command.get("receiving_department"),
                    command["anonymous"],
                    key_ref,
                    domain.RECEIVED,
                    registered_at,
                    registered_at,
                ),
            )
            cur.execute(
                "INSERT INTO complainants (complainant_ref, complaint_id, relation_sealed, name_sealed, phone_sealed,"
                " email_sealed, patient_name_sealed, patient_mrn_sealed) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    key_ref,
                    complaint_id,
                    seal("relation", person.get("relation")),
                    seal("name", person.get("name")),
                    seal("phone", person.get("phone")),
                    seal("email", person.get("email")),
                    seal("patient_name", patient.get("name")),
                    seal("patient_mrn", patient.get("mrn")),
                ),
            )
            record_action(
                cur, complaint_id, "register", None, domain.RECEIVED, who.actor, command["received_at"], {}, event.id
            )
            self.store.append(cur, complaint_id, 0, [event])
        return json_response(
            {"complaint_id": complaint_id, "reference": ref}, 201, {"Location": f"/complaints/{complaint_id}"}
        )

    @http("GET", "/complaints/<string:complaint_id>", roles=READERS)
    def get_complaint(self, request: Request, complaint_id: str) -> Response:
        complaint_id = path_id(complaint_id, "complaint")
        with self.db.transaction() as cur:
            complaint = _read(cur, complaint_id)
            if complaint is None:
                raise NotFound(f"no complaint {complaint_id}")
            # Liaisons of departments assigned later may read it too (investigation's assignments, followed).
            cur.execute("SELECT investigating_departments FROM complaints WHERE complaint_id = %s", (complaint_id,))
            investigating = cur.fetchone()[0]
        _may_read(
            principal(request),
            complaint_id,
            complaint["campus"],
            complaint["campuses"],
            [*complaint["departments"], *investigating],
        )
        return json_response(complaint)

    @http("GET", "/complaints", roles=READERS)
    def list_complaints(self, request: Request) -> Response:
        who = principal(request)
        params = query(schemas.ComplaintsQuery(HOSPITAL), request)
        clauses, args = [], []
        if "campus" in params:
            who.require_campus(params["campus"])
            clauses.append("%s = ANY(campuses)")  # every campus the complaint concerns
            args.append(params["campus"])
        if who.campus_filter() is not None:
            clauses.append("campuses && %s")
            args.append(who.campus_filter())
        if who.role == LIAISON:
            clauses.append("(%s = ANY(departments) OR %s = ANY(investigating_departments))")
            args += [who.department, who.department]
        if "status" in params:
            clauses.append("status = %s")
            args.append(params["status"])
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {COLUMNS} FROM complaints {where} ORDER BY received_at DESC, reference DESC LIMIT %s",
                (*args, params["limit"]),
            )
            rows = fetch_dicts(cur)
        return json_response({"complaints": rows})

    # -- lifecycle actions --------------------------------------------------------------------
    @http("POST", "/complaints/<string:complaint_id>/resolve-on-spot", roles=(FIRST_CONTACT, OFFICER))
    def resolve_on_spot(self, request: Request, complaint_id: str) -> Response:
        complaint_id = path_id(complaint_id, "complaint")
        command = load(schemas.ResolveOnSpot(), request)
        return self._act(
            request,
            complaint_id,
            lambda cur, complaint: domain.resolve_on_spot(
                complaint,
                resolution=command["resolution"],
                resolved_by=_by(request, command, "resolved_by"),
                resolved_at=command["resolved_at"],
                now=datetime.now(UTC),
            ),
        )

    @http("POST", "/complaints/<string:complaint_id>/not-accepted", roles=(OFFICER,))
    def not_accepted(self, request: Request, complaint_id: str) -> Response:
        complaint_id = path_id(complaint_id, "complaint")
        command = load(schemas.NotAccepted(), request)
        duplicate_of = str(command["duplicate_of"]) if command["duplicate_of"] else None

        def decide(cur: Cursor, complaint: domain.Complaint) -> domain.Decision:
            exists = False
            if duplicate_of:
                cur.execute("SELECT 1 FROM complaints WHERE complaint_id = %s", (duplicate_of,))
                exists = cur.fetchone() is not None
            return domain.not_accept(
                complaint,
                reason=command["reason"],
                route_advice=command["route_advice"],
                decided_by=_by(request, command, "decided_by"),
                duplicate_of=duplicate_of,
                duplicate_exists=exists,
                now=datetime.now(UTC),
            )

        return self._act(request, complaint_id, decide)

    @http("POST", "/complaints/<string:complaint_id>/withdraw", roles=(OFFICER,))
    def withdraw(self, request: Request, complaint_id: str) -> Response:
        complaint_id = path_id(complaint_id, "complaint")
        command = load(schemas.Withdraw(), request)
        return self._act(
            request,
            complaint_id,
            lambda cur, complaint: domain.withdraw(
                complaint,
                withdrawn_by=_by(request, command, "withdrawn_by"),
                reason=command.get("reason"),
                now=datetime.now(UTC),
            ),
        )

    @http("POST", "/complaints/<string:complaint_id>/reclassify", roles=(OFFICER,))
    def reclassify(self, request: Request, complaint_id: str) -> Response:
        complaint_id = path_id(complaint_id, "complaint")
        command = load(schemas.Reclassify(HOSPITAL), request)
        return self._act(
            request,
            complaint_id,
            lambda cur, complaint: domain.reclassify(
                complaint,
                command,
                reclassified_by=_by(request, command, "reclassified_by"),
                note=command.get("note"),
                departments_on=DEPARTMENTS_ON,
                now=datetime.now(UTC),
            ),
        )

    def _act(self, request: Request, complaint_id: str, decide: Decide) -> Response:
        """Lock the complaint, let the domain decide, write the new state and its event in one transaction."""
        who = principal(request)
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT complaint_id, campus, status, received_at, category, severity, departments,"
                " campuses, version FROM complaints WHERE complaint_id = %s FOR UPDATE",
                (complaint_id,),
            )
            row = cur.fetchone()
            if row is None:
                raise NotFound(f"no complaint {complaint_id}")
            *values, version = row
            complaint = domain.Complaint(str(values[0]), *values[1:6], tuple(values[6]), tuple(values[7]))
            who.require_visible(f"no complaint {complaint_id}", complaint.campuses)
            try:
                decision = decide(cur, complaint)
            except domain.NotAllowed as exc:
                raise Conflict(str(exc), state=exc.status) from None
            except domain.Invalid as exc:
                raise ValidationError(exc.errors) from None
            first = self.store.read_stream(cur, complaint_id)[:1]
            event = new_event(
                SERVICE,
                decision.event_type,
                complaint_id,
                {**decision.event_data, "actor": who.actor},
                time=decision.at,
                correlationid=first[0].correlationid if first else None,
                causationid=str(uuid.uuid4()),
            )  # the request (CONTRACT §12)
            classification = decision.classification or complaint.classification()
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
                    version + 1,
                    decision.status,
                    decision.at,
                    complaint_id,
                ),
            )
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
            if decision.classification is not None:
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
            self.store.append(cur, complaint_id, version, [event])
            body = _read(cur, complaint_id)
        return json_response(body)

    @http("POST", "/complaints/<string:complaint_id>/erasure", roles=(OFFICER, AUDITOR))
    def erase(self, request: Request, complaint_id: str) -> Response:
        """A lawful erasure request: the complaint's key is destroyed, so its personal data (names, numbers,
        its text) can never be read again; the complaint, its events and every statistic stay."""
        who = principal(request)
        body = load(schemas.Erasure(), request)
        complaint_id = path_id(complaint_id, "complaint")
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT c.campus, c.campuses, c.status, c.complainant_ref, c.version, k.erased_at"
                " FROM complaints c JOIN complainant_keys k ON k.complainant_ref = c.complainant_ref"
                " WHERE c.complaint_id = %s FOR UPDATE",
                (complaint_id,),
            )
            rows = fetch_dicts(cur)
            if not rows:
                raise NotFound(f"no complaint {complaint_id}")
            found = rows[0]
            who.require_visible(f"no complaint {complaint_id}", found["campuses"])
            if found["erased_at"] is not None:
                raise Conflict("the personal data was already erased", state="erased")
            now = datetime.now(UTC)
            cur.execute(
                "UPDATE complainant_keys SET wrapped_key = NULL, erased_at = %s, erased_by = %s,"
                " erasure_reason = %s WHERE complainant_ref = %s",
                (now, who.subject, body["reason"], found["complainant_ref"]),
            )
            # The erasure is intake's event (no personal data in it); the vault's key row itself never enters a log.
            first = self.store.read_stream(cur, complaint_id)[:1]
            event = new_event(
                SERVICE,
                "PersonalDataErased",
                complaint_id,
                {
                    "complaint_id": complaint_id,
                    "campus": found["campus"],
                    "erased_at": now,
                    "reason": body["reason"],
                    "actor": who.actor,
                },
                time=now,
                correlationid=first[0].correlationid if first else None,
                causationid=str(uuid.uuid4()),
            )  # the request
            cur.execute(
                "UPDATE complaints SET version = %s WHERE complaint_id = %s", (found["version"] + 1, complaint_id)
            )
            record_action(
                cur,
                complaint_id,
                "erasure",
                found["status"],
                found["status"],
                who.actor,
                now,
                {"reason": body["reason"]},
                event.id,
            )
            self.store.append(cur, complaint_id, found["version"], [event])
            shown = _read(cur, complaint_id)
        return json_response(shown)

    # -- for other services -------------------------------------------------------------------
    @rpc(expected_exceptions=(ComplaintNotFound, CallerNotAllowed))
    def contact_for(self, complaint_id: str, token: str | None = None) -> dict[str, Any]:
        """How to reach the complainant, for the notification service at send time (personal data never
        travels in events), which proves who it is with its service token. An anonymous complaint has no
        contact: every personal field is None."""
        _require_caller(token, *CONTACT_CALLERS)
        valid = _valid_id(complaint_id)
        if valid is None:
            raise ComplaintNotFound(f"no complaint {complaint_id}")
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT anonymous, campus, reference, complainant_ref FROM complaints WHERE complaint_id = %s", (valid,)
            )
            rows = fetch_dicts(cur)
            if not rows:
                raise ComplaintNotFound(f"no complaint {complaint_id}")
            contact = rows[0]
            data = _unsealed(cur, valid, contact.pop("complainant_ref"))
        contact.update({k: data.get(k) for k in ("name", "phone", "email", "relation")}, erased=data["erased"])
        if contact["anonymous"]:
            contact.update(name=None, phone=None, email=None, relation=None)
        return contact
