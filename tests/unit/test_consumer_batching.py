"""How the consumer cuts its batches (``EventConsumer._fill``): what is queued goes at once, a backlog
in batches of ``batch_size``, and nothing waits out a fixed window when the queue is empty."""

from __future__ import annotations

import queue

import eventlet

from shared.consumer import EventConsumer


def consumer(batch_size: int = 500, batch_wait: float = 0.0) -> EventConsumer:
    return EventConsumer(None, "amqp://unused", [], batch_size=batch_size, batch_wait=batch_wait)  # type: ignore[arg-type]


def queued(*items: int) -> queue.Queue:
    received: queue.Queue = queue.Queue()
    for item in items:
        received.put(item)
    return received


def test_a_lone_delivery_goes_at_once_without_a_batching_window():
    batch, received = [1], queued()
    eventlet.spawn_after(0.2, received.put, 2)  # a window of any length would wait for it
    consumer(batch_wait=0.0)._fill(batch, received)
    assert batch == [1]
    assert received.qsize() == 0  # it had not come yet: the batch went without it


def test_what_is_queued_joins_the_batch_up_to_its_size():
    received = queued(*range(2, 1200))
    batch = [1]
    consumer(batch_size=500)._fill(batch, received)
    assert batch == list(range(1, 501))
    following = [received.get_nowait()]
    consumer(batch_size=500)._fill(following, received)
    assert following == list(range(501, 1001))  # a backlog is still applied in full batches


def test_deliveries_the_reader_hands_over_at_the_yield_still_join_the_batch():
    received = queued()
    eventlet.spawn(lambda: [received.put(n) for n in (2, 3)])  # runs when the batch yields
    batch = [1]
    consumer()._fill(batch, received)
    assert batch == [1, 2, 3]


def test_a_batch_wait_still_waits_for_more_when_asked():
    received = queued()
    eventlet.spawn_after(0.05, received.put, 2)
    batch = [1]
    consumer(batch_wait=0.5)._fill(batch, received)
    assert batch == [1, 2]
