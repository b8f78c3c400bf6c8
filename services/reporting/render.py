"""The monthly report as CSV and as an HTML page a hospital manager reads (tables and inline SVG
charts, nothing fetched from anywhere), in Chinese or English. Pure: a report document in, text out."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from services.reporting import statistics

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
        "recorded": "登记",
        "settled": "处理完毕",
        "compensation": "赔偿金额",
        "route": "途径",
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
        "recorded": "Recorded",
        "settled": "Settled",
        "compensation": "Compensation paid",
        "route": "Route",
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
NAMES: dict[str, dict[str, str]] = {
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
        "medical_quality": "医疗质量",
        "service_quality": "服务质量",
        "care_process": "诊疗流程",
        "billing": "收费",
        "other": "其他",
        "phone": "电话",
        "email": "电子邮件",
        "in_person": "当面",
        "letter": "信函",
        "complaint_box": "意见箱",
        "online": "网上",
        "hotline": "热线",
        "normal": "一般",
        "major": "重大",
        "cardiology": "心内科",
        "radiology": "放射科",
        "emergency": "急诊科",
        "pediatrics": "儿科",
        "nursing": "护理部",
        "billing_office": "收费处",
        "litigation": "诉讼",
        "mediation": "调解",
        "negotiation": "协商",
        "handled_elsewhere": "已由其他部门处理",
        "no_specific_facts": "无具体事实",
        "criminal_case": "刑事案件",
        "out_of_scope": "不属受理范围",
        "duplicate": "重复投诉",
        "first_reply": "首次答复",
        "investigation": "调查",
        "rectification": "整改",
        "new_facts": "新事实",
        "new_evidence": "新证据",
        "category": "类别",
        "east": "东院区",
        "west": "西院区",
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
        "medical_quality": "Medical quality",
        "service_quality": "Service quality",
        "care_process": "Care process",
        "billing": "Billing",
        "other": "Other",
        "in_person": "In person",
        "complaint_box": "Complaint box",
        "billing_office": "Billing office",
        "handled_elsewhere": "Handled elsewhere",
        "no_specific_facts": "No specific facts",
        "criminal_case": "Criminal case",
        "out_of_scope": "Out of scope",
        "first_reply": "First reply",
        "new_facts": "New facts",
        "new_evidence": "New evidence",
    },
}
DASH = "\u2013"  # an en dash: "no figure"
PALETTE = ("#2f6db5", "#e07b39", "#4a9e5c", "#c94c4c", "#8a6bbd", "#6c757d", "#c4a000", "#2aa1a8")


def _name(lang: str, key: str) -> str:
    return NAMES[lang].get(key) or key.replace("_", " ").capitalize()


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


def to_csv(report: Mapping[str, Any], lang: str) -> str:
    """One row per figure: section, figure, key, label, value (every leaf of the JSON document)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "figure", "key", "label", "value"])
    for path, value in statistics.flatten(report).items():
        parts = path.replace("[", ".[").split(".")
        section = parts[0]
        figure = parts[1] if len(parts) > 1 else ""
        key = ".".join(parts[2:])
        label = _name(lang, figure if section in ("year_ago", "by_campus") and figure else section)
        writer.writerow([section, figure, key, label, "" if value is None else value])
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------


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


def to_html(report: Mapping[str, Any], lang: str, publication: Mapping[str, Any] | None = None) -> str:
    """A self-contained page: no script, no external style sheet, font or image."""
    t, n = LABELS[lang], (lambda key: _name(lang, key))
    campus = report["period"]["campus"]
    where = n(campus) if campus else t["group"]
    sections = [f"<h1>{escape(t['title'])} · {escape(report['month'])} · {escape(where)}</h1>"]
    meta = [
        f"{t['as_of']}: {report.get('as_of', DASH)}",
        f"{t['computed_from']}: {t.get(report.get('computed_from', ''), report.get('computed_from', ''))}",
    ]
    if publication:
        meta += [f"{t['version']}: {publication['version']}", f"{t['published_at']}: {publication['published_at']}"]
    sections.append(f'<p class="meta">{escape(" · ".join(meta))}</p>')
    comparison = (report.get("year_ago") or {}).get("comparison", {})
    rows = []
    for metric, values in comparison.items():
        change = values["change"]
        pct = f" ({values['change_pct']:+.1f}%)" if values.get("change_pct") is not None else ""
        rows.append((n(metric), values["current"], values["year_ago"], f"{change:+d}{pct}"))
    sections.append(
        f"<h2>{escape(t['key_figures'])}</h2>"
        + _table([t["figure"], t["this_month"], t["year_ago"], t["change"]], rows)
    )
    daily = [(entry["bucket"], entry["received"]) for entry in report.get("series", [])]
    sections.append(f"<h2>{escape(t['daily'])}</h2>" + bar_chart(daily, t["daily"]))
    received = report["received"]
    charts = []
    for dimension in ("by_category", "by_department", "by_channel", "by_severity"):
        items = sorted(((n(k), v) for k, v in received.get(dimension, {}).items()), key=lambda kv: -kv[1])
        charts.append(
            f"<div><h2>{escape(t[dimension])}</h2>"
            + (hbar_chart(items, t[dimension]) if items else f"<p>{t['none']}</p>")
            + "</div>"
        )
    sections.append('<div class="grid">' + "".join(charts) + "</div>")
    first = report["first_reply"]
    sections.append(
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
    inv = report["investigations"]
    sections.append(
        f"<h2>{escape(t['investigations'])}</h2>"
        + _table(
            [t["department"], t["opened"], t["on_time"], t["late"], t["extended"], t["breached"]],
            [
                (n(d), r["opened"], r["on_time"], r["late"], r["extended"], r["breached"])
                for d, r in inv["by_department"].items()
            ]
            + [("Σ", inv["opened"], inv["on_time"], inv["late"], inv["extended"], inv["breached"])],
        )
    )
    rect = report["rectifications"]
    sections.append(
        f"<h2>{escape(t['rectifications'])}</h2>"
        + _table(
            [t["department"], t["ordered"], t["completed"], t["overdue"]],
            [(n(d), r["ordered"], r["completed"], r["overdue"]) for d, r in rect["by_department"].items()]
            + [("Σ", rect["ordered"], rect["completed"], rect["overdue"])],
        )
    )
    follow = report["follow_up"]
    sections.append(
        f"<h2>{escape(t['follow_up'])}</h2>"
        + _table(
            [t["satisfied"], t["dissatisfied"], t["satisfaction_rate"], t["reopened"]],
            [
                (
                    follow["satisfied"],
                    follow["dissatisfied"],
                    _pct(follow["satisfaction_rate"]),
                    report["reopened"]["total"],
                )
            ],
        )
    )
    disputes = report["disputes"]
    routes = sorted(
        set(disputes["recorded"]["by_route"])
        | set(disputes["settled"]["by_route"])
        | set(disputes["compensation_by_route"])
    )
    sections.append(
        f"<h2>{escape(t['disputes'])}</h2>"
        + _table(
            [t["route"], t["recorded"], t["settled"], t["compensation"]],
            [
                (
                    n(r),
                    disputes["recorded"]["by_route"].get(r, 0),
                    disputes["settled"]["by_route"].get(r, 0),
                    ", ".join(f"{a} {c}" for c, a in disputes["compensation_by_route"].get(r, {}).items()) or "0",
                )
                for r in routes
            ],
        )
    )
    sections.append(
        f"<h2>{escape(t['not_accepted'])} · {escape(t['breaches'])}</h2>"
        + '<div class="grid">'
        + _table(
            [t["reason"], t["count"]],
            [(n(k), v) for k, v in report["not_accepted"]["by_reason"].items()] or [(t["none"], 0)],
        )
        + _table(
            [t["kind"], t["count"]],
            [(n(k), v) for k, v in report["deadline_breaches"]["by_kind"].items()] or [(t["none"], 0)],
        )
        + "</div>"
    )
    if report.get("by_campus") and not campus:
        metrics = ("received", "first_reply.on_time", "first_reply.late", "escalated", "deadline.breached")
        sections.append(
            f"<h2>{escape(t['by_campus'])}</h2>"
            + _table(
                [t["campus"], *(n(m) for m in metrics)],
                [(n(c), *(row.get(m, 0) for m in metrics)) for c, row in report["by_campus"].items()],
            )
        )
    spikes = [
        (n(dimension), n(s["key"]), s["last_week"], s["mean"], s["threshold"])
        for dimension, found in report.get("spikes", {}).items()
        for s in found
    ]
    sections.append(
        f'<h2>{escape(t["spikes"])}</h2><p class="meta">{escape(t["spike_rule"])}</p>'
        + (
            _table([t["section"], t["key"], t["this_month"], "\u03bc", "\u03bc+2\u03c3"], spikes)
            if spikes
            else f"<p>{t['none']}</p>"
        )
    )
    if publication and publication.get("changes"):
        sections.append(
            f"<h2>{escape(t['changes'])}</h2>"
            + _table(
                [t["figure"], t["previous"], t["current"]],
                [(path, change["previous"], change["current"]) for path, change in publication["changes"].items()],
            )
        )
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{escape(t["title"])} '
        f"{escape(report['month'])}</title><style>{STYLE}</style></head><body>" + "".join(sections) + "</body></html>"
    )
