"""The consumer side: events from other services applied to this service's projections.

- ``Projector``: which plain function handles which event type (``handler(cur, event)``).
- ``Inbox``: applies a batch of received events in ONE transaction, together with the record of
  how far each source has been applied (``source_position``). Events of a source are applied in
  that source's ``sequence`` order: an event that arrives early (concurrent delivery, a second
  replica, a lost message) waits in ``pending_events`` until the gap before it is filled, from
  the broker or by backfill from the source's ``GET /events``. A redelivered event is recognised
  by its sequence and has no effect. An event a handler cannot process is parked with its error
  and the source moves on past it, so it never blocks the events behind it.
- ``EventConsumer``: the AMQP side (kombu): one quorum queue per source (shared/queues.py) bound to every event
  type (``#``), so the consumer sees the whole sequence and can tell a gap from a filter; messages
  are taken in batches and acknowledged only after their transaction committed.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import amqp
import kombu
import psycopg2
import requests

from shared import catalogue, config, metrics, queues
from shared.db import Cursor, Database, execute_prepared, fetch_dicts
from shared.envelope import Envelope, EnvelopeError, parse
from shared.queues import consumer_queue, queue_name  # noqa: F401  (queue_name: its old home)

log = logging.getLogger(__name__)

Handler = Callable[[Cursor, Envelope], None]
BatchHandler = Callable[[Cursor, list[Envelope]], None]
# Infrastructure failures: the batch is rolled back and retried later, never parked.
TRANSIENT = (psycopg2.OperationalError, psycopg2.InterfaceError)


_local = threading.local()


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the batch being applied has committed (e.g. to count it in metrics);
    dropped if the batch rolls back, so a retried batch is never counted twice. Outside a batch
    (a handler called directly) it runs at once."""
    pending = getattr(_local, "callbacks", None)
    if pending is None:
        callback()
    else:
        pending.append(callback)


@contextmanager
def _after_commit_scope() -> Iterator[None]:
    """Collects ``after_commit`` callbacks; wrap it around the transaction so they run after commit."""
    _local.callbacks = []
    try:
        yield
    except BaseException:
        _local.callbacks = None
        raise
    callbacks, _local.callbacks = _local.callbacks, None
    for callback in callbacks:
        callback()


class Projector:
    """The handlers of one service, by event type. Types without a handler are skipped (but counted).

    ``on`` handlers take one event, in the source's order. ``on_batch`` handlers take every event of
    their types in a batch at once (one round trip for many events): they are for projections that
    do not depend on the ``on`` handlers' writes within the batch (copies, counters).
    """

    def __init__(self, service: str):
        self.service = service
        self.handlers: dict[str, list[Handler]] = {}
        self.batch_handlers: dict[str, list[BatchHandler]] = {}
        self.sources: set[str] = set()

    def on(self, *event_types: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for event_type in event_types:
                self.sources.add(catalogue.owner_of(event_type))
                self.handlers.setdefault(event_type, []).append(handler)
            return handler

        return register

    def on_batch(self, *event_types: str) -> Callable[[BatchHandler], BatchHandler]:
        def register(handler: BatchHandler) -> BatchHandler:
            for event_type in event_types:
                self.sources.add(catalogue.owner_of(event_type))
                self.batch_handlers.setdefault(event_type, []).append(handler)
            return handler

        return register

    def apply(self, cur: Cursor, event: Envelope) -> None:
        self.apply_many(cur, [event])

    def apply_many(self, cur: Cursor, events: list[Envelope]) -> None:
        by_handler: dict[BatchHandler, list[Envelope]] = {}
        for event in events:
            for handler in self.handlers.get(event.type, ()):
                handler(cur, event)
            for batch_handler in self.batch_handlers.get(event.type, ()):
                by_handler.setdefault(batch_handler, []).append(event)
        for batch_handler, batch in by_handler.items():
            batch_handler(cur, batch)


@dataclass
class Outcome:
    applied: int = 0
    duplicates: int = 0
    pending: int = 0
    parked: int = 0

    def add(self, other: Outcome) -> None:
        self.applied += other.applied
        self.duplicates += other.duplicates
        self.pending += other.pending
        self.parked += other.parked


@dataclass(frozen=True)
class Unparsable:
    """A received body that is no valid event: parked, with its error, in the batch's transaction."""

    body: Any
    error: EnvelopeError


Parsed = Envelope | Unparsable


def parse_body(body: bytes | str | dict[str, Any]) -> Parsed:
    try:
        return parse(body)
    except EnvelopeError as exc:
        return Unparsable(body, exc)


class _Careful(Exception):
    """A handler failed in the fast path: redo the batch with a savepoint around every event."""


class Inbox:
    def __init__(self, service: str, db: Database, projector: Projector, max_attempts: int = 3):
        self.service = service
        self.db = db
        self.projector = projector
        self.max_attempts = max_attempts

    # -- receiving ---------------------------------------------------------------------------
    def receive(self, bodies: Iterable[bytes | str | dict[str, Any] | Parsed]) -> Outcome:
        """Apply a batch of raw messages (or of :func:`parse_body` results, as the consumer's reader
        makes them); returns what happened. Raises only on TRANSIENT errors."""
        events: dict[str, dict[int, Envelope]] = {}
        invalid: list[tuple[Any, EnvelopeError]] = []
        for body in bodies:
            parsed = body if isinstance(body, (Envelope, Unparsable)) else parse_body(body)
            if isinstance(parsed, Unparsable):
                invalid.append((parsed.body, parsed.error))
            else:
                events.setdefault(parsed.service, {})[parsed.sequence] = parsed
        try:
            return self._receive(events, invalid, careful=False)
        except _Careful:
            return self._receive(events, invalid, careful=True)

    def _receive(
        self, events: dict[str, dict[int, Envelope]], invalid: list[tuple[Any, EnvelopeError]], careful: bool
    ) -> Outcome:
        outcome = Outcome()
        started = time.perf_counter()
        with _after_commit_scope(), self.db.transaction() as cur:
            for body, exc in invalid:
                self._park(cur, None, body, f"invalid event: {exc}", 1)
                outcome.parked += 1
            for source in sorted(events):  # a fixed lock order: two replicas never deadlock
                outcome.add(self._apply_source(cur, source, events[source], careful))
        metrics.CONSUMER_BATCH_SECONDS.labels(self.service).observe(time.perf_counter() - started)
        return outcome

    def _apply_source(self, cur: Cursor, source: str, events: dict[int, Envelope], careful: bool) -> Outcome:
        outcome = Outcome()
        # The row lock serialises every consumer of this source: one applier at a time, in order.
        execute_prepared(
            cur,
            "inbox_lock_source",
            "SELECT upto, (SELECT count(*) FROM pending_events WHERE source = $1)"
            " FROM source_position WHERE source = $1 FOR UPDATE",
            (source,),
        )
        row = cur.fetchone()
        if row is None:
            cur.execute("INSERT INTO source_position (source, upto) VALUES (%s, 0) ON CONFLICT DO NOTHING", (source,))
            cur.execute("SELECT upto, 0 FROM source_position WHERE source = %s FOR UPDATE", (source,))
            row = cur.fetchone()
        start, held = row
        upto = start
        ready: list[Envelope] = []
        early: list[Envelope] = []
        for sequence in sorted(events):
            if sequence <= upto:
                outcome.duplicates += 1
            elif sequence == upto + 1:
                ready.append(events[sequence])
                upto = sequence
            else:
                early.append(events[sequence])
        if early:
            cur.execute(
                "SELECT sequence FROM pending_events WHERE source = %s AND sequence = ANY(%s)",
                (source, [e.sequence for e in early]),
            )
            known = {r[0] for r in cur.fetchall()}
            fresh = [e for e in early if e.sequence not in known]
            for event in fresh:
                cur.execute(
                    "INSERT INTO pending_events (source, sequence, body) VALUES (%s, %s, %s)",
                    (source, event.sequence, json.dumps(event.to_dict(), default=str)),
                )
            outcome.duplicates += len(early) - len(fresh)
            held += len(fresh)
        if held:  # events held back earlier may now follow on
            cur.execute(
                "SELECT sequence, body FROM pending_events WHERE source = %s AND sequence > %s ORDER BY sequence",
                (source, upto),
            )
            for sequence, body in cur.fetchall():
                if sequence != upto + 1:
                    break
                ready.append(parse(body))
                upto = sequence
            cur.execute("DELETE FROM pending_events WHERE source = %s AND sequence <= %s", (source, upto))
            held -= cur.rowcount
        if careful:
            for event in ready:
                outcome.add(self._apply_carefully(cur, event))
        elif ready:
            try:
                self.projector.apply_many(cur, ready)
            except TRANSIENT:
                raise
            except Exception as exc:
                log.info("a handler failed in a batch of %s events (%s); retrying it carefully", source, exc)
                raise _Careful() from exc
            outcome.applied += len(ready)
        if upto != start:
            execute_prepared(
                cur,
                "inbox_advance_source",
                "UPDATE source_position SET upto = $1, updated_at = now() WHERE source = $2",
                (upto, source),
            )
        outcome.pending = held
        metrics.CONSUMER_PENDING.labels(self.service, source).set(held)
        metrics.CONSUMER_APPLIED.labels(self.service, source).inc(outcome.applied)
        metrics.CONSUMER_DUPLICATES.labels(self.service, source).inc(outcome.duplicates)
        return outcome

    def _apply_carefully(self, cur: Cursor, event: Envelope) -> Outcome:
        """One event in a savepoint, retried, and parked if it keeps failing."""
        error = ""
        for _attempt in range(1, self.max_attempts + 1):
            cur.execute("SAVEPOINT apply_event")
            try:
                self.projector.apply(cur, event)
            except TRANSIENT:
                raise
            except Exception as exc:  # a handler bug or an event it cannot take: park after retries
                cur.execute("ROLLBACK TO SAVEPOINT apply_event")
                error = f"{type(exc).__name__}: {exc}"
                continue
            cur.execute("RELEASE SAVEPOINT apply_event")
            return Outcome(applied=1)
        log.error(
            "parked %s %s after %d attempts: %s",
            event.type,
            event.id,
            self.max_attempts,
            error,
            extra={"event_id": event.id, "event_type": event.type},
        )
        self._park(cur, event, event.to_dict(), error, self.max_attempts)
        return Outcome(parked=1)

    def _park(self, cur: Cursor, event: Envelope | None, body: Any, error: str, attempts: int) -> None:
        text = (
            body.decode(errors="replace")
            if isinstance(body, bytes)
            else (body if isinstance(body, str) else json.dumps(body, default=str, ensure_ascii=False))
        )
        cur.execute(
            "INSERT INTO parked_events (event_id, source, sequence, type, body, error, attempts)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                event.id if event else None,
                event.service if event else None,
                event.sequence if event else None,
                event.type if event else None,
                text,
                error[:4000],
                attempts,
            ),
        )
        metrics.CONSUMER_PARKED.labels(self.service, event.service if event else "unknown").inc()

    # -- positions, parking --------------------------------------------------------------------
    def position(self, source: str) -> int:
        with self.db.transaction() as cur:
            cur.execute("SELECT upto FROM source_position WHERE source = %s", (source,))
            row = cur.fetchone()
        return row[0] if row else 0

    def stale_gaps(self, older_than: float) -> list[str]:
        """Sources with events held back for longer than ``older_than`` seconds."""
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT DISTINCT source FROM pending_events WHERE received_at < now() - make_interval(secs => %s)",
                (older_than,),
            )
            return [row[0] for row in cur.fetchall()]

    def parked(self, include_replayed: bool = False) -> list[dict[str, Any]]:
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT id, event_id, source, sequence, type, error, attempts, parked_at, replayed_at"
                " FROM parked_events WHERE %s OR replayed_at IS NULL ORDER BY id",
                (include_replayed,),
            )
            rows = fetch_dicts(cur)
        metrics.PARKED_OPEN.labels(self.service).set(sum(1 for r in rows if r["replayed_at"] is None))
        return rows

    def replay(self, parked_id: int) -> None:
        """Apply a parked event again (after the handler or the data was fixed).

        The source's position already moved past it, so it is applied out of order: handlers
        must cope, which is why this is an operator's decision. Raises if it fails again.
        """
        with _after_commit_scope(), self.db.transaction() as cur:
            cur.execute("SELECT body FROM parked_events WHERE id = %s AND replayed_at IS NULL FOR UPDATE", (parked_id,))
            row = cur.fetchone()
            if row is None:
                raise KeyError(f"no open parked event {parked_id}")
            self.projector.apply(cur, parse(row[0]))
            cur.execute("UPDATE parked_events SET replayed_at = now() WHERE id = %s", (parked_id,))


class Backfill:
    """Fetches a source's log over HTTP (``GET /events``) and feeds it through the inbox."""

    def __init__(
        self,
        inbox: Inbox,
        source_urls: dict[str, str],
        page: int = 500,
        timeout: float = 10.0,
        headers: Callable[[], dict[str, str]] = dict,
    ):
        self.inbox = inbox
        self.headers = headers  # e.g. the service's bearer token
        self.source_urls = source_urls
        self.page = page
        self.timeout = timeout

    def fill(self, source: str) -> int:
        fetched = 0
        while True:
            after = self.inbox.position(source)
            response = requests.get(
                f"{self.source_urls[source]}/events",
                params={"after": after, "limit": self.page},
                headers=self.headers(),
                timeout=self.timeout,
            )
            response.raise_for_status()
            page = response.json()["events"]
            if not page:
                return fetched
            self.inbox.receive(page)
            fetched += len(page)
            metrics.CONSUMER_BACKFILLED.labels(self.inbox.service, source).inc(len(page))
            if len(page) < self.page:
                return fetched


READ_AHEAD = 16384  # bytes asked of the socket per read: a recv brings ~15 deliveries of 1 kB, not one frame part


def read_ahead(connection: kombu.Connection, size: int = READ_AHEAD) -> None:
    """Let the connection's plain-TCP transport read ahead. py-amqp asks the socket for exactly the bytes
    of the next frame part (header, payload, end: nine green recvs per delivery); asking for at least
    ``size`` bytes leaves the rest in the transport's own read buffer, which serves the next reads
    (and is kept across a timeout, as before). Frames are parsed exactly as before."""
    transport = connection.connection.transport
    if type(transport) is not amqp.transport.TCPTransport:  # TLS: its own buffering
        return
    recv = transport.sock.recv
    transport._quick_recv = lambda wanted: recv(max(wanted, size))


class EventConsumer:
    """Consumes every source's exchange in batches; acknowledges after the inbox committed."""

    def __init__(
        self,
        inbox: Inbox,
        amqp_uri: str,
        sources: Iterable[str],
        backfill: Backfill | None = None,
        batch_size: int = 500,
        batch_wait: float = 0.0,
        retry_interval: float = 1.0,
        gap_timeout: float = 2.0,
        catch_up_interval: float = 30.0,
    ):
        self.inbox = inbox
        self.amqp_uri = amqp_uri
        self.sources = sorted(sources)
        self.backfill = backfill
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.retry_interval = retry_interval
        self.gap_timeout = gap_timeout
        self.catch_up_interval = catch_up_interval
        self.stopping = threading.Event()
        self.connected = threading.Event()

    def queues(self) -> list[kombu.Queue]:
        # Quorum queues (shared/queues.py). The source's exchange is its owner's to declare: a consumer
        # only checks it exists (a passive declare needs no configure permission), and retries until the
        # owner has started once.
        return [consumer_queue(self.inbox.service, source) for source in self.sources]

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self._consume()
            except Exception as exc:  # broker or database down: unacked messages return to the queue
                self.connected.clear()
                log.warning("consumer %s: %s; reconnecting in %.1fs", self.inbox.service, exc, self.retry_interval)
                self.stopping.wait(self.retry_interval)

    def _consume(self) -> None:
        """Read and parse deliveries in this green thread while another applies the previous batch:
        reading the broker and parsing overlap the database round trips (prefetch is two batches)."""
        received: queue.Queue[tuple[int, Parsed]] = queue.Queue()
        failed: list[BaseException] = []
        with kombu.Connection(config.broker_failover(self.amqp_uri), heartbeat=0, connect_timeout=5) as connection:
            queues.declare(connection, self.inbox.service, self.sources)  # migrates classic queues first
            channel = connection.channel()
            read_ahead(connection)
            channel.basic_qos(0, self.batch_size * 2, False)

            def on_message(message: amqp.Message) -> None:
                received.put((message.delivery_tag, parse_body(message.body)))

            # py-amqp's own consumer (the queues are declared and bound above): kombu's Message wrapper per
            # delivery is a tenth of the reader's time, and nothing here uses it.
            for consumed in self.queues():
                channel.basic_consume(consumed.name, callback=on_message)
            stop = threading.Event()
            applier = threading.Thread(target=self._apply_batches, args=(received, channel, failed, stop), daemon=True)
            applier.start()
            self.connected.set()
            try:
                while not self.stopping.is_set() and not failed:
                    try:
                        connection.drain_events(timeout=0.5)
                    except TimeoutError:
                        continue
            finally:
                stop.set()
                applier.join()
        if failed:
            raise failed[0]

    def _apply_batches(
        self,
        received: queue.Queue[tuple[int, Parsed]],
        channel: Any,
        failed: list[BaseException],
        stop: threading.Event,
    ) -> None:
        while not stop.is_set():
            try:
                batch = [received.get(timeout=0.5)]
            except queue.Empty:
                continue
            self._fill(batch, received)
            try:
                self.inbox.receive(parsed for _, parsed in batch)
                # One multiple-ack covers the batch: everything up to the last tag was applied.
                channel.basic_ack(batch[-1][0], multiple=True)
            except BaseException as exc:  # unacked messages go back to the queue when we reconnect
                failed.append(exc)
                return

    def _fill(self, batch: list[tuple[int, Parsed]], received: queue.Queue[tuple[int, Parsed]]) -> None:
        """Add what is ready to ``batch``, up to ``batch_size``. A backlog keeps batches large (the reader
        queued many while the previous batch was applied, and hands over more at every yield); once a
        green yield brings nothing, the batch goes at once: no fixed window to wait out when the queue
        is empty. ``batch_wait`` > 0 instead waits up to that long for more (the old behaviour)."""
        deadline = time.monotonic() + self.batch_wait
        while len(batch) < self.batch_size:
            try:
                batch.append(received.get_nowait())
                continue
            except queue.Empty:
                pass
            remaining = deadline - time.monotonic()
            if remaining > 0:
                try:
                    batch.append(received.get(timeout=remaining))
                except queue.Empty:
                    return
                continue
            time.sleep(0)  # a green yield: the reader may have frames in hand (read ahead) to hand over
            if received.empty():
                return

    def watch_gaps(self) -> None:
        """Backfill a source whose gap outlived ``gap_timeout``; catch up with every source regularly."""
        if self.backfill is None:
            return
        last_catch_up = 0.0
        while not self.stopping.is_set():
            try:
                due = time.monotonic() - last_catch_up >= self.catch_up_interval
                sources = self.sources if due else self.inbox.stale_gaps(self.gap_timeout)
                for source in sources:
                    self.backfill.fill(source)
                if due:
                    last_catch_up = time.monotonic()
                    self.inbox.parked()  # refreshes the parked-events gauge
            except Exception as exc:  # the source may be down; try again next round
                log.warning("backfill for %s: %s", self.inbox.service, exc)
            self.stopping.wait(min(self.gap_timeout, self.catch_up_interval) / 2)

    def stop(self) -> None:
        self.stopping.set()
