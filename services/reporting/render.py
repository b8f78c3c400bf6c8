"""The monthly report as CSV and as an HTML page a hospital manager reads (tables and inline SVG
charts, nothing fetched from anywhere), in Chinese or English. Pure: a report document in, text out."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from services.reporting import domain
from shared import glossary
from shared.config import Hospital, configured_hospital

LABELS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "title": "投诉管理统计月报",
        "group": "全院（集团）",
        "campus": "院区",
        "as_of": "数据截至",
        "computed_from": "计算依据",
        "projection": "实时统计",
        "log": "事件日志",
        "version": "发布版本",
        "published_at": "发布时间",
        "key_figures": "主要指标",
        "figure": "指标",
        "this_month": "本月",
        "year_ago": "去年同期",
        "change": "增减",
        "daily": "每日受理量",
        "by_category": "按类别",
        "by_department": "按科室",
        "by_channel": "按渠道",
        "by_severity": "按严重程度",
        "count": "件数",
        "first_reply": "首次答复",
        "statutory_feedback": "法定反馈（5/10个工作日）",
        "open_overdue": "逾期未反馈",
        "issued_without_contact": "无联系方式（已出具）",
        "upheld": "投诉属实",
        "upheld_yes": "属实",
        "upheld_partly": "部分属实",
        "upheld_no": "不属实",
        "upheld_rate": "属实率（含部分）",
        "on_time": "按时",
        "late": "超时",
        "on_time_rate": "按时率",
        "median": "工作日中位数",
        "p90": "工作日第90百分位",
        "investigations": "科室调查",
        "department": "科室",
        "opened": "启动",
        "extended": "延期",
        "breached": "超期",
        "rectifications": "整改",
        "ordered": "下达",
        "completed": "完成",
        "overdue": "逾期",
        "follow_up": "回访",
        "satisfied": "满意",
        "dissatisfied": "不满意",
        "satisfaction_rate": "满意率",
        "reopened": "重新办理",
        "disputes": "医疗纠纷",
        "referrals": "主管部门或热线转办",
        "referrals_received": "转办收到",
        "replied_on_time": "按期回复",
        "replied_late": "逾期回复",
        "referral_open_overdue": "逾期未回复",
        "suggestions_and_compliments": "建议与表扬",
        "suggestions_received": "收到建议",
        "suggestions_adopted": "采纳建议",
        "compliments_received": "收到表扬",
        "recorded": "登记",
        "settled": "处理完毕",
        "compensation": "赔偿金额",
        "route": "途径",
        "current_route": "当前途径",
        "route_changes": "途径变更",
        "major": "重大医疗纠纷",
        "authority_on_time": "按时报告卫生主管部门",
        "authority_late": "超时报告卫生主管部门",
        "seals_open": "封存中（封存减启封）",
        "police_reports": "报警",
        "not_accepted": "不予受理",
        "reason": "原因",
        "breaches": "期限违约",
        "kind": "期限类型",
        "spikes": "异常增长（近7天）",
        "none": "无",
        "by_campus": "各院区",
        "changes": "与上一版本相比的变动",
        "previous": "上一版本",
        "current": "本版本",
        "spike_rule": "近7天件数≥3且高于前8周均值加2倍标准差",
        "key": "项目",
        "value": "数值",
        "section": "部分",
    },
    "en": {
        "title": "Complaint statistics, monthly report",
        "group": "Group-wide",
        "campus": "Campus",
        "as_of": "As of",
        "computed_from": "Computed from",
        "projection": "live projection",
        "log": "event log",
        "version": "Published version",
        "published_at": "Published at",
        "key_figures": "Key figures",
        "figure": "Figure",
        "this_month": "This month",
        "year_ago": "A year earlier",
        "change": "Change",
        "daily": "Complaints received per day",
        "by_category": "By category",
        "by_department": "By department",
        "by_channel": "By channel",
        "by_severity": "By severity",
        "count": "Count",
        "first_reply": "First reply",
        "statutory_feedback": "Statutory feedback (5/10 working days)",
        "open_overdue": "Open and overdue",
        "issued_without_contact": "No contact (issued)",
        "upheld": "Complaints upheld",
        "upheld_yes": "Upheld",
        "upheld_partly": "Partly upheld",
        "upheld_no": "Not upheld",
        "upheld_rate": "Upheld rate (incl. partly)",
        "on_time": "On time",
        "late": "Late",
        "on_time_rate": "On-time rate",
        "median": "Median working days",
        "p90": "90th percentile working days",
        "investigations": "Department investigations",
        "department": "Department",
        "opened": "Opened",
        "extended": "Extended",
        "breached": "Breached",
        "rectifications": "Rectifications",
        "ordered": "Ordered",
        "completed": "Completed",
        "overdue": "Overdue",
        "follow_up": "Follow-up",
        "satisfied": "Satisfied",
        "dissatisfied": "Dissatisfied",
        "satisfaction_rate": "Satisfaction rate",
        "reopened": "Reopened",
        "disputes": "Medical disputes",
        "referrals": "Referred by an authority or hotline",
        "referrals_received": "Referrals received",
        "replied_on_time": "Referrer answered on time",
        "replied_late": "Referrer answered late",
        "referral_open_overdue": "Unanswered past the reply date",
        "suggestions_and_compliments": "Suggestions and compliments",
        "suggestions_received": "Suggestions received",
        "suggestions_adopted": "Suggestions adopted",
        "compliments_received": "Compliments received",
        "recorded": "Recorded",
        "settled": "Settled",
        "compensation": "Compensation paid",
        "route": "Route",
        "current_route": "Current route",
        "route_changes": "Route changes",
        "major": "Major disputes",
        "authority_on_time": "Reported to the authority on time",
        "authority_late": "Reported to the authority late",
        "seals_open": "Seals open (sealed minus unsealed)",
        "police_reports": "Police reports",
        "not_accepted": "Not accepted",
        "reason": "Reason",
        "breaches": "Deadline breaches",
        "kind": "Deadline",
        "spikes": "Spikes (last 7 days)",
        "none": "none",
        "by_campus": "Per campus",
        "changes": "Changed since the previous version",
        "previous": "Previous",
        "current": "This version",
        "spike_rule": "last 7 days >= 3 and above the mean + 2 sd of the 8 weeks before",
        "key": "Key",
        "value": "Value",
        "section": "Section",
    },
}
# The report's own figures (its metrics and sections); the codes it counts by are named by the glossary
# (shared/glossary.py, in their report wording), campuses and departments by the hospital configuration.
FIGURES: dict[str, dict[str, str]] = {
    "zh-CN": {
        "received": "受理投诉",
        "resolved_on_spot": "现场解决",
        "not_accepted": "不予受理",
        "withdrawn": "撤回",
        "closed": "办结",
        "escalated": "上报领导小组",
        "first_reply.on_time": "首次答复按时",
        "first_reply.late": "首次答复超时",
        "investigation.opened": "启动调查",
        "investigation.on_time": "调查按时",
        "investigation.late": "调查逾期提交",
        "investigation.extended": "调查延期",
        "investigation.breached": "调查超期",
        "rectification.ordered": "下达整改",
        "rectification.completed": "完成整改",
        "rectification.overdue": "整改逾期",
        "follow_up.satisfied": "回访满意",
        "follow_up.dissatisfied": "回访不满意",
        "reopened": "重新办理",
        "dispute.recorded": "纠纷登记",
        "dispute.settled": "纠纷处理完毕",
        "deadline.breached": "期限违约",
        "referrals": "主管部门或热线转办",
        "suggestions_and_compliments": "建议与表扬",
        "first_reply": "首次答复",
        "category": "类别",
    },
    "en": {
        "received": "Received",
        "resolved_on_spot": "Resolved on the spot",
        "not_accepted": "Not accepted",
        "withdrawn": "Withdrawn",
        "closed": "Closed",
        "escalated": "Escalated to leadership",
        "first_reply.on_time": "First replies on time",
        "first_reply.late": "First replies late",
        "investigation.opened": "Investigations opened",
        "investigation.on_time": "Findings on time",
        "investigation.late": "Findings late",
        "investigation.extended": "Investigations extended",
        "investigation.breached": "Investigations breached",
        "rectification.ordered": "Rectifications ordered",
        "rectification.completed": "Rectifications completed",
        "rectification.overdue": "Rectifications overdue",
        "follow_up.satisfied": "Follow-ups satisfied",
        "follow_up.dissatisfied": "Follow-ups dissatisfied",
        "reopened": "Reopened",
        "dispute.recorded": "Disputes recorded",
        "dispute.settled": "Disputes settled",
        "deadline.breached": "Deadline breaches",
        "referrals": "Referrals",
        "suggestions_and_compliments": "Suggestions and compliments",
        "first_reply": "First reply",
    },
}
# What the received complaints are broken down by, and the glossary group naming each one's codes.
BREAKDOWNS = {
    "by_category": "category",
    "by_department": "department",
    "by_channel": "channel",
    "by_severity": "severity",
}
DASH = "\u2013"  # an en dash: "no figure"
PALETTE = ("#2f6db5", "#e07b39", "#4a9e5c", "#c94c4c", "#8a6bbd", "#6c757d", "#c4a000", "#2aa1a8")


def _as_words(key: str) -> str:
    """A key nothing names (a code no longer configured, say), as readable as it can be."""
    return key.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Words:
    """The report's words in one language: its labels, its figures, and the names of what it counts."""

    lang: str
    hospital: Hospital

    @property
    def label(self) -> dict[str, str]:
        return LABELS[self.lang]

    def figure(self, key: str) -> str:
        return FIGURES[self.lang].get(key) or _as_words(key)

    def code(self, group: str, key: str) -> str:
        """A code of a glossary group (category, channel, ...) or a department, as the report names it."""
        if group == "department":
            return self.hospital.department_name(key, self.lang) or _as_words(key)
        return glossary.in_report(self.lang, group, key) or _as_words(key)

    def campus(self, campus: str) -> str:
        return self.hospital.campus_name(campus, self.lang) or _as_words(campus)


def _number(value: Any) -> str:
    if value is None:
        return DASH
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _pct(rate: float | None) -> str:
    return DASH if rate is None else f"{rate:.1%}"


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


def to_csv(report: Mapping[str, Any], lang: str, hospital: Hospital | None = None) -> str:
    """One row per figure: section, figure, key, label, value (every leaf of the JSON document)."""
    words = Words(lang, hospital or configured_hospital())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "figure", "key", "label", "value"])
    for path, value in domain.flatten(report).items():
        parts = path.replace("[", ".[").split(".")
        section = parts[0]
        figure = parts[1] if len(parts) > 1 else ""
        key = ".".join(parts[2:])
        if section == "by_campus" and figure:
            label = words.campus(figure)
        else:
            label = words.figure(figure if section == "year_ago" and figure else section)
        writer.writerow([section, figure, key, label, "" if value is None else value])
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------


def staff_csv(figures: Mapping[str, Any]) -> str:
    """The staff figures (GET /reports/staff) as CSV: one row per staff id."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = ("staff_id", "complaints", "upheld_findings", "rectifications", "rectifications_completed")
    writer.writerow(columns)
    for row in figures["staff"]:
        writer.writerow([row[c] for c in columns])
    return out.getvalue()


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_number(c) if not isinstance(c, str) else c)}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def bar_chart(points: Sequence[tuple[str, int]], title: str, width: int = 720, height: int = 200) -> str:
    """Vertical bars (e.g. per day), labelled every few bars, as inline SVG."""
    top = max([value for _, value in points] + [1])
    left, bottom = 36, 28
    plot_w, plot_h = width - left - 8, height - bottom - 20
    step = plot_w / max(len(points), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{20 + plot_h}" x2="{width - 8}" y2="{20 + plot_h}" stroke="#999"/>',
        f'<text x="{left - 4}" y="24" font-size="10" text-anchor="end">{top}</text>',
        f'<text x="{left - 4}" y="{20 + plot_h}" font-size="10" text-anchor="end">0</text>',
    ]
    every = max(1, len(points) // 10)
    for index, (label, value) in enumerate(points):
        bar_h = plot_h * value / top
        x = left + index * step
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{20 + plot_h - bar_h:.1f}" width="{max(step - 2, 1):.1f}" '
            f'height="{bar_h:.1f}" fill="{PALETTE[0]}"><title>{escape(label)}: {value}</title></rect>'
        )
        if index % every == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{height - 10}" font-size="10" '
                f'text-anchor="middle">{escape(label[-5:])}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def hbar_chart(items: Sequence[tuple[str, int]], title: str, width: int = 520) -> str:
    """Horizontal bars with their labels and values, as inline SVG."""
    row, label_w = 22, 150
    height = max(len(items), 1) * row + 8
    top = max([value for _, value in items] + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}"><title>{escape(title)}</title>'
    ]
    for index, (label, value) in enumerate(items):
        y = 4 + index * row
        bar_w = (width - label_w - 50) * value / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" font-size="12" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w:.1f}" height="{row - 8}" '
            f'fill="{PALETTE[index % len(PALETTE)]}"/>'
            f'<text x="{label_w + bar_w + 4:.1f}" y="{y + 15}" font-size="12">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def split_bar(parts_: Sequence[tuple[str, int]], title: str, width: int = 520) -> str:
    """One bar split in proportion (e.g. on time vs late), as inline SVG."""
    total = sum(v for _, v in parts_) or 1
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} 44" width="{width}" height="44"><title>{escape(title)}</title>'
    ]
    x = 0.0
    for index, (label, value) in enumerate(parts_):
        w = width * value / total
        out.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="24" fill="{PALETTE[index + 2]}">'
            f"<title>{escape(label)}: {value}</title></rect>"
        )
        if value:
            out.append(f'<text x="{x + 4:.1f}" y="38" font-size="12">{escape(label)} {value}</text>')
        x += w
    out.append("</svg>")
    return "".join(out)


STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",Helvetica,Arial,sans-serif;margin:24px;
color:#222;max-width:1000px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;border-bottom:2px solid #2f6db5;padding-bottom:3px;
margin-top:28px}
table{border-collapse:collapse;margin:8px 0 12px}th,td{border:1px solid #ccc;padding:4px 10px;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#eef3fa}.meta{color:#555;font-size:13px}
.grid{display:flex;flex-wrap:wrap;gap:24px}.up{color:#b02a2a}.down{color:#2a7b3a}
@media print{body{margin:0}h2{break-after:avoid}}
"""


def to_html(
    report: Mapping[str, Any],
    lang: str,
    publication: Mapping[str, Any] | None = None,
    hospital: Hospital | None = None,
) -> str:
    """A self-contained page: no script, no external style sheet, font or image."""
    words = Words(lang, hospital or configured_hospital())
    t = words.label
    sections = [
        _heading(report, publication, words),
        _key_figures(report, words),
        f"<h2>{escape(t['daily'])}</h2>"
        + bar_chart([(entry["bucket"], entry["received"]) for entry in report.get("series", [])], t["daily"]),
        _breakdowns(report["received"], words),
        _first_reply(report["first_reply"], words),
        _statutory(report["statutory_feedback"], words),
        _upheld(report["upheld"], words),
        _investigations(report["investigations"], words),
        _rectifications(report["rectifications"], words),
        _follow_up(report, words),
        _disputes(report["disputes"], words),
        _refusals_and_breaches(report, words),
        _referrals(report.get("referrals"), words),
        _suggestions_and_compliments(report.get("suggestions_and_compliments"), words),
        _per_campus(report, words),
        _spikes(report.get("spikes", {}), words),
        _changes(publication, words),
    ]
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{escape(t["title"])} '
        f"{escape(report['month'])}</title><style>{STYLE}</style></head><body>" + "".join(sections) + "</body></html>"
    )


def _heading(report: Mapping[str, Any], publication: Mapping[str, Any] | None, words: Words) -> str:
    t = words.label
    campus = report["period"]["campus"]
    where = words.campus(campus) if campus else t["group"]
    meta = [
        f"{t['as_of']}: {report.get('as_of', DASH)}",
        f"{t['computed_from']}: {t.get(report.get('computed_from', ''), report.get('computed_from', ''))}",
    ]
    if publication:
        meta += [f"{t['version']}: {publication['version']}", f"{t['published_at']}: {publication['published_at']}"]
    return (
        f"<h1>{escape(t['title'])} · {escape(report['month'])} · {escape(where)}</h1>"
        f'<p class="meta">{escape(" · ".join(meta))}</p>'
    )


def _key_figures(report: Mapping[str, Any], words: Words) -> str:
    t = words.label
    rows = []
    for metric, values in (report.get("year_ago") or {}).get("comparison", {}).items():
        pct = f" ({values['change_pct']:+.1f}%)" if values.get("change_pct") is not None else ""
        rows.append((words.figure(metric), values["current"], values["year_ago"], f"{values['change']:+d}{pct}"))
    return f"<h2>{escape(t['key_figures'])}</h2>" + _table(
        [t["figure"], t["this_month"], t["year_ago"], t["change"]], rows
    )


def _breakdowns(received: Mapping[str, Any], words: Words) -> str:
    t = words.label
    charts = []
    for dimension, group in BREAKDOWNS.items():
        named = ((words.code(group, k), v) for k, v in received.get(dimension, {}).items())
        items = sorted(named, key=lambda kv: -kv[1])
        charts.append(
            f"<div><h2>{escape(t[dimension])}</h2>"
            + (hbar_chart(items, t[dimension]) if items else f"<p>{t['none']}</p>")
            + "</div>"
        )
    return '<div class="grid">' + "".join(charts) + "</div>"


def _first_reply(first: Mapping[str, Any], words: Words) -> str:
    t = words.label
    return (
        f"<h2>{escape(t['first_reply'])}</h2>"
        + split_bar([(t["on_time"], first["on_time"]), (t["late"], first["late"])], t["first_reply"])
        + _table(
            [t["figure"], t["value"]],
            [
                (t["on_time"], first["on_time"]),
                (t["late"], first["late"]),
                (t["on_time_rate"], _pct(first["on_time_rate"])),
                (t["median"], first["working_days"]["median"]),
                (t["p90"], first["working_days"]["p90"]),
            ],
        )
    )


def _statutory(law: Mapping[str, Any], words: Words) -> str:
    t = words.label
    parts = [(t["on_time"], law["on_time"]), (t["late"], law["late"]), (t["open_overdue"], law["open_overdue"])]
    rows = [*parts, (t["on_time_rate"], _pct(law["on_time_rate"]))]
    rows.append((t["issued_without_contact"], law["issued_without_contact"]))
    title = t["statutory_feedback"]
    return f"<h2>{escape(title)}</h2>" + split_bar(parts, title) + _table([t["figure"], t["value"]], rows)


def _upheld(upheld: Mapping[str, Any], words: Words) -> str:
    t = words.label
    parts = [(t[f"upheld_{value}"], upheld[value]) for value in ("yes", "partly", "no")]
    rows = [*parts, (t["upheld_rate"], _pct(upheld["upheld_rate"]))]
    return f"<h2>{escape(t['upheld'])}</h2>" + split_bar(parts, t["upheld"]) + _table([t["figure"], t["value"]], rows)


def _investigations(inv: Mapping[str, Any], words: Words) -> str:
    t = words.label
    columns = ("opened", "on_time", "late", "extended", "breached")
    rows = [(words.code("department", d), *(r[c] for c in columns)) for d, r in inv["by_department"].items()]
    return f"<h2>{escape(t['investigations'])}</h2>" + _table(
        [t["department"], *(t[c] for c in columns)], [*rows, ("Σ", *(inv[c] for c in columns))]
    )


def _rectifications(rect: Mapping[str, Any], words: Words) -> str:
    t = words.label
    columns = ("ordered", "completed", "overdue")
    rows = [(words.code("department", d), *(r[c] for c in columns)) for d, r in rect["by_department"].items()]
    return f"<h2>{escape(t['rectifications'])}</h2>" + _table(
        [t["department"], *(t[c] for c in columns)], [*rows, ("Σ", *(rect[c] for c in columns))]
    )


def _follow_up(report: Mapping[str, Any], words: Words) -> str:
    t, follow = words.label, report["follow_up"]
    row = (follow["satisfied"], follow["dissatisfied"], _pct(follow["satisfaction_rate"]), report["reopened"]["total"])
    return f"<h2>{escape(t['follow_up'])}</h2>" + _table(
        [t["satisfied"], t["dissatisfied"], t["satisfaction_rate"], t["reopened"]], [row]
    )


def _referrals(referrals: Mapping[str, Any] | None, words: Words) -> str:
    """Authority referrals (CONTRACT §10), counted apart; they are complaints too, in every figure above."""
    if referrals is None:
        return ""  # a publication made before referrals were counted
    t = words.label
    names = ("received", "replied_on_time", "replied_late", "open_overdue")
    heads = [t["referrals_received"], t["replied_on_time"], t["replied_late"], t["referral_open_overdue"]]
    return f"<h2>{escape(t['referrals'])}</h2>" + _table(heads, [tuple(referrals[n] for n in names)])


def _suggestions_and_compliments(kinds: Mapping[str, Any] | None, words: Words) -> str:
    """Suggestions received and adopted, compliments received, per department (none is a complaint)."""
    if kinds is None:
        return ""
    t = words.label
    columns = ("suggestions_received", "suggestions_adopted", "compliments_received")
    rows = [(words.code("department", d), *(r[c] for c in columns)) for d, r in kinds["by_department"].items()]
    return f"<h2>{escape(t['suggestions_and_compliments'])}</h2>" + _table(
        [t["department"], *(t[c] for c in columns)], [*rows, ("Σ", *(kinds[c] for c in columns))]
    )


def _disputes(disputes: Mapping[str, Any], words: Words) -> str:
    t = words.label
    recorded, settled = disputes["recorded"]["by_route"], disputes["settled"]["by_route"]
    compensation, current = disputes["compensation_by_route"], disputes["by_current_route"]
    rows = [
        (
            words.code("dispute_route", r),
            recorded.get(r, 0),
            current.get(r, 0),
            settled.get(r, 0),
            ", ".join(f"{a} {c}" for c, a in compensation.get(r, {}).items()) or "0",
        )
        for r in sorted(set(recorded) | set(current) | set(settled) | set(compensation))
    ]
    return (
        f"<h2>{escape(t['disputes'])}</h2>"
        + _table([t["route"], t["recorded"], t["current_route"], t["settled"], t["compensation"]], rows)
        + _dispute_duties(disputes, words)
    )


def _dispute_duties(disputes: Mapping[str, Any], words: Words) -> str:
    t, reports = words.label, disputes["authority_reports"]
    rows = [
        (t["route_changes"], disputes["route_changes"]),
        (t["major"], disputes["major"]),
        (t["authority_on_time"], reports["on_time"]),
        (t["authority_late"], reports["late"]),
        (t["seals_open"], disputes["seals_open"]),
        (t["police_reports"], disputes["police_reports"]),
    ]
    return _table([t["figure"], t["value"]], rows)


def _refusals_and_breaches(report: Mapping[str, Any], words: Words) -> str:
    t = words.label
    reasons = [(words.code("not_accepted_reason", k), v) for k, v in report["not_accepted"]["by_reason"].items()]
    kinds = [(words.code("deadline_kind", k), v) for k, v in report["deadline_breaches"]["by_kind"].items()]
    return (
        f"<h2>{escape(t['not_accepted'])} · {escape(t['breaches'])}</h2>"
        + '<div class="grid">'
        + _table([t["reason"], t["count"]], reasons or [(t["none"], 0)])
        + _table([t["kind"], t["count"]], kinds or [(t["none"], 0)])
        + "</div>"
    )


PER_CAMPUS = ("received", "first_reply.on_time", "first_reply.late", "escalated", "deadline.breached")


def _per_campus(report: Mapping[str, Any], words: Words) -> str:
    """Group-wide reports only: the headline figures of each campus."""
    if not report.get("by_campus") or report["period"]["campus"]:
        return ""
    rows = [(words.campus(c), *(row.get(m, 0) for m in PER_CAMPUS)) for c, row in report["by_campus"].items()]
    return f"<h2>{escape(words.label['by_campus'])}</h2>" + _table(
        [words.label["campus"], *(words.figure(m) for m in PER_CAMPUS)], rows
    )


def _spikes(spikes: Mapping[str, Any], words: Words) -> str:
    """Spikes by category and by department: a dimension's name is its keys' group in the glossary."""
    t = words.label
    rows = [
        (words.figure(dimension), words.code(dimension, s["key"]), s["last_week"], s["mean"], s["threshold"])
        for dimension, found in spikes.items()
        for s in found
    ]
    return f'<h2>{escape(t["spikes"])}</h2><p class="meta">{escape(t["spike_rule"])}</p>' + (
        _table([t["section"], t["key"], t["this_month"], "\u03bc", "\u03bc+2\u03c3"], rows)
        if rows
        else f"<p>{t['none']}</p>"
    )


def _changes(publication: Mapping[str, Any] | None, words: Words) -> str:
    """A published version: what changed since the version before it."""
    if not publication or not publication.get("changes"):
        return ""
    t = words.label
    return f"<h2>{escape(t['changes'])}</h2>" + _table(
        [t["figure"], t["previous"], t["current"]],
        [(path, change["previous"], change["current"]) for path, change in publication["changes"].items()],
    )
