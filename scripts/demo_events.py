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
            "summary": "等候医生查房时间过长",
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
    on_spot = api.register(category="billing", summary="一次 X 光检查被重复收费", departments=[])
    api.post("intake", f"/complaints/{on_spot}/resolve-on-spot", {"resolution": "已在收费处当场退还重复费用"}, api.desk)
    refused = api.register(summary="该纠纷已向区人民法院起诉", departments=[])
    api.post(
        "intake",
        f"/complaints/{refused}/not-accepted",
        {"reason": "litigation", "route_advice": "请按诉讼程序处理。"},
    )
    withdrawn = api.register(departments=[])
    api.post("intake", f"/complaints/{withdrawn}/withdraw", {"reason": "已与病区直接沟通解决"})
    erased = api.register(departments=[], complainant={"name": "李建国", "relation": "本人"})
    api.attach(erased, "来电记录.txt", demo_files.text_note("2026 来电记录：投诉人要求删除个人信息。\n"))
    api.post("intake", f"/complaints/{erased}/erasure", {"reason": "投诉人书面申请删除个人信息（演示）"})
    # Registered without any way to reach her; the number given later (CaseContactChanged: the case follows).
    corrected = api.register(complainant={"name": "赵敏", "relation": "本人"})
    api.post("intake", f"/complaints/{corrected}/contact", {"phone": "+86 139 0000 4444", "preferred_channel": "sms"})
    moved = api.register(departments=["nursing"])
    api.post(
        "intake",
        f"/complaints/{moved}/reclassify",
        {"category": "medical_quality", "departments": ["nursing", "cardiology"], "note": "涉及诊疗问题"},
    )


def attachments(api: Api) -> None:
    """Evidence on a complaint's file (CONTRACT §9): the complainant's letter, a photo of the bill, a call note."""
    billed = api.register(category="billing", summary="一次 CT 检查被重复收费", departments=["billing_office"])
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
        complainant={"name": "王芳", "email": "demo.1001@patients.example", "relation": "本人"}
    )  # reachable by e-mail: the replies are delivered
    api.case(cid)
    granted = api.act(cid, "extensions", department="cardiology", reason="需等候夜班人员返岗后核实", requested_days=3)[
        "extension_id"
    ]
    api.act(cid, f"extensions/{granted}/decision", granted=True, note="同意延期")
    refused = api.act(cid, "extensions", department="cardiology", reason="需要更多时间", requested_days=2)[
        "extension_id"
    ]
    api.act(cid, f"extensions/{refused}/decision", granted=False, note="已延期一次，请按延长后的期限提交")
    api.act(cid, "escalate", reason="家属已向卫生健康委反映")
    api.act(  # while cardiology's findings are awaited: meets the statutory feedback clock once delivered
        cid,
        "feedback",
        contact_person=OFFICE_HEAD,
        progress="心内科正在核查查房经过",
        next_steps="调查结论形成后书面答复",
    )
    api.act(
        cid,
        "findings",
        department="cardiology",
        substantiated="partly",
        summary="当日查房确有延误",
        signed_off_by="east-cardiology-head",
        staff_involved=["east-cardiology-staff-01"],
    )
    api.act(cid, "replies", contact_person=OFFICE_HEAD, actions_taken="已调整查房时间", result="已向投诉人致歉")
    rectification = api.act(cid, "rectifications", department="cardiology", description="在病区公示查房时间")[
        "rectification_id"
    ]
    api.act(cid, f"rectifications/{rectification}/complete", note="posted on the ward")
    api.act(cid, "follow-up", satisfied=False, note="希望当面沟通")  # reopens the case
    dispute = api.act(cid, "disputes", route="negotiation", note="要求赔偿")["dispute_id"]
    api.act(cid, f"disputes/{dispute}/settle", compensation_amount="800.00")
    api.act(  # given face to face at the meeting: recorded as delivered, nothing sent (CONTRACT §13)
        cid,
        "replies",
        contact_person=OFFICE_HEAD,
        actions_taken="已当面沟通",
        result="settled",
        channel_preference="in_person",
        delivered_at=datetime.now(UTC).isoformat(),
        delivered_by=OFFICE_HEAD,
    )
    api.act(cid, "follow-up", satisfied=True)
    deadline = time.monotonic() + 30
    while True:  # closing waits for the reply's delivery (ReplySent), which notification reports shortly
        try:
            api.act(cid, "close", outcome="经协商解决")
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
        summary="12345 热线转办：门诊药房取药等候时间过长",
        departments=[],
        referral={"referrer": "12345 政务服务便民热线", "reference": "12345-2026-118204", "reply_due": reply_due},
    )
    api.register(
        source="authority_referral",
        channel="letter",
        summary="区卫生健康委（12320）转办：收费疑问",
        departments=["billing_office"],
        referral={
            "referrer": "区卫生健康委员会（12320）",
            "reference": "WJW-2026-0331",
            "reply_due": reply_due,
        },
    )
    api.case(answered)
    api.act(answered, "referrer-reply", summary="已将调查结果及药房新的开放时间回复热线")
    suggestions_compliments_and_a_group(api)
    a_follow_up_call(api)


def suggestions_compliments_and_a_group(api: Api) -> None:
    adopted = api.register(kind="suggestion", summary="建议门诊药房开放至 20:00", departments=["nursing"])
    api.post("intake", f"/complaints/{adopted}/adopt", {"note": "下月起延长晚间开放时间"})
    api.register(kind="suggestion", summary="心内科候诊区增加座椅", departments=["cardiology"])
    api.register(kind="compliment", summary="感谢 7 病区夜班护士", departments=["nursing"])
    api.register(kind="compliment", summary="心内科医生解释耐心细致", departments=["cardiology"])
    api.register(representatives=4, summary="3 病区四户家属对探视时间提出投诉", departments=["nursing"])


def a_follow_up_call(api: Api) -> None:
    """The reply's delivery to a major complaint starts its follow-up deadline; the office calls back."""
    major = api.register(
        severity="major",
        departments=[],
        summary="患者在病区跌倒未及时告知家属",
        complainant={"name": "张伟", "email": "demo.1003@patients.example", "relation": "儿子"},
    )
    api.case(major)
    api.act(major, "replies", contact_person=OFFICE_HEAD, actions_taken="已重新培训防跌倒流程", result="已向投诉人致歉")
    deadline = time.monotonic() + 30
    url = f"{api.urls['investigation']}/cases/{major}"
    while not any(  # the delivery (ReplySent) starts the follow-up deadline shortly
        d["kind"] == "follow_up" for d in requests.get(url, headers=api.office, timeout=10).json()["deadlines"]
    ):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no follow-up deadline for {major}")
        time.sleep(0.2)
    api.act(major, "follow-up", satisfied=True, note="电话回访：满意")


def dispute_duties(api: Api, now: datetime) -> None:
    """A major dispute (CONTRACT §8): recorded when it arose, moved from negotiation to people's mediation,
    reported to the health authority (initial, then follow-up), the records sealed with both sides present and
    unsealed once settled; the police told of threats against staff."""
    cid = api.register(summary="患者术后死亡，家属对诊疗过程有异议")
    api.case(cid)
    arose = now - timedelta(hours=3)
    dispute = api.act(cid, "disputes", route="negotiation", major=True, recorded_at=arose.isoformat(), note="术后死亡")[
        "dispute_id"
    ]
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
    api.act(cid, "police-reports", reported_at=now.isoformat(), reason="有人威胁手术医生", reference="110-0042")
    api.act(cid, f"disputes/{dispute}/settle", compensation_amount="150000.00")
    api.act(cid, f"seals/{seal}/unseal", reason="dispute_settled")


def reminders(api: Api, now: datetime) -> None:
    """Complaints received 3 to 10 days ago, one a day: whatever the calendar, one of them is within a working
    day of its investigation deadline now, so the deadline engine reminds the department (InvestigationDue) and
    notification delivers the reminder (ReminderSent); the older ones are breached."""
    for days in range(3, 11):
        api.register(received_at=(now - timedelta(days=days)).isoformat(), summary="等候检查结果时间过长")


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
        cid = api.register(complainant={"name": "刘洋", "phone": "+86 139 0000 1000", "relation": "本人"})
        api.case(cid)
        api.act(
            cid,
            "findings",
            department="cardiology",
            substantiated="no",
            summary="等候时间符合安排",
            signed_off_by="east-cardiology-head",
        )
        api.act(cid, "replies", contact_person=OFFICE_HEAD, actions_taken="已解释等候原因", result="无过错")
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
