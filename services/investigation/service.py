"""Investigation: cases, deadlines and the office's and departments' actions. Entrypoints only:
typed commands in schemas.py, rules in domain.py, the load-decide-apply path in store.py, reads in
queries.py, the deadline engine in deadlines.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from services.investigation import disputes, domain, queries, saved_views, schemas, store
from services.investigation.deadlines import DeadlineEngine, DeadlineTicker
from services.investigation.projection import PROJECTOR
from services.investigation.settings import HOSPITAL, SERVICE
from shared.auth import CASE_OFFICERS, CASE_READERS, CASE_WORKERS, LIAISON
from shared.db import Database
from shared.errors import InvalidField, UnknownItem
from shared.eventstore import EventStore
from shared.runtime import Backbone, ConsumerProvider, DatabaseProvider, EventLog, RelayProvider
from shared.web import http, json_response, path_id, principal

Decider = Callable[[domain.Case, Any, domain.Context], domain.Decision]


class Service(Backbone, EventLog):
    name = SERVICE
    db: Database = DatabaseProvider(SERVICE)
    store: EventStore = RelayProvider(SERVICE)
    inbox = ConsumerProvider(SERVICE, PROJECTOR)
    scoped_streams = queries.SCOPED_STREAMS  # GET /events, as GET /cases
    deadlines: DeadlineEngine = DeadlineTicker()

    # -- reading --------------------------------------------------------------------------------
    @http("GET", "/cases/<string:complaint_id>", roles=CASE_READERS)
    def get_case(self, request: Request, complaint_id: str) -> Response:
        """A case with its deadlines. Each deadline says whether it is ``overdue``; ``allowed_actions`` lists the
        operationIds of the actions the caller's role may take on the case now."""
        complaint_id = path_id(complaint_id, "case")
        now = datetime.now(UTC)
        with self.db.transaction() as cur:
            found = queries.case_with_deadlines(cur, complaint_id, now)
        if found is None:
            raise UnknownItem(f"no case {complaint_id}")
        case, state = found
        who = principal(request)
        who.require_visible(f"no case {complaint_id}", [case["campus"]], case["departments"])
        allowed = domain.allowed_actions(state, who.role, who.department, HOSPITAL.departments(state.campus), now)
        preview = domain.extension_preview(state, HOSPITAL.calendar(state.campus), HOSPITAL.policy(state.campus), now)
        return json_response({**case, "allowed_actions": allowed, "extension_preview": preview})

    @http("GET", "/cases", roles=CASE_READERS, query=schemas.CasesQuery)
    def list_cases(self, request: Request, params: schemas.CaseFilter) -> Response:
        """List cases.

        The cases the caller may see, newest first, each with ``awaiting_departments`` (the departments that owe
        it their findings). ``view``: one of the caller's saved views (GET /cases/views)."""
        who = self._lister(request, params)
        liaison = who.department if who.role == LIAISON else None
        with self.db.transaction() as cur:
            rows = queries.cases(cur, params, who.campus_filter(), liaison, who.role)
        return json_response({"cases": rows})

    @http("GET", "/cases/views", roles=CASE_READERS, query=schemas.CasesQuery)
    def case_views(self, request: Request, params: schemas.CaseFilter) -> Response:
        """Saved views with their counts.

        The saved views of the caller's role, each with how many cases it holds within the caller's scope and
        the filters given (``view``, ``limit`` and ``offset`` are not used here)."""
        who = self._lister(request, replace(params, view=None))
        liaison = who.department if who.role == LIAISON else None
        with self.db.transaction() as cur:
            counted = queries.view_counts(cur, params, who.campus_filter(), liaison, who.role)
        return json_response({"views": counted})

    @staticmethod
    def _lister(request: Request, params: schemas.CaseFilter) -> Any:
        """The caller of a listing, who may ask only for their campuses and for a view of their role."""
        who = principal(request)
        if params.campus is not None:
            who.require_campus(params.campus)
        if params.view is not None and params.view not in saved_views.VIEWS_OF.get(who.role, ()):
            raise InvalidField(
                "view", f"not a view of the {who.role} role: one of {saved_views.VIEWS_OF.get(who.role, ())}"
            )
        return who

    # -- acting ---------------------------------------------------------------------------------
    def _act(
        self,
        request: Request,
        complaint_id: str,
        decide: Decider,
        command: Any,
        created: dict[str, Any] | None = None,
        department: Callable[[domain.Case], str] | None = None,
    ) -> Response:
        """Load the case (locked), check the caller's scope, decide, apply; the caller is the events' actor.
        ``department``: for actions a department liaison may take, the department the action is for.
        The decider's Refused (409), InvalidField (400) and UnknownItem (404) pass through: shared/web.py
        answers them (shared/errors.py)."""
        complaint_id = path_id(complaint_id, "case")
        who = principal(request)
        now = datetime.now(UTC)

        def scoped(case: domain.Case) -> domain.Decision:
            who.require_visible(f"no case {complaint_id}", [case.campus], case.departments)  # else 404
            if who.role == LIAISON:  # only for their own department, and only on a case that involves it
                acting_for = department(case) if department else None
                who.require_department(case.campus, [acting_for] if acting_for in case.departments else [])
            return decide(case, command, HOSPITAL.context(case.campus, now, who.subject))

        with self.db.transaction() as cur:
            case, placed = store.run(cur, complaint_id, now, scoped, actor=who.actor)
        store.observe(placed)
        body = {
            "complaint_id": complaint_id,
            "status": case.status,
            "events": [e.type for e in placed],
            **(created or {}),
        }
        return json_response(body, 201 if created else 200)

    @http("POST", "/cases/<string:complaint_id>/assignments", roles=CASE_OFFICERS, body=schemas.Departments)
    def assign(self, request: Request, complaint_id: str, command: schemas.AssignDepartments) -> Response:
        return self._act(request, complaint_id, domain.decide_assign, command)

    @http("POST", "/cases/<string:complaint_id>/extensions", roles=CASE_WORKERS, body=schemas.ExtensionRequest)
    def request_extension(self, request: Request, complaint_id: str, command: schemas.RequestExtension) -> Response:
        extension_id = str(uuid.uuid4())
        return self._act(
            request,
            complaint_id,
            domain.decide_request_extension,
            replace(command, extension_id=extension_id),
            {"extension_id": extension_id},
            department=lambda case: command.department,
        )

    @http(
        "POST",
        "/cases/<string:complaint_id>/extensions/<string:extension_id>/decision",
        roles=CASE_OFFICERS,
        body=schemas.ExtensionDecision,
    )
    def decide_extension(
        self, request: Request, complaint_id: str, extension_id: str, command: schemas.DecideExtension
    ) -> Response:
        return self._act(request, complaint_id, domain.decide_extension, replace(command, extension_id=extension_id))

    @http("POST", "/cases/<string:complaint_id>/findings", roles=CASE_WORKERS, body=schemas.Findings)
    def submit_findings(self, request: Request, complaint_id: str, command: schemas.SubmitFindings) -> Response:
        return self._act(
            request, complaint_id, domain.decide_findings, command, department=lambda case: command.department
        )

    @http("POST", "/cases/<string:complaint_id>/escalate", roles=CASE_OFFICERS, body=schemas.Escalation)
    def escalate(self, request: Request, complaint_id: str, command: schemas.Escalate) -> Response:
        return self._act(request, complaint_id, domain.decide_escalate, command)

    @http("POST", "/cases/<string:complaint_id>/replies", roles=CASE_OFFICERS, body=schemas.Reply)
    def issue_reply(self, request: Request, complaint_id: str, command: schemas.IssueReply) -> Response:
        reply_id = str(uuid.uuid4())
        return self._act(
            request, complaint_id, domain.decide_reply, replace(command, reply_id=reply_id), {"reply_id": reply_id}
        )

    @http("POST", "/cases/<string:complaint_id>/feedback", roles=CASE_OFFICERS, body=schemas.Feedback)
    def issue_feedback(self, request: Request, complaint_id: str, command: schemas.IssueFeedback) -> Response:
        """Interim feedback to the complainant: meets the statutory feedback clock once delivered (CONTRACT §7)."""
        feedback_id = str(uuid.uuid4())
        return self._act(
            request,
            complaint_id,
            domain.decide_feedback,
            replace(command, feedback_id=feedback_id),
            {"feedback_id": feedback_id},
        )

    @http("POST", "/cases/<string:complaint_id>/rectifications", roles=CASE_OFFICERS, body=schemas.Rectification)
    def order_rectification(self, request: Request, complaint_id: str, command: schemas.OrderRectification) -> Response:
        rectification_id = str(uuid.uuid4())
        return self._act(
            request,
            complaint_id,
            domain.decide_rectification,
            replace(command, rectification_id=rectification_id),
            {"rectification_id": rectification_id},
        )

    @http(
        "POST",
        "/cases/<string:complaint_id>/rectifications/<string:rectification_id>/complete",
        roles=CASE_WORKERS,
        body=schemas.RectificationDone,
    )
    def complete_rectification(
        self, request: Request, complaint_id: str, rectification_id: str, command: schemas.CompleteRectification
    ) -> Response:
        return self._act(
            request,
            complaint_id,
            domain.decide_complete_rectification,
            replace(command, rectification_id=rectification_id),
            department=lambda case: case.rectifications.get(rectification_id, {}).get("department", ""),
        )

    @http("POST", "/cases/<string:complaint_id>/follow-up", roles=CASE_OFFICERS, body=schemas.FollowUp)
    def follow_up(self, request: Request, complaint_id: str, command: schemas.RecordFollowUp) -> Response:
        return self._act(request, complaint_id, domain.decide_follow_up, command)

    @http("POST", "/cases/<string:complaint_id>/referrer-reply", roles=CASE_OFFICERS, body=schemas.ReferrerReply)
    def referrer_reply(self, request: Request, complaint_id: str, command: schemas.RecordReferrerReply) -> Response:
        """The reply to the authority that referred the complaint (CONTRACT §10): meets its referrer_reply deadline."""
        return self._act(request, complaint_id, domain.decide_referrer_reply, command)

    @http("POST", "/cases/<string:complaint_id>/close", roles=CASE_OFFICERS, body=schemas.Close)
    def close(self, request: Request, complaint_id: str, command: schemas.CloseCase) -> Response:
        return self._act(request, complaint_id, domain.decide_close, command)

    @http("POST", "/cases/<string:complaint_id>/reopen", roles=CASE_OFFICERS, body=schemas.Reopen)
    def reopen(self, request: Request, complaint_id: str, command: schemas.ReopenCase) -> Response:
        return self._act(request, complaint_id, domain.decide_reopen, command)

    @http("POST", "/cases/<string:complaint_id>/disputes", roles=CASE_OFFICERS, body=schemas.Dispute)
    def record_dispute(self, request: Request, complaint_id: str, command: schemas.RecordDispute) -> Response:
        dispute_id = str(uuid.uuid4())
        return self._act(
            request,
            complaint_id,
            domain.decide_dispute,
            replace(command, dispute_id=dispute_id),
            {"dispute_id": dispute_id},
        )

    @http(
        "POST",
        "/cases/<string:complaint_id>/disputes/<string:dispute_id>/settle",
        roles=CASE_OFFICERS,
        body=schemas.Settlement,
    )
    def settle_dispute(
        self, request: Request, complaint_id: str, dispute_id: str, command: schemas.SettleDispute
    ) -> Response:
        return self._act(request, complaint_id, domain.decide_settle, replace(command, dispute_id=dispute_id))

    # -- medical disputes' duties (CONTRACT §8; rules in disputes.py) -------------------------------------------
    @http(
        "POST",
        "/cases/<string:complaint_id>/disputes/<string:dispute_id>/route",
        roles=CASE_OFFICERS,
        body=schemas.DisputeRoute,
    )
    def change_dispute_route(
        self, request: Request, complaint_id: str, dispute_id: str, command: schemas.ChangeDisputeRoute
    ) -> Response:
        return self._act(request, complaint_id, disputes.decide_route, replace(command, dispute_id=dispute_id))

    @http(
        "POST",
        "/cases/<string:complaint_id>/disputes/<string:dispute_id>/authority-reports",
        roles=CASE_OFFICERS,
        body=schemas.AuthorityReport,
    )
    def report_to_authority(
        self, request: Request, complaint_id: str, dispute_id: str, command: schemas.ReportToAuthority
    ) -> Response:
        report_id = str(uuid.uuid4())
        command = replace(command, dispute_id=dispute_id, report_id=report_id)
        return self._act(request, complaint_id, disputes.decide_authority_report, command, {"report_id": report_id})

    @http("POST", "/cases/<string:complaint_id>/seals", roles=CASE_OFFICERS, body=schemas.Seal)
    def seal_records(self, request: Request, complaint_id: str, command: schemas.SealRecords) -> Response:
        seal_id = str(uuid.uuid4())
        return self._act(
            request, complaint_id, disputes.decide_seal, replace(command, seal_id=seal_id), {"seal_id": seal_id}
        )

    @http(
        "POST", "/cases/<string:complaint_id>/seals/<string:seal_id>/unseal", roles=CASE_OFFICERS, body=schemas.Unseal
    )
    def unseal_records(
        self, request: Request, complaint_id: str, seal_id: str, command: schemas.UnsealRecords
    ) -> Response:
        return self._act(request, complaint_id, disputes.decide_unseal, replace(command, seal_id=seal_id))

    @http("POST", "/cases/<string:complaint_id>/police-reports", roles=CASE_OFFICERS, body=schemas.PoliceReport)
    def report_to_police(self, request: Request, complaint_id: str, command: schemas.ReportToPolice) -> Response:
        report_id = str(uuid.uuid4())
        command = replace(command, police_report_id=report_id)
        return self._act(request, complaint_id, disputes.decide_police, command, {"police_report_id": report_id})
