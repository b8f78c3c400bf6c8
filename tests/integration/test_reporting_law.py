"""The statutory feedback clock and upheld findings in reporting's projection (real PostgreSQL):
incremental == a fold of the log == after a rebuild; as of a moment before the feedback it is open."""

from __future__ import annotations

from datetime import UTC, datetime

from services.reporting import domain
from shared.envelope import Envelope, new_event
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

CID = "6f1c1a5e-0000-4000-8000-00000000a014"
FEEDBACK = "6f1c1a5e-0000-4000-8000-00000000f014"
STATUTORY = {
    "kind": "statutory_feedback",
    "department": None,
    "due_at": "2026-03-09T16:00:00Z",
    "last_day": "2026-03-09",
    "provisional": False,
    "calendar_version": "cn",
    "policy_version": "p",
    "working_days": 5,
}
FIRST_REPLY = {**STATUTORY, "kind": "first_reply", "due_at": "2026-03-16T16:00:00Z", "last_day": "2026-03-16"}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def investigation() -> list[Envelope]:
    opened = {
        "complaint_id": CID,
        "campus": "east",
        "campuses": ["east"],
        "category": "billing",
        "severity": "normal",
        "source": "patient_or_family",
        "departments": ["nursing"],
        "received_at": "2026-03-02T02:00:00Z",
        "first_reply": FIRST_REPLY,
        "investigations": [{**FIRST_REPLY, "kind": "investigation", "department": "nursing"}],
        "has_contact": True,
        "statutory_feedback": STATUTORY,
    }
    findings = {
        "complaint_id": CID,
        "campus": "east",
        "department": "nursing",
        "substantiated": "yes",
        "summary": "s",
        "signed_off_by": "head",
        "submitted_at": "2026-03-05T02:00:00Z",
        "on_time": True,
    }
    breach = {"complaint_id": CID, "campus": "east", "deadline": STATUTORY, "breached_at": "2026-03-09T16:00:01Z"}
    return numbered(
        [
            new_event("investigation", "InvestigationOpened", CID, opened, time=_at("2026-03-02T02:00:01Z")),
            new_event("investigation", "FindingsSubmitted", CID, findings, time=_at("2026-03-05T02:00:00Z")),
            new_event("investigation", "DeadlineBreached", CID, breach, time=_at("2026-03-09T16:00:01Z")),
        ]
    )


def feedback_sent() -> Envelope:
    data = {
        "complaint_id": CID,
        "campus": "east",
        "reply_id": FEEDBACK,
        "notification_id": FEEDBACK,
        "channel": "sms",
        "sent_at": "2026-03-10T02:00:00Z",
        "reply_kind": "interim",
    }
    return numbered([new_event("notification", "ReplySent", CID, data, time=_at("2026-03-10T02:00:00Z"))])[0]


def test_statutory_feedback_late_after_open_incrementally_after_a_rebuild_and_as_of(db, inbox):  # noqa: F811
    intake = numbered([received(CID)])
    inbox.receive([e.to_json() for e in intake + investigation()])
    law = summary(db)["statutory_feedback"]
    assert (law["on_time"], law["late"], law["open_overdue"]) == (0, 0, 1)
    assert summary(db)["upheld"] == {"yes": 1, "partly": 0, "no": 0, "upheld_rate": 1.0}
    inbox.receive([feedback_sent().to_json()])
    law = summary(db)["statutory_feedback"]
    assert (law["on_time"], law["late"], law["open_overdue"], law["on_time_rate"]) == (0, 1, 0, 0.0)
    assert summary(db)["first_reply"]["on_time"] == summary(db)["first_reply"]["late"] == 0, "interim: no reply"
    events = intake + investigation() + [feedback_sent()]
    incremental = tables(db)
    assert incremental["rpt_daily"] == folded(events)
    run_rebuild(db)
    assert tables(db) == incremental
    before = _figures(db, as_of=datetime(2026, 3, 10, 1, tzinfo=UTC))["statutory_feedback"]
    assert (before["late"], before["open_overdue"]) == (0, 1)
    assert domain.GROUP == "*"
