"""Issue 18 item 9: correcting the complainant's contact details, intake's pure rule and its HTTP schema. The
event names which fields changed, never their values; first-contact staff correct only what they registered."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from services.intake import domain, schemas
from shared.auth import Forbidden
from shared.catalogue import validate_data
from shared.errors import InvalidField, Refused
from tests.unit.test_intake_domain import CALLER, complaint, context

NOW_DETAILS = {
    "phone": "13800138000",
    "email": None,
    "postal_address": "上海市浦东新区张杨路 100 号",
    "preferred_channel": None,
}
DESK = {"id": "east-desk-01", "role": "first_contact"}


def correct(current=NOW_DETAILS, registered_by="east-desk-01", actor=CALLER, c=None, **fields):
    command = domain.CorrectContact(**fields)
    return domain.correct_contact(c or complaint(), command, context(actor=actor), current, registered_by)


def test_a_new_phone_number_replaces_the_old_one_and_the_event_names_only_the_field():
    decision = correct(phone="13912345678")
    assert decision.contact == {**NOW_DETAILS, "phone": "13912345678"}
    assert decision.event_type == "ContactDetailsCorrected"
    assert decision.event_data["changed"] == ["phone"] and decision.event_data["has_contact"] is True
    assert "13912345678" not in repr(decision.event_data) and "13912345678" not in repr(decision.details)
    assert decision.status == decision.status_before == "received"
    validate_data("ContactDetailsCorrected", 1, {**decision.event_data, "actor": CALLER})


def test_cleared_fields_are_removed_and_the_last_contact_gone_says_so():
    decision = correct(clear=["phone", "postal_address"])
    assert decision.contact == {"phone": None, "email": None, "postal_address": None, "preferred_channel": None}
    assert decision.event_data["changed"] == ["phone", "postal_address"]
    assert decision.event_data["has_contact"] is False


def test_nothing_that_changes_is_refused_naming_the_fields():
    with pytest.raises(InvalidField) as invalid:
        correct(phone="13800138000")
    assert invalid.value.errors == {"phone": ["unchanged"]}


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"preferred_channel": "sms", "clear": ["phone"]}, "sms needs a mobile number"),
        ({"preferred_channel": "email"}, "email needs an e-mail address"),
        ({"preferred_channel": "letter", "clear": ["postal_address"]}, "letter needs a postal address"),
        ({"preferred_channel": "sms", "phone": "010-12345678"}, "sms needs a mobile number"),  # a landline
    ],
)
def test_a_preferred_channel_must_reach_the_complainant(fields, why):
    with pytest.raises(InvalidField) as invalid:
        correct(**fields)
    assert invalid.value.errors == {"preferred_channel": [why]}


def test_a_preferred_channel_that_reaches_them_is_kept():
    decision = correct(preferred_channel="sms")
    assert decision.contact["preferred_channel"] == "sms" and decision.event_data["changed"] == ["preferred_channel"]


def test_an_anonymous_or_erased_complaint_has_no_details_to_correct():
    with pytest.raises(Refused) as anonymous:
        correct(c=complaint(anonymous=True), phone="13912345678")
    assert anonymous.value.state == "anonymous"
    with pytest.raises(Refused) as erased:
        correct(c=complaint(personal_data_erased=True), phone="13912345678")
    assert erased.value.state == "erased"


def test_any_status_may_have_its_details_corrected():
    assert correct(c=complaint("closed"), phone="13912345678").status == "closed"


def test_first_contact_staff_correct_only_complaints_they_registered():
    assert correct(actor=DESK, phone="13912345678").actor == DESK
    with pytest.raises(Forbidden, match="only of complaints they registered"):
        correct(actor=DESK, registered_by="east-desk-02", phone="13912345678")


def test_intake_offers_the_correction_as_it_allows_it():
    roles = {domain.CORRECT_CONTACT: ("first_contact", "complaint_officer")}
    assert domain.offered("closed", False, True, "complaint_officer", roles) == ["correct_contact"]
    assert domain.offered("received", False, False, "complaint_officer", roles, anonymous=True) == []
    assert domain.offered("received", True, False, "complaint_officer", roles) == []
    assert domain.offered("received", False, False, "first_contact", roles) == []
    assert domain.offered("received", False, False, "first_contact", roles, registered_by_caller=True) == [
        "correct_contact"
    ]


# -- the HTTP schema ---------------------------------------------------------------------------------------------


def load(body):
    return schemas.CorrectContact().load(body)


def test_the_phone_is_normalised_by_shared_phones():
    assert load({"phone": "+86 139 1234 5678"}).phone == "13912345678"
    assert load({"phone": "0571-8765432 转 12"}).phone == "0571-8765432-12"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": "+44 20 7946 0958"}, "phone"),
        ({"email": "not-an-address"}, "email"),
        ({"preferred_channel": "pigeon"}, "preferred_channel"),
        ({"clear": ["name"]}, "clear"),
        ({"phone": "13912345678", "clear": ["phone"]}, "phone"),
        ({"name": "王芳"}, "name"),  # the name is not corrected here
        ({}, "_schema"),
        ({"clear": []}, "_schema"),
    ],
)
def test_bad_bodies_are_refused_naming_the_field(body, field):
    with pytest.raises(ValidationError) as invalid:
        load(body)
    assert field in invalid.value.messages, invalid.value.messages
