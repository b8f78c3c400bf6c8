"""Investigation: cases, deadlines and the office's and departments' actions. Entrypoints only:
rules in domain.py, the load-decide-apply path in cases.py, the deadline engine in deadlines.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError
from werkzeug.wrappers import Request, Response

from services.investigation import cases, domain, schemas
from services.investigation.cases import HOSPITAL
from services.investigation.deadlines import DeadlineEngine, DeadlineTicker
from services.investigation.projection import PROJECTOR, SERVICE
from shared.auth import AUDITOR, LEADERSHIP, LIAISON, OFFICER
from shared.db import Database, fetch_dicts
from shared.eventstore import EventStore
from shared.runtime import Backbone, ConsumerProvider, DatabaseProvider, EventLog, RelayProvider
from shared.web import Conflict, NotFound, http, json_response, load, path_id, principal, query

READERS = (OFFICER, LIAISON, LEADERSHIP, AUDITOR)

CASE_COLUMNS = (
    "complaint_id, reference, campus, category, severity, source, status, departments, escalated,"
    " provisional, received_at, updated_at"
)
DEADLINE_COLUMNS = (
    "key, kind, department, due_at, remind_at, last_day, working_days, provisional, calendar_version,"
    " policy_version, status, reminded, on_hold, started_at, breached_at, met_at"
)


def _me(request: Request) -> str:
    """The caller's staff id (decisions name who took them; the token's role goes with it)."""
    return principal(request).subject


def _known_departments(campus: str, departments: list[str], field: str = "departments") -> None:
    unknown = sorted(set(departments) - set(HOSPITAL.departments(campus)))
    if unknown:
        raise ValidationError({field: [f"unknown department(s) on {campus}: {', '.join(unknown)}"]})


class Service(Backbone, EventLog):
    name = SERVICE
    db: Database = DatabaseProvider(SERVICE)
    store: EventStore = RelayProvider(SERVICE)
    inbox = ConsumerProvider(SERVICE, PROJECTOR)
    scoped_streams = "SELECT complaint_id::text FROM cases WHERE campus = ANY(%s)"  # GET /events, as GET /cases
    deadlines: DeadlineEngine = DeadlineTicker()

    # -- reading --------------------------------------------------------------------------------
    @http("GET", "/cases/<string:complaint_id>", roles=READERS)
    def get_case(self, request: Request, complaint_id: str) -> Response:
        complaint_id = path_id(complaint_id, "case")
        with self.db.transaction() as cur:
            cur.execute(f"SELECT {CASE_COLUMNS}, state FROM cases WHERE complaint_id = %s", (complaint_id,))
            found = fetch_dicts(cur)
            if not found:
                raise NotFound(f"no case {complaint_id}")
            case = found[0]
            state = case.pop("state")
            cur.execute(
                f"SELECT {DEADLINE_COLUMNS} FROM deadlines WHERE complaint_id = %s ORDER BY started_at, key",
                (complaint_id,),
            )
            case["deadlines"] = fetch_dicts(cur)
        now = datetime.now(UTC)
        for deadline in case["deadlines"]:
            deadline["overdue"] = deadline["status"] == domain.D_BREACHED or (
                deadline["status"] == domain.D_OPEN and not deadline["on_hold"] and deadline["due_at"] <= now
            )
        case["overdue"] = any(d["overdue"] for d in case["deadlines"])
        principal(request).require_visible(f"no case {complaint_id}", [case["campus"]], case["departments"])
        for key in (
            "campuses",
            "assignments",
            "extensions",
            "replies",
            "rectifications",
            "disputes",
            "follow_ups",
            "reopened",
            "has_contact",
            "version",
        ):
            case[key] = state[key]
        return json_response(case)

    @http("GET", "/cases", roles=READERS)
    def list_cases(self, request: Request) -> Response:
        who = principal(request)
        params = query(schemas.CasesQuery(), request)
        clauses, args = ["TRUE"], []
        if "campus" in params:
            who.require_campus(params["campus"])
        if who.campus_filter() is not None:
            clauses.append("c.campus = ANY(%s)")
            args.append(who.campus_filter())
        if who.role == LIAISON:  # a liaison sees only their department's cases
            clauses.append("c.departments @> ARRAY[%s]")
            args.append(who.department)
        for key in ("campus", "status"):
            if key in params:
                clauses.append(f"c.{key} = %s")
                args.append(params[key])
        if "department" in params:
            clauses.append("c.departments @> ARRAY[%s]")
            args.append(params["department"])
        if "provisional" in params:
            clauses.append("c.provisional = %s")
            args.append(params["provisional"])
        if "overdue" in params:
            overdue = (
                "EXISTS (SELECT 1 FROM deadlines d WHERE d.complaint_id = c.complaint_id AND"
                " (d.status = 'breached' OR (d.status = 'open' AND NOT d.on_hold AND d.due_at <= now())))"
            )
            clauses.append(overdue if params["overdue"] else f"NOT {overdue}")
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {', '.join('c.' + c.strip() for c in CASE_COLUMNS.split(','))} FROM cases c"
                f" WHERE {' AND '.join(clauses)} ORDER BY c.received_at DESC LIMIT %s",
                (*args, params["limit"]),
            )
            rows = fetch_dicts(cur)
        return json_response({"cases": rows})

    # -- acting ---------------------------------------------------------------------------------
    def _act(
        self,
        request: Request,
        complaint_id: str,
        decide: Callable[[domain.Case, datetime], domain.Decision],
        created: dict[str, Any] | None = None,
        department: Callable[[domain.Case], str] | None = None,
    ) -> Response:
        """Load the case (locked), check the caller's scope, decide, apply; the caller is the events' actor.
        ``department``: for actions a department liaison may take, the department the action is for."""
        complaint_id = path_id(complaint_id, "case")
        who = principal(request)
        now = datetime.now(UTC)

        def scoped(case: domain.Case, at: datetime) -> domain.Decision:
            who.require_visible(f"no case {complaint_id}", [case.campus], case.departments)  # else 404
            if who.role == LIAISON:  # only for their own department, and only on a case that involves it
                acting_for = department(case) if department else None
                who.require_department(case.campus, [acting_for] if acting_for in case.departments else [])
            return decide(case, at)

        try:
            with self.db.transaction() as cur:
                case, placed = cases.run(cur, complaint_id, now, lambda c: scoped(c, now), actor=who.actor)
        except cases.NotFound as exc:
            raise NotFound(str(exc)) from None
        except domain.UnknownItem as exc:
            raise NotFound(str(exc)) from None
        except domain.Refused as exc:
            raise Conflict(str(exc), state=exc.state) from None
        except domain.Invalid as exc:
            raise ValidationError({exc.field: [str(exc)]}) from None
        cases.observe(placed)
        body = {
            "complaint_id": complaint_id,
            "status": case.status,
            "events": [e.type for e in placed],
            **(created or {}),
        }
        return json_response(body, 201 if created else 200)

    def _body(self, schema: Schema, request: Request) -> dict[str, Any]:
        return load(schema, request)

    @http("POST", "/cases/<string:complaint_id>/assignments", roles=(OFFICER,))
    def assign(self, request: Request, complaint_id: str) -> Response:
        body = self._body(schemas.Departments(), request)

        def decide(case: domain.Case, now: datetime) -> domain.Decision:
            _known_departments(case.campus, body["departments"])
            return domain.decide_assign(
                case,
                body["departments"],
                _me(request),
                now,
                HOSPITAL.calendar(case.campus),
                HOSPITAL.policy(case.campus),
            )

        return self._act(request, complaint_id, decide)

    @http("POST", "/cases/<string:complaint_id>/extensions", roles=(OFFICER, LIAISON))
    def request_extension(self, request: Request, complaint_id: str) -> Response:
        body = self._body(schemas.ExtensionRequest(), request)
        extension_id = str(uuid.uuid4())
        return self._act(
            request,
            complaint_id,
            lambda case, now: domain.decide_request_extension(
                case,
                extension_id,
                body["department"],
                body["reason"],
                body["requested_days"],
                _me(request),
                now,
                HOSPITAL.policy(case.campus),
            ),
            {"extension_id": extension_id},
            department=lambda case: body["department"],
        )

    @http("POST", "/cases/<string:complaint_id>/extensions/<string:extension_id>/decision", roles=(OFFICER,))
    def decide_extension(self, request: Request, complaint_id: str, extension_id: str) -> Response:
        body = self._body(schemas.ExtensionDecision(), request)
        return self._act(
            request,
            complaint_id,
            lambda case, now: domain.decide_extension(
                case,
                extension_id,
                body["granted"],
                body.get("note"),
                _me(request),
                now,
                HOSPITAL.calendar(case.campus),
                HOSPITAL.policy(case.campus),
            ),
        )

    @http("POST", "/cases/<string:complaint_id>/findings", roles=(OFFICER, LIAISON))
    def submit_findings(self, request: Request, complaint_id: str) -> Response:
        body = self._body(schemas.Findings(), request)
        return self._act(
            request,
            complaint_id,
            lambda case, now: domain.decide_findings(
                case,
                body["department"],
                body["substantiated"],
                body["summary"],
                body["signed_off_by"],
                _me(request),
                now,
            ),
            department=lambda case: body["department"],
        )

    @http("POST", "/cases/<string:complaint_id>/escalate", roles=(OFFICER,))
    def escalate(self, request: Request, complaint_id: str) -> Response:
        body = self._body(schemas.Escalation(), request)
        return self._act(
            request, complaint_id, lambda case, now: domain.decide_escalate(case, body["reason"], _me(request), now)
        )

    @http("POST", "/cases/<string:complaint_id>/replies", roles=(OFFICER,))
    def issue_reply(self, request: Request, complaint_id: str) -> Response:
        body = self._body(schemas.Reply(), request)
        reply_id = str(uuid.uuid4())
        return self._act(
            request,
            complaint_id,
            lambda case, now: domain.decide_reply(
                case,
                reply_id,
                body["contact_person"],
                body["actions_taken"],
                body["result"],
                body.get("channel_preference"),
                _me(request),
                now,
            ),
            {"reply_id": reply_id},
        )

    @http("POST", "/cases/<string:complaint_id>/rectifications", roles=(OFFICER,))
    def order_rectification(self, request: Request, complaint_id: str) -> Response:
        body = self._body(schemas.Rectification(), request)
        rectification_id = str(uuid.uuid4())

        def decide(case: domain.Case, now: datetime) -> domain.Decision:
            _known_departments(case.campus, [body["department"]], "department")
            return domain.decide_rectification(
                case,
                rectification_id,
                body["department"],
                body["description"],
                body.get("due_in_working_days"),
                _me(request),
                now,
                HOSPITAL.calendar(case.campus),
                HOSPITAL.policy(case.campus),
            )

        return self._act(request, complaint_id, decide, {"rectification_id": rectification_id})

    @http(
        "POST",
        "/cases/<string:complaint_id>/rectifications/<string:rectification_id>/complete",
        roles=(OFFICER, LIAISON),
    )
    def complete_rectification(self, request: Request, complaint_id: str, rectification_id: str) -> Response:
        body = self._body(schemas.RectificationDone(), request)
        return self._act(
            request,
            complaint_id,
            lambda case, now: domain.decide_complete_rectification(
                case, rectification_id, body.get("note"), _me(request), now
            ),
            department=lambda case: case.rectifications.get(rectification_id, {}).get("department", ""),
        )

    @http("POST", "/cases/<string:complaint_id>/follow-up", roles=(OFFICER,))
    def follow_up(self, request: Request, complaint_id: str) -> Response:
        body = self._body(schemas.FollowUp(), request)
        return self._act(
            request,
            complaint_id,
            lambda case, now: domain.decide_follow_up(
                case,
                body["satisfied"],
                body.get("note"),
                _me(request),
                now,
                HOSPITAL.calendar(case.campus),
                HOSPITAL.policy(case.campus),
            ),
        )

    @http("POST", "/cases/<string:complaint_id>/close", roles=(OFFICER,))
    def close(self, request: Request, complaint_id: str) -> Response:
        body = self._body(schemas.Close(), request)
        return self._act(
            request, complaint_id, lambda case, now: domain.decide_close(case, body.get("outcome"), _me(request), now)
        )

    @http("POST", "/cases/<string:complaint_id>/reopen", roles=(OFFICER,))
    def reopen(self, request: Request, complaint_id: str) -> Response:
        body = self._body(schemas.Reopen(), request)
        return self._act(
            request,
            complaint_id,
            lambda case, now: domain.decide_reopen(
                case,
                body["reason"],
                body.get("note"),
                _me(request),
                now,
                HOSPITAL.calendar(case.campus),
                HOSPITAL.policy(case.campus),
            ),
        )

    @http("POST", "/cases/<string:complaint_id>/disputes", roles=(OFFICER,))
    def record_dispute(self, request: Request, complaint_id: str) -> Response:
        body = self._body(schemas.Dispute(), request)
        dispute_id = str(uuid.uuid4())
        return self._act(
            request,
            complaint_id,
            lambda case, now: domain.decide_dispute(
                case, dispute_id, body["route"], body.get("note"), _me(request), now
            ),
            {"dispute_id": dispute_id},
        )

    @http("POST", "/cases/<string:complaint_id>/disputes/<string:dispute_id>/settle", roles=(OFFICER,))
    def settle_dispute(self, request: Request, complaint_id: str, dispute_id: str) -> Response:
        body = self._body(schemas.Settlement(), request)
        return self._act(
            request,
            complaint_id,
            lambda case, now: domain.decide_settle(
                case, dispute_id, body["compensation_amount"], body["currency"], _me(request), now
            ),
        )
