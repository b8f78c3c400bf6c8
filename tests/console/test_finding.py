"""Finding a case and the worklist's views in headless Chromium, in Chinese (issue 18 items 6, 11, 12): the
header's search by phone and by reference, /cases/<reference>, saved views with their counts, paging,
sorting that keeps the focus and announces the count, and the worklist as cards at 390 px."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.console.conftest import SCREENSHOTS, api_complaint, sign_in
from tests.e2e.conftest import token_for
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
AS_EAST_OFFICE = token_for("complaint_officer", "east-office-head", ("east",))
AS_WEST_OFFICE = token_for("complaint_officer", "west-office-head", ("west",))


def picture(page, name: str) -> None:
    """The page as wide as its viewport (1366 or 390 px), at most 1800 px high, for docs/console.md."""
    width = page.viewport_size["width"]
    height = min(page.evaluate("document.documentElement.scrollHeight"), 1800)
    page.screenshot(
        path=str(SCREENSHOTS / f"{name}.png"), clip={"x": 0, "y": 0, "width": width, "height": height}, full_page=True
    )


def mobile() -> str:
    return "137" + str(uuid.uuid4().int)[:8]


def chinese_page(new_page, width: int = 1366, height: int = 900):
    page = new_page("zh-CN")
    page.set_viewport_size({"width": width, "height": height})
    return page


def test_the_header_search_by_phone_opens_the_case(stack, new_page):
    number = mobile()
    created = api_complaint(
        stack,
        AS_EAST_OFFICE,
        departments=["cardiology"],
        complainant={"name": "赵 敏", "phone": number, "relation": "self"},
    )
    page = chinese_page(new_page)
    sign_in(page, "east-office", "zh-CN")
    box = page.get_by_role("search", name="查找案件").get_by_label("查找案件")
    box.fill(f"{number[:3]} {number[3:7]} {number[7:]}")  # spaced as it is read out on the phone
    box.press("Enter")
    expect(page).to_have_url(re.compile(f"/cases/{created['complaint_id']}$"))
    expect(page.get_by_test_id("case-reference")).to_have_text(created["reference"])


def test_a_search_with_several_matches_lists_them_and_a_part_finds_nothing(stack, new_page):
    patient = f"钱小{uuid.uuid4().hex[:4]}"
    first = api_complaint(stack, AS_EAST_OFFICE, departments=["pediatrics"], patient={"name": patient, "mrn": "P-1"})
    second = api_complaint(stack, AS_EAST_OFFICE, category="service_quality", patient={"name": patient})
    page = chinese_page(new_page)
    sign_in(page, "east-office", "zh-CN")
    page.goto(f"/search?q={patient}")
    expect(page.get_by_test_id("search-count")).to_have_text(f"“{patient}”找到 2 件")
    rows = page.get_by_test_id("search-results").locator("tbody tr")
    assert set(rows.evaluate_all("rows => rows.map(r => r.dataset.reference)")) == {
        first["reference"],
        second["reference"],
    }
    expect(rows.first.get_by_test_id("matched")).to_have_text("患者姓名")
    picture(page, "search-results")
    rows.locator(f"a:text('{second['reference']}')").click()
    expect(page).to_have_url(re.compile(f"/cases/{second['complaint_id']}$"))
    page.goto(f"/search?q={patient[:-1]}")
    expect(page.get_by_test_id("search-count")).to_contain_text("没有您可查看的案件")


def test_a_case_opens_by_its_reference_and_an_unknown_or_foreign_one_is_the_consoles_404(stack, new_page):
    created = api_complaint(stack, AS_EAST_OFFICE, departments=["radiology"])
    page = chinese_page(new_page)
    sign_in(page, "east-office", "zh-CN")
    page.goto(f"/cases/{created['reference'].lower()}")
    expect(page).to_have_url(re.compile(f"/cases/{created['complaint_id']}$"))
    expect(page.get_by_test_id("case-reference")).to_have_text(created["reference"])
    missing = page.goto("/cases/EAST-1999-000001")
    assert missing.status == 404
    expect(page.locator("main")).to_contain_text("没有编号为 EAST-1999-000001 的投诉。")
    west = chinese_page(new_page)
    sign_in(west, "west-office", "zh-CN")
    assert west.goto(f"/cases/{created['reference']}").status == 404  # out of scope: as if there were none


def test_saved_views_show_investigations_counts_and_list_their_cases(stack, new_page):
    api_complaint(stack, AS_EAST_OFFICE, departments=["nursing"])  # awaits nursing's findings
    counted = stack.investigation.get("/cases/views", token=AS_EAST_OFFICE).json()["views"]
    page = chinese_page(new_page)
    sign_in(page, "east-office", "zh-CN")
    page.goto("/worklist")
    views = page.get_by_test_id("views")
    for name, label in [
        ("todo", "我的待办"),
        ("due_week", "本周到期"),
        ("awaiting_department", "等待科室"),
        ("follow_up", "待回访"),
        ("escalated", "已上报"),
    ]:
        count = next(v["count"] for v in counted if v["view"] == name)
        expect(views.locator(f"a[data-view={name}]")).to_have_text(f"{label} {count}")
    views.get_by_role("link", name=re.compile("等待科室")).click()
    expect(views.locator("a[data-view=awaiting_department]")).to_have_attribute("aria-current", "page")
    holders = page.get_by_test_id("holder").all_inner_texts()
    assert holders and all(h and h != "投诉管理部门" for h in holders)  # each is with the departments it awaits
    awaiting = next(v["count"] for v in counted if v["view"] == "awaiting_department")
    expect(page.get_by_test_id("summary")).to_contain_text(f"等待科室共 {awaiting} 件")
    screen_rows = page.locator("table.cases tbody tr")
    expect(screen_rows.first.get_by_test_id("days-left")).to_contain_text(re.compile("工作日|今日到期|已超期"))
    picture(page, "worklist-views")


def test_the_worklist_pages_fifty_at_a_time(stack, new_page):
    for _ in range(51):
        stack.intake.post(
            "/complaints",
            {
                "campus": "west",
                "channel": "phone",
                "category": "billing",
                "severity": "normal",
                "source": "patient_or_family",
                "summary": "paging",
                "departments": ["emergency"],
            },
            token=AS_WEST_OFFICE,
        )

    def listed():
        return len(
            stack.investigation.get(
                "/cases", token=AS_WEST_OFFICE, params={"department": "emergency", "campus": "west", "limit": 60}
            ).json()["cases"]
        )

    wait_for(lambda: listed() >= 51, timeout=60, what="51 cases opened")
    page = chinese_page(new_page)
    sign_in(page, "west-office", "zh-CN")
    page.goto("/worklist?campus=west&department=emergency")
    expect(page.locator("table.cases tbody tr")).to_have_count(50)
    expect(page.get_by_test_id("summary")).to_contain_text("显示第 1 至 50 件")
    older = page.get_by_role("link", name="较早的案件")
    older.focus()
    older.press("Enter")
    expect(page.get_by_test_id("summary")).to_contain_text("显示第 51 至")
    expect(page).to_have_url(re.compile("page=1"))
    # the link used is gone on the last page: the focus is on the other page link, not lost to the page's top
    page.wait_for_function("['page-previous', 'page-next'].includes(document.activeElement.id)")


def test_sorting_keeps_the_focus_and_the_count_is_announced(stack, new_page):
    api_complaint(stack, AS_EAST_OFFICE, departments=["emergency"])
    page = chinese_page(new_page)
    sign_in(page, "east-office", "zh-CN")
    page.goto("/worklist")
    count = page.get_by_test_id("summary")
    expect(count).to_have_attribute("aria-live", "polite")
    sort = page.locator("#sort-reference")
    sort.focus()
    sort.press("Enter")
    expect(page.locator("th[aria-sort=ascending] #sort-reference")).to_have_count(1)
    assert page.evaluate("document.activeElement.id") == "sort-reference"
    sort = page.locator("#sort-reference")
    sort.press("Enter")  # again: the other way, the focus still there
    expect(page.locator("th[aria-sort=descending] #sort-reference")).to_have_count(1)
    assert page.evaluate("document.activeElement.id") == "sort-reference"
    # the live region stayed where it was (announced, not replaced) and says what the list holds now
    expect(count).to_contain_text("显示第 1 至")
    page.get_by_label("期限", exact=True).select_option("overdue")
    expect(page).to_have_url(re.compile("urgency=overdue"))
    expect(count).to_contain_text(re.compile("显示第|没有显示的案件"))


def test_the_worklist_is_cards_at_390_px_and_a_table_at_1366(stack, new_page):
    api_complaint(stack, AS_EAST_OFFICE, departments=["cardiology"], severity="major")
    wide = chinese_page(new_page)
    sign_in(wide, "east-office", "zh-CN")
    wide.goto("/worklist")
    assert wide.locator("table.cases tbody tr").first.evaluate("r => getComputedStyle(r).display") == "table-row"
    assert wide.evaluate("document.documentElement.scrollWidth") <= 1366  # every column on the screen
    picture(wide, "worklist-1366")
    narrow = chinese_page(new_page, 390, 844)
    sign_in(narrow, "east-office", "zh-CN")
    narrow.goto("/worklist")
    first = narrow.locator("table.cases tbody tr").first
    assert first.evaluate("r => getComputedStyle(r).display") == "block"
    expect(narrow.locator("table.cases thead")).not_to_be_in_viewport()
    # no sideways scrolling: the page is as wide as the phone
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 390
    expect(first.get_by_test_id("holder")).to_be_visible()
    picture(narrow, "worklist-390")
