"""Load the demo hospital's history through the real API: ``python -m scripts.demo_data [--wait]``.

A few weeks of complaints on both campuses (CONTRACT §6), generated from a fixed seed so every
run tells the same story. Does nothing if intake already holds complaints.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta

import requests

from scripts import demo_events
from shared import auth, catalogue, config

SUMMARIES = {
    "medical_quality": "Diagnosis was delayed; the family asks what went wrong",
    "service_quality": "Rude reception at the registration desk",
    "care_process": "Waited four hours for a bed after admission",
    "billing": "Charged twice for the same examination",
    "other": "Parking at the main gate is always full",
}


def wait_until_ready(timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    for service in config.SERVICES:
        while True:
            try:
                if requests.get(f"{config.service_url(service)}/health/ready", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"{service} did not become ready; see var/log/{service}.log")
            time.sleep(0.5)


def complaints(count: int, weeks: int, now: datetime) -> list[dict]:
    rng = random.Random(20261123)
    hospital = config.load_hospital()
    made = []
    for _ in range(count):
        campus = rng.choice(sorted(hospital.campuses))
        category = rng.choices(catalogue.CATEGORIES, weights=[3, 4, 3, 2, 1])[0]
        departments = rng.sample(hospital.departments(campus), k=rng.choices([0, 1, 2], weights=[1, 6, 2])[0])
        received = now - timedelta(minutes=rng.randint(60, weeks * 7 * 24 * 60))
        anonymous = rng.random() < 0.1
        body = {
            "campus": campus, "channel": rng.choice(catalogue.CHANNELS), "category": category,
            "severity": "major" if rng.random() < 0.08 else "normal",
            "source": rng.choices(catalogue.SOURCES, weights=[12, 2, 1, 1])[0],
            "summary": SUMMARIES[category], "departments": departments,
            "received_at": received.isoformat(), "received_by": f"{campus}-desk-{rng.randint(1, 9):02d}",
            "anonymous": anonymous,
        }
        if not anonymous:
            body["complainant"] = {"name": f"Demo Complainant {rng.randint(1, 999)}",
                                   "phone": f"+86 139 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                                   "relation": rng.choice(["self", "parent", "child", "spouse"])}
        made.append(body)
    return sorted(made, key=lambda b: b["received_at"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wait", action="store_true", help="wait for all four services to be ready first")
    parser.add_argument("--count", type=int, default=160)
    parser.add_argument("--weeks", type=int, default=6)
    args = parser.parse_args()
    if args.wait:
        wait_until_ready()
    intake = config.service_url("intake")
    office = {campus: _headers(auth.authenticator().mint(s["office_head"]["id"], auth.OFFICER, [campus]))
              for campus, s in config.load_hospital().campuses.items()}
    if requests.get(f"{intake}/complaints", params={"limit": 1}, headers=office["east"],
                    timeout=10).json()["complaints"]:
        print("demo data: intake already holds complaints; nothing loaded")
        return
    rng = random.Random(7)
    handled = 0
    for body in complaints(args.count, args.weeks, datetime.now(UTC)):
        desk = _headers(auth.authenticator().mint(body["received_by"], auth.FIRST_CONTACT, [body["campus"]]))
        response = requests.post(f"{intake}/complaints", json=body, headers=desk, timeout=10)
        response.raise_for_status()
        if rng.random() < 0.6:  # most of them get handled, so every report has something to show
            handled += _handle(response.json()["complaint_id"], body, office[body["campus"]], rng)
    print(f"demo data: {args.count} complaints over the last {args.weeks} weeks loaded through intake;"
          f" {handled} handled through investigation")
    demo_events.run()  # the rest of the story: every event type at least once
    print("demo data: the other actions (extensions, disputes, reminders, …) played through the APIs")


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _handle(complaint_id: str, body: dict, office: dict[str, str], rng: random.Random) -> int:
    """Assign, find, reply and sometimes order a rectification, through the real API."""
    cases = config.service_url("investigation")
    deadline = time.monotonic() + 10
    while requests.get(f"{cases}/cases/{complaint_id}", headers=office, timeout=10).status_code != 200:
        if time.monotonic() > deadline:
            return 0
        time.sleep(0.05)
    departments = body["departments"] or ["nursing"]
    if not body["departments"]:
        requests.post(f"{cases}/cases/{complaint_id}/assignments", json={"departments": departments},
                      headers=office, timeout=10).raise_for_status()
    for department in departments:
        requests.post(f"{cases}/cases/{complaint_id}/findings", headers=office, timeout=10, json={
            "department": department, "substantiated": rng.choice(["yes", "partly", "no"]),
            "summary": "reviewed with the staff on duty", "signed_off_by": f"{body['campus']}-{department}-head"},
        ).raise_for_status()
    requests.post(f"{cases}/cases/{complaint_id}/replies", headers=office, timeout=10, json={
        "contact_person": f"{body['campus']}-office-head", "actions_taken": "reviewed the care given",
        "result": "explained and apologised"}).raise_for_status()
    if rng.random() < 0.3:
        requests.post(f"{cases}/cases/{complaint_id}/rectifications", headers=office, timeout=10, json={
            "department": departments[0], "description": "update the ward's checklist"}).raise_for_status()
    return 1


if __name__ == "__main__":
    main()
