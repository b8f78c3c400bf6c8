"""The demo loader (``python -m scripts.demo_data``, run by ``make run``): the same story every time,
and a load killed part-way is completed by the next run, every complaint and handling step exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

from scripts import demo_data
from shared import config
from tests.support.waiting import wait_for

COUNT, WEEKS = 40, 2
ARGS = ["--count", str(COUNT), "--weeks", str(WEEKS), "--no-story"]  # the story: tests/e2e/test_demo_events.py


def _loader() -> list[str]:
    return [sys.executable, "-m", "scripts.demo_data", *ARGS]


def _listed(stack) -> list[dict]:
    response = stack.intake.get("/complaints", params={"limit": 1000})
    assert response.status_code == 200, response.text
    return response.json()["complaints"]


def _complete(stack, complaint_id: str, handling: demo_data.Handling | None) -> bool:
    case = stack.investigation.get(f"/cases/{complaint_id}").json()
    if handling is None:
        return not case["replies"] and not case["rectifications"]
    return (
        len(case["replies"]) == 1
        and len(case["rectifications"]) == int(handling.rectify)
        and {d: a["substantiated"] for d, a in case["assignments"].items()} == dict(handling.findings)
    )


def test_the_plan_is_the_same_story_every_time_with_one_instant_per_complaint():
    first, again = demo_data.plan(COUNT, WEEKS), demo_data.plan(COUNT, WEEKS)
    assert first == again
    ages = [p.age for p in first]
    assert ages == sorted(ages, reverse=True) and len(set(ages)) == COUNT  # oldest first, distinct
    assert all(timedelta(minutes=60) <= age <= timedelta(weeks=WEEKS) for age in ages)
    assert any(p.handling for p in first) and any(p.handling is None for p in first)


def test_an_earlier_load_is_recognised_by_its_first_complaint_and_foreign_complaints_are_not():
    planned = demo_data.plan(COUNT, WEEKS)
    anchor = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
    first = {**planned[0].body, "received_at": planned[0].request(anchor)["received_at"]}
    foreign = {**planned[0].body, "received_by": "east-desk-99", "received_at": "2026-01-01T08:00:00+08:00"}
    assert demo_data.anchor_of([foreign, first], planned) == anchor
    assert demo_data.anchor_of([foreign], planned) is None


def test_a_load_killed_part_way_is_completed_by_the_next_run_exactly_once(stack):
    killed = subprocess.Popen(
        _loader(), cwd=config.ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(lambda: len(_listed(stack)) >= COUNT // 4, timeout=120, what="the first complaints loaded")
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.wait()
    assert len(_listed(stack)) < COUNT, "the loader finished before it was killed: nothing was interrupted"

    resumed = subprocess.run(_loader(), cwd=config.ROOT, capture_output=True, text=True, timeout=300, check=False)

    assert resumed.returncode == 0, resumed.stderr
    listed = _listed(stack)
    planned = demo_data.plan(COUNT, WEEKS)
    anchor = demo_data.anchor_of(listed, planned)
    assert anchor is not None
    keys = Counter((datetime.fromisoformat(c["received_at"]), c["campus"], c["received_by"]) for c in listed)
    assert keys == Counter(p.key(anchor) for p in planned)  # the whole plan, each complaint once
    ids = {(datetime.fromisoformat(c["received_at"]), c["campus"], c["received_by"]): c["complaint_id"] for c in listed}
    unfinished = [p.body for p in planned if not _complete(stack, ids[p.key(anchor)], p.handling)]
    assert unfinished == []
    assert f"{COUNT} complaints" in resumed.stdout and " loaded through intake now" in resumed.stdout


def test_a_complete_load_run_again_changes_nothing(stack):
    if len(_listed(stack)) < COUNT:  # on its own: load it first
        subprocess.run(_loader(), cwd=config.ROOT, check=True, capture_output=True, timeout=300)
    before = [(c["complaint_id"], c["version"]) for c in _listed(stack)]
    cases = {cid: stack.investigation.get(f"/cases/{cid}").json()["version"] for cid, _ in before}

    again = subprocess.run(_loader(), cwd=config.ROOT, capture_output=True, text=True, timeout=300, check=False)

    assert again.returncode == 0, again.stderr
    assert f"0 loaded through intake now ({COUNT} there already); 0 worked on" in again.stdout
    assert [(c["complaint_id"], c["version"]) for c in _listed(stack)] == before
    assert {cid: stack.investigation.get(f"/cases/{cid}").json()["version"] for cid in cases} == cases
