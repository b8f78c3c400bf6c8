"""Runs last in the end-to-end package: every message the services published during the whole suite
(collected by a subscriber bound before the first one) is scanned for every name, phone number,
e-mail address and medical record number the suite registered. None may appear."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import REGISTERED_PERSONAL_DATA
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


def test_no_published_message_carries_personal_data(stack):
    assert len(REGISTERED_PERSONAL_DATA) >= 5, "the suite should have registered personal data to look for"
    for collector in stack.published:
        owner = collector.queue.exchange.name.split(".")[0]
        head = stack[owner].get("/events", params={"after": 0, "limit": 1}).json()["head"]
        wait_for(lambda c=collector, h=head: len(set(c.sequences)) >= h, timeout=30, what=f"all of {owner}'s events")
    bodies = [m.body if isinstance(m.body, str) else m.body.decode() for c in stack.published for m in c.raw]
    assert bodies
    leaks = sorted({value for value in REGISTERED_PERSONAL_DATA for body in bodies if value in body})
    assert leaks == [], f"personal data published: {leaks}"
