"""Issue 18 items 8, 9, 11 in the browser, in zh-CN: the extension request states the campus's limit and the last
day a grant gives (kept current as one types), the decision shows reason, requester and date; findings are
signed off by a configured head; the complainant's contact details corrected; the print view; and the main
pages at 1366 and 390 px (docs/screenshots)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.console.conftest import SCREENSHOTS, api_complaint, sign_in
from tests.e2e.conftest import token_for
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
AS_EAST_DESK = token_for("first_contact", "east-desk-01", ("east",))
COMPLAINANT = {
    "name": "王芳",
    "phone": "+86 139 0000 2222",
    "relation": "本人",
    "postal_address": "上海市浦东新区张杨路 100 号",
}


def picture(page, name: str, width: int) -> None:
    """The page at ``width`` px (its whole height, at most three screens), for docs/screenshots."""
    page.set_viewport_size({"width": width, "height": 900})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = min(page.evaluate("document.documentElement.scrollHeight"), 2700)
    page.screenshot(
        path=str(SCREENSHOTS / f"{name}.png"), clip={"x": 0, "y": 0, "width": width, "height": height}, full_page=True
    )


def case_of(stack, cid: str) -> dict:
    return stack.investigation.get(f"/cases/{cid}").json()


def opened(stack) -> str:
    created = api_complaint(
        stack,
        AS_EAST_DESK,
        departments=["cardiology"],
        category="care_process",
        summary="办理入院后等候床位四个多小时，无人告知进度",
        complainant=COMPLAINANT,
        patient={"name": "王建华", "mrn": "MRN-2026-0815"},
    )
    cid = created["complaint_id"]
    wait_for(lambda: "cardiology" in (case_of(stack, cid).get("assignments") or {}), what="cardiology investigating")
    return cid


def test_an_extension_asked_and_decided_with_its_limit_and_dates_shown(stack, new_page):
    cid = opened(stack)
    dates = case_of(stack, cid)["extension_preview"]["departments"]["cardiology"]
    liaison = new_page("zh-CN")
    sign_in(liaison, "east-cardiology", "zh-CN")
    liaison.goto(f"/cases/{cid}")
    form = liaison.locator("details[data-action=request_extension]")
    form.locator("summary").click()
    expect(form.get_by_test_id("extension-limit")).to_contain_text("最多可为该科室的调查期限增加 5 个工作日")
    result = form.get_by_test_id("extension-result")
    expect(result).to_have_text(f"如按上限（5 个工作日）批准，最后一天为 {dates['5']}。")  # before anything typed
    form.get_by_label("延长工作日数").fill("2")
    expect(result).to_have_text(f"如获批准：延长 2 个工作日，最后一天为 {dates['2']}。")  # as one types
    form.get_by_label("延长工作日数").fill("9")
    expect(result).to_have_text("请申请 1 至 5 个工作日。")
    form.get_by_label("延长工作日数").fill("3")
    form.get_by_label("延期理由").fill("需等候夜班人员返岗后核实当晚情况")
    form.get_by_role("button", name="提交延期申请").click()
    expect(liaison.get_by_test_id("notice")).to_contain_text("申请延期")

    office = new_page("zh-CN")
    sign_in(office, "east-office", "zh-CN")
    office.goto(f"/cases/{cid}")
    decision = office.locator("details[data-action=decide_extension]")
    decision.locator("summary").click()
    request = decision.get_by_test_id("extension-request")
    expect(request.get_by_test_id("extension-requester")).to_have_text("心内科投诉联络员（东院区）")  # a name, no id
    expect(request.get_by_test_id("extension-reason")).to_have_text("需等候夜班人员返岗后核实当晚情况")
    expect(request.get_by_test_id("extension-if-granted")).to_have_text(dates["3"])
    extension_id = next(iter(case_of(stack, cid)["extensions"]))
    assert extension_id[:8] not in decision.inner_text()  # no id fragments for people to read
    decision.get_by_label("同意", exact=True).check()
    decision.get_by_role("button", name="记录审批结果").click()
    expect(office.get_by_test_id("notice")).to_contain_text("审批延期申请")
    deadline = next(d for d in case_of(stack, cid)["deadlines"] if d["key"] == "investigation:cardiology")
    assert deadline["last_day"] == dates["3"]  # what the forms said is what the grant gave


def test_findings_are_signed_off_by_a_head_the_configuration_names(stack, new_page):
    cid = opened(stack)
    liaison = new_page("zh-CN")
    sign_in(liaison, "east-cardiology", "zh-CN")
    liaison.goto(f"/cases/{cid}")
    findings = liaison.locator("details[data-action=findings]")
    findings.locator("summary").click()
    signer = findings.get_by_label("签字确认人（科室负责人）")
    expect(signer.locator("option")).to_have_text(["张卫东（科主任）"])
    findings.get_by_label("投诉是否属实").select_option("partly")
    findings.get_by_label("调查结论").fill("床位调配信息未及时告知患者")
    findings.get_by_role("button", name="提交调查结论").click()
    expect(liaison.get_by_test_id("notice")).to_contain_text("提交调查结论")
    # Through the API a wrong head is refused, naming the field.
    liaison_token = token_for("department_liaison", "east-cardiology-liaison", ("east",), "cardiology")
    other = opened(stack)
    wrong = {"department": "cardiology", "substantiated": "no", "summary": "s", "signed_off_by": "east-nursing-head"}
    response = stack.investigation.post(f"/cases/{other}/findings", wrong, token=liaison_token)
    assert response.status_code == 400 and list(response.json()["errors"]) == ["signed_off_by"], response.text


def test_the_office_corrects_the_contact_details_and_prints_the_case(stack, new_page):
    cid = opened(stack)
    office = new_page("zh-CN")
    sign_in(office, "east-office", "zh-CN")
    office.goto(f"/cases/{cid}")
    form = office.locator("details[data-action=correct_contact]")
    form.locator("summary").click()
    expect(form.get_by_label("电话")).to_have_value("13900002222")  # what is on file, to correct
    form.get_by_label("电话").fill("12345")
    form.get_by_role("button", name="保存更正").click()
    form = office.locator("details[data-action=correct_contact]")
    expect(form.get_by_test_id("error-summary")).to_contain_text("电话")
    expect(form.get_by_test_id("error-summary")).to_be_focused()
    form.get_by_label("电话").fill("139 1234 5678")
    form.get_by_label("优先联系方式").select_option("sms")
    form.get_by_role("button", name="保存更正").click()
    expect(office.get_by_test_id("notice")).to_contain_text("更正联系方式")
    expect(office.get_by_test_id("preferred-channel")).to_have_text("优先联系方式：短信")
    expect(office.locator("#timeline li[data-event=ContactDetailsCorrected]")).to_contain_text("电话")
    expect(office.locator("#timeline li[data-event=ContactDetailsCorrected]")).not_to_contain_text("13912345678")
    picture(office, "case-1366", 1366)
    picture(office, "case-390", 390)
    assert office.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    office.set_viewport_size({"width": 1366, "height": 900})

    # Findings and a reply, so the printed form has them to show.
    liaison = token_for("department_liaison", "east-cardiology-liaison", ("east",), "cardiology")
    findings = {
        "department": "cardiology",
        "substantiated": "partly",
        "summary": "床位调配信息未及时告知患者",
        "signed_off_by": "east-cardiology-head",
    }
    assert stack.investigation.post(f"/cases/{cid}/findings", findings, token=liaison).status_code == 200
    office_token = token_for("complaint_officer", "east-office-head", ("east",))
    reply = {
        "contact_person": "east-office-head",
        "actions_taken": "核查床位调配流程，增加入院等候告知",
        "result": "部分属实，已致歉",
    }
    assert stack.investigation.post(f"/cases/{cid}/replies", reply, token=office_token).status_code == 201
    office.reload()
    office.get_by_test_id("print-link").click()
    wait_for(lambda: "/print" in office.url, what="the print view")
    expect(office.get_by_test_id("print-view")).to_be_visible()
    expect(office.get_by_role("heading", name="投诉登记表 / 处理单")).to_be_visible()
    expect(office.get_by_test_id("print-complainant")).to_contain_text("王芳")
    expect(office.get_by_test_id("print-summary")).to_have_text("办理入院后等候床位四个多小时，无人告知进度")
    expect(office.get_by_test_id("print-departments")).to_have_text("心内科")
    expect(office.get_by_test_id("print-signatures")).to_contain_text("心内科 科室负责人（张卫东（科主任））")
    expect(office.get_by_test_id("print-findings")).to_contain_text("床位调配信息未及时告知患者")
    expect(office.get_by_test_id("print-findings")).to_contain_text("张卫东（科主任）")  # the signer by name
    expect(office.get_by_test_id("print-replies")).to_contain_text("部分属实，已致歉")
    expect(office.locator("header.top, nav")).to_have_count(0)  # no navigation on paper
    office.emulate_media(media="print")
    expect(office.locator(".print-tools")).to_be_hidden()
    picture(office, "case-print", 900)


def test_the_register_and_sign_in_pages_on_a_phone(stack, new_page):
    page = new_page("zh-CN")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    page.get_by_role("button", name="中文").click()
    page.wait_for_function("document.documentElement.lang === 'zh-CN'")
    picture(page, "sign-in-390", 390)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    sign_in(page, "east-desk", "zh-CN")
    page.goto("/register")
    departments = page.locator("fieldset:has(legend:text-is('涉及科室')) label.check")
    expect(departments).to_have_text(["心内科", "放射科", "急诊科", "儿科", "护理部", "收费处"])  # the hospital's order
    picture(page, "register-390", 390)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    picture(page, "register-1366", 1366)
