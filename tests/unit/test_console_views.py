"""The console's view models: deadline urgency, the worklist's rows, order and filters, the timeline merged
from three services' logs, the actions each role may take in each state, and the API's field errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.console import views
from services.intake import domain as intake_domain
from services.investigation import domain
from shared import auth
from shared.auth import AUDITOR, FIRST_CONTACT, LEADERSHIP, LIAISON, OFFICER, Principal

#: who may take intake's actions, as intake's endpoints declare them (services/intake/service.py ACTION_ROLES)
INTAKE_ROLES = {
    intake_domain.RESOLVE_ON_SPOT: auth.COMPLAINT_REGISTRARS,
    intake_domain.NOT_ACCEPT: auth.COMPLAINT_OFFICERS,
    intake_domain.WITHDRAW: auth.COMPLAINT_OFFICERS,
    intake_domain.RECLASSIFY: auth.COMPLAINT_OFFICERS,
    intake_domain.ERASURE: auth.ERASURE_REQUESTERS,
    intake_domain.CORRECT_CONTACT: auth.COMPLAINT_REGISTRARS,
}


def intake_answer(who, complaint, erased=False, held=False):
    """The complaint as intake's GET answers ``who``: with the actions intake offers them (another campus's
    complaint: none, intake answers 404)."""
    if not who.covers(complaint["campus"]):
        return None
    offers = intake_domain.offered(complaint["status"], erased, held, who.role, INTAKE_ROLES)
    return {**complaint, "allowed_actions": offers}


NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def deadline(
    key="first_reply",
    kind="first_reply",
    due=timedelta(days=3),
    remind=timedelta(days=2),
    status="open",
    on_hold=False,
    provisional=False,
    department=None,
):
    return {
        "key": key,
        "kind": kind,
        "department": department,
        "due_at": (NOW + due).isoformat(),
        "remind_at": (NOW + remind).isoformat(),
        "last_day": "2026-11-26",
        "working_days": 5,
        "status": status,
        "on_hold": on_hold,
        "provisional": provisional,
        "calendar_version": "cn@x",
        "policy_version": "policy@y",
    }


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (deadline(), views.RUNNING),
        (deadline(remind=-timedelta(hours=1)), views.DUE_SOON),  # the reminder is due: 1 working day
        (deadline(due=-timedelta(minutes=1), remind=-timedelta(days=1)), views.OVERDUE),
        (deadline(due=timedelta(0)), views.OVERDUE),  # due at 24:00 means over at 24:00
        (deadline(status="breached", due=timedelta(days=2)), views.OVERDUE),  # breached stays overdue until met
        (deadline(on_hold=True, remind=-timedelta(hours=1)), views.ON_HOLD),  # an extension awaits a decision
        (deadline(on_hold=True, due=-timedelta(hours=1)), views.ON_HOLD),  # on hold: no breach while pending
    ],
)
def test_urgency_of_a_deadline(given, expected):
    assert views.urgency(given, NOW) == expected


def case(complaint_id="c1", reference="EAST-2026-000001", status="open", received=timedelta(days=-1), **more):
    return {
        "complaint_id": complaint_id,
        "reference": reference,
        "campus": "east",
        "departments": ["cardiology"],
        "status": status,
        "category": "billing",
        "severity": "normal",
        "escalated": False,
        "provisional": False,
        "received_at": (NOW + received).isoformat(),
        **more,
    }


def test_a_row_shows_only_running_deadlines_soonest_first_with_the_worst_urgency():
    detail = {
        "deadlines": [
            deadline("investigation:cardiology", "investigation", due=timedelta(days=5), department="cardiology"),
            deadline(due=timedelta(days=1), remind=-timedelta(hours=2)),
            deadline("rectification:r", "rectification", status="met"),
        ]
    }
    row = views.case_row(case(), detail, NOW)
    assert [d.key for d in row.deadlines] == ["first_reply", "investigation:cardiology"]
    assert row.urgency == views.DUE_SOON and row.next_due == NOW + timedelta(days=1)
    assert views.case_row(case(), None, NOW).urgency == views.NO_DEADLINE  # its detail could not be read


def test_a_provisional_running_deadline_flags_the_row():
    row = views.case_row(case(), {"deadlines": [deadline(provisional=True)]}, NOW)
    assert row.provisional and row.deadlines[0].provisional
    met = views.case_row(case(), {"deadlines": [deadline(provisional=True, status="met")]}, NOW)
    assert not met.provisional


def test_rows_sort_by_urgency_then_deadline_and_filter_by_urgency_and_provisional():
    rows = [
        views.case_row(
            case("a", "A", received=-timedelta(days=3)), {"deadlines": [deadline(due=timedelta(days=4))]}, NOW
        ),
        views.case_row(
            case("b", "B", received=-timedelta(days=1)),
            {"deadlines": [deadline(due=-timedelta(hours=1), provisional=True)]},
            NOW,
        ),
        views.case_row(
            case("c", "C", received=-timedelta(days=2)),
            {"deadlines": [deadline(due=timedelta(days=1), remind=-timedelta(hours=1))]},
            NOW,
        ),
        views.case_row(case("d", "D", status="replied", received=-timedelta(hours=1)), {"deadlines": []}, NOW),
    ]
    assert [r.reference for r in views.sort_rows(rows)] == ["B", "C", "A", "D"]
    assert [r.reference for r in views.sort_rows(rows, "urgency", descending=True)] == ["D", "A", "C", "B"]
    assert [r.reference for r in views.sort_rows(rows, "next_due")] == ["B", "C", "A", "D"]
    assert [r.reference for r in views.sort_rows(rows, "received", descending=True)] == ["D", "B", "C", "A"]
    assert [r.reference for r in views.filter_rows(rows, views.OVERDUE)] == ["B"]
    assert [r.reference for r in views.filter_rows(rows, provisional=True)] == ["B"]
    assert [r.reference for r in views.filter_rows(rows, provisional=False)] == ["A", "C", "D"]
    assert views.counts(rows) == {views.OVERDUE: 1, views.DUE_SOON: 1}


def event(source_time, event_type, subject="c1", sequence=1, **data):
    return {"type": event_type, "subject": subject, "time": source_time, "sequence": sequence, "data": data}


def test_the_timeline_merges_three_logs_in_time_then_cause_order_for_one_complaint_only():
    at = "2026-11-23T06:00:00Z"
    actor = {"id": "east-office-head", "role": "complaint_officer"}
    policy = {
        "kind": "first_reply",
        "department": None,
        "due_at": "2026-11-30T16:00:00Z",
        "last_day": "2026-11-30",
        "provisional": False,
        "calendar_version": "cn-statutory@1",
        "policy_version": "policy@abc",
        "working_days": 5,
    }
    logs = {
        "notification": [event("2026-11-23T06:05:00Z", "ReplySent", sequence=9, channel="sms")],
        "investigation": [
            event(
                at,
                "InvestigationOpened",
                sequence=3,
                departments=["cardiology"],
                first_reply=policy,
                investigations=[],
                actor={"id": "system", "role": "system"},
            ),
            event(
                "2026-11-23T06:04:00Z",
                "ReplyIssued",
                sequence=7,
                contact_person="x",
                actions_taken="a",
                result="r",
                actor=actor,
            ),
            event(at, "ReplyIssued", subject="other", sequence=4),
        ],
        "intake": [
            event(
                at,
                "ComplaintReceived",
                sequence=12,
                reference="EAST-2026-000001",
                channel="phone",
                departments=[],
                actor=actor,
            )
        ],
    }
    entries = views.timeline(logs, "c1")
    assert [e.type for e in entries] == ["ComplaintReceived", "InvestigationOpened", "ReplyIssued", "ReplySent"]
    assert entries[0].actor == actor and entries[0].source == "intake"
    assert entries[1].deadlines[0]["policy_version"] == "policy@abc"
    assert entries[1].deadlines[0]["calendar_version"] == "cn-statutory@1"
    received = {d.field: (d.value, d.group) for d in entries[0].details}
    assert received["channel"] == ("phone", "channel") and "departments" not in received  # empty: left out
    assert [(d.field, d.value, d.group) for d in entries[3].details] == [("channel", "sms", "notification_channel")]


def test_reason_codes_are_named_by_the_event_they_belong_to():
    reopened = views.timeline(
        {"investigation": [event("2026-11-23T06:00:00Z", "ComplaintReopened", reason="dissatisfied")]}, "c1"
    )[0]
    refused = views.timeline(
        {
            "intake": [
                event("2026-11-23T06:00:00Z", "ComplaintNotAccepted", reason="duplicate", route_advice="see EAST-1")
            ]
        },
        "c1",
    )[0]
    extension = views.timeline(
        {
            "investigation": [
                event(
                    "2026-11-23T06:00:00Z",
                    "ExtensionRequested",
                    department="nursing",
                    requested_days=2,
                    reason="night shift",
                )
            ]
        },
        "c1",
    )[0]
    assert reopened.details[0].group == "reopen_reason"
    assert refused.details[0].group == "not_accepted_reason"
    assert {d.field: d.group for d in extension.details}["reason"] is None  # written by staff: shown as written


EAST = ("east",)
OFFICE = Principal("east-office-head", OFFICER, EAST)
CARDIOLOGY = Principal("east-cardiology-liaison", LIAISON, EAST, "cardiology")
NURSING = Principal("east-nursing-liaison", LIAISON, EAST, "nursing")
DESK = Principal("east-desk-01", FIRST_CONTACT, EAST)
WEST_OFFICE = Principal("west-office-head", OFFICER, ("west",))
DEPARTMENTS = ["billing_office", "cardiology", "nursing"]


def a_case(status="open", assignments=None, deadlines=None, **more):
    return {
        "campus": "east",
        "status": status,
        "escalated": False,
        "assignments": assignments or {},
        "deadlines": deadlines or [],
        "extensions": {},
        "rectifications": {},
        "disputes": {},
        **more,
    }


def as_answered(who, case):
    """The case as GET /cases/<id> answers it to ``who``: with the ``allowed_actions`` investigation's domain
    gives the caller's role in the case's state (the console offers exactly those)."""
    state = domain.Case(
        complaint_id="c1",
        reference="EAST-2026-000001",
        campus=case["campus"],
        campuses=[case["campus"]],
        category="billing",
        severity="normal",
        source="patient_or_family",
        received_at=NOW.isoformat(),
        has_contact=True,
        status=case["status"],
        departments=sorted(case["assignments"]),
        assignments=case["assignments"],
        clocks={
            d["key"]: domain.Clock(
                key=d["key"],
                due=d,
                started_at=NOW.isoformat(),
                remind_at=d["remind_at"],
                status=d["status"],
                on_hold=d["on_hold"],
            )
            for d in case["deadlines"]
        },
        extensions=case["extensions"],
        rectifications=case["rectifications"],
        disputes=case["disputes"],
        escalated=case["escalated"],
    )
    return {**case, "allowed_actions": domain.allowed_actions(state, who.role, who.department, DEPARTMENTS, NOW)}


def offered(who, complaint, case):
    return views.allowed_actions(who, complaint, as_answered(who, case), DEPARTMENTS, NOW)


def allowed(who, status="open", complaint_status="received", **case_fields):
    """The case's actions on offer, and intake's resolve-on-the-spot (its other actions: test_intake_actions_...)."""
    complaint = intake_answer(who, {"campus": "east", "status": complaint_status})
    names = set(offered(who, complaint, a_case(status, **case_fields)).names())
    return names - set(views.INTAKE_ACTIONS)


def investigating(*departments):
    return {
        "assignments": {d: {"status": "investigating"} for d in departments},
        "deadlines": [deadline(f"investigation:{d}", "investigation", department=d) for d in departments],
    }


def test_the_office_on_an_open_case():
    assert "resolve_on_spot" in allowed(OFFICE)  # before anyone investigates
    assert allowed(OFFICE, **investigating("cardiology")) == {
        "assign",
        "request_extension",
        "findings",
        "reply",
        "feedback",
        "escalate",
        "order_rectification",
        "record_dispute",
    }


def test_a_liaison_acts_only_for_their_department_and_only_while_it_investigates():
    assert allowed(CARDIOLOGY, **investigating("cardiology", "nursing")) == {"request_extension", "findings"}
    detail = offered(CARDIOLOGY, None, a_case(**investigating("cardiology", "nursing")))
    assert detail["findings"] == {"departments": ["cardiology"]}
    assert allowed(NURSING, **investigating("cardiology")) == set()
    done = {"assignments": {"cardiology": {"status": "findings_submitted"}}}
    assert allowed(CARDIOLOGY, **done) == set()


def test_an_extension_is_offered_only_before_the_deadline_and_not_while_one_is_pending():
    late = {
        "assignments": {"cardiology": {"status": "investigating"}},
        "deadlines": [
            deadline("investigation:cardiology", "investigation", due=-timedelta(hours=1), department="cardiology")
        ],
    }
    assert "request_extension" not in allowed(CARDIOLOGY, **late)
    held = {
        "assignments": {"cardiology": {"status": "investigating"}},
        "deadlines": [deadline("investigation:cardiology", "investigation", on_hold=True, department="cardiology")],
        "extensions": {"e1": {"department": "cardiology", "status": "pending", "requested_days": 2}},
    }
    assert "request_extension" not in allowed(CARDIOLOGY, **held)
    office = offered(OFFICE, None, a_case(**held))
    assert office["decide_extension"]["extensions"][0]["extension_id"] == "e1"
    assert "decide_extension" not in allowed(CARDIOLOGY, **held)


def test_replied_closed_and_ended_states():
    assert allowed(OFFICE, "replied", "received") == {
        "follow_up",
        "close",
        "escalate",
        "order_rectification",
        "record_dispute",
    }
    assert allowed(OFFICE, "closed", "closed") == {"reopen", "record_dispute"}
    assert allowed(OFFICE, "replied", escalated=True) == {"follow_up", "close", "order_rectification", "record_dispute"}
    assert allowed(CARDIOLOGY, "closed", "closed") == set()


def test_rectifications_and_disputes_in_any_state():
    open_items = {
        "rectifications": {
            "r1": {"department": "cardiology", "status": "ordered"},
            "r2": {"department": "nursing", "status": "completed"},
        },
        "disputes": {"d1": {"route": "mediation", "status": "recorded"}},
    }
    assert allowed(CARDIOLOGY, "closed", "closed", **open_items) == {"complete_rectification"}
    office = offered(OFFICE, None, a_case("closed", **open_items))
    assert [r["rectification_id"] for r in office["complete_rectification"]["rectifications"]] == ["r1"]
    assert [d["dispute_id"] for d in office["settle_dispute"]["disputes"]] == ["d1"]
    assert allowed(NURSING, "closed", "closed", **open_items) == set()


def test_first_contact_staff_may_only_resolve_on_the_spot_and_readers_may_do_nothing():
    received, closed = ({"campus": "east", "status": s} for s in ("received", "closed"))
    assert views.allowed_actions(DESK, intake_answer(DESK, received), None, DEPARTMENTS, NOW).names() == [
        "resolve_on_spot"
    ]
    assert views.allowed_actions(DESK, intake_answer(DESK, closed), None, DEPARTMENTS, NOW).names() == []
    for reader in (Principal("lead-01", LEADERSHIP, ("*",)), Principal("auditor-01", AUDITOR, ("*",))):
        assert allowed(reader, **investigating("cardiology")) == set()
    assert allowed(WEST_OFFICE, **investigating("cardiology")) == set()  # another campus's case


def test_pages_on_offer_per_role():
    assert views.nav(DESK) == ["register"]
    assert views.nav(OFFICE) == ["worklist", "register", "reports"]
    assert views.nav(CARDIOLOGY) == ["worklist"]
    assert views.nav(Principal("ops-01", "ops", ("*",))) == ["reports"]
    assert views.home(DESK) == "/register"


def test_field_errors_are_flattened_to_the_form_field_names():
    body = {
        "error": "invalid input",
        "errors": {
            "complainant": {"email": ["Not a valid email address."]},
            "summary": ["Missing data for required field."],
            "departments": {"0": ["Not a valid string."]},
            "_schema": ["give at least one"],
        },
    }
    assert views.field_errors(body) == {
        "complainant.email": ["Not a valid email address."],
        "summary": ["Missing data for required field."],
        "departments": ["Not a valid string."],
        "_schema": ["give at least one"],
    }
    assert views.field_errors({"error": "x"}) == {}


def test_the_case_page_offers_exactly_the_actions_the_case_allows():
    # Whatever the case's state looks like, investigation's answer decides (the console derives no state machine).
    case = {**a_case("open", **investigating("cardiology")), "allowed_actions": ["record_dispute", "submit_findings"]}
    offered_now = views.allowed_actions(OFFICE, None, case, DEPARTMENTS, NOW)
    assert offered_now.names() == ["findings", "record_dispute"]
    assert offered_now["findings"] == {"departments": ["cardiology"]}
    assert views.allowed_actions(OFFICE, None, {**case, "allowed_actions": []}, DEPARTMENTS, NOW).names() == []
    case_actions = [a for a in views.ACTIONS if a != "resolve_on_spot" and a not in views.INTAKE_ACTIONS]
    operation_ids = {views.OPERATION_IDS.get(name, name) for name in case_actions}
    assert operation_ids == set(domain.ACTIONS)  # every action investigation can allow has its form


def test_intake_actions_are_offered_as_intake_answers_them():
    received = {"campus": "east", "status": "received"}
    office = views.allowed_actions(OFFICE, intake_answer(OFFICE, received), a_case("open"), DEPARTMENTS, NOW)
    assert {"reclassify", "not_accept", "withdraw", "erasure"} <= set(office.names())
    assert office["reclassify"] == {"departments": list(DEPARTMENTS)}
    closed = intake_answer(OFFICE, {"campus": "east", "status": "closed"})
    # A closed complaint's contact details can still be corrected (a letter, a follow-up call).
    closed_actions = views.allowed_actions(OFFICE, closed, None, DEPARTMENTS, NOW).names()
    assert closed_actions == ["erasure", "correct_contact"]
    held = intake_answer(OFFICE, {"campus": "east", "status": "closed"}, held=True)
    assert views.allowed_actions(OFFICE, held, None, DEPARTMENTS, NOW).names() == ["correct_contact"]  # no erasure
    auditor = Principal("auditor-01", AUDITOR, ("*",))
    assert views.allowed_actions(auditor, intake_answer(auditor, received), None, DEPARTMENTS, NOW).names() == [
        "erasure"
    ]
    assert set(views.INTAKE_ACTIONS) == {
        *intake_domain.ACTIONS,
        intake_domain.ERASURE,
        intake_domain.CORRECT_CONTACT,
    } - {"resolve_on_spot"}


# -- issue 18 item 6: who holds a case, working days left ------------------------------------------


def test_a_row_says_who_holds_the_case_and_the_working_days_left_to_its_nearest_deadline():
    from shared.workdays import CampusCalendar

    detail = {"deadlines": [deadline()]}  # its last day is Thursday 2026-11-26; NOW is Monday 2026-11-23
    awaiting = views.case_row(case(awaiting_departments=["cardiology"]), detail, NOW, CampusCalendar("east"))
    assert awaiting.holder == "departments" and awaiting.awaiting == ("cardiology",)
    assert awaiting.days_left == 4  # Monday to Thursday, today counted
    assert views.case_row(case(), detail, NOW).days_left is None  # no calendar: not counted
    assert views.case_row(case(status="replied"), detail, NOW).holder == "office"
    assert views.case_row(case(status="closed"), {"deadlines": []}, NOW).holder == "none"
