"""The demo history holds every event type of the catalogue at least once (scripts/demo_events.py, which
``make run``'s demo data plays): a subscriber trying the platform sees each message it may ever get."""

from __future__ import annotations

import pytest

from scripts import demo_events
from shared import catalogue
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


def test_the_demo_story_emits_every_event_type(stack):
    api = demo_events.Api({s: stack[s].url for s in ("intake", "investigation", "notification", "reporting")})
    created = set(demo_events.run(api, sms_gateway=stack.sms.url))

    def types_of_the_demo() -> set[str]:
        found: set[str] = set()
        for service in catalogue.SERVICES:
            after = 0
            while True:  # the whole log, page by page (the suite's logs hold more than one page)
                page = stack[service].get("/events", params={"after": after, "limit": 1000}).json()["events"]
                found |= {e["type"] for e in page if e["subject"] in created}
                if len(page) < 1000:
                    break
                after = page[-1]["sequence"]
        return found

    everything = demo_events.demo_types()
    assert set(catalogue.EVENT_TYPES) - everything == set(demo_events.NOT_IN_DEMO)  # each exception named
    try:
        wait_for(lambda: types_of_the_demo() >= everything, timeout=60, interval=0.5, what="every event type")
    except AssertionError:
        assert everything - types_of_the_demo() == set()  # names what is missing
        raise
