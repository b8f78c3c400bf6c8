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
        found = set()
        for service in catalogue.SERVICES:
            log = stack[service].get("/events", params={"after": 0, "limit": 1000}).json()["events"]
            found |= {e["type"] for e in log if e["subject"] in created}
        return found

    everything = set(catalogue.EVENT_TYPES)
    wait_for(lambda: types_of_the_demo() >= everything, timeout=60,
             what=f"every event type; missing {everything - types_of_the_demo()}")
