"""shared/fields.py and intake's bounds on received_at: pure, with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import Schema, ValidationError

from services.intake import schemas as intake_schemas
from services.intake.schemas import NewComplaint, received_at_problem
from services.intake.settings import DEFAULT_RECEIVED_MAX_AGE_DAYS
from shared import fields, phones
from shared.config import load_hospital

NOW = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
EAST = {"timezone": "Asia/Shanghai", "go_live": "2025-01-01"}


class Probe(Schema):
    text = fields.Text()
    email = fields.Email()
    when = fields.DateTime()
    flag = fields.StrictBoolean()
    note = fields.text()


def errors_of(data: dict) -> dict:
    with pytest.raises(ValidationError) as caught:
        Probe().load(data)
    return caught.value.messages


@pytest.mark.parametrize("value", ["a\x00b", "\x00", "lone \ud800 high", "lone \udfff low"])
def test_text_refuses_nul_and_lone_surrogates(value):
    assert errors_of({"text": value}) == {"text": [fields.UNSTORABLE_MESSAGE]}
    assert "note" in errors_of({"note": value})
    assert "email" in errors_of({"email": f"a{value}@example.org"})


def test_text_keeps_every_real_character():
    value = "投诉 😀 ü\t\n"  # a paired surrogate in JSON ("\ud83d\ude00") decodes to one character
    assert Probe().load({"text": value, "note": "  x  "}) == {"text": value, "note": "  x  "}


@pytest.mark.parametrize("value", ["", "   ", "\n\t"])
def test_person_written_text_is_not_blank(value):
    assert "note" in errors_of({"note": value})


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-01T10:00:00+16:00",
        "2026-12-01T10:00:00-16:00",
        "2026-12-01T10:00:00+23:59",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "2026-12-01T10:00:00\x00Z",
        "2026-12-01T10:00:00",
        "2026-13-01T10:00:00Z",
    ],
)
def test_date_times_postgresql_cannot_store_are_refused(value):
    assert "when" in errors_of({"when": value})


@pytest.mark.parametrize(
    "value", ["2026-12-01T10:00:00+15:59", "2026-12-01T10:00:00-15:59", "2026-12-01T10:00:00Z", "0001-01-01T00:00:00Z"]
)
def test_date_times_within_the_offset_limits_are_accepted(value):
    assert Probe().load({"when": value})["when"].utcoffset() is not None


@pytest.mark.parametrize("value", ["yes", 1, 0, "true", None])
def test_flags_are_strict_booleans(value):
    assert "flag" in errors_of({"flag": value})


def test_received_at_before_go_live_is_refused_in_the_campus_calendar():
    # 2024-12-31T16:30Z is already 2025-01-01 in Shanghai: the campus's first day
    assert received_at_problem(datetime(2024, 12, 31, 16, 30, tzinfo=UTC), NOW, EAST) is None
    assert "went live (2025-01-01)" in received_at_problem(datetime(2024, 12, 31, 15, 59, tzinfo=UTC), NOW, EAST)
    assert "went live" in received_at_problem(datetime(1, 1, 1, tzinfo=UTC), NOW, EAST)


def test_received_at_more_than_the_configured_days_ago_is_refused():
    campus = {**EAST, "go_live": "2000-01-01"}
    limit = timedelta(days=DEFAULT_RECEIVED_MAX_AGE_DAYS)
    assert received_at_problem(NOW - limit, NOW, campus) is None
    assert "1095 days" in received_at_problem(NOW - limit - timedelta(seconds=1), NOW, campus)
    short = {**campus, "received_at_max_age_days": 30}
    assert "30 days" in received_at_problem(NOW - timedelta(days=31), NOW, short)


def test_received_at_ahead_of_now_beyond_the_clock_skew_is_refused():
    assert received_at_problem(NOW + timedelta(minutes=5), NOW, EAST) is None
    assert received_at_problem(NOW + timedelta(minutes=5, seconds=1), NOW, EAST) == "lies in the future"
    assert received_at_problem(NOW + timedelta(days=1), NOW, None) == "lies in the future"


def test_the_registration_schema_names_received_at_and_codes():
    body = {
        "campus": "east",
        "channel": "phone",
        "category": "billing",
        "severity": "normal",
        "source": "patient_or_family",
        "summary": "x",
    }
    schema = NewComplaint(load_hospital(), now=NOW)
    with pytest.raises(ValidationError) as caught:
        schema.load({**body, "received_at": "0001-01-01T00:00:00Z"})
    assert set(caught.value.messages) == {"received_at"}
    with pytest.raises(ValidationError) as caught:
        schema.load({**body, "campus": "north", "departments": ["astrology"], "anonymous": "yes", "summary": " "})
    assert set(caught.value.messages) == {"campus", "departments", "anonymous", "summary"}
    with pytest.raises(ValidationError) as caught:
        schema.load({**body, "complainant": {"phone": "+86 138 0000 0000\n"}})
    assert set(caught.value.messages) == {"complainant"}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("010-12345678", "010-12345678"),
        ("(010) 1234 5678", "010-12345678"),
        ("0571 8765432", "0571-8765432"),
        ("021-65432100 转 123", "021-65432100-123"),
        ("+86 21 6543 2100", "021-65432100"),
    ],
)
def test_phone_numbers_are_mainland_mobiles_or_landlines_in_one_form(typed, stored):
    assert phones.normalise(typed) == stored
    loaded = intake_schemas.Complainant().load({"phone": typed})
    assert loaded["phone"] == stored


@pytest.mark.parametrize("typed", ["1380013", "12345", "23800138000", "+1 555 123 4567", "010-123", "13800138000\n"])
def test_a_number_that_is_neither_a_mobile_nor_a_landline_is_refused_saying_what_to_type(typed):
    with pytest.raises(ValidationError) as refused:
        intake_schemas.Complainant().load({"phone": typed})
    message = refused.value.messages["phone"][0]
    assert "11 digits beginning with 1" in message and "area code" in message


def test_only_mobiles_can_receive_an_sms():
    assert phones.is_mobile("+86 139 0000 0000")
    assert not phones.is_mobile("010-12345678") and not phones.is_mobile(None)
