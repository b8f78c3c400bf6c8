"""No raw framework page in the browser (issue 18 item 7), in zh-CN: an unknown address is the console's own
404 in the reader's language; reloading after a form error or a sign-out lands on the page, never on a 405."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.console.conftest import api_complaint, sign_in
from tests.e2e.conftest import token_for
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
AS_EAST_OFFICE = token_for("complaint_officer", "east-office-head", ("east",))


def test_an_unknown_address_is_the_consoles_own_404_in_chinese(new_page):
    page = new_page("zh-CN")
    sign_in(page, "east-office", "zh-CN")
    response = page.goto("/no/such/page")
    assert response.status == 404
    expect(page.get_by_test_id("problem")).to_have_text("页面不存在。")
    expect(page.get_by_test_id("who")).to_be_visible()  # the console's own page: its header, its styles
    assert "Not Found" not in page.content() and "Werkzeug" not in page.content()


def test_reloading_after_a_form_error_shows_the_case_page_not_a_405(stack, new_page):
    created = api_complaint(stack, AS_EAST_OFFICE, departments=["cardiology"], summary="化验单丢失")
    cid = created["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").status_code == 200, what="the case opened")
    page = new_page("zh-CN")
    sign_in(page, "east-office", "zh-CN")
    page.goto(f"/cases/{cid}")
    feedback = page.locator("details[data-action=feedback]")
    feedback.locator("summary").click()
    feedback.get_by_role("button", name="发送反馈").click()  # nothing typed: the form comes back with its errors
    expect(page.locator("details[data-action=feedback] .field-error").first).to_be_visible()
    response = page.reload()
    assert response.status == 200
    expect(page.get_by_test_id("case-reference")).to_have_text(created["reference"])
    for address in (f"/cases/{cid}/actions/feedback", "/logout", "/language"):  # a POST's address, typed or reloaded
        assert page.goto(address).status == 200, address
        assert "405" not in page.title()
