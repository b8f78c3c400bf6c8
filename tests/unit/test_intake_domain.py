"""Intake's pure lifecycle rules: every transition, every refused one, the reclassification diff."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.intake import domain
from services.intake.domain import (
    CLOSED,
    NOT_ACCEPTED,
    RECEIVED,
    REOPENED,
    RESOLVED_ON_SPOT,
    STATUSES,
    WITHDRAWN,
    Complaint,
    Context,
)
from shared import catalogue
from shared.envelope import new_event
from shared.errors import InvalidField, Refused

NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
RECEIVED_AT = NOW - timedelta(hours=2)
ID = str(uuid.uuid4())
OTHER = str(uuid.uuid4())
OPEN = (RECEIVED, REOPENED)
REFUSING = (RESOLVED_ON_SPOT, NOT_ACCEPTED, WITHDRAWN, CLOSED)
DEPARTMENTS_ON = {"east": ["billing_office", "cardiology", "nursing"], "west": ["cardiology", "radiology"]}


def complaint(status: str = RECEIVED, **overrides) -> Complaint:
    values = {
        "complaint_id": ID,
        "campus": "east",
        "status": status,
        "received_at": RECEIVED_AT,
        "category": "billing",
        "severity": "normal",
        "departments": ("billing_office",),
        "campuses": ("east",),
    }
    values.update(overrides)
    return Complaint(**values)


CALLER = {"id": "caller-1", "role": "complaint_officer"}


def context(**kw) -> Context:
    return Context(**{"now": NOW, "actor": CALLER, **kw})


def resolve(c: Complaint, **kw):
    command = domain.ResolveOnSpot(**{"resolution": "refunded the double charge", "resolved_by": "nurse-7", **kw})
    return domain.resolve_on_spot(c, command, context())


def not_accept(c: Complaint, duplicate_exists: bool = False, **kw):
    command = domain.NotAccept(
        **{"reason": "litigation", "route_advice": "the court case decides", "decided_by": "officer-1", **kw}
    )
    existing = frozenset({str(command.duplicate_of)}) if duplicate_exists else frozenset()
    return domain.not_accept(c, command, context(existing=existing))


def withdraw(c: Complaint, **kw):
    return domain.withdraw(c, domain.Withdraw(**{"withdrawn_by": "officer-1", **kw}), context())


def reclassify(c: Complaint, changes: dict, **kw):
    command = domain.Reclassify(**{"reclassified_by": "officer-2", **changes, **kw})
    return domain.reclassify(c, command, context(departments_on=DEPARTMENTS_ON))


ACTIONS = {
    "resolve_on_spot": resolve,
    "not_accept": not_accept,
    "withdraw": withdraw,
    "reclassify": lambda c: reclassify(c, {"severity": "major"}),
}


def test_statuses_are_the_six_of_the_lifecycle():
    assert set(STATUSES) == {"received", "resolved_on_spot", "not_accepted", "withdrawn", "closed", "reopened"}


# -- allowed transitions -------------------------------------------------------------------------


@pytest.mark.parametrize("status", OPEN)
def test_resolve_on_spot(status):
    decision = resolve(complaint(status))
    assert (decision.status_before, decision.status) == (status, RESOLVED_ON_SPOT)
    assert decision.event_type == "ComplaintResolvedOnSpot"
    assert decision.actor == {"id": "nurse-7", "role": "first_contact"}
    assert decision.at == NOW
    data = new_event("intake", decision.event_type, ID, decision.event_data).data  # valid per the catalogue
    assert data == {
        "complaint_id": ID,
        "campus": "east",
        "resolved_at": "2026-11-23T04:00:00Z",
        "resolved_by": "nurse-7",
        "resolution": "refunded the double charge",
        "actor": {"id": "nurse-7", "role": "first_contact"},
    }


def test_resolve_on_spot_at_a_stated_earlier_moment():
    at = RECEIVED_AT + timedelta(minutes=10)
    decision = resolve(complaint(), resolved_at=at)
    assert decision.at == at and decision.event_data["resolved_at"] == at


@pytest.mark.parametrize(
    "at,message",
    [
        (RECEIVED_AT - timedelta(seconds=1), "lies before the complaint was received"),
        (NOW + timedelta(minutes=6), "lies in the future"),
    ],
)
def test_resolve_on_spot_refuses_a_moment_outside_receipt_and_now(at, message):
    with pytest.raises(InvalidField) as caught:
        resolve(complaint(), resolved_at=at)
    assert caught.value.errors == {"resolved_at": [message]}


def test_resolve_on_spot_tolerates_a_little_clock_skew():
    assert resolve(complaint(), resolved_at=NOW + timedelta(minutes=4)).status == RESOLVED_ON_SPOT
    assert resolve(complaint(), resolved_at=RECEIVED_AT).status == RESOLVED_ON_SPOT


@pytest.mark.parametrize("status", OPEN)
@pytest.mark.parametrize("reason", [r for r in catalogue.NOT_ACCEPTED_REASONS if r != "duplicate"])
def test_not_accept(status, reason):
    decision = not_accept(complaint(status), reason=reason)
    assert (decision.status_before, decision.status) == (status, NOT_ACCEPTED)
    assert decision.actor == {"id": "officer-1", "role": "complaint_officer"}
    data = new_event("intake", decision.event_type, ID, decision.event_data).data
    assert data == {
        "complaint_id": ID,
        "campus": "east",
        "reason": reason,
        "route_advice": "the court case decides",
        "decided_at": "2026-11-23T04:00:00Z",
        "actor": {"id": "officer-1", "role": "complaint_officer"},
    }
    assert "duplicate_of" not in data


def test_not_accept_as_a_duplicate_names_the_original():
    decision = not_accept(complaint(), reason="duplicate", duplicate_of=OTHER, duplicate_exists=True)
    assert decision.status == NOT_ACCEPTED
    assert decision.event_data["duplicate_of"] == OTHER and decision.details["duplicate_of"] == OTHER
    assert new_event("intake", decision.event_type, ID, decision.event_data).data["duplicate_of"] == OTHER


@pytest.mark.parametrize(
    "kw,message",
    [
        ({"reason": "duplicate"}, "required when the reason is duplicate"),
        ({"reason": "duplicate", "duplicate_of": ID, "duplicate_exists": True}, "a complaint cannot duplicate itself"),
        ({"reason": "duplicate", "duplicate_of": OTHER, "duplicate_exists": False}, f"no complaint {OTHER}"),
        ({"reason": "mediation", "duplicate_of": OTHER, "duplicate_exists": True}, "only for the reason duplicate"),
    ],
)
def test_not_accept_refuses_a_bad_duplicate(kw, message):
    with pytest.raises(InvalidField) as caught:
        not_accept(complaint(), **kw)
    assert caught.value.errors == {"duplicate_of": [message]}


@pytest.mark.parametrize("status", OPEN)
def test_withdraw(status):
    decision = withdraw(complaint(status), reason="settled with the ward")
    assert (decision.status_before, decision.status) == (status, WITHDRAWN)
    assert decision.actor == {"id": "officer-1", "role": "complaint_officer"}
    data = new_event("intake", decision.event_type, ID, decision.event_data).data
    assert data == {
        "complaint_id": ID,
        "campus": "east",
        "withdrawn_at": "2026-11-23T04:00:00Z",
        "reason": "settled with the ward",
        "actor": {"id": "officer-1", "role": "complaint_officer"},
    }


def test_withdraw_without_a_reason():
    assert "reason" not in withdraw(complaint()).event_data


def test_the_staff_on_the_ground_defaults_to_the_caller():
    assert withdraw(complaint(), withdrawn_by=None).actor == {"id": "caller-1", "role": "complaint_officer"}
    assert resolve(complaint(), resolved_by=None).event_data["resolved_by"] == "caller-1"


def test_erasure_in_any_status_and_only_once():
    for status in STATUSES:
        decision = domain.erase(complaint(status), domain.Erase("lawful request"), context())
        assert (decision.status_before, decision.status) == (status, status)
        assert decision.erasure_reason == "lawful request" and decision.details == {"reason": "lawful request"}
        assert new_event("intake", decision.event_type, ID, decision.event_data).data["reason"] == "lawful request"
    with pytest.raises(Refused) as caught:
        domain.erase(complaint(personal_data_erased=True), domain.Erase("again"), context())
    assert caught.value.state == "erased" and str(caught.value) == "the personal data was already erased"


@pytest.mark.parametrize("status", OPEN)
def test_reclassify_keeps_the_status_and_records_previous_and_current(status):
    decision = reclassify(
        complaint(status),
        {"category": "medical_quality", "departments": ["cardiology", "nursing"]},
        note="a clinical matter after all",
    )
    assert (decision.status_before, decision.status) == (status, status)
    assert decision.actor == {"id": "officer-2", "role": "complaint_officer"}
    assert decision.details == {"changed": ["category", "departments"], "note": "a clinical matter after all"}
    assert decision.classification == {
        "category": "medical_quality",
        "severity": "normal",
        "departments": ["cardiology", "nursing"],
        "campuses": ["east"],
    }
    data = new_event("intake", decision.event_type, ID, decision.event_data).data
    assert data["previous"] == {
        "category": "billing",
        "severity": "normal",
        "departments": ["billing_office"],
        "campuses": ["east"],
    }
    assert data["current"] == decision.classification
    assert data["note"] == "a clinical matter after all" and data["reclassified_at"] == "2026-11-23T04:00:00Z"
    assert data["reclassified_by"] == "officer-2"  # the classification history rebuilds from the event alone


def test_reclassify_to_more_campuses_and_departments_known_on_any_of_them():
    decision = reclassify(
        complaint(), {"campuses": ["east", "west"], "departments": ["billing_office", "radiology"], "severity": "major"}
    )
    assert decision.classification == {
        "category": "billing",
        "severity": "major",
        "departments": ["billing_office", "radiology"],
        "campuses": ["east", "west"],
    }


@pytest.mark.parametrize(
    "changes,errors",
    [
        ({}, {"_schema": ["give at least one of category, severity, departments, campuses"]}),
        ({"note": "only a note"}, {"_schema": ["give at least one of category, severity, departments, campuses"]}),
        ({"category": "billing"}, {"category": ["unchanged"]}),
        ({"category": "billing", "severity": "normal"}, {"category": ["unchanged"], "severity": ["unchanged"]}),
        (
            {"departments": ["billing_office"], "campuses": ["east"]},
            {"departments": ["unchanged"], "campuses": ["unchanged"]},
        ),
        ({"campuses": ["west"]}, {"campuses": ["must include the complaint's own campus 'east'"]}),
        (
            {"departments": ["radiology"]},
            {"departments": ["unknown department(s) on the complaint's campuses: radiology"]},
        ),
        (
            {"campuses": ["east", "west"], "departments": ["pediatrics"]},
            {"departments": ["unknown department(s) on the complaint's campuses: pediatrics"]},
        ),
    ],
)
def test_reclassify_refuses_what_changes_nothing_or_does_not_fit(changes, errors):
    with pytest.raises(InvalidField) as caught:
        reclassify(complaint(), changes)
    assert caught.value.errors == errors


def test_reclassify_dropping_a_campus_checks_the_remaining_departments():
    c = complaint(campuses=("east", "west"), departments=("radiology",))
    with pytest.raises(InvalidField) as caught:
        reclassify(c, {"campuses": ["east"]})
    assert caught.value.errors == {"campuses": ["unknown department(s) on the complaint's campuses: radiology"]}


# -- refused transitions -------------------------------------------------------------------------


@pytest.mark.parametrize("status", REFUSING)
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_intake_actions_are_refused_outside_received_and_reopened(action, status):
    assert domain.allowed(action, status) is False
    with pytest.raises(Refused) as caught:
        ACTIONS[action](complaint(status))
    assert caught.value.state == status and str(caught.value).startswith(f"cannot {action.replace('_', ' ')} a ")
    assert status.replace("_", " ") in str(caught.value)


@pytest.mark.parametrize("status", OPEN)
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_intake_actions_are_allowed_in_received_and_reopened(action, status):
    assert domain.allowed(action, status) is True
    assert ACTIONS[action](complaint(status)).status_before == status


def test_the_state_is_checked_before_the_input():
    with pytest.raises(Refused):
        resolve(complaint(CLOSED), resolved_at=RECEIVED_AT - timedelta(days=1))
    with pytest.raises(Refused):
        reclassify(complaint(WITHDRAWN), {})


def test_an_unknown_action_is_a_programming_error():
    with pytest.raises(ValueError):
        domain.allowed("delete", RECEIVED)


# -- following investigation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "status,after",
    [
        (RECEIVED, CLOSED),
        (REOPENED, CLOSED),
        (CLOSED, CLOSED),
        (RESOLVED_ON_SPOT, RESOLVED_ON_SPOT),
        (NOT_ACCEPTED, NOT_ACCEPTED),
        (WITHDRAWN, WITHDRAWN),
    ],
)
def test_follow_closed(status, after):
    assert domain.follow_closed(status) == after


@pytest.mark.parametrize("status", STATUSES)
def test_follow_reopened_from_any_status_and_idempotent(status):
    assert domain.follow_reopened(status) == REOPENED
    assert domain.follow_reopened(domain.follow_reopened(status)) == REOPENED


def test_a_closed_complaint_reopened_allows_intake_actions_again():
    reopened = complaint(domain.follow_reopened(domain.follow_closed(RECEIVED)))
    assert withdraw(reopened).status == WITHDRAWN


@pytest.mark.parametrize("followed,version,stale", [(0, 1, False), (3, 4, False), (3, 3, True), (5, 2, True)])
def test_older_investigation_events_are_stale(followed, version, stale):
    assert domain.is_stale(followed, version) is stale


# -- the reclassification diff ---------------------------------------------------------------------

PREVIOUS = {
    "category": "billing",
    "severity": "normal",
    "departments": ["billing_office", "nursing"],
    "campuses": ["east"],
}


@pytest.mark.parametrize(
    "requested,diff",
    [
        ({}, {}),
        ({"category": "billing"}, {}),
        ({"category": "other"}, {"category": "other"}),
        ({"severity": "major", "category": "billing"}, {"severity": "major"}),
        ({"departments": ["nursing", "billing_office"]}, {}),  # the same set in another order
        ({"departments": ["nursing"]}, {"departments": ["nursing"]}),
        ({"departments": []}, {"departments": []}),
        ({"campuses": ["east", "west"]}, {"campuses": ["east", "west"]}),
        ({"note": "x", "reclassified_by": "y", "category": None}, {}),
    ],
)
def test_classification_diff(requested, diff):
    assert domain.classification_diff(PREVIOUS, requested) == diff


def test_registration_event_is_unchanged():
    registration = domain.register(
        domain.Identity(ID, "EAST-2026-000001", "cp-1"),
        domain.Register(
            campus="east",
            channel="phone",
            category="billing",
            severity="normal",
            source="patient_or_family",
            summary="charged twice",
            departments=[],
            received_at=RECEIVED_AT,
            anonymous=False,
            complainant={"name": "A", "phone": "13800138000"},
            received_by="desk-1",
        ),
        context(),
    )
    assert registration.event_data["has_contact"] is True
    assert registration.event_data["actor"] == {"id": "desk-1", "role": "first_contact"}
    assert registration.event_data["campuses"] == ["east"]


def test_the_actions_offered_follow_the_status_the_role_and_what_holds_an_erasure():
    roles = {
        domain.RESOLVE_ON_SPOT: ("first_contact", "complaint_officer"),
        domain.NOT_ACCEPT: ("complaint_officer",),
        domain.WITHDRAW: ("complaint_officer",),
        domain.RECLASSIFY: ("complaint_officer",),
        domain.ERASURE: ("complaint_officer", "auditor"),
    }
    officer = domain.offered("received", False, False, "complaint_officer", roles)
    assert officer == ["resolve_on_spot", "not_accept", "withdraw", "reclassify", "erasure"]
    assert domain.offered("received", False, False, "first_contact", roles) == ["resolve_on_spot"]
    assert domain.offered("closed", False, False, "complaint_officer", roles) == ["erasure"]
    assert domain.offered("closed", True, False, "complaint_officer", roles) == []  # erased once, for good
    assert domain.offered("reopened", False, True, "auditor", roles) == []  # a dispute or seal holds it
    assert domain.offered("received", False, False, "leadership", roles) == []


@pytest.mark.parametrize(
    ("complainant", "anonymous", "warned", "has_contact"),
    [
        ({"name": "A", "phone": "13800138000"}, False, False, True),
        ({"name": "A", "email": "a@example.org"}, False, False, True),
        ({"name": "A", "postal_address": "北京市东城区示例街 1 号"}, False, False, True),
        ({"name": "A", "phone": "010-12345678"}, False, True, True),  # a landline can be called, not texted
        ({"name": "A"}, False, True, False),
        (None, True, False, False),  # anonymous: nobody to tell, by choice
    ],
)
def test_a_complainant_nothing_can_be_sent_to_is_registered_with_a_warning(complainant, anonymous, warned, has_contact):
    registration = domain.register(
        domain.Identity(ID, "EAST-2026-000001", "cp-1"),
        domain.Register(
            campus="east",
            channel="phone",
            category="billing",
            severity="normal",
            source="patient_or_family",
            summary="charged twice",
            departments=[],
            received_at=RECEIVED_AT,
            anonymous=anonymous,
            complainant=complainant,
        ),
        context(),
    )
    assert bool(registration.warnings) is warned
    if warned:
        assert registration.warnings[0]["code"] == "no_usable_contact"
    assert registration.event_data["has_contact"] is has_contact
    assert "postal_address" not in str(registration.event_data)  # personal data stays in intake
