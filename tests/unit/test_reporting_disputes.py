"""A dispute's duties folded from events alone (no database): current route, route changes, major,
authority reports on time / late, seals open and police reports (CONTRACT §8)."""

from __future__ import annotations

from services.reporting import domain
from services.reporting.settings import CALENDARS
from tests.unit.test_reporting_domain import OPENED, RECEIVED, deadline, ev

DISPUTE = "5d1e0000-0000-4000-8000-0000000000d1"
SEAL = "5d1e0000-0000-4000-8000-0000000000e1"
AUTHORITY = deadline("authority_report", "2026-03-10T14:00:00Z", "2026-03-10", working_days=0, hours=12)


def figures(*events: domain.LoggedEvent, month: str = "2026-03") -> dict:
    cells = domain.cells_of(events, CALENDARS)
    totals = domain.MemoryCube(cells).totals(domain.month_period(month), None)
    return domain.figures(totals.get(domain.GROUP, {}))["disputes"]


def recorded(major: bool = True) -> domain.LoggedEvent:
    extra = {"major": True, "authority_report": AUTHORITY} if major else {}
    at = "2026-03-10T02:00:00Z"
    return ev(
        "investigation", 2, "DisputeRecorded", at, dispute_id=DISPUTE, route="negotiation", recorded_at=at, **extra
    )


def changed(sequence: int, previous: str, route: str, at: str = "2026-03-12T02:00:00Z") -> domain.LoggedEvent:
    return ev(
        "investigation", sequence, "DisputeRouteChanged", at, dispute_id=DISPUTE, previous=previous, route=route,
        changed_at=at,
    )  # fmt: skip


def reported(sequence: int, kind: str, on_time: bool | None, at: str = "2026-03-10T06:00:00Z") -> domain.LoggedEvent:
    extra = {} if on_time is None else {"on_time": on_time}
    return ev(
        "investigation", sequence, "DisputeReportedToAuthority", at, dispute_id=DISPUTE,
        report_id=f"5d1e0000-0000-4000-8000-00000000{sequence:04d}", authority="health commission",
        report_kind=kind, reported_at=at, **extra,
    )  # fmt: skip


BREACH = ev("investigation", 8, "DeadlineBreached", "2026-03-10T14:00:01Z", deadline=AUTHORITY)


def test_a_dispute_counts_under_its_latest_route_and_recorded_figures_stay_unchanged() -> None:
    out = figures(RECEIVED, OPENED, recorded(major=False), changed(3, "negotiation", "people_mediation"),
                  changed(4, "people_mediation", "litigation", "2026-03-20T02:00:00Z"))  # fmt: skip
    assert out["by_current_route"] == {"litigation": 1}
    assert out["recorded"] == {"total": 1, "by_route": {"negotiation": 1}}
    assert (out["route_changes"], out["major"]) == (2, 0)
    assert out["authority_reports"] == {"on_time": 0, "late": 0}


def test_initial_report_on_time_counts_once_follow_ups_do_not() -> None:
    out = figures(RECEIVED, OPENED, recorded(), reported(3, "initial", True), reported(4, "follow_up", None),
                  reported(5, "initial", False))  # fmt: skip
    assert (out["major"], out["authority_reports"]) == (1, {"on_time": 1, "late": 0})
    assert out["by_current_route"] == {"negotiation": 1}


def test_late_initial_report_and_breach_unreported_count_late_once() -> None:
    assert figures(RECEIVED, OPENED, recorded())["authority_reports"] == {"on_time": 0, "late": 0}
    assert figures(RECEIVED, OPENED, recorded(), BREACH)["authority_reports"] == {"on_time": 0, "late": 1}
    late = figures(RECEIVED, OPENED, recorded(), BREACH, reported(9, "initial", False, "2026-03-11T02:00:00Z"))
    assert late["authority_reports"] == {"on_time": 0, "late": 1}


def test_breach_withdrawn_is_no_longer_late() -> None:
    withdrawn = ev(
        "investigation", 9, "DeadlineBreachWithdrawn", "2026-03-10T15:00:00Z", deadline=AUTHORITY,
        current={**AUTHORITY, "due_at": "2026-03-11T14:00:00Z"}, breached_at="2026-03-10T14:00:01Z",
        withdrawn_at="2026-03-10T15:00:00Z",
    )  # fmt: skip
    assert figures(RECEIVED, OPENED, recorded(), BREACH, withdrawn)["authority_reports"]["late"] == 0


def test_seals_open_is_sealed_minus_unsealed_dated_by_each_event_and_police_reports() -> None:
    sealed = ev(
        "investigation", 3, "RecordsSealed", "2026-03-11T02:00:00Z", seal_id=SEAL, items=["chart"],
        sealed_at="2026-03-11T02:00:00Z", hospital_witness="w1", patient_side_present=True, list_signed_by_both=True,
    )  # fmt: skip
    unsealed = ev(
        "investigation", 4, "RecordsUnsealed", "2026-04-02T02:00:00Z", seal_id=SEAL, reason="jointly",
        unsealed_at="2026-04-02T02:00:00Z",
    )  # fmt: skip
    police = ev(
        "investigation", 5, "PoliceNotified", "2026-03-12T02:00:00Z",
        police_report_id="5d1e0000-0000-4000-8000-0000000000f1", reported_at="2026-03-12T02:00:00Z", reason="threats",
    )  # fmt: skip
    events = (RECEIVED, OPENED, sealed, unsealed, police)
    assert (figures(*events)["seals_open"], figures(*events)["police_reports"]) == (1, 1)
    assert (figures(*events, month="2026-04")["seals_open"], figures(*events, month="2026-04")["police_reports"]) == (
        -1,
        0,
    )
    assert figures(RECEIVED, OPENED, sealed)["seals_open"] == 1


def test_monthly_report_shows_the_dispute_duties_in_csv_and_html() -> None:
    from services.reporting import render

    cells = domain.cells_of([RECEIVED, OPENED, recorded(), BREACH, changed(9, "negotiation", "litigation")], CALENDARS)
    body = domain.report(domain.MemoryCube(cells), domain.Request(domain.month_period("2026-03"), compare=False))
    document = {"month": "2026-03", "as_of": "2026-04-02T00:00:00Z", "computed_from": "log", **body}
    assert document["disputes"]["authority_reports"] == {"on_time": 0, "late": 1}
    text = render.to_csv(document, "en")
    assert "disputes,authority_reports,late" in text and "disputes,by_current_route,litigation" in text
    for lang, label in (("en", "Reported to the authority late"), ("zh-CN", "超期报告卫生主管部门")):
        page = render.to_html(document, lang)
        assert label in page and ("Current route" in page or "当前途径" in page)
