"""The queues a service consumes: quorum queues (replicated over the cluster's nodes, a leader
re-elected when its node dies), and the upgrade of a classic queue of the same name in place.

- ``<consumer>.<source>-events``: one per source, bound to ``<source>.events`` with ``#``;
- ``<consumer>.dead-letter``: what the broker dead-letters after ``DELIVERY_LIMIT`` deliveries (a
  message that keeps a consumer from committing); nothing is lost by it, since the source's log
  is the truth and the gap it leaves is backfilled from ``GET /events``.

A queue's type cannot change, so a classic queue found under a consumer queue's name (a deployment
from before quorum queues) is migrated without losing what it holds (docs/runbook.md):
1. a quorum holding queue ``<name>.migrating`` is bound like it, so it receives every new event;
2. the classic queue's messages are moved into the holding queue (each confirmed before it is
   acknowledged), then the classic queue is deleted once empty;
3. the quorum queue is declared under the name and bound, the holding queue unbound, its messages
   moved into the quorum queue, and it is deleted once empty.
Every step may be repeated (a replica killed half-way, two replicas migrating at once): a message
may be moved twice, which the inbox ignores by its sequence; none is dropped.

nameko's RPC request queue (``rpc-intake``) is a quorum queue too (``quorum_rpc``); a classic one is
simply replaced: its requests' callers time out and ask again.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from typing import Any

import amqp
import amqp.exceptions
import kombu
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.rpc import Rpc, RpcConsumer

from shared import config
from shared.relay import event_exchange

log = logging.getLogger(__name__)

DELIVERY_LIMIT = 100  # far above the redeliveries a database failover or a deploy causes
HOLDING_SUFFIX = ".migrating"


def queue_name(service: str, source: str) -> str:
    return f"{service}.{source}-events"


def dead_letter_name(service: str) -> str:
    return f"{service}.dead-letter"


def _mover_exchange(service: str) -> str:
    # Moving a message goes through an exchange of the service's own: a service's broker user may not
    # write to the default exchange (deploy/rabbitmq/permissions.json).
    return f"{service}.requeue"


def quorum_arguments(service: str) -> dict[str, Any]:
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": DELIVERY_LIMIT,
        "x-dead-letter-exchange": dead_letter_name(service),
    }


def consumer_queue(service: str, source: str, name: str | None = None) -> kombu.Queue:
    """The quorum queue of one source (the source's exchange is its owner's: only checked, passively)."""
    return kombu.Queue(
        name or queue_name(service, source),
        exchange=event_exchange(source, passive=True),
        routing_key="#",
        durable=True,
        auto_delete=False,
        queue_arguments=quorum_arguments(service),
    )


def declare(connection: kombu.Connection, service: str, sources: list[str]) -> list[kombu.Queue]:
    """Declare the dead-letter queue and every source's quorum queue, migrating classic ones."""
    with connection.channel() as channel:
        dead = kombu.Exchange(dead_letter_name(service), type="fanout", durable=True)
        kombu.Queue(dead_letter_name(service), exchange=dead, durable=True, queue_arguments={"x-queue-type": "quorum"})(
            channel
        ).declare()
    return [ensure_quorum(connection, service, source) for source in sources]


def ensure_quorum(connection: kombu.Connection, service: str, source: str) -> kombu.Queue:
    queue = consumer_queue(service, source)
    try:
        _declare(connection, queue)
        if not _exists(connection, queue.name + HOLDING_SUFFIX):
            return queue
    except amqp.exceptions.PreconditionFailed:  # a classic queue holds the name
        pass
    # One replica migrates at a time: two at once raced (one deleting the classic queue "if empty" after the
    # other had already declared the quorum queue in its place, which quorum queues refuse).
    with _migration_lock(connection, queue.name):
        try:
            _declare(connection, queue)  # another replica migrated it while this one waited
        except amqp.exceptions.PreconditionFailed:
            _migrate_classic(connection, service, source)
        _finish_holding(connection, service, source)
    return queue


def _exists(connection: kombu.Connection, name: str) -> bool:
    try:
        with connection.channel() as channel:
            channel.queue_declare(name, passive=True)
        return True
    except amqp.exceptions.NotFound:
        return False


@contextlib.contextmanager
def _migration_lock(connection: kombu.Connection, name: str, timeout: float = 120.0) -> Iterator[None]:
    """An exclusive queue as a lock: one connection may hold it, and the broker frees it if that dies."""
    lock, deadline = name + ".migration-lock", time.monotonic() + timeout
    channel = connection.channel()
    while True:
        try:
            channel.queue_declare(lock, exclusive=True, auto_delete=True)
            break
        except amqp.exceptions.ResourceLocked:  # another replica migrates now: wait for it
            channel = connection.channel()  # the refusal closed that channel
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            channel.queue_delete(lock)
            channel.close()


def _declare(connection: kombu.Connection, queue: kombu.Queue) -> None:
    with connection.channel() as channel:  # a refused declare closes its channel: one each
        queue(channel).declare()


def _migrate_classic(connection: kombu.Connection, service: str, source: str) -> None:
    name = queue_name(service, source)
    holding = consumer_queue(service, source, name + HOLDING_SUFFIX)
    log.warning("queue %s is a classic queue: migrating it to a quorum queue", name)
    _declare(connection, holding)
    while True:
        moved = move_messages(connection, service, name, holding.name)
        try:
            with connection.channel() as channel:
                channel.queue_delete(name, if_empty=True)
            break
        except amqp.exceptions.PreconditionFailed:
            continue  # new events arrived while moving: move them too
        except amqp.exceptions.NotFound:
            break  # another replica deleted it
    log.warning("queue %s: moved %d messages from the classic queue; declaring the quorum queue", name, moved)
    _declare(connection, consumer_queue(service, source))


def _finish_holding(connection: kombu.Connection, service: str, source: str) -> None:
    """Step 3, also after a migration interrupted once the classic queue was gone."""
    name = queue_name(service, source)
    holding = name + HOLDING_SUFFIX
    try:
        with connection.channel() as channel:
            channel.queue_declare(holding, passive=True)
    except amqp.exceptions.NotFound:
        return
    with connection.channel() as channel:
        channel.queue_unbind(holding, event_exchange(source).name, "#")
    while True:
        move_messages(connection, service, holding, name)
        # Quorum queues refuse delete-if-empty: check it is empty, then delete. A message another
        # replica's mover holds unacknowledged has already been copied: deleting it loses nothing.
        try:
            with connection.channel() as channel:
                if channel.queue_declare(holding, passive=True).message_count:
                    continue
                channel.queue_delete(holding)
            return
        except amqp.exceptions.NotFound:
            return


def move_messages(connection: kombu.Connection, service: str, source_queue: str, target_queue: str) -> int:
    """Move every message from one queue to another: each is published with confirms, then acknowledged."""
    exchange = kombu.Exchange(_mover_exchange(service), type="direct", durable=True)
    moved = 0
    with connection.channel() as channel:
        exchange(channel).declare()
        channel.queue_bind(target_queue, exchange.name, target_queue)
        while True:
            message: amqp.Message | None = channel.basic_get(source_queue, no_ack=False)
            if message is None:
                return moved
            properties = dict(message.properties)
            # The broker's own headers (x-delivery-count, x-death) describe the old queue's deliveries.
            headers = {
                k: v for k, v in (properties.pop("application_headers", None) or {}).items() if not k.startswith("x-")
            }
            copy = amqp.Message(message.body, application_headers=headers, **{**properties, "delivery_mode": 2})
            # Confirmed before the original is acknowledged: a plain basic_publish after confirm_select does
            # not wait, and a holding queue found empty and deleted lost the moves still in flight (issue 20).
            channel.basic_publish_confirm(copy, exchange.name, target_queue, mandatory=True, confirm_timeout=30)
            channel.basic_ack(message.delivery_tag)
            moved += 1


# -- nameko RPC (intake's contact_for): a quorum queue too ------------------------------------------------------


def replace_classic(amqp_uri: str, queue: kombu.Queue) -> None:
    """Declare ``queue`` (a quorum queue); a classic queue of that name is deleted first. Only for RPC
    request queues: what they hold are requests whose callers time out and ask again."""
    with kombu.Connection(config.broker_failover(amqp_uri), connect_timeout=5) as connection:
        try:
            _declare(connection, queue)
        except amqp.exceptions.PreconditionFailed:
            log.warning("RPC queue %s is a classic queue: replacing it with a quorum queue", queue.name)
            with connection.channel() as channel:
                channel.queue_delete(queue.name)
            _declare(connection, queue)


class QuorumRpcConsumer(RpcConsumer):
    """nameko's RPC consumer with its ``rpc-<service>`` queue declared as a quorum queue."""

    def setup(self) -> None:
        if self.queue is None:
            super().setup()
            self.queue.queue_arguments = {"x-queue-type": "quorum"}
            replace_classic(self.container.config[AMQP_URI_CONFIG_KEY], self.queue)


class QuorumRpc(Rpc):
    rpc_consumer = QuorumRpcConsumer()


quorum_rpc = QuorumRpc.decorator  # use like nameko's ``rpc``
