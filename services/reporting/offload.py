"""CPU-heavy work of a request kept off the eventlet hub, so consumers, health and every other request
of the process keep answering while a costly report is computed (issue 11, item 2).

Under eventlet (the service) the work runs in one of eventlet's OS threads (``tpool``); the hub thread
gets the interpreter at least every switch interval (5 ms). Outside eventlet (the rebuild process,
tests calling the functions directly) it runs inline. Only pure work goes there: no cursor, no green
I/O (psycopg2's wait callback belongs to the hub).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import eventlet
from eventlet import patcher, tpool

T = TypeVar("T")


def _under_eventlet() -> bool:
    return patcher.is_monkey_patched("thread")


def run(work: Callable[..., T], *args: Any) -> T:
    """``work(*args)``, off the hub when there is one."""
    if _under_eventlet():
        return tpool.execute(work, *args)
    return work(*args)


def pause() -> None:
    """Let other green threads run (between chunks of I/O-bound work done on the hub)."""
    if _under_eventlet():
        eventlet.sleep(0)
