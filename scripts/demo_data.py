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

from shared import catalogue, config

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
    if requests.get(f"{intake}/complaints", params={"limit": 1}, timeout=10).json()["complaints"]:
        print("demo data: intake already holds complaints; nothing loaded")
        return
    for body in complaints(args.count, args.weeks, datetime.now(UTC)):
        response = requests.post(f"{intake}/complaints", json=body, timeout=10)
        response.raise_for_status()
    print(f"demo data: {args.count} complaints over the last {args.weeks} weeks loaded through intake")


if __name__ == "__main__":
    main()
