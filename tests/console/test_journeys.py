"""Issue 18's five journeys end to end in the browser, in zh-CN: the first-contact desk registers, the office
head finds the case by the caller's phone, assigns it and escalates it, the cardiology liaison finds it in their
to-do and submits the findings, the office replies and prints the case, leadership reads it among the escalated
cases and in the month's report, the auditor opens it by its reference and takes the dossier. Every page on the
way is checked the same way: the console's own page (never a framework's), and names where codes and ids would
be — no internal id, no code of the product's vocabularies, no doubled punctuation."""

from __future__ import annotations

import io
import re
import uuid

import pypdf
import pytest
from playwright.sync_api import expect

from services.console import i18n
from shared import config, glossary
from tests.console.conftest import get, sign_in
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
ZH = "zh-CN"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-")
RAW_PAGES = ("Werkzeug", "Method Not Allowed", "Internal Server Error", "Not Found", "Traceback", "Bad Request")
WORD = re.compile(r"(?<![\w@.\-/])[a-z][a-z_]{2,}(?![\w@.\-/])")


def _codes() -> set[str]:
    """Every code a page could show instead of its name: the glossary's vocabularies, the hospital's places."""
    hospital = config.load_hospital()
    codes = {code for group in glossary.LABELS["en"].values() for code in group}
    codes |= set(hospital.campuses)
    codes |= {d for campus in hospital.campuses.values() for d in campus["departments"]}
    return {c for c in codes if WORD.fullmatch(c)}


CODES = _codes()


def t(key: str, **params) -> str:
    return i18n.message(ZH, key, **params)


def readable(page, where: str) -> str:
    """The page as its reader sees it, checked; returns its text."""
    text = page.locator("body").inner_text()
    assert not [raw for raw in RAW_PAGES if raw in text], f"{where}: a framework's page"
    assert page.locator("html").get_attribute("lang") == ZH, where
    assert not UUID.search(text), f"{where}: an internal id is shown: {UUID.search(text)}"
    codes = sorted(set(WORD.findall(text)) & CODES)
    assert not codes, f"{where}: codes where names belong: {codes}"
    doubled = re.findall(r"[。，；：]{2}", text)  # noqa: RUF001 (Chinese punctuation is meant)
    assert not doubled, f"{where}: doubled punctuation {doubled}"
    return text


def desk_registers(new_page, mobile: str, tag: str) -> str:
    desk = new_page(ZH)
    sign_in(desk, "east-desk", ZH)
    desk.goto("/register")
    readable(desk, "the register page")
    form = desk.get_by_test_id("register-form")
    form.get_by_label(t("field.channel")).select_option("in_person")
    form.get_by_label(t("field.category")).select_option("care_process")
    form.get_by_label(t("field.summary")).fill("门诊候诊三个多小时无人告知进度")
    form.get_by_label(t("field.complainant.name"), exact=True).fill(f"赵丽{tag}")
    form.get_by_label(t("field.complainant.phone")).fill(mobile)
    form.get_by_label(t("field.patient.name")).fill(f"赵建国{tag}")
    form.get_by_label(t("field.patient.mrn")).fill(f"MRN-{tag}")
    form.get_by_role("button", name=t("register.submit")).click()
    reference = desk.get_by_test_id("reference")
    expect(reference).to_be_visible()
    readable(desk, "the registered page")
    return reference.inner_text()


def office_finds_assigns_and_escalates(new_page, mobile: str, reference: str):
    office = new_page(ZH)
    sign_in(office, "east-office", ZH)
    readable(office, "the office's worklist")
    office.get_by_test_id("header-search").fill(mobile)
    office.get_by_test_id("header-search").press("Enter")
    expect(office.get_by_test_id("case-reference")).to_have_text(reference)  # the one match opens the case
    readable(office, "the case found by phone")
    assign = office.locator("details[data-action=assign]")
    assign.locator("summary").click()
    assign.get_by_label(i18n.name(ZH, "department", "cardiology")).check()
    assign.get_by_role("button", name=t("action.assign.submit")).click()
    expect(office.get_by_test_id("notice")).to_contain_text(t("action.assign"))
    escalate = office.locator("details[data-action=escalate]")
    escalate.locator("summary").click()
    escalate.get_by_label(t("field.escalation_reason")).fill("患者家属向媒体反映")
    escalate.get_by_role("button", name=t("action.escalate.submit")).click()
    expect(office.get_by_test_id("notice")).to_contain_text(t("action.escalate"))
    readable(office, "the case after assigning and escalating")
    return office


def liaison_submits_findings(stack, new_page, reference: str) -> None:
    liaison = new_page(ZH)
    sign_in(liaison, "east-cardiology", ZH)
    liaison.goto("/worklist?view=todo")
    wait_for(lambda: liaison.reload() or reference in readable(liaison, "the liaison's to-do"), what="in the to-do")
    liaison.locator(f"tr[data-reference='{reference}'] a").first.click()
    expect(liaison.get_by_test_id("case-reference")).to_have_text(reference)
    findings = liaison.locator("details[data-action=findings]")
    findings.locator("summary").click()
    findings.get_by_label(t("field.substantiated")).select_option("partly")
    findings.get_by_label(t("field.findings_summary")).fill("分诊护士未及时告知候诊进度，已调整叫号流程")
    findings.get_by_role("button", name=t("action.findings.submit")).click()
    expect(liaison.get_by_test_id("notice")).to_contain_text(t("action.findings"))
    readable(liaison, "the case after the findings")


def office_replies_and_prints(office) -> None:
    office.reload()
    reply = office.locator("details[data-action=reply]")
    reply.locator("summary").click()
    reply.get_by_label(t("field.contact_person")).fill("east-office-head")
    reply.get_by_label(t("field.actions_taken")).fill("当面致歉，调整叫号流程")
    reply.get_by_label(t("field.result")).fill("部分属实")
    reply.get_by_role("button", name=t("action.reply.submit")).click()
    expect(office.get_by_test_id("case-status")).to_have_attribute("data-status", "replied")
    readable(office, "the case after the reply")
    office.goto(office.url.split("?")[0] + "/print")
    readable(office, "the case's print view")


def leadership_reads(new_page, reference: str) -> None:
    leader = new_page(ZH)
    sign_in(leader, "leadership-lead-01", ZH)
    leader.goto("/worklist?view=escalated")
    expect(leader.locator(f"tr[data-reference='{reference}']")).to_have_count(1)
    readable(leader, "leadership's escalated cases")
    leader.locator(f"tr[data-reference='{reference}'] a").first.click()
    expect(leader.get_by_test_id("case-reference")).to_have_text(reference)
    readable(leader, "the case as leadership reads it")
    for path in ("/reports", "/reports/print"):
        leader.goto(path)
        readable(leader, f"leadership's {path}")


def auditor_takes_the_dossier(new_page, reference: str) -> None:
    auditor = new_page(ZH)
    sign_in(auditor, "auditor", ZH)
    auditor.goto(f"/cases/{reference}")
    expect(auditor.get_by_test_id("case-reference")).to_have_text(reference)
    readable(auditor, "the case as the auditor opens it by its reference")
    href = auditor.get_by_test_id("dossier-pdf").get_attribute("href")
    cookies = {c["name"]: c["value"] for c in auditor.context.cookies()}
    pdf = get(auditor.url.split("/cases/")[0] + href, cookies=cookies)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"].startswith("application/pdf")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    registration = text.split("登记信息")[1].split("期限")[0]
    codes = sorted(set(WORD.findall(registration)) & CODES)
    assert reference in text and not codes, f"the dossier's registration shows codes: {codes}"


def test_the_five_journeys_end_to_end_in_chinese_with_names_where_codes_would_be(stack, new_page):
    mobile, tag = "139" + str(uuid.uuid4().int)[:8], uuid.uuid4().hex[:6]
    reference = desk_registers(new_page, mobile, tag)
    office = office_finds_assigns_and_escalates(new_page, mobile, reference)
    liaison_submits_findings(stack, new_page, reference)
    office_replies_and_prints(office)
    leadership_reads(new_page, reference)
    auditor_takes_the_dossier(new_page, reference)
