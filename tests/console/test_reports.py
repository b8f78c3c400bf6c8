"""The monthly report for leadership in the console, in Chinese (issue 18 items 10-12): the as-of picker in
Beijing time, the published versions with their restatements, CSV and Excel downloads, the print view, the
daily chart by keyboard; screenshots at 1366 and 390 px."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from shared import config
from tests.console.conftest import SCREENSHOTS, api_complaint, sign_in
from tests.e2e.conftest import token_for
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
AS_EAST_OFFICE = token_for("complaint_officer", "east-office-head", ("east",))
BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def leader_zh(browser, console):
    """Leadership in Chinese, at a laptop's width (1366 px)."""
    context = browser.new_context(
        base_url=console, locale="zh-CN", viewport={"width": 1366, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    sign_in(page, "leadership-lead-01", "zh-CN")
    yield page
    context.close()


def shot(page, name: str, height: int = 1800) -> None:
    """A picture for docs/console.md, the viewport's width, at most ``height`` px of the page."""
    width = page.viewport_size["width"]
    full = min(page.evaluate("document.documentElement.scrollHeight"), height)
    page.screenshot(
        path=str(SCREENSHOTS / f"{name}.png"), clip={"x": 0, "y": 0, "width": width, "height": full}, full_page=True
    )


def received_this_month(page) -> int:
    """The key figures' 受理投诉 for this month, as the page shows it."""
    row = page.get_by_test_id("report").locator(
        "tr", has=page.locator("th[scope=row]", has_text=re.compile("^受理投诉$"))
    )
    return int(row.first.locator("td").first.inner_text())


def reloaded(page) -> int:
    page.reload()
    return received_this_month(page)


def live_received(stack) -> int:
    month = datetime.now(BEIJING).strftime("%Y-%m")
    return stack.reporting.get("/reports/monthly", params={"month": month}).json()["received"]["total"]


def test_the_as_of_picker_shows_the_figures_as_they_were_in_beijing_time(stack, leader_zh):
    page = leader_zh
    api_complaint(stack, AS_EAST_OFFICE, departments=["pediatrics"], category="care_process")
    before = (datetime.now(BEIJING) - timedelta(minutes=1)).replace(second=0, microsecond=0)
    api_complaint(stack, AS_EAST_OFFICE, departments=["cardiology"])  # after the picked moment
    now = wait_for(lambda: live_received(stack), what="complaints counted")
    page.get_by_role("link", name="统计报表").click()
    report = page.get_by_test_id("report")
    expect(report.locator("p.as-of")).to_contain_text(re.compile(r"数据截至 \d{4}-\d{2}-\d{2} \d{2}:\d{2}（北京时间）"))
    expect(report.get_by_role("heading", level=2).first).to_contain_text("投诉管理统计月报")
    heads = report.locator("table").first.locator("thead th").all_inner_texts()
    assert heads == ["指标", "本月", "上月", "环比", "去年同期", "同比", "说明"]
    wait_for(lambda: reloaded(page) == live_received(stack), what="the live figure")
    assert page.locator("h1").count() == 1
    shot(page, "reports-1366")

    page.get_by_label("数据截至（北京时间）").fill(before.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="查看").click()
    expect(report.locator("p.as-of")).to_have_text(f"数据截至 {before:%Y-%m-%d %H:%M}（北京时间）")
    assert received_this_month(page) < now  # the complaint registered after that moment is not in it
    assert "as_of=" in page.url

    page.get_by_label("数据截至（北京时间）").fill("")
    page.get_by_role("button", name="查看").click()
    expect(report.locator("p.as-of")).not_to_have_text(f"数据截至 {before:%Y-%m-%d %H:%M}（北京时间）")


def test_a_bad_as_of_is_a_sentence_naming_the_field(leader_zh):
    page = leader_zh
    month = datetime.now(BEIJING).strftime("%Y-%m")
    page.goto(f"/reports?month={month}&as_of=2999-01-01T00:00")
    expect(page.get_by_test_id("problem")).to_contain_text("数据截至（北京时间）")


def test_published_versions_and_their_restatement_are_listed(stack, leader_zh):
    page = leader_zh
    month = datetime.now(BEIJING).strftime("%Y-%m")
    api_complaint(stack, AS_EAST_OFFICE)
    counted = wait_for(lambda: live_received(stack), what="complaints counted")
    first = stack.reporting.post("/reports/monthly/publish", {"month": month})
    assert first.status_code == 201, first.text
    api_complaint(stack, AS_EAST_OFFICE, category="care_process", departments=["nursing"])
    wait_for(lambda: live_received(stack) > counted, what="the later complaint counted")
    second = stack.reporting.post("/reports/monthly/publish", {"month": month}).json()
    page.goto(f"/reports?month={month}&campus=")
    listed = page.get_by_test_id("publications")
    row = listed.get_by_test_id(f"publication-{second['version']}")
    expect(row).to_contain_text(f"与版本 {second['version'] - 1} 相比")
    row.locator("summary").click()
    expect(row.locator("ul.changes")).to_contain_text("受理投诉 · 合计：")
    published_at = datetime.fromisoformat(second["published_at"].replace("Z", "+00:00")).astimezone(BEIJING)
    expect(row).to_contain_text(f"{published_at:%Y-%m-%d %H:%M}")
    if first.json()["version"] == 1:
        expect(listed.get_by_test_id("publication-1")).to_contain_text("首次发布")

    row.get_by_role("link", name=f"查看版本 {second['version']}").click()
    expect(page.get_by_test_id("viewing-version")).to_contain_text(f"正在查看发布版本 {second['version']}")
    report = page.get_by_test_id("report")
    expect(report.locator("p.meta").first).to_contain_text(f"发布版本：{second['version']}")
    expect(report.locator("p.as-of")).to_have_text(f"数据截至 {published_at:%Y-%m-%d %H:%M}（北京时间）")
    expect(report).to_contain_text("与上一版本相比的变动")


def test_csv_and_excel_downloads_in_chinese(stack, leader_zh):
    page = leader_zh
    page.goto("/reports?campus=east")
    with page.expect_download() as csv_download:
        page.get_by_test_id("csv").click()
    assert csv_download.value.suggested_filename.endswith("-east.csv")
    raw = csv_download.value.path().read_bytes()
    assert raw.startswith("\ufeff部分,指标,项目,名称,数值\n".encode())
    assert "received,total,,受理投诉 · 合计," in raw.decode("utf-8-sig")
    with page.expect_download() as xlsx_download:
        page.get_by_test_id("xlsx").click()
    assert xlsx_download.value.suggested_filename.endswith("-east.xlsx")
    book = load_workbook(io.BytesIO(xlsx_download.value.path().read_bytes()))
    assert book.sheetnames == ["主要指标", "每日受理量", "全部数据"]
    key = book["主要指标"]
    assert key["A1"].value.endswith(" · " + config.configured_hospital().campus_name("east", "zh-CN"))
    assert key["A2"].value.startswith("数据截至") and [c.value for c in key[4]][:4] == ["指标", "本月", "上月", "环比"]


def test_the_print_view_has_no_navigation_and_shows_the_daily_values(stack, leader_zh):
    page = leader_zh
    page.goto("/reports?campus=east")
    page.get_by_test_id("print").click()
    wait_for(lambda: "/reports/print" in page.url, what="the print view")
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).to_contain_text("投诉管理统计月报")
    assert page.locator("header.top, nav, form").count() == 0
    table = page.locator("details.daily-values")
    expect(table).to_have_attribute("open", "")
    weeks = table.locator("tbody tr")
    assert 4 <= weeks.count() <= 6 and weeks.first.locator("th[scope=row]").count() == 1
    assert re.search(r"\d{2}-01: \d+", table.locator("tbody").inner_text())
    page.emulate_media(media="print")  # what the printer gets (and the picture)
    expect(page.locator(".no-print")).to_be_hidden()
    expect(table.locator("table")).to_be_visible()
    expect(table.locator("summary")).to_be_hidden()
    shot(page, "report-print", 2400)
    page.emulate_media(media="screen")


def test_the_daily_bars_say_their_day_and_value_to_the_keyboard(leader_zh):
    page = leader_zh
    page.goto("/reports?campus=east")
    bars = page.locator("svg.daily g.bar")
    assert bars.count() >= 28
    bars.first.focus()
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert re.fullmatch(r"\d{4}-\d{2}-01: \d+", label), label
    page.keyboard.press("Tab")
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert re.fullmatch(r"\d{4}-\d{2}-02: \d+", label), label


def test_the_reports_page_on_a_phone(browser, console):
    context = browser.new_context(base_url=console, locale="zh-CN", viewport={"width": 390, "height": 844})
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        sign_in(page, "leadership-lead-01", "zh-CN")
        page.goto("/reports?campus=east")
        expect(page.get_by_test_id("report").locator("p.as-of")).to_contain_text("北京时间")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"the page scrolls sideways by {overflow} px"
        shot(page, "reports-390", 2400)
    finally:
        context.close()
