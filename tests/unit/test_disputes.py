"""Medical disputes' pure rules (services/investigation/disputes.py, CONTRACT §8): route changes, the authority
report's deadline counted in hours (an instant, across day boundaries, in UTC), the sealing register's rules and
police reports. Clocks are injected; every decision validates against the catalogue."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.investigation import disputes, domain, schemas
from shared.errors import InvalidField, Refused, UnknownItem
from tests.unit.test_investigation_domain import POLICY, act, cst, ctx, story, types, utc

DISPUTE = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
SEAL = "3c2b1a09-8f7e-4d6c-9b5a-493827160504"
POLICE = "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d"
REPORT = "4d3c2b1a-0f9e-4d8c-8b7a-695847362514"


def recorded(case: domain.Case, at: datetime, major: bool = False, policy: dict = POLICY, **kw) -> list:
    command = schemas.RecordDispute("negotiation", None, DISPUTE, major=major, **kw)
    return act(case, domain.decide_dispute(case, command, ctx(at, policy=policy)), at)


def test_a_major_dispute_is_due_12_hours_later_as_an_instant_across_the_day_boundary_in_utc():
    case = story()
    at = cst(2026, 11, 23, 20, 30)  # Mon 20:30 in Shanghai = 12:30 UTC
    ((_, data),) = recorded(case, at, major=True)
    due = data["authority_report"]
    assert due["due_at"] == "2026-11-24T00:30:00Z"  # Tue 08:30 local: not office hours, not working days
    assert due["last_day"] == "2026-11-24" and due["hours"] == 12 and due["working_days"] == 0
    clock = case.clocks["authority_report"]
    assert clock.due_at == utc(2026, 11, 24, 0, 30) and clock.status == domain.D_OPEN


def test_a_weekend_does_not_stop_the_hours_and_a_campus_may_set_one_hour():
    case = story()
    at = cst(2026, 11, 28, 23, 40)  # Sat 23:40 local
    ((_, data),) = recorded(case, at, major=True, policy={**POLICY, "authority_report_hours": 1})
    assert data["authority_report"]["due_at"] == "2026-11-28T16:40:00Z"
    assert data["authority_report"]["last_day"] == "2026-11-29"  # Sun 00:40 local
    assert disputes.authority_report_hours({}) == 12


def test_the_deadline_breaches_once_and_the_initial_report_meets_it_late():
    case = story()
    recorded(case, cst(2026, 11, 23, 9), major=True)
    assert domain.decide_breach(case, "authority_report", utc(2026, 11, 23, 12, 59)) == []
    ((kind, _),) = act(
        case, domain.decide_breach(case, "authority_report", utc(2026, 11, 23, 13)), utc(2026, 11, 23, 13)
    )
    assert kind == "DeadlineBreached"
    assert domain.decide_breach(case, "authority_report", utc(2026, 11, 23, 14)) == []
    report = schemas.ReportToAuthority("卫健委", utc(2026, 11, 23, 14), "initial", None, DISPUTE, REPORT)
    ((_, data),) = act(
        case, disputes.decide_authority_report(case, report, ctx(utc(2026, 11, 23, 15))), cst(2026, 11, 23, 23)
    )
    assert data["on_time"] is False and case.clocks["authority_report"].status == domain.D_MET_LATE


def test_reports_in_order_on_time_and_only_for_a_major_dispute():
    case = story()
    now = cst(2026, 11, 23, 12)
    recorded(case, cst(2026, 11, 23, 9), major=True)
    follow = schemas.ReportToAuthority("卫健委", now, "follow_up", None, DISPUTE, REPORT)
    with pytest.raises(Refused, match="initial report first"):
        disputes.decide_authority_report(case, follow, ctx(now))
    initial = schemas.ReportToAuthority("卫健委", now, "initial", "WJW-1", DISPUTE, REPORT)
    ((_, data),) = act(case, disputes.decide_authority_report(case, initial, ctx(now)), now)
    assert data["on_time"] is True and case.clocks["authority_report"].status == domain.D_MET
    with pytest.raises(Refused, match="already made"):
        disputes.decide_authority_report(case, initial, ctx(now))
    assert "on_time" not in act(case, disputes.decide_authority_report(case, follow, ctx(now)), now)[0][1]
    later = schemas.ReportToAuthority("卫健委", cst(2026, 11, 24), "initial", None, DISPUTE, REPORT)
    with pytest.raises(InvalidField) as bad:
        disputes.decide_authority_report(case, later, ctx(now))
    assert list(bad.value.errors) == ["reported_at"]
    with pytest.raises(UnknownItem):
        disputes.decide_authority_report(case, initial.__class__("x", now, "initial", None, SEAL), ctx(now))
    plain = story()
    recorded(plain, now)
    with pytest.raises(Refused, match="only a major dispute"):
        disputes.decide_authority_report(plain, initial, ctx(now))


def test_closing_the_case_does_not_stop_the_authority_report():
    case = story()
    recorded(case, cst(2026, 11, 23, 9), major=True)
    domain._stop_clocks(case)
    assert case.clocks["authority_report"].status == domain.D_OPEN


def test_route_changes_keep_a_history_and_refuse_the_same_route_or_a_settled_dispute():
    case = story()
    now = cst(2026, 11, 23)
    recorded(case, now)
    change = schemas.ChangeDisputeRoute("people_mediation", "the board accepted it", DISPUTE)
    ((_, data),) = act(case, disputes.decide_route(case, change, ctx(now)), now)
    assert data["previous"] == "negotiation"
    assert [r["route"] for r in case.disputes[DISPUTE]["routes"]] == ["negotiation", "people_mediation"]
    with pytest.raises(Refused, match="already follows"):
        disputes.decide_route(case, change, ctx(now))
    with pytest.raises(UnknownItem):
        disputes.decide_route(case, schemas.ChangeDisputeRoute("litigation", None, SEAL), ctx(now))
    act(case, domain.decide_settle(case, schemas.SettleDispute(0, "CNY", DISPUTE), ctx(now)), now)
    with pytest.raises(Refused, match="settled"):
        disputes.decide_route(case, schemas.ChangeDisputeRoute("litigation", None, DISPUTE), ctx(now))


def seal(case: domain.Case, at: datetime) -> None:
    command = schemas.SealRecords(["病历 (全部)", "输液器"], at, "east-office-head", True, True, None, SEAL)
    assert types(act(case, disputes.decide_seal(case, command, ctx(at)), at)) == ["RecordsSealed"]


def test_unsealing_by_the_hospital_alone_waits_for_settlement_or_three_years():
    case = story()
    sealed = cst(2026, 11, 23)
    recorded(case, sealed)
    seal(case, sealed)
    assert case.seals[SEAL]["reminder_at"] == "2029-11-23T02:00:00Z"
    unseal = schemas.UnsealRecords("dispute_settled", SEAL)
    with pytest.raises(Refused, match="not settled"):
        disputes.decide_unseal(case, unseal, ctx(sealed))
    with pytest.raises(Refused, match="before 2029-11-23"):
        disputes.decide_unseal(case, schemas.UnsealRecords("three_years_no_claim", SEAL), ctx(cst(2029, 11, 22)))
    with pytest.raises(UnknownItem):
        disputes.decide_unseal(case, schemas.UnsealRecords("jointly", DISPUTE), ctx(sealed))
    act(case, domain.decide_settle(case, schemas.SettleDispute(0, "CNY", DISPUTE), ctx(sealed)), sealed)
    act(case, disputes.decide_unseal(case, unseal, ctx(sealed)), sealed)
    assert case.seals[SEAL]["status"] == "unsealed"
    with pytest.raises(Refused, match="already unsealed"):
        disputes.decide_unseal(case, schemas.UnsealRecords("jointly", SEAL), ctx(sealed))


def test_three_years_with_no_claim_and_jointly():
    case = story()
    seal(case, cst(2026, 11, 23))
    with pytest.raises(Refused, match="no dispute"):
        disputes.decide_unseal(case, schemas.UnsealRecords("dispute_settled", SEAL), ctx(cst(2026, 11, 24)))
    later = cst(2029, 11, 23)
    assert types(disputes.decide_unseal(case, schemas.UnsealRecords("three_years_no_claim", SEAL), ctx(later)))
    assert types(disputes.decide_unseal(case, schemas.UnsealRecords("jointly", SEAL), ctx(cst(2026, 11, 24))))
    assert disputes.unseal_allowed_from(datetime(2028, 2, 29, tzinfo=UTC)) == date(2031, 3, 1)


def test_police_reports_and_what_the_office_may_do():
    case = story()
    now = cst(2026, 11, 23)
    assert not {"seal_records", "report_to_police"} & set(
        domain.allowed_actions(case, "complaint_officer", None, (), now)
    )
    command = schemas.ReportToPolice(now, "threats against staff", "110-2026-1", POLICE)
    act(case, disputes.decide_police(case, command, ctx(now)), now)
    assert case.police_reports[0]["reference"] == "110-2026-1"
    with pytest.raises(InvalidField) as bad:
        disputes.decide_police(case, schemas.ReportToPolice(cst(2026, 11, 24), "x"), ctx(now))
    assert list(bad.value.errors) == ["reported_at"]
    recorded(case, now, major=True)
    allowed = domain.allowed_actions(case, "complaint_officer", None, (), now)
    assert {"change_dispute_route", "report_to_authority", "seal_records", "report_to_police"} <= set(allowed)
    assert not set(disputes.allowed(case, "department_liaison"))
    with pytest.raises(Refused, match="still awaits"):
        domain.decide_dispute(case, schemas.RecordDispute("litigation", None, SEAL, major=True), ctx(now))
    with pytest.raises(InvalidField) as bad:
        recorded(story(), now, recorded_at=cst(2026, 11, 24))
    assert list(bad.value.errors) == ["recorded_at"]
