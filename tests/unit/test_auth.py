"""Tokens and scopes, without a service: what a token must hold, what a scope lets one see."""

from __future__ import annotations

import jwt
import pytest

from shared import auth
from shared.auth import (
    ALL,
    LIAISON,
    OFFICER,
    SYSTEM,
    Authenticator,
    AuthError,
    Forbidden,
    OutOfScope,
    Principal,
)

SECRET = "unit-test-secret-0123456789abcdef0123456789"
AUTH = Authenticator(SECRET, "HS256", SECRET)


def claims(**overrides: object) -> str:
    body = {
        "sub": "east-office-head",
        "role": OFFICER,
        "campuses": ["east"],
        "iat": 1,
        "exp": 4102444800,
        "iss": "complaints",
        "aud": "complaints",
        **overrides,
    }
    return jwt.encode(body, SECRET, algorithm="HS256")


@pytest.mark.parametrize("subject", ["", "   ", "\t"])
def test_a_token_with_an_empty_subject_is_refused(subject):
    with pytest.raises(AuthError, match="subject"):
        AUTH.verify(claims(sub=subject))


def test_a_token_with_a_subject_is_accepted_and_names_it():
    assert AUTH.verify(claims()) == Principal("east-office-head", OFFICER, ("east",))


def test_a_service_token_is_what_verify_service_asks_for_and_nothing_else_is():
    assert AUTH.verify_service(AUTH.service_token("notification"), "notification").subject == "service:notification"
    with pytest.raises(AuthError):
        AUTH.verify_service(None, "notification")
    with pytest.raises(AuthError):
        AUTH.verify_service("not.a.jwt", "notification")
    with pytest.raises(Forbidden, match="only notification"):
        AUTH.verify_service(AUTH.service_token("reporting"), "notification")
    with pytest.raises(Forbidden):  # a person's token, even of every campus, is no service's
        AUTH.verify_service(AUTH.mint("service:notification", OFFICER, [ALL]), "notification")
    other_key = "another-key-0123456789abcdef0123456789ab"
    forged = Authenticator(other_key, "HS256", other_key)
    with pytest.raises(AuthError, match="signature"):
        AUTH.verify_service(forged.mint("service:notification", SYSTEM, [ALL]), "notification")


def test_out_of_scope_is_refused_with_the_not_found_message():
    west = Principal("west-office-head", OFFICER, ("west",))
    assert not west.may_see(["east"]) and west.may_see(["east", "west"])
    with pytest.raises(OutOfScope, match=r"^no complaint 42$"):
        west.require_visible("no complaint 42", ["east"])
    west.require_visible("no complaint 42", ["west"])


def test_a_liaison_sees_only_cases_of_their_department_on_their_campus():
    cardiology = Principal("east-cardiology", LIAISON, ("east",), "cardiology")
    assert cardiology.may_see(["east"], ["cardiology", "radiology"])
    assert not cardiology.may_see(["east"], ["radiology"])
    assert not cardiology.may_see(["west"], ["cardiology"])


def test_the_access_table_names_only_known_roles_and_keeps_service_tokens_to_the_event_log():
    table = {
        name: value
        for name, value in vars(auth).items()
        if name.isupper() and isinstance(value, tuple) and value and name not in ("ROLES",)
    }
    assert {"CASE_READERS", "COMPLAINT_READERS", "REPORT_READERS", "EVENT_READERS"} <= set(table)
    for name, roles in table.items():
        assert set(roles) <= set(auth.ROLES), name
        assert len(set(roles)) == len(roles), name
        assert (auth.SYSTEM in roles) == (name in ("EVENT_READERS", "FULL_LOG_READERS")), name
    assert set(auth.FULL_LOG_READERS) <= set(auth.EVENT_READERS)
