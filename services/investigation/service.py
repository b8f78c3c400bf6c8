"""Investigation: cases, deadlines and the office's actions. Entrypoints only."""

from __future__ import annotations

import uuid

from werkzeug.wrappers import Request, Response

from services.investigation.projection import PROJECTOR, SERVICE
from shared.db import Database
from shared.eventstore import EventStore
from shared.runtime import Backbone, ConsumerProvider, DatabaseProvider, EventLog, RelayProvider
from shared.web import NotFound, http, json_response

CASE_COLUMNS = ("complaint_id, reference, campus, category, severity, source, departments, status, received_at,"
                " opened_at")
DEADLINE_COLUMNS = ("kind, department, due_at, last_day, working_days, provisional, calendar_version,"
                    " policy_version, status")


class Service(Backbone, EventLog):
    name = SERVICE
    db: Database = DatabaseProvider(SERVICE)
    store: EventStore = RelayProvider(SERVICE)
    inbox = ConsumerProvider(SERVICE, PROJECTOR)

    @http("GET", "/cases/<string:complaint_id>")
    def get_case(self, request: Request, complaint_id: str) -> Response:
        try:
            uuid.UUID(complaint_id)
        except ValueError:
            raise NotFound(f"no case {complaint_id}") from None
        with self.db.transaction() as cur:
            cur.execute(f"SELECT {CASE_COLUMNS} FROM cases WHERE complaint_id = %s", (complaint_id,))
            row = cur.fetchone()
            if row is None:
                raise NotFound(f"no case {complaint_id}")
            case = dict(zip([d[0] for d in cur.description], row, strict=False))
            cur.execute(f"SELECT {DEADLINE_COLUMNS} FROM deadlines WHERE complaint_id = %s"
                        " ORDER BY kind, department", (complaint_id,))
            names = [d[0] for d in cur.description]
            case["deadlines"] = [dict(zip(names, r, strict=False)) for r in cur.fetchall()]
        return json_response(case)
