"""The relay: publishes this service's event log to RabbitMQ, in sequence order.

- one relay per service at a time: it publishes only while it holds a PostgreSQL advisory lock
  (a second replica waits; the lock goes with the leader's connection if it dies);
- wakes on LISTEN/NOTIFY from the appending transaction, and polls as a safety net;
- publishes persistent messages to the topic exchange ``<service>.events`` with the event type as
  routing key (the nameko convention), with publisher confirms collected per batch;
- moves ``relay_position`` only after the broker confirmed the whole batch, so after a crash or a
  broker outage it resumes where it stopped: an event may go out twice (consumers ignore the
  redelivery by its sequence), never zero times.
"""

from __future__ import annotations

import contextlib
import logging
import select
import threading
import time
from dataclasses import dataclass, field

import amqp
import kombu
import kombu.exceptions
import psycopg2
from amqp import spec

from shared import config, metrics
from shared.db import connect
from shared.envelope import CONTENT_TYPE, rfc3339, schema_base
from shared.eventstore import NOTIFY_CHANNEL

log = logging.getLogger(__name__)


class ConfirmError(Exception):
    """The broker refused (nacked) or did not confirm a batch in time."""


# What the relay survives by reconnecting: the database or the broker going away, a refused batch.
RELAY_FAILURES = (psycopg2.Error, OSError, amqp.exceptions.AMQPError, ConfirmError, kombu.exceptions.KombuError)


def event_exchange(service: str, passive: bool = False) -> kombu.Exchange:
    # Identical to nameko's get_event_exchange, so nameko subscribers can declare it too.
    return kombu.Exchange(
        f"{service}.events", type="topic", durable=True, auto_delete=False, delivery_mode=2, passive=passive
    )


# Builds the CloudEvent body in PostgreSQL: one round trip per batch, no per-row Python JSON work.
_BATCH_SQL = """
SELECT sequence, type, id::text, (json_build_object(
    'specversion', '1.0', 'id', id, 'type', type, 'source', %(source)s, 'subject', stream_id,
    'time', to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'datacontenttype', 'application/json',
    'dataschema', %(schema_base)s || 'complaints/' || type || '/' || schema_version,
    'sequence', sequence, 'streamversion', stream_version,
    'correlationid', correlation_id, 'causationid', causation_id, 'prevhash', prev_hash) :: jsonb || extensions
    || jsonb_build_object('data', data)) :: text
FROM events WHERE sequence > %(after)s ORDER BY sequence LIMIT %(limit)s
"""


@dataclass
class Confirms:
    """Tracks publisher confirms of one channel (delivery tags count from 1 after confirm_select)."""

    acked: int = 0
    nacked: list[int] = field(default_factory=list)

    def on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self.acked = max(self.acked, delivery_tag)

    def on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self.nacked.append(delivery_tag)


class Publisher:
    """A confirming AMQP channel that publishes batches and waits for all their confirms."""

    def __init__(self, amqp_uri: str, service: str, confirm_timeout: float = 30.0):
        self.amqp_uri = amqp_uri
        self.exchange = event_exchange(service)
        self.confirm_timeout = confirm_timeout
        self.connection: kombu.Connection | None = None

    def connect(self) -> None:
        self.close()
        self.connection = kombu.Connection(config.broker_failover(self.amqp_uri), heartbeat=0, connect_timeout=5)
        self.connection.connect()
        self.channel = self.connection.channel()
        self.exchange.declare(channel=self.channel)
        self.channel.confirm_select()
        self.confirms = Confirms()
        self.channel.events["basic_ack"].add(self.confirms.on_ack)
        self.channel.events["basic_nack"].add(self.confirms.on_nack)
        self.published = 0

    def publish_batch(self, messages: list[tuple[str, str, bytes]], wait: bool = True) -> None:
        """Publish (routing_key, message_id, body) in order; with ``wait``, return once all are confirmed
        (else call :meth:`wait_for_confirms` later: the broker confirms while the caller reads on)."""
        if self.connection is None:
            self.connect()
        for routing_key, message_id, body in messages:
            message = amqp.Message(
                body,
                delivery_mode=2,
                content_type=CONTENT_TYPE,
                content_encoding="utf-8",
                message_id=message_id,
                type=routing_key,
            )
            # The frame basic_publish sends, without its per-message poll for connection.blocked
            # (a socket read each time); blocked/unblocked notices are read while confirms are awaited.
            self.channel.send_method(
                spec.Basic.Publish, "Bssbb", (0, self.exchange.name, routing_key, False, False), message
            )
            self.published += 1
        if wait:
            self.wait_for_confirms()

    def wait_for_confirms(self) -> None:
        """Block until the broker confirmed everything published so far; raises on a nack or a timeout."""
        deadline = time.monotonic() + self.confirm_timeout
        while self.confirms.acked < self.published and not self.confirms.nacked:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ConfirmError(f"no confirm for {self.published - self.confirms.acked} messages")
            try:
                self.connection.drain_events(timeout=min(remaining, 1.0))
            except TimeoutError:
                continue
        if self.confirms.nacked:
            raise ConfirmError(f"broker nacked delivery tags {self.confirms.nacked[:5]}")

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):  # already broken: nothing to release
                self.connection.release()
            self.connection = None


class Relay:
    def __init__(
        self,
        service: str,
        dsn: str,
        amqp_uri: str,
        batch_size: int = 1000,
        poll_interval: float = 1.0,
        retry_interval: float = 1.0,
    ):
        self.service = service
        self.dsn = dsn
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.retry_interval = retry_interval
        self.publisher = Publisher(amqp_uri, service)
        self.stopping = threading.Event()
        self.is_leader = False
        self._lock_key = f"relay:{service}"

    # -- one pass ---------------------------------------------------------------------------
    def publish_pending(self, conn: psycopg2.extensions.connection) -> int:
        """Publish everything committed after ``relay_position``; returns how many were sent."""
        sent = 0
        with conn.cursor() as cur:
            cur.execute("SELECT last_published FROM relay_position")
            position = cur.fetchone()[0]
            rows = self._batch(cur, position)
            while rows and not self.stopping.is_set():
                # Publish this batch, read the next while the broker confirms it, then record it.
                self.publisher.publish_batch(
                    [(event_type, event_id, body.encode()) for _, event_type, event_id, body in rows], wait=False
                )
                following = self._batch(cur, rows[-1][0])
                self.publisher.wait_for_confirms()
                position = rows[-1][0]
                cur.execute("UPDATE relay_position SET last_published = %s, updated_at = now()", (position,))
                sent += len(rows)
                metrics.RELAY_PUBLISHED.labels(self.service).inc(len(rows))
                rows = following
            cur.execute("SELECT coalesce(max(sequence), 0) FROM events")
            metrics.RELAY_LAG.labels(self.service).set(cur.fetchone()[0] - position)
        return sent

    def _batch(self, cur: psycopg2.extensions.cursor, after: int) -> list[tuple]:
        cur.execute(
            _BATCH_SQL,
            {
                "source": f"complaints/{self.service}",
                "schema_base": schema_base(),
                "after": after,
                "limit": self.batch_size,
            },
        )
        return cur.fetchall()

    # -- the loop ---------------------------------------------------------------------------
    def run(self) -> None:
        """Run until :meth:`stop`; survives database and broker outages by reconnecting."""
        while not self.stopping.is_set():
            conn = None
            try:
                conn = connect(self.dsn, autocommit=True)  # after a failover: the promoted primary
                if not self._lead(conn):
                    self.stopping.wait(self.retry_interval)
                    continue
                self._serve(conn)
            except RELAY_FAILURES as exc:
                log.warning(
                    "relay %s: %s; retrying in %.1fs",
                    self.service,
                    exc,
                    self.retry_interval,
                    extra={"service": self.service},
                )
                self.publisher.close()
                self.stopping.wait(self.retry_interval)
            finally:
                self._set_leader(False)
                if conn is not None and not conn.closed:
                    conn.close()
        self.publisher.close()

    def _lead(self, conn: psycopg2.extensions.connection) -> bool:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (self._lock_key,))
            leader = bool(cur.fetchone()[0])
        self._set_leader(leader)
        return leader

    def _set_leader(self, leader: bool) -> None:
        self.is_leader = leader
        metrics.RELAY_LEADER.labels(self.service).set(1 if leader else 0)

    def _serve(self, conn: psycopg2.extensions.connection) -> None:
        with conn.cursor() as cur:
            cur.execute(f"LISTEN {NOTIFY_CHANNEL}")
        self.publisher.connect()
        log.info("relay %s leads; publishing", self.service, extra={"service": self.service})
        while not self.stopping.is_set():
            conn.notifies.clear()  # the pass below publishes every commit notified so far
            self.publish_pending(conn)
            self._wait_for_commit(conn)

    def _wait_for_commit(self, conn: psycopg2.extensions.connection) -> None:
        """Sleep until a commit notifies us, the poll interval passes (a safety net) or we are stopped.

        A notification that came in while the pass ran its queries is already in ``conn.notifies``
        (psycopg2 reads it with the query's answer), and the socket no longer shows it: without this
        check the relay slept through it until the poll interval, a second at 50 complaints a second."""
        if conn.notifies:
            conn.notifies.clear()
            return
        waited = 0.0
        while waited < self.poll_interval and not self.stopping.is_set():
            step = min(0.5, self.poll_interval - waited)
            readable, _, _ = select.select([conn], [], [], step)
            if readable:
                conn.poll()
                conn.notifies.clear()
                return
            waited += step

    def stop(self) -> None:
        self.stopping.set()


def last_published(cur: psycopg2.extensions.cursor) -> tuple[int, str]:
    cur.execute("SELECT last_published, updated_at FROM relay_position")
    position, updated = cur.fetchone()
    return position, rfc3339(updated)
