"""Issue 17 items 1, 2 and 5 on the pure domains with injected times: the referrer_reply deadline at the end
of its date in the campus's time zone, reminded and breached once, met by the reply to the referrer; the
follow-up deadline after the first reply to a major or disputed complaint, met by the follow-up; suggestions
and compliments counted apart in reporting, a suggestion adopted counted once, and every complaint figure
unchanged by them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.investigation import domain, schemas
from services.reporting import domain as reporting
from services.reporting.domain import LoggedEvent
from services.reporting.settings import CALENDARS
from shared.errors import InvalidField, Refused
from shared.workdays import calendar_from_config
from tests.support import simulate
from tests.unit.test_investigation_domain import (
    CAL,
    OFFICER,
    POLICY,
    REPLY,
    THU_26_PM,
    act,
    cst,
    ctx,
    reply,
    story,
    utc,
)

REFERRAL = {"referrer": "12345 hotline", "reference": "12345-2026-0042", "reply_due": "2026-11-25"}


# -- the referrer_reply deadline -----------------------------------------------------------------------------


def test_the_reply_date_ends_at_24_00_campus_local_time_as_an_exact_utc_moment() -> None:
    case = story(source="authority_referral", referral=REFERRAL)  # received Fri 2026-11-20, Shanghai
    clock = case.clocks["referrer_reply"]
    assert clock.due["due_at"] == "2026-11-25T16:00:00Z" and clock.due["last_day"] == "2026-11-25"
    assert clock.due["department"] is None and clock.due["working_days"] == 0
    assert clock.remind_at == "2026-11-24T16:00:00+00:00"  # the end of the working day before
    berlin = calendar_from_config("east", {"timezone": "Europe/Berlin"})
    assert domain.referrer_reply_deadline("2026-07-01", berlin, POLICY)["due_at"] == "2026-07-01T22:00:00Z"
    assert domain.referrer_reply_deadline("2026-12-01", berlin, POLICY)["due_at"] == "2026-12-01T23:00:00Z"


def test_a_reply_date_on_a_weekend_is_kept_as_the_referrer_set_it() -> None:
    due = domain.referrer_reply_deadline("2026-11-22", CAL, POLICY)  # a Sunday
    assert due["due_at"] == "2026-11-22T16:00:00Z" and due["last_day"] == "2026-11-22"


def test_no_referral_no_referrer_reply_deadline() -> None:
    assert "referrer_reply" not in story().clocks


def test_the_referrer_reply_is_reminded_and_breached_once() -> None:
    case = story(source="authority_referral", referral=REFERRAL)
    remind, due = utc(2026, 11, 24, 16), utc(2026, 11, 25, 16)
    assert domain.decide_remind(case, "referrer_reply", remind - timedelta(seconds=1)) == []
    [(kind, data)] = act(case, domain.decide_remind(case, "referrer_reply", remind), remind)
    assert kind == "InvestigationDue" and data["reminder_for_role"] == "complaint_officer"
    assert domain.decide_remind(case, "referrer_reply", remind + timedelta(hours=1)) == []
    assert domain.decide_breach(case, "referrer_reply", due - timedelta(seconds=1)) == []
    [(kind, data)] = act(case, domain.decide_breach(case, "referrer_reply", due), due)
    assert kind == "DeadlineBreached" and data["breached_at"] == "2026-11-25T16:00:00Z"
    assert domain.decide_breach(case, "referrer_reply", due + timedelta(days=1)) == []


def referrer_reply(case, now: datetime, answered_at: datetime | None = None) -> domain.Decision:
    command = schemas.RecordReferrerReply("Findings sent to the hotline", None, answered_at)
    return act(case, domain.decide_referrer_reply(case, command, ctx(now, OFFICER)), now)


def test_the_reply_to_the_referrer_meets_it_on_time_and_only_once() -> None:
    case = story(source="authority_referral", referral=REFERRAL)
    [(kind, data)] = referrer_reply(case, cst(2026, 11, 25, 23, 59))
    assert kind == "ReferrerReplied" and data["on_time"] is True and data["answered_by"] == OFFICER
    assert case.clocks["referrer_reply"].status == domain.D_MET
    with pytest.raises(Refused):
        referrer_reply(case, cst(2026, 11, 26))


def test_a_late_reply_to_the_referrer_meets_the_breached_deadline_late() -> None:
    case = story(source="authority_referral", referral=REFERRAL)
    act(case, domain.decide_breach(case, "referrer_reply", utc(2026, 11, 25, 16)), utc(2026, 11, 25, 16))
    [(_, data)] = referrer_reply(case, cst(2026, 11, 27), answered_at=cst(2026, 11, 26, 9))
    assert data["on_time"] is False and data["answered_at"] == "2026-11-26T01:00:00Z"
    assert case.clocks["referrer_reply"].status == domain.D_MET_LATE


def test_a_reply_to_the_referrer_needs_a_referral_and_no_future_time() -> None:
    with pytest.raises(Refused):
        referrer_reply(story(), cst(2026, 11, 25))
    with pytest.raises(InvalidField) as refused:
        referrer_reply(story(source="authority_referral", referral=REFERRAL), cst(2026, 11, 25), cst(2026, 11, 26))
    assert refused.value.errors == {"answered_at": ["must not be in the future"]}


def test_the_referrer_is_answered_whatever_becomes_of_the_case() -> None:
    case = story(source="authority_referral", referral=REFERRAL)
    domain._stop_clocks(case)
    assert case.clocks["referrer_reply"].status == domain.D_OPEN
    assert case.clocks["first_reply"].status == domain.D_STOPPED


# -- the follow-up deadline ----------------------------------------------------------------------------------


def delivered(case, now: datetime = THU_26_PM) -> domain.Decision:
    sent = now.astimezone(UTC).isoformat()
    decision = domain.decide_reply_delivered(case, REPLY, sent, str(uuid.uuid4()), None, CAL, POLICY)
    return act(case, decision, now)


def test_the_first_reply_delivered_to_a_major_complaint_starts_the_follow_up() -> None:
    severity = "major"
    case = story((), severity=severity)
    reply(case)
    [(_, data)] = delivered(case)
    # delivered Thu 2026-11-26: 5 working days end with Thu 2026-12-03
    assert data["follow_up"]["due_at"] == "2026-12-03T16:00:00Z" and data["follow_up"]["working_days"] == 5
    assert case.clocks["follow_up"].status == domain.D_OPEN
    assert delivered(case, THU_26_PM + timedelta(hours=1))[0][1].get("follow_up") is None  # only the first


def test_a_disputed_complaint_gets_the_follow_up_and_a_normal_one_none() -> None:
    normal = story(())
    reply(normal)
    assert "follow_up" not in delivered(normal)[0][1] and "follow_up" not in normal.clocks
    disputed = story(())
    disputed.disputes["d"] = {"status": "recorded"}
    reply(disputed)
    assert "follow_up" in delivered(disputed)[0][1]


def test_the_follow_up_setting_counts_its_working_days() -> None:
    case = story((), severity="major")
    reply(case)
    sent = THU_26_PM.astimezone(UTC).isoformat()
    policy = {**POLICY, "follow_up_days": 2}
    [(_, data)] = domain.decide_reply_delivered(case, REPLY, sent, str(uuid.uuid4()), None, CAL, policy)
    assert data["follow_up"]["last_day"] == "2026-11-30" and data["follow_up"]["working_days"] == 2


def test_the_follow_up_meets_the_follow_up_deadline() -> None:
    case = story((), severity="major")
    reply(case)
    delivered(case)
    now = cst(2026, 11, 30)
    act(case, domain.decide_follow_up(case, schemas.RecordFollowUp(True), ctx(now, OFFICER)), now)
    assert case.clocks["follow_up"].status == domain.D_MET
    assert domain.decide_breach(case, "follow_up", utc(2026, 12, 31)) == []


# -- reporting: referrals, suggestions and compliments apart --------------------------------------------------


def _sums(events: list[LoggedEvent]) -> dict[tuple[str, str], int]:
    by_complaint: dict[str, list[LoggedEvent]] = defaultdict(list)
    for event in events:
        by_complaint[str(event.data["complaint_id"])].append(event)
    cells: reporting.Cells = {}
    for history in by_complaint.values():
        reporting.cells_of(history, reporting.Calendars(CALENDARS.calendars), cells)
    sums: dict[tuple[str, str], int] = defaultdict(int)
    for (_, _, _, metric, key), value in cells.items():
        sums[(metric, key)] += value
    return dict(sums)


def _simulated(seed: int = 7, complaints: int = 60) -> list[LoggedEvent]:
    positions: dict[str, int] = defaultdict(int)
    events = []
    for planned in simulate.stream(seed, complaints, datetime(2026, 1, 5, tzinfo=UTC), 40, CALENDARS.calendars):
        positions[planned.service] += 1
        events.append(
            LoggedEvent(planned.service, positions[planned.service], planned.type, planned.time, planned.data)
        )
    return events


def _received(kind: str | None, at: str, departments: list[str], **extra: Any) -> LoggedEvent:
    complaint_id = str(uuid.uuid4())
    data = {
        "complaint_id": complaint_id,
        "reference": "EAST-2026-900001",
        "campus": "east",
        "campuses": ["east"],
        "channel": "online",
        "category": "service_quality",
        "severity": "normal",
        "source": "patient_or_family",
        "departments": departments,
        "received_at": at,
        "anonymous": False,
        "has_contact": True,
        **({"kind": kind} if kind else {}),
        **extra,
    }
    return LoggedEvent("intake", 10_000, "ComplaintReceived", datetime.fromisoformat(at), data)


def _adopted(received: LoggedEvent, at: str, sequence: int = 10_001) -> LoggedEvent:
    data = {"complaint_id": received.data["complaint_id"], "campus": "east", "adopted_at": at, "adopted_by": OFFICER}
    return LoggedEvent("intake", sequence, "SuggestionAdopted", datetime.fromisoformat(at), data)


def test_suggestions_and_compliments_leave_every_complaint_figure_unchanged() -> None:
    complaints = _simulated()
    before = reporting.figures(_sums(complaints))
    suggestion = _received("suggestion", "2026-01-20T02:00:00+00:00", ["nursing", "pharmacy"])
    others = [
        suggestion,
        _adopted(suggestion, "2026-01-22T02:00:00+00:00"),
        _received("compliment", "2026-01-21T02:00:00+00:00", ["nursing"]),
        _received("compliment", "2026-01-23T02:00:00+00:00", []),
    ]
    after = reporting.figures(_sums(complaints + others))
    new_section = "suggestions_and_compliments"
    assert {k: v for k, v in after.items() if k != new_section} == {k: v for k, v in before.items() if k != new_section}
    assert before[new_section]["suggestions_received"] == 0
    assert after[new_section] == {
        "suggestions_received": 1,
        "suggestions_adopted": 1,
        "compliments_received": 2,
        "by_department": {
            "nursing": {"suggestions_received": 1, "suggestions_adopted": 1, "compliments_received": 1},
            "pharmacy": {"suggestions_received": 1, "suggestions_adopted": 1, "compliments_received": 0},
        },
    }


def test_a_suggestion_adopted_twice_in_the_log_is_counted_once() -> None:
    suggestion = _received("suggestion", "2026-01-20T02:00:00+00:00", ["nursing"])
    events = [
        suggestion,
        _adopted(suggestion, "2026-01-22T02:00:00+00:00"),
        _adopted(suggestion, "2026-01-23T02:00:00Z", 10_002),
    ]
    figures = reporting.figures(_sums(events))["suggestions_and_compliments"]
    assert figures["suggestions_received"] == 1 and figures["suggestions_adopted"] == 1
    assert reporting.figures(_sums(events))["received"]["total"] == 0


def test_referrals_are_counted_apart_received_on_time_late_and_open_overdue() -> None:
    def referral(due: str, **extra: Any) -> LoggedEvent:
        return _received(
            None,
            "2026-01-20T02:00:00+00:00",
            [],
            source="authority_referral",
            referral={"referrer": "12320", "reference": "r", "reply_due": due},
            **extra,
        )

    def replied(received: LoggedEvent, on_time: bool) -> LoggedEvent:
        data = {
            "complaint_id": received.data["complaint_id"],
            "campus": "east",
            "answered_by": OFFICER,
            "answered_at": "2026-01-22T02:00:00+00:00",
            "summary": "s",
            "on_time": on_time,
        }
        return LoggedEvent("investigation", 2, "ReferrerReplied", datetime.fromisoformat(data["answered_at"]), data)

    def breached(received: LoggedEvent) -> LoggedEvent:
        deadline = {
            "kind": "referrer_reply",
            "department": None,
            "due_at": "2026-01-25T16:00:00Z",
            "last_day": "2026-01-25",
            "provisional": False,
            "calendar_version": "c",
            "policy_version": "p",
            "working_days": 0,
        }
        data = {
            "complaint_id": received.data["complaint_id"],
            "campus": "east",
            "deadline": deadline,
            "breached_at": "2026-01-25T16:00:00Z",
        }
        return LoggedEvent(
            "investigation", 3, "DeadlineBreached", datetime.fromisoformat("2026-01-25T16:00:00+00:00"), data
        )

    on_time, late, overdue = referral("2026-01-25"), referral("2026-01-21"), referral("2026-01-25")
    events = [on_time, replied(on_time, True), late, replied(late, False), overdue, breached(overdue)]
    figures = reporting.figures(_sums(events))
    assert figures["referrals"] == {"received": 3, "replied_on_time": 1, "replied_late": 1, "open_overdue": 1}
    assert figures["received"]["total"] == 3  # referrals are complaints too


def test_a_follow_up_recorded_before_the_delivery_was_known_starts_no_follow_up_deadline() -> None:
    case = story((), severity="major")
    reply(case)
    now = cst(2026, 11, 26, 11)
    act(case, domain.decide_follow_up(case, schemas.RecordFollowUp(True), ctx(now, OFFICER)), now)
    assert "follow_up" not in delivered(case)[0][1] and "follow_up" not in case.clocks
