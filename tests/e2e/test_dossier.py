"""The dossier (CONTRACT §9) and the staff figures through the real services: a complaint handled in intake and
investigation (feedback, findings naming staff, reply, rectification, dispute, seal), its dossier compared with
each service's own log and stored hashes, its PDF's Chinese text, and who may read what."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import psycopg2
import pypdf
import pytest

from shared import config, glossary
from shared.eventstore import verify_chain
from tests.e2e.conftest import token_for
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
OFFICER = "east-office-head"
AS_OFFICER = token_for("complaint_officer", OFFICER, ("east",))
AS_WEST_OFFICER = token_for("complaint_officer", "west-office-head", ("west",))
AS_CARDIOLOGY = token_for("department_liaison", "east-cardiology-liaison", ("east",), "cardiology")
AS_AUDITOR = token_for("auditor", "auditor-01")
AS_LEADERSHIP = token_for("leadership", "leader-01")
AS_DESK = token_for("first_contact", "east-desk-01", ("east",))
STAFF = ["east-staff-7001", "east-staff-7002"]
OWNERS = ("intake", "investigation", "notification")


def act(stack, cid: str, path: str, status: int = 200, token: str = AS_OFFICER, **body) -> dict:
    response = stack.investigation.post(f"/cases/{cid}/{path}", body, token=token)
    assert response.status_code == status, response.text
    return response.json()


def log_of(stack, service: str, cid: str) -> list[dict]:
    answer = stack[service].get("/events", params={"subject": cid, "limit": 1000}, token=AS_AUDITOR)
    assert answer.status_code == 200, answer.text
    return answer.json()["events"]


def stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def handled(stack, complaint) -> str:
    """An east complaint taken through every kind of record the dossier gathers."""
    body = complaint(category="medical_quality", departments=["cardiology"])
    created = stack.intake.post("/complaints", body, token=AS_OFFICER)
    assert created.status_code == 201, created.text
    cid = created.json()["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").status_code == 200, what="case")
    act(stack, cid, "feedback", 201, contact_person=OFFICER, progress="调查中", next_steps="科室书面意见")
    act(
        stack,
        cid,
        "findings",
        department="cardiology",
        substantiated="partly",
        summary="心电图报告延迟",
        signed_off_by="east-cardiology-head",
        staff_involved=STAFF,
        token=AS_CARDIOLOGY,
    )
    act(stack, cid, "replies", 201, contact_person=OFFICER, actions_taken="流程已改", result="部分属实")
    rect = act(stack, cid, "rectifications", 201, department="cardiology", description="1小时内出报告")
    act(stack, cid, f"rectifications/{rect['rectification_id']}/complete", note="done", token=AS_CARDIOLOGY)
    act(stack, cid, "disputes", 201, route="negotiation")
    seal = {
        "items": ["住院病历 (全部)"],
        "sealed_at": stamp(datetime.now(UTC) - timedelta(minutes=5)),
        "hospital_witness": OFFICER,
        "patient_side_present": True,
        "list_signed_by_both": True,
    }
    act(stack, cid, "seals", 201, **seal)
    wait_for(lambda: any(e["type"] == "ReplySent" for e in log_of(stack, "notification", cid)), what="reply sent")
    return cid


def dossier(stack, cid: str, token: str = AS_OFFICER, **params):
    return stack.reporting.get(f"/complaints/{cid}/dossier", params=params, token=token)


def test_the_dossier_holds_every_event_of_every_log_with_its_stored_hash(stack, handled):
    answer = dossier(stack, handled)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["reference"] and found["classification"]["category"] == "medical_quality"
    for service in OWNERS:
        proof = found["logs"][service]
        # the log as the dossier saw it: up to that log's head then (more may have been appended since)
        logged = [e for e in log_of(stack, service, handled) if e["sequence"] <= proof["head"]["sequence"]]
        assert logged, service
        mine = [e for e in found["timeline"] if e["service"] == service]
        assert sorted((e["sequence"], e["event_id"], e["type"]) for e in mine) == sorted(
            (e["sequence"], e["id"], e["type"]) for e in logged
        )
        assert [p["sequence"] for p in proof["events"]] == [e["sequence"] for e in logged]
        _hashes_are_the_stored_ones(service, proof)
    sections = found["sections"]
    assert [f["data"]["staff_involved"] for f in sections["findings"]] == [STAFF]
    assert sections["feedback"][0]["data"]["progress"] == "调查中"
    assert {e["type"] for e in sections["rectifications"]} == {"RectificationOrdered", "RectificationCompleted"}
    assert sections["seals"] and sections["disputes"] and sections["replies"]
    investigation = next(d for d in found["deadlines"] if d["kind"] == "investigation")
    assert investigation["outcome"] == "met" and investigation["calendar_version"] and investigation["policy_version"]
    assert found["retention"]["archive_retention_years"] == 30 and found["retention"]["kept_until"] is None
    assert found["generated_by"] == {"id": OFFICER, "role": "complaint_officer"}


def _hashes_are_the_stored_ones(service: str, proof: dict) -> None:
    """Each event's hash and the head's are the owner's stored ones, on a chain shared.verify_log accepts."""
    conn = psycopg2.connect(config.database_url(service))
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "SELECT sequence, hash FROM events WHERE sequence = ANY(%s)",
                ([e["sequence"] for e in proof["events"]],),
            )
            stored = dict(cur.fetchall())
            cur.execute("SELECT hash FROM events WHERE sequence = %s", (proof["head"]["sequence"],))
            assert cur.fetchone()[0] == proof["head"]["hash"]
            _, broken = verify_chain(cur, service)
    finally:
        conn.close()
    assert {e["sequence"]: e["hash"] for e in proof["events"]} == stored
    assert broken is None


def test_the_pdf_renders_chinese_that_can_be_extracted(stack, handled):
    answer = dossier(stack, handled, format="pdf", lang="zh-CN")
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(answer.content)).pages)
    reference = dossier(stack, handled).json()["reference"]
    assert reference in text
    assert glossary.in_report("zh-CN", "category", "medical_quality") in text
    assert "投诉档案" in text and "心电图报告延迟" in text
    english = dossier(stack, handled, format="pdf", lang="en")
    assert english.status_code == 200 and english.content.startswith(b"%PDF")


def test_only_the_office_of_its_campus_and_auditors_read_the_dossier(stack, handled):
    assert dossier(stack, handled, AS_AUDITOR).status_code == 200
    for token in (AS_CARDIOLOGY, AS_LEADERSHIP, AS_DESK, token_for("ops", "ops-01")):
        assert dossier(stack, handled, token).status_code == 403
    assert dossier(stack, handled, AS_WEST_OFFICER).status_code == 404  # out of scope: as an unknown id


@pytest.mark.parametrize(("params", "field"), [({"format": "docx"}, "format"), ({"lang": "fr"}, "lang"),
                                               ({"colour": "red"}, "colour")])  # fmt: skip
def test_bad_dossier_parameters_are_400_naming_the_field(stack, handled, params, field):
    answer = dossier(stack, handled, **params)
    assert answer.status_code == 400 and field in answer.json()["errors"], answer.text


def test_an_unknown_complaint_has_no_dossier(stack):
    assert dossier(stack, "00000000-0000-4000-8000-000000000000").status_code == 404
    assert dossier(stack, "not-a-uuid").status_code == 404


def staff_report(stack, token: str = AS_OFFICER, **params):
    return stack.reporting.get("/reports/staff", params=params, token=token)


def _staff_rows(stack, token: str = AS_OFFICER, **params) -> dict[str, dict]:
    answer = staff_report(stack, token, **params)
    assert answer.status_code == 200, answer.text
    return {row["staff_id"]: row for row in answer.json()["staff"]}


def test_staff_figures_for_the_office_head_and_the_leadership_only(stack, handled):
    wait_for(lambda: STAFF[0] in _staff_rows(stack), what="reporting has the findings")
    row = _staff_rows(stack)[STAFF[0]]
    assert row["complaints"] >= 1 and row["upheld_findings"] >= 1 and row["rectifications"] >= 1
    assert row["rectifications_completed"] >= 1
    assert STAFF[1] in _staff_rows(stack, AS_LEADERSHIP)
    assert STAFF[0] in _staff_rows(stack, AS_LEADERSHIP, campus="east")
    assert STAFF[0] not in _staff_rows(stack, AS_LEADERSHIP, campus="west")
    csv = staff_report(stack, format="csv")
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert csv.text.splitlines()[0] == "staff_id,complaints,upheld_findings,rectifications,rectifications_completed"
    assert STAFF[0] in csv.text
    for token in (AS_CARDIOLOGY, AS_AUDITOR, AS_DESK, token_for("ops", "ops-01")):
        assert staff_report(stack, token).status_code == 403
    assert staff_report(stack, AS_WEST_OFFICER, campus="east").status_code == 403


@pytest.mark.parametrize(("params", "field"), [({"from": "2026-13-01"}, "from"), ({"format": "xml"}, "format"),
                                               ({"campus": "north"}, "campus"),
                                               ({"from": "2026-05-02", "to": "2026-05-01"}, "to")])  # fmt: skip
def test_bad_staff_report_parameters_are_400_naming_the_field(stack, params, field):
    answer = staff_report(stack, **params)
    assert answer.status_code == 400 and field in answer.json()["errors"], answer.text


def test_no_other_report_shows_staff_ids(stack, handled):
    wait_for(lambda: STAFF[0] in _staff_rows(stack), what="reporting has the findings")
    month = datetime.now(UTC).astimezone().strftime("%Y-%m")
    for token in (AS_OFFICER, AS_AUDITOR, AS_LEADERSHIP):
        for path, params in (
            ("/reports/summary", {"campus": "east"}),
            ("/reports/monthly", {"month": month, "campus": "east"}),
            ("/reports/monthly", {"month": month, "campus": "east", "format": "csv"}),
            ("/reports/monthly", {"month": month, "campus": "east", "format": "html"}),
        ):
            answer = stack.reporting.get(path, params=params, token=token)
            assert answer.status_code == 200, (path, answer.text)
            assert not any(s in answer.text for s in STAFF), path
    path = f"/reports/complaints/{handled}"
    wait_for(lambda: stack.reporting.get(path, token=AS_AUDITOR).status_code == 200, what="reporting's copy")
    facts = stack.reporting.get(path, token=AS_AUDITOR)
    assert facts.status_code == 200 and not any(s in facts.text for s in STAFF), facts.text
    case = stack.investigation.get(f"/cases/{handled}", token=AS_CARDIOLOGY)
    assert case.status_code == 200 and not any(s in case.text for s in STAFF)


@pytest.fixture(scope="module")
def awaiting_findings(stack, complaint) -> str:
    created = stack.intake.post("/complaints", complaint(departments=["cardiology"]), token=AS_OFFICER).json()
    cid = created["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").status_code == 200, what="case")
    return cid


@pytest.mark.parametrize("bad", [[""], "east-staff-1", ["a", "a"], [7], ["x" * 129], [None]])
def test_staff_involved_is_validated_like_other_ids(stack, awaiting_findings, bad):
    cid = awaiting_findings
    body = {
        "department": "cardiology",
        "substantiated": "no",
        "summary": "s",
        "signed_off_by": "east-cardiology-head",
        "staff_involved": bad,
    }
    answer = stack.investigation.post(f"/cases/{cid}/findings", body, token=AS_CARDIOLOGY)
    assert answer.status_code == 400 and "staff_involved" in answer.json()["errors"], answer.text
