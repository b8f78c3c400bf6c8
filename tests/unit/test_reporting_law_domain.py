"""The statutory feedback clock and the upheld findings, folded from events alone (no database)."""

from __future__ import annotations

from services.reporting import domain
from services.reporting.settings import CALENDARS
from tests.unit.test_reporting_domain import OPENED, RECEIVED, deadline, ev

STATUTORY = deadline("statutory_feedback", "2026-03-06T16:00:00Z", "2026-03-06")
OPENED_LAW = OPENED._replace(data={**OPENED.data, "statutory_feedback": STATUTORY, "has_contact": True})
FEEDBACK = "7a0e8a11-aaaa-4bbb-8ccc-dddddddddddd"


def figures(*events: domain.LoggedEvent) -> dict:
    cells = domain.cells_of(events, CALENDARS)
    totals = domain.MemoryCube(cells).totals(domain.month_period("2026-03"), None)
    return domain.figures(totals.get(domain.GROUP, {}))


def sent(at: str, kind: str | None = "interim", sequence: int = 1) -> domain.LoggedEvent:
    extra = {"reply_kind": kind} if kind else {}
    return ev(
        "notification",
        sequence,
        "ReplySent",
        at,
        reply_id=FEEDBACK,
        notification_id=FEEDBACK,
        channel="sms",
        sent_at=at,
        **extra,
    )


BREACH = ev("investigation", 5, "DeadlineBreached", "2026-03-06T16:00:01Z", deadline=STATUTORY)


def test_interim_feedback_in_time_meets_the_statutory_clock_and_not_the_first_reply() -> None:
    out = figures(RECEIVED, OPENED_LAW, sent("2026-03-04T02:00:00Z"))
    assert out["statutory_feedback"] == {
        "on_time": 1,
        "late": 0,
        "on_time_rate": 1.0,
        "open_overdue": 0,
        "issued_without_contact": 0,
    }
    assert out["first_reply"]["on_time"] == 0 and out["first_reply"]["working_days"]["replies"] == 0


def test_breached_unmet_is_open_overdue_until_delivered_late() -> None:
    assert figures(RECEIVED, OPENED_LAW, BREACH)["statutory_feedback"]["open_overdue"] == 1
    late = figures(RECEIVED, OPENED_LAW, BREACH, sent("2026-03-09T02:00:00Z"))["statutory_feedback"]
    assert (late["on_time"], late["late"], late["open_overdue"], late["on_time_rate"]) == (0, 1, 0, 0.0)


def test_without_contact_counted_apart_when_issued() -> None:
    opened = OPENED._replace(data={**OPENED.data, "statutory_feedback": STATUTORY, "has_contact": False})
    issued = ev(
        "investigation",
        3,
        "InterimFeedbackIssued",
        "2026-03-04T02:00:00Z",
        feedback_id=FEEDBACK,
        contact_person="x",
        progress="p",
        next_steps="n",
        issued_at="2026-03-04T02:00:00Z",
    )
    out = figures(RECEIVED, opened, issued)["statutory_feedback"]
    assert (out["on_time"], out["late"], out["issued_without_contact"]) == (0, 0, 1)


def test_no_statutory_deadline_no_figure() -> None:
    out = figures(RECEIVED, OPENED, sent("2026-03-04T02:00:00Z"))["statutory_feedback"]
    assert out["on_time"] == out["late"] == out["open_overdue"] == 0


def test_upheld_from_findings() -> None:
    findings = ev(
        "investigation",
        4,
        "FindingsSubmitted",
        "2026-03-04T02:00:00Z",
        department="billing_office",
        substantiated="partly",
        summary="s",
        signed_off_by="h",
        submitted_at="2026-03-04T02:00:00Z",
        on_time=True,
    )
    assert figures(RECEIVED, OPENED_LAW, findings)["upheld"] == {"yes": 0, "partly": 1, "no": 0, "upheld_rate": 1.0}
    assert figures(RECEIVED, OPENED_LAW)["upheld"]["upheld_rate"] is None


def test_monthly_report_shows_the_statutory_clock_and_upheld_in_csv_and_html() -> None:
    from services.reporting import render

    cells = domain.cells_of([RECEIVED, OPENED_LAW, BREACH], CALENDARS)
    body = domain.report(domain.MemoryCube(cells), domain.Request(domain.month_period("2026-03"), compare=False))
    document = {"month": "2026-03", "as_of": "2026-04-02T00:00:00Z", "computed_from": "log", **body}
    assert document["statutory_feedback"]["open_overdue"] == 1
    assert "statutory_feedback,open_overdue" in render.to_csv(document, "en")
    for lang, title in (("en", "Statutory feedback"), ("zh-CN", "法定反馈")):
        page = render.to_html(document, lang)
        assert title in page and page.count("<svg") >= 3
