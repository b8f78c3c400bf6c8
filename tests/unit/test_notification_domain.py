"""Notification's pure rules and its start-up checks (directory, templates)."""

from __future__ import annotations

import copy
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.notification import domain
from services.notification.templates import ROOT, TemplateError, Templates, letter_html
from shared.config import load_hospital
from shared.errors import Refused

HOSPITAL = load_hospital()
RAW = {"campuses": HOSPITAL.campuses, "leadership": HOSPITAL.leadership}
DIRECTORY = domain.load_directory(RAW)
POLICY = HOSPITAL.campuses["east"]["policy"]
CID = "6f1c2b1e-1111-4222-8333-944455556666"
DEADLINE = {
    "kind": "investigation",
    "department": "radiology",
    "due_at": "2026-11-27T16:00:00Z",
    "last_day": "2026-11-27",
    "provisional": False,
    "calendar_version": "v",
    "policy_version": "p",
    "working_days": 5,
}
OPENED = {
    "reference": "EAST-2026-000001",
    "received_at": "2026-11-20T02:00:00Z",
    "departments": ["radiology"],
    "first_reply": {**DEADLINE, "kind": "first_reply", "department": None, "last_day": "2026-11-27"},
    "statutory_feedback": {**DEADLINE, "kind": "statutory_feedback", "department": None, "last_day": "2026-11-26"},
}


def test_the_demo_directory_is_complete():
    assert DIRECTORY.office_heads["east"].id == "east-office-head"
    assert DIRECTORY.liaisons[("west", "radiology")].email == "radiology-west@demo-hospital.example"
    assert [p.id for p in DIRECTORY.leadership] == ["lead-01", "lead-02"]


def test_an_incomplete_directory_is_refused_with_every_problem_named():
    raw = copy.deepcopy(RAW)
    raw["campuses"]["east"]["office_head"] = {"id": "x"}
    raw["campuses"]["west"]["departments"]["nursing"]["liaison"]["email"] = "not-an-address"
    raw["leadership"] = []
    with pytest.raises(domain.DirectoryError) as error:
        domain.load_directory(raw)
    message = str(error.value)
    assert "campuses.east.office_head (x): no email and no phone" in message
    assert "campuses.west.departments.nursing.liaison" in message and "not an address" in message
    assert "leadership: nobody to escalate" in message


@pytest.mark.parametrize(
    "event_type,data,expected",
    [
        ("InvestigationOpened", OPENED, [("acknowledgement", "complainant")]),
        ("InvestigationOpened", {**OPENED, "reference": None}, []),  # a later opening: acknowledged already
        ("ComplaintReceived", {"reference": "R", "received_at": "2026-11-20T02:00:00Z"}, []),
        (
            "InterimFeedbackIssued",
            {
                "feedback_id": CID,
                "contact_person": "east-office-head",
                "progress": "p",
                "next_steps": "n",
                "issued_at": "2026-11-20T02:00:00Z",
            },
            [("interim_feedback", "complainant")],
        ),
        (
            "DisputeRecorded",
            {"dispute_id": CID, "route": "negotiation", "recorded_at": "2026-11-20T02:00:00Z"},
            [("dispute_notice", "complainant")],
        ),
        (
            "DisputeRecorded",
            {"dispute_id": CID, "route": "negotiation", "recorded_at": "2026-11-20T02:00:00Z", "major": True},
            [
                ("dispute_notice", "complainant"),
                ("escalation", "east-office-head"),
                ("escalation", "lead-01"),
                ("escalation", "lead-02"),
            ],
        ),
        (
            "ComplaintNotAccepted",
            {"reason": "litigation", "route_advice": "the court", "decided_at": "2026-11-20T02:00:00Z"},
            [("not_accepted", "complainant")],
        ),
        (
            "ReplyIssued",
            {
                "reply_id": CID,
                "contact_person": "east-office-head",
                "actions_taken": "a",
                "result": "r",
                "issued_at": "2026-11-20T02:00:00Z",
            },
            [("reply", "complainant")],
        ),
        (
            "InvestigationDue",
            {"deadline": DEADLINE, "reminder_for_role": "department_liaison"},
            [("reminder", "east-radiology-liaison")],
        ),
        (
            "InvestigationDue",
            {
                "deadline": {**DEADLINE, "kind": "first_reply", "department": None},
                "reminder_for_role": "complaint_officer",
            },
            [("reminder", "east-office-head")],
        ),
        (
            "DeadlineBreached",
            {"deadline": DEADLINE, "breached_at": "2026-11-27T16:00:00Z"},
            [("breach_alert", "east-office-head")],
        ),
        (
            "ComplaintEscalated",
            {"severity": "major", "reason": "r", "escalated_at": "2026-11-20T02:00:00Z"},
            [("escalation", "lead-01"), ("escalation", "lead-02")],
        ),
        (
            "RectificationOrdered",
            {
                "rectification_id": CID,
                "department": "nursing",
                "description": "d",
                "due": {**DEADLINE, "kind": "rectification", "department": "nursing"},
                "ordered_at": "2026-11-20T02:00:00Z",
            },
            [("rectification", "east-nursing-liaison")],
        ),
        ("FindingsSubmitted", {}, []),
    ],
)
def test_who_is_told_about_what(event_type, data, expected):
    planned = domain.plan(event_type, {"complaint_id": CID, "campus": "east", **data}, DIRECTORY, POLICY)
    assert [(p.purpose, p.recipient_id) for p in planned] == expected


def test_the_reply_names_the_contact_person_from_the_directory():
    [planned] = domain.plan(
        "ReplyIssued",
        {
            "complaint_id": CID,
            "campus": "east",
            "reply_id": CID,
            "contact_person": "east-office-head",
            "actions_taken": "a",
            "result": "r",
            "issued_at": "2026-11-20T02:00:00Z",
            "channel_preference": "letter",
        },
        DIRECTORY,
        POLICY,
    )
    assert planned.context["contact_person"] == "East campus complaint office head"
    assert planned.context["contact_phone"] and planned.channel_preference == "letter"


def test_no_acknowledgement_when_the_campus_policy_says_so():
    assert (
        domain.plan(
            "InvestigationOpened",
            {"complaint_id": CID, "campus": "east", **OPENED},
            DIRECTORY,
            {**POLICY, "acknowledge_receipt": False},
        )
        == []
    )


def _notification(purpose: str, status: str = domain.PENDING, **context: object) -> domain.Notification:
    return domain.Notification(
        notification_id="n-1",
        complaint_id=CID,
        caused_by="e-1",
        purpose=purpose,
        campus="east",
        recipient_role="complainant",
        recipient_id=domain.COMPLAINANT,
        context=dict(context),
        channel_preference=None,
        attempts=0,
        status=status,
    )


NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def test_a_sent_reply_or_reminder_says_so_in_an_event_other_purposes_only_in_the_table():
    reply = domain.sent(_notification("reply", reply_id="r-1"), 1, domain.EMAIL, domain.Context(NOW))
    assert (reply.status, reply.attempts, reply.channel, reply.sent_at) == (domain.SENT, 1, "email", NOW)
    [event] = reply.events
    assert event.type == "ReplySent" and event.data["reply_id"] == "r-1" and event.data["channel"] == "email"
    assert event.data["actor"] == domain.SYSTEM and event.data["sent_at"] == "2026-11-20T02:00:00Z"
    reminder = domain.sent(
        _notification("reminder", kind="first_reply", department="", due_at="d"), 1, "sms", domain.Context(NOW)
    )
    assert [e.type for e in reminder.events] == ["ReminderSent"] and reminder.events[0].data["department"] is None
    assert domain.sent(_notification("acknowledgement"), 1, "email", domain.Context(NOW)).events == ()


def test_delivered_interim_feedback_is_a_reply_sent_of_kind_interim_a_dispute_notice_is_no_feedback():
    interim = domain.sent(_notification("interim_feedback", feedback_id="f-1"), 1, domain.SMS, domain.Context(NOW))
    [event] = interim.events
    assert event.type == "ReplySent" and event.data["reply_id"] == "f-1" and event.data["reply_kind"] == "interim"
    reply = domain.sent(_notification("reply", reply_id="r-1"), 1, domain.EMAIL, domain.Context(NOW))
    assert "reply_kind" not in reply.events[0].data  # a final reply: absent (CONTRACT §7)
    notice = domain.sent(_notification("dispute_notice", dispute_id="d-1"), 1, domain.EMAIL, domain.Context(NOW))
    assert (notice.status, notice.events) == (domain.SENT, ())
    failed = domain.failed(_notification("interim_feedback", feedback_id="f-1"), 3, "sms", "x", domain.Context(NOW))
    assert [e.type for e in failed.events] == ["NotificationFailed"] and failed.events[0].data["reply_id"] == "f-1"


@pytest.mark.parametrize(
    "event_type,data,held",
    [
        ("InvestigationDue", {"deadline": DEADLINE, "reminder_for_role": "department_liaison"}, [True]),
        ("DeadlineBreached", {"deadline": DEADLINE, "breached_at": "2026-11-27T16:00:00Z"}, [True]),
        (
            "DeadlineBreached",
            {
                "deadline": {**DEADLINE, "kind": "authority_report", "department": None, "hours": 12},
                "breached_at": "2026-11-27T16:00:00Z",
            },
            [False],  # a major dispute's report to the authority: at once
        ),
        (
            "ComplaintEscalated",
            {"severity": "normal", "reason": "breach_unresolved", "escalated_at": "2026-11-20T02:00:00Z"},
            [True, True],
        ),
        (
            "ComplaintEscalated",
            {"severity": "major", "reason": "breach_unresolved", "escalated_at": "2026-11-20T02:00:00Z"},
            [False, False],  # a major complaint's escalation: at once
        ),
        (
            "DisputeRecorded",
            {"dispute_id": CID, "route": "litigation", "recorded_at": "2026-11-20T02:00:00Z", "major": True},
            [False, False, False, False],
        ),
    ],
)
def test_what_waits_for_office_hours(event_type, data, held):
    planned = domain.plan(event_type, {"complaint_id": CID, "campus": "east", **data}, DIRECTORY, POLICY)
    assert [p.office_hours for p in planned] == held


def test_the_acknowledgement_names_both_dates_or_the_working_days_when_no_statutory_date_is_known():
    [ack] = domain.plan("InvestigationOpened", {"complaint_id": CID, "campus": "east", **OPENED}, DIRECTORY, POLICY)
    assert (ack.context["statutory_last_day"], ack.context["reply_last_day"]) == ("2026-11-26", "2026-11-27")
    older = {**OPENED, "departments": ["radiology", "nursing"]}
    del older["statutory_feedback"]
    [ack] = domain.plan("InvestigationOpened", {"complaint_id": CID, "campus": "east", **older}, DIRECTORY, POLICY)
    assert (ack.context["statutory_last_day"], ack.context["statutory_days"]) == ("", 10)


def test_giving_up_is_notification_failed_naming_the_reply():
    failed = domain.failed(_notification("reply", reply_id="r-1"), 3, None, "SMTP unavailable", domain.Context(NOW))
    assert (failed.status, failed.attempts, failed.error) == (domain.FAILED, 3, "SMTP unavailable")
    [event] = failed.events
    assert event.type == "NotificationFailed" and event.data["reply_id"] == "r-1"
    assert event.data["channel"] == "email" and event.data["attempts"] == 3  # no channel chosen yet: e-mail


def test_only_a_queued_letter_can_be_posted_and_the_officer_posted_it():
    officer = {"id": "east-office-head", "role": "complaint_officer"}
    letter = _notification("reply", status=domain.QUEUED, reply_id="r-1")
    posted = domain.post_letter(letter, None, domain.Context(NOW, officer))
    assert (posted.status, posted.channel) == (domain.SENT, domain.LETTER)
    assert posted.events[0].data["actor"] == officer
    with pytest.raises(Refused) as refused:
        domain.post_letter(_notification("reply", status=domain.SENT, reply_id="r-1"), None, domain.Context(NOW))
    assert refused.value.state == domain.SENT


def test_every_planned_event_type_has_one_planner():
    assert set(domain.PLANNERS) == {
        "InvestigationOpened",
        "InterimFeedbackIssued",
        "DisputeRecorded",
        "ComplaintNotAccepted",
        "ReplyIssued",
        "InvestigationDue",
        "DeadlineBreached",
        "ComplaintEscalated",
        "RectificationOrdered",
    }


@pytest.mark.parametrize(
    "contact,preference,purpose,channel",
    [
        ({"anonymous": True, "email": "a@b.c"}, None, "reply", None),
        ({"email": "a@b.c", "phone": "13800138000"}, None, "reply", "email"),
        ({"email": "a@b.c", "phone": "13800138000"}, "sms", "reply", "sms"),
        ({"email": None, "phone": "13800138000"}, "email", "reply", "sms"),  # preference that cannot reach them
        ({"phone": "010-12345678", "postal_address": "A"}, "sms", "reply", "letter"),  # SMS reaches mobiles only
        ({"email": None, "phone": "010-12345678"}, None, "acknowledgement", None),
        ({"email": None, "phone": None, "postal_address": "A"}, None, "reply", "letter"),
        ({"email": None, "phone": None, "postal_address": "A"}, None, "not_accepted", "letter"),
        ({"email": None, "phone": None, "postal_address": "A"}, None, "acknowledgement", None),
        ({"email": None, "phone": None, "postal_address": "A"}, None, "interim_feedback", "letter"),
        ({"email": None, "phone": None, "postal_address": "A"}, None, "dispute_notice", "letter"),
        ({"email": "a@b.c", "postal_address": "A"}, "letter", "reply", "letter"),
        # a letter without an address is never queued: flagged instead (NotificationFailed, reason no_address)
        ({"email": None, "phone": "010-12345678"}, None, "reply", "no_address"),
        ({"email": None, "phone": None}, None, "dispute_notice", "no_address"),
        ({"email": None, "phone": None}, "letter", "acknowledgement", "no_address"),
    ],
)
def test_the_complainants_channel(contact, preference, purpose, channel):
    assert domain.complainant_channel(contact, preference, purpose) == channel


def test_backoff_doubles_up_to_the_cap_and_gives_up_at_the_limit():
    now = datetime(2026, 11, 23, tzinfo=UTC)
    gaps = [(domain.next_attempt(n, now, 30, 100) - now).total_seconds() for n in (1, 2, 3, 4)]
    assert gaps == [30, 60, 100, 100]
    assert not domain.should_give_up(4, 5) and domain.should_give_up(5, 5)


# -- templates ---------------------------------------------------------------------------------------------------


def test_every_shipped_template_is_valid_for_every_campus():
    templates = Templates(["east", "west"])
    reply = templates.render(
        "east",
        "en",
        "reply",
        {
            "campus_name": "East campus",
            "reference": "EAST-2026-000007",
            "complainant_name": "Ms Li",
            "date": "2026-11-23",
            "contact_person": "Office head",
            "contact_phone": "+86 10 1",
            "contact_email": "",
            "actions_taken": "We retrained the desk",
            "result": "Substantiated in part",
            "unexpected": "ignored",
        },
    )
    assert reply.subject == "East campus: reply to your complaint EAST-2026-000007"
    for text in ("Ms Li", "We retrained the desk", "Substantiated in part", "Office head", "2026-11-23"):
        assert text in reply.body
    zh = templates.render(
        "west",
        "zh-CN",
        "acknowledgement",
        {
            "campus_name": "西院",
            "reference": "WEST-2026-000001",
            "complainant_name": "王芳",
            "date": "2026-11-23",
            "received_date": "2026-11-20",
            "statutory_last_day": "2026-11-27",
            "reply_last_day": "2026-12-04",
        },
    )
    assert "WEST-2026-000001" in zh.subject and "王芳" in zh.body
    assert "最迟将于2026-11-27向您反馈处理情况" in zh.body and "答复期限为2026-12-04" in zh.body
    unknown = templates.render("east", "en", "acknowledgement", {"reference": "R", "statutory_days": 10})
    assert "within 10 working days" in unknown.body  # no statutory date known: the working days the law gives


def test_interim_feedback_and_the_dispute_notice_say_what_the_law_asks_in_both_languages():
    templates = Templates(["east", "west"])
    base = {"campus_name": "East campus", "reference": "EAST-2026-000009", "complainant_name": "Ms Li"}
    feedback = {"progress": "reviewing", "next_steps": "a meeting", "expected_reply_by": "2026-12-18"}
    interim = templates.render("east", "en", "interim_feedback", {**base, **feedback, "contact_person": "Office"})
    for text in ("What is being done: reviewing", "What comes next: a meeting", "by 2026-12-18", "Office"):
        assert text in interim.body
    notice = templates.render("east", "en", "dispute_notice", base)
    for text in (
        "negotiation",
        "people's mediation",
        "administrative mediation",
        "litigation",
        "technical appraisal",
        "sealed and unsealed with both",
        "3 years after sealing",
        "read and copy",
    ):
        assert text in notice.body
    zh = templates.render("west", "zh-CN", "dispute_notice", base).body
    for text in (
        "双方自愿协商",
        "申请人民调解",
        "申请行政调解",
        "向人民法院提起诉讼",
        "医疗损害鉴定",
        "封存满3年",
        "查阅、复制",
    ):
        assert text in zh


@pytest.fixture
def template_copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT, tmp_path / "templates")
    return tmp_path / "templates"


def test_a_reply_template_missing_a_required_field_is_refused_at_start_up(template_copy: Path):
    path = template_copy / "en" / "reply.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("{{ result }}", "(see attachment)"), encoding="utf-8")
    with pytest.raises(TemplateError) as error:
        Templates(["east"], template_copy)
    assert "en/reply.txt (east): must name result" in str(error.value)


def test_a_template_reading_beyond_its_data_is_refused(template_copy: Path):
    override = template_copy / "campus" / "west" / "zh-CN"
    override.mkdir(parents=True)
    (override / "reminder.txt").write_text(
        "Subject: {{ complaint_id }}\n{{ last_day }} {{ complainant_name }} {{ ''.__class__.__mro__ }}",
        encoding="utf-8",
    )
    with pytest.raises(TemplateError) as error:
        Templates(["east", "west"], template_copy)
    assert "campus/west/zh-CN/reminder.txt (west): uses field(s) a reminder does not have: complainant_name" in str(
        error.value
    )


def test_the_sandbox_refuses_attribute_tricks(template_copy: Path):
    path = template_copy / "en" / "escalation.txt"
    path.write_text("Subject: {{ reference }} {{ case_url }}\n{{ reason.__class__.__mro__ }}", encoding="utf-8")
    templates = Templates(["east"], template_copy)
    with pytest.raises(Exception, match=r"unsafe|not safely|access"):
        templates.render("east", "en", "escalation", {"reference": "R", "reason": "r"})


def test_a_missing_or_broken_template_is_named(template_copy: Path):
    (template_copy / "zh-CN" / "rectification.txt").unlink()
    (template_copy / "en" / "breach_alert.txt").write_text("Subject: x\n{% if %}", encoding="utf-8")
    with pytest.raises(TemplateError) as error:
        Templates(["east"], template_copy)
    assert "zh-CN/rectification.txt (east): missing" in str(error.value)
    assert "en/breach_alert.txt (east): line 2" in str(error.value)


def test_letters_escape_what_they_print():
    html = letter_html(
        Templates(["east"]).render(
            "east",
            "en",
            "acknowledgement",
            {
                "campus_name": "East",
                "reference": "<R>",
                "complainant_name": "<script>x</script>",
                "date": "d",
                "received_date": "d",
            },
        ),
        "East <campus>",
        "en",
    )
    assert "<script>" not in html and "&lt;script&gt;" in html and "East &lt;campus&gt;" in html


@pytest.mark.parametrize("channel", ["phone", "in_person"])
def test_a_reply_given_by_phone_or_in_person_is_recorded_as_delivered_then_by_that_person(channel):
    from shared.catalogue import validate_data

    issued = {
        "complaint_id": CID,
        "campus": "east",
        "reply_id": CID,
        "contact_person": "east-office-head",
        "actions_taken": "a",
        "result": "r",
        "issued_at": "2026-11-20T02:00:00Z",
        "channel_preference": channel,
        "delivered_at": "2026-11-20T01:30:00Z",
        "delivered_by": "east-officer-7",
    }
    [planned] = domain.plan("ReplyIssued", issued, DIRECTORY, POLICY)
    notification = domain.Notification(
        CID, CID, CID, "reply", "east", "complainant", "complainant", planned.context, channel, 0, domain.PENDING
    )
    outcome = domain.given_by_staff(notification, 1)
    assert (outcome.status, outcome.channel) == (domain.SENT, channel)
    [event] = outcome.events
    assert event.type == "ReplySent" and event.data["channel"] == channel
    assert event.data["sent_at"] == "2026-11-20T01:30:00Z"
    assert event.data["actor"] == {"id": "east-officer-7", "role": "complaint_officer"}
    validate_data("ReplySent", 1, event.data)


def test_staff_get_an_sms_on_a_mobile_only_and_nothing_on_a_landline():
    assert domain.staff_channel(domain.Recipient("a", "leadership", "A", email="a@b.c", phone="13800138000")) == "email"
    assert domain.staff_channel(domain.Recipient("a", "leadership", "A", phone="+86 138 0013 8000")) == "sms"
    assert domain.staff_channel(domain.Recipient("a", "leadership", "A", phone="010-12345678")) is None
