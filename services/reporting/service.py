"""Reporting: statistics from every service's events. Entrypoints only."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validates_schema
from werkzeug.wrappers import Request, Response

from services.reporting.projection import PROJECTOR, SERVICE
from shared.db import Database
from shared.runtime import Backbone, ConsumerProvider, DatabaseProvider
from shared.web import http, json_response, query


class SummaryQuery(Schema):
    class Meta:
        unknown = RAISE

    from_ = fields.Date(data_key="from", load_default=None)
    to = fields.Date(load_default=None)
    campus = fields.String(load_default=None)
    as_of = fields.AwareDateTime(load_default=None)

    @validates_schema
    def check_period(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ValidationError({"to": ["is before from"]})


class Service(Backbone):
    name = SERVICE
    db: Database = DatabaseProvider(SERVICE)
    inbox = ConsumerProvider(SERVICE, PROJECTOR)

    @http("GET", "/reports/summary")
    def summary(self, request: Request) -> Response:
        params = query(SummaryQuery(), request)
        clauses, args = ["TRUE"], []
        if params["from_"]:
            clauses.append("day >= %s")
            args.append(params["from_"])
        if params["to"]:
            clauses.append("day <= %s")
            args.append(params["to"])
        if params["campus"]:
            clauses.append("campus = %s")
            args.append(params["campus"])
        with self.db.transaction() as cur:
            cur.execute(f"SELECT campus, category, sum(received)::int FROM received_daily"
                        f" WHERE {' AND '.join(clauses)} GROUP BY campus, category ORDER BY campus, category",
                        args)
            rows = cur.fetchall()
        by_campus: dict[str, dict[str, int]] = {}
        for campus, category, received in rows:
            by_campus.setdefault(campus, {})[category] = received
        return json_response({
            "received": {"total": sum(r[2] for r in rows),
                         "by_campus": {c: {"total": sum(v.values()), "by_category": v}
                                       for c, v in by_campus.items()}},
        })
