"""Notification: delivers what the other services' events ask to be told. Entrypoints only: what to
send in domain.py and projection.py, how in delivery.py and channels.py."""

from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import RAISE, Schema, validate
from werkzeug.wrappers import Request, Response

from services.notification import domain
from services.notification.channels import PermanentFailure, TransientFailure
from services.notification.delivery import Deliverer, DeliveryWorker
from services.notification.projection import PROJECTOR, SERVICE
from shared import catalogue, fields
from shared.auth import AUDITOR, LEADERSHIP, OFFICER
from shared.db import Database, fetch_dicts
from shared.eventstore import EventStore
from shared.runtime import Backbone, ConsumerProvider, DatabaseProvider, EventLog, RelayProvider
from shared.web import Conflict, NotFound, http, json_response, load, path_id, principal, query

COLUMNS = (
    "notification_id, complaint_id, purpose, campus, recipient_role, recipient_id, channel, status, attempts,"
    " last_error, detail, created_at, sent_at, updated_at"
)
LETTER_COLUMNS = (
    "notification_id::text, complaint_id::text, caused_by, purpose, campus, recipient_role,"
    " recipient_id, context, channel_preference, attempts, status"
)


class NotificationsQuery(Schema):
    class Meta:
        unknown = RAISE

    complaint_id = catalogue.CanonicalUUID(required=True)


class LettersQuery(fields.HospitalSchema):
    campus = fields.campus_code()
    status = fields.Text(load_default=domain.QUEUED, validate=validate.OneOf((domain.QUEUED, domain.SENT)))


class Posted(Schema):
    class Meta:
        unknown = RAISE

    note = fields.text()


class Service(Backbone, EventLog):
    name = SERVICE
    db: Database = DatabaseProvider(SERVICE)
    store: EventStore = RelayProvider(SERVICE)
    inbox = ConsumerProvider(SERVICE, PROJECTOR)
    scoped_streams = "SELECT complaint_id::text FROM notifications WHERE campus = ANY(%s)"  # GET /events
    delivery: Deliverer = DeliveryWorker()

    @http("GET", "/notifications", roles=(OFFICER, AUDITOR, LEADERSHIP))
    def list_notifications(self, request: Request) -> Response:
        """What was sent about a complaint, when, how, and what failed (no contact details)."""
        params = query(NotificationsQuery(), request)
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {COLUMNS} FROM notifications WHERE complaint_id = %s ORDER BY created_at",
                (params["complaint_id"],),
            )
            rows = fetch_dicts(cur)
        if rows and not principal(request).may_see([rows[0]["campus"]]):
            rows = []  # a complaint out of scope is answered as one with nothing sent (no hint that it exists)
        return json_response({"notifications": rows})

    @http("GET", "/letters", roles=(OFFICER,))
    def list_letters(self, request: Request) -> Response:
        who = principal(request)
        params = query(LettersQuery(), request)
        clauses, args = ["channel = 'letter' AND status = %s"], [params["status"]]
        if "campus" in params:
            who.require_campus(params["campus"])
            clauses.append("campus = %s")
            args.append(params["campus"])
        if who.campus_filter() is not None:
            clauses.append("campus = ANY(%s)")
            args.append(who.campus_filter())
        with self.db.transaction() as cur:
            cur.execute(f"SELECT {COLUMNS} FROM notifications WHERE {' AND '.join(clauses)} ORDER BY created_at", args)
            rows = fetch_dicts(cur)
        return json_response({"letters": rows})

    def _letter_row(self, cur: object, notification_id: str, lock: bool = False) -> dict:
        cur.execute(
            f"SELECT {LETTER_COLUMNS} FROM notifications WHERE notification_id = %s AND channel = 'letter'"
            + (" FOR UPDATE" if lock else ""),
            (notification_id,),
        )
        rows = fetch_dicts(cur)
        if not rows:
            raise NotFound(f"no letter {notification_id}")
        return rows[0]

    @http("GET", "/letters/<string:notification_id>", roles=(OFFICER,))
    def print_letter(self, request: Request, notification_id: str) -> Response:
        """The printable letter, rendered now with the complainant's details fetched from intake."""
        with self.db.transaction() as cur:
            row = self._letter_row(cur, path_id(notification_id, "letter"))
        principal(request).require_visible(f"no letter {row['notification_id']}", [row["campus"]])
        try:
            page = self.delivery.letter(row)
        except (PermanentFailure, TransientFailure) as exc:
            raise Conflict(f"the letter cannot be printed: {exc}", state=row["status"]) from None
        return Response(page, mimetype="text/html")

    @http("POST", "/letters/<string:notification_id>/posted", roles=(OFFICER,))
    def letter_posted(self, request: Request, notification_id: str) -> Response:
        """The office posted (or handed over) the letter: it now counts as sent."""
        load(Posted(), request)
        notification_id = path_id(notification_id, "letter")
        with self.db.transaction() as cur:
            row = self._letter_row(cur, notification_id, lock=True)
            principal(request).require_visible(f"no letter {notification_id}", [row["campus"]])
            if row["status"] != domain.QUEUED:
                raise Conflict(f"the letter is {row['status']}, not queued", state=row["status"])
            self.delivery.mark_posted(cur, row, datetime.now(UTC), principal(request).actor)
        return json_response({"notification_id": notification_id, "status": domain.SENT})
