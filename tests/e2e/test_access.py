"""Access control and personal data through the real services: every role against every endpoint,
scopes, bad tokens, erasure by destroying a complaint's key, write rate limits, the hash-chained logs."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import jwt
import pytest
import requests

from shared.auth import AUDITOR, FIRST_CONTACT, LEADERSHIP, LIAISON, OFFICER, OPS, ROLES, SYSTEM
from tests.e2e.conftest import ServiceProcess, token_for
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
ANY = object()  # a path parameter filled from the test case


def tokens() -> dict[str, str]:
    """One caller per role, all scoped to the east campus (a liaison to east's cardiology)."""
    return {
        role: token_for(role, f"matrix-{role}", ("east",), "cardiology" if role == LIAISON else None) for role in ROLES
    }


# (service, method, path, roles allowed). {cid} is an east complaint with cardiology assigned.
ENDPOINTS = [
    ("intake", "POST", "/complaints", {FIRST_CONTACT, OFFICER}),
    ("intake", "GET", "/complaints", {FIRST_CONTACT, OFFICER, LIAISON, LEADERSHIP, AUDITOR}),
    ("intake", "GET", "/complaints/{cid}", {FIRST_CONTACT, OFFICER, LIAISON, LEADERSHIP, AUDITOR}),
    ("intake", "POST", "/complaints/{cid}/resolve-on-spot", {FIRST_CONTACT, OFFICER}),
    ("intake", "POST", "/complaints/{cid}/not-accepted", {OFFICER}),
    ("intake", "POST", "/complaints/{cid}/withdraw", {OFFICER}),
    ("intake", "POST", "/complaints/{cid}/reclassify", {OFFICER}),
    ("intake", "POST", "/complaints/{cid}/erasure", {OFFICER, AUDITOR}),
    ("investigation", "GET", "/cases", {OFFICER, LIAISON, LEADERSHIP, AUDITOR}),
    ("investigation", "GET", "/cases/views", {OFFICER, LIAISON, LEADERSHIP, AUDITOR}),
    ("investigation", "GET", "/cases/{cid}", {OFFICER, LIAISON, LEADERSHIP, AUDITOR}),
    ("investigation", "POST", "/cases/{cid}/assignments", {OFFICER}),
    ("investigation", "POST", "/cases/{cid}/extensions", {OFFICER, LIAISON}),
    ("investigation", "POST", "/cases/{cid}/extensions/{uuid}/decision", {OFFICER}),
    ("investigation", "POST", "/cases/{cid}/findings", {OFFICER, LIAISON}),
    ("investigation", "POST", "/cases/{cid}/escalate", {OFFICER}),
    ("investigation", "POST", "/cases/{cid}/replies", {OFFICER}),
    ("investigation", "POST", "/cases/{cid}/rectifications", {OFFICER}),
    ("investigation", "POST", "/cases/{cid}/rectifications/{uuid}/complete", {OFFICER, LIAISON}),
    ("investigation", "POST", "/cases/{cid}/follow-up", {OFFICER}),
    ("investigation", "POST", "/cases/{cid}/close", {OFFICER}),
    ("investigation", "POST", "/cases/{cid}/reopen", {OFFICER}),
    ("investigation", "POST", "/cases/{cid}/disputes", {OFFICER}),
    ("investigation", "POST", "/cases/{cid}/disputes/{uuid}/settle", {OFFICER}),
    ("notification", "GET", "/notifications?complaint_id={cid}", {OFFICER, AUDITOR, LEADERSHIP}),
    ("notification", "GET", "/letters", {OFFICER}),
    ("notification", "GET", "/letters/{uuid}", {OFFICER}),
    ("notification", "POST", "/letters/{uuid}/posted", {OFFICER}),
    ("reporting", "GET", "/reports/summary", {OFFICER, LEADERSHIP, AUDITOR, OPS}),
    ("reporting", "GET", "/reports/monthly?month=2026-11", {OFFICER, LEADERSHIP, AUDITOR, OPS}),
    ("reporting", "POST", "/admin/rebuild", {OPS}),
    *[
        (s, "GET", "/events?after=0&limit=1", {SYSTEM, OPS, AUDITOR, OFFICER})
        for s in ("intake", "investigation", "notification")
    ],
]


@pytest.fixture(scope="module")
def east_case(stack, complaint):
    created = stack.intake.post("/complaints", complaint(departments=["cardiology"]))
    assert created.status_code == 201, created.text
    cid = created.json()["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").status_code == 200, what="the case")
    return cid


def call(stack, service: str, method: str, path: str, token: str | None, body: object = None) -> requests.Response:
    url = f"{stack[service].url}{path}"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, url, json=body if method == "POST" else None, headers=headers, timeout=10)


@pytest.mark.parametrize("service,method,path,allowed", ENDPOINTS, ids=[f"{e[1]} {e[0]}{e[2]}" for e in ENDPOINTS])
def test_every_role_against_every_endpoint(stack, east_case, service, method, path, allowed):
    """Allowed roles get past the door (whatever the request then says: 200, 400, 404, 409); the others 403.
    The body is deliberately invalid, so an allowed write is refused as bad input and changes nothing."""
    filled = path.format(cid=east_case, uuid=uuid.uuid4())
    for role, token in tokens().items():
        response = call(stack, service, method, filled, token, {"surely": "invalid"})
        if role in allowed:
            assert response.status_code not in (401, 403), (role, method, filled, response.text)
        else:
            assert response.status_code == 403, (role, method, filled, response.status_code, response.text)
            assert role in response.json()["error"]


def test_health_and_metrics_need_no_token(stack):
    for process in stack.values():
        for path in ("/health/live", "/health/ready", "/metrics"):
            assert requests.get(f"{process.url}{path}", timeout=5).status_code == 200


@pytest.mark.parametrize(
    "header,why",
    [
        (None, "a bearer token is required"),
        ("Basic dXNlcjpwdw==", "must be 'Bearer <token>'"),
        ("Bearer not.a.jwt", "not valid"),
    ],
)
def test_no_token_or_a_malformed_one_is_401(stack, header, why):
    headers = {"Authorization": header} if header else {}
    response = requests.get(f"{stack.intake.url}/complaints", headers=headers, timeout=5)
    assert response.status_code == 401 and why in response.json()["error"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_forged_and_incomplete_tokens_are_401(stack):
    expired = token_for(OFFICER, ttl=-60)
    forged = jwt.encode(
        {
            "sub": "mallory",
            "role": OFFICER,
            "campuses": ["*"],
            "iat": 1,
            "exp": 4102444800,
            "iss": "complaints",
            "aud": "complaints",
        },
        "not-our-key-0123456789abcdef0123456789",
        algorithm="HS256",
    )
    liaison_without_department = token_for(LIAISON)
    cases = [(expired, "expired"), (forged, "signature"), (liaison_without_department, "must name the department")]
    for token, why in cases:
        response = stack.investigation.get("/cases", token=token)
        assert response.status_code == 401 and why in response.json()["error"], response.text


def test_scopes_a_campus_office_sees_only_its_campus_and_a_liaison_only_their_department(stack, east_case, complaint):
    """An id out of scope is answered 404, as an unknown one (issue 11 item 11: it was 403, which told that the
    id exists elsewhere); a request about a campus out of scope, naming no id, stays 403."""
    west_officer = token_for(OFFICER, "west-office-head", ("west",))
    assert stack.intake.get(f"/complaints/{east_case}", token=west_officer).status_code == 404
    assert stack.investigation.get(f"/cases/{east_case}", token=west_officer).status_code == 404
    assert (
        stack.investigation.post(f"/cases/{east_case}/escalate", {"reason": "x"}, token=west_officer).status_code == 404
    )
    assert stack.intake.post("/complaints", complaint(campus="east"), token=west_officer).status_code == 403
    listed = stack.intake.get("/complaints", params={"limit": 1000}, token=west_officer).json()["complaints"]
    # every complaint listed concerns west (one reclassified to concern east and west is west's too)
    assert all("west" in c["campuses"] for c in listed), [c["campuses"] for c in listed]
    assert not [c for c in listed if c["complaint_id"] == east_case]

    nursing = token_for(LIAISON, "east-nursing-liaison", ("east",), "nursing")
    cardiology = token_for(LIAISON, "east-cardiology-liaison", ("east",), "cardiology")
    assert stack.investigation.get(f"/cases/{east_case}", token=nursing).status_code == 404
    assert stack.investigation.get(f"/cases/{east_case}", token=cardiology).status_code == 200
    mine = stack.investigation.get("/cases", params={"limit": 1000}, token=cardiology).json()["cases"]
    assert mine and all("cardiology" in c["departments"] for c in mine)
    findings = {
        "department": "cardiology",
        "substantiated": "no",
        "summary": "s",
        "signed_off_by": "east-cardiology-head",
    }
    assert stack.investigation.post(f"/cases/{east_case}/findings", findings, token=nursing).status_code == 404
    assert (
        stack.investigation.post(
            f"/cases/{east_case}/findings", {**findings, "department": "nursing"}, token=nursing
        ).status_code
        == 404
    )  # nursing is not on this case
    # Cardiology sees the case, but may not act for another department: that is a refusal, not an unknown id.
    assert (
        stack.investigation.post(
            f"/cases/{east_case}/findings", {**findings, "department": "nursing"}, token=cardiology
        ).status_code
        == 403
    )


def test_erasure_makes_personal_data_unreadable_and_keeps_statistics_and_logs(stack, complaint):
    email, name = "erase.me@example.org", "Erase Me"
    created = stack.intake.post(
        "/complaints",
        complaint(
            departments=[],
            complainant={"name": name, "email": email, "phone": "13700009999"},
            patient={"name": "Patient Erase", "mrn": "MRN-ERASE-1"},
            summary="Erase Me was overcharged",
        ),
    ).json()
    cid = created["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").status_code == 200, what="the case")
    before = stack.intake.get(f"/complaints/{cid}").json()
    assert before["complainant"]["name"] == name and before["summary"] == "Erase Me was overcharged"
    events_before = stack.intake.get("/events", params={"after": 0, "limit": 1000}).json()["events"]
    totals_before = stack.reporting.get("/reports/summary").json()["received"]["total"]

    first_contact = token_for(FIRST_CONTACT, "east-desk-01", ("east",))
    assert stack.intake.post(f"/complaints/{cid}/erasure", {"reason": "r"}, token=first_contact).status_code == 403
    auditor = token_for(AUDITOR, "auditor-01", ("*",))
    erased = stack.intake.post(f"/complaints/{cid}/erasure", {"reason": "lawful request 2026-117"}, token=auditor)
    assert erased.status_code == 200, erased.text
    shown = erased.json()
    assert shown["personal_data_erased"] is True and shown["summary"] is None
    assert shown["complainant"] == {
        "name": None,
        "phone": None,
        "email": None,
        "relation": None,
        "postal_address": None,
        "preferred_channel": None,
    }
    assert shown["patient"] == {"name": None, "mrn": None}
    assert shown["history"][-1]["action"] == "erasure" and shown["history"][-1]["actor"]["id"] == "auditor-01"
    again = stack.intake.post(f"/complaints/{cid}/erasure", {"reason": "again"}, token=auditor)
    assert again.status_code == 409 and again.json()["state"] == "erased"

    # The rows themselves hold nothing readable: the sealed bytes cannot be opened without the key.
    import psycopg2

    from shared import config

    with psycopg2.connect(config.database_url("intake")) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT wrapped_key FROM complainant_keys k JOIN complaints c USING (complainant_ref)"
            " WHERE c.complaint_id = %s",
            (cid,),
        )
        assert cur.fetchone()[0] is None
        cur.execute("SELECT row_to_json(p)::text FROM complainants p WHERE complaint_id = %s", (cid,))
        assert email not in cur.fetchone()[0]

    # A reply can no longer reach them, and says so; the case may close.
    reply = stack.investigation.post(
        f"/cases/{cid}/replies", {"contact_person": "east-office-head", "actions_taken": "refund", "result": "refunded"}
    )
    assert reply.status_code == 201
    failed = wait_for(
        lambda: next(
            (
                n
                for n in stack.notification.get("/notifications", params={"complaint_id": cid}).json()["notifications"]
                if n["purpose"] == "reply" and n["status"] == "failed"
            ),
            None,
        ),
        what="the reply failing",
    )
    assert "erased" in failed["last_error"]
    wait_for(lambda: stack.investigation.post(f"/cases/{cid}/close", {}).status_code == 200, what="close")

    # Statistics and the audit trail are unchanged; every log still verifies.
    events_after = stack.intake.get("/events", params={"after": 0, "limit": 1000}).json()["events"]
    assert events_after[: len(events_before)] == events_before
    assert stack.reporting.get("/reports/summary").json()["received"]["total"] >= totals_before
    for service in ("intake", "investigation", "notification"):
        run = subprocess.run(
            [sys.executable, "-m", "shared.verify_log", service], capture_output=True, text=True, env=os.environ
        )
        assert run.returncode == 0 and "chain intact" in run.stdout, run.stdout + run.stderr


def test_writes_are_rate_limited_per_client_and_a_limited_write_changes_nothing(stack, complaint):
    """A second intake replica with tight limits (3 at once, then 1 a minute) on the slot's spare port."""
    port = int(os.environ["INTAKE_PORT"]) + 6
    limited = ServiceProcess(
        "intake", port=port, env={"RATE_LIMIT_WRITE_BURST": "3", "RATE_LIMIT_WRITES_PER_MINUTE": "1"}
    )
    limited.start()
    try:
        head = limited.get("/events", params={"after": 0, "limit": 1}).json()["head"]
        caller = token_for(FIRST_CONTACT, "busy-desk", ("east",))
        statuses = [limited.post("/complaints", complaint(), token=caller).status_code for _ in range(5)]
        assert statuses == [201, 201, 201, 429, 429]
        refused = limited.post("/complaints", complaint(), token=caller)
        assert int(refused.headers["Retry-After"]) >= 1 and "too many writes" in refused.json()["error"]
        assert limited.get("/events", params={"after": 0, "limit": 1}).json()["head"] == head + 3
        # Another client is not held up by the busy one; reads are not limited.
        other = token_for(FIRST_CONTACT, "quiet-desk", ("east",))
        assert limited.post("/complaints", complaint(), token=other).status_code == 201
        assert limited.get("/complaints", token=caller).status_code == 200
    finally:
        limited.stop()


def test_a_liaison_of_a_department_assigned_later_may_read_the_complaint(stack, complaint):
    created = stack.intake.post("/complaints", complaint(departments=["cardiology"])).json()
    cid = created["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").status_code == 200, what="the case")
    radiology = token_for(LIAISON, "east-radiology-liaison", ("east",), "radiology")
    assert stack.intake.get(f"/complaints/{cid}", token=radiology).status_code == 404  # not (yet) in scope: as unknown
    assert stack.investigation.post(f"/cases/{cid}/assignments", {"departments": ["radiology"]}).status_code == 200
    wait_for(
        lambda: stack.intake.get(f"/complaints/{cid}", token=radiology).status_code == 200,
        what="intake following the assignment",
    )
    listed = stack.intake.get("/complaints", params={"limit": 1000}, token=radiology).json()["complaints"]
    assert cid in {c["complaint_id"] for c in listed}


# -- tokens without a subject ---------------------------------------------------------------------------------


@pytest.mark.parametrize("subject", ["", "  "])
def test_a_token_with_an_empty_subject_is_401_on_every_service(stack, subject):
    """Who acted is the token's subject: a token naming nobody is no token (issue 11 item 7)."""
    from shared.auth import authenticator

    token = authenticator().mint(subject, OFFICER, ["*"])
    for service, path in (
        ("intake", "/complaints"),
        ("investigation", "/cases"),
        ("notification", "/letters"),
        ("reporting", "/reports/summary"),
        ("intake", "/events"),
    ):
        response = stack[service].get(path, token=token)
        assert response.status_code == 401, (service, path, response.text)
        assert "subject" in response.json()["error"]


# -- an id out of scope is an unknown id ---------------------------------------------------------------------------


def _as_unknown(response: requests.Response, known: str, unknown_response: requests.Response, unknown: str) -> None:
    """The answer about an id out of scope is the answer about an id that names nothing (but for the id)."""
    assert response.status_code == unknown_response.status_code == 404, (response.text, unknown_response.text)
    assert response.json()["error"].replace(known, "<id>") == unknown_response.json()["error"].replace(unknown, "<id>")


def test_an_id_out_of_scope_is_answered_as_an_unknown_id_on_every_service(stack, complaint):
    created = stack.intake.post("/complaints", complaint(departments=["cardiology"])).json()
    cid, unknown = created["complaint_id"], str(uuid.uuid4())
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").status_code == 200, what="the case")
    wait_for(
        lambda: stack.notification.get("/notifications", params={"complaint_id": cid}).json()["notifications"],
        what="the acknowledgement",
    )
    wait_for(lambda: stack.reporting.get(f"/reports/complaints/{cid}").status_code == 200, what="reporting's copy")
    west = token_for(OFFICER, "west-office-head", ("west",))
    nursing = token_for(LIAISON, "east-nursing-liaison", ("east",), "nursing")
    west_auditor = token_for(AUDITOR, "west-auditor", ("west",))
    calls = [
        (west, "intake", "GET", "/complaints/{id}", None),
        (west, "intake", "POST", "/complaints/{id}/withdraw", {}),
        (west, "intake", "POST", "/complaints/{id}/erasure", {"reason": "r"}),
        (nursing, "intake", "GET", "/complaints/{id}", None),
        (west, "investigation", "GET", "/cases/{id}", None),
        (west, "investigation", "POST", "/cases/{id}/escalate", {"reason": "x"}),
        (nursing, "investigation", "GET", "/cases/{id}", None),
        (
            nursing,
            "investigation",
            "POST",
            "/cases/{id}/extensions",
            {"department": "nursing", "requested_days": 3, "reason": "x"},
        ),
        (west_auditor, "reporting", "GET", "/reports/complaints/{id}", None),
    ]
    for token, service, method, path, body in calls:
        scoped = call(stack, service, method, path.format(id=cid), token, body)
        nothing = call(stack, service, method, path.format(id=unknown), token, body)
        _as_unknown(scoped, cid, nothing, unknown)
    # A listing by complaint id answers an unknown id with nothing: so it answers one out of scope.
    for cid_asked in (cid, unknown):
        listed = stack.notification.get("/notifications", params={"complaint_id": cid_asked}, token=west)
        assert listed.status_code == 200 and listed.json() == {"notifications": []}
    # Nothing was changed by the refused writes.
    shown = stack.intake.get(f"/complaints/{cid}").json()
    assert shown["status"] == "received" and shown["personal_data_erased"] is False
    assert stack.investigation.get(f"/cases/{cid}").json()["escalated"] is False


# -- GET /events: scoped, and per complaint ----------------------------------------------------------------------


def _log(stack, service: str, token: str, **params: object) -> list[dict]:
    found: list[dict] = []
    while True:
        response = stack[service].get(
            "/events", params={"after": found[-1]["sequence"] if found else 0, "limit": 1000, **params}, token=token
        )
        assert response.status_code == 200, response.text
        page = response.json()["events"]
        found += page
        if len(page) < 1000:
            return found


@pytest.fixture(scope="module")
def campus_cases(stack, complaint):
    """An east and a west complaint, each replied to (every log has events of both: the reply's ReplySent)."""
    found = {}
    for campus in ("east", "west"):
        cid = stack.intake.post("/complaints", complaint(campus=campus, departments=[])).json()["complaint_id"]
        wait_for(lambda cid=cid: stack.investigation.get(f"/cases/{cid}").status_code == 200, what=f"{campus} case")
        reply = stack.investigation.post(
            f"/cases/{cid}/replies",
            {"contact_person": "office", "actions_taken": "the invoice was corrected", "result": "refund paid"},
        )
        assert reply.status_code == 201, reply.text
        wait_for(
            lambda cid=cid: any(e["subject"] == cid for e in _log(stack, "notification", token_for(AUDITOR))),
            timeout=30,
            what=f"{campus} ReplySent",
        )
        found[campus] = cid
    return found


SERVICES_WITH_LOGS = ("intake", "investigation", "notification")


@pytest.mark.parametrize("service", SERVICES_WITH_LOGS)
def test_a_campus_officer_reads_only_the_events_of_their_campus(stack, campus_cases, service):
    """Issue 11 item 4: a west officer read every east event (with staff-written text). Services, ops and
    auditors read the whole log; an officer of some campuses the events of complaints there."""
    everything = _log(stack, service, token_for(AUDITOR, "auditor-01", ("*",)))
    assert {campus_cases["east"], campus_cases["west"]} <= {e["subject"] for e in everything}
    assert _log(stack, service, token_for(OPS, "ops-01", ("*",)))[: len(everything)] == everything  # read later
    west = _log(stack, service, token_for(OFFICER, "west-office-head", ("west",)))
    subjects = {e["subject"] for e in west}
    assert campus_cases["west"] in subjects and campus_cases["east"] not in subjects
    for subject in subjects:  # each one a complaint that concerns west
        assert "west" in stack.intake.get(f"/complaints/{subject}").json()["campuses"]
    # Every event of those complaints is there, in sequence order, as the full log has it (read earlier).
    theirs = [e for e in everything if e["subject"] in subjects]
    assert west[: len(theirs)] == theirs
    assert [e["sequence"] for e in west] == sorted(e["sequence"] for e in west)


@pytest.mark.parametrize("service", SERVICES_WITH_LOGS)
def test_events_of_one_complaint_by_subject_scoped_like_the_log(stack, campus_cases, service):
    """Issue 12 item 9: ``GET /events?subject=<complaint_id>`` on every service's log, through the stream
    index, for the console's case page; out of scope it is answered as a complaint with no events."""
    east = campus_cases["east"]
    auditor = token_for(AUDITOR, "auditor-01", ("*",))
    expected = [e for e in _log(stack, service, auditor) if e["subject"] == east]
    assert expected
    assert _log(stack, service, auditor, subject=east) == expected
    assert _log(stack, service, token_for(OFFICER, "east-office-head", ("east",)), subject=east) == expected
    assert _log(stack, service, token_for(OFFICER, "west-office-head", ("west",)), subject=east) == []
    assert _log(stack, service, auditor, subject=str(uuid.uuid4())) == []
    # Paging within one complaint: after= and limit= hold as on the whole log.
    first = stack[service].get("/events", params={"subject": east, "limit": 1}, token=auditor).json()
    assert first["events"] == expected[:1] and first["head"] >= expected[-1]["sequence"]
    rest = _log(stack, service, auditor, subject=east, after=expected[0]["sequence"])
    assert rest == expected[1:]
    bad = stack[service].get("/events", params={"subject": "not-a-complaint"}, token=auditor)
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"subject"}


# -- intake's contact RPC --------------------------------------------------------------------------------------


def test_the_contact_rpc_answers_notification_only(stack, complaint):
    """Issue 11 item 5: ``intake.contact_for`` gave name, phone and e-mail to any AMQP client. A caller without
    notification's service token gets nothing — not even whether the id exists — and notification still
    reaches the complainant (the acknowledgement below is sent with the details it got over the RPC)."""
    from nameko.exceptions import RemoteError
    from nameko.standalone.rpc import ClusterRpcProxy

    from shared.auth import authenticator

    email = "rpc.only@example.org"
    cid = stack.intake.post("/complaints", complaint(complainant={"name": "Rpc Only", "email": email})).json()[
        "complaint_id"
    ]
    auth = authenticator()
    refused = [
        None,
        "",
        "not.a.jwt",
        token_for(OFFICER, "east-office-head", ("*",)),
        auth.service_token("reporting"),
        auth.service_token("console"),
        auth.mint("service:notification", OFFICER, ["*"]),
    ]
    # The stack's AMQP_URI is the broker's admin user on the stack's vhost: more than any attacker has.
    with ClusterRpcProxy({"AMQP_URI": os.environ["AMQP_URI"]}, timeout=20) as cluster:
        for bad in refused:
            for asked in (cid, str(uuid.uuid4())):
                with pytest.raises(RemoteError) as caught:
                    cluster.intake.contact_for(asked, **({} if bad is None else {"token": bad}))
                assert caught.value.exc_type == "CallerNotAllowed", (bad, caught.value)
                assert email not in str(caught.value.value)
        with pytest.raises(RemoteError) as caught:  # positional, as a careless client would
            cluster.intake.contact_for(cid)
        assert caught.value.exc_type == "CallerNotAllowed"
        granted = cluster.intake.contact_for(cid, token=auth.service_token("notification"))
        assert granted["email"] == email and granted["name"] == "Rpc Only"
    wait_for(
        lambda: any(email in m["to"] for m in stack.smtp.messages()),
        what="the acknowledgement e-mailed with the details notification got from intake",
    )
