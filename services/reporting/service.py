"""Reporting: statistics from every service's events. Entrypoints only: queries and publications in
reports.py, the rules in domain.py / statistics.py, rebuilding in rebuild.py, pages in render.py."""

from __future__ import annotations

import subprocess
import sys
import uuid

from werkzeug.wrappers import Request, Response

from services.reporting import metrics, rebuild, render, reports, schemas
from services.reporting.projection import PROJECTOR, SERVICE
from services.reporting.settings import CAMPUSES
from shared import config
from shared.auth import AUDITOR, LEADERSHIP, OFFICER, OPS, Forbidden, OutOfScope
from shared.db import Database
from shared.runtime import Backbone, ConsumerProvider, DatabaseProvider
from shared.web import Conflict, NotFound, http, json_response, load, principal, query

# Statistics hold no personal data: the office, the leadership, auditors and ops read them.
READERS = (OFFICER, LEADERSHIP, AUDITOR, OPS)
PUBLISHERS = (OFFICER,)  # leadership reads reports (docs/reporting.md, "Access")

# Rebuild processes started by this replica; polled so none is left a zombie.
_rebuilds: list[subprocess.Popen] = []


def _reap() -> None:
    _rebuilds[:] = [p for p in _rebuilds if p.poll() is None]


def _scope(request: Request, campus: str | None) -> str | None:
    """The campus the figures are for: a campus's figures for whoever covers it; group-wide ones for who
    covers every campus; someone who covers just one campus gets theirs when they name none."""
    who = principal(request)
    if campus is not None:
        who.require_campus(campus)
        return campus
    if all(who.covers(c) for c in CAMPUSES):
        return None
    mine = [c for c in CAMPUSES if who.covers(c)]
    if len(mine) == 1:
        return mine[0]
    raise Forbidden(f"{who.role} {who.subject} covers only some campuses: ask for one of them (campus=)")


def _may_read_publication(request: Request, publication_id: int, campus: str | None) -> None:
    """A campus's publication for whoever covers that campus, a group-wide one for who covers every campus (as
    ``_scope``); out of scope answers 404, as an unknown id does."""
    who = principal(request)
    if not all(who.covers(c) for c in ([campus] if campus else CAMPUSES)):
        raise OutOfScope(f"no publication {publication_id}")


class Service(Backbone):
    name = SERVICE
    db: Database = DatabaseProvider(SERVICE)
    inbox = ConsumerProvider(SERVICE, PROJECTOR)
    business_metrics = metrics.Provider(SERVICE)

    @http("GET", "/reports/summary", roles=READERS)
    def summary(self, request: Request) -> Response:
        params = query(schemas.SummaryQuery(), request)
        params["campus"] = _scope(request, params["campus"])
        with self.db.transaction() as cur:
            return json_response(reports.summary(cur, params))

    @http("GET", "/reports/monthly", roles=READERS)
    def monthly(self, request: Request) -> Response:
        params = query(schemas.MonthlyQuery(), request)
        period, campus = params["month"], _scope(request, params["campus"])
        published = None
        with self.db.transaction() as cur:
            if params["version"] is not None:
                published = reports.published_version(cur, period, campus, params["version"])
                if published is None:
                    raise NotFound(
                        f"no published version {params['version']} of {period.start:%Y-%m} ({campus or 'group-wide'})"
                    )
                report = published["figures"]
            else:
                report = reports.monthly(cur, period, campus, params["as_of"])
        name = f"complaints-{period.start:%Y-%m}-{campus or 'group'}"
        if params["format"] == "csv":
            return Response(
                render.to_csv(report, params["lang"]),
                mimetype="text/csv",
                headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
            )
        if params["format"] == "html":
            return Response(render.to_html(report, params["lang"], published), mimetype="text/html")
        return json_response(
            {**report, **({"publication": {k: v for k, v in published.items() if k != "figures"}} if published else {})}
        )

    @http("POST", "/reports/monthly/publish", roles=PUBLISHERS)
    def publish(self, request: Request) -> Response:
        body = load(schemas.PublishBody(), request)
        body["campus"] = _scope(request, body["campus"])
        with self.db.transaction() as cur:
            # One snapshot for the positions and the copy they refer to.
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            published = reports.publish(cur, body["month"], body["campus"], principal(request).subject)
        return json_response(published, 201, {"Location": f"/reports/monthly/publications/{published['id']}"})

    @http("GET", "/reports/monthly/publications", roles=READERS)
    def publications(self, request: Request) -> Response:
        params = query(schemas.PublicationsQuery(), request)
        params["campus"] = _scope(request, params["campus"])
        with self.db.transaction() as cur:
            return json_response({"publications": reports.publications(cur, params["month"], params["campus"])})

    @http("GET", "/reports/monthly/publications/<int:publication_id>", roles=READERS)
    def get_publication(self, request: Request, publication_id: int) -> Response:
        with self.db.transaction() as cur:
            found = reports.publication(cur, publication_id)
        if found is None:
            raise NotFound(f"no publication {publication_id}")
        _may_read_publication(request, publication_id, found["campus"])
        return json_response(found)

    @http("GET", "/reports/monthly/publications/<int:publication_id>/reproduction", roles=READERS)
    def reproduce(self, request: Request, publication_id: int) -> Response:
        with self.db.transaction() as cur:
            found = reports.publication(cur, publication_id)
            if found is None:
                raise NotFound(f"no publication {publication_id}")
            _may_read_publication(request, publication_id, found["campus"])
            return json_response(reports.reproduce(cur, found))

    @http("GET", "/reports/complaints/<string:complaint_id>", roles=(OFFICER, AUDITOR))
    def complaint_facts(self, request: Request, complaint_id: str) -> Response:
        params = query(schemas.FactsQuery(), request)
        try:
            complaint_id = str(uuid.UUID(complaint_id))
        except ValueError:
            raise NotFound(f"no complaint {complaint_id}") from None
        with self.db.transaction() as cur:
            found = reports.facts(cur, complaint_id, params["as_of"])
        missing = f"no complaint {complaint_id} in reporting's log"
        if found is None:
            raise NotFound(missing)
        principal(request).require_visible(missing, found["facts"]["campuses"])
        return json_response(found)

    @http("POST", "/admin/rebuild", roles=(OPS,))
    def start_rebuild(self, request: Request) -> Response:
        if request.get_data(cache=True).strip():
            load(schemas.RebuildBody(), request)
        _reap()
        try:
            rebuild_id = rebuild.request(self.db.dsn)
        except rebuild.RebuildRunning as exc:
            raise Conflict(f"not started: {exc}", state="running") from None
        # A process of its own: the fold is CPU work that would stall this replica's green threads.
        _rebuilds.append(
            subprocess.Popen(
                [sys.executable, "-m", "services.reporting.rebuild", "--id", str(rebuild_id), "--quiet"],
                cwd=config.ROOT,
                stdout=subprocess.DEVNULL,
            )
        )
        with self.db.transaction() as cur:
            status = rebuild.status(cur, rebuild_id)
        return json_response({"rebuild": status}, 202, {"Location": f"/admin/rebuild/{rebuild_id}"})

    @http("GET", "/admin/rebuild", roles=READERS)
    def last_rebuild(self, request: Request) -> Response:
        _reap()
        with self.db.transaction() as cur:
            return json_response({"rebuild": rebuild.status(cur)})

    @http("GET", "/admin/rebuild/<int:rebuild_id>", roles=READERS)
    def get_rebuild(self, request: Request, rebuild_id: int) -> Response:
        _reap()
        with self.db.transaction() as cur:
            found = rebuild.status(cur, rebuild_id)
        if found is None:
            raise NotFound(f"no rebuild {rebuild_id}")
        return json_response({"rebuild": found})
