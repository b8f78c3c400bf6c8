"""The rest of the demo story, so the demo history holds every event type at least once (CONTRACT §3's tables):
intake's actions (an erasure among them), attachments on a complaint (a letter, a photo, a note), extensions
granted and refused, an escalation, a completed
rectification, a dissatisfied follow-up that reopens, a close, a dispute recorded and settled, a reminder
(``InvestigationDue`` and its ``ReminderSent``) and a reply that could not be delivered (``NotificationFailed``,
``ReplyDeliveryFailed``). Investigation records what intake's actions and the deliveries did to the cases
(``CaseEnded``, ``CaseReclassified``, ``ReplyDeliveryRecorded``), intake what the closing and reopening did
to the complaint (``ComplaintStatusFollowed``). Issue 17 adds authority referrals (``ReferrerReplied``),
suggestions (``SuggestionAdopted``), compliments, a group complaint and a follow-up call.

Called by ``scripts/demo_data.py`` after the complaints are loaded; everything goes through the services' real
HTTP APIs, as staff would. ``python -m scripts.demo_events`` runs it alone (against ``make run``'s services).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from scripts import demo_files
from shared import auth, catalogue, config

CAMPUS = "east"
OFFICE_HEAD = "east-office-head"


class Api:
    """The services as one campus's staff call them."""

    def __init__(self, urls: dict[str, str] | None = None):
        self.urls = urls or {s: config.service_url(s) for s in config.SERVICES}
        mint = auth.authenticator().mint
        self.office = {"Authorization": f"Bearer {mint(OFFICE_HEAD, auth.OFFICER, [CAMPUS])}"}
        self.desk = {"Authorization": f"Bearer {mint('east-desk-01', auth.FIRST_CONTACT, [CAMPUS])}"}
        self.system = {"Authorization": f"Bearer {mint('demo', auth.SYSTEM, [auth.ALL])}"}
        self.created: list[str] = []  # the complaints registered here

    def post(self, service: str, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict:
        response = requests.post(f"{self.urls[service]}{path}", json=body, headers=headers or self.office, timeout=10)
        response.raise_for_status()
        return response.json()

    def register(self, **overrides: Any) -> str:
        body = {
            "campus": CAMPUS,
            "channel": "phone",
            "category": "care_process",
            "severity": "normal",
            "source": "patient_or_family",
            "summary": "Waited a long time for the ward round",
            "departments": ["cardiology"],
            **overrides,
        }
        complaint_id = self.post("intake", "/complaints", body, self.desk)["complaint_id"]
        self.created.append(complaint_id)
        return complaint_id

    def case(self, complaint_id: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        url = f"{self.urls['investigation']}/cases/{complaint_id}"
        while requests.get(url, headers=self.office, timeout=10).status_code != 200:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no case for {complaint_id}")
            time.sleep(0.1)

    def attach(self, complaint_id: str, name: str, content: bytes) -> dict:
        """A file added as staff add one: the body is the file, its name in ``?name=``."""
        response = requests.post(
            f"{self.urls['intake']}/complaints/{complaint_id}/attachments",
            params={"name": name},
            data=content,
            headers=self.office,
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def act(self, complaint_id: str, action: str, **body: Any) -> dict:
        return self.post("investigation", f"/cases/{complaint_id}/{action}", body)

    def types(self, service: str) -> set[str]:
        found, after = set(), 0
        while True:
            page = requests.get(
                f"{self.urls[service]}/events", params={"after": after, "limit": 1000}, headers=self.system, timeout=10
            ).json()["events"]
            found |= {e["type"] for e in page}
            if len(page) < 1000:
                return found
            after = page[-1]["sequence"]


def intake_actions(api: Api) -> None:
    on_spot = api.register(category="billing", summary="Charged twice for one X-ray", departments=[])
    api.post("intake", f"/complaints/{on_spot}/resolve-on-spot", {"resolution": "Refunded at the cashier"}, api.desk)
    refused = api.register(summary="The matter is already before the district court", departments=[])
    api.post(
        "intake",
        f"/complaints/{refused}/not-accepted",
        {"reason": "litigation", "route_advice": "The court procedure applies."},
    )
    withdrawn = api.register(departments=[])
    api.post("intake", f"/complaints/{withdrawn}/withdraw", {"reason": "Resolved with the ward directly"})
    erased = api.register(departments=[], complainant={"name": "Demo Complainant 1002", "relation": "self"})
    api.attach(erased, "来电记录.txt", demo_files.text_note("2026 来电记录：投诉人要求删除个人信息。\n"))
    api.post("intake", f"/complaints/{erased}/erasure", {"reason": "Lawful erasure request (demo)"})
    moved = api.register(departments=["nursing"])
    api.post(
        "intake",
        f"/complaints/{moved}/reclassify",
        {"category": "medical_quality", "departments": ["nursing", "cardiology"], "note": "a treatment question"},
    )


def attachments(api: Api) -> None:
    """Evidence on a complaint's file (CONTRACT §9): the complainant's letter, a photo of the bill, a call note."""
    billed = api.register(category="billing", summary="Charged twice for one CT scan", departments=["billing_office"])
    letter = [
        "To the complaint office,",
        "I was charged twice for one CT scan on 3 March.",
        "Please refund the second.",
    ]
    api.attach(billed, "complaint letter.pdf", demo_files.pdf_letter(letter))
    api.attach(billed, "收费单照片.png", demo_files.png_picture())
    api.attach(billed, "电话记录.txt", demo_files.text_note("患者家属来电，称同一项目收费两次，已告知核查流程。\n"))


def case_actions(api: Api) -> None:
    cid = api.register(
        complainant={"name": "Demo Complainant 1001", "email": "demo.1001@patients.example", "relation": "self"}
    )  # reachable by e-mail: the replies are delivered
    api.case(cid)
    granted = api.act(
        cid, "extensions", department="cardiology", reason="waiting for the night shift", requested_days=3
    )["extension_id"]
    api.act(cid, f"extensions/{granted}/decision", granted=True, note="agreed")
    refused = api.act(cid, "extensions", department="cardiology", reason="more time", requested_days=2)["extension_id"]
    api.act(cid, f"extensions/{refused}/decision", granted=False, note="the findings are due as extended")
    api.act(cid, "escalate", reason="the family contacted the health authority")
    api.act(  # while cardiology's findings are awaited: meets the statutory feedback clock once delivered
        cid,
        "feedback",
        contact_person=OFFICE_HEAD,
        progress="cardiology is reviewing the round",
        next_steps="a written reply with its findings",
    )
    api.act(
        cid,
        "findings",
        department="cardiology",
        substantiated="partly",
        summary="the round was delayed",
        signed_off_by="east-cardiology-head",
        staff_involved=["east-cardiology-staff-01"],
    )
    api.act(cid, "replies", contact_person=OFFICE_HEAD, actions_taken="rounds rescheduled", result="apologised")
    rectification = api.act(cid, "rectifications", department="cardiology", description="publish the ward round times")[
        "rectification_id"
    ]
    api.act(cid, f"rectifications/{rectification}/complete", note="posted on the ward")
    api.act(cid, "follow-up", satisfied=False, note="wants a meeting")  # reopens the case
    dispute = api.act(cid, "disputes", route="negotiation", note="asks for compensation")["dispute_id"]
    api.act(cid, f"disputes/{dispute}/settle", compensation_amount="800.00")
    api.act(  # given face to face at the meeting: recorded as delivered, nothing sent (CONTRACT §13)
        cid,
        "replies",
        contact_person=OFFICE_HEAD,
        actions_taken="meeting held",
        result="settled",
        channel_preference="in_person",
        delivered_at=datetime.now(UTC).isoformat(),
        delivered_by=OFFICE_HEAD,
    )
    api.act(cid, "follow-up", satisfied=True)
    deadline = time.monotonic() + 30
    while True:  # closing waits for the reply's delivery (ReplySent), which notification reports shortly
        try:
            api.act(cid, "close", outcome="settled by negotiation")
            return
        except requests.HTTPError as exc:
            if exc.response.status_code != 409 or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def referrals(api: Api, now: datetime) -> None:
    """Issue 17: authority referrals (one answered, one awaiting its reply date), suggestions (one adopted),
    compliments, a group complaint, and the follow-up call after the reply to a major complaint."""
    reply_due = (now + timedelta(days=7)).date().isoformat()
    answered = api.register(
        source="authority_referral",
        channel="hotline",
        summary="Passed on by the 12345 hotline: a long wait at the outpatient pharmacy",
        departments=[],
        referral={"referrer": "12345 government hotline", "reference": "12345-2026-118204", "reply_due": reply_due},
    )
    api.register(
        source="authority_referral",
        channel="letter",
        summary="Passed on by the district health commission (12320): a billing question",
        departments=["billing_office"],
        referral={
            "referrer": "District health commission (12320)",
            "reference": "WJW-2026-0331",
            "reply_due": reply_due,
        },
    )
    api.case(answered)
    api.act(answered, "referrer-reply", summary="Findings and the pharmacy's new opening hours sent to the hotline")
    suggestions_compliments_and_a_group(api)
    a_follow_up_call(api)


def suggestions_compliments_and_a_group(api: Api) -> None:
    adopted = api.register(
        kind="suggestion", summary="Open the outpatient pharmacy until 20:00", departments=["nursing"]
    )
    api.post("intake", f"/complaints/{adopted}/adopt", {"note": "Evening opening from next month"})
    api.register(kind="suggestion", summary="More seats in the cardiology waiting area", departments=["cardiology"])
    api.register(kind="compliment", summary="Thanks to the night nurses of ward 7", departments=["nursing"])
    api.register(
        kind="compliment", summary="The cardiologist explained everything patiently", departments=["cardiology"]
    )
    api.register(
        representatives=4, summary="Four families of ward 3 complain about visiting hours", departments=["nursing"]
    )


def a_follow_up_call(api: Api) -> None:
    """The reply's delivery to a major complaint starts its follow-up deadline; the office calls back."""
    major = api.register(
        severity="major",
        departments=[],
        summary="A fall on the ward was not reported to the family",
        complainant={"name": "Demo Complainant 1003", "email": "demo.1003@patients.example", "relation": "son"},
    )
    api.case(major)
    api.act(major, "replies", contact_person=OFFICE_HEAD, actions_taken="fall protocol retrained", result="apologised")
    deadline = time.monotonic() + 30
    url = f"{api.urls['investigation']}/cases/{major}"
    while not any(  # the delivery (ReplySent) starts the follow-up deadline shortly
        d["kind"] == "follow_up" for d in requests.get(url, headers=api.office, timeout=10).json()["deadlines"]
    ):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no follow-up deadline for {major}")
        time.sleep(0.2)
    api.act(major, "follow-up", satisfied=True, note="called back: satisfied")


def dispute_duties(api: Api, now: datetime) -> None:
    """A major dispute (CONTRACT §8): recorded when it arose, moved from negotiation to people's mediation,
    reported to the health authority (initial, then follow-up), the records sealed with both sides present and
    unsealed once settled; the police told of threats against staff."""
    cid = api.register(summary="Patient died after surgery; the family disputes the care")
    api.case(cid)
    arose = now - timedelta(hours=3)
    dispute = api.act(
        cid, "disputes", route="negotiation", major=True, recorded_at=arose.isoformat(), note="death after surgery"
    )["dispute_id"]
    api.act(cid, f"disputes/{dispute}/route", route="people_mediation", note="the family asked for mediation")
    authority = "东城区卫生健康委员会"
    reported = (arose + timedelta(hours=2)).isoformat()
    api.act(
        cid, f"disputes/{dispute}/authority-reports", authority=authority, reported_at=reported, report_kind="initial"
    )
    api.act(
        cid,
        f"disputes/{dispute}/authority-reports",
        authority=authority,
        reported_at=now.isoformat(),
        report_kind="follow_up",
        reference="DC-WJW-2026-017",
    )
    seal = api.act(
        cid,
        "seals",
        items=["住院病历 (全部)", "手术记录", "输液器及剩余药液"],
        sealed_at=(arose + timedelta(hours=1)).isoformat(),
        hospital_witness=OFFICE_HEAD,
        patient_side_present=True,
        list_signed_by_both=True,
    )["seal_id"]
    api.act(
        cid, "police-reports", reported_at=now.isoformat(), reason="threats against the surgeon", reference="110-0042"
    )
    api.act(cid, f"disputes/{dispute}/settle", compensation_amount="150000.00")
    api.act(cid, f"seals/{seal}/unseal", reason="dispute_settled")


def reminders(api: Api, now: datetime) -> None:
    """Complaints received 3 to 10 days ago, one a day: whatever the calendar, one of them is within a working
    day of its investigation deadline now, so the deadline engine reminds the department (InvestigationDue) and
    notification delivers the reminder (ReminderSent); the older ones are breached."""
    for days in range(3, 11):
        api.register(received_at=(now - timedelta(days=days)).isoformat(), summary="Waited for test results")


def a_failed_notification(api: Api, sms_gateway: str, timeout: float = 120) -> None:
    """With the stand-in SMS gateway of ``make run`` refusing messages for a moment (a 400 is not retried), a
    complainant reachable only by SMS is neither told of receipt nor sent the reply: NotificationFailed, and
    investigation records the failed reply on the case (ReplyDeliveryFailed). A real gateway is left alone."""
    try:
        requests.post(f"{sms_gateway}/_mode", json={"status": 400}, timeout=5).raise_for_status()
    except requests.RequestException:
        print("demo events: no stand-in SMS gateway; NotificationFailed left out")
        return
    try:
        cid = api.register(
            complainant={"name": "Demo Complainant 1000", "phone": "+86 139 0000 1000", "relation": "self"}
        )
        api.case(cid)
        api.act(
            cid,
            "findings",
            department="cardiology",
            substantiated="no",
            summary="the wait was as planned",
            signed_off_by="east-cardiology-head",
        )
        api.act(cid, "replies", contact_person=OFFICE_HEAD, actions_taken="explained the wait", result="no fault")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # until notification tried the reply (it may have others queued before)
            notes = requests.get(
                f"{api.urls['notification']}/notifications",
                params={"complaint_id": cid},
                headers=api.office,
                timeout=10,
            ).json()["notifications"]
            if any(n["purpose"] == "reply" and n["status"] != "pending" for n in notes):
                break
            time.sleep(0.2)
    finally:
        requests.post(f"{sms_gateway}/_mode", json={"status": 200}, timeout=5)


# Types a live demo cannot produce, with where they are shown instead.
NOT_IN_DEMO = {
    "DeadlineBreachWithdrawn": "needs a provisional deadline that breached and a calendar published after it "
    "(tests/integration/test_deadlines.py plays it)",
}


def demo_types() -> set[str]:
    """The event types the demo history holds at least once."""
    return set(catalogue.EVENT_TYPES) - set(NOT_IN_DEMO)


def missing_types(api: Api | None = None) -> set[str]:
    """The demo's event types no log holds yet (the demo story plays only while some are missing)."""
    api = api or Api()
    found: set[str] = set()
    for service in catalogue.SERVICES:
        found |= api.types(service)
    return demo_types() - found


def run(api: Api | None = None, sms_gateway: str | None = None, now: datetime | None = None) -> list[str]:
    """Play the story; returns the complaints it registered."""
    api = api or Api()
    # First, while notification has little else queued: the gateway refuses only for that moment.
    a_failed_notification(
        api, sms_gateway or config.env("SMS_GATEWAY_URL", "http://127.0.0.1:9090/send").removesuffix("/send")
    )
    intake_actions(api)
    attachments(api)
    case_actions(api)
    dispute_duties(api, now or datetime.now(UTC))
    referrals(api, now or datetime.now(UTC))
    reminders(api, now or datetime.now(UTC))
    return api.created


if __name__ == "__main__":
    run()
