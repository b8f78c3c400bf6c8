"""The worklist's saved views through the real services (issue 18 item 6): each role's views with counts
counted by investigation, a case moving between "awaiting department" and the office's to-do as findings
come in, the liaison's own to-do, escalated cases for leadership, and bad views named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.auth import LEADERSHIP, LIAISON, OFFICER
from tests.e2e.conftest import token_for
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
AS_OFFICER = token_for(OFFICER, "west-office-head", ("west",))
AS_PEDIATRICS = token_for(LIAISON, "west-pediatrics-liaison", ("west",), "pediatrics")
AS_LEADERSHIP = token_for(LEADERSHIP, "west-director", ("west",))


def counts(stack, token: str) -> dict[str, int]:
    response = stack.investigation.get("/cases/views", token=token, params={"campus": "west"})
    assert response.status_code == 200, response.text
    return {v["view"]: v["count"] for v in response.json()["views"]}


def in_view(stack, view: str, token: str) -> dict[str, dict]:
    response = stack.investigation.get("/cases", token=token, params={"view": view, "campus": "west", "limit": 1000})
    assert response.status_code == 200, response.text
    return {c["complaint_id"]: c for c in response.json()["cases"]}


def open_case(stack, complaint, **overrides) -> str:
    created = stack.intake.post("/complaints", complaint(campus="west", departments=["pediatrics"], **overrides))
    assert created.status_code == 201, created.text
    cid = created.json()["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").status_code == 200, what="the case")
    return cid


def test_each_role_has_its_views_with_counts(stack):
    assert list(counts(stack, AS_OFFICER)) == ["todo", "due_week", "awaiting_department", "follow_up", "escalated"]
    assert list(counts(stack, AS_PEDIATRICS)) == ["todo", "due_week"]
    assert list(counts(stack, AS_LEADERSHIP)) == ["escalated", "due_week", "awaiting_department"]


def test_a_case_awaits_its_department_then_is_the_offices_to_do(stack, complaint):
    before = counts(stack, AS_OFFICER)
    liaison_before = counts(stack, AS_PEDIATRICS)
    cid = open_case(stack, complaint)
    after = counts(stack, AS_OFFICER)
    assert after["awaiting_department"] == before["awaiting_department"] + 1
    assert after["todo"] == before["todo"]
    assert counts(stack, AS_PEDIATRICS)["todo"] == liaison_before["todo"] + 1
    assert in_view(stack, "awaiting_department", AS_OFFICER)[cid]["awaiting_departments"] == ["pediatrics"]
    assert cid in in_view(stack, "todo", AS_PEDIATRICS) and cid not in in_view(stack, "todo", AS_OFFICER)

    findings = {
        "department": "pediatrics",
        "substantiated": "no",
        "summary": "checked",
        "signed_off_by": "west-pediatrics-head",
    }
    done = stack.investigation.post(f"/cases/{cid}/findings", findings, token=AS_PEDIATRICS)
    assert done.status_code == 200, done.text
    now = counts(stack, AS_OFFICER)
    assert now["awaiting_department"] == before["awaiting_department"]
    assert now["todo"] == before["todo"] + 1
    assert in_view(stack, "todo", AS_OFFICER)[cid]["awaiting_departments"] == []
    assert cid not in in_view(stack, "todo", AS_PEDIATRICS)


def test_an_escalated_case_is_in_leaderships_view(stack, complaint):
    before = counts(stack, AS_LEADERSHIP)["escalated"]
    cid = open_case(stack, complaint, severity="major")  # escalated on receipt
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").json()["escalated"], what="the escalation")
    assert counts(stack, AS_LEADERSHIP)["escalated"] == before + 1
    assert cid in in_view(stack, "escalated", AS_LEADERSHIP)


def test_due_this_week_lists_only_cases_with_a_deadline_this_week(stack):
    """Every case listed has a running deadline whose last working day is in this campus week."""
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    monday = today - timedelta(days=today.weekday())
    response = stack.investigation.get(
        "/cases", token=AS_OFFICER, params={"view": "due_week", "campus": "west", "deadlines": "true"}
    )
    assert response.status_code == 200, response.text
    for case in response.json()["cases"]:
        days = [d["last_day"] for d in case["deadlines"] if d["status"] == "open" and not d["on_hold"]]
        assert any(monday.isoformat() <= day <= (monday + timedelta(days=6)).isoformat() for day in days)
    assert len(response.json()["cases"]) == counts(stack, AS_OFFICER)["due_week"]


@pytest.mark.parametrize(("view", "token"), [("mine", AS_OFFICER), ("escalated", AS_PEDIATRICS)])
def test_a_view_the_role_has_not_is_refused_naming_view(stack, view, token):
    response = stack.investigation.get("/cases", token=token, params={"view": view})
    assert response.status_code == 400, response.text
    assert "view" in response.json()["errors"]
