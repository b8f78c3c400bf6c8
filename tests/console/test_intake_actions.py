"""Intake's own actions from the case page (issue 18 item 9), in zh-CN: reclassify, not accepted, withdraw and
erasure, offered as intake's GET /complaints/<id> answers; erasure asks for confirmation first."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.console.conftest import api_complaint, sign_in
from tests.e2e.conftest import token_for
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
AS_EAST_OFFICE = token_for("complaint_officer", "east-office-head", ("east",))


def opened(stack, **fields) -> dict:
    created = api_complaint(stack, AS_EAST_OFFICE, **fields)
    cid = created["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").status_code == 200, what="the case opened")
    return created


def complaint(stack, cid: str) -> dict:
    return stack.intake.get(f"/complaints/{cid}", token=AS_EAST_OFFICE).json()


def test_reclassify_and_erase_with_confirmation_from_the_case_page(stack, new_page):
    created = opened(stack, departments=["cardiology"], summary="收费有误", category="billing")
    cid = created["complaint_id"]
    page = new_page("zh-CN")
    sign_in(page, "east-office", "zh-CN")
    page.goto(f"/cases/{cid}")
    form = page.locator("details[data-action=reclassify]")
    form.locator("summary").click()
    form.get_by_label("类别").select_option("medical_quality")
    form.get_by_label("备注").fill("实为医疗质量问题")
    form.get_by_role("button", name="保存分类").click()
    expect(page.get_by_test_id("notice")).to_contain_text("重新分类")
    wait_for(lambda: complaint(stack, cid)["category"] == "medical_quality", what="the new category")

    erasure = page.locator("details[data-action=erasure]")
    erasure.locator("summary").click()
    expect(erasure.get_by_test_id("erasure-warning")).to_contain_text("永久无法读取")
    erasure.get_by_label("所依据的删除申请").fill("投诉人书面申请删除")
    erasure.get_by_role("button", name="永久删除").click()  # not confirmed: the console does not send it
    expect(page.locator("details[data-action=erasure]")).to_contain_text("请勾选以确认。")
    assert complaint(stack, cid)["personal_data_erased"] is False
    erasure = page.locator("details[data-action=erasure]")
    erasure.get_by_label("我了解此操作无法撤销", exact=True).check()
    erasure.get_by_role("button", name="永久删除").click()
    expect(page.get_by_test_id("notice")).to_contain_text("删除个人信息")
    assert complaint(stack, cid)["personal_data_erased"] is True
    expect(page.locator("details[data-action=erasure]")).to_have_count(0)  # once, for good


def test_withdraw_and_not_accepted_from_the_case_page(stack, new_page):
    page = new_page("zh-CN")
    sign_in(page, "east-office", "zh-CN")
    withdrawn = opened(stack, departments=["cardiology"])["complaint_id"]
    page.goto(f"/cases/{withdrawn}")
    form = page.locator("details[data-action=withdraw]")
    form.locator("summary").click()
    form.get_by_label("投诉人的说明").fill("已与科室沟通解决")
    form.get_by_label("我了解此操作无法撤销", exact=True).check()
    form.get_by_role("button", name="记录撤回").click()
    expect(page.get_by_test_id("notice")).to_contain_text("投诉人撤回")
    assert complaint(stack, withdrawn)["status"] == "withdrawn"

    refused = opened(stack, departments=[])["complaint_id"]
    page.goto(f"/cases/{refused}")
    form = page.locator("details[data-action=not_accept]")
    form.locator("summary").click()
    form.get_by_label("我了解此操作无法撤销", exact=True).check()
    form.get_by_role("button", name="记录为不予受理").click()  # nothing chosen: intake names the fields
    form = page.locator("details[data-action=not_accept]")
    expect(form.get_by_test_id("error-summary")).to_contain_text("不予受理的原因")
    expect(form.get_by_test_id("error-summary")).to_be_focused()
    form.get_by_label("我了解此操作无法撤销", exact=True).check()
    form.get_by_label("不予受理的原因").select_option(index=1)
    form.get_by_label("告知投诉人可通过的途径").fill("请向医调委申请调解")
    form.get_by_role("button", name="记录为不予受理").click()
    expect(page.get_by_test_id("notice")).to_contain_text("不予受理")
    assert complaint(stack, refused)["status"] == "not_accepted"


def test_an_empty_assignment_is_refused_by_the_console_with_a_summary_that_takes_the_focus(stack, new_page):
    cid = opened(stack, departments=[])["complaint_id"]
    page = new_page("zh-CN")
    sign_in(page, "east-office", "zh-CN")
    page.goto(f"/cases/{cid}")
    expect(page.locator("details[data-action=resolve_on_spot]")).to_have_count(1)  # nobody investigates yet
    form = page.locator("details[data-action=assign]")
    form.locator("summary").click()
    form.locator("button[type=submit]").click()
    summary = page.locator("details[data-action=assign]").get_by_test_id("error-summary")
    expect(summary).to_contain_text("请修改以下内容：")
    expect(summary).to_contain_text("请至少选择一项")
    expect(summary).to_be_focused()
    page.locator("details[data-action=assign]").get_by_label("心内科").check()
    page.locator("details[data-action=assign]").locator("button[type=submit]").click()
    expect(page.get_by_test_id("notice")).to_be_visible()
    expect(page.locator("details[data-action=resolve_on_spot]")).to_have_count(0)  # cardiology investigates now
