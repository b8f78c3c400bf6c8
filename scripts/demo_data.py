"""Load the demo hospital's history through the real API: ``python -m scripts.demo_data [--wait]``.

A few weeks of complaints on both campuses (CONTRACT §6), generated from a fixed seed so every
run tells the same story: the plan (what each complaint is and how it is handled) is drawn without a
clock, then placed in time before an anchor instant, the moment the first load began.

Resumable: a load cut short (``make run`` interrupted, a service restarted) is completed by the next
run, each complaint and each handling step exactly once. The anchor is read back from intake itself:
the plan's oldest complaint, registered first, is the demo's marker, so no state lives outside the
services. Each handling step is taken only if the case shows it not yet taken. If intake holds
complaints but not the demo's first one, they are someone else's: nothing is loaded.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from scripts import demo_events
from shared import auth, catalogue, config

# What the demo's people write, in their campus's language (its ``language``: east zh-CN, west en): the zh-CN
# demo shows Chinese complainants and texts. The random draws are the same whichever the language.
TEXTS: dict[str, dict[str, Any]] = {
    "en": {
        "summaries": {
            "medical_quality": "Diagnosis was delayed; the family asks what went wrong",
            "service_quality": "Rude reception at the registration desk",
            "care_process": "Waited four hours for a bed after admission",
            "billing": "Charged twice for the same examination",
            "other": "Parking at the main gate is always full",
        },
        "names": ["Demo Complainant {n}"],
        "relations": {"self": "self", "parent": "parent", "child": "child", "spouse": "spouse"},
        "progress": "the department is reviewing the care given",
        "next_steps": "a written reply once its findings are in",
        "findings": "reviewed with the staff on duty",
        "actions_taken": "reviewed the care given",
        "result": "explained and apologised",
        "rectification": "update the ward's checklist",
    },
    "zh-CN": {
        "summaries": {
            "medical_quality": "诊断延误，家属希望了解原因及责任",
            "service_quality": "挂号窗口工作人员态度生硬，解释不耐心",
            "care_process": "办理入院后等候床位四个多小时，无人告知进度",
            "billing": "同一项检查被重复收费两次",
            "other": "医院正门停车场长期车位不足，排队时间过长",
        },
        "names": [
            "王芳",
            "李建国",
            "张伟",
            "刘洋",
            "陈静",
            "杨帆",
            "赵敏",
            "黄磊",
            "周婷",
            "吴强",
            "徐丽",
            "孙浩",
            "马超",
            "朱琳",
            "胡军",
            "郭燕",
            "何平",
            "高翔",
            "林晓红",
            "罗志明",
        ],
        "relations": {"self": "本人", "parent": "父母", "child": "子女", "spouse": "配偶"},
        "progress": "科室正在核查诊疗经过",
        "next_steps": "调查结论形成后书面答复",
        "findings": "已与当班医护人员核实情况",
        "actions_taken": "核查了诊疗及服务经过，并与相关人员谈话",
        "result": "已向投诉人说明情况并致歉",
        "rectification": "更新病区交接班核对清单",
    },
}
MAX_COUNT = 1000  # what one GET /complaints returns: the resume reads the demo back in one page
CASE_TIMEOUT = 30.0  # seconds a handled complaint's case may take to appear in investigation

Key = tuple[datetime, str, str]  # received_at, campus, received_by: one planned complaint


@dataclass(frozen=True)
class Handling:
    """How the complaint office works a complaint: assign (if intake named nobody), findings, reply."""

    findings: tuple[tuple[str, str], ...]  # (department, substantiated), in order
    assign: bool  # the office assigns the departments (none named at receipt)
    rectify: bool


@dataclass(frozen=True)
class Planned:
    body: dict[str, Any]  # POST /complaints without received_at
    age: timedelta  # received this long before the anchor
    handling: Handling | None

    def request(self, anchor: datetime) -> dict[str, Any]:
        return {**self.body, "received_at": (anchor - self.age).isoformat()}

    def key(self, anchor: datetime) -> Key:
        return anchor - self.age, self.body["campus"], self.body["received_by"]


def plan(count: int, weeks: int) -> list[Planned]:
    """The demo's complaints, oldest first, and how each is handled: the same for the same arguments."""
    rng = random.Random(20261123)
    hospital = config.load_hospital()
    drawn: list[tuple[timedelta, dict[str, Any]]] = []
    ages: set[int] = set()
    for _ in range(count):
        campus = rng.choice(sorted(hospital.campuses))
        category = rng.choices(catalogue.CATEGORIES, weights=[3, 4, 3, 2, 1])[0]
        departments = rng.sample(hospital.departments(campus), k=rng.choices([0, 1, 2], weights=[1, 6, 2])[0])
        minutes = rng.randint(60, weeks * 7 * 24 * 60)
        while minutes in ages:  # distinct instants: the instant identifies a complaint when resuming
            minutes = rng.randint(60, weeks * 7 * 24 * 60)
        ages.add(minutes)
        anonymous = rng.random() < 0.1
        body = {
            "campus": campus,
            "channel": rng.choice(catalogue.CHANNELS),
            "category": category,
            "severity": "major" if rng.random() < 0.08 else "normal",
            "source": rng.choices(catalogue.SOURCES, weights=[12, 2, 1, 1, 0])[0],
            "summary": texts_of(hospital, campus)["summaries"][category],
            "departments": departments,
            "received_by": f"{campus}-desk-{rng.randint(1, 9):02d}",
            "anonymous": anonymous,
        }
        if not anonymous:
            words = texts_of(hospital, campus)
            number = rng.randint(1, 999)
            body["complainant"] = {
                "name": words["names"][number % len(words["names"])].format(n=number),
                "phone": f"+86 139 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                "relation": words["relations"][rng.choice(["self", "parent", "child", "spouse"])],
            }
        drawn.append((timedelta(minutes=minutes), body))
    drawn.sort(key=lambda d: d[0], reverse=True)
    rng = random.Random(7)
    planned = []
    for age, body in drawn:
        handling = None
        if rng.random() < 0.6:  # most of them get handled, so every report has something to show
            departments = body["departments"] or ["nursing"]
            findings = tuple((d, rng.choice(["yes", "partly", "no"])) for d in departments)
            handling = Handling(findings, assign=not body["departments"], rectify=rng.random() < 0.3)
        planned.append(Planned(body, age, handling))
    return planned


def texts_of(hospital: config.Hospital, campus: str) -> dict[str, Any]:
    """The demo's words in the campus's language (English for a language the demo has none in)."""
    return TEXTS.get(hospital.campuses[campus].get("language", "en"), TEXTS["en"])


def anchor_of(existing: list[dict[str, Any]], planned: list[Planned]) -> datetime | None:
    """The anchor of an earlier load, from the demo's first complaint among ``existing``; None if absent."""
    first = planned[0].body
    for complaint in sorted(existing, key=lambda c: _instant(c["received_at"])):
        if all(complaint.get(f) == first[f] for f in ("campus", "received_by", "category", "channel", "source")):
            return _instant(complaint["received_at"]) + planned[0].age
    return None


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wait", action="store_true", help="wait for all four services to be ready first")
    parser.add_argument("--count", type=_count, default=160)
    parser.add_argument("--weeks", type=int, default=6)
    parser.add_argument(
        "--no-story",
        action="store_true",
        help="only the complaints of the plan, not the rest of the story (scripts/demo_events.py)",
    )
    args = parser.parse_args(argv)
    if args.wait:
        wait_until_ready()
    hospital = config.load_hospital()
    office = {
        campus: _headers(auth.authenticator().mint(s["office_head"]["id"], auth.OFFICER, [campus]))
        for campus, s in hospital.campuses.items()
    }
    reader = _headers(auth.authenticator().mint("demo-data", auth.OFFICER, sorted(hospital.campuses)))
    intake = config.service_url("intake")
    existing = _get(f"{intake}/complaints", reader, limit=MAX_COUNT)["complaints"]
    planned = plan(args.count, args.weeks)
    anchor = anchor_of(existing, planned) if existing else datetime.now(UTC).replace(microsecond=0)
    if anchor is None:
        print("demo data: intake already holds complaints that are not the demo's; nothing loaded")
        return
    registered = {(_instant(c["received_at"]), c["campus"], c["received_by"]): c["complaint_id"] for c in existing}
    loaded = handled = 0
    missing_cases = []
    for item in planned:
        complaint_id = registered.get(item.key(anchor))
        if complaint_id is None:
            desk = _headers(
                auth.authenticator().mint(item.body["received_by"], auth.FIRST_CONTACT, [item.body["campus"]])
            )
            response = requests.post(f"{intake}/complaints", json=item.request(anchor), headers=desk, timeout=10)
            response.raise_for_status()
            complaint_id, loaded = response.json()["complaint_id"], loaded + 1
        if item.handling is not None:
            steps = _handle(complaint_id, item, office[item.body["campus"]])
            if steps is None:
                missing_cases.append(complaint_id)
            handled += bool(steps)
    print(
        f"demo data: {len(planned)} complaints over the {args.weeks} weeks before {anchor.isoformat()}: {loaded}"
        f" loaded through intake now ({len(planned) - loaded} there already); {handled} worked on through"
        f" investigation now"
    )
    if missing_cases:
        sys.exit(
            f"demo data incomplete: {len(missing_cases)} case(s) did not appear in investigation within"
            f" {CASE_TIMEOUT:.0f}s (e.g. {missing_cases[0]}); run `python -m scripts.demo_data` again"
        )
    # The rest of the story (every event type at least once), played while some type is still missing
    # from the logs, so an interrupted load is completed by the next run and a complete one left alone.
    missing = set() if args.no_story else demo_events.missing_types()
    if missing:
        demo_events.run()
        print(f"demo data: the other actions played through the APIs ({len(missing)} event types were missing)")


def _count(text: str) -> int:
    count = int(text)
    if not 1 <= count <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"between 1 and {MAX_COUNT}")
    return count


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _get(url: str, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = requests.get(url, params=params, headers=headers, timeout=10)
    response.raise_for_status()
    return response.json()


def _staff_involved(campus: str, department: str, substantiated: str) -> dict[str, list[str]]:
    """The staff an upheld finding names, for the appraisal figures (GET /reports/staff). Drawn from no random
    generator, so the rest of the demo stays as it was."""
    if substantiated == "no":
        return {}
    return {"staff_involved": [f"{campus}-{department}-staff-0{len(department) % 3 + 1}"]}


def _handle(complaint_id: str, item: Planned, office: dict[str, str]) -> int | None:
    """Assign, find, reply and sometimes order a rectification, through the real API: each step only
    if the case shows it not yet taken. Returns the steps taken (None: the case never appeared)."""
    assert item.handling is not None
    handling, campus = item.handling, item.body["campus"]
    words = texts_of(config.configured_hospital(), campus)
    case_url = f"{config.service_url('investigation')}/cases/{complaint_id}"
    deadline = time.monotonic() + CASE_TIMEOUT
    while requests.get(case_url, headers=office, timeout=10).status_code != 200:
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)

    def investigating(department: str) -> Any:
        return lambda case: case["assignments"].get(department, {}).get("status") == "investigating"

    steps = []
    if handling.assign:
        steps.append(
            (
                "assignments",
                lambda case: not case["assignments"] and not case["replies"],
                {"departments": [d for d, _ in handling.findings]},
            )
        )
    if handling.findings:  # interim feedback while the findings are awaited (CONTRACT §7's statutory clock)
        steps.append(
            (
                "feedback",
                lambda case: not case.get("feedbacks") and not case["replies"],
                {
                    "contact_person": f"{campus}-office-head",
                    "progress": words["progress"],
                    "next_steps": words["next_steps"],
                },
            )
        )
    for department, substantiated in handling.findings:
        steps.append(
            (
                "findings",
                investigating(department),
                {
                    "department": department,
                    "substantiated": substantiated,
                    "summary": words["findings"],
                    "signed_off_by": f"{campus}-{department}-head",
                    **_staff_involved(campus, department, substantiated),
                },
            )
        )
    steps.append(
        (
            "replies",
            lambda case: not case["replies"],
            {
                "contact_person": f"{campus}-office-head",
                "actions_taken": words["actions_taken"],
                "result": words["result"],
            },
        )
    )
    if handling.rectify:
        steps.append(
            (
                "rectifications",
                lambda case: not case["rectifications"],
                {"department": handling.findings[0][0], "description": words["rectification"]},
            )
        )
    taken = 0
    for action, needed, body in steps:
        if needed(_get(case_url, office)):
            requests.post(f"{case_url}/{action}", json=body, headers=office, timeout=10).raise_for_status()
            taken += 1
    return taken


if __name__ == "__main__":
    main()
