"""Waiting for eventual consistency: poll a condition until it holds, never a blind sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float = 20.0, interval: float = 0.05, what: str = "") -> T:
    """Return the first truthy result of ``condition``; exceptions count as 'not yet'."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = condition()
            if result:
                return result
        except Exception as exc:  # not ready yet (connection refused, 404, ...)
            last_error = exc
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what or condition}"
                + (f" (last error: {last_error!r})" if last_error else "")
            )
        time.sleep(interval)
