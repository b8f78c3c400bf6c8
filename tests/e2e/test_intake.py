"""Intake's side of the complaint lifecycle through the real services: every endpoint's happy path,
every refusal (and that a refusal writes nothing), following investigation's closing and reopening,
the contact RPC, and references under concurrency."""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg2
import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from shared import config
from shared.auth import authenticator
from shared.envelope import new_event
from tests.e2e.conftest import token_for
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
OFFICER = "east-office-head"
DESK = "east-desk-3"
CST = ZoneInfo("Asia/Shanghai")
UNKNOWN = "00000000-0000-4000-8000-000000000000"
ACTIONS = {
    "resolve-on-spot": {"resolution": "billing corrected and refunded", "resolved_by": DESK},
    "not-accepted": {"reason": "litigation", "route_advice": "the court hearing the case", "decided_by": OFFICER},
    "withdraw": {"withdrawn_by": OFFICER},
    "reclassify": {"severity": "major", "reclassified_by": OFFICER},
}


# -- helpers -----------------------------------------------------------------------------------------


def head(stack) -> int:
    return stack.intake.get("/events", params={"after": 0, "limit": 1}).json()["head"]


def events_since(stack, after: int, complaint_id: str | None = None) -> list[dict]:
    events = stack.intake.get("/events", params={"after": after, "limit": 1000}).json()["events"]
    return [e for e in events if complaint_id is None or e["subject"] == complaint_id]


def detail(stack, complaint_id: str) -> dict:
    response = stack.intake.get(f"/complaints/{complaint_id}")
    assert response.status_code == 200, response.text
    return response.json()


def listed(stack, **params) -> set[str]:
    response = stack.intake.get("/complaints", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    return {c["complaint_id"] for c in response.json()["complaints"]}


def caller(staff: str | None) -> str | None:
    """The token of whoever a request names as acting: the desk is first-contact staff, the rest officers.
    The event's actor is the caller; the body's *_by fields say who acted on the ground."""
    if staff is None:
        return None
    role = "first_contact" if "desk" in staff else "complaint_officer"
    return token_for(role, staff, (staff.split("-")[0],) if staff.split("-")[0] in ("east", "west") else ("*",))


def register(stack, complaint, **overrides) -> str:
    overrides.setdefault("received_at", (datetime.now(UTC) - timedelta(hours=1)).isoformat())
    response = stack.intake.post("/complaints", complaint(**overrides), token=caller(overrides.get("received_by")))
    assert response.status_code == 201, response.text
    return response.json()["complaint_id"]


def act(stack, complaint_id: str, action: str, body: dict, status: int = 200) -> dict:
    staff = next((v for k, v in body.items() if k.endswith("_by") and isinstance(v, str)), None)
    response = stack.intake.post(f"/complaints/{complaint_id}/{action}", body, token=caller(staff))
    assert response.status_code == status, (action, body, response.text)
    return response.json()


def only_event(stack, after: int, complaint_id: str, event_type: str) -> dict:
    mine = events_since(stack, after, complaint_id)
    assert [e["type"] for e in mine] == [event_type]
    return mine[0]


class Unchanged:
    """Snapshot intake's log head and the complaint; ``check()`` asserts neither moved."""

    def __init__(self, stack, complaint_id: str | None = None):
        self.stack, self.complaint_id = stack, complaint_id
        self.head = head(stack)
        self.complaint = detail(stack, complaint_id) if complaint_id else None

    def check(self) -> None:
        assert head(self.stack) == self.head, events_since(self.stack, self.head)
        if self.complaint_id:
            assert detail(self.stack, self.complaint_id) == self.complaint


def refused(stack, complaint_id: str, action: str, body: object, status: int, **post) -> dict:
    """POST the action, expect ``status``, and that intake wrote nothing."""
    snapshot = Unchanged(stack, complaint_id if _valid(complaint_id) and _exists(stack, complaint_id) else None)
    response = stack.intake.post(f"/complaints/{complaint_id}/{action}", body, **post)
    assert response.status_code == status, (action, body, response.text)
    snapshot.check()
    return response.json()


def _valid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _exists(stack, complaint_id: str) -> bool:
    return stack.intake.get(f"/complaints/{complaint_id}").status_code == 200


# -- happy paths ---------------------------------------------------------------------------------------


def test_get_shows_the_complaint_with_complainant_patient_and_history(stack, complaint):
    cid = register(
        stack,
        complaint,
        received_by=DESK,
        complainant={
            "name": "Li Na",
            "phone": "+86 139 1111 2222",
            "email": "li.na@example.org",
            "relation": "daughter",
        },
        patient={"name": "Li Wei", "mrn": "MRN-0042"},
    )
    shown = detail(stack, cid)
    assert shown["status"] == "received" and shown["version"] == 1 and shown["campuses"] == ["east"]
    assert shown["complainant"] == {
        "name": "Li Na",
        "phone": "13911112222",  # as typed, normalised (shared/phones.py)
        "email": "li.na@example.org",
        "relation": "daughter",
        "postal_address": None,
        "preferred_channel": None,
    }
    assert shown["patient"] == {"name": "Li Wei", "mrn": "MRN-0042"}
    assert shown["classification_history"] == []
    assert [(h["action"], h["status_after"], h["actor"]) for h in shown["history"]] == [
        ("register", "received", {"id": DESK, "role": "first_contact"})
    ]
    anonymous = detail(stack, register(stack, complaint, anonymous=True, complainant=None))
    assert anonymous["complainant"] == {
        "name": None,
        "phone": None,
        "email": None,
        "relation": None,
        "postal_address": None,
        "preferred_channel": None,
    }
    assert anonymous["patient"] == {"name": None, "mrn": None}
    assert cid in listed(stack, status="received", campus="east")


def test_resolve_on_spot(stack, complaint):
    received_at = datetime.now(UTC) - timedelta(hours=1)
    cid = register(stack, complaint, received_at=received_at.isoformat())
    before = head(stack)
    resolved_at = received_at + timedelta(minutes=10)
    body = act(
        stack,
        cid,
        "resolve-on-spot",
        {
            "resolution": "double charge refunded at the desk",
            "resolved_by": DESK,
            "resolved_at": resolved_at.astimezone(CST).isoformat(),
        },
    )
    assert body["status"] == "resolved_on_spot" and body["version"] == 2
    event = only_event(stack, before, cid, "ComplaintResolvedOnSpot")
    assert event["streamversion"] == 2
    assert event["data"] == {
        "complaint_id": cid,
        "campus": "east",
        "resolved_by": DESK,
        "resolution": "double charge refunded at the desk",
        "resolved_at": resolved_at.isoformat().replace("+00:00", "Z"),
        "actor": {"id": DESK, "role": "first_contact"},
    }
    shown = detail(stack, cid)
    assert shown["status"] == "resolved_on_spot" and shown["version"] == 2
    assert shown["history"][-1]["action"] == "resolve_on_spot"
    assert shown["history"][-1]["actor"] == {"id": DESK, "role": "first_contact"}
    assert shown["history"][-1]["details"] == {"resolution": "double charge refunded at the desk"}
    assert cid in listed(stack, status="resolved_on_spot") and cid not in listed(stack, status="received")


def test_resolve_on_spot_defaults_to_now(stack, complaint):
    cid = register(stack, complaint)
    before = head(stack)
    started = datetime.now(UTC)
    act(stack, cid, "resolve-on-spot", {"resolution": "explained the bill", "resolved_by": DESK})
    event = only_event(stack, before, cid, "ComplaintResolvedOnSpot")
    at = datetime.fromisoformat(event["data"]["resolved_at"].replace("Z", "+00:00"))
    assert started - timedelta(seconds=1) <= at <= datetime.now(UTC) + timedelta(seconds=1)


@pytest.mark.parametrize(
    "reason", ["litigation", "mediation", "handled_elsewhere", "no_specific_facts", "criminal_case", "out_of_scope"]
)
def test_not_accepted(stack, complaint, reason):
    cid = register(stack, complaint)
    before = head(stack)
    body = act(
        stack,
        cid,
        "not-accepted",
        {"reason": reason, "route_advice": "told which route applies", "decided_by": OFFICER},
    )
    assert body["status"] == "not_accepted"
    event = only_event(stack, before, cid, "ComplaintNotAccepted")
    data = event["data"]
    assert {k: v for k, v in data.items() if k != "decided_at"} == {
        "complaint_id": cid,
        "campus": "east",
        "reason": reason,
        "route_advice": "told which route applies",
        "actor": {"id": OFFICER, "role": "complaint_officer"},
    }
    assert detail(stack, cid)["status"] == "not_accepted"
    assert cid in listed(stack, status="not_accepted")


def test_not_accepted_as_a_duplicate_of_an_existing_complaint(stack, complaint):
    original = register(stack, complaint)
    cid = register(stack, complaint)
    before = head(stack)
    act(
        stack,
        cid,
        "not-accepted",
        {
            "reason": "duplicate",
            "route_advice": "handled under the first complaint",
            "decided_by": OFFICER,
            "duplicate_of": original,
        },
    )
    data = only_event(stack, before, cid, "ComplaintNotAccepted")["data"]
    assert data["reason"] == "duplicate" and data["duplicate_of"] == original
    shown = detail(stack, cid)
    assert shown["status"] == "not_accepted" and shown["history"][-1]["details"]["duplicate_of"] == original
    assert detail(stack, original)["status"] == "received"


@pytest.mark.parametrize("reason", [None, "the ward apologised"])
def test_withdraw(stack, complaint, reason):
    cid = register(stack, complaint)
    before = head(stack)
    body = {"withdrawn_by": OFFICER} | ({"reason": reason} if reason else {})
    assert act(stack, cid, "withdraw", body)["status"] == "withdrawn"
    data = only_event(stack, before, cid, "ComplaintWithdrawn")["data"]
    expected = {"complaint_id": cid, "campus": "east", "actor": {"id": OFFICER, "role": "complaint_officer"}}
    if reason:
        expected["reason"] = reason
    assert {k: v for k, v in data.items() if k != "withdrawn_at"} == expected
    assert detail(stack, cid)["status"] == "withdrawn"
    assert cid in listed(stack, status="withdrawn")


def test_reclassify_records_previous_and_current_and_keeps_a_history(stack, complaint):
    cid = register(stack, complaint)
    before = head(stack)
    body = act(
        stack,
        cid,
        "reclassify",
        {
            "category": "medical_quality",
            "departments": ["cardiology", "nursing"],
            "campuses": ["east", "west"],
            "note": "a clinical matter",
            "reclassified_by": OFFICER,
        },
    )
    assert body["status"] == "received" and body["category"] == "medical_quality"
    event = only_event(stack, before, cid, "ComplaintReclassified")
    assert event["data"]["previous"] == {
        "category": "billing",
        "severity": "normal",
        "departments": ["billing_office"],
        "campuses": ["east"],
    }
    assert event["data"]["current"] == {
        "category": "medical_quality",
        "severity": "normal",
        "departments": ["cardiology", "nursing"],
        "campuses": ["east", "west"],
    }
    assert event["data"]["note"] == "a clinical matter"
    assert event["data"]["actor"] == {"id": OFFICER, "role": "complaint_officer"}

    second = head(stack)
    act(stack, cid, "reclassify", {"severity": "major", "reclassified_by": "west-office-head"})
    again = only_event(stack, second, cid, "ComplaintReclassified")
    assert again["data"]["previous"] == event["data"]["current"]
    assert again["data"]["current"]["severity"] == "major" and again["streamversion"] == 3

    shown = detail(stack, cid)
    assert (shown["category"], shown["severity"], shown["departments"], shown["campuses"], shown["version"]) == (
        "medical_quality",
        "major",
        ["cardiology", "nursing"],
        ["east", "west"],
        3,
    )
    history = shown["classification_history"]
    assert [(h["reclassified_by"], h["changed"], h["note"]) for h in history] == [
        (OFFICER, ["campuses", "category", "departments"], "a clinical matter"),
        ("west-office-head", ["severity"], None),
    ]
    assert history[0]["previous"] == event["data"]["previous"] and history[1]["current"] == again["data"]["current"]
    assert cid in listed(stack, campus="west", status="received")  # listed under every campus it concerns


# -- following investigation ---------------------------------------------------------------------------


def investigation_case(stack, complaint_id: str) -> dict | None:
    response = stack.investigation.get(f"/cases/{complaint_id}")
    return response.json() if response.status_code == 200 else None


def test_closing_by_investigation_is_followed_and_refuses_intake_actions(stack, complaint):
    cid = register(stack, complaint, departments=[], complainant=None)
    wait_for(lambda: investigation_case(stack, cid), what="the case opened")
    reply = stack.investigation.post(
        f"/cases/{cid}/replies", {"contact_person": OFFICER, "actions_taken": "checked", "result": "explained"}
    )
    assert reply.status_code == 201, reply.text
    closing = stack.investigation.post(f"/cases/{cid}/close", {"outcome": "answered"}, token=caller(OFFICER))
    assert closing.status_code == 200, closing.text
    shown = wait_for(
        lambda: (lambda c: c if c["status"] == "closed" else None)(detail(stack, cid)),
        what="intake following the close",
    )
    assert shown["history"][-1]["action"] == "closed"
    assert shown["history"][-1]["actor"] == {"id": OFFICER, "role": "complaint_officer"}
    assert cid in listed(stack, status="closed")
    for action, body in ACTIONS.items():
        answer = refused(stack, cid, action, body, 409)
        assert answer["state"] == "closed" and "closed" in answer["error"]


def test_reopening_by_investigation_is_followed_and_allows_intake_actions_again(stack, complaint):
    cid = register(stack, complaint)
    act(
        stack,
        cid,
        "not-accepted",
        {"reason": "no_specific_facts", "route_advice": "bring the bill", "decided_by": OFFICER},
    )
    reopen = {"reason": "new_facts", "note": "the bill was found"}
    wait_for(
        lambda: stack.investigation.post(f"/cases/{cid}/reopen", reopen).status_code == 200,
        what="investigation reopening the not-accepted complaint",
    )
    shown = wait_for(
        lambda: (lambda c: c if c["status"] == "reopened" else None)(detail(stack, cid)),
        what="intake following the reopening",
    )
    assert shown["history"][-1]["action"] == "reopened"
    assert shown["history"][-1]["details"]["reason"] == "new_facts"
    assert cid in listed(stack, status="reopened")
    before = head(stack)
    act(stack, cid, "reclassify", {"category": "service_quality", "reclassified_by": OFFICER})
    assert detail(stack, cid)["status"] == "reopened"
    act(stack, cid, "withdraw", {"withdrawn_by": OFFICER, "reason": "settled"})
    assert [e["type"] for e in events_since(stack, before, cid)] == ["ComplaintReclassified", "ComplaintWithdrawn"]
    assert detail(stack, cid)["status"] == "withdrawn"


def test_following_is_idempotent_and_never_goes_back(stack, complaint):
    """The handlers applied directly (as a redelivery or a late replay of a parked event would apply them)."""
    from services.intake.projection import PROJECTOR

    cid = register(stack, complaint)
    base = 1000

    def follow(event_type: str, version: int, **data) -> None:
        event = new_event("investigation", event_type, cid, {"complaint_id": cid, "campus": "east", **data})
        conn = psycopg2.connect(config.database_url("intake"))
        try:
            with conn, conn.cursor() as cur:
                PROJECTOR.apply(cur, event.with_position(10**9 + version, base + version))
        finally:
            conn.close()

    now = datetime.now(UTC).isoformat()
    follow("ComplaintClosed", 1, closed_at=now)
    closed = detail(stack, cid)
    assert closed["status"] == "closed"
    follow("ComplaintClosed", 1, closed_at=now)  # the same version again: a redelivery
    assert detail(stack, cid) == closed
    follow("ComplaintReopened", 2, reason="dissatisfied", reopened_at=now)
    reopened = detail(stack, cid)
    assert reopened["status"] == "reopened"
    follow("ComplaintReopened", 2, reason="dissatisfied", reopened_at=now)
    follow("ComplaintClosed", 1, closed_at=now)  # older than what was followed: ignored
    assert detail(stack, cid) == reopened
    follow("ComplaintReopened", 3, reason="new_evidence", reopened_at=now)  # reopened again: stays reopened
    assert detail(stack, cid)["status"] == "reopened"
    assert [h["action"] for h in detail(stack, cid)["history"]] == ["register", "closed", "reopened", "reopened"]


def test_a_case_closed_after_intake_ended_the_complaint_keeps_intake_s_outcome(stack, complaint):
    from services.intake.projection import PROJECTOR

    cid = register(stack, complaint)
    act(stack, cid, "withdraw", {"withdrawn_by": OFFICER})
    event = new_event(
        "investigation",
        "ComplaintClosed",
        cid,
        {"complaint_id": cid, "campus": "east", "closed_at": datetime.now(UTC).isoformat()},
    )
    conn = psycopg2.connect(config.database_url("intake"))
    try:
        with conn, conn.cursor() as cur:
            PROJECTOR.apply(cur, event.with_position(10**9, 1000))
    finally:
        conn.close()
    assert detail(stack, cid)["status"] == "withdrawn"


# -- refusals: 400, 404, 409, and nothing written -----------------------------------------------------------


@pytest.fixture
def fresh(stack, complaint):
    return register(stack, complaint)


@pytest.mark.parametrize(
    "body,fields",
    [
        ({"resolved_by": DESK}, {"resolution"}),
        ({"resolution": "   ", "resolved_by": DESK}, {"resolution"}),
        ({"resolution": "x" * 4001, "resolved_by": DESK}, {"resolution"}),
        ({"resolution": "done", "resolved_by": DESK, "resolved_at": "2026-11-20T09:30:00"}, {"resolved_at"}),
        ({"resolution": "done", "resolved_by": DESK, "resolved_at": "yesterday"}, {"resolved_at"}),
        ({"resolution": "done", "resolved_by": DESK, "resolved_at": "2020-01-01T00:00:00Z"}, {"resolved_at"}),
        ({"resolution": "done", "resolved_by": DESK, "resolved_at": "2099-01-01T00:00:00+08:00"}, {"resolved_at"}),
        ({"resolution": "done", "resolved_by": DESK, "campus": "east"}, {"campus"}),
        ({"resolution": 12, "resolved_by": ["a"]}, {"resolution", "resolved_by"}),
    ],
)
def test_resolve_on_spot_refuses_bad_input(stack, fresh, body, fields):
    assert set(refused(stack, fresh, "resolve-on-spot", body, 400)["errors"]) == fields


@pytest.mark.parametrize(
    "body,fields",
    [
        ({"route_advice": "r", "decided_by": OFFICER}, {"reason"}),
        ({"reason": "too_late", "route_advice": "r", "decided_by": OFFICER}, {"reason"}),
        ({"reason": "litigation", "decided_by": OFFICER}, {"route_advice"}),
        ({"reason": "litigation", "route_advice": "", "decided_by": OFFICER}, {"route_advice"}),
        ({"reason": "duplicate", "route_advice": "r", "decided_by": OFFICER}, {"duplicate_of"}),
        ({"reason": "duplicate", "route_advice": "r", "decided_by": OFFICER, "duplicate_of": "abc"}, {"duplicate_of"}),
        (
            {"reason": "duplicate", "route_advice": "r", "decided_by": OFFICER, "duplicate_of": UNKNOWN},
            {"duplicate_of"},
        ),
        (
            {"reason": "litigation", "route_advice": "r", "decided_by": OFFICER, "duplicate_of": UNKNOWN},
            {"duplicate_of"},
        ),
        ({"reason": "litigation", "route_advice": "r", "decided_by": OFFICER, "decided_at": "now"}, {"decided_at"}),
    ],
)
def test_not_accepted_refuses_bad_input(stack, fresh, body, fields):
    assert set(refused(stack, fresh, "not-accepted", body, 400)["errors"]) == fields


def test_not_accepted_refuses_a_duplicate_of_itself(stack, fresh):
    body = {"reason": "duplicate", "route_advice": "r", "decided_by": OFFICER, "duplicate_of": fresh}
    errors = refused(stack, fresh, "not-accepted", body, 400)["errors"]
    assert errors == {"duplicate_of": ["a complaint cannot duplicate itself"]}


@pytest.mark.parametrize(
    "body,fields",
    [
        ({"withdrawn_by": ""}, {"withdrawn_by"}),
        ({"withdrawn_by": "x" * 129}, {"withdrawn_by"}),
        ({"withdrawn_by": OFFICER, "reason": "x" * 4001}, {"reason"}),
        ({"withdrawn_by": OFFICER, "reason": None}, {"reason"}),
        ({"withdrawn_by": OFFICER, "when": "now"}, {"when"}),
    ],
)
def test_withdraw_refuses_bad_input(stack, fresh, body, fields):
    assert set(refused(stack, fresh, "withdraw", body, 400)["errors"]) == fields


@pytest.mark.parametrize(
    "body,fields",
    [
        ({"category": "food", "reclassified_by": OFFICER}, {"category"}),
        ({"severity": "urgent", "reclassified_by": OFFICER}, {"severity"}),
        ({"departments": ["astrology"], "reclassified_by": OFFICER}, {"departments"}),
        ({"departments": ["nursing", "nursing"], "reclassified_by": OFFICER}, {"departments"}),
        ({"departments": "nursing", "reclassified_by": OFFICER}, {"departments"}),
        ({"campuses": ["north"], "reclassified_by": OFFICER}, {"campuses"}),
        ({"campuses": ["west"], "reclassified_by": OFFICER}, {"campuses"}),  # without its own campus
        ({"campuses": [], "reclassified_by": OFFICER}, {"campuses"}),
        ({"reclassified_by": OFFICER}, {"_schema"}),
        ({"note": "nothing else", "reclassified_by": OFFICER}, {"_schema"}),
        ({"category": "billing", "reclassified_by": OFFICER}, {"category"}),  # unchanged
        ({"category": "billing", "severity": "normal", "reclassified_by": OFFICER}, {"category", "severity"}),
        (
            {"departments": ["billing_office"], "campuses": ["east"], "reclassified_by": OFFICER},
            {"departments", "campuses"},
        ),
        ({"severity": "major", "reclassified_by": OFFICER, "reference": "X"}, {"reference"}),
    ],
)
def test_reclassify_refuses_bad_input(stack, fresh, body, fields):
    assert set(refused(stack, fresh, "reclassify", body, 400)["errors"]) == fields


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_action_refuses_a_body_that_is_not_a_json_object(stack, fresh, action):
    errors = refused(stack, fresh, action, None, 400, data=b"{oops", headers={"Content-Type": "application/json"})[
        "errors"
    ]
    assert "_body" in errors
    assert "_body" in refused(stack, fresh, action, ["a", "list"], 400)["errors"]


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("complaint_id", [UNKNOWN, "not-a-uuid", "1"])
def test_every_action_on_an_unknown_complaint_is_404(stack, action, complaint_id):
    answer = refused(stack, complaint_id, action, ACTIONS[action], 404)
    assert complaint_id in answer["error"]


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_a_path_that_names_no_complaint_is_404_before_the_body_is_read(stack, action):
    assert refused(stack, "not-a-uuid", action, {"colour": "red"}, 404) == {"error": "no complaint not-a-uuid"}
    assert refused(stack, "not-a-uuid", action, None, 404, data=b"{oops") == {"error": "no complaint not-a-uuid"}


def test_an_erasure_reads_its_body_before_its_path(stack):
    """As it always did (the body was loaded first): kept while the commands moved onto the entrypoints."""
    bad = stack.intake.post("/complaints/not-a-uuid/erasure", {"reason": "a lawful request", "colour": "red"})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"colour"}
    unknown = stack.intake.post("/complaints/not-a-uuid/erasure", {"reason": "a lawful request"})
    assert unknown.status_code == 404 and unknown.json() == {"error": "no complaint not-a-uuid"}


@pytest.mark.parametrize(
    "ended_by,ended_state",
    [("resolve-on-spot", "resolved_on_spot"), ("not-accepted", "not_accepted"), ("withdraw", "withdrawn")],
)
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_action_is_refused_once_intake_ended_the_complaint(stack, fresh, ended_by, ended_state, action):
    act(stack, fresh, ended_by, ACTIONS[ended_by])
    answer = refused(stack, fresh, action, ACTIONS[action], 409)
    assert answer["state"] == ended_state and ended_state.replace("_", " ") in answer["error"]


def test_reading_refuses_unknown_ids_and_filters(stack, complaint):
    snapshot = Unchanged(stack)
    assert stack.intake.get(f"/complaints/{UNKNOWN}").status_code == 404
    assert stack.intake.get("/complaints/not-a-uuid").status_code == 404
    for params, field in [
        ({"status": "open"}, "status"),
        ({"campus": "north"}, "campus"),
        ({"limit": "0"}, "limit"),
        ({"colour": "red"}, "colour"),
    ]:
        response = stack.intake.get("/complaints", params=params)
        assert response.status_code == 400 and set(response.json()["errors"]) == {field}, response.text
    for bad, field in [
        ({"category": "food"}, "category"),
        ({"source": "rumour"}, "source"),
        ({"received_at": "2099-01-01T00:00:00Z"}, "received_at"),
    ]:
        response = stack.intake.post("/complaints", complaint(**bad))
        assert response.status_code == 400 and set(response.json()["errors"]) == {field}, response.text
    snapshot.check()


# -- contact details over RPC ----------------------------------------------------------------------------


def test_contact_for_over_nameko_rpc(stack, complaint):
    cid = register(
        stack,
        complaint,
        complainant={
            "name": "Chen Jie",
            "phone": "+86 137 0000 1111",
            "email": "chen.jie@example.org",
            "relation": "son",
        },
    )
    anonymous = register(stack, complaint, anonymous=True, complainant=None, patient={"name": "P", "mrn": "M-1"})
    silent = register(stack, complaint, complainant=None)
    reference = detail(stack, cid)["reference"]
    token = authenticator().service_token("notification")  # intake answers notification only (test_access.py)
    with ClusterRpcProxy({"AMQP_URI": os.environ["AMQP_URI"]}, timeout=20) as cluster:
        assert cluster.intake.contact_for(cid, token=token) == {
            "anonymous": False,
            "name": "Chen Jie",
            "phone": "13700001111",
            "email": "chen.jie@example.org",
            "relation": "son",
            "postal_address": None,
            "preferred_channel": None,
            "campus": "east",
            "reference": reference,
            "erased": False,
        }
        assert cluster.intake.contact_for(anonymous, token=token) == {
            "anonymous": True,
            "name": None,
            "phone": None,
            "email": None,
            "relation": None,
            "postal_address": None,
            "preferred_channel": None,
            "campus": "east",
            "reference": detail(stack, anonymous)["reference"],
            "erased": False,
        }
        assert cluster.intake.contact_for(silent, token=token)["name"] is None
        for unknown in (UNKNOWN, "not-a-uuid"):
            with pytest.raises(RemoteError) as caught:
                cluster.intake.contact_for(unknown, token=token)
            assert caught.value.exc_type == "ComplaintNotFound" and unknown in caught.value.value


# -- references under concurrency ----------------------------------------------------------------------------


def test_concurrent_registrations_get_distinct_consecutive_references(stack, complaint):
    received_at = "2026-06-15T10:00:00+08:00"  # one campus, one year, whatever the date of the run

    def post(n: int) -> dict:
        response = stack.intake.post(
            "/complaints", complaint(campus="west", summary=f"concurrent {n}", received_at=received_at)
        )
        assert response.status_code == 201, response.text
        return response.json()

    with ThreadPoolExecutor(max_workers=30) as pool:
        created = list(pool.map(post, range(30)))
    references = [c["reference"] for c in created]
    assert len(set(references)) == 30 and len({c["complaint_id"] for c in created}) == 30
    assert all(r.startswith("WEST-2026-") for r in references)
    numbers = sorted(int(r.rsplit("-", 1)[1]) for r in references)
    assert numbers == list(range(numbers[0], numbers[0] + 30))
    for c in created[:3]:
        assert detail(stack, c["complaint_id"])["reference"] == c["reference"]


def test_concurrent_actions_on_one_complaint_are_serialised(stack, complaint):
    cid = register(stack, complaint)
    before = head(stack)
    attempts = [
        ("resolve-on-spot", ACTIONS["resolve-on-spot"]),
        ("withdraw", ACTIONS["withdraw"]),
        ("not-accepted", ACTIONS["not-accepted"]),
    ] * 4

    def post(attempt: tuple[str, dict]) -> int:
        return stack.intake.post(f"/complaints/{cid}/{attempt[0]}", attempt[1]).status_code

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        statuses = list(pool.map(post, attempts))
    assert sorted(statuses) == [200] + [409] * (len(attempts) - 1)
    mine = events_since(stack, before, cid)
    assert len(mine) == 1 and mine[0]["streamversion"] == 2
    assert detail(stack, cid)["version"] == 2


def test_erasures_at_once_erase_once(stack, complaint):
    """The complaint is locked before its key is looked at: one erasure, every other refused, one event."""
    cid = register(stack, complaint, complainant={"name": "Wang Fang", "phone": "+86 137 0000 2222"})
    after = head(stack)

    def erase(n: int) -> int:
        return stack.intake.post(f"/complaints/{cid}/erasure", {"reason": f"lawful request {n}"}).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(erase, range(6)))
    assert statuses == [200, 409, 409, 409, 409, 409]
    assert [e["type"] for e in events_since(stack, after, cid)] == ["PersonalDataErased"]


# -- group complaints (CONTRACT §10, issue 17 item 3) ----------------------------------------------


def test_a_group_complaint_records_its_representatives_in_the_complaint_and_its_event(stack, complaint):
    after = head(stack)
    complaint_id = register(stack, complaint, representatives=5, summary="Five families of ward 7 complain")
    assert detail(stack, complaint_id)["representatives"] == 5
    assert only_event(stack, after, complaint_id, "ComplaintReceived")["data"]["representatives"] == 5
    listed_one = stack.intake.get("/complaints", params={"limit": 1000}).json()["complaints"]
    assert next(c for c in listed_one if c["complaint_id"] == complaint_id)["representatives"] == 5


def test_a_complaint_without_representatives_shows_none_and_its_event_leaves_them_out(stack, complaint):
    after = head(stack)
    complaint_id = register(stack, complaint)
    assert detail(stack, complaint_id)["representatives"] is None
    assert "representatives" not in only_event(stack, after, complaint_id, "ComplaintReceived")["data"]


@pytest.mark.parametrize("value", [6, 0, -1, 100, "3", 2.5, True])
def test_representatives_outside_one_to_five_are_refused_naming_the_field(stack, complaint, value):
    before = head(stack)
    response = stack.intake.post("/complaints", complaint(representatives=value))
    assert response.status_code == 400, response.text
    assert set(response.json()["errors"]) == {"representatives"}
    assert head(stack) == before
