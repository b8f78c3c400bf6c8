"""Every message people receive, rendered as delivery renders it (CONTRACT §13): each purpose, for each
audience that receives it, in both languages (the east campus writes Chinese, the west English) and over
each channel that can carry it. None may show an internal id, a configuration code, doubled punctuation or an
unrendered placeholder; each names the complaint by its reference, and a staff message links to the case."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from services.notification import domain, settings
from services.notification.delivery import Deliverer
from services.notification.templates import ROOT
from shared import catalogue

CID = str(uuid.uuid4())
REFERENCES = {"east": "EAST-2026-000042", "west": "WEST-2026-000042"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
URL_OR_ADDRESS = re.compile(r"https?://\S+|\S+@\S+")
DOUBLED = re.compile(r"[。，；：！？、][。，；：！？、.,;:]|[.,;:!?][.,;:]")  # noqa: RUF001
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{%|%\}")
WRITTEN = {  # what people typed: in the campus's language, so a Latin word in a Chinese message is a code
    "zh-CN": {"free": "已与当班护士长面谈。", "route": "如有异议，可申请人民调解。"},
    "en": {"free": "We met the ward sister.", "route": "You may ask for people's mediation."},
}


@dataclass
class Sink:
    """A channel that keeps what it was given."""

    sent: list[tuple[str, str]] = field(default_factory=list)

    def send(self, to: str, *parts: str) -> None:
        self.sent.append((to, "\n".join(parts[:-1])))  # the last part is the message key


def deadline(kind: str, department: str | None) -> dict[str, Any]:
    return {"kind": kind, "department": department, "due_at": "2026-12-04T16:00:00Z", "last_day": "2026-12-04",
            "provisional": False, "working_days": 5}  # fmt: skip


def events(campus: str, lang: str) -> list[tuple[str, dict[str, Any]]]:
    """One event of each type a message is planned for, as its producer publishes it."""
    department = settings.HOSPITAL.departments(campus)[0]
    free, route = WRITTEN[lang]["free"], WRITTEN[lang]["route"]
    base = {"complaint_id": CID, "campus": campus}
    return [
        ("InvestigationOpened", {**base, "reference": REFERENCES[campus], "received_at": "2026-11-30T17:30:00Z",
                                 "departments": [department], "first_reply": deadline("first_reply", None),
                                 "statutory_feedback": {"last_day": "2026-12-07", "working_days": 5}}),
        ("ComplaintNotAccepted", {**base, "reason": "litigation", "route_advice": route,
                                  "decided_at": "2026-12-01T02:00:00Z"}),
        ("ReplyIssued", {**base, "reply_id": str(uuid.uuid4()), "actions_taken": free, "result": free,
                         "issued_at": "2026-12-01T02:00:00Z", "contact_person": f"{campus}-office-head"}),
        ("InterimFeedbackIssued", {**base, "feedback_id": str(uuid.uuid4()), "progress": free, "next_steps": free,
                                   "expected_reply_by": "2026-12-10", "issued_at": "2026-12-01T02:00:00Z",
                                   "contact_person": f"{campus}-office-head"}),
        ("DisputeRecorded", {**base, "dispute_id": str(uuid.uuid4()), "major": True,
                             "recorded_at": "2026-12-01T02:00:00Z",
                             "authority_report": {"due_at": "2026-12-01T14:00:00Z"}}),
        ("InvestigationDue", {**base, "deadline": deadline("first_reply", None)}),
        ("InvestigationDue", {**base, "deadline": deadline("investigation", department)}),
        ("DeadlineBreached", {**base, "deadline": deadline("investigation", department)}),
        ("ComplaintEscalated", {**base, "severity": "major", "reason": "breach_unresolved",
                                "escalated_at": "2026-12-01T02:00:00Z"}),
        ("ComplaintEscalated", {**base, "severity": "normal", "reason": free, "escalated_at": "2026-12-01T02:00:00Z"}),
        ("RectificationOrdered", {**base, "department": department, "description": free,
                                  "due": deadline("rectification", department)}),
    ]  # fmt: skip


CONTACTS = {  # a complainant reachable by e-mail, by SMS only, and by nothing sent over a network (a letter)
    "email": {"name": None, "email": "li@example.com", "phone": None},
    "sms": {"name": None, "email": None, "phone": "13800138000"},
    "letter": {"name": None, "email": None, "phone": "010-12345678", "postal_address": "北京市东城区某街 1 号"},
}


def rendered_messages(campus: str, contact: dict[str, Any]) -> list[tuple[domain.Planned, str, str]]:
    """(planned message, channel, text as the reader gets it) for every message the events ask for."""
    email, sms = Sink(), Sink()
    full_contact = {**contact, "reference": REFERENCES[campus], "anonymous": False, "erased": False}
    deliverer = Deliverer(None, lambda _cid: full_contact, email, sms, settings.TEMPLATES, settings.DIRECTORY,
                          3, 1, 1)  # type: ignore[arg-type]  # fmt: skip
    lang = settings.DIRECTORY.languages[campus]
    out = []
    for event_type, data in events(campus, lang):
        for planned in domain.plan(event_type, data, settings.DIRECTORY, settings.HOSPITAL.campuses[campus]["policy"]):
            notification = domain.Notification(
                str(uuid.uuid4()), CID, str(uuid.uuid4()), planned.purpose, campus, planned.recipient_role,
                planned.recipient_id, planned.context, planned.channel_preference, 0, domain.PENDING,
            )  # fmt: skip
            try:
                channel, send = deliverer._prepare(notification)
            except Exception as exc:  # NotSendable: an acknowledgement goes by no letter
                assert planned.purpose not in domain.LETTER_PURPOSES, exc
                continue
            if channel == domain.LETTER:
                body = re.sub(r"(?s).*<body>", "", deliverer.letter(notification))
                text = re.sub(r"<[^>]+>", "\n", body).replace("&#39;", "'")
            else:
                sink = email if channel == domain.EMAIL else sms
                before = len(sink.sent)
                send()
                assert len(sink.sent) == before + 1
                text = sink.sent[-1][1]
            out.append((planned, channel, text))
    return out


CODES = sorted(
    {*settings.HOSPITAL.campuses, *(d for c in settings.HOSPITAL.campuses for d in settings.HOSPITAL.departments(c))}
    | {c for c in (*catalogue.CATEGORIES, *catalogue.SEVERITIES, *catalogue.CHANNELS) if "_" in c}
)


@pytest.mark.parametrize("contact", sorted(CONTACTS))
@pytest.mark.parametrize("campus", ["east", "west"])
def test_every_message_reads_as_people_expect(campus: str, contact: str) -> None:
    lang = settings.DIRECTORY.languages[campus]
    messages = rendered_messages(campus, CONTACTS[contact])
    purposes = {planned.purpose for planned, _, _ in messages}
    assert purposes >= {"reply", "not_accepted", "interim_feedback", "dispute_notice", "reminder", "breach_alert"}
    assert purposes >= {"escalation", "rectification"}
    for planned, channel, text in messages:
        where = f"{planned.purpose} to {planned.recipient_id} by {channel} ({lang}):\n{text}"
        words = URL_OR_ADDRESS.sub(" ", text)
        assert not UUID.search(words), where
        assert not PLACEHOLDER.search(text), where
        assert not DOUBLED.search(words), where
        assert REFERENCES[campus] in text, where
        shipped = (ROOT / lang / f"{planned.purpose}.txt").read_text(encoding="utf-8")
        for code in (c for c in CODES if c not in shipped):  # "nursing records" is prose, not a code
            assert not re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", words), (code, where)
        if lang == "zh-CN":  # Chinese throughout: no English name, no code, no Latin words at all
            assert not re.search(r"[A-Za-z]{3,}", words.replace(REFERENCES[campus], "")), where
        else:
            assert not re.search(r"[\u4e00-\u9fff]", words.replace(CONTACTS["letter"]["postal_address"], "")), where
        if planned.recipient_id == domain.COMPLAINANT:
            assert channel == contact, where
        else:
            assert f"{settings.CONSOLE_BASE_URL}/cases/{CID}" in text, where


def test_the_acknowledgement_gives_the_reply_date_and_local_dates() -> None:
    messages = {p.purpose: t for p, _, t in rendered_messages("east", CONTACTS["email"])}
    assert "2026-12-04" in messages["acknowledgement"]  # the reply's last day
    assert "2026-12-07" in messages["acknowledgement"]  # the statutory feedback's last day
    assert "2026-12-01" in messages["acknowledgement"]  # received 17:30 UTC on 30 Nov: 1 Dec in Beijing
    assert "2026-12-05 00:00" in messages["breach_alert"]  # due 16:00 UTC is midnight in Beijing


def test_staff_are_greeted_by_the_name_in_their_language() -> None:
    zh = [t for p, _, t in rendered_messages("east", CONTACTS["email"]) if p.recipient_id == "lead-01"]
    en = [t for p, _, t in rendered_messages("west", CONTACTS["email"]) if p.recipient_id == "lead-01"]
    assert zh and all(t.split("\n")[1] == "院长，您好：" for t in zh)
    assert en and all(t.split("\n")[1] == "Dear President," for t in en)
    severity = [t for p, _, t in rendered_messages("west", CONTACTS["email"]) if p.purpose == "escalation"]
    assert any("Severity: Major" in t for t in severity) and any("Severity: Normal" in t for t in severity)


def test_a_name_configured_in_one_language_only_is_not_put_in_the_other() -> None:
    person = domain.Recipient("p", "leadership", "Leadership group (president)")
    assert person.name_in("zh-CN", "领导小组") == "领导小组"
    assert person.name_in("en", "Leadership group") == "Leadership group (president)"


def test_a_reply_given_by_phone_is_recorded_without_asking_for_contact_details() -> None:
    def no_contacts(_cid: str) -> dict[str, Any]:
        raise AssertionError("a reply given by phone needs nobody's contact details")

    deliverer = Deliverer(None, no_contacts, Sink(), Sink(), settings.TEMPLATES, settings.DIRECTORY, 3, 1, 1)  # type: ignore[arg-type]
    context = {"reply_id": CID, "delivered_at": "2026-12-01T02:00:00Z", "delivered_by": "east-office-head"}
    notification = domain.Notification(
        CID, CID, CID, "reply", "east", domain.COMPLAINANT, domain.COMPLAINANT, context, "phone", 0, domain.PENDING
    )
    outcome, channel, result = deliverer._attempt(notification, datetime.now(UTC))
    assert (outcome.status, channel, result) == (domain.SENT, "phone", "sent")
    assert outcome.sent_at == datetime(2026, 12, 1, 2, tzinfo=UTC)
