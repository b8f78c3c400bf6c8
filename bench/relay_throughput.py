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

    PYTHONPATH=. .venv/bin/python bench/relay_throughput.py [--quick] [--events 50000] [--profile]
"""

import eventlet

eventlet.monkey_patch()

from shared.db import make_cooperative  # noqa: E402

make_cooperative()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import pstats  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import replace  # noqa: E402
from typing import Any  # noqa: E402

import amqp  # noqa: E402
import kombu  # noqa: E402
import psycopg2  # noqa: E402

from bench import _support  # noqa: E402  (sets the bench's database and management defaults)
from shared.db import Database  # noqa: E402
from shared.envelope import CONTENT_TYPE, Envelope, schema_base  # noqa: E402
from shared.eventstore import EventStore  # noqa: E402
from shared.relay import _BATCH_SQL, Relay, event_exchange  # noqa: E402
from tests.support.events import withdrawn  # noqa: E402

SERVICE = "intake"
QUEUE = "bench.relay-throughput"
TARGET = 5000  # events/s the relay should reach

Message = tuple[str, str, bytes]  # routing key, message id, body
Result = tuple[int, float]  # events, seconds


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--events", type=int, default=50_000, help="events in the log (N)")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1000,
        help="relay batch size (RELAY_BATCH_SIZE; the services' default is 1000)",
    )
    parser.add_argument("--stream-length", type=int, default=10, help="events per stream when appending")
    parser.add_argument(
        "--confirm-budget",
        type=float,
        default=10.0,
        help="seconds (b) may run before it stops and reports its rate so far (0: no limit)",
    )
    parser.add_argument(
        "--raw-api",
        choices=("channel", "producer"),
        default="channel",
        help="baselines publish with py-amqp channel.basic_publish or kombu.Producer.publish",
    )
    _support.common_arguments(parser, "the relay pass (database, basic_publish, confirms)")
    return _support.parse_with_quick(parser, {"events": 2000, "confirm_budget": 1.0})


# -- setup ---------------------------------------------------------------------------------------


def clone(template: Envelope, stream: str, n: int) -> Envelope:
    """A copy of a catalogue-validated event for another stream, with its own id (no re-validation)."""
    event_id = str(uuid.uuid4())
    return replace(
        template,
        id=event_id,
        subject=stream,
        correlationid=event_id,
        causationid=event_id,
        data={**template.data, "complaint_id": stream, "reason": f"note {n}"},
    )


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
            cur.execute(
                _BATCH_SQL,
                {"source": f"complaints/{SERVICE}", "schema_base": schema_base(), "after": 0, "limit": count},
            )
            return [(event_type, event_id, body.encode()) for _, event_type, event_id, body in cur.fetchall()]
    finally:
        conn.close()


def reset_relay_position(dsn: str) -> None:
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE relay_position SET last_published = 0")
    finally:
        conn.close()


# -- the three figures ---------------------------------------------------------------------------


def timed(obj: object, name: str, totals: dict[str, float], key: str) -> None:
    """Wrap the bound method ``obj.name`` (on that instance only) to add its wall time to ``totals[key]``."""
    method = getattr(obj, name)
    totals.setdefault(key, 0.0)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            totals[key] += time.perf_counter() - started

    setattr(obj, name, wrapper)


def run_relay(dsn: str, amqp_uri: str, batch_size: int, profile: bool, breakdown: bool) -> Result:
    """(a) One ``Relay.publish_pending`` pass over the whole backlog, as ``Relay.run`` does it."""
    relay = Relay(SERVICE, dsn, amqp_uri, batch_size=batch_size)
    relay.publisher.connect()
    totals: dict[str, float] = {}
    if breakdown:
        timed(relay.publisher, "publish_batch", totals, "publish_batch")
        timed(relay.publisher.channel, "basic_publish", totals, "basic_publish")
        timed(relay.publisher.connection, "drain_events", totals, "confirms")
    conn = psycopg2.connect(dsn)
    conn.autocommit = True  # as Relay.run() has it
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
        print(
            f"  relay phases over {elapsed:.2f}s: database (batch SELECT, position UPDATE, fetch)"
            f" {elapsed - totals['publish_batch']:.2f}s; channel.basic_publish {totals['basic_publish']:.2f}s;"
            f" waiting for confirms (drain_events) {totals['confirms']:.2f}s; amqp.Message etc. {other:.2f}s"
        )
    if profiler:
        print("\nprofile of the relay pass (top 25 by internal time; eventlet switches blur cumulative times):")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    return sent, elapsed


def publish_raw(amqp_uri: str, messages: list[Message], confirm: bool, budget: float, api: str) -> Result:
    """(b)/(c) Plain kombu/py-amqp, same bodies and properties; with ``confirm`` each publish waits for its ack.

    ``api="channel"`` calls ``basic_publish`` of the kombu connection's py-amqp channel directly (the
    cheapest client path, and the one the relay uses); ``api="producer"`` goes through ``kombu.Producer``.
    """
    options = {"confirm_publish": True} if confirm else {}
    exchange = event_exchange(SERVICE)
    with kombu.Connection(amqp_uri, heartbeat=0, connect_timeout=5, transport_options=options) as connection:
        channel = connection.channel()
        exchange.declare(channel=channel)
        producer = kombu.Producer(channel, exchange=exchange, auto_declare=False)
        probe = connection.channel()
        published = 0
        started = time.perf_counter()
        deadline = started + budget if confirm and budget > 0 else float("inf")
        for routing_key, message_id, body in messages:
            if api == "channel":
                # With confirm_publish, py-amqp's basic_publish is basic_publish_confirm: it waits for the ack.
                channel.basic_publish(
                    amqp.Message(
                        body,
                        delivery_mode=2,
                        content_type=CONTENT_TYPE,
                        content_encoding="utf-8",
                        message_id=message_id,
                        type=routing_key,
                    ),
                    exchange=exchange.name,
                    routing_key=routing_key,
                )
            else:
                producer.publish(
                    body,
                    routing_key=routing_key,
                    content_type=CONTENT_TYPE,
                    content_encoding="utf-8",
                    delivery_mode=2,
                    message_id=message_id,
                    type=routing_key,
                    retry=False,
                )
            published += 1
            if not published % 100 and time.perf_counter() > deadline:
                break
        if not confirm:
            # The client only knows its bytes left; stop the clock once the broker has queued them all.
            while probe.queue_declare(QUEUE, passive=True).message_count < published:
                time.sleep(0.005)
        elapsed = time.perf_counter() - started
    return published, elapsed


# -- main ----------------------------------------------------------------------------------------

LABELS = {
    "relay": "(a) relay, batched confirms",
    "confirm": "(b) raw kombu, confirm per message",
    "plain": "(c) raw kombu, no confirms",
}


def main() -> None:
    args = parse_args()
    with _support.Sandbox("relay", args.amqp, keep_db=args.keep_db) as box:
        print(box.describe())
        db = Database(box.dsn, size=2)
        started = time.perf_counter()
        append_log(db, args.events, args.stream_length)
        db.close()
        print(f"appended {args.events} events through EventStore.append in {time.perf_counter() - started:.1f}s")
        messages = load_messages(box.dsn, args.events)
        size = sum(len(body) for _, _, body in messages) / len(messages)
        print(f"mean body {size:.0f} bytes; relay batch {args.batch_size}; baselines via {args.raw_api}")
        _support.declare(
            box.amqp_uri,
            [kombu.Queue(QUEUE, exchange=event_exchange(SERVICE), routing_key="#", durable=True, auto_delete=False)],
        )

        def reset() -> None:
            _support.purge(box.amqp_uri, QUEUE)
            reset_relay_position(box.dsn)

        figures: dict[str, Callable[[], Result]] = {
            "relay": lambda: run_relay(box.dsn, box.amqp_uri, args.batch_size, args.profile, args.breakdown),
            "confirm": lambda: publish_raw(box.amqp_uri, messages, True, args.confirm_budget, args.raw_api),
            "plain": lambda: publish_raw(box.amqp_uri, messages, False, 0, args.raw_api),
        }
        results: dict[str, Result] = {}
        for round_ in range(1, args.repeat + 1):
            for name, measure in figures.items():
                count, elapsed = _support.retrying(name, box.amqp_uri, measure, reset)
                queued = _support.depth(box.amqp_uri, QUEUE)
                if queued != count:
                    raise SystemExit(f"{name}: the queue holds {queued} messages after publishing {count}")
                reset()
                print(
                    f"  round {round_}: {LABELS[name]}: {count} events in {elapsed:.2f}s"
                    f" = {count / elapsed:.0f} events/s"
                )
                if name not in results or count / elapsed > results[name][0] / results[name][1]:
                    results[name] = (count, elapsed)
        print(_support.load_average())

    rate = {name: count / elapsed for name, (count, elapsed) in results.items()}
    best = f" (best of {args.repeat})" if args.repeat > 1 else ""
    print(f"\n{'figure' + best:38} {'events':>8} {'seconds':>8} {'events/s':>10} {'vs (b)':>8} {'vs (c)':>8}")
    for name, label in LABELS.items():
        count, elapsed = results[name]
        print(
            f"{label:38} {count:>8} {elapsed:>8.2f} {rate[name]:>10.0f} {rate[name] / rate['confirm']:>7.2f}x"
            f" {rate[name] / rate['plain']:>7.2f}x"
        )
    verdict = "meets" if rate["relay"] >= TARGET else "MISSES"
    print(f"\nthe relay {verdict} the target of {TARGET} events/s")
    print(
        f"relay: {rate['relay']:.0f} events/s with confirms; raw kombu confirm-per-message: "
        f"{rate['confirm']:.0f} events/s (ratio {rate['relay'] / rate['confirm']:.1f}x); "
        f"raw kombu no confirms: {rate['plain']:.0f} events/s (ratio {rate['relay'] / rate['plain']:.2f}x)"
    )


if __name__ == "__main__":
    main()
