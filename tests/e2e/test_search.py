"""Finding a complaint (issue 18 item 6) through the real intake: by reference, phone, e-mail, name or MRN
as a whole value however typed; within the caller's scope only; bad queries named; an erasure leaves only
the reference; the indexer (re)writes what is missing."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import psycopg2
import pytest

from shared import config
from shared.auth import LIAISON, OFFICER
from tests.e2e.conftest import token_for
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


def _unique_mobile() -> str:
    return "139" + str(uuid.uuid4().int)[:8]


@pytest.fixture()
def found(stack):
    def search(q: str, token: str | None = None) -> dict[str, list[str]]:
        response = stack.intake.get("/complaints", token=token, params={"q": q})
        assert response.status_code == 200, response.text
        return {c["complaint_id"]: c["matched"] for c in response.json()["complaints"]}

    return search


@pytest.fixture()
def registered(stack, complaint):
    mobile = _unique_mobile()
    tag = uuid.uuid4().hex[:8]
    body = complaint(
        departments=["cardiology"],
        complainant={
            "name": f"王 芳{tag}",
            "phone": f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}",
            "email": f"Fang.{tag}@Example.org",
            "relation": "self",
        },
        patient={"name": f"Li Lei {tag}", "mrn": f"mrn-{tag}-01"},
    )
    created = stack.intake.post("/complaints", body)
    assert created.status_code == 201, created.text
    return {
        "id": created.json()["complaint_id"],
        "reference": created.json()["reference"],
        "mobile": mobile,
        "tag": tag,
    }


def test_each_detail_finds_the_complaint_as_a_whole_value_however_typed(found, registered):
    cid, tag, mobile = registered["id"], registered["tag"], registered["mobile"]
    assert found(mobile)[cid] == ["phone"]
    assert found(f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}")[cid] == ["phone"]
    assert found(f"王芳{tag}")[cid] == ["complainant_name"]
    assert found(f"LI LEI{tag.upper()}")[cid] == ["patient_name"]
    assert found(f"MRN {tag.upper()} 01")[cid] == ["patient_mrn"]
    assert found(f"fang.{tag}@example.org")[cid] == ["email"]
    assert found(registered["reference"].lower())[cid] == ["reference"]
    # a part of a value is not the value: a keyed hash has no prefixes
    assert cid not in found(mobile[:7])
    assert cid not in found("王芳")


def test_a_search_finds_only_what_the_caller_may_read(stack, found, registered):
    mobile = registered["mobile"]
    cardiology = token_for(LIAISON, "cardio-liaison", ("east",), "cardiology")
    radiology = token_for(LIAISON, "radiology-liaison", ("east",), "radiology")
    west_officer = token_for(OFFICER, "west-officer", ("west",))
    assert registered["id"] in found(mobile, cardiology)
    assert registered["id"] not in found(mobile, radiology)
    assert registered["id"] not in found(mobile, west_officer)
    assert registered["id"] not in found(registered["reference"], west_officer)


@pytest.mark.parametrize("q", ["", "   ", "x" * 101, "a\x00b"])
def test_a_bad_query_is_refused_naming_q(stack, q):
    response = stack.intake.get("/complaints", params={"q": q})
    assert response.status_code == 400, response.text
    assert "q" in response.json()["errors"]


def test_an_erasure_leaves_the_complaint_found_by_its_reference_only(stack, found, registered):
    cid = registered["id"]
    erased = stack.intake.post(f"/complaints/{cid}/erasure", {"reason": "lawful request 2026-201"})
    assert erased.status_code == 200, erased.text
    assert cid not in found(registered["mobile"])
    assert cid not in found(f"王芳{registered['tag']}")
    assert found(registered["reference"])[cid] == ["reference"]
    with psycopg2.connect(config.database_url("intake")) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM complaint_search_terms WHERE complaint_id = %s", (cid,))
        assert cur.fetchone()[0] == 0


def test_the_indexer_writes_what_is_missing(stack, found, registered):
    """A complaint registered before the index (its rows absent) is indexed by `python -m
    services.intake.search_index` (and by the indexer in the background of intake)."""
    cid = registered["id"]
    with psycopg2.connect(config.database_url("intake")) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM complaint_search_terms WHERE complaint_id = %s", (cid,))
        cur.execute("DELETE FROM complaint_search_indexed WHERE complaint_id = %s", (cid,))
    assert cid not in found(registered["mobile"])
    ran = subprocess.run(
        [sys.executable, "-m", "services.intake.search_index"], cwd=config.ROOT, env=os.environ, capture_output=True
    )
    assert ran.returncode == 0, ran.stderr
    wait_for(lambda: cid in found(registered["mobile"]), what="the complaint indexed again")
    assert found(registered["mobile"])[cid] == ["phone"]


def test_a_corrected_phone_finds_the_complaint_and_the_old_one_no_longer_does(stack, found, registered):
    new_mobile = _unique_mobile()
    corrected = stack.intake.post(f"/complaints/{registered['id']}/contact", {"phone": new_mobile})
    assert corrected.status_code == 200, corrected.text
    assert found(new_mobile) == {registered["id"]: ["phone"]}
    assert registered["id"] not in found(registered["mobile"])
    assert found(f"Fang.{registered['tag']}@example.org") == {registered["id"]: ["email"]}  # the rest is kept
