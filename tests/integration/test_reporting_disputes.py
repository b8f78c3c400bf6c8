"""A dispute's duties in reporting's projection (real PostgreSQL): the figures are what the events say,
incrementally, as a fold of the log and after a rebuild; as of a moment before the late report the
breach alone already counts late."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.envelope import Envelope, new_event
from tests.integration.test_reporting_law import investigation as law_investigation
from tests.integration.test_reporting_projection import (  # noqa: F401 - fixtures
    _figures,
    db,
    folded,
    inbox,
    numbered,
    received,
    run_rebuild,
    summary,
    tables,
)

CID = "6f1c1a5e-0000-4000-8000-00000000a014"  # the law test's complaint: its opening is reused
DISPUTE = "6f1c1a5e-0000-4000-8000-00000000d015"
SEAL = "6f1c1a5e-0000-4000-8000-00000000e015"
AUTHORITY = {
    "kind": "authority_report",
    "department": None,
    "due_at": "2026-03-10T14:00:00Z",
    "last_day": "2026-03-10",
    "provisional": False,
    "calendar_version": "cn",
    "policy_version": "p",
    "working_days": 0,
    "hours": 12,
}


def _event(kind: str, at: str, **data) -> Envelope:
    body = {"complaint_id": CID, "campus": "east", **data}
    return new_event("investigation", kind, CID, body, time=datetime.fromisoformat(at))


def duties() -> list[Envelope]:
    """After the law test's three investigation events: a major dispute breached unreported, a route
    change, a seal and a police report."""
    return [
        _event(
            "DisputeRecorded",
            "2026-03-10T02:00:00Z",
            dispute_id=DISPUTE,
            route="negotiation",
            recorded_at="2026-03-10T02:00:00Z",
            major=True,
            authority_report=AUTHORITY,
        ),
        _event("DeadlineBreached", "2026-03-10T14:00:01Z", deadline=AUTHORITY, breached_at="2026-03-10T14:00:01Z"),
        _event(
            "DisputeRouteChanged",
            "2026-03-11T02:00:00Z",
            dispute_id=DISPUTE,
            previous="negotiation",
            route="people_mediation",
            changed_at="2026-03-11T02:00:00Z",
        ),
        _event(
            "RecordsSealed",
            "2026-03-11T03:00:00Z",
            seal_id=SEAL,
            items=["medical record", "infusion bag"],
            sealed_at="2026-03-11T03:00:00Z",
            hospital_witness="w1",
            patient_side_present=True,
            list_signed_by_both=True,
            dispute_id=DISPUTE,
        ),
        _event(
            "PoliceNotified",
            "2026-03-11T04:00:00Z",
            police_report_id="6f1c1a5e-0000-4000-8000-00000000f115",
            reported_at="2026-03-11T04:00:00Z",
            reason="threats against staff",
        ),
    ]


def later() -> list[Envelope]:
    """The late initial report (still late once), a follow-up report and the seal lifted."""
    report = {"dispute_id": DISPUTE, "authority": "district health commission"}
    return [
        _event(
            "DisputeReportedToAuthority",
            "2026-03-12T02:00:00Z",
            **report,
            report_id="6f1c1a5e-0000-4000-8000-00000000a115",
            report_kind="initial",
            reported_at="2026-03-12T02:00:00Z",
            on_time=False,
        ),
        _event(
            "DisputeReportedToAuthority",
            "2026-03-13T02:00:00Z",
            **report,
            report_id="6f1c1a5e-0000-4000-8000-00000000a215",
            report_kind="follow_up",
            reported_at="2026-03-13T02:00:00Z",
        ),
        _event(
            "RecordsUnsealed",
            "2026-03-16T02:00:00Z",
            seal_id=SEAL,
            reason="jointly",
            unsealed_at="2026-03-16T02:00:00Z",
        ),
    ]


def _duties(figures: dict) -> tuple:
    disputes = figures["disputes"]
    return (
        disputes["by_current_route"],
        disputes["route_changes"],
        disputes["major"],
        disputes["authority_reports"],
        disputes["seals_open"],
        disputes["police_reports"],
    )


def test_dispute_figures_incrementally_after_a_rebuild_and_as_of(db, inbox):  # noqa: F811
    intake = numbered([received(CID)])
    first = numbered(law_investigation()[:3] + duties())  # renumbered: one investigation log
    rest = numbered(later(), first=len(first) + 1)
    inbox.receive([e.to_json() for e in intake + first])
    unreported = ({"people_mediation": 1}, 1, 1, {"on_time": 0, "late": 1}, 1, 1)
    assert _duties(summary(db)) == unreported
    inbox.receive([e.to_json() for e in rest])
    assert _duties(summary(db)) == ({"people_mediation": 1}, 1, 1, {"on_time": 0, "late": 1}, 0, 1)
    assert summary(db)["disputes"]["recorded"] == {"total": 1, "by_route": {"negotiation": 1}}, "unchanged"
    incremental = tables(db)
    assert incremental["rpt_daily"] == folded(intake + first + rest)
    run_rebuild(db)
    assert tables(db) == incremental
    assert _duties(_figures(db, as_of=datetime(2026, 3, 12, 1, tzinfo=UTC))) == unreported
