"""nameko glue: the backbone as dependency providers and the endpoints every service serves.

A service class declares what it uses as class attributes (nameko-examples style)::

    db = DatabaseProvider("intake")
    relay = RelayProvider("intake")          # services that own events
    consumer = ConsumerProvider("reporting", PROJECTOR)   # services that consume events
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from marshmallow import Schema, fields, validate
from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Request, Response

from shared import config, metrics
from shared.auth import EVENT_READERS, FULL_LOG_READERS, Principal, authenticator
from shared.consumer import Backfill, EventConsumer, Inbox, Projector
from shared.db import Database
from shared.eventstore import EventStore, StreamScope
from shared.relay import Relay
from shared.web import BrokerCheck, http, json_response, principal, query

log = logging.getLogger(__name__)
_databases: dict[str, Database] = {}


def database(service: str) -> Database:
    """One pool per service per process, shared by entrypoints, relay and consumer."""
    if service not in _databases:
        _databases[service] = Database(config.database_url(service), size=int(os.environ.get("DB_POOL_SIZE", "10")))
    return _databases[service]


_broker: dict[str, BrokerCheck] = {}


def broker_check(service: str) -> BrokerCheck:
    if service not in _broker:
        _broker[service] = BrokerCheck(config.amqp_uri(service))
    return _broker[service]


class DatabaseProvider(DependencyProvider):
    def __init__(self, service: str):
        self.service = service

    def setup(self) -> None:
        self.database = database(self.service)

    def get_dependency(self, worker_ctx: Any) -> Database:
        return self.database


class RelayProvider(DependencyProvider):
    """Runs the relay of this service's log in a managed background thread."""

    def __init__(self, service: str):
        self.service = service

    def setup(self) -> None:
        self.relay = Relay(
            self.service,
            config.database_url(self.service),
            config.amqp_uri(self.service),
            batch_size=int(os.environ.get("RELAY_BATCH_SIZE", "1000")),
        )

    def start(self) -> None:
        self.container.spawn_managed_thread(self.relay.run)

    def stop(self) -> None:
        self.relay.stop()

    def get_dependency(self, worker_ctx: Any) -> EventStore:
        return EventStore(self.service)


class ConsumerProvider(DependencyProvider):
    """Consumes the sources ``projector`` has handlers for, with gap backfill, in the background."""

    def __init__(self, service: str, projector: Projector):
        self.service = service
        self.projector = projector

    def setup(self) -> None:
        self.inbox = Inbox(self.service, database(self.service), self.projector)
        sources = sorted(self.projector.sources)
        backfill = Backfill(
            self.inbox,
            {s: config.service_url(s) for s in sources},
            headers=lambda: {"Authorization": f"Bearer {authenticator().service_token(self.service)}"},
        )
        self.consumer = EventConsumer(
            self.inbox,
            config.amqp_uri(self.service),
            sources,
            backfill,
            gap_timeout=float(os.environ.get("GAP_TIMEOUT", "2")),
        )

    def start(self) -> None:
        self.container.spawn_managed_thread(self.consumer.run)
        self.container.spawn_managed_thread(self.consumer.watch_gaps)

    def stop(self) -> None:
        self.consumer.stop()

    def get_dependency(self, worker_ctx: Any) -> Inbox:
        return self.inbox


class BackgroundLoop(DependencyProvider):
    """A round of work repeated every ``interval`` seconds in the background of every replica (the
    deadline engine, notification delivery). A failed round is logged and tried again next time:
    the database or the broker may be away for a while."""

    interval: float = 1.0

    def setup(self) -> None:
        self.stopping = threading.Event()

    def start(self) -> None:
        self.container.spawn_managed_thread(self._run)

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.round()
            except Exception as exc:
                log.warning("%s round failed: %s", type(self).__name__, exc)
            self.stopping.wait(self.interval)

    def round(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self.stopping.set()


class EventsQuery(Schema):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    subject = fields.UUID(metadata={"description": "only the events of this complaint (its stream)"})


class Backbone:
    """Endpoints of every service: health, metrics. Mixed into each nameko service class."""

    name: str
    db: Database

    @http("GET", "/health/live", public=True)
    def health_live(self, request: Request) -> Response:
        return json_response({"status": "live", "service": self.name})

    @http("GET", "/health/ready", public=True)
    def health_ready(self, request: Request) -> Response:
        checks = {"database": self.db.ping(), "broker": broker_check(self.name).ok()}
        ready = all(checks.values())
        return json_response({"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503)

    @http("GET", "/metrics", public=True)
    def metrics(self, request: Request) -> Response:
        body, content_type = metrics.exposition()
        return Response(body, headers={"Content-Type": content_type})


class EventLog:
    """``GET /events?after=&limit=&subject=``: the service's own log, in sequence order, for backfill; with
    ``subject``, one complaint's events. Services, ops and auditors read the whole log; a complaint officer of
    some campuses only the events of complaints in them (docs/subscribers.md): ``scoped_streams`` is the
    service's query of those complaints' ids, given the campuses as its one parameter (a text[])."""

    name: str
    db: Database
    scoped_streams: str

    @http("GET", "/events", roles=EVENT_READERS)
    def events(self, request: Request) -> Response:
        params = query(EventsQuery(), request)
        store = EventStore(self.name)
        subject = str(params["subject"]) if "subject" in params else None
        with self.db.transaction() as cur:
            # One snapshot: the head (and its chain hash) covers exactly the page read (the dossier relies on it).
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            page = store.read_after(
                cur, params["after"], params["limit"], subject=subject, within=self._scope(principal(request))
            )
            head, head_hash = store.head_link(cur)
        return json_response({"events": [e.to_dict() for e in page], "head": head, "head_hash": head_hash})

    def _scope(self, who: Principal) -> StreamScope | None:
        """None: the whole log. Else the streams (complaints) of the caller's campuses."""
        campuses = who.campus_filter()
        if who.role in FULL_LOG_READERS or campuses is None:
            return None
        return StreamScope(self.scoped_streams, (campuses,))
