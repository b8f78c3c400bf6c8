"""Medical disputes' duties through the real services (CONTRACT §8): route changes and their history, a major
dispute's authority report (a deadline counted in hours, breached exactly once, also with two replicas), the
sealing register's rules and police reports; every endpoint's bad input answered 4xx naming the field."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import token_for
from tests.e2e.test_lifecycle import act, at, case, events_of, types_of
from tests.e2e.test_replicas import second_replicas  # noqa: F401  (the fixture)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
CST = ZoneInfo("Asia/Shanghai")
NOBODY = "00000000-0000-0000-0000-000000000001"
AS_WEST = token_for("complaint_officer", "west-office-head", ("west",))


def opened(stack, complaint, campus: str = "east") -> str:
    body = complaint(campus=campus, departments=["billing_office"] if campus == "east" else None)
    body = {k: v for k, v in body.items() if v is not None}
    response = stack.intake.post("/complaints", body)
    assert response.status_code == 201, response.text
    cid = response.json()["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").status_code == 200, what="case")
    return cid


def stamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def authority_deadline(stack, cid: str) -> dict:
    return next(d for d in case(stack, cid)["deadlines"] if d["kind"] == "authority_report")


def breaches(stack, cid: str) -> int:
    return sum(
        1
        for e in events_of(stack, cid)
        if e["type"] == "DeadlineBreached" and e["data"]["deadline"]["kind"] == "authority_report"
    )


def metric(process, name: str, **labels: str) -> float:
    total = 0.0
    for line in process.get("/metrics").text.splitlines():
        match = re.match(rf"{name}{{(.*)}} (\S+)$", line)
        if match and all(f'{k}="{v}"' in match.group(1) for k, v in labels.items()):
            total += float(match.group(2))
    return total


def test_the_12_hour_deadline_is_an_instant_across_the_day_boundary_and_breaches_once(stack, complaint):
    cid = opened(stack, complaint)
    before = metric(stack.investigation, "complaints_deadline_breaches_total", kind="authority_report", campus="east")
    day = (datetime.now(CST) - timedelta(days=2)).date()  # its deadline (the next day, 08:30) is always past
    recorded_at = datetime(day.year, day.month, day.day, 20, 30, tzinfo=CST)  # 12:30 UTC
    dispute = act(stack, cid, "disputes", 201, route="negotiation", major=True, recorded_at=recorded_at.isoformat())
    deadline = authority_deadline(stack, cid)
    assert at(deadline["due_at"]) == recorded_at + timedelta(hours=12)  # 08:30 local the next day
    assert deadline["due_at"].endswith("Z") or deadline["due_at"].endswith("+00:00")
    assert deadline["last_day"] == (day + timedelta(days=1)).isoformat() and deadline["working_days"] == 0
    wait_for(lambda: authority_deadline(stack, cid)["status"] == "breached", what="the authority report's breach")
    recorded = next(e for e in events_of(stack, cid) if e["type"] == "DisputeRecorded")["data"]
    assert recorded["major"] is True and recorded["authority_report"]["hours"] == 12
    report = {"authority": "区卫生健康委员会", "reported_at": stamp(datetime.now(UTC)), "report_kind": "initial"}
    act(stack, cid, f"disputes/{dispute['dispute_id']}/authority-reports", 201, **report)
    reported = next(e for e in events_of(stack, cid) if e["type"] == "DisputeReportedToAuthority")["data"]
    assert reported["on_time"] is False and authority_deadline(stack, cid)["status"] == "met_late"
    assert breaches(stack, cid) == 1
    after = metric(stack.investigation, "complaints_deadline_breaches_total", kind="authority_report", campus="east")
    assert after == before + 1


def test_a_campus_may_set_one_hour_and_the_initial_report_meets_it(stack, complaint):
    cid = opened(stack, complaint, "west")
    dispute = act(stack, cid, "disputes", 201, AS_WEST, route="technical_appraisal", major=True)
    deadline = authority_deadline(stack, cid)
    recorded = next(e for e in events_of(stack, cid) if e["type"] == "DisputeRecorded")["data"]
    assert at(deadline["due_at"]) == at(recorded["recorded_at"]) + timedelta(hours=1)
    path = f"disputes/{dispute['dispute_id']}/authority-reports"
    body = {"authority": "市卫健委", "reported_at": stamp(datetime.now(UTC)), "reference": "WJW-7"}
    act(stack, cid, path, 409, AS_WEST, report_kind="follow_up", **body)
    act(stack, cid, path, 201, AS_WEST, report_kind="initial", **body)
    act(stack, cid, path, 409, AS_WEST, report_kind="initial", **body)
    act(stack, cid, path, 201, AS_WEST, report_kind="final", **body)
    assert authority_deadline(stack, cid)["status"] == "met"
    reports = case(stack, cid)["disputes"][dispute["dispute_id"]]["authority_reports"]
    assert [r["report_kind"] for r in reports] == ["initial", "final"] and reports[0]["on_time"] is True


def test_two_replicas_breach_the_authority_report_once(stack, second_replicas, complaint):  # noqa: F811
    ids = [opened(stack, complaint) for _ in range(3)]
    long_ago = stamp(datetime.now(UTC) - timedelta(hours=13))
    for cid in ids:
        act(stack, cid, "disputes", 201, route="litigation", major=True, recorded_at=long_ago)
    for cid in ids:
        wait_for(lambda cid=cid: authority_deadline(stack, cid)["status"] == "breached", what="breach")
    wait_for(lambda: types_of(stack, ids[-1]).count("DeadlineBreached") >= 1, what="breach event")
    assert [breaches(stack, cid) for cid in ids] == [1, 1, 1]


def test_route_changes_are_kept_on_the_case(stack, complaint):
    cid = opened(stack, complaint)
    dispute = act(stack, cid, "disputes", 201, route="negotiation")["dispute_id"]
    act(stack, cid, f"disputes/{dispute}/route", route="people_mediation", note="the board took it")
    act(stack, cid, f"disputes/{dispute}/route", 409, route="people_mediation")
    act(stack, cid, f"disputes/{dispute}/route", route="administrative_mediation")
    routes = case(stack, cid)["disputes"][dispute]["routes"]
    assert [r["route"] for r in routes] == ["negotiation", "people_mediation", "administrative_mediation"]
    assert "change_dispute_route" in case(stack, cid)["allowed_actions"]
    act(stack, cid, f"disputes/{dispute}/settle", compensation_amount="0")
    act(stack, cid, f"disputes/{dispute}/route", 409, route="litigation")
    changed = [e["data"] for e in events_of(stack, cid) if e["type"] == "DisputeRouteChanged"]
    assert [(c["previous"], c["route"]) for c in changed] == [
        ("negotiation", "people_mediation"),
        ("people_mediation", "administrative_mediation"),
    ]


def test_seals_are_listed_and_unsealed_only_as_the_rules_allow(stack, complaint):
    cid = opened(stack, complaint)
    dispute = act(stack, cid, "disputes", 201, route="negotiation")["dispute_id"]
    sealed_at = stamp(datetime.now(UTC) - timedelta(hours=1))
    body = {
        "items": ["住院病历 (全部)", "输液器及剩余药液"],
        "sealed_at": sealed_at,
        "hospital_witness": "east-office-head",
        "patient_side_present": True,
        "list_signed_by_both": True,
    }
    seal = act(stack, cid, "seals", 201, **body)["seal_id"]
    listed = case(stack, cid)["seals"][seal]
    assert listed["status"] == "sealed" and listed["items"] == body["items"]
    assert at(listed["reminder_at"]).year == at(sealed_at).year + 3
    assert "unseal_records" in case(stack, cid)["allowed_actions"]
    refused = stack.investigation.post(f"/cases/{cid}/seals/{seal}/unseal", {"reason": "dispute_settled"})
    assert refused.status_code == 409 and "not settled" in refused.json()["error"]
    refused = stack.investigation.post(f"/cases/{cid}/seals/{seal}/unseal", {"reason": "three_years_no_claim"})
    assert refused.status_code == 409 and "3 years after sealing" in refused.json()["error"]
    act(stack, cid, f"disputes/{dispute}/settle", compensation_amount="500")
    act(stack, cid, f"seals/{seal}/unseal", reason="dispute_settled")
    act(stack, cid, f"seals/{seal}/unseal", 409, reason="jointly")
    assert case(stack, cid)["seals"][seal]["status"] == "unsealed"
    assert types_of(stack, cid).count("RecordsUnsealed") == 1


def test_police_reports_are_recorded(stack, complaint):
    cid = opened(stack, complaint)
    reported_at = stamp(datetime.now(UTC) - timedelta(minutes=5))
    body = {"reported_at": reported_at, "reason": "threats against a nurse", "reference": "110-2026-0042"}
    report = act(stack, cid, "police-reports", 201, **body)["police_report_id"]
    notified = next(e for e in events_of(stack, cid) if e["type"] == "PoliceNotified")["data"]
    assert notified["police_report_id"] == report and notified["reference"] == "110-2026-0042"
    assert case(stack, cid)["police_reports"][0]["reason"] == "threats against a nurse"


def test_every_dispute_endpoint_answers_bad_input_naming_the_field(stack, complaint):
    cid = opened(stack, complaint)
    dispute = act(stack, cid, "disputes", 201, route="negotiation")["dispute_id"]
    now = stamp(datetime.now(UTC))
    future = stamp(datetime.now(UTC) + timedelta(days=1))
    seal_body = {
        "items": ["病历"],
        "sealed_at": now,
        "hospital_witness": "w",
        "patient_side_present": True,
        "list_signed_by_both": True,
    }
    seal = act(stack, cid, "seals", 201, **seal_body)["seal_id"]
    report = {"authority": "卫健委", "reported_at": now, "report_kind": "initial"}
    bad = [
        ("disputes", {"route": "negotiation", "major": "yes"}, "major"),
        ("disputes", {"route": "negotiation", "recorded_at": "yesterday"}, "recorded_at"),
        ("disputes", {"route": "negotiation", "recorded_at": future}, "recorded_at"),
        (f"disputes/{dispute}/route", {"route": "duel"}, "route"),
        (f"disputes/{dispute}/route", {}, "route"),
        (f"disputes/{dispute}/route", {"route": "litigation", "extra": 1}, "extra"),
        (f"disputes/{dispute}/authority-reports", {**report, "report_kind": "draft"}, "report_kind"),
        (f"disputes/{dispute}/authority-reports", {**report, "authority": ""}, "authority"),
        (f"disputes/{dispute}/authority-reports", {**report, "reported_at": "now"}, "reported_at"),
        ("seals", {**seal_body, "items": []}, "items"),
        ("seals", {**seal_body, "items": [""]}, "items"),
        ("seals", {**seal_body, "patient_side_present": "yes"}, "patient_side_present"),
        ("seals", {k: v for k, v in seal_body.items() if k != "list_signed_by_both"}, "list_signed_by_both"),
        ("seals", {**seal_body, "sealed_at": future}, "sealed_at"),
        ("seals", {**seal_body, "hospital_witness": " "}, "hospital_witness"),
        (f"seals/{seal}/unseal", {"reason": "because"}, "reason"),
        (f"seals/{seal}/unseal", {}, "reason"),
        ("police-reports", {"reported_at": now}, "reason"),
        ("police-reports", {"reported_at": future, "reason": "r"}, "reported_at"),
        ("police-reports", {"reason": "r"}, "reported_at"),
    ]
    for path, body, field in bad:
        response = stack.investigation.post(f"/cases/{cid}/{path}", body)
        assert response.status_code == 400, (path, body, response.text)
        assert field in response.json()["errors"], (path, body, response.text)
    refused = [
        (f"disputes/{dispute}/authority-reports", report, "only a major dispute"),
        (f"disputes/{dispute}/route", {"route": "negotiation"}, "already follows"),
    ]
    for path, body, why in refused:
        response = stack.investigation.post(f"/cases/{cid}/{path}", body)
        assert response.status_code == 409 and why in response.json()["error"], (path, response.text)
    unknown = [
        (f"disputes/{NOBODY}/route", {"route": "litigation"}),
        (f"disputes/{NOBODY}/authority-reports", report),
        (f"seals/{NOBODY}/unseal", {"reason": "jointly"}),
        (f"/../{NOBODY}/police-reports", {"reported_at": now, "reason": "r"}),
    ]
    for path, body in unknown[:3]:
        assert stack.investigation.post(f"/cases/{cid}/{path}", body).status_code == 404, path
    assert stack.investigation.post(f"/cases/{NOBODY}/police-reports", unknown[3][1]).status_code == 404
    liaison = token_for("department_liaison", "east-billing-liaison", ("east",), "billing_office")
    for path, body in [("seals", seal_body), ("police-reports", {"reported_at": now, "reason": "r"})]:
        assert stack.investigation.post(f"/cases/{cid}/{path}", body, token=liaison).status_code == 403, path
    assert stack.investigation.get(f"/cases/{cid}", token=liaison).status_code == 200
