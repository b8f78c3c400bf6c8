"""The dossier's assembly and its PDF, pure: events of three logs in, the record out (deadline outcomes,
retention, unknown event types rendered generically, hashes as the store computes them)."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime

import pypdf
import pytest

from services.reporting import dossier, dossier_pdf
from shared import glossary
from shared.envelope import Envelope, source_of
from shared.eventstore import chain_hash

CID = "6f1c1a5e-0000-4000-8000-00000000d016"
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
CONTEXT = dossier.Context(NOW, {"id": "east-office-head", "role": "complaint_officer"}, 30, "Asia/Shanghai")
INVESTIGATION = {
    "kind": "investigation",
    "department": "cardiology",
    "due_at": "2026-03-09T16:00:00Z",
    "last_day": "2026-03-09",
    "provisional": False,
    "calendar_version": "cn-2026",
    "policy_version": "p-7",
    "working_days": 5,
}
FIRST_REPLY = {**INVESTIGATION, "kind": "first_reply", "department": None}


def logged(service: str, events: list[tuple[str, dict, str]]) -> dossier.Trail:
    """Events as the owner's GET /events publishes them: placed in the log, each with the hash before it."""
    bodies, previous = [], ""
    for i, (event_type, data, at) in enumerate(events, start=1):
        # built directly, not validated: the dossier takes whatever the owners logged, types it never heard of too
        event = Envelope(
            str(uuid.uuid4()),
            event_type,
            source_of(service),
            CID,
            datetime.fromisoformat(at),
            {"complaint_id": CID, **data},
        ).with_position(i, i, previous)
        previous = chain_hash(previous, event)
        bodies.append(event.to_dict())
    return dossier.Trail(service, bodies, len(bodies), previous)


def trails(closed: bool = False) -> list[dossier.Trail]:
    received = {
        "campus": "east",
        "campuses": ["east"],
        "reference": "EAST-2026-000777",
        "category": "medical_quality",
        "severity": "normal",
        "departments": ["cardiology"],
    }
    intake = [("ComplaintReceived", received, "2026-03-02T02:00:00Z")]
    if closed:
        intake.append(("ComplaintStatusFollowed", {"campus": "east", "status": "closed"}, "2026-03-20T02:00:00Z"))
    investigation = [
        ("InvestigationOpened", {"campus": "east", "first_reply": FIRST_REPLY, "investigations": [INVESTIGATION]},
         "2026-03-02T02:00:01Z"),
        ("FindingsSubmitted", {"campus": "east", "department": "cardiology", "substantiated": "partly",
                               "summary": "心电图报告延迟", "staff_involved": ["s-1"]}, "2026-03-05T02:00:00Z"),
        ("DeadlineBreached", {"campus": "east", "deadline": FIRST_REPLY, "breached_at": "2026-03-09T16:00:01Z"},
         "2026-03-09T16:00:01Z"),
    ]  # fmt: skip
    if closed:
        investigation.append(("ComplaintClosed", {"campus": "east"}, "2026-03-20T01:00:00Z"))
    notification = [("AttachmentAdded", {"attachment_id": "a-1", "sha256": "ab" * 32}, "2026-03-03T02:00:00Z")]
    return [logged("intake", intake), logged("investigation", investigation), logged("notification", notification)]


def test_every_event_of_every_log_is_in_the_timeline_with_the_hash_the_store_computed():
    logs = trails()
    found = dossier.assemble(CID, logs, CONTEXT)
    assert found is not None and found["reference"] == "EAST-2026-000777"
    assert len(found["timeline"]) == 5
    for trail in logs:
        proof = found["logs"][trail.service]
        assert proof["head"] == {"sequence": trail.head_sequence, "hash": trail.head_hash}
        assert proof["events"][-1]["hash"] == trail.head_hash  # the last event is the head: the chain closes
    times = [e["time"] for e in found["timeline"]]
    assert times == sorted(times)


def test_an_event_type_the_dossier_does_not_know_is_kept_and_filed_where_it_belongs():
    found = dossier.assemble(CID, trails(), CONTEXT)
    attachment = found["sections"]["attachments"]
    assert [e["data"]["sha256"] for e in attachment] == ["ab" * 32]


def test_deadlines_carry_their_calendar_and_policy_versions_and_outcome():
    deadlines = {d["kind"]: d for d in dossier.assemble(CID, trails(), CONTEXT)["deadlines"]}
    assert deadlines["investigation"]["outcome"] == "met"
    assert deadlines["investigation"]["calendar_version"] == "cn-2026"
    assert deadlines["investigation"]["policy_version"] == "p-7"
    assert deadlines["first_reply"]["outcome"] == "breached"
    assert deadlines["first_reply"]["breached_at"] == "2026-03-09T16:00:01Z"


def test_retention_runs_from_the_local_day_the_complaint_was_last_closed():
    assert dossier.assemble(CID, trails(), CONTEXT)["retention"] == {
        "archive_retention_years": 30,
        "counted_from": None,
        "kept_until": None,
    }
    closed = dossier.assemble(CID, trails(closed=True), CONTEXT)["retention"]
    assert closed == {"archive_retention_years": 30, "counted_from": "2026-03-20", "kept_until": "2056-03-20"}


def test_no_registration_no_dossier():
    assert dossier.assemble(CID, [dossier.Trail("intake", [], 0, "")], CONTEXT) is None


def test_the_pdf_text_holds_the_chinese_category_and_the_reference():
    found = dossier.assemble(CID, trails(), CONTEXT)
    pdf = dossier_pdf.to_pdf(dossier_pdf.to_html(found, "zh-CN", timezone="Asia/Shanghai"))
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "EAST-2026-000777" in text
    assert glossary.in_report("zh-CN", "category", "medical_quality") in text
    assert "心电图报告延迟" in text and "AttachmentAdded" in text


def test_the_english_page_names_everything_in_english():
    found = dossier.assemble(CID, trails(closed=True), CONTEXT)
    page = dossier_pdf.to_html(found, "en", timezone="Asia/Shanghai")
    assert "Complaint dossier" in page and "kept until 2056-03-20" in page
    assert glossary.in_report("en", "category", "medical_quality") in page


def test_the_registration_and_the_timeline_name_fields_and_codes_in_the_pages_language():
    found = dossier.assemble(CID, trails(), CONTEXT)
    page = dossier_pdf.to_html(found, "zh-CN", timezone="Asia/Shanghai")
    registration = page.split("<h2>登记信息</h2>")[1].split("</p>")[0]
    assert "<b>类别</b>：医疗质量" in registration and "<b>涉及科室</b>" not in registration
    assert "<b>科室</b>：心内科" in registration and "<b>院区</b>：东院区" in registration
    for code in ("medical_quality", "cardiology", "campuses", "severity", "<b>east", "：east"):
        assert code not in registration, code
    timeline = page.split("<h2>")[3]
    assert "<b>是否属实</b>：部分属实" in timeline and "partly" not in timeline


def test_the_retention_setting_is_read_once_and_a_bad_one_stops_the_service(monkeypatch):
    from services.reporting import settings

    monkeypatch.setenv("ARCHIVE_RETENTION_YEARS", "10")
    assert settings._retention_years() == 10
    for bad in ("0", "thirty", "-5", "201"):
        monkeypatch.setenv("ARCHIVE_RETENTION_YEARS", bad)
        with pytest.raises(SystemExit, match="ARCHIVE_RETENTION_YEARS"):
            settings._retention_years()
    monkeypatch.delenv("ARCHIVE_RETENTION_YEARS")
    assert settings._retention_years() == 30
