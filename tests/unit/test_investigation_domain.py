"""Investigation's pure state machine (services/investigation/domain.py): every transition and every refusal.

No I/O: each test builds a case by deciding and folding events (``act``), the way the service does, and every
event any ``decide_*`` returns is validated against the catalogue (``checked``).

Expected dates were worked out by hand from the 2026 Chinese statutory calendar (chinesecalendar 1.11.0) on a
wall calendar; nothing in November/December 2026 is a holiday or a make-up day. A deadline falls due at 24:00
Asia/Shanghai of its last working day, i.e. 16:00 UTC that day. The recurring story:

* received Fri 2026-11-20 10:00 CST; 5 working days: Mon 23, Tue 24, Wed 25, Thu 26, Fri 27 → last day 2026-11-27;
  10 working days: … Mon 30, Tue 1, Wed 2, Thu 3, Fri 4 → last day 2026-12-04;
* a reminder 1 working day before the 27th falls at the end of Thu 26 = 2026-11-26T16:00Z.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.investigation import domain, schemas
from services.investigation.domain import Case, Decision, evolve, reminders_for
from shared.catalogue import validate_data
from shared.envelope import rfc3339
from shared.errors import InvalidField, Refused, UnknownItem
from shared.workdays import CampusCalendar, calendar_from_config

CST = ZoneInfo("Asia/Shanghai")
CAL = calendar_from_config("east", {"timezone": "Asia/Shanghai"})
POLICY: dict[str, Any] = {
    "first_reply_days": 5,
    "first_reply_days_multi": 10,
    "investigation_days": 5,
    "reminder_days_before": 1,
    "extension_max_days": 5,
    "rectification_days": 20,
    "acknowledge_receipt": True,
}
POLICY_VERSION = domain.policy_version(POLICY)

CID = "5b0c2f4e-3a1d-4c8e-9f7a-1d2e3f4a5b6c"
EXT = "0e1d2c3b-4a59-4687-9a6b-5c4d3e2f1a00"
EXT2 = "0e1d2c3b-4a59-4687-9a6b-5c4d3e2f1a01"
REPLY = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
OLD_REPLY = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5e"
RECT = "7c6b5a49-3827-4165-8d4c-3b2a19087f6e"
DISPUTE = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
NOTIFICATION = "11111111-2222-4333-8444-555555555555"

OFFICER = "east-office-head"
LIAISON = "east-cardiology-liaison"
SYSTEM = {"id": "system", "role": "system"}
DEPARTMENTS = ("billing_office", "cardiology", "emergency", "nursing", "pediatrics", "radiology")  # east's


def ctx(
    now: datetime, staff: str = OFFICER, calendar: CampusCalendar = CAL, policy: dict[str, Any] = POLICY
) -> domain.Context:
    """The context a decision on an east case is taken in (``staff`` decides at ``now``)."""
    return domain.Context(now, staff, calendar, policy, DEPARTMENTS)


def cst(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=CST)


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=UTC)


RECEIVED = cst(2026, 11, 20)  # Fri
SAME_DAY = cst(2026, 11, 20, 11)
WED_25 = cst(2026, 11, 25)
THU_26 = cst(2026, 11, 26)
THU_26_PM = cst(2026, 11, 26, 14)
MON_30 = cst(2026, 11, 30)
DUE_27 = utc(2026, 11, 27, 16)  # end of Fri 2026-11-27 (5 working days after receipt)
REMIND_26 = utc(2026, 11, 26, 16)  # end of Thu 2026-11-26 (1 working day before)


# -- helpers ---------------------------------------------------------------------------------------------------


def deadline(
    kind: str,
    last_day: str,
    due_at: str,
    working_days: int,
    department: str | None = None,
    *,
    provisional: bool = False,
    cal: CampusCalendar = CAL,
    rectification_id: str | None = None,
) -> dict[str, Any]:
    """The deadline object events carry, written out from hand-computed dates."""
    data = {
        "kind": kind,
        "department": department,
        "due_at": due_at,
        "last_day": last_day,
        "provisional": provisional,
        "calendar_version": cal.version,
        "policy_version": POLICY_VERSION,
        "working_days": working_days,
    }
    if rectification_id:
        data["rectification_id"] = rectification_id
    return data


FIRST_REPLY_5 = deadline("first_reply", "2026-11-27", "2026-11-27T16:00:00Z", 5)
FIRST_REPLY_10 = deadline("first_reply", "2026-12-04", "2026-12-04T16:00:00Z", 10)


def investigation_27(department: str) -> dict[str, Any]:
    return deadline("investigation", "2026-11-27", "2026-11-27T16:00:00Z", 5, department)


def checked(decision: Decision) -> Decision:
    """Every event data a decider returns must be publishable: it validates against the catalogue."""
    assert isinstance(decision, list)
    for event_type, data in decision:
        validate_data(event_type, 1, data)
    return decision


def fold(case: Case, decision: Decision, at: datetime, cal: CampusCalendar = CAL) -> Case:
    """Fold events as the service does: each with its time and the reminders of the deadlines it starts."""
    for event_type, data in decision:
        evolve(
            case, event_type, data, rfc3339(at), reminders_for(data, event_type, cal, POLICY["reminder_days_before"])
        )
    return case


def act(case: Case, decision: Decision, at: datetime, cal: CampusCalendar = CAL) -> Decision:
    """Check a decision against the catalogue, fold it into the case and return it."""
    fold(case, checked(decision), at, cal)
    return decision


def types(decision: Decision) -> list[str]:
    return [event_type for event_type, _ in decision]


def received(**overrides: Any) -> dict[str, Any]:
    """ComplaintReceived's data (validated against the catalogue, so the fixture itself is well-formed)."""
    data = {
        "complaint_id": CID,
        "campus": "east",
        "campuses": ["east"],
        "reference": "EAST-2026-000123",
        "channel": "phone",
        "category": "billing",
        "severity": "normal",
        "source": "patient_or_family",
        "departments": ["cardiology"],
        "received_at": "2026-11-20T02:00:00Z",
        "anonymous": False,
        "has_contact": True,
        "complainant_ref": "cref-42",
        "actor": {"id": "desk-7", "role": "first_contact"},
    }
    data.update(overrides)
    validate_data("ComplaintReceived", 1, data)
    return data


def story(
    departments: tuple[str, ...] = ("cardiology",), cal: CampusCalendar = CAL, at: datetime = RECEIVED, **overrides: Any
) -> Case:
    """A case opened from a received complaint (decide_open folded)."""
    data = received(departments=list(departments), received_at=rfc3339(at), **overrides)
    case = domain.new_case(data)
    act(case, domain.decide_open(data, cal, POLICY), at, cal)
    return case


def external(case: Case, event_type: str, data: dict[str, Any], at: datetime) -> Case:
    """Fold another service's event (intake, notification), validated like any other."""
    data = {"complaint_id": case.complaint_id, "campus": case.campus, **data}
    validate_data(event_type, 1, data)
    return fold(case, [(event_type, data)], at)


def assign(case: Case, *departments: str, now: datetime) -> Decision:
    return act(
        case,
        domain.decide_assign(case, schemas.AssignDepartments(list(departments)), ctx(now, OFFICER, CAL, POLICY)),
        now,
    )


def request_extension(
    case: Case, department: str = "cardiology", days: int = 3, now: datetime = WED_25, extension_id: str = EXT
) -> Decision:
    return act(
        case,
        domain.decide_request_extension(
            case,
            schemas.RequestExtension(department, "waiting for the ECG review", days, extension_id),
            ctx(now, LIAISON, policy=POLICY),
        ),
        now,
    )


def decide_extension(
    case: Case, granted: bool, now: datetime = THU_26, extension_id: str = EXT, note: str | None = None
) -> Decision:
    return act(
        case,
        domain.decide_extension(
            case, schemas.DecideExtension(granted, note, extension_id), ctx(now, OFFICER, CAL, POLICY)
        ),
        now,
    )


def findings(case: Case, department: str = "cardiology", now: datetime = WED_25) -> Decision:
    return act(
        case,
        domain.decide_findings(
            case,
            schemas.SubmitFindings(department, "partly", "the wait was too long", "head-of-dept"),
            ctx(now, LIAISON),
        ),
        now,
    )


def reply(case: Case, now: datetime = THU_26, reply_id: str = REPLY) -> Decision:
    return act(
        case,
        domain.decide_reply(
            case,
            schemas.IssueReply(OFFICER, "retrained the desk staff", "apology issued", "sms", reply_id),
            ctx(now, OFFICER),
        ),
        now,
    )


def reply_sent(case: Case, now: datetime = THU_26_PM, reply_id: str = REPLY) -> Case:
    return external(
        case,
        "ReplySent",
        {"reply_id": reply_id, "notification_id": NOTIFICATION, "channel": "sms", "sent_at": rfc3339(now)},
        now,
    )


def reply_failed(case: Case, now: datetime = THU_26_PM, reply_id: str = REPLY) -> Case:
    return external(
        case,
        "NotificationFailed",
        {
            "notification_id": NOTIFICATION,
            "purpose": "reply",
            "channel": "sms",
            "reply_id": reply_id,
            "attempts": 5,
            "error": "SMS gateway rejected the number",
            "failed_at": rfc3339(now),
        },
        now,
    )


def replied(**overrides: Any) -> Case:
    """Cardiology submitted findings on Wed 25th, the reply was issued on Thu 26th (not yet delivered)."""
    case = story(**overrides)
    findings(case)
    reply(case)
    assert case.status == domain.REPLIED
    return case


def delivered(**overrides: Any) -> Case:
    case = replied(**overrides)
    reply_sent(case)
    return case


def closed() -> Case:
    case = delivered()
    act(
        case,
        domain.decide_close(case, schemas.CloseCase("apology accepted"), ctx(cst(2026, 11, 27), OFFICER)),
        cst(2026, 11, 27),
    )
    assert case.status == domain.CLOSED
    return case


def order_rectification(case: Case, now: datetime = MON_30, days: int | None = None) -> Decision:
    return act(
        case,
        domain.decide_rectification(
            case,
            schemas.OrderRectification("cardiology", "shorten the ECG queue", days, RECT),
            ctx(now, OFFICER, CAL, POLICY),
        ),
        now,
    )


def resolved_on_spot(case: Case, now: datetime = SAME_DAY) -> Case:
    return external(
        case,
        "ComplaintResolvedOnSpot",
        {"resolved_at": rfc3339(now), "resolved_by": "desk-7", "resolution": "bill corrected at the desk"},
        now,
    )


def not_accepted(case: Case, now: datetime = SAME_DAY) -> Case:
    return external(
        case,
        "ComplaintNotAccepted",
        {"reason": "litigation", "route_advice": "the court hears it", "decided_at": rfc3339(now)},
        now,
    )


def withdrawn(case: Case, now: datetime = SAME_DAY) -> Case:
    return external(case, "ComplaintWithdrawn", {"withdrawn_at": rfc3339(now)}, now)


def ended(status: str) -> Case:
    """A case in one of the ended statuses."""
    if status == domain.CLOSED:
        return closed()
    return {domain.RESOLVED_ON_SPOT: resolved_on_spot, domain.NOT_ACCEPTED: not_accepted, domain.WITHDRAWN: withdrawn}[
        status
    ](story())


ENDED = [domain.CLOSED, domain.RESOLVED_ON_SPOT, domain.NOT_ACCEPTED, domain.WITHDRAWN]


@contextmanager
def refused(state: str, match: str) -> Iterator[None]:
    """A :class:`Refused` naming the case's state, with a message matching ``match``."""
    with pytest.raises(Refused, match=match) as info:
        yield
    assert info.value.state == state


# -- the helpers themselves ------------------------------------------------------------------------------------


def test_checked_rejects_event_data_the_catalogue_would_not_publish() -> None:
    from marshmallow import ValidationError

    with pytest.raises(ValidationError):
        checked([("ComplaintClosed", {"complaint_id": CID, "closed_at": "yesterday"})])


def test_case_round_trips_through_json() -> None:
    case = story(("cardiology", "radiology"))
    request_extension(case)
    assert Case.from_json(copy.deepcopy(case.to_json())) == case


# -- opening ---------------------------------------------------------------------------------------------------


def test_open_one_department_first_reply_in_5_working_days() -> None:
    decision = checked(domain.decide_open(received(), CAL, POLICY))
    assert types(decision) == ["InvestigationOpened"]
    opened = decision[0][1]
    assert opened["first_reply"] == FIRST_REPLY_5
    assert opened["investigations"] == [investigation_27("cardiology")]
    assert opened["departments"] == ["cardiology"]
    assert opened["campuses"] == ["east"]
    assert opened["received_at"] == "2026-11-20T02:00:00Z"
    assert opened["actor"] == SYSTEM


def test_open_two_departments_first_reply_in_10_working_days_and_one_investigation_each() -> None:
    decision = checked(domain.decide_open(received(departments=["cardiology", "radiology"]), CAL, POLICY))
    assert types(decision) == ["InvestigationOpened"]
    assert decision[0][1]["first_reply"] == FIRST_REPLY_10
    assert decision[0][1]["investigations"] == [investigation_27("cardiology"), investigation_27("radiology")]


def test_open_without_departments_has_only_the_case_wide_clocks() -> None:
    case = story(())
    assert set(case.clocks) == {"first_reply", "statutory_feedback"}
    assert case.clocks["first_reply"].due == FIRST_REPLY_5
    assert case.assignments == {} and case.departments == []


def test_open_across_national_day_counts_the_make_up_saturday() -> None:
    # Wed 2026-09-30; Oct 1-7 off; Thu 8 (1), Fri 9 (2), Sat 10 make-up (3), Mon 12 (4), Tue 13 (5).
    decision = checked(domain.decide_open(received(received_at="2026-09-30T02:00:00Z"), CAL, POLICY))
    assert decision[0][1]["first_reply"] == deadline("first_reply", "2026-10-13", "2026-10-13T16:00:00Z", 5)
    case = story(at=cst(2026, 9, 30))
    # 1 working day before Tue 13th is Mon 12th: reminded at its end.
    assert case.clocks["first_reply"].remind_at == "2026-10-12T16:00:00+00:00"


def test_opening_folds_into_an_open_case_with_its_clocks() -> None:
    case = story(("cardiology", "radiology"))
    assert case.status == domain.OPEN
    assert set(case.clocks) == {
        "first_reply",
        "statutory_feedback",
        "investigation:cardiology",
        "investigation:radiology",
    }
    assert case.departments == ["cardiology", "radiology"]
    assert case.assignments == {
        "cardiology": {"status": "investigating", "assigned_at": "2026-11-20T02:00:00Z"},
        "radiology": {"status": "investigating", "assigned_at": "2026-11-20T02:00:00Z"},
    }
    clock = case.clocks["investigation:cardiology"]
    assert (clock.status, clock.started_at, clock.remind_at) == (
        "open",
        "2026-11-20T02:00:00Z",
        "2026-11-26T16:00:00+00:00",
    )
    assert case.clocks["first_reply"].remind_at == "2026-12-03T16:00:00+00:00"  # end of Thu 3rd, day before Fri 4th
    assert not case.escalated


def test_a_major_complaint_is_escalated_on_receipt() -> None:
    data = received(severity="major")
    decision = checked(domain.decide_open(data, CAL, POLICY))
    assert types(decision) == ["InvestigationOpened", "ComplaintEscalated"]
    assert decision[1][1] == {
        "complaint_id": CID,
        "campus": "east",
        "severity": "major",
        "reason": "major complaint: escalated on receipt",
        "escalated_at": "2026-11-20T02:00:00Z",
        "to": "leadership_group",
        "actor": SYSTEM,
    }
    case = domain.new_case(data)
    act(case, decision, RECEIVED)
    assert case.escalated


@pytest.mark.parametrize(
    ("has_contact", "anonymous", "expected"), [(True, False, True), (False, False, False), (True, True, False)]
)
def test_new_case_knows_whether_the_complainant_can_be_reached(
    has_contact: bool, anonymous: bool, expected: bool
) -> None:
    assert domain.new_case(received(has_contact=has_contact, anonymous=anonymous)).has_contact is expected


# -- assignment ------------------------------------------------------------------------------------------------


def test_assigning_a_department_opens_its_investigation_counted_from_assignment() -> None:
    case = story(())
    # Mon 2026-11-23 09:00 CST: Tue 24 (1), Wed 25, Thu 26, Fri 27, Mon 30 (5).
    decision = assign(case, "cardiology", now=cst(2026, 11, 23, 9))
    assert types(decision) == ["InvestigationOpened"]  # one department: the first reply keeps its 5 days
    opened = decision[0][1]
    assert opened["departments"] == ["cardiology"]
    assert opened["first_reply"] == FIRST_REPLY_5
    assert opened["investigations"] == [
        deadline("investigation", "2026-11-30", "2026-11-30T16:00:00Z", 5, "cardiology")
    ]
    assert opened["actor"] == {"id": OFFICER, "role": "complaint_officer"}
    assert case.assignments["cardiology"]["status"] == "investigating"
    assert case.clocks["investigation:cardiology"].started_at == "2026-11-23T01:00:00Z"
    assert case.clocks["investigation:cardiology"].remind_at == "2026-11-27T16:00:00+00:00"  # end of Fri 27th
    assert case.clocks["first_reply"].started_at == "2026-11-20T02:00:00Z"  # unchanged
    assert case.departments == ["cardiology"]


def test_a_second_department_reschedules_the_first_reply_from_5_to_10_working_days() -> None:
    case = story(("cardiology",))
    decision = assign(case, "radiology", now=cst(2026, 11, 23, 9))
    assert types(decision) == ["DeadlineRescheduled", "DeadlineRescheduled", "InvestigationOpened"]
    assert decision[0][1] == {
        "complaint_id": CID,
        "campus": "east",
        "previous": FIRST_REPLY_5,
        "current": FIRST_REPLY_10,
        "reason": "departments_assigned",
        "actor": {"id": OFFICER, "role": "complaint_officer"},
    }
    assert decision[1][1]["current"]["kind"] == "statutory_feedback"
    assert decision[1][1]["current"]["last_day"] == "2026-12-04"
    assert decision[2][1]["first_reply"] == FIRST_REPLY_10
    assert case.clocks["first_reply"].due == FIRST_REPLY_10
    assert case.clocks["first_reply"].remind_at == "2026-12-03T16:00:00+00:00"
    assert case.departments == ["cardiology", "radiology"]


def test_two_departments_at_once_on_an_unassigned_case_also_reschedule() -> None:
    case = story(())
    decision = assign(case, "cardiology", "radiology", now=cst(2026, 11, 23, 9))
    assert types(decision) == ["DeadlineRescheduled", "DeadlineRescheduled", "InvestigationOpened"]
    assert decision[0][1]["current"] == FIRST_REPLY_10


def test_assigning_an_already_assigned_department_is_refused() -> None:
    case = story(("cardiology",))
    with refused("open", "already assigned: cardiology"):
        domain.decide_assign(
            case, schemas.AssignDepartments(["radiology", "cardiology"]), ctx(cst(2026, 11, 23), OFFICER, CAL, POLICY)
        )


@pytest.mark.parametrize("status", [domain.REPLIED, *ENDED])
def test_assignment_is_refused_unless_the_case_is_open(status: str) -> None:
    case = replied() if status == domain.REPLIED else ended(status)
    with refused(status, "cannot assign departments"):
        domain.decide_assign(
            case, schemas.AssignDepartments(["radiology"]), ctx(cst(2026, 11, 27), OFFICER, CAL, POLICY)
        )


# -- extension request -----------------------------------------------------------------------------------------


def test_an_extension_request_puts_the_investigation_clock_on_hold() -> None:
    case = story()
    decision = request_extension(case, days=3, now=cst(2026, 11, 25))
    assert decision == [
        (
            "ExtensionRequested",
            {
                "complaint_id": CID,
                "campus": "east",
                "extension_id": EXT,
                "department": "cardiology",
                "reason": "waiting for the ECG review",
                "requested_days": 3,
                "requested_at": "2026-11-25T02:00:00Z",
                "deadline": investigation_27("cardiology"),
                "actor": {"id": LIAISON, "role": "department_liaison"},
            },
        )
    ]
    assert case.clocks["investigation:cardiology"].on_hold
    assert not case.clocks["first_reply"].on_hold
    assert case.extensions == {
        EXT: {
            "department": "cardiology",
            "status": "pending",
            "requested_days": 3,
            "reason": "waiting for the ECG review",
            "requested_at": "2026-11-25T02:00:00Z",
            "requested_by": LIAISON,
        }
    }


def test_an_extension_for_a_department_not_assigned_is_refused() -> None:
    case = story()
    with refused("open", "radiology is not assigned"):
        domain.decide_request_extension(
            case, schemas.RequestExtension("radiology", "why", 2, EXT), ctx(cst(2026, 11, 25), LIAISON, policy=POLICY)
        )


def test_an_extension_after_the_findings_is_refused() -> None:
    case = story()
    findings(case)
    with refused("open", "cardiology already submitted its findings"):
        domain.decide_request_extension(
            case,
            schemas.RequestExtension("cardiology", "why", 2, EXT),
            ctx(cst(2026, 11, 25, 11), LIAISON, policy=POLICY),
        )


def test_an_extension_one_second_before_the_deadline_is_allowed() -> None:
    case = story()
    decision = request_extension(case, now=utc(2026, 11, 27, 15, 59, 59))
    assert types(decision) == ["ExtensionRequested"]


@pytest.mark.parametrize("now", [DUE_27, utc(2026, 11, 30, 2)], ids=["at-due", "after-due"])
def test_an_extension_at_or_after_the_deadline_is_refused(now: datetime) -> None:
    case = story()
    with refused("open", "before the deadline passes; it passed at 2026-11-27T16:00:00Z"):
        domain.decide_request_extension(
            case, schemas.RequestExtension("cardiology", "too late", 2, EXT), ctx(now, LIAISON, policy=POLICY)
        )


def test_an_extension_on_a_breached_investigation_is_refused() -> None:
    case = story()
    act(case, domain.decide_breach(case, "investigation:cardiology", DUE_27), DUE_27)
    assert case.clocks["investigation:cardiology"].status == domain.D_BREACHED
    with refused("open", "before the deadline passes"):
        domain.decide_request_extension(
            case,
            schemas.RequestExtension("cardiology", "too late", 2, EXT2),
            ctx(utc(2026, 11, 27, 15), LIAISON, policy=POLICY),
        )


def test_a_second_extension_request_while_one_is_pending_is_refused() -> None:
    case = story()
    request_extension(case)
    with refused("open", "cardiology already has an extension request awaiting a decision"):
        domain.decide_request_extension(
            case,
            schemas.RequestExtension("cardiology", "more", 1, EXT2),
            ctx(cst(2026, 11, 25, 15), LIAISON, policy=POLICY),
        )


def test_a_new_extension_may_be_asked_once_the_first_was_decided() -> None:
    case = story()
    request_extension(case)
    decide_extension(case, granted=False)
    assert types(request_extension(case, now=cst(2026, 11, 26, 15), extension_id=EXT2)) == ["ExtensionRequested"]


@pytest.mark.parametrize("status", [domain.WITHDRAWN, domain.RESOLVED_ON_SPOT, domain.NOT_ACCEPTED])
def test_an_extension_on_an_ended_case_is_refused(status: str) -> None:
    case = ended(status)
    with refused(status, "cannot ask for an extension"):
        domain.decide_request_extension(
            case, schemas.RequestExtension("cardiology", "why", 2, EXT), ctx(cst(2026, 11, 25), LIAISON, policy=POLICY)
        )


def test_no_breach_while_an_extension_awaits_its_decision() -> None:
    case = story()
    request_extension(case)
    later = utc(2026, 12, 1, 2)
    assert domain.decide_breach(case, "investigation:cardiology", later) == []
    # The complainant's first reply is not on hold.
    assert types(domain.decide_breach(case, "first_reply", later)) == ["DeadlineBreached"]


# -- extension decision ----------------------------------------------------------------------------------------


def test_deciding_an_unknown_extension_is_unknown_item() -> None:
    case = story()
    with pytest.raises(UnknownItem):
        domain.decide_extension(
            case, schemas.DecideExtension(True, None, EXT), ctx(cst(2026, 11, 26), OFFICER, CAL, POLICY)
        )


def test_a_granted_extension_extends_the_investigation_and_moves_the_first_reply_as_far() -> None:
    case = story(("cardiology", "radiology"))  # investigations due Fri 27th, first reply Fri Dec 4th
    request_extension(case, days=3, now=cst(2026, 11, 25))
    act(case, domain.decide_remind(case, "investigation:cardiology", REMIND_26), REMIND_26)
    assert case.clocks["investigation:cardiology"].reminded
    decision = decide_extension(case, granted=True, now=cst(2026, 11, 27), note="granted once")
    # Investigation: from the end of Fri 27th, Mon 30 (1), Tue 1 (2), Wed 2 (3).
    extended = deadline("investigation", "2026-12-02", "2026-12-02T16:00:00Z", 8, "cardiology")
    # First reply: from the end of Fri Dec 4th, Mon 7 (1), Tue 8 (2), Wed 9 (3).
    moved = deadline("first_reply", "2026-12-09", "2026-12-09T16:00:00Z", 13)
    officer = {"id": OFFICER, "role": "complaint_officer"}
    assert decision == [
        (
            "ExtensionGranted",
            {
                "complaint_id": CID,
                "campus": "east",
                "extension_id": EXT,
                "department": "cardiology",
                "decided_at": "2026-11-27T02:00:00Z",
                "actor": officer,
                "note": "granted once",
                "deadline": extended,
            },
        ),
        (
            "DeadlineRescheduled",
            {
                "complaint_id": CID,
                "campus": "east",
                "previous": FIRST_REPLY_10,
                "current": moved,
                "reason": "extension_granted",
                "actor": officer,
            },
        ),
    ]
    clock = case.clocks["investigation:cardiology"]
    assert (clock.due, clock.on_hold, clock.reminded, clock.status) == (extended, False, False, "open")
    assert clock.remind_at == "2026-12-01T16:00:00+00:00"
    assert case.clocks["first_reply"].due == moved
    assert case.extensions[EXT]["status"] == "granted"
    # Radiology keeps its own deadline.
    assert case.clocks["investigation:radiology"].due == investigation_27("radiology")
    # The old deadline passes without a breach; the new one is reminded of, then breached.
    assert domain.decide_breach(case, "investigation:cardiology", utc(2026, 11, 30, 2)) == []
    assert types(domain.decide_remind(case, "investigation:cardiology", utc(2026, 12, 1, 16))) == ["InvestigationDue"]
    assert types(domain.decide_breach(case, "investigation:cardiology", utc(2026, 12, 2, 16))) == ["DeadlineBreached"]


def test_an_extension_counts_from_the_working_day_after_the_old_last_day() -> None:
    case = story(())
    assign(case, "cardiology", now=cst(2026, 11, 23, 9))  # investigation due end of Mon 2026-11-30
    request_extension(case, days=2, now=cst(2026, 11, 27))
    decision = decide_extension(case, granted=True, now=cst(2026, 11, 27, 15))
    # Tue Dec 1 (1), Wed Dec 2 (2): Tue 1st is counted once, not skipped.
    assert decision[0][1]["deadline"] == deadline(
        "investigation", "2026-12-02", "2026-12-02T16:00:00Z", 7, "cardiology"
    )
    # The first reply (end of Fri 27th, 5 days) moves 2 working days too: Mon 30 (1), Tue Dec 1 (2).
    assert decision[1][1]["current"] == deadline("first_reply", "2026-12-01", "2026-12-01T16:00:00Z", 7)


def test_a_granted_extension_leaves_a_first_reply_that_is_no_longer_running_alone() -> None:
    case = story()
    request_extension(case, now=cst(2026, 11, 25))
    act(case, domain.decide_breach(case, "first_reply", DUE_27), DUE_27)  # the reply clock is not on hold
    decision = decide_extension(case, granted=True, now=cst(2026, 11, 30))
    assert types(decision) == ["ExtensionGranted"]
    assert case.clocks["first_reply"].due == FIRST_REPLY_5


def test_a_refused_extension_takes_the_clock_off_hold_and_it_can_then_be_breached() -> None:
    case = story()
    request_extension(case, now=cst(2026, 11, 25))
    assert domain.decide_breach(case, "investigation:cardiology", utc(2026, 11, 30, 2)) == []
    decision = decide_extension(case, granted=False, now=cst(2026, 11, 30), note="no reason to wait")
    assert decision == [
        (
            "ExtensionRefused",
            {
                "complaint_id": CID,
                "campus": "east",
                "extension_id": EXT,
                "department": "cardiology",
                "decided_at": "2026-11-30T02:00:00Z",
                "actor": {"id": OFFICER, "role": "complaint_officer"},
                "note": "no reason to wait",
            },
        )
    ]
    clock = case.clocks["investigation:cardiology"]
    assert (clock.on_hold, clock.due) == (False, investigation_27("cardiology"))
    assert case.extensions[EXT]["status"] == "refused"
    breach = checked(domain.decide_breach(case, "investigation:cardiology", utc(2026, 11, 30, 3)))
    assert types(breach) == ["DeadlineBreached"]
    assert breach[0][1]["breached_at"] == "2026-11-27T16:00:00Z"  # when it passed, not when noticed


@pytest.mark.parametrize(("first", "state_word"), [(True, "granted"), (False, "refused")])
@pytest.mark.parametrize("second", [True, False])
def test_deciding_an_extension_twice_is_refused(first: bool, state_word: str, second: bool) -> None:
    case = story()
    request_extension(case)
    decide_extension(case, granted=first)
    with refused("open", f"the extension was already {state_word}"):
        domain.decide_extension(
            case, schemas.DecideExtension(second, None, EXT), ctx(cst(2026, 11, 26, 15), OFFICER, CAL, POLICY)
        )


# -- findings --------------------------------------------------------------------------------------------------


def test_findings_in_time_meet_the_investigation_clock() -> None:
    case = story()
    decision = findings(case, now=cst(2026, 11, 25))
    assert decision == [
        (
            "FindingsSubmitted",
            {
                "complaint_id": CID,
                "campus": "east",
                "department": "cardiology",
                "substantiated": "partly",
                "summary": "the wait was too long",
                "signed_off_by": "head-of-dept",
                "submitted_at": "2026-11-25T02:00:00Z",
                "on_time": True,
                "actor": {"id": LIAISON, "role": "department_liaison"},
            },
        )
    ]
    assert case.assignments["cardiology"]["status"] == "findings_submitted"
    assert case.assignments["cardiology"]["substantiated"] == "partly"
    clock = case.clocks["investigation:cardiology"]
    assert (clock.status, clock.met_at) == (domain.D_MET, "2026-11-25T02:00:00Z")
    assert domain.decide_breach(case, "investigation:cardiology", utc(2026, 12, 1)) == []
    assert domain.decide_remind(case, "investigation:cardiology", REMIND_26) == []


def test_findings_one_second_before_the_deadline_are_on_time() -> None:
    case = story()
    assert findings(case, now=utc(2026, 11, 27, 15, 59, 59))[0][1]["on_time"] is True


def test_late_findings_are_not_on_time() -> None:
    case = story()
    decision = findings(case, now=cst(2026, 11, 30))
    assert decision[0][1]["on_time"] is False


def test_findings_after_a_breach_make_the_clock_met_late() -> None:
    case = story()
    act(case, domain.decide_breach(case, "investigation:cardiology", DUE_27), DUE_27)
    findings(case, now=cst(2026, 11, 30))
    clock = case.clocks["investigation:cardiology"]
    assert (clock.status, clock.breached_at, clock.met_at) == (
        domain.D_MET_LATE,
        "2026-11-27T16:00:00Z",
        "2026-11-30T02:00:00Z",
    )


def test_findings_at_the_very_moment_the_deadline_passes_are_late() -> None:
    case = story()
    assert types(domain.decide_breach(case, "investigation:cardiology", DUE_27)) == ["DeadlineBreached"]
    assert findings(case, now=DUE_27)[0][1]["on_time"] is False


def test_findings_from_a_department_not_assigned_are_refused() -> None:
    case = story()
    with refused("open", "radiology is not assigned"):
        domain.decide_findings(
            case, schemas.SubmitFindings("radiology", "no", "nothing", "head"), ctx(cst(2026, 11, 25), LIAISON)
        )


def test_findings_twice_are_refused() -> None:
    case = story()
    findings(case)
    with refused("open", "cardiology already submitted its findings"):
        domain.decide_findings(
            case, schemas.SubmitFindings("cardiology", "no", "again", "head"), ctx(cst(2026, 11, 25, 15), LIAISON)
        )


@pytest.mark.parametrize("status", [domain.REPLIED, domain.WITHDRAWN, domain.NOT_ACCEPTED])
def test_findings_are_refused_unless_the_case_is_open(status: str) -> None:
    case = replied() if status == domain.REPLIED else ended(status)
    with refused(status, "cannot submit findings"):
        domain.decide_findings(
            case, schemas.SubmitFindings("cardiology", "no", "late", "head"), ctx(cst(2026, 11, 26, 15), LIAISON)
        )


# -- escalation ------------------------------------------------------------------------------------------------


def test_the_office_escalates_once() -> None:
    case = story()
    now = cst(2026, 11, 24)
    decision = act(
        case, domain.decide_escalate(case, schemas.Escalate("the family went to the press"), ctx(now, OFFICER)), now
    )
    assert decision == [
        (
            "ComplaintEscalated",
            {
                "complaint_id": CID,
                "campus": "east",
                "severity": "normal",
                "reason": "the family went to the press",
                "escalated_at": "2026-11-24T02:00:00Z",
                "to": "leadership_group",
                "actor": {"id": OFFICER, "role": "complaint_officer"},
            },
        )
    ]
    assert case.escalated
    with refused("open", "already escalated"):
        domain.decide_escalate(case, schemas.Escalate("again"), ctx(cst(2026, 11, 25), OFFICER))


def test_a_replied_case_can_still_be_escalated() -> None:
    case = replied()
    assert types(
        checked(
            domain.decide_escalate(
                case, schemas.Escalate("complainant went to the press"), ctx(cst(2026, 11, 27), OFFICER)
            )
        )
    ) == ["ComplaintEscalated"]


def test_a_major_complaint_escalated_on_receipt_cannot_be_escalated_again() -> None:
    case = story(severity="major")
    with refused("open", "already escalated"):
        domain.decide_escalate(case, schemas.Escalate("again"), ctx(cst(2026, 11, 24), OFFICER))


@pytest.mark.parametrize("status", ENDED)
def test_escalating_an_ended_case_is_refused(status: str) -> None:
    case = ended(status)
    with refused(status, "cannot escalate"):
        domain.decide_escalate(case, schemas.Escalate("late"), ctx(cst(2026, 11, 30), OFFICER))


# -- reply -----------------------------------------------------------------------------------------------------


def test_a_reply_is_refused_while_findings_are_awaited_and_names_the_departments() -> None:
    case = story(("radiology", "cardiology", "nursing"))
    findings(case, "nursing")
    with refused("open", r"^cannot issue a reply: awaiting findings from cardiology, radiology$"):
        domain.decide_reply(case, schemas.IssueReply(OFFICER, "x", "y", None, REPLY), ctx(cst(2026, 11, 26), OFFICER))
    findings(case, "cardiology")
    with refused("open", r"awaiting findings from radiology$"):
        domain.decide_reply(case, schemas.IssueReply(OFFICER, "x", "y", None, REPLY), ctx(cst(2026, 11, 26), OFFICER))


def test_a_reply_after_all_findings_makes_the_case_replied() -> None:
    case = story(("cardiology",))
    findings(case)
    decision = reply(case, now=cst(2026, 11, 26))
    assert decision == [
        (
            "ReplyIssued",
            {
                "complaint_id": CID,
                "campus": "east",
                "reply_id": REPLY,
                "contact_person": OFFICER,
                "actions_taken": "retrained the desk staff",
                "result": "apology issued",
                "issued_at": "2026-11-26T02:00:00Z",
                "actor": {"id": OFFICER, "role": "complaint_officer"},
                "channel_preference": "sms",
            },
        )
    ]
    assert case.status == domain.REPLIED
    assert case.replies == {REPLY: {"issued_at": "2026-11-26T02:00:00Z"}}
    # Issuing is not delivering: the first-reply clock still runs.
    assert case.clocks["first_reply"].status == domain.D_OPEN


def test_a_reply_with_no_assignment_is_allowed_and_needs_no_channel_preference() -> None:
    case = story(())
    decision = act(
        case,
        domain.decide_reply(
            case,
            schemas.IssueReply(OFFICER, "checked the bill", "refund", None, REPLY),
            ctx(cst(2026, 11, 23), OFFICER),
        ),
        cst(2026, 11, 23),
    )
    assert types(decision) == ["ReplyIssued"]
    assert "channel_preference" not in decision[0][1]
    assert case.status == domain.REPLIED


@pytest.mark.parametrize("status", [domain.REPLIED, *ENDED])
def test_a_reply_is_refused_unless_the_case_is_open(status: str) -> None:
    case = replied() if status == domain.REPLIED else ended(status)
    with refused(status, "cannot issue a reply"):
        domain.decide_reply(
            case, schemas.IssueReply(OFFICER, "x", "y", None, OLD_REPLY), ctx(cst(2026, 11, 30), OFFICER)
        )


# -- ReplySent (notification) ----------------------------------------------------------------------------------


def test_reply_sent_meets_the_first_reply() -> None:
    case = replied()
    reply_sent(case, now=cst(2026, 11, 26, 14))
    clock = case.clocks["first_reply"]
    assert (clock.status, clock.met_at) == (domain.D_MET, "2026-11-26T06:00:00Z")
    assert case.replies[REPLY]["sent_at"] == "2026-11-26T06:00:00Z"
    assert domain.decide_breach(case, "first_reply", utc(2026, 12, 1)) == []


def test_reply_sent_after_the_first_reply_was_breached_makes_it_met_late() -> None:
    case = replied()
    act(case, domain.decide_breach(case, "first_reply", DUE_27), DUE_27)
    reply_sent(case, now=cst(2026, 11, 30))
    assert case.clocks["first_reply"].status == domain.D_MET_LATE


def test_reply_sent_for_an_unknown_reply_changes_nothing() -> None:
    case = replied()
    before = copy.deepcopy(case.to_json())
    reply_sent(case, reply_id=OLD_REPLY)
    assert case.to_json() == before
    assert case.clocks["first_reply"].status == domain.D_OPEN


# -- rectification ---------------------------------------------------------------------------------------------


def test_a_rectification_is_ordered_with_its_own_deadline() -> None:
    case = replied()
    # Mon 2026-11-30 + 20 working days: Dec 1-4 (4), 7-11 (9), 14-18 (14), 21-25 (19), Mon 28 (20).
    decision = order_rectification(case, now=cst(2026, 11, 30))
    due = deadline("rectification", "2026-12-28", "2026-12-28T16:00:00Z", 20, "cardiology", rectification_id=RECT)
    assert decision == [
        (
            "RectificationOrdered",
            {
                "complaint_id": CID,
                "campus": "east",
                "rectification_id": RECT,
                "department": "cardiology",
                "description": "shorten the ECG queue",
                "due": due,
                "ordered_at": "2026-11-30T02:00:00Z",
                "actor": {"id": OFFICER, "role": "complaint_officer"},
            },
        )
    ]
    clock = case.clocks[f"rectification:{RECT}"]
    assert (clock.status, clock.started_at, clock.remind_at) == (
        "open",
        "2026-11-30T02:00:00Z",
        "2026-12-25T16:00:00+00:00",
    )
    assert case.rectifications == {RECT: {"department": "cardiology", "status": "ordered"}}


def test_a_rectification_may_have_its_own_number_of_days_and_be_ordered_while_open() -> None:
    case = story()
    decision = order_rectification(case, now=cst(2026, 11, 23), days=3)  # Tue 24, Wed 25, Thu 26
    assert decision[0][1]["due"] == deadline(
        "rectification", "2026-11-26", "2026-11-26T16:00:00Z", 3, "cardiology", rectification_id=RECT
    )


@pytest.mark.parametrize("status", ENDED)
def test_a_rectification_on_an_ended_case_is_refused(status: str) -> None:
    case = ended(status)
    with refused(status, "cannot order a rectification"):
        domain.decide_rectification(
            case,
            schemas.OrderRectification("cardiology", "x", None, RECT),
            ctx(cst(2026, 11, 30), OFFICER, CAL, POLICY),
        )


@pytest.mark.parametrize(("now", "on_time"), [(cst(2026, 12, 28, 17), True), (cst(2026, 12, 29), False)])
def test_completing_a_rectification_meets_its_clock(now: datetime, on_time: bool) -> None:
    case = replied()
    order_rectification(case)
    decision = act(
        case,
        domain.decide_complete_rectification(
            case, schemas.CompleteRectification("queue halved", RECT), ctx(now, LIAISON)
        ),
        now,
    )
    assert decision == [
        (
            "RectificationCompleted",
            {
                "complaint_id": CID,
                "campus": "east",
                "rectification_id": RECT,
                "department": "cardiology",
                "completed_at": rfc3339(now),
                "on_time": on_time,
                "actor": {"id": LIAISON, "role": "department_liaison"},
                "note": "queue halved",
            },
        )
    ]
    assert case.rectifications[RECT]["status"] == "completed"
    assert case.clocks[f"rectification:{RECT}"].status == domain.D_MET


def test_completing_a_breached_rectification_makes_it_met_late() -> None:
    case = replied()
    order_rectification(case)
    due = utc(2026, 12, 28, 16)
    act(case, domain.decide_breach(case, f"rectification:{RECT}", due), due)
    act(
        case,
        domain.decide_complete_rectification(
            case, schemas.CompleteRectification(None, RECT), ctx(cst(2026, 12, 30), LIAISON)
        ),
        cst(2026, 12, 30),
    )
    assert case.clocks[f"rectification:{RECT}"].status == domain.D_MET_LATE


def test_completing_a_rectification_at_the_moment_it_passes_is_late() -> None:
    case = replied()
    order_rectification(case)
    due = utc(2026, 12, 28, 16)
    assert types(domain.decide_breach(case, f"rectification:{RECT}", due)) == ["DeadlineBreached"]
    assert (
        checked(
            domain.decide_complete_rectification(case, schemas.CompleteRectification(None, RECT), ctx(due, LIAISON))
        )[0][1]["on_time"]
        is False
    )


def test_completing_an_unknown_rectification_is_unknown_item() -> None:
    case = replied()
    with pytest.raises(UnknownItem):
        domain.decide_complete_rectification(
            case, schemas.CompleteRectification(None, RECT), ctx(cst(2026, 12, 1), LIAISON)
        )


def test_completing_a_rectification_twice_is_refused() -> None:
    case = replied()
    order_rectification(case)
    act(
        case,
        domain.decide_complete_rectification(
            case, schemas.CompleteRectification(None, RECT), ctx(cst(2026, 12, 1), LIAISON)
        ),
        cst(2026, 12, 1),
    )
    with refused("replied", "already completed"):
        domain.decide_complete_rectification(
            case, schemas.CompleteRectification(None, RECT), ctx(cst(2026, 12, 2), LIAISON)
        )


# -- follow-up -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [domain.OPEN, *ENDED])
def test_a_follow_up_is_refused_unless_the_case_is_replied(status: str) -> None:
    case = story() if status == domain.OPEN else ended(status)
    with refused(status, "cannot record a follow-up"):
        domain.decide_follow_up(case, schemas.RecordFollowUp(True, None), ctx(cst(2026, 12, 4), OFFICER, CAL, POLICY))


def test_a_satisfied_complainant_leaves_the_case_replied() -> None:
    case = delivered()
    now = cst(2026, 12, 4)
    decision = act(
        case,
        domain.decide_follow_up(case, schemas.RecordFollowUp(True, "thanked the ward"), ctx(now, OFFICER, CAL, POLICY)),
        now,
    )
    assert decision == [
        (
            "FollowUpRecorded",
            {
                "complaint_id": CID,
                "campus": "east",
                "satisfied": True,
                "recorded_at": "2026-12-04T02:00:00Z",
                "actor": {"id": OFFICER, "role": "complaint_officer"},
                "note": "thanked the ward",
            },
        )
    ]
    assert case.status == domain.REPLIED
    assert case.follow_ups == [{"satisfied": True, "recorded_at": "2026-12-04T02:00:00Z"}]
    assert case.reopened == 0


def test_a_dissatisfied_complainant_reopens_the_case_with_a_fresh_first_reply() -> None:
    case = delivered()
    now = cst(2026, 12, 4)  # Fri; Mon 7 (1) … Fri 11 (5)
    decision = act(
        case, domain.decide_follow_up(case, schemas.RecordFollowUp(False, None), ctx(now, OFFICER, CAL, POLICY)), now
    )
    fresh = deadline("first_reply", "2026-12-11", "2026-12-11T16:00:00Z", 5)
    officer = {"id": OFFICER, "role": "complaint_officer"}
    assert decision == [
        (
            "FollowUpRecorded",
            {
                "complaint_id": CID,
                "campus": "east",
                "satisfied": False,
                "recorded_at": "2026-12-04T02:00:00Z",
                "actor": officer,
            },
        ),
        (
            "ComplaintReopened",
            {
                "complaint_id": CID,
                "campus": "east",
                "reason": "dissatisfied",
                "reopened_at": "2026-12-04T02:00:00Z",
                "first_reply": fresh,
                "actor": officer,
            },
        ),
    ]
    assert (case.status, case.reopened, case.assignments, case.replies) == (domain.OPEN, 1, {}, {})
    clock = case.clocks["first_reply"]
    assert (clock.due, clock.status, clock.started_at, clock.remind_at) == (
        fresh,
        domain.D_OPEN,
        "2026-12-04T02:00:00Z",
        "2026-12-10T16:00:00+00:00",
    )
    assert case.clocks["investigation:cardiology"].status == domain.D_MET  # last round's result is kept
    # A new round: the same department can be assigned again, and must report again before a reply.
    assert types(assign(case, "cardiology", now=cst(2026, 12, 7))) == ["InvestigationOpened"]
    with refused("open", "awaiting findings from cardiology"):
        domain.decide_reply(
            case, schemas.IssueReply(OFFICER, "x", "y", None, OLD_REPLY), ctx(cst(2026, 12, 8), OFFICER)
        )


def test_a_reopened_multi_department_case_gets_10_days_for_its_first_reply() -> None:
    case = story(("cardiology", "radiology"))
    findings(case, "cardiology")
    findings(case, "radiology")
    reply(case)
    reply_sent(case)
    now = cst(2026, 12, 4)  # Mon 7 … Fri 11 (5), Mon 14 … Fri 18 (10)
    decision = checked(
        domain.decide_follow_up(case, schemas.RecordFollowUp(False, "still unhappy"), ctx(now, OFFICER, CAL, POLICY))
    )
    assert decision[1][1]["first_reply"] == deadline("first_reply", "2026-12-18", "2026-12-18T16:00:00Z", 10)
    assert decision[1][1]["note"] == "still unhappy"


def test_a_dissatisfied_follow_up_does_not_stop_an_ordered_rectification() -> None:
    case = delivered()
    order_rectification(case, now=cst(2026, 11, 30))  # due end of Mon 2026-12-28
    now = cst(2026, 12, 4)
    act(case, domain.decide_follow_up(case, schemas.RecordFollowUp(False, None), ctx(now, OFFICER, CAL, POLICY)), now)
    assert case.rectifications[RECT]["status"] == "ordered"
    assert types(domain.decide_breach(case, f"rectification:{RECT}", utc(2026, 12, 28, 16))) == ["DeadlineBreached"]


# -- close -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [domain.OPEN, *ENDED])
def test_closing_is_refused_unless_replied(status: str) -> None:
    case = story() if status == domain.OPEN else ended(status)
    with refused(status, "cannot close"):
        domain.decide_close(case, schemas.CloseCase(None), ctx(cst(2026, 12, 1), OFFICER))


def test_closing_waits_for_the_reply_to_reach_a_complainant_who_has_contact() -> None:
    case = replied()
    with refused("replied", "the reply has not been delivered to the complainant yet"):
        domain.decide_close(case, schemas.CloseCase(None), ctx(cst(2026, 11, 26, 12), OFFICER))
    reply_sent(case)
    now = cst(2026, 11, 27)
    decision = act(case, domain.decide_close(case, schemas.CloseCase("apology accepted"), ctx(now, OFFICER)), now)
    assert decision == [
        (
            "ComplaintClosed",
            {
                "complaint_id": CID,
                "campus": "east",
                "closed_at": "2026-11-27T02:00:00Z",
                "actor": {"id": OFFICER, "role": "complaint_officer"},
                "outcome": "apology accepted",
            },
        )
    ]
    assert case.status == domain.CLOSED


def test_closing_is_allowed_when_the_reply_could_not_be_delivered() -> None:
    case = replied()
    reply_failed(case)
    assert case.replies[REPLY]["failed"] is True
    decision = checked(domain.decide_close(case, schemas.CloseCase(None), ctx(cst(2026, 11, 27), OFFICER)))
    assert types(decision) == ["ComplaintClosed"]
    assert "outcome" not in decision[0][1]


def test_a_failure_for_another_reply_does_not_allow_closing() -> None:
    case = replied()
    reply_failed(case, reply_id=OLD_REPLY)
    with refused("replied", "not been delivered"):
        domain.decide_close(case, schemas.CloseCase(None), ctx(cst(2026, 11, 27), OFFICER))


@pytest.mark.parametrize("overrides", [{"has_contact": False}, {"anonymous": True}], ids=["no-contact", "anonymous"])
def test_closing_without_delivery_is_allowed_when_the_complainant_cannot_be_reached(overrides: dict[str, Any]) -> None:
    case = replied(**overrides)
    assert types(checked(domain.decide_close(case, schemas.CloseCase(None), ctx(cst(2026, 11, 27), OFFICER)))) == [
        "ComplaintClosed"
    ]


def test_closing_is_refused_while_a_rectification_is_open() -> None:
    case = delivered()
    order_rectification(case)
    with refused("replied", r"1 rectification\(s\) not completed"):
        domain.decide_close(case, schemas.CloseCase(None), ctx(cst(2026, 12, 1), OFFICER))
    act(
        case,
        domain.decide_complete_rectification(
            case, schemas.CompleteRectification(None, RECT), ctx(cst(2026, 12, 2), LIAISON)
        ),
        cst(2026, 12, 2),
    )
    assert types(checked(domain.decide_close(case, schemas.CloseCase(None), ctx(cst(2026, 12, 3), OFFICER)))) == [
        "ComplaintClosed"
    ]


def test_closing_stops_every_open_clock() -> None:
    case = story(("cardiology", "radiology"))
    findings(case, "cardiology")
    act(case, domain.decide_breach(case, "investigation:radiology", DUE_27), DUE_27)
    findings(case, "radiology", now=cst(2026, 11, 30))
    reply(case, now=cst(2026, 11, 30))
    order_rectification(case, now=cst(2026, 11, 30))
    act(
        case,
        domain.decide_complete_rectification(
            case, schemas.CompleteRectification(None, RECT), ctx(cst(2026, 12, 1), LIAISON)
        ),
        cst(2026, 12, 1),
    )
    reply_failed(case, now=cst(2026, 12, 1))
    act(case, domain.decide_close(case, schemas.CloseCase(None), ctx(cst(2026, 12, 2), OFFICER)), cst(2026, 12, 2))
    assert {k: c.status for k, c in case.clocks.items()} == {
        "first_reply": domain.D_STOPPED,
        "statutory_feedback": domain.D_STOPPED,
        "investigation:cardiology": domain.D_MET,
        "investigation:radiology": domain.D_MET_LATE,
        f"rectification:{RECT}": domain.D_MET,
    }
    assert domain.decide_breach(case, "first_reply", utc(2026, 12, 10)) == []


# -- reopen ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ENDED)
def test_new_facts_reopen_an_ended_case(status: str) -> None:
    case = ended(status)
    now = cst(2026, 12, 7)  # Mon; Tue 8 … Mon 14 (5)
    decision = act(
        case,
        domain.decide_reopen(case, schemas.ReopenCase("new_facts", "a second witness"), ctx(now, OFFICER, CAL, POLICY)),
        now,
    )
    fresh = deadline("first_reply", "2026-12-14", "2026-12-14T16:00:00Z", 5)
    assert decision == [
        (
            "ComplaintReopened",
            {
                "complaint_id": CID,
                "campus": "east",
                "reason": "new_facts",
                "reopened_at": "2026-12-07T02:00:00Z",
                "first_reply": fresh,
                "actor": {"id": OFFICER, "role": "complaint_officer"},
                "note": "a second witness",
            },
        )
    ]
    assert (case.status, case.reopened, case.assignments) == (domain.OPEN, 1, {})
    assert (case.clocks["first_reply"].due, case.clocks["first_reply"].status) == (fresh, domain.D_OPEN)


@pytest.mark.parametrize("status", [domain.OPEN, domain.REPLIED])
def test_reopening_an_active_case_is_refused(status: str) -> None:
    case = story() if status == domain.OPEN else delivered()
    with refused(status, "cannot reopen"):
        domain.decide_reopen(
            case, schemas.ReopenCase("new_evidence", None), ctx(cst(2026, 12, 7), OFFICER, CAL, POLICY)
        )


# -- disputes --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [domain.OPEN, domain.REPLIED, *ENDED])
def test_a_dispute_can_be_recorded_at_any_time(status: str) -> None:
    case = story() if status == domain.OPEN else replied() if status == domain.REPLIED else ended(status)
    now = cst(2026, 12, 10)
    decision = act(
        case,
        domain.decide_dispute(
            case, schemas.RecordDispute("mediation", "went to the mediation board", DISPUTE), ctx(now, OFFICER)
        ),
        now,
    )
    assert decision == [
        (
            "DisputeRecorded",
            {
                "complaint_id": CID,
                "campus": "east",
                "dispute_id": DISPUTE,
                "route": "mediation",
                "recorded_at": "2026-12-10T02:00:00Z",
                "actor": {"id": OFFICER, "role": "complaint_officer"},
                "note": "went to the mediation board",
            },
        )
    ]
    at = "2026-12-10T02:00:00Z"
    routes = [{"route": "mediation", "since": at}]  # the route history (disputes.py)
    assert case.disputes == {DISPUTE: {"route": "mediation", "status": "recorded", "recorded_at": at, "routes": routes}}
    assert case.status == status


def test_settling_an_unknown_dispute_is_unknown_item() -> None:
    case = closed()
    with pytest.raises(UnknownItem):
        domain.decide_settle(
            case, schemas.SettleDispute(Decimal("100.00"), "CNY", DISPUTE), ctx(cst(2026, 12, 10), OFFICER)
        )


def test_a_dispute_is_settled_once_with_its_amount() -> None:
    case = closed()
    act(
        case,
        domain.decide_dispute(
            case, schemas.RecordDispute("negotiation", None, DISPUTE), ctx(cst(2026, 12, 10), OFFICER)
        ),
        cst(2026, 12, 10),
    )
    now = cst(2026, 12, 15)
    decision = act(
        case,
        domain.decide_settle(case, schemas.SettleDispute(Decimal("1200.50"), "CNY", DISPUTE), ctx(now, OFFICER)),
        now,
    )
    assert decision == [
        (
            "DisputeSettled",
            {
                "complaint_id": CID,
                "campus": "east",
                "dispute_id": DISPUTE,
                "route": "negotiation",
                "settled_at": "2026-12-15T02:00:00Z",
                "compensation_amount": "1200.50",
                "currency": "CNY",
                "actor": {"id": OFFICER, "role": "complaint_officer"},
            },
        )
    ]
    assert case.disputes[DISPUTE] == {
        "route": "negotiation",
        "status": "settled",
        "compensation": "1200.50",
        "recorded_at": "2026-12-10T02:00:00Z",
        "routes": [{"route": "negotiation", "since": "2026-12-10T02:00:00Z"}],
    }
    with refused("closed", "already settled"):
        domain.decide_settle(
            case, schemas.SettleDispute(Decimal("10.00"), "CNY", DISPUTE), ctx(cst(2026, 12, 16), OFFICER)
        )


# -- intake's events -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("end", "status"),
    [(resolved_on_spot, domain.RESOLVED_ON_SPOT), (not_accepted, domain.NOT_ACCEPTED), (withdrawn, domain.WITHDRAWN)],
)
def test_intake_ending_the_case_stops_every_open_clock(end: Any, status: str) -> None:
    case = story(("cardiology", "radiology"))
    findings(case, "cardiology")
    request_extension(case, "radiology")
    end(case, cst(2026, 11, 25, 12))
    assert case.status == status
    assert {k: c.status for k, c in case.clocks.items()} == {
        "first_reply": domain.D_STOPPED,
        "statutory_feedback": domain.D_STOPPED,
        "investigation:cardiology": domain.D_MET,
        "investigation:radiology": domain.D_STOPPED,
    }
    later = utc(2026, 12, 10)
    for key in case.clocks:
        assert domain.decide_breach(case, key, later) == []
        assert domain.decide_remind(case, key, REMIND_26) == []


def test_a_reclassification_updates_category_and_severity() -> None:
    case = story()
    previous = {"category": "billing", "severity": "normal", "departments": ["cardiology"], "campuses": ["east"]}
    current = {
        "category": "medical_quality",
        "severity": "major",
        "departments": ["cardiology"],
        "campuses": ["east", "west"],
    }
    external(
        case,
        "ComplaintReclassified",
        {"previous": previous, "current": current, "reclassified_at": rfc3339(cst(2026, 11, 23))},
        cst(2026, 11, 23),
    )
    assert (case.category, case.severity, case.campuses) == ("medical_quality", "major", ["east", "west"])
    assert case.status == domain.OPEN


# -- decide_reclassified ---------------------------------------------------------------------------------------


def classification(departments: list[str], severity: str = "normal", category: str = "billing") -> dict[str, Any]:
    return {"category": category, "severity": severity, "departments": departments, "campuses": ["east"]}


def test_reclassification_assigns_new_departments_as_the_system() -> None:
    case = story(("cardiology",))
    now = cst(2026, 11, 23, 9)
    decision = act(
        case,
        domain.decide_reclassified(case, classification(["cardiology", "radiology"]), ctx(now, "system", CAL, POLICY)),
        now,
    )
    assert types(decision) == ["DeadlineRescheduled", "DeadlineRescheduled", "InvestigationOpened"]
    assert decision[0][1] == {
        "complaint_id": CID,
        "campus": "east",
        "previous": FIRST_REPLY_5,
        "current": FIRST_REPLY_10,
        "reason": "reclassified",
        "actor": SYSTEM,
    }
    assert decision[2][1]["departments"] == ["radiology"]
    assert decision[2][1]["actor"] == SYSTEM
    assert decision[2][1]["investigations"] == [
        deadline("investigation", "2026-11-30", "2026-11-30T16:00:00Z", 5, "radiology")
    ]
    assert set(case.assignments) == {"cardiology", "radiology"}


def test_reclassification_without_new_departments_decides_nothing() -> None:
    case = story(("cardiology",))
    assert (
        domain.decide_reclassified(
            case, classification(["cardiology"], category="other"), ctx(cst(2026, 11, 23), "system", CAL, POLICY)
        )
        == []
    )


def test_reclassification_as_major_escalates_once() -> None:
    case = story(("cardiology",))
    now = cst(2026, 11, 23)
    decision = act(
        case,
        domain.decide_reclassified(case, classification(["cardiology"], "major"), ctx(now, "system", CAL, POLICY)),
        now,
    )
    assert decision == [
        (
            "ComplaintEscalated",
            {
                "complaint_id": CID,
                "campus": "east",
                "severity": "major",
                "reason": "reclassified as major",
                "escalated_at": "2026-11-23T02:00:00Z",
                "to": "leadership_group",
                "actor": SYSTEM,
            },
        )
    ]
    assert case.escalated
    assert (
        domain.decide_reclassified(
            case, classification(["cardiology"], "major"), ctx(cst(2026, 11, 24), "system", CAL, POLICY)
        )
        == []
    )


def test_reclassifying_a_major_complaint_escalated_on_receipt_does_not_escalate_again() -> None:
    case = story(("cardiology",), severity="major")
    assert (
        domain.decide_reclassified(
            case, classification(["cardiology"], "major"), ctx(cst(2026, 11, 23), "system", CAL, POLICY)
        )
        == []
    )


def test_reclassifying_a_replied_case_escalates_but_assigns_nobody() -> None:
    case = replied()
    decision = checked(
        domain.decide_reclassified(
            case, classification(["cardiology", "radiology"], "major"), ctx(cst(2026, 11, 27), "system", CAL, POLICY)
        )
    )
    assert types(decision) == ["ComplaintEscalated"]


@pytest.mark.parametrize("status", ENDED)
def test_reclassifying_an_ended_case_decides_nothing(status: str) -> None:
    case = ended(status)
    assert (
        domain.decide_reclassified(
            case, classification(["cardiology", "radiology"], "major"), ctx(cst(2026, 11, 30), "system", CAL, POLICY)
        )
        == []
    )


def test_reclassification_opens_investigations_with_the_new_classification() -> None:
    case = story(("cardiology",))
    current = classification(["cardiology", "radiology"], "major", "medical_quality")
    # As the projection does: decide on the case as it was, then fold ComplaintReclassified.
    decision = checked(domain.decide_reclassified(case, current, ctx(cst(2026, 11, 23), "system", CAL, POLICY)))
    opened = dict(decision)["InvestigationOpened"]
    assert (opened["category"], opened["severity"]) == ("medical_quality", "major")


# -- extension vs. later assignments ---------------------------------------------------------------------------


def test_assigning_a_third_department_keeps_the_extended_first_reply() -> None:
    case = story(("cardiology", "radiology"))
    request_extension(case, days=3, now=cst(2026, 11, 25))
    decide_extension(case, granted=True, now=cst(2026, 11, 26))
    moved = deadline("first_reply", "2026-12-09", "2026-12-09T16:00:00Z", 13)
    assert case.clocks["first_reply"].due == moved
    decision = assign(case, "nursing", now=cst(2026, 11, 26, 15))
    assert types(decision) == ["InvestigationOpened"]
    assert case.clocks["first_reply"].due == moved


# -- the deadline engine: reminders ----------------------------------------------------------------------------


def test_remind_only_from_the_reminder_time() -> None:
    case = story()
    assert case.clocks["first_reply"].remind_at == "2026-11-26T16:00:00+00:00"
    assert domain.decide_remind(case, "first_reply", utc(2026, 11, 26, 15, 59, 59)) == []
    decision = checked(domain.decide_remind(case, "first_reply", REMIND_26))
    assert decision == [
        (
            "InvestigationDue",
            {
                "complaint_id": CID,
                "campus": "east",
                "deadline": FIRST_REPLY_5,
                "reminder_for_role": "complaint_officer",
                "actor": SYSTEM,
            },
        )
    ]


def test_an_investigation_reminder_goes_to_the_department_liaison() -> None:
    case = story()
    decision = checked(domain.decide_remind(case, "investigation:cardiology", utc(2026, 11, 27, 3)))
    assert decision[0][1]["reminder_for_role"] == "department_liaison"
    assert decision[0][1]["deadline"] == investigation_27("cardiology")


def test_a_rectification_reminder_goes_to_the_department_liaison() -> None:
    case = replied()
    order_rectification(case)
    decision = checked(domain.decide_remind(case, f"rectification:{RECT}", utc(2026, 12, 25, 16)))
    assert decision[0][1]["reminder_for_role"] == "department_liaison"


def test_remind_only_once() -> None:
    case = story()
    act(case, domain.decide_remind(case, "first_reply", REMIND_26), REMIND_26)
    assert case.clocks["first_reply"].reminded
    assert domain.decide_remind(case, "first_reply", utc(2026, 11, 27, 3)) == []


@pytest.mark.parametrize("now", [DUE_27, utc(2026, 11, 30)], ids=["at-due", "after-due"])
def test_never_remind_of_a_deadline_already_due(now: datetime) -> None:
    case = story()
    assert domain.decide_remind(case, "first_reply", now) == []


def test_no_reminder_for_an_unknown_or_met_clock() -> None:
    case = delivered()
    assert domain.decide_remind(case, "first_reply", REMIND_26) == []
    assert domain.decide_remind(case, "investigation:radiology", REMIND_26) == []


# -- the deadline engine: breaches -----------------------------------------------------------------------------


def test_breach_only_once_the_deadline_is_due() -> None:
    case = story()
    assert domain.decide_breach(case, "first_reply", utc(2026, 11, 27, 15, 59, 59)) == []
    decision = checked(domain.decide_breach(case, "first_reply", DUE_27))
    assert decision == [
        (
            "DeadlineBreached",
            {
                "complaint_id": CID,
                "campus": "east",
                "deadline": FIRST_REPLY_5,
                "breached_at": "2026-11-27T16:00:00Z",
                "actor": SYSTEM,
            },
        )
    ]


def test_breach_exactly_once() -> None:
    case = story()
    act(case, domain.decide_breach(case, "first_reply", utc(2026, 11, 28)), utc(2026, 11, 28))
    clock = case.clocks["first_reply"]
    assert (clock.status, clock.breached_at) == (domain.D_BREACHED, "2026-11-27T16:00:00Z")
    assert domain.decide_breach(case, "first_reply", utc(2026, 11, 29)) == []
    assert case.overdue(utc(2026, 11, 29))


def test_no_breach_for_a_met_clock() -> None:
    case = delivered()
    assert domain.decide_breach(case, "first_reply", utc(2026, 12, 1)) == []
    assert domain.decide_breach(case, "investigation:cardiology", utc(2026, 12, 1)) == []
    assert domain.decide_breach(case, "investigation:radiology", utc(2026, 12, 1)) == []
    assert not case.overdue(utc(2026, 12, 1))


# -- the deadline engine: provisional deadlines ----------------------------------------------------------------

# Received Mon 2026-12-28: Tue 29 (1), Wed 30 (2), Thu 31 (3); 2027 is unknown to chinesecalendar 1.11.0, so the
# fallback skips Fri Jan 1 (fixed-date holiday) and the weekend: Mon Jan 4 (4), Tue Jan 5 (5) — provisional.
LATE_DECEMBER = cst(2026, 12, 28)
PROVISIONAL_REPLY = deadline("first_reply", "2027-01-05", "2027-01-05T16:00:00Z", 5, provisional=True)
# An announced 2027 schedule (campus config). With only New Year's Day off the date stays; with Mon Jan 4 also
# off (a made-up schedule) it moves to Wed Jan 6.
CAL_2027 = calendar_from_config(
    "east", {"timezone": "Asia/Shanghai", "announced_years": {"2027": {"holidays": ["2027-01-01"]}}}
)
CAL_2027_LONGER = calendar_from_config(
    "east",
    {
        "timezone": "Asia/Shanghai",
        "announced_years": {"2027": {"holidays": ["2027-01-01", "2027-01-04"], "workdays": []}},
    },
)


def test_a_late_december_deadline_is_provisional() -> None:
    case = story(at=LATE_DECEMBER)
    assert case.clocks["first_reply"].due == PROVISIONAL_REPLY
    assert case.clocks["investigation:cardiology"].due["provisional"] is True
    assert case.provisional()


def test_recompute_with_the_plain_calendar_decides_nothing() -> None:
    case = story(at=LATE_DECEMBER)
    assert domain.decide_recompute(case, "first_reply", CAL, POLICY) == []
    assert domain.decide_recompute(case, "investigation:cardiology", CAL, POLICY) == []


def test_recompute_with_the_announced_year_confirms_the_deadline() -> None:
    case = story(at=LATE_DECEMBER)
    act(case, domain.decide_remind(case, "first_reply", utc(2027, 1, 4, 16)), utc(2027, 1, 4, 16))
    decision = act(case, domain.decide_recompute(case, "first_reply", CAL_2027, POLICY), utc(2027, 1, 5), CAL_2027)
    confirmed = deadline("first_reply", "2027-01-05", "2027-01-05T16:00:00Z", 5, cal=CAL_2027)
    assert decision == [
        (
            "DeadlineRescheduled",
            {
                "complaint_id": CID,
                "campus": "east",
                "previous": PROVISIONAL_REPLY,
                "current": confirmed,
                "reason": "calendar_updated",
                "actor": SYSTEM,
            },
        )
    ]
    clock = case.clocks["first_reply"]
    assert (clock.due, clock.reminded) == (confirmed, True)  # same moment: the reminder already sent still counts
    assert domain.decide_recompute(case, "first_reply", CAL_2027, POLICY) == []
    assert not case.clocks["first_reply"].due["provisional"]


def test_recompute_that_moves_the_deadline_resets_its_reminder() -> None:
    case = story(at=LATE_DECEMBER)
    act(case, domain.decide_remind(case, "investigation:cardiology", utc(2027, 1, 4, 16)), utc(2027, 1, 4, 16))
    decision = act(
        case,
        domain.decide_recompute(case, "investigation:cardiology", CAL_2027_LONGER, POLICY),
        utc(2027, 1, 4, 17),
        CAL_2027_LONGER,
    )
    moved = deadline("investigation", "2027-01-06", "2027-01-06T16:00:00Z", 5, "cardiology", cal=CAL_2027_LONGER)
    assert decision[0][1]["current"] == moved
    assert decision[0][1]["reason"] == "calendar_updated"
    clock = case.clocks["investigation:cardiology"]
    # Reminded again 1 working day before Wed Jan 6th: at the end of Tue Jan 5th.
    assert (clock.due, clock.reminded, clock.remind_at) == (moved, False, "2027-01-05T16:00:00+00:00")


def test_recompute_ignores_a_deadline_that_is_not_provisional() -> None:
    case = story()
    assert domain.decide_recompute(case, "first_reply", CAL_2027, POLICY) == []


# -- policy limits and moot requests ------------------------------------------------------------------------------


def test_an_extension_longer_than_the_campus_allows_is_invalid_naming_the_field() -> None:
    case = story()
    with pytest.raises(InvalidField) as invalid:
        domain.decide_request_extension(
            case,
            schemas.RequestExtension("cardiology", "why", POLICY["extension_max_days"] + 1, EXT),
            ctx(WED_25, LIAISON, policy=POLICY),
        )
    assert list(invalid.value.errors) == ["requested_days"] and "at most 5" in str(invalid.value)
    assert types(request_extension(case, days=POLICY["extension_max_days"])) == ["ExtensionRequested"]


@pytest.mark.parametrize("status", [domain.WITHDRAWN, domain.RESOLVED_ON_SPOT, domain.NOT_ACCEPTED])
def test_a_pending_extension_cannot_be_decided_once_the_case_ended(status: str) -> None:
    case = story()
    request_extension(case)
    intake_event = {
        "withdrawn": ("ComplaintWithdrawn", {"withdrawn_at": rfc3339(THU_26)}),
        "resolved_on_spot": (
            "ComplaintResolvedOnSpot",
            {"resolved_at": rfc3339(THU_26), "resolved_by": "desk-7", "resolution": "refunded"},
        ),
        "not_accepted": (
            "ComplaintNotAccepted",
            {"reason": "litigation", "route_advice": "the court", "decided_at": rfc3339(THU_26)},
        ),
    }[status]
    external(case, *intake_event, THU_26)
    with refused(status, "cannot decide on an extension"):
        domain.decide_extension(case, schemas.DecideExtension(True, None, EXT), ctx(THU_26, OFFICER, CAL, POLICY))


def test_findings_make_a_pending_extension_moot() -> None:
    case = story()
    request_extension(case)
    findings(case, now=cst(2026, 11, 25, 16))
    clock = case.clocks["investigation:cardiology"]
    assert clock.status == domain.D_MET and not clock.on_hold
    assert case.extensions[EXT]["status"] == "superseded"
    with refused("open", "the extension was already superseded"):
        domain.decide_extension(case, schemas.DecideExtension(True, None, EXT), ctx(THU_26, OFFICER, CAL, POLICY))


# -- issue 12: extensions, late letters, withdrawn breaches ------------------------------------------------------


def test_two_extensions_on_two_departments_move_the_first_reply_as_far_as_the_furthest_not_by_their_sum() -> None:
    case = story(("cardiology", "radiology"))  # investigations due Fri 27th, first reply (10 days) Fri Dec 4th
    request_extension(case, "cardiology", days=3, now=cst(2026, 11, 25))
    decide_extension(case, granted=True, now=cst(2026, 11, 26))
    thirteen = deadline("first_reply", "2026-12-09", "2026-12-09T16:00:00Z", 13)  # Mon 7, Tue 8, Wed 9
    assert case.clocks["first_reply"].due == thirteen
    request_extension(case, "radiology", days=3, now=cst(2026, 11, 26, 11), extension_id=EXT2)
    decision = decide_extension(case, granted=True, now=cst(2026, 11, 26, 12), extension_id=EXT2)
    # Radiology moved as far as cardiology did: the first reply already waits that long (not 16 days).
    assert types(decision) == ["ExtensionGranted"]
    assert case.clocks["investigation:radiology"].due == deadline(
        "investigation", "2026-12-02", "2026-12-02T16:00:00Z", 8, "radiology"
    )
    assert case.clocks["first_reply"].due == thirteen
    # Cardiology asks 2 more (5 in all): the furthest now moved 5, and so does the first reply.
    second = "0e1d2c3b-4a59-4687-9a6b-5c4d3e2f1a02"
    request_extension(case, "cardiology", days=2, now=cst(2026, 11, 30), extension_id=second)
    decision = decide_extension(case, granted=True, now=cst(2026, 11, 30, 12), extension_id=second)
    assert types(decision) == ["ExtensionGranted", "DeadlineRescheduled"]
    # 15 working days from Fri Nov 20th: Fri Dec 4th (10), Mon 7 … Fri 11 (15).
    assert decision[1][1]["previous"] == thirteen
    assert decision[1][1]["current"] == deadline("first_reply", "2026-12-11", "2026-12-11T16:00:00Z", 15)
    assert case.clocks["first_reply"].extended_days == 5


# The 2027 schedule as a campus might announce it: Jan 1 and Mon Jan 4 off, Sat Jan 9 a make-up working day.
CAL_2027_MAKE_UP = calendar_from_config(
    "east",
    {
        "timezone": "Asia/Shanghai",
        "announced_years": {"2027": {"holidays": ["2027-01-01", "2027-01-04"], "workdays": ["2027-01-09"]}},
    },
)


def test_an_extension_counts_a_fallback_based_deadline_again_with_the_calendar_now_known() -> None:
    case = story(at=LATE_DECEMBER)  # Mon 2026-12-28: both deadlines Tue Jan 5th, provisional (fallback)
    request_extension(case, days=3, now=cst(2026, 12, 30))
    # The 2027 schedule arrives before the decision (and before any recompute pass).
    decision = act(
        case,
        domain.decide_extension(
            case, schemas.DecideExtension(True, None, EXT), ctx(cst(2026, 12, 31), OFFICER, CAL_2027_MAKE_UP, POLICY)
        ),
        cst(2026, 12, 31),
        CAL_2027_MAKE_UP,
    )
    # 8 working days from Dec 28th by the real 2027: Dec 29, 30, 31, Jan 5, 6, 7, 8, Sat 9 — not Jan 8th.
    assert decision[0][1]["deadline"] == deadline(
        "investigation", "2027-01-09", "2027-01-09T16:00:00Z", 8, "cardiology", cal=CAL_2027_MAKE_UP
    )
    assert decision[1][1]["current"] == deadline(
        "first_reply", "2027-01-09", "2027-01-09T16:00:00Z", 8, cal=CAL_2027_MAKE_UP
    )


def test_an_extension_of_a_provisional_deadline_stays_provisional_while_the_year_is_unknown() -> None:
    case = story(at=LATE_DECEMBER)
    request_extension(case, days=3, now=cst(2026, 12, 30))
    decision = decide_extension(case, granted=True, now=cst(2026, 12, 31))
    # Fallback: Dec 29, 30, 31, (Jan 1 off), Jan 4, 5, 6, 7, 8.
    assert decision[0][1]["deadline"] == deadline(
        "investigation", "2027-01-08", "2027-01-08T16:00:00Z", 8, "cardiology", provisional=True
    )
    assert case.provisional()


def test_a_department_named_when_a_late_letter_is_registered_counts_from_the_registration() -> None:
    # A letter received Fri Nov 20th, registered six days later (Thu Nov 26th, 10:00) naming cardiology.
    data = received(departments=["cardiology"], registered_at=rfc3339(THU_26))
    case = domain.new_case(data)
    opened = act(case, domain.decide_open(data, CAL, POLICY), THU_26)[0][1]
    assert opened["first_reply"] == FIRST_REPLY_5  # the first reply still counts from receipt
    # Investigation: Fri 27 (1), Mon 30, Tue 1, Wed 2, Thu 3 (5) — not "due tomorrow".
    inv = deadline("investigation", "2026-12-03", "2026-12-03T16:00:00Z", 5, "cardiology")
    assert opened["investigations"] == [inv] and opened["assigned_at"] == "2026-11-26T02:00:00Z"
    assert case.clocks["investigation:cardiology"].started_at == "2026-11-26T02:00:00Z"
    assert case.clocks["first_reply"].started_at == "2026-11-20T02:00:00Z"
    assert case.assignments["cardiology"]["assigned_at"] == "2026-11-26T02:00:00Z"
    # An extension counts from there too: +2 → Fri Dec 4th, Mon Dec 7th.
    request_extension(case, days=2, now=cst(2026, 12, 1))
    granted = decide_extension(case, granted=True, now=cst(2026, 12, 1, 12))
    assert granted[0][1]["deadline"] == deadline("investigation", "2026-12-07", "2026-12-07T16:00:00Z", 7, "cardiology")


@pytest.mark.parametrize("registered_at", ["2026-11-20T02:00:00Z", "2026-11-19T02:00:00Z"])
def test_a_complaint_registered_on_receipt_counts_its_investigations_from_receipt(registered_at: str) -> None:
    data = received(departments=["cardiology"], registered_at=registered_at)
    opened = domain.decide_open(data, CAL, POLICY)[0][1]
    assert opened["investigations"] == [investigation_27("cardiology")]
    assert opened["assigned_at"] == "2026-11-20T02:00:00Z"


def breached_late_december() -> Case:
    """Received Mon 2026-12-28: both provisional deadlines (Tue Jan 5th by the fallback) breached."""
    case = story(at=LATE_DECEMBER)
    at = utc(2027, 1, 5, 16)
    for key in ("first_reply", "statutory_feedback", "investigation:cardiology"):
        act(case, domain.decide_breach(case, key, at), at)
    assert {c.status for c in case.clocks.values()} == {domain.D_BREACHED}
    return case


def test_a_premature_breach_of_a_provisional_deadline_is_withdrawn_once_the_real_calendar_knows() -> None:
    case = breached_late_december()
    now = utc(2027, 1, 6, 1)  # Wed Jan 6th 09:00 CST; by the real 2027 (Jan 4th off) the deadlines end that day
    decision = act(
        case,
        domain.decide_recheck_breach(case, "investigation:cardiology", now, CAL_2027_MAKE_UP, POLICY),
        now,
        CAL_2027_MAKE_UP,
    )
    real = deadline("investigation", "2027-01-06", "2027-01-06T16:00:00Z", 5, "cardiology", cal=CAL_2027_MAKE_UP)
    assert decision == [
        (
            "DeadlineBreachWithdrawn",
            {
                "complaint_id": CID,
                "campus": "east",
                "deadline": deadline(
                    "investigation", "2027-01-05", "2027-01-05T16:00:00Z", 5, "cardiology", provisional=True
                ),
                "current": real,
                "breached_at": "2027-01-05T16:00:00Z",
                "withdrawn_at": "2027-01-06T01:00:00Z",
                "reason": "calendar_updated",
                "actor": SYSTEM,
            },
        )
    ]
    clock = case.clocks["investigation:cardiology"]
    assert (clock.status, clock.breached_at, clock.due, clock.reminded) == (domain.D_OPEN, None, real, False)
    assert clock.remind_at == "2027-01-05T16:00:00+00:00"  # end of Tue Jan 5th
    # Exactly once: nothing more to withdraw; the clock runs and breaches against the real deadline.
    assert domain.decide_recheck_breach(case, "investigation:cardiology", now, CAL_2027_MAKE_UP, POLICY) == []
    assert domain.decide_recompute(case, "investigation:cardiology", CAL_2027_MAKE_UP, POLICY) == []
    assert domain.decide_breach(case, "investigation:cardiology", utc(2027, 1, 6, 15)) == []
    assert types(domain.decide_breach(case, "investigation:cardiology", utc(2027, 1, 6, 16))) == ["DeadlineBreached"]


def test_a_breach_the_real_calendar_confirms_stands_and_its_deadline_is_made_final() -> None:
    case = breached_late_december()
    now = utc(2027, 1, 7)  # after the end of Wed Jan 6th: it was breached after all
    decision = act(
        case, domain.decide_recheck_breach(case, "first_reply", now, CAL_2027_MAKE_UP, POLICY), now, CAL_2027_MAKE_UP
    )
    assert types(decision) == ["DeadlineRescheduled"] and decision[0][1]["reason"] == "calendar_updated"
    assert decision[0][1]["current"] == deadline(
        "first_reply", "2027-01-06", "2027-01-06T16:00:00Z", 5, cal=CAL_2027_MAKE_UP
    )
    clock = case.clocks["first_reply"]
    assert clock.status == domain.D_BREACHED and not clock.due["provisional"]
    assert domain.decide_recheck_breach(case, "first_reply", now, CAL_2027_MAKE_UP, POLICY) == []


def test_a_breach_is_not_withdrawn_on_a_better_guess_only() -> None:
    case = breached_late_december()
    assert domain.decide_recheck_breach(case, "first_reply", utc(2027, 1, 6), CAL, POLICY) == []
    met = story()
    assert domain.decide_recheck_breach(met, "first_reply", utc(2026, 11, 21), CAL_2027_MAKE_UP, POLICY) == []


@pytest.mark.parametrize(
    ("received_at", "last_day"),
    [
        ("2026-11-19T15:59:00Z", "2026-11-26"),  # Thu 23:59 in Shanghai: counting starts Fri 20th
        ("2026-11-19T16:30:00Z", "2026-11-27"),  # Fri 00:30 in Shanghai (still Thursday in UTC): from Mon 23rd
    ],
)
def test_deadlines_count_from_the_campus_day_of_receipt_not_the_utc_day(received_at: str, last_day: str) -> None:
    data = received(received_at=received_at, registered_at=received_at)
    opened = domain.decide_open(data, CAL, POLICY)[0][1]
    assert opened["first_reply"]["last_day"] == last_day
    assert opened["investigations"][0]["last_day"] == last_day
    assert opened["first_reply"]["due_at"] == f"{last_day}T16:00:00Z"


# -- investigation's own record of other services' events (issue 13: the case rebuilt from its own log) --------

CAUSE = "3f1c2b4a-6d5e-4f70-8a9b-0c1d2e3f4a5b"


def test_the_opening_alone_starts_the_same_case_as_intake_s_received_complaint() -> None:
    for overrides in ({}, {"has_contact": False}, {"anonymous": True}, {"severity": "major"}):
        data = received(**overrides)
        decision = checked(domain.decide_open(data, CAL, POLICY))
        from_intake = fold(domain.new_case(data), decision, RECEIVED)
        from_own_log = fold(domain.case_from_opening(decision[0][1]), decision, RECEIVED)
        assert from_own_log == from_intake


@pytest.mark.parametrize(
    ("cause_type", "cause", "status"),
    [
        (
            "ComplaintResolvedOnSpot",
            {
                "resolved_at": "2026-11-20T03:00:00Z",
                "resolved_by": "desk-7",
                "resolution": "bill corrected at the desk",
            },
            domain.RESOLVED_ON_SPOT,
        ),
        (
            "ComplaintNotAccepted",
            {"reason": "litigation", "route_advice": "the court hears it", "decided_at": "2026-11-20T03:00:00Z"},
            domain.NOT_ACCEPTED,
        ),
        ("ComplaintWithdrawn", {"withdrawn_at": "2026-11-20T03:00:00Z"}, domain.WITHDRAWN),
    ],
)
def test_an_end_by_intake_is_a_case_ended_folding_as_intake_s_event_did(
    cause_type: str, cause: dict[str, Any], status: str
) -> None:
    case, old_way = story(), story()
    decision = act(case, domain.decide_ended(case, cause_type, cause, CAUSE), SAME_DAY)
    assert decision == [
        (
            "CaseEnded",
            {
                "complaint_id": CID,
                "campus": "east",
                "reason": status,
                "ended_at": "2026-11-20T03:00:00Z",
                "cause_id": CAUSE,
                "actor": SYSTEM,
            },
        )
    ]
    external(old_way, cause_type, cause, SAME_DAY)
    assert case == old_way and case.status == status
    assert {c.status for c in case.clocks.values()} == {domain.D_STOPPED}


def test_a_reclassification_by_intake_is_a_case_reclassified() -> None:
    case, old_way = story(), story()
    previous = {"category": "billing", "severity": "normal", "departments": ["cardiology"], "campuses": ["east"]}
    current = {
        "category": "medical_quality",
        "severity": "major",
        "departments": ["cardiology"],
        "campuses": ["east", "west"],
    }
    cause = {"previous": previous, "current": current, "reclassified_at": "2026-11-20T03:00:00Z"}
    decision = act(case, domain.decide_classification(case, cause, CAUSE), SAME_DAY)
    assert types(decision) == ["CaseReclassified"] and decision[0][1]["cause_id"] == CAUSE
    external(old_way, "ComplaintReclassified", cause, SAME_DAY)
    assert case == old_way
    assert (case.category, case.severity, case.campuses) == ("medical_quality", "major", ["east", "west"])


def test_a_delivery_of_this_round_s_reply_is_recorded_on_the_case_and_meets_the_first_reply() -> None:
    case, old_way = replied(), replied()
    decision = act(case, domain.decide_reply_delivered(case, REPLY, rfc3339(THU_26_PM), CAUSE), THU_26_PM)
    assert types(decision) == ["ReplyDeliveryRecorded"]
    reply_sent(old_way)
    assert case == old_way and case.clocks["first_reply"].status == domain.D_MET
    assert domain.decide_reply_delivered(case, EXT, rfc3339(THU_26_PM), CAUSE) == []  # not a reply of this round


def test_a_failed_delivery_of_this_round_s_reply_is_recorded_on_the_case() -> None:
    case, old_way = replied(), replied()
    decision = act(case, domain.decide_reply_failed(case, REPLY, rfc3339(THU_26_PM), CAUSE), THU_26_PM)
    assert types(decision) == ["ReplyDeliveryFailed"]
    reply_failed(old_way)
    assert case == old_way and case.replies[REPLY]["failed"] is True
    assert domain.decide_reply_failed(case, None, rfc3339(THU_26_PM), CAUSE) == []
    assert domain.decide_reply_failed(case, EXT, rfc3339(THU_26_PM), CAUSE) == []


# -- overdue: one definition ------------------------------------------------------------------------------------


def test_an_overdue_deadline_is_breached_or_open_and_due_but_never_while_on_hold() -> None:
    due = DUE_27
    assert domain.deadline_overdue(domain.D_BREACHED, False, due, utc(2026, 11, 20))
    assert domain.deadline_overdue(domain.D_OPEN, False, due, due)  # at due_at it is due
    assert not domain.deadline_overdue(domain.D_OPEN, False, due, utc(2026, 11, 27, 15, 59))
    assert not domain.deadline_overdue(domain.D_OPEN, True, due, utc(2026, 11, 30))  # awaiting the office
    assert not domain.deadline_overdue(domain.D_MET, False, due, utc(2026, 11, 30))
    assert "NOT d.on_hold" in domain.OVERDUE_SQL and "'breached'" in domain.OVERDUE_SQL


def test_a_case_is_not_overdue_while_its_only_due_deadline_awaits_an_extension_decision() -> None:
    case = story(departments=("cardiology", "nursing"))  # two departments: the first reply is due on Dec 4th
    findings(case, "nursing")
    request_extension(case)  # asked on Wed 25th: cardiology's clock, due on the 27th, is held
    past_due = utc(2026, 11, 28)
    assert case.clocks["investigation:cardiology"].on_hold and case.clocks["investigation:cardiology"].due_at < past_due
    assert not case.overdue(past_due)  # as GET /cases/<id> and GET /cases?overdue= count it
    decide_extension(case, granted=False, now=cst(2026, 11, 28))
    assert case.overdue(past_due)


# -- allowed actions --------------------------------------------------------------------------------------------

CARDIOLOGY_LIAISON = ("department_liaison", "cardiology")
NURSING_LIAISON = ("department_liaison", "nursing")
OFFICE = ("complaint_officer", None)


def allowed(case: Case, who: tuple[str, str | None], now: datetime = WED_25) -> set[str]:
    role, department = who
    found = domain.allowed_actions(case, role, department, DEPARTMENTS, now)
    assert found == [a for a in domain.ACTIONS if a in found]  # in the API's order, once each
    return set(found)


def test_the_office_on_an_open_case() -> None:
    assert allowed(story(), OFFICE) == {
        "assign",
        "request_extension",
        "submit_findings",
        "issue_reply",  # offered while findings are awaited: the 409 says which
        "issue_feedback",
        "escalate",
        "order_rectification",
        "record_dispute",
    }
    every_department = story(departments=DEPARTMENTS)
    assert "assign" not in allowed(every_department, OFFICE)


def test_a_liaison_acts_only_for_their_department_and_only_while_it_investigates() -> None:
    case = story(departments=("cardiology", "nursing"))
    assert allowed(case, CARDIOLOGY_LIAISON) == {"request_extension", "submit_findings"}
    findings(case)
    assert allowed(case, CARDIOLOGY_LIAISON) == set()
    assert allowed(case, NURSING_LIAISON) == {"request_extension", "submit_findings"}
    assert allowed(story(), NURSING_LIAISON) == set()


def test_an_extension_is_offered_only_before_the_deadline_and_not_while_one_is_pending() -> None:
    case = story()
    assert "request_extension" not in allowed(case, CARDIOLOGY_LIAISON, now=utc(2026, 11, 27, 17))
    request_extension(case)
    assert "request_extension" not in allowed(case, CARDIOLOGY_LIAISON)
    assert "decide_extension" in allowed(case, OFFICE)
    assert "decide_extension" not in allowed(case, CARDIOLOGY_LIAISON)
    decide_extension(case, granted=False)
    assert "decide_extension" not in allowed(case, OFFICE)


def test_replied_closed_and_ended_states() -> None:
    case = replied()
    assert allowed(case, OFFICE) == {"follow_up", "close", "escalate", "order_rectification", "record_dispute"}
    act(case, domain.decide_escalate(case, schemas.Escalate("press"), ctx(THU_26)), THU_26)
    assert allowed(case, OFFICE) == {"follow_up", "close", "order_rectification", "record_dispute"}
    assert allowed(closed(), OFFICE) == {"reopen", "record_dispute"}
    assert allowed(closed(), CARDIOLOGY_LIAISON) == set()
    assert allowed(resolved_on_spot(story()), OFFICE) == {"reopen", "record_dispute"}


def test_rectifications_and_disputes_in_any_state() -> None:
    case = delivered()
    order_rectification(case)
    now = cst(2026, 12, 1)
    act(case, domain.decide_dispute(case, schemas.RecordDispute("mediation", None, DISPUTE), ctx(now)), now)
    assert allowed(case, CARDIOLOGY_LIAISON) == {"complete_rectification"}
    assert {"complete_rectification", "settle_dispute"} <= allowed(case, OFFICE)
    assert allowed(case, NURSING_LIAISON) == set()
    act(case, domain.decide_settle(case, schemas.SettleDispute(Decimal("10.00"), "CNY", DISPUTE), ctx(now)), now)
    assert "settle_dispute" not in allowed(case, OFFICE)


def test_readers_may_take_no_action() -> None:
    for role in ("leadership", "auditor", "first_contact"):
        assert allowed(story(), (role, None)) == set()


def test_every_allowed_action_is_an_operation_of_the_service() -> None:
    from scripts.contracts import http_entrypoints
    from services.investigation.service import Service

    case_actions = {
        name
        for name, _fn, entrypoint in http_entrypoints(Service)
        if entrypoint.method == "POST" and entrypoint.url.startswith("/cases/")
    }
    assert set(domain.ACTIONS) == case_actions


# -- replies given by phone or in person (CONTRACT §13) -------------------------------------------------------


def test_a_reply_given_by_phone_says_when_and_by_whom_and_its_delivery_stops_both_clocks() -> None:
    case = story()
    findings(case)
    given = cst(2026, 11, 26, 10)
    command = schemas.IssueReply(OFFICER, "called back", "apology", "phone", REPLY, given, OFFICER)
    [(event_type, data)] = act(case, domain.decide_reply(case, command, ctx(THU_26, OFFICER)), THU_26)
    assert event_type == "ReplyIssued"
    assert (data["channel_preference"], data["delivered_at"], data["delivered_by"]) == (
        "phone",
        "2026-11-26T02:00:00Z",
        OFFICER,
    )
    external(
        case,
        "ReplySent",
        {"reply_id": REPLY, "notification_id": NOTIFICATION, "channel": "phone", "sent_at": data["delivered_at"]},
        THU_26,
    )
    assert case.clocks["first_reply"].status == domain.D_MET
    assert case.clocks["statutory_feedback"].status in (domain.D_MET, domain.D_MET_LATE)


def _reply_body(**extra: Any) -> dict[str, Any]:
    return {"contact_person": OFFICER, "actions_taken": "called back", "result": "apology", **extra}


@pytest.mark.parametrize("schema", [schemas.Reply, schemas.Feedback])
@pytest.mark.parametrize("channel", ["phone", "in_person"])
def test_a_reply_by_phone_or_in_person_without_when_and_who_is_refused_naming_each(schema: Any, channel: str) -> None:
    body = _reply_body() if schema is schemas.Reply else {"contact_person": OFFICER, "progress": "p", "next_steps": "n"}
    with pytest.raises(Exception) as refused:
        schema().load({**body, "channel_preference": channel})
    assert set(refused.value.messages) == {"delivered_at", "delivered_by"}  # type: ignore[attr-defined]
    loaded = schema().load(
        {**body, "channel_preference": channel, "delivered_at": "2026-11-26T10:00:00+08:00", "delivered_by": OFFICER}
    )
    assert loaded.delivered_by == OFFICER and loaded.delivered_at == cst(2026, 11, 26, 10)


def test_when_and_who_belong_to_a_reply_given_by_the_office_only_and_not_in_the_future() -> None:
    with pytest.raises(Exception) as refused:
        schemas.Reply().load({**_reply_body(), "channel_preference": "email", "delivered_by": OFFICER})
    assert set(refused.value.messages) == {"delivered_by"}  # type: ignore[attr-defined]
    future = rfc3339(datetime.now(UTC).replace(year=datetime.now(UTC).year + 1))
    with pytest.raises(Exception) as refused:
        schemas.Reply().load(
            {**_reply_body(), "channel_preference": "phone", "delivered_at": future, "delivered_by": OFFICER}
        )
    assert refused.value.messages == {"delivered_at": ["lies in the future"]}  # type: ignore[attr-defined]
