"""Notification: delivers what the other services ask to be told. Entrypoints only."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields
from werkzeug.wrappers import Request, Response

from services.notification.projection import PROJECTOR, SERVICE
from shared.db import Database, fetch_dicts
from shared.eventstore import EventStore
from shared.runtime import Backbone, ConsumerProvider, DatabaseProvider, EventLog, RelayProvider
from shared.web import http, json_response, query

COLUMNS = "notification_id, complaint_id, purpose, campus, channel, recipient_role, status, detail, created_at"


class NotificationsQuery(Schema):
    class Meta:
        unknown = RAISE

    complaint_id = fields.UUID(required=True)


class Service(Backbone, EventLog):
    name = SERVICE
    db: Database = DatabaseProvider(SERVICE)
    store: EventStore = RelayProvider(SERVICE)
    inbox = ConsumerProvider(SERVICE, PROJECTOR)

    @http("GET", "/notifications")
    def list_notifications(self, request: Request) -> Response:
        params = query(NotificationsQuery(), request)
        with self.db.transaction() as cur:
            cur.execute(f"SELECT {COLUMNS} FROM notifications WHERE complaint_id = %s ORDER BY created_at",
                        (params["complaint_id"],))
            rows = fetch_dicts(cur)
        return json_response({"notifications": rows})
