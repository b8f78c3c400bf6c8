"""The console in headless Chromium against the real services: what people do with it, end to end."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.console.conftest import api_complaint, external_urls, get, screenshot, sign_in
from tests.e2e.conftest import token_for
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
AS_EAST_OFFICE = token_for("complaint_officer", "east-office-head", ("east",))


def timeline_events(page) -> list[str]:
    return page.locator("#timeline li").evaluate_all("items => items.map(i => i.dataset.event)")


def test_sign_in_page_lists_the_demo_users_and_the_hospital_account(new_page):
    page = new_page()
    page.goto("/worklist")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fworklist"))  # signed out: to the sign-in page first
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    expect(page.locator("button[data-person='east-office']")).to_contain_text("Complaint office")
    expect(page.locator("button[data-person='west-cardiology']")).to_contain_text("Cardiology")
    expect(page.get_by_role("link", name="Sign in with the hospital account")).to_be_visible()
    screenshot(page, "sign-in")


def test_register_to_close_in_the_browser_with_the_timeline_showing_each_step(stack, new_page):
    office = new_page()
    sign_in(office, "east-office")
    office.get_by_role("link", name="Register a complaint").click()
    form = office.get_by_test_id("register-form")
    form.get_by_label("Channel").select_option("hotline")
    form.get_by_label("Category").select_option("medical_quality")
    form.get_by_label("What the complaint is about").fill("Waited four hours in cardiology without being seen")
    form.get_by_label("Name", exact=True).fill("Zhang Wei")
    form.get_by_label("Phone").fill("+86 139 1234 5678")
    form.get_by_label("Patient's name").fill("Zhang Min")
    form.get_by_label("Medical record number").fill("MRN-0042")
    screenshot(office, "register")
    form.get_by_role("button", name="Register").click()
    reference = office.get_by_test_id("reference").inner_text()
    assert re.fullmatch(r"EAST-\d{4}-\d{6}", reference)

    # It is in the worklist (the case opens when investigation has consumed the registration).
    def listed() -> bool:
        office.goto("/worklist")
        return office.locator(f"tr[data-reference='{reference}']").count() == 1

    wait_for(listed, timeout=30, what="the complaint in the worklist")
    screenshot(office, "worklist")
    office.locator(f"tr[data-reference='{reference}'] a").first.click()
    expect(office.get_by_test_id("case-reference")).to_have_text(reference)
    # The patient asked for at registration is shown to those who may read the complaint (issue 18, item 1).
    expect(office.get_by_test_id("patient-name")).to_have_text("Zhang Min")
    expect(office.get_by_test_id("patient-mrn")).to_have_text("MRN-0042")

    # Assign cardiology.
    office.locator("details[data-action=assign] summary").click()
    office.locator("details[data-action=assign]").get_by_label("Cardiology").check()
    office.locator("details[data-action=assign]").get_by_role("button", name="Assign").click()
    expect(office.get_by_test_id("notice")).to_contain_text("Assign departments")
    expect(office.locator("#timeline li[data-event=InvestigationOpened]")).to_have_count(2)

    # The cardiology liaison submits the findings, in Chinese.
    liaison = new_page("zh-CN")
    sign_in(liaison, "east-cardiology", "zh-CN")
    liaison.goto(office.url.split("?")[0])
    expect(liaison.get_by_test_id("patient-mrn")).to_have_text("MRN-0042")
    findings = liaison.locator("details[data-action=findings]")
    findings.locator("summary").click()
    findings.get_by_label("投诉是否属实").select_option("partly")
    findings.get_by_label("调查结论").fill("The triage nurse missed the referral; process changed")
    # Signed off by the head the configuration names for cardiology (the only one: chosen already).
    expect(findings.get_by_label("签字确认人（科室负责人）")).to_have_value("east-cardiology-head")
    findings.get_by_role("button", name="提交调查结论").click()
    expect(liaison.get_by_test_id("notice")).to_contain_text("提交调查结论")
    screenshot(liaison, "case-liaison-zh")

    # The office replies; notification delivers it by SMS; the timeline shows the delivery.
    office.reload()
    reply = office.locator("details[data-action=reply]")
    reply.locator("summary").click()
    reply.get_by_label("What was done").fill("Apologised; the referral process was changed")
    reply.get_by_label("Result").fill("Partly substantiated")
    reply.get_by_role("button", name="Issue the reply").click()
    expect(office.get_by_test_id("case-status")).to_have_attribute("data-status", "replied")
    expect(office.locator("#timeline li[data-event=ReplySent]")).to_have_count(1, timeout=30_000)

    # Follow-up: satisfied. Then close.
    office.reload()
    follow = office.locator("details[data-action=follow_up]")
    follow.locator("summary").click()
    follow.get_by_label("satisfied", exact=True).check()
    follow.get_by_role("button", name="Record it").click()
    expect(office.get_by_test_id("notice")).to_contain_text("Record the follow-up")
    close = office.locator("details[data-action=close]")
    close.locator("summary").click()
    close.get_by_label("Outcome").fill("Resolved with an apology")
    close.get_by_role("button", name="Close").click()
    expect(office.get_by_test_id("case-status")).to_have_attribute("data-status", "closed")

    steps = timeline_events(office)
    for step in (
        "ComplaintReceived",
        "InvestigationOpened",
        "FindingsSubmitted",
        "ReplyIssued",
        "ReplySent",
        "FollowUpRecorded",
        "ComplaintClosed",
    ):
        assert step in steps, (step, steps)
    assert (
        steps.index("ComplaintReceived")
        < steps.index("FindingsSubmitted")
        < steps.index("ReplyIssued")
        < steps.index("ReplySent")
        < steps.index("FollowUpRecorded")
        < steps.index("ComplaintClosed")
    )
    # Who did what, under which calendar and policy version.
    findings_entry = office.locator("#timeline li[data-event=FindingsSubmitted]")
    expect(findings_entry).to_contain_text("by Cardiology liaison (East campus) (Department liaison)")
    expect(findings_entry).to_contain_text("Zhang Weidong (Head of department)")  # the signer named, not an id
    expect(findings_entry).not_to_contain_text("east-cardiology-head")
    expect(office.locator("#timeline li[data-event=InvestigationOpened]").first).to_contain_text("policy@")
    expect(office.locator("#timeline li[data-event=ReplySent]")).to_contain_text("SMS")
    office.get_by_role("heading", name="Timeline").scroll_into_view_if_needed()
    screenshot(office, "case")
    # Nothing left to do on a closed case but the office's reopening and disputes.
    expect(office.locator("details[data-action=close]")).to_have_count(0)
    expect(office.locator("details[data-action=reopen]")).to_have_count(1)


def test_a_validation_error_is_shown_next_to_its_field(new_page):
    page = new_page()
    sign_in(page, "east-desk")
    form = page.get_by_test_id("register-form")
    form.get_by_label("Channel").select_option("in_person")
    form.get_by_label("Category").select_option("billing")
    form.get_by_label("What the complaint is about").fill("Billed for a test that was never done")
    form.get_by_label("E-mail").fill("not-an-email")
    form.get_by_role("button", name="Register").click()
    error = page.locator("[data-error-for='complainant.email']")
    expect(error).to_have_text("Not a valid e-mail address.")
    field = page.get_by_label("E-mail")
    expect(field).to_have_attribute("aria-invalid", "true")
    assert field.get_attribute("aria-describedby") == error.get_attribute("id")
    expect(field).to_have_value("not-an-email")  # what was typed stays
    expect(page.get_by_label("What the complaint is about")).to_have_value("Billed for a test that was never done")
    expect(page.get_by_test_id("problem")).to_be_visible()
    screenshot(page, "register-error")


def test_first_contact_staff_resolve_on_the_spot_from_the_confirmation(new_page):
    page = new_page()
    sign_in(page, "east-desk")
    form = page.get_by_test_id("register-form")
    form.get_by_label("Channel").select_option("in_person")
    form.get_by_label("Category").select_option("billing")
    form.get_by_label("What the complaint is about").fill("Charged twice at the cashier")
    form.get_by_label("Anonymous (no complainant details)").check()
    form.get_by_role("button", name="Register").click()
    expect(page.get_by_test_id("reference")).to_have_text(re.compile(r"EAST-\d{4}-\d{6}"))
    page.get_by_role("button", name="Resolve and close").click()  # empty: the API's 400, next to the field
    expect(page.locator("[data-error-for=resolution]")).to_have_text("Required.")
    page.get_by_label("What was done on the spot").fill("Refunded the second charge at once")
    page.get_by_role("button", name="Resolve and close").click()
    expect(page.get_by_test_id("complaint-status")).to_contain_text("Resolved on the spot")
    expect(page.locator("#timeline li[data-event=ComplaintResolvedOnSpot]")).to_contain_text("east-desk-01")
    assert page.get_by_role("link", name="Worklist").count() == 0  # first-contact staff have no worklist


def test_a_department_liaison_sees_only_their_department(stack, new_page):
    cardiology = api_complaint(stack, AS_EAST_OFFICE, departments=["cardiology"], summary="cardiology case")
    radiology = api_complaint(stack, AS_EAST_OFFICE, departments=["radiology"], summary="radiology case")
    page = new_page()
    sign_in(page, "east-cardiology")
    page.goto("/worklist?state=open")
    rows = page.locator("table.cases tbody tr")
    expect(page.locator(f"tr[data-reference='{cardiology['reference']}']")).to_have_count(1)
    expect(page.locator(f"tr[data-reference='{radiology['reference']}']")).to_have_count(0)
    for department in rows.locator("td:nth-child(3)").all_inner_texts():
        assert "Cardiology" in department
    expect(page.get_by_label("Department")).to_have_value("cardiology")
    screenshot(page, "worklist-liaison")
    # Their department's actions only; another department's case is, to them, no case at all (404, as an unknown
    # id: the services do not tell that it exists).
    page.goto(f"/cases/{cardiology['complaint_id']}")
    assert set(page.locator("details.action").evaluate_all("d => d.map(x => x.dataset.action)")) == {
        "request_extension",
        "findings",
    }
    response = page.goto(f"/cases/{radiology['complaint_id']}")
    assert response.status == 404
    expect(page.get_by_test_id("problem")).to_have_text(f"There is no complaint {radiology['complaint_id']}.")


def test_the_worklist_marks_overdue_and_provisional_deadlines_and_sorts_and_filters(stack, new_page):
    from datetime import UTC, datetime, timedelta

    late = api_complaint(
        stack,
        AS_EAST_OFFICE,
        departments=["emergency"],
        summary="late one",
        received_at=(datetime.now(UTC) - timedelta(days=20)).isoformat(),
    )
    wait_for(lambda: stack.investigation.get(f"/cases/{late['complaint_id']}").json()["overdue"], what="breach")
    fresh = api_complaint(stack, AS_EAST_OFFICE, departments=["emergency"], summary="fresh one")
    page = new_page()
    sign_in(page, "east-office")
    page.goto("/worklist?department=emergency")
    late_row = page.locator(f"tr[data-reference='{late['reference']}']")
    expect(late_row).to_have_class(re.compile("row-overdue"))
    # First reply and statutory feedback (emergency's investigation counts from registration).
    expect(late_row.locator("td.deadlines [data-urgency=overdue]")).to_have_count(2)
    expect(late_row.locator("td.statutory [data-urgency=overdue]")).to_have_count(1)
    expect(
        page.locator(f"tr[data-reference='{fresh['reference']}'] td.deadlines [data-urgency=running]")
    ).to_have_count(3)
    # Most urgent first by default; reversed by the column's sort link.
    references = page.locator("table.cases tbody tr").evaluate_all("rows => rows.map(r => r.dataset.reference)")
    assert references.index(late["reference"]) < references.index(fresh["reference"])
    page.get_by_role("link", name=re.compile("Running deadlines")).click()
    expect(page.locator("th[aria-sort=descending]")).to_have_count(1)
    references = page.locator("table.cases tbody tr").evaluate_all("rows => rows.map(r => r.dataset.reference)")
    assert references.index(late["reference"]) > references.index(fresh["reference"])
    # Filter: overdue only (htmx refreshes the table on change).
    page.get_by_label("Deadlines", exact=True).select_option("overdue")
    expect(page.locator(f"tr[data-reference='{fresh['reference']}']")).to_have_count(0)
    expect(page.locator(f"tr[data-reference='{late['reference']}']")).to_have_count(1)
    expect(page).to_have_url(re.compile("urgency=overdue"))


def test_a_refusal_of_the_case_state_is_shown_as_a_sentence(stack, new_page):
    created = api_complaint(stack, AS_EAST_OFFICE, departments=["nursing"])
    page = new_page()
    sign_in(page, "east-office")
    page.goto(f"/cases/{created['complaint_id']}")
    escalate = page.locator("details[data-action=escalate]")
    escalate.locator("summary").click()
    escalate.get_by_label("Why the leadership group must know").fill("Press enquiry")
    # Someone else escalates it meanwhile: the API's 409 becomes a sentence, the form keeps what was typed.
    assert (
        stack.investigation.post(
            f"/cases/{created['complaint_id']}/escalate", {"reason": "first"}, token=AS_EAST_OFFICE
        ).status_code
        == 200
    )
    escalate.get_by_role("button", name="Escalate").click()
    expect(page.get_by_test_id("problem")).to_have_text("The complaint was already escalated to the leadership group.")
    expect(page.locator("details[data-action=escalate]")).to_have_count(0)  # no longer on offer


def test_language_switch_translates_the_page_and_is_remembered(new_page):
    page = new_page()
    sign_in(page, "east-office")
    page.goto("/register")
    expect(page.get_by_role("heading", level=1)).to_have_text("Register a complaint")
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("登记投诉")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_label("渠道")).to_be_visible()
    page.get_by_role("link", name="待办案件").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("待办案件")
    screenshot(page, "worklist-zh")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Worklist")


def test_keyboard_only_sign_in_and_navigation(new_page):
    page = new_page()
    page.goto("/login")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to the content")
    page.locator("button[data-person='east-office']").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("who")).to_contain_text("east-office-head")
    page.get_by_role("link", name="Register a complaint").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Register a complaint")
    # Every field has a label.
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter(e => !(e.labels && e.labels.length)).map(e => e.name)""")
    assert unlabelled == []


def test_reports_with_charts_pickers_and_csv(stack, new_page):
    api_complaint(stack, AS_EAST_OFFICE, departments=["pediatrics"], category="care_process")
    page = new_page()
    sign_in(page, "leadership-lead-01")
    page.get_by_role("link", name="Reports").click()
    report = page.get_by_test_id("report")
    expect(report.locator("svg").first).to_be_visible()
    expect(report).to_contain_text("Complaint statistics, monthly report")
    page.get_by_label("Campus").select_option("east")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("report").get_by_role("heading", level=2)).to_contain_text("East")
    screenshot(page, "reports")
    with page.expect_download() as download:
        page.get_by_test_id("csv").click()
    assert download.value.suggested_filename.endswith("-east.csv")
    assert download.value.path().read_text(encoding="utf-8").startswith("\ufeffSection,Figure,Key,Label,Value")


def test_sign_in_with_the_hospital_identity_provider(new_page):
    page = new_page()
    page.goto("/login")
    page.get_by_role("link", name="Sign in with the hospital account").click()
    expect(page.get_by_test_id("who")).to_contain_text("west-office-head")
    expect(page.get_by_test_id("who")).to_contain_text("West campus")
    expect(page).to_have_url(re.compile("/worklist"))
    cookie = next(c for c in page.context.cookies() if c["name"] == "console_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_test_id("notice")).to_have_text("You are signed out.")


def test_no_page_loads_anything_from_elsewhere(stack, new_page, console):
    created = api_complaint(stack, AS_EAST_OFFICE, departments=["cardiology"])
    page = new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    sign_in(page, "east-office")
    issuer = stack["console"].extra_env["OIDC_ISSUER"]
    served = []
    for path in ("/login", "/worklist", "/register", f"/cases/{created['complaint_id']}", "/reports", "/reports/print"):
        page.goto(path)
        served.append((path, page.content()))
    for name in ("htmx.min.js", "console.css"):
        served.append((name, get(f"{console}/static/{name}").text))
    for path, text in served:
        assert external_urls(text, (issuer,)) == [], path
    assert all(url.startswith(console) for url in requested), [u for u in requested if not u.startswith(console)]


def test_a_major_dispute_its_route_authority_report_seal_and_police_report_on_the_case_page(stack, new_page):
    created = api_complaint(stack, AS_EAST_OFFICE, departments=["nursing"])
    cid = created["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}", token=AS_EAST_OFFICE).status_code == 200, what="case")
    recorded = stack.investigation.post(
        f"/cases/{cid}/disputes", {"route": "negotiation", "major": True}, token=AS_EAST_OFFICE
    )
    assert recorded.status_code == 201, recorded.text
    page = new_page()
    sign_in(page, "east-office")
    page.goto(f"/cases/{cid}")
    disputes = page.get_by_test_id("disputes")
    expect(disputes).to_contain_text("major: report to the health authority")
    route = page.locator("details[data-action=change_dispute_route]")
    route.locator("summary").click()
    route.locator("select[name=route]").select_option("people_mediation")
    route.get_by_role("button", name="Change the route").click()
    expect(page.get_by_test_id("disputes")).to_contain_text("→")
    report = page.locator("details[data-action=report_to_authority]")
    report.locator("summary").click()
    report.get_by_label("Health authority").fill("District health commission")
    report.locator("select[name=report_kind]").select_option("initial")
    report.get_by_role("button", name="Record the report").click()
    expect(page.get_by_test_id("disputes")).to_contain_text("District health commission")
    expect(page.get_by_test_id("disputes")).to_contain_text("in time")
    seal = page.locator("details[data-action=seal_records]")
    seal.locator("summary").click()
    seal.get_by_role("button", name="Record the sealing").click()  # nothing filled in: the API names the fields
    seal = page.locator("details[data-action=seal_records]")
    expect(seal.locator(".has-error").first).to_be_visible()
    seal.locator("textarea[name=items]").fill("Inpatient record\nInfusion set")
    seal.locator("input[name=patient_side_present][value=true]").check()
    seal.locator("input[name=list_signed_by_both][value=true]").check()
    seal.get_by_role("button", name="Record the sealing").click()
    expect(page.get_by_test_id("seals")).to_contain_text("Inpatient record; Infusion set")
    expect(page.locator("details[data-action=unseal_records]")).to_have_count(1)
    police = page.locator("details[data-action=report_to_police]")
    police.locator("summary").click()
    police.locator("textarea[name=reason]").fill("Threats against a nurse")
    police.get_by_role("button", name="Record the report").click()
    expect(page.get_by_test_id("disputes")).to_contain_text("Threats against a nurse")
    types = [
        e["type"]
        for e in stack.investigation.get("/events", params={"after": 0, "limit": 1000}).json()["events"]
        if e["subject"] == cid
    ]
    assert {"DisputeRouteChanged", "DisputeReportedToAuthority", "RecordsSealed", "PoliceNotified"} <= set(types)


def test_interim_feedback_from_the_case_page_with_the_statutory_clock_shown(stack, new_page):
    created = api_complaint(stack, AS_EAST_OFFICE, departments=["cardiology"], summary="waiting for the ECG")
    cid = created["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").status_code == 200, what="the case opened")
    page = new_page()
    sign_in(page, "east-office")
    page.goto("/worklist?department=cardiology")
    row = page.locator(f"tr[data-reference='{created['reference']}']")
    expect(row.locator("td.statutory [data-urgency=running]")).to_have_count(1)
    page.goto(f"/cases/{cid}")
    expect(page.get_by_test_id("two-clocks")).to_contain_text("never extended")
    expect(page.get_by_test_id("deadlines")).to_contain_text("tatutory")
    feedback = page.locator("details[data-action=feedback]")
    feedback.locator("summary").click()
    feedback.get_by_label("What is being done").fill("Cardiology is reviewing the ECG")
    feedback.get_by_label("What comes next").fill("A written reply")
    feedback.get_by_role("button", name="Send interim feedback").click()
    expect(page.get_by_test_id("notice")).to_contain_text("Send interim feedback")
    expect(page.locator("#timeline li[data-event=InterimFeedbackIssued]")).to_have_count(1)


def test_the_case_page_links_the_dossier_for_the_office_and_not_for_a_liaison(stack, new_page):
    created = api_complaint(stack, AS_EAST_OFFICE, departments=["cardiology"], category="medical_quality")
    page = new_page()
    sign_in(page, "east-office", "zh-CN")
    page.goto(f"/cases/{created['complaint_id']}")
    expect(page.get_by_test_id("dossier")).to_contain_text("投诉档案")
    href = page.get_by_test_id("dossier-pdf").get_attribute("href")
    pdf = page.request.get(href)  # as the signed-in browser fetches it (a headless viewer shows no download)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    answer = page.request.get(f"/cases/{created['complaint_id']}/dossier.json")
    assert answer.status == 200 and answer.json()["reference"] == created["reference"]
    liaison = new_page()
    sign_in(liaison, "east-cardiology")
    liaison.goto(f"/cases/{created['complaint_id']}")
    expect(liaison.get_by_test_id("case-reference")).to_have_text(created["reference"])
    expect(liaison.get_by_test_id("dossier")).to_have_count(0)
    assert liaison.request.get(f"/cases/{created['complaint_id']}/dossier.pdf").status == 403


def test_attachments_are_uploaded_listed_and_downloaded_through_the_case_page(stack, new_page, tmp_path):
    created = api_complaint(stack, AS_EAST_OFFICE, departments=["billing_office"], summary="charged twice")
    cid = created["complaint_id"]
    letter = tmp_path / "投诉信.pdf"
    content = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n" + bytes(700_000)
    letter.write_bytes(content)
    page = new_page()
    sign_in(page, "east-office")
    page.goto(f"/cases/{cid}")
    section = page.get_by_test_id("attachments")
    expect(section).to_contain_text("No attachments.")
    section.locator("input[type=file]").set_input_files(str(letter))
    section.get_by_role("button", name="Add the file").click()
    expect(page.get_by_test_id("notice")).to_contain_text("The file was added.")
    row = page.locator("[data-testid=attachments] tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("投诉信.pdf")
    expect(row).to_contain_text("application/pdf")
    section.scroll_into_view_if_needed()
    screenshot(page, "case-attachments")
    # the link, fetched with the signed-in browser's cookies (Playwright's download event does not arrive
    # under the root conftest's eventlet patching)
    href = row.get_by_role("link", name="Download").get_attribute("href")
    back = page.request.get(href)
    assert back.status == 200 and back.body() == content
    assert back.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''%E6%8A%95%E8%AF%89%E4%BF%A1.pdf" in back.headers["content-disposition"]
    # what intake refuses (an executable named .pdf) comes back as a sentence on the page
    fake = tmp_path / "invoice.pdf"
    fake.write_bytes(b"MZ\x90\x00" + bytes(200))
    page.get_by_test_id("attachments").locator("input[type=file]").set_input_files(str(fake))
    page.get_by_test_id("attachments").get_by_role("button", name="Add the file").click()
    expect(page.get_by_test_id("problem")).to_be_visible()
    expect(page.locator("[data-testid=attachments] tbody tr")).to_have_count(1)


def test_a_complainant_with_only_a_landline_is_flagged_and_replied_to_by_phone(stack, new_page):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    office = new_page()
    sign_in(office, "east-office")
    office.get_by_role("link", name="Register a complaint").click()
    form = office.get_by_test_id("register-form")
    form.get_by_label("Channel").select_option("hotline")
    form.get_by_label("Category").select_option("billing")
    form.get_by_label("What the complaint is about").fill("Charged twice for one scan")
    form.get_by_label("Name", exact=True).fill("Qian Wei")
    form.get_by_label("Phone").fill("010-1234 5678")
    form.get_by_role("button", name="Register").click()
    expect(office.get_by_test_id("no-contact-warning")).to_contain_text("No e-mail, mobile number or postal address")
    case_url = office.get_by_role("link", name="Open the complaint").get_attribute("href")

    def case_open() -> bool:
        office.goto(case_url)
        return office.locator("details[data-action=reply]").count() == 1

    wait_for(case_open, timeout=30, what="the case open with its reply form")
    reply = office.locator("details[data-action=reply]")
    reply.locator("summary").click()
    reply.get_by_label("What was done").fill("Refunded the second charge; told him by phone")
    reply.get_by_label("Result").fill("Substantiated")
    reply.get_by_label("Send the reply by").select_option("phone")
    given = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    reply.get_by_label("Given at (phone / in person)").fill(given)
    reply.get_by_label("Given by (staff id)").fill("east-office-head")
    reply.get_by_role("button", name="Issue the reply").click()
    expect(office.get_by_test_id("case-status")).to_have_attribute("data-status", "replied")
    expect(office.locator("#timeline li[data-event=ReplySent]")).to_have_count(1, timeout=30_000)


def test_a_referral_shows_its_referrer_and_reply_date_and_the_worklist_filters_referrals(stack, new_page):
    # Issue 17: the case page shows who referred the complaint, their reference and reply date with its
    # deadline; the worklist has a referral column and filter.
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    reply_due = (datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=3)).isoformat()
    referral = {"referrer": "12345 hotline <b>", "reference": "12345-0042", "reply_due": reply_due}
    referred = api_complaint(stack, AS_EAST_OFFICE, source="authority_referral", referral=referral)
    plain = api_complaint(stack, AS_EAST_OFFICE, summary="not referred")
    page = new_page()
    sign_in(page, "east-office")
    page.goto(f"/cases/{referred['complaint_id']}")
    expect(page.get_by_test_id("referrer")).to_have_text("12345 hotline <b>")  # escaped, shown as written
    expect(page.get_by_test_id("reply-due")).to_contain_text(reply_due)
    expect(page.locator("[data-testid=deadlines]")).to_contain_text("Reply to the referrer")
    page.goto("/worklist?referral=true")
    expect(page.locator(f"tr[data-reference='{referred['reference']}'] td.referral [data-urgency]")).to_have_count(1)
    expect(page.locator(f"tr[data-reference='{plain['reference']}']")).to_have_count(0)
