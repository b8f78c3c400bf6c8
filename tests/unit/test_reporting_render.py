"""The monthly report for leadership (issue 18 items 10-12): the as-of moment in Beijing time, one term for
late, definitions beside the figures, 合计, "—" where a year earlier has no data, month on month beside year
on year, the daily values readable without the chart, the CSV's BOM and the Excel sheet in the reader's words."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from services.reporting import domain, render
from services.reporting.domain import MemoryCube, Request
from shared.config import configured_hospital

MARCH = domain.month_period("2026-03")


def cell(day: date, metric: str, key: str = "", value: int = 1, campuses: str = "east") -> tuple:
    return (day, campuses, "patient_or_family", metric, key), value


def report_of(*cells, month: str = "2026-03", campus: str | None = None) -> dict:
    sums: dict = {}
    for key, value in cells:
        sums[key] = sums.get(key, 0) + value
    body = domain.report(MemoryCube(sums), Request(domain.month_period(month), campus))
    return {"month": month, "as_of": "2026-03-31T16:30:00Z", "computed_from": "log", **body}


def march_with_february() -> dict:
    """4 received in March, 2 in February, nothing at all a year earlier (before the records began)."""
    return report_of(
        *(cell(date(2026, 3, d), "received") for d in (2, 2, 9, 20)),
        cell(date(2026, 3, 5), "first_reply.late"),
        cell(date(2026, 3, 5), "investigation.opened", "cardiology"),
        *(cell(date(2026, 2, d), "received") for d in (3, 4)),
    )


def test_the_period_before_a_month_is_the_month_before_and_else_as_many_days():
    assert MARCH.previous() == domain.Period(date(2026, 2, 1), date(2026, 2, 28))
    assert domain.month_period("2026-01").previous() == domain.month_period("2025-12")
    ten_days = domain.Period(date(2026, 3, 11), date(2026, 3, 20))
    assert ten_days.previous() == domain.Period(date(2026, 3, 1), date(2026, 3, 10))


def test_month_on_month_and_no_year_ago_data_is_none_not_zero():
    report = march_with_february()
    received = report["previous_period"]["comparison"]["received"]
    assert received == {"current": 4, "previous": 2, "change": 2, "change_pct": 100.0}
    assert report["previous_period"]["from"] == "2026-02-01" and report["previous_period"]["has_data"] is True
    year_ago = report["year_ago"]["comparison"]["received"]
    assert year_ago == {"current": 4, "year_ago": None, "change": None, "change_pct": None}
    assert report["year_ago"]["has_data"] is False


def test_a_year_ago_with_data_but_none_of_one_figure_counts_zero():
    report = report_of(cell(date(2026, 3, 2), "received"), cell(date(2025, 3, 2), "received"))
    assert report["year_ago"]["comparison"]["received"] == {"current": 1, "year_ago": 1, "change": 0, "change_pct": 0.0}
    assert report["year_ago"]["comparison"]["escalated"] == {
        "current": 0,
        "year_ago": 0,
        "change": 0,
        "change_pct": None,
    }


def key_row(page: str, name: str) -> list[str]:
    """The cells of the key figures' row named ``name``."""
    row = re.search(rf'<tr><th scope="row">{re.escape(name)}</th>(.*?)</tr>', page)
    assert row, name
    return re.findall(r"<td>(.*?)</td>", row.group(1))


def test_key_figures_show_month_on_month_and_a_dash_for_no_year_ago_data():
    page = render.to_html(march_with_february(), "zh-CN")
    heads = re.search(r"<h2>主要指标</h2>.*?<thead>(.*?)</thead>", page).group(1)
    assert re.findall(r'<th scope="col">(.*?)</th>', heads) == [
        "指标",
        "本月",
        "上月",
        "环比",
        "去年同期",
        "同比",
        "说明",
    ]
    this, before, mom, year_ago, yoy, definition = key_row(page, "受理投诉")
    assert (this, before, mom, year_ago, yoy) == ("4", "2", "+2 (+100.0%)", "—", "—")
    assert definition.startswith("本期受理的投诉件数")
    assert key_row(page, "撤回")[:3] == ["0", "0", "+0"]  # February had data: none withdrawn is 0, not "—"


def test_one_term_for_late_and_no_sigma_in_either_language():
    for lang, late, others in (("zh-CN", "超期", ("逾期", "超时", "延迟", "迟交")), ("en", "late", ("overdue",))):
        page = render.to_html(march_with_february(), lang)
        text = re.sub(r"<[^>]+>", " ", page.split("</style>")[1])
        assert late in text
        assert not [word for word in others if word in text.lower()], lang
        assert "\u03a3" not in page and "\u03bc" not in page and "\u03c3" not in page  # sigma, mu, sigma
    assert "合计" in render.to_html(march_with_february(), "zh-CN")
    assert "Total" in render.to_html(march_with_february(), "en")


def test_every_figure_has_its_definition_beside_it():
    page = render.to_html(march_with_february(), "zh-CN")
    # figure/value tables: a third column with the definition
    first_reply = page.split("<h2>首次答复</h2>")[1].split("<h2>")[0]
    assert '<th scope="row">超期</th><td>1</td><td>期限后才送达，或期限已过仍未送达首次答复的件数' in first_reply
    # per-department tables: each column's definition under the table
    investigations = page.split("<h2>科室调查</h2>")[1].split("<h2>")[0]
    assert "<dt><dfn>超期未提交</dfn></dt><dd>期限届满仍未提交结论的调查" in investigations
    assert '<th scope="row">合计</th>' in investigations
    english = render.to_html(march_with_february(), "en")
    assert "<dt><dfn>Late</dfn></dt><dd>Findings submitted after the deadline</dd>" in english


def test_the_moment_is_given_in_beijing_time_and_a_version_by_its_publication():
    page = render.to_html(march_with_february(), "zh-CN", timezone="Asia/Shanghai")
    assert '<p class="as-of">数据截至 2026-04-01 00:30（北京时间）</p>' in page  # 16:30Z is 00:30 the next day
    english = render.to_html(march_with_february(), "en")
    assert '<p class="as-of">Data as of 2026-04-01 00:30 (Beijing time)</p>' in english
    published = {k: v for k, v in march_with_february().items() if k != "as_of"}
    version = {"version": 2, "published_at": "2026-04-02T01:00:00Z", "changes": {}}
    assert "数据截至 2026-04-02 09:00（北京时间）" in render.to_html(published, "zh-CN", version)
    elsewhere = render.Words("en", configured_hospital(), "Europe/Berlin")
    assert elsewhere.as_of("2026-07-01T00:00:00Z") == "Data as of 2026-07-01 02:00 (UTC+02:00)"


def test_row_headers_and_one_h1():
    page = render.to_html(march_with_february(), "en")
    assert page.count("<h1") == 1
    for table in re.findall(r"<tbody>(.*?)</tbody>", page):
        for row in re.findall(r"<tr>(.*?)</tr>", table):
            assert row.startswith('<th scope="row">'), row


def test_the_daily_chart_is_readable_by_keyboard_and_in_print():
    page = render.to_html(march_with_february(), "zh-CN")
    chart = re.search(r'<svg[^>]*class="chart daily".*?</svg>', page).group(0)
    bars = re.findall(r'<g class="bar" tabindex="0" role="img" aria-label="([^"]+)">', chart)
    assert len(bars) == 31 and bars[1] == "2026-03-02: 2"
    assert ">2</text>" in chart  # the value printed above its bar
    table = page.split('<details class="daily-values">')[1].split("</details>")[0]
    heads = re.findall(r'<th scope="col">(.*?)</th>', table)
    assert heads == ["周", "周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    weeks = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1])
    assert len(weeks) == 6  # 1 March 2026 is a Sunday, 31 March a Tuesday
    assert weeks[0] == '<th scope="row">03-01</th>' + "<td></td>" * 6 + "<td>03-01: 0</td>"
    assert weeks[1].startswith('<th scope="row">03-02至03-08</th><td>03-02: 2</td><td>03-03: 0</td>')
    assert '<details class="daily-values" open>' in render.to_html(march_with_february(), "zh-CN", printable=True)


def test_the_csv_starts_with_a_bom_and_names_figures_in_the_readers_language():
    text = render.to_csv(march_with_february(), "zh-CN")
    assert text.startswith("\ufeff部分,指标,项目,名称,数值\n")
    lines = text.splitlines()
    assert "received,total,,受理投诉 · 合计,4" in lines
    assert any(
        line.startswith("investigations,by_department,cardiology.opened,科室调查 · 按科室 · 心内科") for line in lines
    )
    assert "year_ago,comparison,received.year_ago,去年同期 · 比较 · 受理投诉 · 去年同期," in lines  # no data: empty
    english = render.to_csv(march_with_february(), "en")
    assert english.startswith("\ufeffSection,Figure,Key,Label,Value\n")
    assert "previous_period,comparison,received.previous,Previous period · Comparison · Received · Previous,2" in (
        english.splitlines()
    )


@pytest.mark.parametrize(
    ("lang", "sheets", "first_head"),
    [
        ("zh-CN", ["主要指标", "每日受理量", "全部数据"], "指标"),
        ("en", ["Key figures", "Per day", "All figures"], "Figure"),
    ],
)
def test_the_xlsx_opens_with_its_labels_in_the_readers_language(lang, sheets, first_head):
    book = load_workbook(io.BytesIO(render.to_xlsx(march_with_february(), lang)))
    assert book.sheetnames == sheets
    key = book[sheets[0]]
    assert key["A4"].value == first_head and key["A2"].value.startswith(render.LABELS[lang]["as_of"])
    rows = {row[0]: row for row in key.iter_rows(min_row=5, values_only=True)}
    received = rows[render.FIGURES[lang]["received"]]
    assert received[1:6] == (4, 2, "+2 (+100.0%)", "—", "—") and received[6]
    daily = list(book[sheets[1]].iter_rows(min_row=2, values_only=True))
    assert daily[1] == ("2026-03-02", 2) and len(daily) == 31
    every = list(book[sheets[2]].iter_rows(values_only=True))
    assert every[0] == tuple(render.csv_headers(render.Words(lang, configured_hospital())))


def test_a_restatement_names_each_changed_figure():
    words = render.Words("zh-CN", configured_hospital())
    publication = {"changes": {"received.by_category.billing": {"previous": 1, "current": 2}}}
    assert render.changes_rows(publication, words) == [("受理投诉 · 按类别 · 收费", 1, 2)]
    assert render.path_label("first_reply.working_days.median", words) == "首次答复 · 工作日 · 工作日中位数"
    assert render.path_label("not_accepted.by_reason.litigation", words) == "不予受理 · 按原因 · 诉讼"
