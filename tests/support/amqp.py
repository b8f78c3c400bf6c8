"""A test subscriber: a durable queue bound to a service's exchange, consumed in a green thread,
surviving connection cuts and broker restarts the way a real subscriber would."""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

import eventlet
import kombu

from shared.envelope import ACCEPT
from shared.relay import event_exchange


class Collector:
    def __init__(self, service: str, queue: str, routing_key: str = "#", amqp_uri: str | None = None):
        self.amqp_uri = amqp_uri or os.environ["AMQP_URI"]
        self.queue = kombu.Queue(
            queue, exchange=event_exchange(service), routing_key=routing_key, durable=True, auto_delete=False
        )
        self.messages: list[dict[str, Any]] = []
        self.raw: list[kombu.Message] = []
        self._stop = False
        with kombu.Connection(self.amqp_uri) as conn:
            self.queue(conn.channel()).declare()
        self._thread = eventlet.spawn(self._run)

    def _run(self) -> None:
        while not self._stop:
            try:
                with (
                    kombu.Connection(self.amqp_uri, connect_timeout=2) as conn,
                    kombu.Consumer(conn, queues=[self.queue], on_message=self._on_message, accept=ACCEPT),
                ):
                    while not self._stop:
                        with contextlib.suppress(TimeoutError):
                            conn.drain_events(timeout=0.2)
                        # A socket that always has the next frame never blocks, so never yields: without this
                        # the test's own green thread starved while thousands arrived (the relay kill test
                        # then saw the relay's position only after it had finished).
                        eventlet.sleep(0)
            except Exception:  # connection cut or broker restarting: reconnect, as subscribers do
                eventlet.sleep(0.2)

    def _on_message(self, message: kombu.Message) -> None:
        self.messages.append(json.loads(message.body))
        self.raw.append(message)
        message.ack()

    @property
    def sequences(self) -> list[int]:
        return [m["sequence"] for m in self.messages]

    def first_occurrences(self) -> list[int]:
        seen: set[int] = set()
        order = []
        for sequence in self.sequences:
            if sequence not in seen:
                seen.add(sequence)
                order.append(sequence)
        return order

    def stop(self) -> None:
        self._stop = True
        self._thread.wait()


def assert_complete_and_ordered(collector: Collector, total: int) -> int:
    """Every event 1..total arrived, first deliveries in order; a repeat only re-sends an earlier one.

    Returns the number of duplicates (redeliveries a consumer must ignore)."""
    first = collector.first_occurrences()
    assert first == list(range(1, total + 1)), (
        f"missing or out of order: first gap near {next((i for i, s in enumerate(first, 1) if s != i), None)}"
    )
    highest = 0
    for sequence in collector.sequences:
        assert sequence <= highest + 1, f"{sequence} arrived before {highest + 1}"
        highest = max(highest, sequence)
    return len(collector.sequences) - total
