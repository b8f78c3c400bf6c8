"""Fuzz every service's published OpenAPI (contracts/openapi/) with schemathesis, as callers with valid
tokens, against the services as processes: no request may get a 5xx (CONTRACT §4, issue 11).

Bounded: FUZZ_EXAMPLES examples per operation and generation mode (default 25), and FUZZ_SECONDS of wall
time per service (default 18, shared out evenly over its operations; an operation's examples left when its
share is spent are not sent). Each failure is printed
as a curl command with the status and the start of the body, so it can be replayed against ``make run``.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from shared import config
from shared.auth import OFFICER
from tests.e2e.conftest import token_for
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
SECONDS = float(os.environ.get("FUZZ_SECONDS", "18"))
REPORT = config.ROOT / "artifacts" / "fuzz"
# Starting a rebuild is a whole replay of the log in a process of its own: a few tries say enough.
FEW = {("POST", "/admin/rebuild"): 2}


@dataclass
class Tally:
    """Requests sent and the 5xx answers (as replayable commands) of one service's run."""

    deadline: float  # of the operation being fuzzed
    sent: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def role_for(operation: dict[str, Any]) -> str:
    """A role the operation admits: an officer (of every campus) where allowed."""
    roles = operation.get("x-roles") or [OFFICER]
    return OFFICER if OFFICER in roles else roles[0]


def token(role: str) -> str:
    return token_for(role, f"fuzz-{role}", ("*",), "cardiology" if role == "department_liaison" else None)


class OutOfTime(Exception):
    """The operation's share of the time is spent: stop generating (generation itself costs CPU)."""


def send(case: Any, url: str, headers: dict[str, str], tally: Tally, role: str) -> None:
    if time.monotonic() > tally.deadline:
        raise OutOfTime
    tally.sent += 1
    try:
        response = case.call(base_url=url, headers=headers, timeout=10)
    except requests.RequestException as exc:
        tally.failures.append(
            f"as {role}: {case.as_curl_command(headers=headers, base_url=url)}\n  -> no answer: {exc!r}"
        )
        return
    tally.by_status[response.status_code] = tally.by_status.get(response.status_code, 0) + 1
    if response.status_code >= 500:
        tally.failures.append(
            f"as {role}: {case.as_curl_command(headers=headers, base_url=url)}\n"
            f"  -> {response.status_code} {response.text[:300]}"
        )


def fuzz(strategy: Any, examples: int, url: str, headers: dict[str, str], tally: Tally, role: str) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        send(case, url, headers, tally, role)

    # Unsatisfiable: nothing to vary (a negative case of an operation without inputs)
    with contextlib.suppress(Unsatisfiable, OutOfTime):
        run()


@pytest.fixture(scope="module")
def known_complaint(stack, complaint) -> str:
    """A complaint with its case, so that path ids also name something real."""
    created = stack.intake.post("/complaints", complaint())
    assert created.status_code == 201, created.text
    complaint_id = created.json()["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{complaint_id}").status_code == 200, what="the case opens")
    return complaint_id


@pytest.mark.parametrize("service", config.SERVICES)
def test_no_generated_request_gets_a_5xx(stack, known_complaint, service):
    path = config.ROOT / "contracts" / "openapi" / f"{service}.yaml"
    schema = schemathesis.openapi.from_path(str(path))
    raw = schema.raw_schema
    operations = [result.ok() for result in schema.get_all_operations()]
    end = time.monotonic() + SECONDS
    tally = Tally(deadline=end)
    url = stack[service].url
    for left, operation in zip(range(len(operations), 0, -1), operations, strict=True):
        tally.deadline = time.monotonic() + max(0.0, end - time.monotonic()) / left
        role = role_for(raw["paths"][operation.path][operation.method.lower()])
        headers = {"Authorization": f"Bearer {token(role)}"}
        examples = FEW.get((operation.method.upper(), operation.path), EXAMPLES)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation.as_strategy(generation_mode=mode), examples, url, headers, tally, role)
        if "{complaint_id}" in operation.path:  # the same operation on a complaint that exists
            real = operation.as_strategy(path_parameters={"complaint_id": known_complaint})
            fuzz(real, examples, url, headers, tally, role)
    REPORT.mkdir(parents=True, exist_ok=True)
    summary = {
        "service": service,
        "requests": tally.sent,
        "5xx": len(tally.failures),
        "by_status": dict(sorted(tally.by_status.items())),
        "failures": tally.failures,
    }
    (REPORT / f"{service}.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nfuzz {service}: {tally.sent} requests, {len(tally.failures)} 5xx, by status {summary['by_status']}")
    assert tally.sent > 0
    assert not tally.failures, (
        f"{service}: {len(tally.failures)} of {tally.sent} generated requests got a 5xx "
        "(or no answer):\n" + "\n".join(tally.failures[:40])
    )
