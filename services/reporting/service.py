"""Reporting: statistics from every service's events. Entrypoints only: the read models and publications
in queries.py, the rules in domain.py, rebuilding in rebuild.py, pages in render.py."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from services.reporting import dossier, dossier_pdf, known, queries, rebuild, render, schemas, settings
from services.reporting.projection import PROJECTOR, SERVICE
from services.reporting.settings import CAMPUSES
from shared.auth import (
    COMPLAINT_REPORT_READERS,
    DOSSIER_READERS,
    REBUILDERS,
    REPORT_PUBLISHERS,
    REPORT_READERS,
    STAFF_REPORT_READERS,
    Forbidden,
    OutOfScope,
)
from shared.db import Database
from shared.errors import UnknownItem
from shared.runtime import Backbone, ConsumerProvider, DatabaseProvider
from shared.web import Conflict, NotFound, http, json_response, load, principal

# Statistics hold no personal data: the office, the leadership, auditors and ops read them.
# _CONTRACT_NAMES: two handlers answer 404 / 409 with shared.web's NotFound / Conflict rather than letting
# shared.errors' UnknownItem / Refused pass: scripts/contracts.py finds a path's 404 and 409 by those names
# in the handler, so the OpenAPI keeps them. Same answers either way; let the domain errors pass once the
# generator reads shared.errors' names.


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


def _complaint_id(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise UnknownItem(f"no complaint {text}") from None


def _dossier_of(request: Request, complaint_id: str) -> dict[str, Any]:
    """The complaint's record from every owner's log, for whoever covers one of its campuses (else 404, as an
    unknown id)."""
    who = principal(request)
    context = dossier.Context(datetime.now(UTC), who.actor, settings.ARCHIVE_RETENTION_YEARS, settings.DEFAULT_TIMEZONE)
    found = dossier.assemble(complaint_id, dossier.gather(dossier.owners_fetch(), complaint_id), context)
    missing = f"no complaint {complaint_id}"
    if found is None:
        raise UnknownItem(missing)
    who.require_visible(missing, found["campuses"])
    return found


class Service(Backbone):
    name = SERVICE
    db: Database = DatabaseProvider(SERVICE)
    inbox = ConsumerProvider(SERVICE, PROJECTOR)
    business_metrics = queries.BusinessMetricsProvider(SERVICE)
    checkpoints = known.Checkpointer()

    @http("GET", "/reports/summary", roles=REPORT_READERS, query=schemas.SummaryQuery)
    def summary(self, request: Request, params: schemas.SummaryParams) -> Response:
        params = dataclasses.replace(params, campus=_scope(request, params.campus))
        with self.db.transaction() as cur:
            return json_response(queries.summary(cur, params))

    @http("GET", "/reports/monthly", roles=REPORT_READERS, query=schemas.MonthlyQuery)
    def monthly(self, request: Request, params: schemas.MonthlyParams) -> Response:
        params = dataclasses.replace(params, campus=_scope(request, params.campus))
        with self.db.transaction() as cur:
            if params.version is None:
                report, published = queries.monthly(cur, params.month, params.campus, params.as_of), None
            else:
                published = queries.published_version(cur, params.month, params.campus, params.version)
                if published is None:
                    raise NotFound(  # see _CONTRACT_NAMES
                        f"no published version {params.version} of {params.month.start:%Y-%m}"
                        f" ({params.campus or 'group-wide'})"
                    )
                report = published["figures"]
        name = f"complaints-{params.month.start:%Y-%m}-{params.campus or 'group'}"
        zone = settings.timezone_of(params.campus)
        if params.format == "csv":
            return Response(
                render.to_csv(report, params.lang, settings.HOSPITAL).encode("utf-8"),
                mimetype="text/csv",
                headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
            )
        if params.format == "xlsx":
            return Response(
                render.to_xlsx(report, params.lang, published, settings.HOSPITAL, zone),
                mimetype=render.XLSX_TYPE,
                headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
            )
        if params.format == "html":
            page = render.to_html(report, params.lang, published, settings.HOSPITAL, zone, params.printable)
            return Response(page, mimetype="text/html")
        return json_response(
            {**report, **({"publication": {k: v for k, v in published.items() if k != "figures"}} if published else {})}
        )

    @http("POST", "/reports/monthly/publish", roles=REPORT_PUBLISHERS, body=schemas.PublishBody)
    def publish(self, request: Request, command: schemas.Publish) -> Response:
        campus = _scope(request, command.campus)
        with self.db.transaction() as cur:
            published = queries.publish(cur, command.month, campus, principal(request).subject)
        return json_response(published, 201, {"Location": f"/reports/monthly/publications/{published['id']}"})

    @http("GET", "/reports/monthly/publications", roles=REPORT_READERS, query=schemas.PublicationsQuery)
    def publications(self, request: Request, params: schemas.PublicationsParams) -> Response:
        campus = _scope(request, params.campus)
        with self.db.transaction() as cur:
            found = queries.publications(cur, params.month, campus)
        if params.lang is not None:  # each change named in the reader's words, for a page to list
            words = render.Words(params.lang, settings.HOSPITAL)
            for publication in found:
                for path, change in publication["changes"].items():
                    change["label"] = render.path_label(path, words)
        return json_response({"publications": found})

    @http("GET", "/reports/monthly/publications/<int:publication_id>", roles=REPORT_READERS)
    def get_publication(self, request: Request, publication_id: int) -> Response:
        with self.db.transaction() as cur:
            found = queries.known_publication(cur, publication_id)
        _may_read_publication(request, publication_id, found["campus"])
        return json_response(found)

    @http("GET", "/reports/monthly/publications/<int:publication_id>/reproduction", roles=REPORT_READERS)
    def reproduce(self, request: Request, publication_id: int) -> Response:
        with self.db.transaction() as cur:
            found = queries.known_publication(cur, publication_id)
            _may_read_publication(request, publication_id, found["campus"])
            return json_response(queries.reproduce(cur, found))

    @http("GET", "/reports/complaints/<string:complaint_id>", roles=COMPLAINT_REPORT_READERS, query=schemas.FactsQuery)
    def complaint_facts(self, request: Request, complaint_id: str, params: schemas.FactsParams) -> Response:
        try:
            complaint_id = str(uuid.UUID(complaint_id))
        except ValueError:
            raise UnknownItem(f"no complaint {complaint_id}") from None
        with self.db.transaction() as cur:
            found = queries.facts(cur, complaint_id, params.as_of)
        missing = f"no complaint {complaint_id} in reporting's log"
        if found is None:
            raise UnknownItem(missing)
        principal(request).require_visible(missing, found["facts"]["campuses"])
        return json_response(found)

    @http("GET", "/complaints/<string:complaint_id>/dossier", roles=DOSSIER_READERS, query=schemas.DossierQuery)
    def get_dossier(self, request: Request, complaint_id: str, params: schemas.DossierParams) -> Response:
        found = _dossier_of(request, _complaint_id(complaint_id))
        if params.format == "json":
            return json_response(found)
        campus = found["classification"].get("campuses", found["campuses"])[0]
        page = dossier_pdf.to_html(found, params.lang, settings.HOSPITAL, settings.timezone_of(campus))
        name = f"dossier-{found['reference'] or complaint_id}.pdf"
        return Response(
            dossier_pdf.to_pdf(page),
            mimetype="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}"'},
        )

    @http("GET", "/reports/staff", roles=STAFF_REPORT_READERS, query=schemas.StaffQuery)
    def staff_report(self, request: Request, params: schemas.StaffParams) -> Response:
        campus = _scope(request, params.campus)
        today = queries.today(None, settings.timezone_of(campus))
        start, end = params.from_ or date(today.year, 1, 1), params.to or today
        with self.db.transaction() as cur:
            figures = queries.staff_figures(cur, start, end, campus)
        if params.format == "csv":
            name = f"staff-{start}-{end}-{campus or 'group'}.csv"
            return Response(
                render.staff_csv(figures),
                mimetype="text/csv",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )
        return json_response(figures)

    @http("POST", "/admin/rebuild", roles=REBUILDERS)
    def start_rebuild(self, request: Request) -> Response:
        if request.get_data(cache=True).strip():  # no body at all is fine too: nothing to say yet
            load(schemas.RebuildBody(), request)
        try:
            rebuild_id = rebuild.start(self.db.dsn)
        except rebuild.RebuildRunning as exc:  # see _CONTRACT_NAMES
            raise Conflict(str(exc), state=exc.state) from None
        with self.db.transaction() as cur:
            status = rebuild.status(cur, rebuild_id)
        return json_response({"rebuild": status}, 202, {"Location": f"/admin/rebuild/{rebuild_id}"})

    @http("GET", "/admin/rebuild", roles=REPORT_READERS)
    def last_rebuild(self, request: Request) -> Response:
        rebuild.reap()
        with self.db.transaction() as cur:
            return json_response({"rebuild": rebuild.status(cur)})

    @http("GET", "/admin/rebuild/<int:rebuild_id>", roles=REPORT_READERS)
    def get_rebuild(self, request: Request, rebuild_id: int) -> Response:
        rebuild.reap()
        with self.db.transaction() as cur:
            found = rebuild.status(cur, rebuild_id)
        if found is None:
            raise UnknownItem(f"no rebuild {rebuild_id}")
        return json_response({"rebuild": found})
