"""The bad requests of issue 11 (items 3, 6, 7, 9, 10), by hand, against the services as processes: each
gets a 4xx whose body names the field, and writes nothing (no event in the service's log, no new
version of the complaint or case)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg2
import pytest

from shared import config
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
NUL, LONE = "bad\x00value", "bad\ud800value"  # requests sends the surrogate as the JSON escape "\ud800"
DUPLICATE = "00000000-0000-4000-8000-000000000000"


def head(service) -> int:
    response = service.get("/events", params={"after": 0, "limit": 1})
    assert response.status_code == 200, response.text
    return response.json()["head"]


def named(errors: dict, path: str) -> bool:
    """Whether the 400's ``errors`` names the field at ``path`` (``complainant.name``, ``departments.0``)."""
    node = errors
    for part in path.split("."):
        if not isinstance(node, dict):
            return False
        key = next((k for k in node if str(k) == part), None)
        if key is None:
            return False
        node = node[key]
    return True


def refused(response, path: str, status: int = 400) -> None:
    assert response.status_code == status, (path, response.status_code, response.text)
    body = response.json()
    assert named(body.get("errors") or {}, path), (path, body)


@pytest.fixture(scope="module")
def valid(complaint):
    def make(**overrides):
        return complaint(**{"received_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(), **overrides})

    return make


@pytest.fixture(scope="module")
def case(stack, valid) -> str:
    """One complaint on east with its case open in investigation, for the actions' bad requests."""
    created = stack.intake.post("/complaints", valid(departments=["cardiology"]))
    assert created.status_code == 201, created.text
    complaint_id = created.json()["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{complaint_id}").status_code == 200, what="the case opens")
    return complaint_id


def _complainant(**fields) -> dict:
    return {"complainant": {"name": "Wang Fang", "phone": "+86 138 0000 0000", "relation": "self", **fields}}


REGISTRATIONS = [
    # item 3: received_at bounded (go-live, age, future)
    ("year 1", {"received_at": "0001-01-01T00:00:00Z"}, "received_at"),
    ("before go-live", {"received_at": "2023-12-31T23:00:00+08:00"}, "received_at"),
    ("ten minutes ahead", {"received_at": "@future"}, "received_at"),
    # item 6: NUL and lone surrogates, UTC offsets PostgreSQL refuses
    ("NUL in received_by", {"received_by": NUL}, "received_by"),
    ("surrogate in received_by", {"received_by": LONE}, "received_by"),
    ("NUL in summary", {"summary": NUL}, "summary"),
    ("surrogate in summary", {"summary": LONE}, "summary"),
    ("NUL in desired_outcome", {"desired_outcome": NUL}, "desired_outcome"),
    ("NUL in relation", _complainant(relation=NUL), "complainant.relation"),
    ("surrogate in relation", _complainant(relation=LONE), "complainant.relation"),
    ("NUL in name", _complainant(name=NUL), "complainant.name"),
    ("surrogate in email", _complainant(email=f"a{LONE}@example.org"), "complainant.email"),
    ("NUL in patient mrn", {"patient": {"mrn": NUL}}, "patient.mrn"),
    ("NUL in campus", {"campus": "east\x00"}, "campus"),
    ("NUL in a department", {"departments": [NUL]}, "departments.0"),
    ("offset +16:00", {"received_at": "2026-11-30T10:00:00+16:00"}, "received_at"),
    ("offset -23:59", {"received_at": "2026-11-30T10:00:00-23:59"}, "received_at"),
    # item 7: loose validation
    ("anonymous 'yes'", {"anonymous": "yes", "complainant": None}, "anonymous"),
    ("anonymous 1", {"anonymous": 1, "complainant": None}, "anonymous"),
    ("empty summary", {"summary": ""}, "summary"),
    ("blank summary", {"summary": "  \n\t "}, "summary"),
    ("phone with a trailing newline", _complainant(phone="+86 138 0000 0000\n"), "complainant.phone"),
    # item 10: codes are the hospital's
    ("unknown campus", {"campus": "north"}, "campus"),
]


@pytest.mark.parametrize(("body", "path"), [(b, p) for _, b, p in REGISTRATIONS], ids=[n for n, _, _ in REGISTRATIONS])
def test_bad_registrations_are_refused_naming_the_field_and_write_nothing(stack, valid, body, path):
    if body.get("received_at") == "@future":
        body = {**body, "received_at": (datetime.now(UTC) + timedelta(minutes=10)).isoformat()}
    before = head(stack.intake)
    refused(stack.intake.post("/complaints", valid(**body)), path)
    assert head(stack.intake) == before


def test_an_unknown_field_named_with_a_lone_surrogate_is_a_400_not_a_500(stack, valid):
    before = head(stack.intake)
    response = stack.intake.post("/complaints", {**valid(), "bad\ud800key": 1})
    assert response.status_code == 400, response.text
    assert len(response.json()["errors"]) == 1
    assert head(stack.intake) == before


INTAKE_ACTIONS = [
    ("resolve-on-spot", {"resolution": NUL}, "resolution"),
    ("resolve-on-spot", {"resolution": LONE}, "resolution"),
    ("resolve-on-spot", {"resolution": "refunded", "resolved_by": NUL}, "resolved_by"),
    ("resolve-on-spot", {"resolution": "refunded", "resolved_at": "2026-11-30T10:00:00+16:00"}, "resolved_at"),
    ("resolve-on-spot", {"resolution": "   "}, "resolution"),
    ("not-accepted", {"reason": "litigation", "route_advice": NUL}, "route_advice"),
    ("not-accepted", {"reason": "litigation", "route_advice": "the court", "duplicate_of": None}, "duplicate_of"),
    ("not-accepted", {"reason": "duplicate", "route_advice": "the first one", "duplicate_of": None}, "duplicate_of"),
    ("not-accepted", {"reason": "duplicate\x00", "route_advice": "the court"}, "reason"),
    ("withdraw", {"reason": NUL}, "reason"),
    ("withdraw", {"reason": LONE}, "reason"),
    ("reclassify", {"note": NUL, "severity": "major"}, "note"),
    ("reclassify", {"departments": [LONE]}, "departments.0"),
    ("reclassify", {"campuses": ["east\x00"]}, "campuses.0"),
    ("erasure", {"reason": NUL}, "reason"),
]


@pytest.mark.parametrize(
    ("action", "body", "path"), INTAKE_ACTIONS, ids=[f"{a}-{p}-{i}" for i, (a, _, p) in enumerate(INTAKE_ACTIONS)]
)
def test_bad_intake_actions_are_refused_naming_the_field_and_write_nothing(stack, case, action, body, path):
    before, version = head(stack.intake), stack.intake.get(f"/complaints/{case}").json()["version"]
    refused(stack.intake.post(f"/complaints/{case}/{action}", body), path)
    assert head(stack.intake) == before
    assert stack.intake.get(f"/complaints/{case}").json()["version"] == version


CASE_ACTIONS = [
    ("assignments", {"departments": [NUL]}, "departments.0"),
    ("extensions", {"department": "cardiology", "reason": NUL, "requested_days": 2}, "reason"),
    ("extensions", {"department": NUL, "reason": "waiting for the lab", "requested_days": 2}, "department"),
    (
        "findings",
        {"department": "cardiology", "substantiated": "no", "summary": "checked", "signed_off_by": NUL},
        "signed_off_by",
    ),
    (
        "findings",
        {"department": "cardiology", "substantiated": "no", "summary": LONE, "signed_off_by": "east-cardiology-head"},
        "summary",
    ),
    (
        "findings",
        {"department": "cardiology", "substantiated": "no", "summary": "   ", "signed_off_by": "east-cardiology-head"},
        "summary",
    ),
    ("escalate", {"reason": NUL}, "reason"),
    ("replies", {"contact_person": LONE, "actions_taken": "a", "result": "b"}, "contact_person"),
    ("rectifications", {"department": "cardiology", "description": NUL}, "description"),
    ("disputes", {"route": "mediation", "note": NUL}, "note"),
    ("follow-up", {"satisfied": 1}, "satisfied"),
]


@pytest.mark.parametrize(
    ("action", "body", "path"), CASE_ACTIONS, ids=[f"{a}-{p}-{i}" for i, (a, _, p) in enumerate(CASE_ACTIONS)]
)
def test_bad_case_actions_are_refused_naming_the_field_and_write_nothing(stack, case, action, body, path):
    version = stack.investigation.get(f"/cases/{case}").json()["version"]
    refused(stack.investigation.post(f"/cases/{case}/{action}", body), path)
    assert stack.investigation.get(f"/cases/{case}").json()["version"] == version


QUERIES = [
    ("intake", "/complaints", "campus=%00", "campus"),
    ("intake", "/complaints", "status=received%00", "status"),
    ("investigation", "/cases", "department=%00", "department"),
    ("investigation", "/cases", "campus=east%00", "campus"),
    ("investigation", "/cases", "department=cardiology%00", "department"),
    ("notification", "/notifications", "complaint_id=%00", "complaint_id"),
    ("notification", "/letters", "campus=%00", "campus"),
]


@pytest.mark.parametrize(("service", "path", "params", "field"), QUERIES, ids=[q[2] for q in QUERIES])
def test_nul_in_a_query_parameter_is_a_400_naming_it(stack, service, path, params, field):
    refused(stack[service].get(f"{path}?{params}"), field)


def test_the_relation_is_sealed_and_does_not_survive_erasure(stack, valid):
    created = stack.intake.post("/complaints", valid(**_complainant(relation="daughter-in-law")))
    assert created.status_code == 201, created.text
    complaint_id = created.json()["complaint_id"]
    assert stack.intake.get(f"/complaints/{complaint_id}").json()["complainant"]["relation"] == "daughter-in-law"
    with psycopg2.connect(config.database_url("intake")) as conn, conn.cursor() as cur:
        cur.execute("SELECT row_to_json(p)::text FROM complainants p WHERE complaint_id = %s", (complaint_id,))
        stored = cur.fetchone()[0]
    assert "daughter" not in stored  # only the sealed form is stored
    erased = stack.intake.post(f"/complaints/{complaint_id}/erasure", {"reason": "the complainant's request"})
    assert erased.status_code == 200, erased.text
    assert erased.json()["complainant"]["relation"] is None
    assert stack.intake.get(f"/complaints/{complaint_id}").json()["complainant"]["relation"] is None
