"""The console's pure parts around the pages: the signed session cookie, where a sign-in may send people,
the bodies sent to the services, reporting's page embedded without any URL, and the OIDC ID-token checks."""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.datastructures import MultiDict

from services.console import oidc, pages, session
from services.console.settings import Settings
from shared import auth
from shared.config import load_hospital

SECRET = b"k" * 32


def test_a_session_cookie_round_trips_and_refuses_tampering_expiry_and_another_cookies_value():
    value = session.sign(SECRET, session.SESSION_COOKIE, {"token": "t", "csrf": "c", "exp": time.time() + 60})
    assert session.unsign(SECRET, session.SESSION_COOKIE, value)["token"] == "t"
    mac = value.split(".")[1]
    forged = session.sign(b"x" * 32, session.SESSION_COOKIE, {"token": "evil", "exp": time.time() + 60})
    assert session.unsign(SECRET, session.SESSION_COOKIE, forged) is None
    assert session.unsign(SECRET, session.SESSION_COOKIE, f"{forged.split('.')[0]}.{mac}") is None
    assert session.unsign(SECRET, session.LOGIN_COOKIE, value) is None  # bound to its cookie's name
    expired = session.sign(SECRET, session.SESSION_COOKIE, {"token": "t", "exp": time.time() - 1})
    assert session.unsign(SECRET, session.SESSION_COOKIE, expired) is None
    for junk in (None, "", "abc", "a.b.c", "%%%.%%%"):
        assert session.unsign(SECRET, session.SESSION_COOKIE, junk) is None


def test_the_cookie_is_http_only_and_same_site_lax():
    header = session.cookie_header("console_session", "v", 60, secure=True)
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" in header and "Max-Age=60" in header


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/cases/1?x=2", "/cases/1?x=2"),
        (None, "/"),
        ("", "/"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil", "/"),
        ("worklist", "/"),
    ],
)
def test_after_sign_in_only_a_path_of_this_site(given, expected):
    assert pages.safe_next(given) == expected


def test_the_registration_body_leaves_out_empty_fields_and_reads_local_time_in_the_campus_zone():
    form = {
        "campus": "east",
        "channel": "phone",
        "category": "billing",
        "severity": "normal",
        "source": "patient_or_family",
        "summary": " Charged twice ",
        "received_at": "2026-11-20T09:30",
        "complainant.name": "Wang",
        "complainant.phone": "",
        "patient.name": "",
        "patient.mrn": "",
        "desired_outcome": "",
    }
    body, errors = pages.complaint_body(form, ["billing_office"], lambda campus: "Asia/Shanghai")
    assert errors == {}
    assert body == {
        "campus": "east",
        "channel": "phone",
        "category": "billing",
        "severity": "normal",
        "source": "patient_or_family",
        "summary": "Charged twice",
        "departments": ["billing_office"],
        "anonymous": False,
        "complainant": {"name": "Wang"},
        "received_at": "2026-11-20T09:30:00+08:00",
    }
    _, errors = pages.complaint_body({**form, "received_at": "yesterday"}, [], lambda campus: "Asia/Shanghai")
    assert list(errors) == ["received_at"]


def test_each_action_posts_the_body_its_api_expects():
    cid = "6b0c1f43-8e53-4a4c-9d49-2b5d1b0d2f10"
    form = MultiDict([("departments", "cardiology"), ("departments", "nursing")])
    assert pages.action_call("assign", cid, form) == (
        "investigation",
        f"/cases/{cid}/assignments",
        {"departments": ["cardiology", "nursing"]},
    )
    assert pages.action_call(
        "request_extension", cid, MultiDict({"department": "nursing", "reason": "night shift", "requested_days": "3"})
    )[2] == {"department": "nursing", "reason": "night shift", "requested_days": 3}
    assert pages.action_call("request_extension", cid, MultiDict({"requested_days": "three"}))[2] == {
        "requested_days": "three"
    }  # as typed: the service names what is wrong
    assert pages.action_call("decide_extension", cid, MultiDict({"extension_id": "e1", "granted": "false"})) == (
        "investigation",
        f"/cases/{cid}/extensions/e1/decision",
        {"granted": False},
    )
    assert pages.action_call("follow_up", cid, MultiDict({"satisfied": "true", "note": ""}))[2] == {"satisfied": True}
    assert pages.action_call("resolve_on_spot", cid, MultiDict({"resolution": "refunded"})) == (
        "intake",
        f"/complaints/{cid}/resolve-on-spot",
        {"resolution": "refunded"},
    )
    assert pages.action_call(
        "settle_dispute", cid, MultiDict({"dispute_id": "d1", "compensation_amount": "1200.50", "currency": "CNY"})
    ) == ("investigation", f"/cases/{cid}/disputes/d1/settle", {"compensation_amount": "1200.50", "currency": "CNY"})
    with pytest.raises(KeyError):
        pages.action_call("delete_everything", cid, MultiDict())


def test_reportings_page_is_embedded_without_its_document_or_any_url():
    page = (
        "<!DOCTYPE html><html><head><style>x</style></head><body><h1>Report</h1>"
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect/></svg></body></html>'
    )
    fragment = pages.report_fragment(page)
    assert fragment == '<h2>Report</h2><svg viewBox="0 0 1 1"><rect/></svg>'  # the console's page has the <h1>
    assert "http" not in fragment and "<style>" not in fragment


def test_no_template_or_static_file_names_a_url():
    """Nothing is loaded from elsewhere: the browser test checks the pages as served, this every source."""
    folder = pages.HERE
    for path in [*folder.joinpath("templates").glob("*.html"), *folder.joinpath("static").glob("*.*")]:
        if path.suffix == ".LICENSE":
            continue
        assert not re.search(r"https?://", path.read_text(encoding="utf-8")), path.name


def test_demo_people_are_the_hospitals_people():
    people = {p.key: p for p in pages.demo_people(load_hospital())}
    assert people["east-office"].subject == "east-office-head" and people["east-office"].role == auth.OFFICER
    assert people["west-cardiology"].department == "cardiology" and people["west-cardiology"].campuses == ("west",)
    assert people["leadership-lead-01"].campuses == ("*",)
    assert {"east-desk", "west-desk", "auditor", "ops"} <= set(people)


# -- OpenID Connect ------------------------------------------------------------------------------------------

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ISSUER = "https://login.hospital.example"
SETTINGS = replace(
    Settings.from_env(),
    oidc_issuer=ISSUER,
    oidc_client_id="console",
    oidc_client_secret="s",
    oidc_redirect_uri="https://console.hospital.example/login/oidc/callback",
)


class _Keys:
    def get_signing_key_from_jwt(self, token: str):
        return jwt.PyJWK({**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key())), "alg": "RS256"})


def client() -> oidc.OidcClient:
    made = oidc.OidcClient(SETTINGS)
    made._metadata = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/auth",
        "token_endpoint": f"{ISSUER}/t",
        "jwks_uri": f"{ISSUER}/jwks",
    }
    made._jwks = _Keys()  # the issuer's JWKS, without a network
    return made


def id_token(key=KEY, **claims) -> str:
    now = int(time.time())
    return jwt.encode(
        {
            "sub": "east-office-head",
            "iss": ISSUER,
            "aud": "console",
            "iat": now,
            "exp": now + 300,
            "nonce": "n1",
            "role": "complaint_officer",
            "campuses": ["east"],
            **claims,
        },
        key,
        algorithm="RS256",
    )


def test_an_id_token_is_checked_for_signature_issuer_audience_expiry_and_nonce():
    assert client().verify_id_token(id_token(), "n1")["sub"] == "east-office-head"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for bad, nonce in [
        (id_token(key=other), "n1"),
        (id_token(iss="https://elsewhere.example"), "n1"),
        (id_token(aud="another-client"), "n1"),
        (id_token(exp=int(time.time()) - 10), "n1"),
        (id_token(), "another-nonce"),
    ]:
        with pytest.raises(oidc.LoginFailed):
            client().verify_id_token(bad, nonce)


def test_the_services_token_is_minted_from_the_id_tokens_claims():
    claims = client().verify_id_token(id_token(), "n1")
    principal = auth.authenticator().verify(client().bearer({"access_token": "a"}, claims))
    assert principal == auth.Principal("east-office-head", auth.OFFICER, ("east",))
    with pytest.raises(oidc.LoginFailed):
        client().bearer({}, {**claims, "role": "system"})  # never a service's role from a person's sign-in
    with pytest.raises(oidc.LoginFailed):
        client().bearer({}, {**claims, "role": None})


def test_the_authorization_request_carries_state_nonce_and_pkce():
    verifier, challenge = oidc.pkce_pair()
    url = client().authorization_url("s1", "n1", challenge)
    assert (
        url.startswith(f"{ISSUER}/auth?")
        and "code_challenge_method=S256" in url
        and f"code_challenge={challenge}" in url
        and "state=s1" in url
        and "nonce=n1" in url
        and verifier not in url
    )


def test_the_dispute_duties_forms_make_their_api_calls_with_local_times_in_utc():
    cid = "5b0c2f4e-3a1d-4c8e-9f7a-1d2e3f4a5b6c"
    form = MultiDict(
        {
            "tz": "Asia/Shanghai",
            "items": "病历\n\n输液器 ",
            "sealed_at": "2026-12-02T08:30",
            "hospital_witness": "east-office-head",
            "patient_side_present": "true",
        }
    )
    assert pages.action_call("seal_records", cid, form) == (
        "investigation",
        f"/cases/{cid}/seals",
        {
            "hospital_witness": "east-office-head",
            "items": ["病历", "输液器"],
            "sealed_at": "2026-12-02T08:30:00+08:00",
            "patient_side_present": True,
        },  # the unanswered question is left out: the API names it
    )
    unseal = pages.action_call("unseal_records", cid, MultiDict({"seal_id": "s1", "reason": "jointly"}))
    assert unseal == ("investigation", f"/cases/{cid}/seals/s1/unseal", {"reason": "jointly"})
    report = MultiDict({"dispute_id": "d1", "authority": "卫健委", "report_kind": "initial", "reported_at": "soon"})
    assert pages.action_call("report_to_authority", cid, report)[1:] == (
        f"/cases/{cid}/disputes/d1/authority-reports",
        {"authority": "卫健委", "report_kind": "initial", "reported_at": "soon"},  # as typed: the API names it
    )
    police = pages.action_call("report_to_police", cid, MultiDict({"reason": "threats"}))[2]
    assert police["reason"] == "threats" and police["reported_at"].endswith("+00:00")  # empty: now
    route = pages.action_call("change_dispute_route", cid, MultiDict({"dispute_id": "d1", "route": "litigation"}))
    assert route[1:] == (f"/cases/{cid}/disputes/d1/route", {"route": "litigation"})


def _request(path: str, payload: dict, headers: dict | None = None):
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    cookie = session.sign(APP_SETTINGS.session_secret, session.SESSION_COOKIE, payload)
    builder = EnvironBuilder(path=path, headers={"Cookie": f"{session.SESSION_COOKIE}={cookie}", **(headers or {})})
    return Request(builder.get_environ())


APP_SETTINGS = replace(Settings.from_env(), session_hours=8)


def test_a_console_minted_session_is_renewed_while_the_person_works_not_by_the_timelines_poll():
    app = pages.App(APP_SETTINGS, load_hospital(), urls={})
    token = auth.authenticator().mint("east-office-head", "complaint_officer", ["east"], ttl=3 * 3600)
    old = {"token": token, "csrf": "c", "exp": time.time() + 3 * 3600, "renewable": True}  # 5 of 8 hours gone

    ctx = app.context(_request("/worklist", old))
    assert ctx.token != token and ctx.principal.subject == "east-office-head" and ctx.csrf == "c"
    renewed = session.unsign(
        APP_SETTINGS.session_secret, session.SESSION_COOKIE, ctx.cookies[0].split(";")[0].split("=", 1)[1]
    )
    assert renewed["exp"] > time.time() + 7.9 * 3600
    assert auth.authenticator().verify(renewed["token"]).subject == "east-office-head"

    assert app.context(_request("/cases/x/timeline", old)).cookies == []  # a poll is not an action
    assert app.context(_request("/worklist", {**old, "renewable": False})).cookies == []  # not minted here
    fresh = {**old, "exp": time.time() + 7 * 3600}
    assert app.context(_request("/worklist", fresh)).cookies == []  # more than half left


def test_signing_in_again_returns_to_the_page_never_to_its_fragment():
    page = "http://console.example/cases/1?tab=deadlines"
    poll = _request("/cases/1/timeline", {}, {"HX-Request": "true", "HX-Current-URL": page})
    assert pages.is_poll(poll) and pages.return_path(poll) == "/cases/1?tab=deadlines"
    assert pages.return_path(_request("/cases/1/timeline", {})) == "/cases/1"
    assert not pages.is_poll(_request("/cases/1/timeline", {}))  # a browser's own request is no poll


def test_a_hint_is_linked_to_its_field_and_so_is_the_error():
    app = pages.App(APP_SETTINGS, load_hospital(), urls={})
    macros = app.templates.get_template("_macros.html").make_module(
        {"t": lambda key, **_: key, "fid": lambda x: x.replace(".", "-"), "field_message": str}
    )
    plain = str(macros.text("received_by", "Received by", {}, {}, hint="your staff id"))
    assert 'aria-describedby="hint-received_by"' in plain and 'id="hint-received_by"' in plain
    failed = str(macros.text("received_by", "Received by", {}, {"received_by": ["bad"]}, hint="your staff id"))
    assert 'aria-describedby="hint-received_by err-received_by"' in failed and 'aria-invalid="true"' in failed
    assert "aria-describedby" not in str(macros.text("note", "Note", {}, {}))


def test_every_page_template_has_one_h1():
    for path in sorted((pages.HERE / "templates").glob("*.html")):
        if path.name.startswith("_") or path.name == "base.html":
            continue
        if path.name == "report_print.html":  # its one <h1> is the report's own (report_fragment, unshifted)
            assert path.read_text(encoding="utf-8").count("<h1") == 0
            continue
        assert path.read_text(encoding="utf-8").count("<h1") == 1, path.name


def test_the_print_view_keeps_the_reports_own_h1_and_the_page_moves_it_down():
    page = "<html><body><h1>月报</h1><h2>主要指标</h2></body></html>"
    assert str(pages.report_fragment(page, shift_headings=False)).count("<h1") == 1
    assert str(pages.report_fragment(page)).count("<h1") == 0


def test_a_reply_given_by_phone_sends_when_and_by_whom_in_the_campus_time():
    cid = "6f1c2b1e-1111-4222-8333-944455556666"
    form = MultiDict(
        {
            "contact_person": "east-office-head",
            "actions_taken": "called back",
            "result": "apology",
            "channel_preference": "phone",
            "delivered_at": "2026-12-01T10:30",
            "delivered_by": "east-office-head",
            "tz": "Asia/Shanghai",
        }
    )
    service, path, body = pages.action_call("reply", cid, form)
    assert (service, path) == ("investigation", f"/cases/{cid}/replies")
    assert body["delivered_at"] == "2026-12-01T10:30:00+08:00" and body["delivered_by"] == "east-office-head"
    emailed = pages.action_call("feedback", cid, MultiDict({"channel_preference": "email", "progress": "p"}))[2]
    assert emailed == {"channel_preference": "email", "progress": "p"}  # nothing the API would refuse


@pytest.mark.parametrize(
    ("complaint", "warned"),
    [
        ({"anonymous": False, "complainant": {"name": "A", "phone": "010-12345678"}}, True),
        ({"anonymous": False, "complainant": {"name": "A"}}, True),
        ({"anonymous": False, "complainant": {"phone": "13800138000"}}, False),
        ({"anonymous": False, "complainant": {"postal_address": "北京市"}}, False),
        ({"anonymous": True, "complainant": {}}, False),
    ],
)
def test_the_registered_page_warns_of_a_complainant_nothing_can_reach(complaint, warned):
    assert pages.no_usable_contact(complaint) is warned
