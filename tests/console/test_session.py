"""An ended session in the browser (issue 18 item 2), in zh-CN: the timeline's poll stops and says so, the
sign-in page says the session expired, signing in returns to the page (never its fragment), and a form sent
after the session ended comes back with its text."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.console.conftest import api_complaint, sign_in
from tests.e2e.conftest import token_for
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
AS_EAST_OFFICE = token_for("complaint_officer", "east-office-head", ("east",))


def end_the_session(page) -> None:
    """As the browser does when the session cookie's time is up: it stops sending it."""
    page.context.clear_cookies(name="console_session")


def test_an_ended_session_stops_the_poll_keeps_the_typed_text_and_returns_to_the_page(stack, new_page):
    created = api_complaint(stack, AS_EAST_OFFICE, departments=["cardiology"], summary="心电图等了很久")
    cid = created["complaint_id"]
    wait_for(lambda: stack.investigation.get(f"/cases/{cid}").status_code == 200, what="the case opened")
    page = new_page("zh-CN")
    sign_in(page, "east-office", "zh-CN")
    page.goto(f"/cases/{cid}")
    feedback = page.locator("details[data-action=feedback]")
    feedback.locator("summary").click()
    feedback.get_by_label("处理进展").fill("心内科正在复核心电图")
    feedback.get_by_label("下一步安排").fill("书面答复")

    end_the_session(page)
    # The poll (every 8 s) finds the session gone: a sentence and a way back, the page itself stays.
    expect(page.get_by_test_id("session-expired")).to_contain_text("登录已过期", timeout=20_000)
    expect(page.get_by_test_id("case-reference")).to_have_text(created["reference"])
    assert feedback.get_by_label("处理进展").input_value() == "心内科正在复核心电图"

    # Sent anyway: the sign-in page says why, and afterwards the case page (not /timeline) has the text back.
    feedback.get_by_role("button", name="发送反馈").click()
    expect(page.get_by_test_id("notice")).to_have_text("登录已过期，请重新登录。")
    page.locator("button[data-person='east-office']").click()
    # (Not page.wait_for_url: under eventlet its timeout never fires.)
    wait_for(lambda: page.url.endswith(f"/cases/{cid}"), timeout=20, what="back on the case page, not its fragment")
    restored = page.locator("details[data-action=feedback]")
    expect(restored.get_by_test_id("draft-restored")).to_contain_text("已恢复")
    assert restored.get_by_label("处理进展").input_value() == "心内科正在复核心电图"
    assert restored.get_by_label("下一步安排").input_value() == "书面答复"

    # Accepted this time: the draft is forgotten.
    restored.get_by_role("button", name="发送反馈").click()
    expect(page.get_by_test_id("notice")).to_contain_text("发送")
    page.goto(f"/cases/{cid}")
    expect(page.get_by_test_id("draft-restored")).to_have_count(0)
    page.locator("details[data-action=feedback] summary").click()
    assert page.locator("details[data-action=feedback]").get_by_label("处理进展").input_value() == ""


def test_signing_in_from_a_fragment_link_lands_on_the_page(stack, new_page):
    page = new_page("zh-CN")
    page.goto("/login?next=/cases/00000000-0000-4000-8000-000000000001/timeline&expired=1")
    expect(page.get_by_test_id("notice")).to_have_text("登录已过期，请重新登录。")
    page.goto("/cases/00000000-0000-4000-8000-000000000001/timeline")  # signed out, a fragment's address
    assert "next=%2Fcases%2F00000000-0000-4000-8000-000000000001&" in page.url or page.url.endswith(
        "next=%2Fcases%2F00000000-0000-4000-8000-000000000001"
    )
