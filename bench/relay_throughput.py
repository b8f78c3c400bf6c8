"""Relay throughput: how fast the project's relay moves the event log to RabbitMQ, with confirms.

What is measured, in one run, against the same broker, the same exchange and the same bodies:

(a) ``relay``: the project's :class:`shared.relay.Relay` doing one ``publish_pending`` pass over a
    backlog of N events appended through the real :class:`shared.eventstore.EventStore`. This
    includes everything the relay does in production: reading each batch from PostgreSQL (the
    CloudEvent body is built in SQL), publishing persistent messages, waiting until the broker
    confirmed the whole batch, and moving ``relay_position`` after each batch.
(b) ``raw confirm/msg``: plain kombu/py-amqp publishing the same bodies, already in memory, with
    the same properties (persistent, content type, message id, type) and one publisher confirm per
    message: the connection has ``transport_options={'confirm_publish': True}``, so each publish
    waits for its own confirm. This is the straightforward safe way to publish without losing a
    message. It is a fair (if anything favourable) baseline: it does no database work at all, and by
    default it calls py-amqp's ``basic_publish`` on the kombu channel directly, the cheapest client
    path and the one the relay itself uses (``--raw-api producer`` goes through ``kombu.Producer``).
    A confirm per message costs a broker round trip plus the broker's disk sync for a persistent
    message, so (b) is slow; ``--confirm-budget`` stops it after that many seconds and its rate is
    taken over the messages it got through (the rate is steady, so the figure does not change).
(c) ``raw no confirms``: the same client and bodies without confirms (fire and forget; the clock
    stops when the queue holds all N messages, so it measures what the broker accepted, not what
    sat in a socket buffer). This is an upper bound: it gives no delivery guarantee and reads no
    database, so the relay is not expected to beat it by much, if at all.

Each figure publishes into the topic exchange ``intake.events`` with one bound durable queue; the
queue is checked to hold exactly the messages published, then purged before the next figure.
Everything runs in one process under eventlet with the cooperative psycopg2 wait callback, exactly
as the services run. The bench uses its own database and its own RabbitMQ vhost, both removed at
the end.

    PYTHONPATH=. /tmp/v/bin/python bench/relay_throughput.py [--events 50000] [--profile]
"""

import eventlet

eventlet.monkey_patch()

from shared.db import make_cooperative  # noqa: E402

make_cooperative()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import cProfile  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from dataclasses import replace  # noqa: E402

os.environ.setdefault("DATABASE_URL_TEMPLATE", "postgresql://postgres@127.0.0.1:5432/bench_{service}")
os.environ.setdefault("RABBIT_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672")

import amqp  # noqa: E402
import kombu  # noqa: E402
import psycopg2  # noqa: E402

from shared.db import Database  # noqa: E402
from shared.envelope import Envelope  # noqa: E402
from shared.eventstore import EventStore  # noqa: E402
from shared.relay import _BATCH_SQL, Relay, event_exchange  # noqa: E402
from tests.support import rabbit  # noqa: E402
from tests.support.databases import fresh_backbone_database  # noqa: E402
from tests.support.events import withdrawn  # noqa: E402

SERVICE = "intake"
QUEUE = "bench.relay-throughput"

Message = tuple[str, str, bytes]  # routing key, message id, body


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000, help="events in the log (N)")
    parser.add_argument("--batch-size", type=int, default=1000,
                        help="relay batch size (RELAY_BATCH_SIZE, the services' default is 1000)")
    parser.add_argument("--stream-length", type=int, default=10, help="events per stream when appending")
    parser.add_argument("--confirm-budget", type=float, default=20.0,
                        help="seconds (b) may run; it stops early and reports the rate so far (0: no limit)")
    parser.add_argument("--raw-api", choices=("channel", "producer"), default="channel",
                        help="baselines publish with py-amqp channel.basic_publish or kombu.Producer.publish")
    parser.add_argument("--amqp", default="amqp://guest:guest@127.0.0.1:5672",
                        help="broker URI without vhost (a fresh vhost is created and deleted)")
    parser.add_argument("--profile", action="store_true", help="cProfile the relay pass and print the top")
    parser.add_argument("--breakdown", action="store_true",
                        help="time the relay's phases: database, basic_publish, waiting for confirms")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the bench database")
    return parser.parse_args()


# -- setup ---------------------------------------------------------------------------------------

def clone(template: Envelope, stream: str, n: int) -> Envelope:
    """A copy of a catalogue-validated event for another stream, with its own id (no re-validation)."""
    event_id = str(uuid.uuid4())
    return replace(template, id=event_id, subject=stream, correlationid=event_id, causationid=event_id,
                   data={**template.data, "complaint_id": stream, "reason": f"note {n}"})


def append_log(db: Database, count: int, stream_length: int, streams_per_transaction: int = 100) -> None:
    """``count`` events through the real store: streams of ``stream_length`` events, 100 streams a commit."""
    store = EventStore(SERVICE)
    template = withdrawn(str(uuid.uuid4()))  # built by new_event: validated by the catalogue
    made = 0
    while made < count:
        with db.transaction() as cur:
            for _ in range(streams_per_transaction):
                if made >= count:
                    break
                stream = str(uuid.uuid4())
                size = min(stream_length, count - made)
                store.append(cur, stream, 0, [clone(template, stream, made + i) for i in range(size)])
                made += size


def load_messages(dsn: str, count: int) -> list[Message]:
    """The very bodies the relay publishes, built by the relay's own SQL, for the raw baselines."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(_BATCH_SQL, {"source": f"complaints/{SERVICE}", "after": 0, "limit": count})
            return [(event_type, event_id, body.encode()) for _, event_type, event_id, body in cur.fetchall()]
    finally:
        conn.close()


def drop_database(dsn: str) -> None:
    name = dsn.rsplit("/", 1)[1]
    conn = psycopg2.connect(dsn.rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


class Queue:
    """The one durable queue bound to the exchange: declare, count, purge."""

    def __init__(self, amqp_uri: str):
        self.connection = kombu.Connection(amqp_uri, heartbeat=0)
        self.channel = self.connection.channel()
        self.queue = kombu.Queue(QUEUE, exchange=event_exchange(SERVICE), routing_key="#", durable=True,
                                 auto_delete=False)(self.channel)
        self.queue.declare()

    def depth(self) -> int:
        return self.channel.queue_declare(QUEUE, passive=True).message_count

    def purge(self) -> None:
        self.queue.purge()
        deadline = time.monotonic() + 30
        while self.depth() and time.monotonic() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        self.connection.release()


# -- the three figures ---------------------------------------------------------------------------

def timed(obj: object, name: str, totals: dict[str, float], key: str) -> None:
    """Wrap the bound method ``obj.name`` (on the instance only) to add its wall time to ``totals[key]``."""
    method = getattr(obj, name)
    totals.setdefault(key, 0.0)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            totals[key] += time.perf_counter() - started

    setattr(obj, name, wrapper)


def run_relay(dsn: str, amqp_uri: str, batch_size: int, profile: bool, breakdown: bool) -> tuple[int, float]:
    relay = Relay(SERVICE, dsn, amqp_uri, batch_size=batch_size)
    relay.publisher.connect()
    totals: dict[str, float] = {}
    if breakdown:
        timed(relay.publisher, "publish_batch", totals, "publish_batch")
        timed(relay.publisher.channel, "basic_publish", totals, "basic_publish")
        timed(relay.publisher.connection, "drain_events", totals, "confirms")
    conn = psycopg2.connect(dsn)
    conn.autocommit = True  # as Relay.run() uses it
    profiler = cProfile.Profile() if profile else None
    try:
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        sent = relay.publish_pending(conn)
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        with conn.cursor() as cur:
            cur.execute("SELECT last_published FROM relay_position")
            position = cur.fetchone()[0]
    finally:
        conn.close()
        relay.publisher.close()
    if position != sent:
        raise SystemExit(f"relay_position {position} after sending {sent}")
    if breakdown:
        other = totals["publish_batch"] - totals["basic_publish"] - totals["confirms"]
        print(f"  relay phases over {elapsed:.2f}s: database (batch SELECT, position UPDATE, row handling)"
              f" {elapsed - totals['publish_batch']:.2f}s; channel.basic_publish {totals['basic_publish']:.2f}s;"
              f" waiting for confirms (drain_events) {totals['confirms']:.2f}s; amqp.Message etc. {other:.2f}s")
    if profiler:
        print("\nprofile of the relay pass (top 25 by internal time; eventlet switches blur cumulative times):")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    return sent, elapsed


def publish_raw(amqp_uri: str, messages: list[Message], confirm: bool, budget: float,
                api: str) -> tuple[int, float]:
    """Plain kombu/py-amqp, same bodies and properties; with ``confirm`` each publish waits for its confirm.

    ``api="channel"`` calls the py-amqp ``basic_publish`` of a kombu connection's channel directly (the
    cheapest client path, the one the relay uses too); ``api="producer"`` goes through ``kombu.Producer``.
    """
    options = {"confirm_publish": True} if confirm else {}
    exchange = event_exchange(SERVICE)
    with kombu.Connection(amqp_uri, heartbeat=0, transport_options=options) as connection:
        channel = connection.channel()
        exchange.declare(channel=channel)
        producer = kombu.Producer(channel, exchange=exchange, auto_declare=False)
        probe = connection.channel()
        published = 0
        started = time.perf_counter()
        deadline = started + budget if budget > 0 else float("inf")
        for routing_key, message_id, body in messages:
            if api == "channel":
                # With confirm_publish, py-amqp's basic_publish is basic_publish_confirm: it waits for the ack.
                channel.basic_publish(amqp.Message(body, delivery_mode=2, content_type="application/json",
                                                   content_encoding="utf-8", message_id=message_id,
                                                   type=routing_key),
                                      exchange=exchange.name, routing_key=routing_key)
            else:
                producer.publish(body, routing_key=routing_key, content_type="application/json",
                                 content_encoding="utf-8", delivery_mode=2, message_id=message_id,
                                 type=routing_key, retry=False)
            published += 1
            if confirm and not published % 100 and time.perf_counter() > deadline:
                break
        if not confirm:
            # Without confirms the client only knows the bytes left; stop the clock when the broker has them all.
            while probe.queue_declare(QUEUE, passive=True).message_count < published:
                time.sleep(0.005)
        elapsed = time.perf_counter() - started
    return published, elapsed


# -- main ----------------------------------------------------------------------------------------

def main() -> None:
    args = parse_args()
    run_id = uuid.uuid4().hex[:8]
    vhost = f"bench-relay-{run_id}"
    amqp_uri = f"{args.amqp.rstrip('/')}/{vhost}"
    dsn = None
    rabbit.create_vhost(vhost)
    try:
        dsn = fresh_backbone_database(f"relay_{run_id}")
        print(f"database {dsn.rsplit('/', 1)[1]}, vhost {vhost}, load average {os.getloadavg()[0]:.2f}")
        db = Database(dsn, size=2)
        started = time.perf_counter()
        append_log(db, args.events, args.stream_length)
        db.close()
        print(f"appended {args.events} events through EventStore.append in {time.perf_counter() - started:.1f}s")
        messages = load_messages(dsn, args.events)
        size = sum(len(body) for _, _, body in messages) / len(messages)
        print(f"mean body {size:.0f} bytes; relay batch {args.batch_size}")

        queue = Queue(amqp_uri)
        results: dict[str, tuple[int, float]] = {}
        try:
            def check(name: str) -> None:
                count = results[name][0]
                depth = queue.depth()
                if depth != count:
                    raise SystemExit(f"{name}: queue holds {depth} messages after publishing {count}")
                queue.purge()
                print(f"  {name}: {count} events in {results[name][1]:.2f}s")

            results["relay"] = run_relay(dsn, amqp_uri, args.batch_size, args.profile,
                                         args.breakdown)
            check("relay")
            results["confirm"] = publish_raw(amqp_uri, messages, confirm=True, budget=args.confirm_budget,
                                             api=args.raw_api)
            check("confirm")
            results["plain"] = publish_raw(amqp_uri, messages, confirm=False, budget=0, api=args.raw_api)
            check("plain")
        finally:
            queue.close()
    finally:
        rabbit.delete_vhost(vhost)
        if dsn and not args.keep_db:
            with contextlib.suppress(psycopg2.Error):
                drop_database(dsn)

    rate = {name: count / elapsed for name, (count, elapsed) in results.items()}
    labels = {"relay": "(a) relay, batched confirms", "confirm": "(b) raw kombu, confirm per message",
              "plain": "(c) raw kombu, no confirms"}
    print(f"\n{'figure':38} {'events':>8} {'seconds':>8} {'events/s':>10} {'vs (b)':>8} {'vs (c)':>8}")
    for name, label in labels.items():
        count, elapsed = results[name]
        print(f"{label:38} {count:>8} {elapsed:>8.2f} {rate[name]:>10.0f} {rate[name] / rate['confirm']:>7.2f}x"
              f" {rate[name] / rate['plain']:>7.2f}x")
    target = "meets" if rate["relay"] >= 5000 else "MISSES"
    print(f"\nload average {os.getloadavg()[0]:.2f}; relay {target} the 5,000 events/s target")
    print(f"relay: {rate['relay']:.0f} events/s with confirms; raw kombu confirm-per-message: "
          f"{rate['confirm']:.0f} events/s (ratio {rate['relay'] / rate['confirm']:.1f}x); "
          f"raw kombu no confirms: {rate['plain']:.0f} events/s (ratio {rate['relay'] / rate['plain']:.2f}x)")


if __name__ == "__main__":
    main()
