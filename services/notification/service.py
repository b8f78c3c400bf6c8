"""Notification: delivers what the other services' events ask to be told. Entrypoints only: what to
send in domain.py and projection.py, how in delivery.py and channels.py, writes in store.py, reads in
queries.py."""

from __future__ import annotations

from datetime import UTC, datetime

from werkzeug.wrappers import Request, Response

from services.notification import domain, queries, schemas, store
from services.notification.channels import PermanentFailure, TransientFailure
from services.notification.delivery import NOTIFICATIONS, Deliverer, DeliveryWorker
from services.notification.projection import PROJECTOR, SERVICE
from shared.auth import LETTER_HANDLERS, NOTIFICATION_READERS
from shared.db import Database
from shared.errors import Refused
from shared.eventstore import EventStore
from shared.runtime import Backbone, ConsumerProvider, DatabaseProvider, EventLog, RelayProvider
from shared.web import http, json_response, path_id, principal


class Service(Backbone, EventLog):
    name = SERVICE
    db: Database = DatabaseProvider(SERVICE)
    relay: EventStore = RelayProvider(SERVICE)  # publishes the log; writes go through store.py
    inbox = ConsumerProvider(SERVICE, PROJECTOR)
    scoped_streams = queries.SCOPED_STREAMS  # GET /events
    delivery: Deliverer = DeliveryWorker()

    @http("GET", "/notifications", roles=NOTIFICATION_READERS, query=schemas.NotificationsQuery)
    def list_notifications(self, request: Request, params: schemas.NotificationsOf) -> Response:
        """What was sent about a complaint, when, how, and what failed (no contact details)."""
        with self.db.transaction() as cur:
            rows = queries.notifications_of(cur, params.complaint_id)
        if rows and not principal(request).may_see([rows[0]["campus"]]):
            rows = []  # a complaint out of scope is answered as one with nothing sent (no hint that it exists)
        return json_response({"notifications": rows})

    @http("GET", "/letters", roles=LETTER_HANDLERS, query=schemas.LettersQuery)
    def list_letters(self, request: Request, params: schemas.LettersIn) -> Response:
        who = principal(request)
        if params.campus is not None:
            who.require_campus(params.campus)
        with self.db.transaction() as cur:
            rows = queries.letters(cur, params.status, params.campus, who.campus_filter())
        return json_response({"letters": rows})

    @http("GET", "/letters/<string:notification_id>", roles=LETTER_HANDLERS)
    def print_letter(self, request: Request, notification_id: str) -> Response:
        """The printable letter, rendered now with the complainant's details fetched from intake."""
        with self.db.transaction() as cur:
            letter = store.letter(cur, path_id(notification_id, "letter"))
        principal(request).require_visible(f"no letter {letter.notification_id}", [letter.campus])
        try:
            page = self.delivery.letter(letter)
        except (PermanentFailure, TransientFailure) as exc:
            raise Refused(f"the letter cannot be printed: {exc}", state=letter.status) from None
        return Response(page, mimetype="text/html")

    @http("POST", "/letters/<string:notification_id>/posted", roles=LETTER_HANDLERS, body=schemas.Posted)
    def letter_posted(self, request: Request, notification_id: str, command: schemas.PostLetter) -> Response:
        """The office posted (or handed over) the letter: it now counts as sent. A letter no longer queued is
        Refused (409, naming its status)."""
        notification_id = path_id(notification_id, "letter")
        who = principal(request)
        with self.db.transaction() as cur:
            letter = store.letter(cur, notification_id, lock=True)
            who.require_visible(f"no letter {notification_id}", [letter.campus])
            outcome = domain.post_letter(letter, command, domain.Context(datetime.now(UTC), who.actor))
            store.save(cur, letter, outcome)
        NOTIFICATIONS.labels(letter.purpose, domain.LETTER, "sent").inc()
        return json_response({"notification_id": notification_id, "status": outcome.status})
