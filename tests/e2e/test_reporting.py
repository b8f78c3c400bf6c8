"""Reporting through the real services: complaints posted to intake and handled in investigation over
HTTP show up in the statistics; rebuild, publication, as-of and every 4xx of reporting's endpoints."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg2
import psycopg2.extras
import pytest
import requests

from services.reporting.projection import known_at
from services.reporting.settings import CALENDARS
from shared import config
from shared.auth import AUDITOR, FIRST_CONTACT, LEADERSHIP, OPS
from shared.db import migrate
from tests.e2e.conftest import ServiceProcess, token_for
from tests.support import rabbit, simulate
from tests.support.databases import recreate
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
MONTH = "2025-05"  # a month no other test registers complaints in
CAMPUS_ZONE = ZoneInfo("Asia/Shanghai")  # both demo campuses' zone: their days are reporting's days
OFFICER = "east-office-head"
DESK = "east-desk-01"


def campus_today() -> str:
    return datetime.now(CAMPUS_ZONE).date().isoformat()


def monthly(stack, **params) -> dict:
    response = stack.reporting.get("/reports/monthly", params={"month": MONTH, **params})
    assert response.status_code == 200, response.text
    return response.json()


def complaint(**overrides) -> dict:
    body = {
        "campus": "east",
        "channel": "phone",
        "category": "billing",
        "severity": "normal",
        "source": "patient_or_family",
        "summary": "Charged twice for one X-ray",
        "departments": ["billing_office"],
        "complainant": {"name": "Li Lei", "phone": "+86 138 0000 0001", "relation": "self"},
    }
    return {**body, **overrides}


def post(stack, **overrides) -> str:
    response = stack.intake.post("/complaints", complaint(**overrides))
    assert response.status_code == 201, response.text
    return response.json()["complaint_id"]


@pytest.fixture(scope="module")
def may(stack) -> dict:
    """Five complaints received in May 2025 on both campuses, handled in intake and investigation."""
    before = datetime.now(UTC)
    ids = {
        "billing": post(stack, received_at="2025-05-12T09:00:00+08:00"),
        "major": post(
            stack,
            campus="west",
            severity="major",
            category="medical_quality",
            departments=["cardiology", "nursing"],
            received_at="2025-05-13T10:00:00+08:00",
        ),
        "moved": post(stack, category="service_quality", departments=[], received_at="2025-05-14T11:00:00+08:00"),
        "on_spot": post(stack, received_at="2025-05-15T12:00:00+08:00"),
        "refused": post(stack, category="other", received_at="2025-05-16T13:00:00+08:00"),
    }
    for key in ids.values():
        wait_for(lambda key=key: stack.investigation.get(f"/cases/{key}").status_code == 200, what="case opened")
    acted = [
        stack.intake.post(
            f"/complaints/{ids['moved']}/reclassify",
            {"category": "care_process", "campuses": ["east", "west"], "reclassified_by": OFFICER},
        ),
        stack.intake.post(
            f"/complaints/{ids['on_spot']}/resolve-on-spot", {"resolution": "bill corrected", "resolved_by": DESK}
        ),
        stack.intake.post(
            f"/complaints/{ids['refused']}/not-accepted",
            {"reason": "litigation", "route_advice": "the court", "decided_by": OFFICER},
        ),
        stack.investigation.post(
            f"/cases/{ids['billing']}/findings",
            {
                "department": "billing_office",
                "substantiated": "yes",
                "summary": "charged twice",
                "signed_off_by": "east-billing_office-head",
            },
        ),
    ]
    assert [r.status_code for r in acted] == [200, 200, 200, 200], [r.text for r in acted]
    return {"ids": ids, "before": before}


def test_figures_follow_the_complaints_through_the_services(stack, may):
    figures = wait_for(
        lambda: (
            (f := monthly(stack))["received"]["total"] == 5
            and f["received"]["by_category"].get("care_process") == 1
            and f
        ),
        timeout=30,
        what="May's figures in reporting",
    )
    received = figures["received"]
    # reclassified from service quality to care process: moved, not counted twice
    assert received["by_category"] == {"billing": 2, "care_process": 1, "medical_quality": 1, "other": 1}
    # the reclassified complaint concerns both campuses: once under each, once in the group total
    assert {c: v["total"] for c, v in received["by_campus"].items()} == {"east": 4, "west": 2}
    assert figures["escalated"] == 1  # on receipt, in May
    # what was done today counts today: resolved on the spot, not accepted, the findings (in time: billing_office,
    # named at registration, has 5 working days from the registration, issue 12); "today" is the campus's
    # day, as reporting counts it (from 16:00 UTC Shanghai is already on the next one)
    today = campus_today()
    this_month = today[:8] + "01"
    now = wait_for(
        lambda: (
            (f := stack.reporting.get("/reports/summary", params={"from": this_month, "to": today}).json())[
                "resolved_on_spot"
            ]
            >= 1
            and f["investigations"]["on_time"] >= 1
            and f
        ),
        what="today's actions counted",
    )
    assert now["not_accepted"]["by_reason"]["litigation"] >= 1
    assert figures["resolved_on_spot"] == 0 and figures["not_accepted"]["total"] == 0
    assert received["by_department"]["nursing"] == 1 and received["by_department"]["billing_office"] == 3
    # received in May 2025: every first reply is long past, so the engine breached them (exactly once each)
    breaches = wait_for(
        lambda: (
            monthly(stack)["deadline_breaches"]["by_kind"].get("first_reply", 0) >= 2
            and monthly(stack)["deadline_breaches"]
        ),
        what="breaches counted",
    )
    assert "investigation" not in breaches["by_kind"]  # counted from the registration: not yet due
    east = monthly(stack, campus="east")
    assert east["received"]["total"] == 4 and list(east["by_campus"]) == ["east"]
    summary = stack.reporting.get("/reports/summary", params={"from": "2025-05-01", "to": "2025-05-31"}).json()
    assert summary["received"]["total"] == 5 and summary["computed_from"] == "projection"
    # nothing at all in May 2024 (before the records began): no data, not 0
    assert summary["year_ago"]["comparison"]["received"] == {
        "current": 5,
        "year_ago": None,
        "change": None,
        "change_pct": None,
    }
    facts = stack.reporting.get(f"/reports/complaints/{may['ids']['moved']}").json()
    assert facts["facts"]["category"] == "care_process" and facts["campuses"] == ["east", "west", "*"]


def test_as_of_a_moment_before_the_complaints_shows_none_of_them(stack, may):
    wait_for(lambda: monthly(stack)["received"]["total"] == 5, what="May's complaints")
    earlier = monthly(stack, as_of=(may["before"] - timedelta(seconds=1)).isoformat())
    assert earlier["computed_from"] == "log" and earlier["received"]["total"] == 0
    # compare "as of now" with the live figures only once nothing moves (the engine breaches May's
    # deadlines a tick after the cases open: a breach between the two reads is not a difference)
    wait_for(_quiet(stack), timeout=30, what="every event applied and nothing new arriving")
    now = monthly(stack, as_of=datetime.now(UTC).isoformat())
    current = monthly(stack)
    for key in ("received", "first_reply", "investigations", "deadline_breaches", "escalated", "series"):
        assert now[key] == current[key], key


def _quiet(stack, settle: float = 1.5):
    """A condition for wait_for: true once reporting has applied every source's whole log and no source
    has published anything for ``settle`` seconds (the deadline engine breaches May's deadlines a tick
    after the cases open)."""
    seen: dict[str, object] = {}

    def check() -> bool:
        heads = {
            s: stack[s].get("/events", params={"after": 0, "limit": 1}).json()["head"]
            for s in ("intake", "investigation", "notification")
        }
        applied = monthly(stack)["positions"]
        now = time.monotonic()
        if heads != seen.get("heads") or applied != heads:
            seen.update(heads=heads, since=now)
            return False
        return now - seen["since"] >= settle

    return check


def test_rebuild_over_http_changes_no_figure_and_runs_once_at_a_time(stack, may):
    wait_for(lambda: monthly(stack)["received"]["total"] == 5, what="May's complaints")
    wait_for(_quiet(stack), timeout=30, what="every event applied and nothing new arriving")
    before = monthly(stack)
    ops = token_for(OPS, "test-ops")
    assert stack.reporting.post("/admin/rebuild", {}).status_code == 403, "an officer may not rebuild"
    started = stack.reporting.post("/admin/rebuild", {}, token=ops)
    assert started.status_code == 202, started.text
    rebuild_id = started.json()["rebuild"]["id"]
    again = stack.reporting.post("/admin/rebuild", token=ops)
    assert again.status_code == 409 and again.json()["state"] == "running"
    done = wait_for(
        lambda: (
            (r := stack.reporting.get(f"/admin/rebuild/{rebuild_id}").json()["rebuild"])["status"] in ("done", "failed")
            and r
        ),
        timeout=60,
        what="the rebuild",
    )
    assert done["status"] == "done", done
    after = monthly(stack)
    assert {k: v for k, v in after.items() if k not in ("as_of", "positions")} == {
        k: v for k, v in before.items() if k not in ("as_of", "positions")
    }
    assert stack.reporting.get("/admin/rebuild").json()["rebuild"]["id"] == rebuild_id


def test_a_published_month_is_served_as_published_and_reproduced(stack, may):
    wait_for(lambda: monthly(stack)["received"]["total"] == 5, what="May's complaints")
    first = stack.reporting.post("/reports/monthly/publish", {"month": MONTH})
    assert first.status_code == 201, first.text
    v1 = first.json()
    assert v1["published_by"] == "test-officer"  # the caller, from the token
    post(stack, received_at="2025-05-20T09:00:00+08:00")  # a letter found late: May changes
    wait_for(lambda: monthly(stack)["received"]["total"] == 6, what="the late complaint counted")
    v2 = stack.reporting.post("/reports/monthly/publish", {"month": MONTH}).json()
    assert v2["version"] == v1["version"] + 1
    assert v1["figures"]["received"]["total"] == 5
    assert v2["changes"]["received.total"] == {"previous": 5, "current": 6}
    served = stack.reporting.get("/reports/monthly", params={"month": MONTH, "version": v1["version"]}).json()
    assert served["received"]["total"] == v1["figures"]["received"]["total"]
    assert served["publication"]["version"] == v1["version"]
    reproduced = stack.reporting.get(f"/reports/monthly/publications/{v1['id']}/reproduction").json()
    assert reproduced["matches"] is True, reproduced["differences"]
    listed = stack.reporting.get("/reports/monthly/publications", params={"month": MONTH}).json()["publications"]
    assert [p["version"] for p in listed][:2] == [v2["version"], v1["version"]]
    page = stack.reporting.get("/reports/monthly", params={"month": MONTH, "format": "html", "version": v2["version"]})
    assert page.headers["Content-Type"].startswith("text/html") and "<svg" in page.text
    assert "与上一版本相比的变动" in page.text  # zh-CN by default; the restatement's changes are shown
    english = stack.reporting.get("/reports/monthly", params={"month": MONTH, "format": "html", "lang": "en"})
    assert "Complaint statistics" in english.text
    table = stack.reporting.get("/reports/monthly", params={"month": MONTH, "format": "csv", "campus": "west"})
    assert table.headers["Content-Type"].startswith("text/csv")
    assert table.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the Chinese right
    assert "received,total,,受理投诉 · 合计,2" in table.content.decode("utf-8-sig").splitlines()
    assert "数据截至" in page.text and "（北京时间）" in page.text


def test_a_published_version_as_an_excel_sheet_and_its_changes_named(stack, may):
    from openpyxl import load_workbook

    wait_for(lambda: monthly(stack)["received"]["total"] >= 5, what="May's complaints")
    published = stack.reporting.post("/reports/monthly/publish", {"month": MONTH}).json()
    sheet = stack.reporting.get(
        "/reports/monthly", params={"month": MONTH, "format": "xlsx", "version": published["version"]}
    )
    assert sheet.status_code == 200 and sheet.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert sheet.headers["Content-Disposition"] == f'attachment; filename="complaints-{MONTH}-group.xlsx"'
    book = load_workbook(io.BytesIO(sheet.content))
    assert book.sheetnames == ["主要指标", "每日受理量", "全部数据"]
    assert book["主要指标"]["A2"].value.startswith("数据截至") and "北京时间" in book["主要指标"]["A2"].value
    named = stack.reporting.get("/reports/monthly/publications", params={"month": MONTH, "lang": "zh-CN"}).json()
    labelled = [c for p in named["publications"] for c in p["changes"].values()]
    assert all(c["label"] for c in labelled) and ("受理投诉 · 合计" in {c["label"] for c in labelled} or not labelled)
    plain = stack.reporting.get("/reports/monthly/publications", params={"month": MONTH}).json()
    assert all("label" not in c for p in plain["publications"] for c in p["changes"].values())


def test_business_metrics_per_campus(stack, may):
    wait_for(lambda: monthly(stack)["received"]["total"] >= 5, what="May's complaints")
    text = stack.reporting.get("/metrics").text
    assert 'complaints_report_received_total{campus="east"}' in text
    assert 'complaints_report_first_replies_total{campus="west",outcome="late"}' in text
    assert "complaints_report_deadline_breaches_total{" in text


BAD = [
    ("/reports/summary", {"from": "2025-05-31", "to": "2025-05-01"}, {"to"}),
    ("/reports/summary", {"campus": "north", "source": "neighbour"}, {"campus", "source"}),
    ("/reports/summary", {"from": "31/05/2025", "to": "2025-13-01"}, {"from", "to"}),
    ("/reports/summary", {"as_of": "2025-05-01T00:00:00"}, {"as_of"}),
    ("/reports/summary", {"as_of": "2999-01-01T00:00:00Z"}, {"as_of"}),
    ("/reports/summary", {"from": "2000-01-01", "to": "2025-01-01", "granularity": "day"}, {"granularity"}),
    ("/reports/summary", {"granularity": "hour", "surprise": "1"}, {"granularity", "surprise"}),
    ("/reports/summary", {"from": "2999-01-01"}, {"from"}),
    ("/reports/monthly", {}, {"month"}),
    ("/reports/monthly", {"month": "2025-13"}, {"month"}),
    ("/reports/monthly", {"month": "2999-01"}, {"month"}),
    ("/reports/monthly", {"month": MONTH, "format": "pdf", "lang": "fr"}, {"format", "lang"}),
    ("/reports/monthly", {"month": MONTH, "version": "1", "as_of": "2025-06-01T00:00:00Z"}, {"version"}),
    ("/reports/monthly", {"month": MONTH, "version": "0"}, {"version"}),
    ("/reports/monthly/publications", {"month": "May"}, {"month"}),
    ("/reports/complaints/00000000-0000-0000-0000-000000000000", {"as_of": "yesterday"}, {"as_of"}),
    # Issue 11: dates near year 1 and 9999, periods too long, offsets PostgreSQL refuses, NUL bytes
    ("/reports/summary", {"from": "0001-01-01"}, {"from"}),
    ("/reports/summary", {"from": "0002-01-01", "to": "9998-12-31", "granularity": "day"}, {"from", "to"}),
    ("/reports/summary", {"to": "9999-12-31"}, {"to"}),
    ("/reports/summary", {"from": "1900-01-01"}, {"from"}),  # up to today: longer than 100 years
    ("/reports/summary", {"from": "1900-01-01", "to": "2999-12-31", "granularity": "year"}, {"from", "granularity"}),
    ("/reports/summary", {"from": "2020-01-01", "to": "2025-12-31", "granularity": "day"}, {"granularity"}),
    ("/reports/summary", {"as_of": "2026-01-01T00:00:00+16:00"}, {"as_of"}),
    ("/reports/summary", {"as_of": "2026-01-01T00:00:00-23:59"}, {"as_of"}),
    ("/reports/summary", {"as_of": "0001-01-01T00:00:00+01:00"}, {"as_of"}),
    ("/reports/summary", {"as_of": "9999-12-31T23:59:59-10:00"}, {"as_of"}),
    (
        "/reports/summary",
        {"campus": "\x00", "source": "\x00", "granularity": "\x00", "from": "2025-05-01\x00", "as_of": "\x00"},
        {"campus", "source", "granularity", "from", "as_of"},
    ),
    ("/reports/summary", {"department": "\x00"}, {"department"}),
    ("/reports/monthly", {"month": "0001-01"}, {"month"}),
    ("/reports/monthly", {"month": "0001-01", "as_of": "0001-01-01T00:00:00Z"}, {"month", "as_of"}),
    ("/reports/monthly", {"month": "9999-12"}, {"month"}),
    ("/reports/monthly", {"month": "2025-05\x00"}, {"month"}),
    (
        "/reports/monthly",
        {"month": MONTH, "format": "\x00", "lang": "\x00", "version": "\x00"},
        {"format", "lang", "version"},
    ),
    ("/reports/monthly", {"month": MONTH, "as_of": "2025-06-01T00:00:00+16:00"}, {"as_of"}),
    ("/reports/monthly", {"month": MONTH, "format": "xlsx", "as_of": "2025-06-01 08:00"}, {"as_of"}),
    ("/reports/monthly", {"month": MONTH, "format": "html", "printable": "maybe"}, {"printable"}),
    ("/reports/monthly/publications", {"month": MONTH, "lang": "fr"}, {"lang"}),
    ("/reports/monthly/publications", {"month": "\x00", "campus": "\x00"}, {"month", "campus"}),
    ("/reports/complaints/00000000-0000-0000-0000-000000000000", {"as_of": "2026-01-01T00:00:00+16:00"}, {"as_of"}),
]


@pytest.mark.parametrize("path,params,fields", BAD)
def test_bad_queries_are_400_naming_each_field(stack, path, params, fields):
    response = stack.reporting.get(path, params=params)
    assert response.status_code == 400, response.text
    assert set(response.json()["errors"]) == fields, response.text


def test_bad_bodies_are_400_and_publish_nothing(stack):
    before = stack.reporting.get("/reports/monthly/publications").json()["publications"]
    for body, fields in [
        ({}, {"month"}),
        ({"month": "2025-5"}, {"month"}),
        ({"month": MONTH, "campus": "north"}, {"campus"}),
        ({"month": MONTH, "extra": True}, {"extra"}),
        ({"month": "2999-01"}, {"month"}),
        ({"month": "0001-01"}, {"month"}),
        ({"month": "2025-05\x00", "campus": "\x00"}, {"month", "campus"}),
    ]:
        response = stack.reporting.post("/reports/monthly/publish", body)
        assert response.status_code == 400 and set(response.json()["errors"]) == fields, response.text
    not_json = stack.reporting.post(
        "/reports/monthly/publish", data=b"{month", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400 and "_body" in not_json.json()["errors"]
    assert stack.reporting.post("/admin/rebuild", {"now": True}, token=token_for(OPS)).status_code == 400
    assert stack.reporting.get("/reports/monthly/publications").json()["publications"] == before


def test_unknown_ids_are_404(stack):
    for path in (
        "/reports/monthly/publications/999999",
        "/reports/monthly/publications/999999/reproduction",
        "/reports/complaints/not-a-uuid",
        "/reports/complaints/00000000-0000-0000-0000-000000000000",
        "/admin/rebuild/999999",
    ):
        assert stack.reporting.get(path).status_code == 404, path
    missing = stack.reporting.get("/reports/monthly", params={"month": MONTH, "version": "999"})
    assert missing.status_code == 404


def test_who_may_read_what(stack):
    url = f"{stack.reporting.url}/reports/summary"
    assert requests.get(url, timeout=10).status_code == 401
    assert stack.reporting.get("/reports/summary", token=token_for(FIRST_CONTACT)).status_code == 403
    east_officer = token_for("complaint_officer", "east-officer", campuses=("east",))
    # Naming no campus, one who covers a single campus gets that campus's figures, never the group's.
    own = stack.reporting.get("/reports/summary", token=east_officer)
    named = stack.reporting.get("/reports/summary", params={"campus": "east"}, token=east_officer)
    assert own.status_code == named.status_code == 200
    assert own.json()["period"]["campus"] == named.json()["period"]["campus"] == "east"
    assert stack.reporting.get("/reports/summary", params={"campus": "east"}, token=east_officer).status_code == 200
    assert stack.reporting.get("/reports/summary", params={"campus": "west"}, token=east_officer).status_code == 403
    assert stack.reporting.get("/metrics").status_code == 200  # public, for Prometheus


def test_leadership_reads_the_reports_and_only_the_office_publishes(stack, may):
    before = stack.reporting.get("/reports/monthly/publications").json()["publications"]
    leadership = token_for(LEADERSHIP, "test-leader")
    for path, params in (
        ("/reports/summary", {}),
        ("/reports/monthly", {"month": MONTH}),
        ("/reports/monthly/publications", {}),
    ):
        assert stack.reporting.get(path, params=params, token=leadership).status_code == 200, path
    for role in (LEADERSHIP, AUDITOR, OPS):
        refused = stack.reporting.post("/reports/monthly/publish", {"month": MONTH}, token=token_for(role))
        assert refused.status_code == 403, (role, refused.text)
    assert stack.reporting.get("/reports/monthly/publications").json()["publications"] == before


# --------------------------------------------------------------------------------------------
# The costliest allowed queries (issue 11, item 2): health keeps answering within a second
# --------------------------------------------------------------------------------------------

COSTLY_COMPLAINTS = 8000  # about 67,000 simulated events: folding them takes seconds of CPU


def _fill_with_simulated_history(dsn: str, until: datetime) -> int:
    """Insert a seeded simulated history of the last ~700 days into ``event_copy``, as the bench does."""
    log, rows = simulate.Log(seed=5), []
    for planned in simulate.stream(
        20261202, COSTLY_COMPLAINTS, until - timedelta(days=700), 690, CALENDARS.calendars, until
    ):
        event = log.envelope(planned)
        rows.append(
            (
                event.service,
                event.sequence,
                event.id,
                event.type,
                event.subject,
                event.time,
                json.dumps(event.data),
                event.subject,
                known_at(event.type, event.time, event.data),
            )
        )
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        psycopg2.extras.execute_values(
            cur,
            "INSERT INTO event_copy (source, sequence, event_id, type, subject, occurred_at, data, complaint_id,"
            " known_at) VALUES %s",
            rows,
            page_size=5000,
        )
        cur.execute(
            "INSERT INTO source_position (source, upto) SELECT source, max(sequence) FROM event_copy GROUP BY source"
        )
        # Copied past the consumer, as a database from before the bitemporal model: its as-of answers fold
        # the log (the costly path this module proves harmless) until `python -m services.reporting.known`.
        cur.execute("UPDATE rpt_known_state SET complete = false")
    return len(rows)


@pytest.fixture(scope="module")
def costly(stack):
    """A second reporting replica of its own (database filled with a simulated history, broker vhost,
    port), so the costly queries meet a log worth folding and the shared stack's figures stay as they are."""
    dsn = f"{config.database_url('reporting')}_costly"
    recreate(dsn)
    migrate(dsn, config.ROOT / "services" / "reporting" / "migrations")
    events = _fill_with_simulated_history(dsn, datetime.now(UTC))
    vhost = f"complaints-costly-{uuid.uuid4().hex[:8]}"
    rabbit.create_vhost(vhost)
    amqp = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    replica = ServiceProcess(
        "reporting", port=port, env={"REPORTING_DATABASE_URL": dsn, "AMQP_URI": amqp, "REPORTING_AMQP_URI": amqp}
    )
    try:
        replica.start()
        yield replica, events
    finally:
        replica.stop()
        rabbit.delete_vhost(vhost)
        _drop_database(dsn)


def _drop_database(dsn: str) -> None:
    server, name = dsn.rsplit("/", 1)
    conn = psycopg2.connect(f"{server}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def test_the_costliest_allowed_queries_leave_health_answering_within_a_second(costly):
    replica, events = costly
    today = datetime.now(CAMPUS_ZONE).date()
    month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    now = datetime.now(UTC).isoformat()
    costliest = [  # from the log, every complaint of the history folded; the most buckets allowed
        (
            "GET",
            "/reports/summary",
            {"from": (today - timedelta(days=999)).isoformat(), "granularity": "day", "as_of": now},
            200,
        ),
        ("GET", "/reports/monthly", {"month": month, "as_of": now}, 200),
        ("POST", "/reports/monthly/publish", {"month": month}, 201),
        ("GET", "/reports/summary", {"from": "1900-01-01", "to": "1999-12-31", "granularity": "year"}, 200),
        ("GET", "/reports/summary", {"from": "0002-01-01", "to": "9998-12-31", "granularity": "day"}, 400),
        ("GET", "/reports/summary", {"from": "0001-01-01"}, 400),
    ]
    answers: dict[int, tuple[int, float]] = {}
    health: list[float] = []
    done = threading.Event()

    def ask(index: int, method: str, path: str, params: dict) -> None:
        started = time.monotonic()
        response = requests.request(
            method,
            f"{replica.url}{path}",
            timeout=120,
            headers={"Authorization": f"Bearer {token_for('complaint_officer')}"},
            **({"params": params} if method == "GET" else {"json": params}),
        )
        answers[index] = (response.status_code, time.monotonic() - started)

    def watch_health() -> None:
        while not done.is_set():
            started = time.monotonic()
            try:
                ok = requests.get(f"{replica.url}/health/live", timeout=5).status_code == 200
            except requests.RequestException:
                ok = False
            health.append(time.monotonic() - started if ok else float("inf"))
            done.wait(0.05)

    watcher = threading.Thread(target=watch_health)
    watcher.start()
    callers = [threading.Thread(target=ask, args=(i, m, p, q)) for i, (m, p, q, _) in enumerate(costliest)]
    try:
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join(timeout=180)
    finally:
        done.set()
        watcher.join()
    assert {i: code for i, (code, _) in answers.items()} == {i: c[3] for i, c in enumerate(costliest)}, answers
    busy = max(seconds for _, seconds in answers.values())
    assert busy > 1.0, f"the costliest queries took {busy:.2f} s: too light to prove anything ({events} events)"
    assert len(health) >= busy / 0.5, f"{len(health)} health answers in {busy:.1f} s"
    assert max(health) < 1.0, f"/health/live took {max(health):.2f} s while the costly queries ran"
    print(
        f"costly queries: {events} events, slowest {busy:.2f} s; /health/live: {len(health)} answers,"
        f" slowest {max(health) * 1000:.0f} ms"
    )


def test_lone_surrogates_are_400_naming_the_field(stack):
    url = f"{stack.reporting.url}/reports/summary?campus=%ED%A0%80&from=2025-05-01%ED%A0%80"
    response = requests.get(url, timeout=10, headers={"Authorization": f"Bearer {token_for('complaint_officer')}"})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"campus", "from"}, response.text
    body = b'{"month": "2025-05\\ud800", "campus": "\\udfff"}'
    published = stack.reporting.post(
        "/reports/monthly/publish", data=body, headers={"Content-Type": "application/json"}
    )
    assert published.status_code == 400 and set(published.json()["errors"]) == {"month", "campus"}, published.text


def test_suggestions_and_compliments_change_no_complaint_figure(stack, may):
    # Issue 17: May's report before and after a suggestion (adopted) and a compliment received in May: every
    # complaint figure is the same; only the new section counts them, the adoption once.
    wait_for(_quiet(stack), timeout=60, what="reporting caught up with every log")
    may_summary = {"from": "2025-05-01", "to": "2025-05-31"}  # May is published by now: the summary is live

    def summary() -> dict:
        return stack.reporting.get("/reports/summary", params=may_summary).json()

    before = summary()
    received_at = "2025-05-20T02:00:00+00:00"
    suggestion = post(stack, kind="suggestion", summary="Longer pharmacy hours", received_at=received_at)
    post(stack, kind="compliment", summary="Thanks to ward 7", received_at=received_at, departments=["nursing"])
    adopted = stack.intake.post(f"/complaints/{suggestion}/adopt", {"note": "from next month"})
    assert adopted.status_code == 200, adopted.text
    assert stack.intake.post(f"/complaints/{suggestion}/adopt", {}).status_code == 409
    after = wait_for(
        lambda: (f := summary())["suggestions_and_compliments"]["compliments_received"] == 1 and f,
        what="the suggestion and compliment counted",
    )

    # the adoption is dated by itself (today, campus time), not by the suggestion's receipt, and counted once
    # (other tests may adopt suggestions today too: the complaint's own contributions say it)
    def adoptions() -> list[dict]:
        facts = stack.reporting.get(f"/reports/complaints/{suggestion}").json()
        return [c for c in facts["contributions"] if c["metric"] == "suggestion.adopted"]

    [adoption] = wait_for(adoptions, what="the adoption counted")
    assert adoption["day"] == campus_today() and adoption["value"] == 1
    kinds = after["suggestions_and_compliments"]
    assert (kinds["suggestions_received"], kinds["compliments_received"], kinds["suggestions_adopted"]) == (1, 1, 0)
    assert kinds["by_department"]["billing_office"]["suggestions_received"] == 1
    assert kinds["by_department"]["nursing"]["compliments_received"] == 1
    changed = {
        k
        for k in set(before) | set(after)
        if before.get(k) != after.get(k) and k not in ("suggestions_and_compliments", "positions", "as_of")
    }
    assert changed == set(), changed
