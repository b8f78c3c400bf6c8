"""Intake: where complaints are registered. Entrypoints only; rules in domain.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from werkzeug.wrappers import Request, Response

from services.intake import domain, schemas
from shared.config import load_hospital
from shared.db import Cursor, Database
from shared.envelope import new_event
from shared.eventstore import EventStore
from shared.runtime import Backbone, DatabaseProvider, EventLog, RelayProvider
from shared.web import NotFound, http, json_response, load, query

SERVICE = "intake"
HOSPITAL = load_hospital()
COLUMNS = ("complaint_id, reference, campus, channel, category, severity, source, departments, summary,"
           " desired_outcome, received_at, received_by, receiving_department, anonymous, status, registered_at")


def _next_reference(cur: Cursor, campus: str, received_at: datetime) -> str:
    settings = HOSPITAL.campuses[campus]
    year = domain.reference_year(received_at, settings["timezone"])
    cur.execute("INSERT INTO reference_counters AS c (campus, year, last_number) VALUES (%s, %s, 1)"
                " ON CONFLICT (campus, year) DO UPDATE SET last_number = c.last_number + 1"
                " RETURNING last_number", (campus, year))
    return domain.reference(settings["reference_prefix"], year, cur.fetchone()[0])


class Service(Backbone, EventLog):
    name = SERVICE
    db: Database = DatabaseProvider(SERVICE)
    store: EventStore = RelayProvider(SERVICE)

    @http("POST", "/complaints")
    def register(self, request: Request) -> Response:
        command = load(schemas.NewComplaint(HOSPITAL), request)
        command["received_at"] = command["received_at"] or datetime.now(UTC)
        complaint_id = str(uuid.uuid4())
        person = command.get("complainant") or {}
        patient = command.get("patient") or {}
        complainant_ref = f"cp-{uuid.uuid4().hex}" if (person or patient) else None
        with self.db.transaction() as cur:
            ref = _next_reference(cur, command["campus"], command["received_at"])
            registration = domain.register(
                {**command, "received_at": command["received_at"].isoformat()}, complaint_id, ref,
                complainant_ref)
            cur.execute(
                "INSERT INTO complaints (complaint_id, reference, campus, channel, category, severity, source,"
                " departments, summary, desired_outcome, received_at, received_by, receiving_department,"
                " anonymous, complainant_ref, status) VALUES"
                " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (complaint_id, ref, command["campus"], command["channel"], command["category"],
                 command["severity"], command["source"], command["departments"], command["summary"],
                 command.get("desired_outcome"), command["received_at"], command.get("received_by"),
                 command.get("receiving_department"), command["anonymous"], complainant_ref, domain.RECEIVED))
            if complainant_ref:
                cur.execute(
                    "INSERT INTO complainants (complainant_ref, complaint_id, name, phone, email, relation,"
                    " patient_name, patient_mrn) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    (complainant_ref, complaint_id, person.get("name"), person.get("phone"),
                     person.get("email"), person.get("relation"), patient.get("name"), patient.get("mrn")))
            event = new_event(SERVICE, "ComplaintReceived", complaint_id, registration.event_data,
                              time=command["received_at"])
            self.store.append(cur, complaint_id, 0, [event])
        return json_response({"complaint_id": complaint_id, "reference": ref}, 201,
                             {"Location": f"/complaints/{complaint_id}"})

    @http("GET", "/complaints/<string:complaint_id>")
    def get_complaint(self, request: Request, complaint_id: str) -> Response:
        try:
            uuid.UUID(complaint_id)
        except ValueError:
            raise NotFound(f"no complaint {complaint_id}") from None
        with self.db.transaction() as cur:
            cur.execute(f"SELECT {COLUMNS} FROM complaints WHERE complaint_id = %s", (complaint_id,))
            row = cur.fetchone()
            names = [d[0] for d in cur.description]
        if row is None:
            raise NotFound(f"no complaint {complaint_id}")
        return json_response(dict(zip(names, row, strict=False)))

    @http("GET", "/complaints")
    def list_complaints(self, request: Request) -> Response:
        params = query(schemas.ComplaintsQuery(), request)
        clauses, args = [], []
        for key in ("campus", "status"):
            if key in params:
                clauses.append(f"{key} = %s")
                args.append(params[key])
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.db.transaction() as cur:
            cur.execute(f"SELECT {COLUMNS} FROM complaints {where} ORDER BY received_at DESC LIMIT %s",
                        (*args, params["limit"]))
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, row, strict=False)) for row in cur.fetchall()]
        return json_response({"complaints": rows})
