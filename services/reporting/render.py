"""The monthly report as CSV, as an Excel sheet and as an HTML page a hospital manager reads (tables with their
definitions, inline SVG charts, nothing fetched from anywhere), in Chinese or English. Pure: a report
document in, text (or the workbook's bytes) out."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

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
        "published_by": "发布人",
        "key_figures": "主要指标",
        "figure": "指标",
        "definition": "说明",
        "this_month": "本月",
        "previous_month": "上月",
        "month_on_month": "环比",
        "year_ago": "去年同期",
        "year_on_year": "同比",
        "no_data": "无数据",
        "change": "增减",
        "daily": "每日受理量",
        "daily_values": "每日受理量（数据表）",
        "day": "日期",
        "by_category": "按类别",
        "by_department": "按科室",
        "by_channel": "按渠道",
        "by_severity": "按严重程度",
        "by_reason": "按原因",
        "by_kind": "按期限类型",
        "by_route": "按途径",
        "count": "件数",
        "total": "合计",
        "first_reply": "首次答复",
        "statutory_feedback": "法定反馈（5/10个工作日）",
        "open_overdue": "超期未反馈",
        "issued_without_contact": "无联系方式（已出具）",
        "upheld": "投诉属实",
        "upheld_yes": "属实",
        "upheld_partly": "部分属实",
        "upheld_no": "不属实",
        "upheld_rate": "属实率（含部分）",
        "on_time": "按时",
        "late": "超期",
        "on_time_rate": "按时率",
        "median": "工作日中位数",
        "p90": "工作日第90百分位",
        "investigations": "科室调查",
        "department": "科室",
        "opened": "启动",
        "extended": "延期",
        "breached": "超期未提交",
        "rectifications": "整改",
        "ordered": "下达",
        "completed": "完成",
        "overdue": "超期",
        "follow_up": "回访",
        "satisfied": "满意",
        "dissatisfied": "不满意",
        "satisfaction_rate": "满意率",
        "reopened": "重新办理",
        "disputes": "医疗纠纷",
        "referrals": "主管部门或热线转办",
        "referrals_received": "转办收到",
        "replied_on_time": "按期回复",
        "replied_late": "超期回复",
        "referral_open_overdue": "超期未回复",
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
        "authority_late": "超期报告卫生主管部门",
        "seals_open": "封存中（封存减启封）",
        "police_reports": "报警",
        "not_accepted": "不予受理",
        "reason": "原因",
        "breaches": "期限超期",
        "kind": "期限类型",
        "spikes": "异常增长（近7天）",
        "none": "无",
        "by_campus": "各院区",
        "changes": "与上一版本相比的变动",
        "previous": "上一版本",
        "current": "本版本",
        "spike_rule": "近7天件数≥3且高于前8周均值加2倍标准差",
        "spike_mean": "前8周周均值",
        "spike_threshold": "阈值（均值加2倍标准差）",
        "key": "项目",
        "value": "数值",
        "section": "部分",
        "label": "名称",
        "sheet_key_figures": "主要指标",
        "sheet_daily": "每日受理量",
        "sheet_all": "全部数据",
        "period": "统计期间",
        "month": "月份",
        "positions": "日志位置",
        "series": "每日",
        "working_days": "工作日",
        "replies": "答复数",
        "comparison": "比较",
        "previous_period": "上一期",
        "mean": "均值",
        "sd": "标准差",
        "threshold": "阈值",
        "last_week": "近7天",
        "week": "周",
        "week_span": "{first}至{last}",
        "from": "起",
        "to": "止",
        "source": "来源",
        "granularity": "粒度",
        "bucket": "时段",
        "has_data": "有数据",
        "authority_reports": "报告卫生主管部门",
        "compensation_paid": "赔偿金额",
        "compensation_by_route": "各途径赔偿金额",
        "by_current_route": "按当前途径",
        "deadline_breaches": "期限超期",
        "resolved_on_spot": "现场解决",
        "withdrawn": "撤回",
        "closed": "办结",
        "escalated": "上报领导小组",
        "received": "受理投诉",
    },
    "en": {
        "title": "Complaint statistics, monthly report",
        "group": "Group-wide",
        "campus": "Campus",
        "as_of": "Data as of",
        "computed_from": "Computed from",
        "projection": "live projection",
        "log": "event log",
        "version": "Published version",
        "published_at": "Published at",
        "published_by": "Published by",
        "key_figures": "Key figures",
        "figure": "Figure",
        "definition": "Definition",
        "this_month": "This month",
        "previous_month": "Previous month",
        "month_on_month": "Month on month",
        "year_ago": "A year earlier",
        "year_on_year": "Year on year",
        "no_data": "no data",
        "change": "Change",
        "daily": "Complaints received per day",
        "daily_values": "Complaints received per day (table)",
        "day": "Day",
        "by_category": "By category",
        "by_department": "By department",
        "by_channel": "By channel",
        "by_severity": "By severity",
        "by_reason": "By reason",
        "by_kind": "By deadline",
        "by_route": "By route",
        "count": "Count",
        "total": "Total",
        "first_reply": "First reply",
        "statutory_feedback": "Statutory feedback (5/10 working days)",
        "open_overdue": "Late, not yet given",
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
        "breached": "Late, no findings",
        "rectifications": "Rectifications",
        "ordered": "Ordered",
        "completed": "Completed",
        "overdue": "Late",
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
        "referral_open_overdue": "Late, not yet answered",
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
        "breaches": "Deadlines late",
        "kind": "Deadline",
        "spikes": "Spikes (last 7 days)",
        "none": "none",
        "by_campus": "Per campus",
        "changes": "Changed since the previous version",
        "previous": "Previous",
        "current": "This version",
        "spike_rule": "last 7 days >= 3 and above the mean + 2 sd of the 8 weeks before",
        "spike_mean": "Weekly mean, 8 weeks before",
        "spike_threshold": "Threshold (mean + 2 sd)",
        "key": "Key",
        "value": "Value",
        "section": "Section",
        "label": "Label",
        "sheet_key_figures": "Key figures",
        "sheet_daily": "Per day",
        "sheet_all": "All figures",
        "period": "Period",
        "month": "Month",
        "positions": "Log positions",
        "series": "Per day",
        "working_days": "Working days",
        "replies": "Replies",
        "comparison": "Comparison",
        "previous_period": "Previous period",
        "mean": "Mean",
        "sd": "Standard deviation",
        "threshold": "Threshold",
        "last_week": "Last 7 days",
        "week": "Week",
        "week_span": "{first} to {last}",
        "from": "From",
        "to": "To",
        "source": "Source",
        "granularity": "Granularity",
        "bucket": "Bucket",
        "has_data": "Has data",
        "authority_reports": "Reports to the health authority",
        "compensation_paid": "Compensation paid",
        "compensation_by_route": "Compensation per route",
        "by_current_route": "By current route",
        "deadline_breaches": "Deadlines late",
        "resolved_on_spot": "Resolved on the spot",
        "withdrawn": "Withdrawn",
        "closed": "Closed",
        "escalated": "Escalated to leadership",
        "received": "Received",
    },
}
# The report's own figures (its metrics and sections); the codes it counts by are named by the glossary
# (shared/glossary.py, in their report wording), campuses and departments by the hospital configuration.
# One term for late throughout: 超期 / late (issue 18 item 10).
FIGURES: dict[str, dict[str, str]] = {
    "zh-CN": {
        "received": "受理投诉",
        "resolved_on_spot": "现场解决",
        "not_accepted": "不予受理",
        "withdrawn": "撤回",
        "closed": "办结",
        "escalated": "上报领导小组",
        "first_reply.on_time": "首次答复按时",
        "first_reply.late": "首次答复超期",
        "statutory_feedback.on_time": "法定反馈按时",
        "statutory_feedback.late": "法定反馈超期",
        "investigation.opened": "启动调查",
        "investigation.on_time": "调查结论按时提交",
        "investigation.late": "调查结论超期提交",
        "investigation.extended": "调查延期",
        "investigation.breached": "调查超期未提交",
        "rectification.ordered": "下达整改",
        "rectification.completed": "完成整改",
        "rectification.overdue": "整改超期",
        "follow_up.satisfied": "回访满意",
        "follow_up.dissatisfied": "回访不满意",
        "reopened": "重新办理",
        "dispute.recorded": "纠纷登记",
        "dispute.settled": "纠纷处理完毕",
        "deadline.breached": "期限超期",
        "referrals": "主管部门或热线转办",
        "suggestions_and_compliments": "建议与表扬",
        "first_reply": "首次答复",
        "category": "类别",
        "department": "科室",
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
        "statutory_feedback.on_time": "Statutory feedback on time",
        "statutory_feedback.late": "Statutory feedback late",
        "investigation.opened": "Investigations opened",
        "investigation.on_time": "Findings on time",
        "investigation.late": "Findings late",
        "investigation.extended": "Investigations extended",
        "investigation.breached": "Investigations late, no findings",
        "rectification.ordered": "Rectifications ordered",
        "rectification.completed": "Rectifications completed",
        "rectification.overdue": "Rectifications late",
        "follow_up.satisfied": "Follow-ups satisfied",
        "follow_up.dissatisfied": "Follow-ups dissatisfied",
        "reopened": "Reopened",
        "dispute.recorded": "Disputes recorded",
        "dispute.settled": "Disputes settled",
        "deadline.breached": "Deadlines late",
        "referrals": "Referrals",
        "suggestions_and_compliments": "Suggestions and compliments",
        "first_reply": "First reply",
        "category": "Category",
        "department": "Department",
    },
}
# What each figure counts, shown beside it (HTML, the sheet): the one place these words live. Keys are the
# figures' metrics (as FIGURES) or "section.figure" for figures of a section's own table.
DEFINITIONS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "received": "本期受理的投诉件数，按受理时间（院区当地日期）计，不含建议与表扬",
        "resolved_on_spot": "首诉接待人员现场解决的件数，按解决时间计",
        "not_accepted": "决定不予受理的件数，按决定时间计",
        "withdrawn": "投诉人撤回的件数，按撤回时间计",
        "closed": "本期办结的件数，按办结时间计",
        "escalated": "上报领导小组的投诉件数，每件只计一次",
        "first_reply.on_time": "在当时有效的期限（含延期）内送达首次答复的件数，按送达日期计",
        "first_reply.late": "期限后才送达，或期限已过仍未送达首次答复的件数，按期限最后一日计",
        "first_reply.on_time_rate": "按时 ÷（按时 + 超期）",
        "first_reply.median": "受理（或重新办理）至首次答复送达的工作日数的中位数，精确到0.1个工作日",
        "first_reply.p90": "同上，第90百分位（九成答复不超过此数）",
        "statutory_feedback.on_time": "受理后5个工作日（涉及多个科室为10个）内首次向投诉人反馈（处理情况反馈或答复）",
        "statutory_feedback.late": "法定期限后才首次反馈，按期限最后一日计",
        "statutory_feedback.open_overdue": "法定反馈期限已过且尚未反馈，反馈送达后转为“超期”",
        "statutory_feedback.on_time_rate": "按时 ÷（按时 + 超期）",
        "statutory_feedback.issued_without_contact": "投诉人无联系方式、已出具反馈的件数，不计入按时或超期",
        "upheld.yes": "科室调查结论为属实的份数（每个科室的结论各计一次）",
        "upheld.partly": "科室调查结论为部分属实的份数",
        "upheld.no": "科室调查结论为不属实的份数",
        "upheld.upheld_rate": "（属实 + 部分属实）÷ 全部调查结论",
        "investigation.opened": "分派给科室的调查（每个科室一次），按分派时间计",
        "investigation.on_time": "在期限（含延期）内提交的调查结论",
        "investigation.late": "期限后才提交的调查结论",
        "investigation.extended": "获准延期的调查，按首次准予延期时间计",
        "investigation.breached": "期限届满仍未提交结论的调查，按期限最后一日计",
        "rectification.ordered": "下达的整改，按下达时间计",
        "rectification.completed": "完成的整改，按完成时间计",
        "rectification.overdue": "期限届满未完成或超期完成的整改，按期限最后一日计",
        "follow_up.satisfied": "回访结果为满意的次数",
        "follow_up.dissatisfied": "回访结果为不满意的次数",
        "follow_up.satisfaction_rate": "满意 ÷（满意 + 不满意）",
        "reopened": "重新办理的次数，按重新办理时间计",
        "dispute.recorded": "登记的医疗纠纷，按登记时间计",
        "dispute.settled": "处理完毕的医疗纠纷，按处理完毕时间计",
        "deadline.breached": "各类期限超期的次数（每个期限一次），按期限最后一日计",
        "disputes.route_changes": "纠纷途径变更的次数",
        "disputes.major": "登记为重大医疗纠纷的件数",
        "disputes.authority_on_time": "重大医疗纠纷在期限内首次报告卫生主管部门",
        "disputes.authority_late": "重大医疗纠纷超期才首次报告，或期限已过仍未报告",
        "disputes.seals_open": "本期封存次数减启封次数（可为负数）",
        "disputes.police_reports": "本期报警次数",
        "referrals.received": "卫生主管部门或12345/12320热线转办的投诉，按受理时间计",
        "referrals.replied_on_time": "在转办要求的日期前回复转办单位",
        "referrals.replied_late": "回复日期之后才回复转办单位，按回复日期计",
        "referrals.open_overdue": "回复日期已过仍未回复，回复后转为“超期回复”",
        "suggestions_and_compliments.suggestions_received": "收到的建议，按受理时间计，不计入投诉指标",
        "suggestions_and_compliments.suggestions_adopted": "被采纳的建议，按采纳时间计",
        "suggestions_and_compliments.compliments_received": "收到的表扬，按受理时间计，不计入投诉指标",
        "month_on_month": "本月与上月相比的增减及百分比（上月为0时不计百分比）",
        "year_on_year": "本月与去年同期相同日期相比的增减及百分比，“—”表示去年同期无数据",
    },
    "en": {
        "received": "Complaints received, by the local day of receipt; suggestions and compliments excluded",
        "resolved_on_spot": "Resolved on the spot by first-contact staff, dated by the resolution",
        "not_accepted": "Decisions not to accept, dated by the decision",
        "withdrawn": "Withdrawn by the complainant, dated by the withdrawal",
        "closed": "Closed in the period",
        "escalated": "Complaints escalated to the leadership group, each once",
        "first_reply.on_time": "First replies delivered by the deadline in force (extensions included), by delivery",
        "first_reply.late": "Delivered after the deadline, or not delivered once it passed; dated by its last day",
        "first_reply.on_time_rate": "on time ÷ (on time + late)",
        "first_reply.median": "Median working days from receipt (or reopening) to delivery, to 0.1 working day",
        "first_reply.p90": "The same, 90th percentile (nine replies in ten took no longer)",
        "statutory_feedback.on_time": "First feedback (interim or reply) in 5 working days (10: several departments)",
        "statutory_feedback.late": "First feedback after the statutory deadline, dated by its last day",
        "statutory_feedback.open_overdue": "Statutory deadline passed and no feedback yet; once given it counts late",
        "statutory_feedback.on_time_rate": "on time ÷ (on time + late)",
        "statutory_feedback.issued_without_contact": "No contact details, feedback issued: neither on time nor late",
        "upheld.yes": "Department findings upheld (each department's findings once)",
        "upheld.partly": "Department findings partly upheld",
        "upheld.no": "Department findings not upheld",
        "upheld.upheld_rate": "(upheld + partly) ÷ all findings",
        "investigation.opened": "Investigations assigned to a department (each department once), by assignment",
        "investigation.on_time": "Findings submitted by the deadline (extensions included)",
        "investigation.late": "Findings submitted after the deadline",
        "investigation.extended": "Investigations granted an extension, dated by the first grant",
        "investigation.breached": "Deadline passed without findings, dated by its last day",
        "rectification.ordered": "Rectifications ordered, by the order",
        "rectification.completed": "Rectifications completed, by the completion",
        "rectification.overdue": "Not completed by the deadline, or completed after it; dated by its last day",
        "follow_up.satisfied": "Follow-ups with the result satisfied",
        "follow_up.dissatisfied": "Follow-ups with the result dissatisfied",
        "follow_up.satisfaction_rate": "satisfied ÷ (satisfied + dissatisfied)",
        "reopened": "Reopenings, dated by the reopening",
        "dispute.recorded": "Medical disputes recorded, by the recording",
        "dispute.settled": "Medical disputes settled, by the settlement",
        "deadline.breached": "Deadlines of every kind passed unmet (each deadline once), dated by their last day",
        "disputes.route_changes": "Changes of a dispute's route",
        "disputes.major": "Disputes recorded as major",
        "disputes.authority_on_time": "Major disputes first reported to the health authority in time",
        "disputes.authority_late": "First reported after the deadline, or not reported once it passed",
        "disputes.seals_open": "Records sealed minus unsealed in the period (may be negative)",
        "disputes.police_reports": "Reports to the police in the period",
        "referrals.received": "Complaints passed on by the health authority or a 12345/12320 hotline, by receipt",
        "referrals.replied_on_time": "The referrer answered by the reply date",
        "referrals.replied_late": "The referrer answered after the reply date, dated by that date",
        "referrals.open_overdue": "Reply date passed and not yet answered; once answered it counts late",
        "suggestions_and_compliments.suggestions_received": "Suggestions received, by receipt; in no complaint figure",
        "suggestions_and_compliments.suggestions_adopted": "Suggestions adopted, by the adoption",
        "suggestions_and_compliments.compliments_received": "Compliments received, by receipt; in no complaint figure",
        "month_on_month": "This month against the previous month: the change and its percentage (none when it was 0)",
        "year_on_year": "Against the same days a year earlier; “—” where there is no data for a year earlier",
    },
}
# Time zones as the report's readers name them (others: their UTC offset).
ZONE_NAMES = {"Asia/Shanghai": {"zh-CN": "北京时间", "en": "Beijing time"}}


# What the received complaints are broken down by, and the glossary group naming each one's codes.
BREAKDOWNS = {
    "by_category": "category",
    "by_department": "department",
    "by_channel": "channel",
    "by_severity": "severity",
}
# The groups naming a path's codes (CSV, sheet, restatements): "by_reason" depends on its section.
CODE_GROUPS = {
    **BREAKDOWNS,
    "by_kind": "deadline_kind",
    "by_route": "dispute_route",
    "by_current_route": "dispute_route",
    "compensation_by_route": "dispute_route",
    "by_campus": "campus",
}
REASON_GROUPS = {"not_accepted": "not_accepted_reason", "reopened": "reopen_reason"}
DASH = "\u2014"  # an em dash: "no figure" (no data, nothing to compare with)
PALETTE = ("#2f6db5", "#e07b39", "#4a9e5c", "#c94c4c", "#8a6bbd", "#6c757d", "#c4a000", "#2aa1a8")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"  # Excel reads a CSV as UTF-8 only when it starts with one


def _as_words(key: str) -> str:
    """A key nothing names (a code no longer configured, say), as readable as it can be."""
    return key.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Words:
    """The report's words in one language: its labels, its figures and their definitions, the names of what
    it counts, and its moments in the campus's time zone."""

    lang: str
    hospital: Hospital
    timezone: str = "Asia/Shanghai"

    @property
    def label(self) -> dict[str, str]:
        return LABELS[self.lang]

    def figure(self, key: str) -> str:
        return FIGURES[self.lang].get(key) or _as_words(key)

    def definition(self, key: str) -> str:
        return DEFINITIONS[self.lang].get(key, "")

    def pair(self, name: str, value: Any) -> str:
        """A name and its value: 名称：值 in Chinese, "Name: value" in English."""
        return f"{name}：{value}" if self.lang == "zh-CN" else f"{name}: {value}"

    def code(self, group: str, key: str) -> str:
        """A code of a glossary group (category, channel, ...) or a department, as the report names it."""
        if group == "department":
            return self.hospital.department_name(key, self.lang) or _as_words(key)
        if group == "campus":
            return self.campus(key)
        return glossary.in_report(self.lang, group, key) or _as_words(key)

    def campus(self, campus: str) -> str:
        return self.hospital.campus_name(campus, self.lang) or _as_words(campus)

    def zone(self, at: datetime | None = None) -> str:
        """The zone as readers name it ("北京时间"), else its UTC offset at that moment."""
        named = ZONE_NAMES.get(self.timezone, {}).get(self.lang)
        if named:
            return named
        offset = (at or datetime.now(UTC)).astimezone(ZoneInfo(self.timezone)).strftime("%z")
        return f"UTC{offset[:3]}:{offset[3:]}"

    def _moment(self, moment: str | None) -> datetime | None:
        try:
            return datetime.fromisoformat(moment.replace("Z", "+00:00")) if moment else None
        except ValueError:
            return None

    def local_time(self, moment: str | None) -> str:
        """An RFC 3339 moment as the campus's local date and time, "—" when there is none."""
        at = self._moment(moment)
        if at is None:
            return moment or DASH
        return at.astimezone(ZoneInfo(self.timezone)).strftime("%Y-%m-%d %H:%M")

    def as_of(self, moment: str | None) -> str:
        """The moment the figures are true, e.g. 数据截至 2026-12-03 21:28（北京时间）."""
        when, zone = self.local_time(moment), self.zone(self._moment(moment))
        if self.lang == "zh-CN":
            return f"{self.label['as_of']} {when}（{zone}）"
        return f"{self.label['as_of']} {when} ({zone})"


def _number(value: Any) -> str:
    if value is None:
        return DASH
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _pct(rate: float | None) -> str:
    return DASH if rate is None else f"{rate:.1%}"


def change_text(values: Mapping[str, Any], earlier: str) -> str:
    """ "+3 (+25.0%)"; "+3" when the earlier count was 0; "—" when there is no earlier figure at all."""
    if values.get(earlier) is None or values.get("change") is None:
        return DASH
    pct = f" ({values['change_pct']:+.1f}%)" if values.get("change_pct") is not None else ""
    return f"{values['change']:+d}{pct}"


def key_figure_rows(report: Mapping[str, Any], words: Words) -> list[tuple[str, ...]]:
    """Each headline figure: name, this month, previous month, month on month, a year earlier, year on year,
    definition (HTML and the sheet alike)."""
    year_ago = (report.get("year_ago") or {}).get("comparison") or {}
    previous = (report.get("previous_period") or {}).get("comparison") or {}
    rows = []
    for metric in year_ago or previous:
        now = (year_ago.get(metric) or previous.get(metric) or {}).get("current")
        before, then = previous.get(metric, {}), year_ago.get(metric, {})
        rows.append(
            (
                words.figure(metric),
                _number(now),
                _number(before.get("previous")),
                change_text(before, "previous"),
                _number(then.get("year_ago")),
                change_text(then, "year_ago"),
                words.definition(metric),
            )
        )
    return rows


def key_figure_headers(words: Words) -> list[str]:
    t = words.label
    return [
        t["figure"],
        t["this_month"],
        t["previous_month"],
        t["month_on_month"],
        t["year_ago"],
        t["year_on_year"],
        t["definition"],
    ]


# --------------------------------------------------------------------------------------------
# Naming a figure by its path (CSV, sheet, restatements)
# --------------------------------------------------------------------------------------------


def _part_name(section: str, part: str, words: Words) -> str:
    t = words.label
    if section == "upheld" and part in ("yes", "partly", "no"):
        return t[f"upheld_{part}"]
    if section == "referrals" and part in ("received", "open_overdue"):
        return t["referrals_received" if part == "received" else "referral_open_overdue"]
    if part == "current":
        return t["this_month"]
    if part == "change_pct":
        return f"{t['change']} (%)"
    return t.get(part) or FIGURES[words.lang].get(part) or part


def path_label(path: str, words: Words) -> str:
    """A dotted path of the report document (``received.by_category.billing``) in the reader's words:
    "受理投诉 · 按类别 · 收费"."""
    parts = [p for p in path.replace("[", ".[").split(".") if p]
    section = parts[0] if parts else ""
    names: list[str] = []
    index = 0
    while index < len(parts):
        part = parts[index]
        if part == "comparison" and index + 2 < len(parts):  # a headline metric's name holds dots
            metric = ".".join(parts[index + 1 : -1])
            names += [words.label["comparison"], words.figure(metric), _part_name(section, parts[-1], words)]
            break
        if part.startswith("["):
            names.append(f"#{int(part.strip('[]')) + 1}")
        else:
            names.append(_part_name(section, part, words))
        group = REASON_GROUPS.get(section) if part == "by_reason" else CODE_GROUPS.get(part)
        if group and index + 1 < len(parts):
            names.append(words.code(group, parts[index + 1]))
            index += 1
        index += 1
    return " · ".join(names)


# --------------------------------------------------------------------------------------------
# CSV and the sheet
# --------------------------------------------------------------------------------------------


def csv_rows(report: Mapping[str, Any], words: Words) -> Iterator[list[Any]]:
    """One row per figure: section, figure, key (the codes), its name in the reader's words, value."""
    for path, value in domain.flatten(report).items():
        parts = path.replace("[", ".[").split(".")
        section = parts[0]
        figure = parts[1] if len(parts) > 1 else ""
        key = ".".join(parts[2:])
        yield [section, figure, key, path_label(path, words), "" if value is None else value]


def csv_headers(words: Words) -> list[str]:
    t = words.label
    return [t["section"], t["figure"], t["key"], t["label"], t["value"]]


def to_csv(report: Mapping[str, Any], lang: str, hospital: Hospital | None = None) -> str:
    """Every leaf of the JSON document, headed and named in the reader's language, with a UTF-8 BOM (Excel
    opens Chinese text correctly only then)."""
    words = Words(lang, hospital or configured_hospital())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(csv_headers(words))
    writer.writerows(csv_rows(report, words))
    return BOM + out.getvalue()


def to_xlsx(
    report: Mapping[str, Any],
    lang: str,
    publication: Mapping[str, Any] | None = None,
    hospital: Hospital | None = None,
    timezone: str = "Asia/Shanghai",
) -> bytes:
    """An Excel workbook in the reader's language: the key figures with their definitions, the daily counts,
    and every figure (as the CSV)."""
    from openpyxl import Workbook  # only for this format
    from openpyxl.styles import Font

    words = Words(lang, hospital or configured_hospital(), timezone)
    t = words.label
    book = Workbook()
    sheet = book.active
    sheet.title = t["sheet_key_figures"]
    sheet.append([_title(report, words)])
    sheet.append([_as_of_line(report, publication, words)])
    sheet.append([])
    sheet.append(key_figure_headers(words))
    for row in key_figure_rows(report, words):
        sheet.append([_cell(value) for value in row])
    daily = book.create_sheet(t["sheet_daily"])
    daily.append([t["day"], t["count"]])
    for entry in report.get("series", []):
        daily.append([entry["bucket"], entry["received"]])
    every = book.create_sheet(t["sheet_all"])
    every.append(csv_headers(words))
    for row in csv_rows(report, words):
        every.append(row)
    for ws, header_row in ((sheet, 4), (daily, 1), (every, 1)):
        for cell in ws[header_row]:
            cell.font = Font(bold=True)
        ws.freeze_panes = ws.cell(row=header_row + 1, column=2)
    sheet["A1"].font = Font(bold=True, size=14)
    for column, width in zip("ABCDEFG", (28, 10, 10, 16, 10, 16, 70), strict=True):
        sheet.column_dimensions[column].width = width
    for column, width in zip("ABCDE", (22, 18, 30, 48, 14), strict=True):
        every.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: str) -> Any:
    """A figure as a number where it is one (Excel sums it), else as shown."""
    try:
        return int(value)
    except ValueError:
        return value


def staff_csv(figures: Mapping[str, Any]) -> str:
    """The staff figures (GET /reports/staff) as CSV: one row per staff id."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = ("staff_id", "complaints", "upheld_findings", "rectifications", "rectifications_completed")
    writer.writerow(columns)
    for row in figures["staff"]:
        writer.writerow([row[c] for c in columns])
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    return escape(value if isinstance(value, str) else _number(value))


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], caption: str | None = None, css_class: str = ""
) -> str:
    """A table whose first column names each row (``<th scope="row">``), in a box that scrolls sideways
    on a narrow screen."""
    head = "".join(f'<th scope="col">{escape(str(h))}</th>' for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<th scope="row">{_cell_text(c)}</th>' if i == 0 else f"<td>{_cell_text(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    opening = f'<table class="{css_class}">' if css_class else "<table>"
    return f'<div class="table-wrap">{opening}{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _figure_table(rows: Sequence[tuple[str, Any, str]], words: Words) -> str:
    """Figure, value and what it counts (its definition beside it)."""
    t = words.label
    return _table(
        [t["figure"], t["value"], t["definition"]],
        [(label, value, words.definition(key)) for label, value, key in rows],
        css_class="with-definitions",
    )


def _definitions(items: Sequence[tuple[str, str]], words: Words) -> str:
    """What each column of a table counts, as a description list under it."""
    shown = [(name, words.definition(key)) for name, key in items if words.definition(key)]
    if not shown:
        return ""
    inner = "".join(f"<dt><dfn>{escape(name)}</dfn></dt><dd>{escape(text)}</dd>" for name, text in shown)
    return f'<dl class="definitions">{inner}</dl>'


def bar_chart(points: Sequence[tuple[str, int]], title: str, width: int = 720, height: int = 210) -> str:
    """Vertical bars (e.g. per day) with each value printed above its bar; every bar can take the keyboard's
    focus and says its day and value (``aria-label``), as inline SVG."""
    top = max([value for _, value in points] + [1])
    left, bottom, head = 36, 28, 30
    plot_w, plot_h = width - left - 8, height - bottom - head
    step = plot_w / max(len(points), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="group" aria-label="{escape(title)}" class="chart daily" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{head + plot_h}" x2="{width - 8}" y2="{head + plot_h}" stroke="#555"/>',
        f'<text x="{left - 4}" y="{head + 4}" font-size="10" text-anchor="end">{top}</text>',
        f'<text x="{left - 4}" y="{head + plot_h}" font-size="10" text-anchor="end">0</text>',
    ]
    every = max(1, len(points) // 10)
    for index, (label, value) in enumerate(points):
        bar_h = plot_h * value / top
        x, y = left + index * step, head + plot_h - bar_h
        said = f"{label}: {value}"
        parts.append(
            f'<g class="bar" tabindex="0" role="img" aria-label="{escape(said)}"><title>{escape(said)}</title>'
            f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(step - 2, 1):.1f}" height="{bar_h:.1f}" '
            f'fill="{PALETTE[0]}" stroke="#1d2330" stroke-width="0.5"/>'
            + (
                f'<text x="{x + step / 2:.1f}" y="{y - 3:.1f}" font-size="9" text-anchor="middle">{value}</text>'
                if value
                else ""
            )
            + "</g>"
        )
        if index % every == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{height - 10}" font-size="10" '
                f'text-anchor="middle" aria-hidden="true">{escape(label[-5:])}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


WEEKDAYS = {
    "zh-CN": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def _calendar_rows(points: Sequence[tuple[str, int]], words: Words) -> list[tuple[str, ...]] | None:
    """Days as a calendar: one row per week (headed by its first and last day of the period), a column per
    weekday, each cell "12-03: 4". None when the points are not days."""
    try:
        days = [(date.fromisoformat(label), value) for label, value in points]
    except ValueError:
        return None
    weeks: dict[date, list[tuple[date, int]]] = {}
    for day, value in days:
        weeks.setdefault(day - timedelta(days=day.weekday()), []).append((day, value))
    rows = []
    for found in weeks.values():
        cells = [""] * 7
        for day, value in found:
            cells[day.weekday()] = f"{day:%m-%d}: {value}"
        first, last = f"{found[0][0]:%m-%d}", f"{found[-1][0]:%m-%d}"
        span = first if first == last else words.label["week_span"].format(first=first, last=last)
        rows.append((span, *cells))
    return rows


def daily_table(points: Sequence[tuple[str, int]], words: Words, open_: bool = False) -> str:
    """The daily chart's values as a table under it, a week a row (compact enough to print; open on the
    print view, as a closed ``<details>`` prints nothing)."""
    t = words.label
    rows = _calendar_rows(points, words)
    table = (
        _table([t["week"], *WEEKDAYS[words.lang]], rows, t["daily_values"])
        if rows is not None
        else _table([t["day"], t["count"]], points, t["daily_values"])
    )
    return (
        f'<details class="daily-values"{" open" if open_ else ""}><summary>{escape(t["daily_values"])}</summary>'
        + table
        + "</details>"
    )


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
            f'fill="{PALETTE[index % len(PALETTE)]}" stroke="#1d2330" stroke-width="0.5"/>'
            f'<text x="{label_w + bar_w + 4:.1f}" y="{y + 15}" font-size="12">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def split_bar(parts_: Sequence[tuple[str, int]], title: str, width: int = 520) -> str:
    """One bar split in proportion (e.g. on time vs late), as inline SVG; each part is labelled with its
    value (readable in black and white). Nothing to split (all 0): no chart, the table under it says 0."""
    if not any(v for _, v in parts_):
        return ""
    total = sum(v for _, v in parts_)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} 44" width="{width}" height="44"><title>{escape(title)}</title>'
    ]
    x = 0.0
    for index, (label, value) in enumerate(parts_):
        w = width * value / total
        out.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="24" fill="{PALETTE[index + 2]}" stroke="#1d2330" '
            f'stroke-width="0.5"><title>{escape(label)}: {value}</title></rect>'
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
th[scope=row]{text-align:left;font-weight:normal}thead th{background:#eef3fa}td:last-child{text-align:left}
.meta{color:#555;font-size:13px}.as-of{font-weight:600}
.grid{display:flex;flex-wrap:wrap;gap:24px}.table-wrap{overflow-x:auto}
dl.definitions{font-size:12px;color:#444;display:grid;grid-template-columns:max-content 1fr;gap:2px 10px}
dl.definitions dd{margin:0}dfn{font-style:normal;font-weight:600}
.bar:focus{outline:none}.bar:focus rect{stroke:#000;stroke-width:3}
@media print{body{margin:0;color:#000}h2{break-after:avoid}table,svg,dl{break-inside:avoid}
thead th{background:none}th,td{border-color:#000}details.daily-values>summary{display:none}}
"""


def to_html(
    report: Mapping[str, Any],
    lang: str,
    publication: Mapping[str, Any] | None = None,
    hospital: Hospital | None = None,
    timezone: str = "Asia/Shanghai",
    printable: bool = False,
) -> str:
    """A self-contained page: no script, no external style sheet, font or image. ``printable``: the daily
    values' table is open (a closed ``<details>`` prints nothing)."""
    words = Words(lang, hospital or configured_hospital(), timezone)
    t = words.label
    points = [(entry["bucket"], entry["received"]) for entry in report.get("series", [])]
    sections = [
        _heading(report, publication, words),
        _key_figures(report, words),
        f"<h2>{escape(t['daily'])}</h2>" + bar_chart(points, t["daily"]) + daily_table(points, words, printable),
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


def _title(report: Mapping[str, Any], words: Words) -> str:
    campus = report["period"]["campus"]
    where = words.campus(campus) if campus else words.label["group"]
    return f"{words.label['title']} · {report['month']} · {where}"


def _as_of_line(report: Mapping[str, Any], publication: Mapping[str, Any] | None, words: Words) -> str:
    """When the figures were true: the moment asked, or for a published version the moment it was published."""
    return words.as_of(report.get("as_of") or (publication or {}).get("published_at"))


def _heading(report: Mapping[str, Any], publication: Mapping[str, Any] | None, words: Words) -> str:
    t = words.label
    source = report.get("computed_from", "")
    meta = [words.pair(t["computed_from"], t.get(source, source))]
    if publication:
        meta += [
            words.pair(t["version"], publication["version"]),
            words.pair(t["published_at"], words.local_time(publication.get("published_at"))),
        ]
    return (
        f"<h1>{escape(_title(report, words))}</h1>"
        f'<p class="as-of">{escape(_as_of_line(report, publication, words))}</p>'
        f'<p class="meta">{escape(" · ".join(meta))}</p>'
    )


def _key_figures(report: Mapping[str, Any], words: Words) -> str:
    t = words.label
    rows = key_figure_rows(report, words)
    if not rows:
        return f"<h2>{escape(t['key_figures'])}</h2><p>{t['none']}</p>"
    notes = [(t["month_on_month"], "month_on_month"), (t["year_on_year"], "year_on_year")]
    return (
        f"<h2>{escape(t['key_figures'])}</h2>"
        + _table(key_figure_headers(words), rows, css_class="with-definitions key-figures")
        + _definitions(notes, words)
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
    rows = [
        (t["on_time"], first["on_time"], "first_reply.on_time"),
        (t["late"], first["late"], "first_reply.late"),
        (t["on_time_rate"], _pct(first["on_time_rate"]), "first_reply.on_time_rate"),
        (t["median"], first["working_days"]["median"], "first_reply.median"),
        (t["p90"], first["working_days"]["p90"], "first_reply.p90"),
    ]
    return (
        f"<h2>{escape(t['first_reply'])}</h2>"
        + split_bar([(t["on_time"], first["on_time"]), (t["late"], first["late"])], t["first_reply"])
        + _figure_table(rows, words)
    )


def _statutory(law: Mapping[str, Any], words: Words) -> str:
    t = words.label
    parts = [(t["on_time"], law["on_time"]), (t["late"], law["late"]), (t["open_overdue"], law["open_overdue"])]
    keys = ("on_time", "late", "open_overdue")
    rows = [(label, value, f"statutory_feedback.{key}") for (label, value), key in zip(parts, keys, strict=True)]
    rows.append((t["on_time_rate"], _pct(law["on_time_rate"]), "statutory_feedback.on_time_rate"))
    rows.append(
        (t["issued_without_contact"], law["issued_without_contact"], "statutory_feedback.issued_without_contact")
    )
    title = t["statutory_feedback"]
    return f"<h2>{escape(title)}</h2>" + split_bar(parts, title) + _figure_table(rows, words)


def _upheld(upheld: Mapping[str, Any], words: Words) -> str:
    t = words.label
    parts = [(t[f"upheld_{value}"], upheld[value]) for value in ("yes", "partly", "no")]
    rows = [(label, value, f"upheld.{key}") for (label, value), key in zip(parts, ("yes", "partly", "no"), strict=True)]
    rows.append((t["upheld_rate"], _pct(upheld["upheld_rate"]), "upheld.upheld_rate"))
    return f"<h2>{escape(t['upheld'])}</h2>" + split_bar(parts, t["upheld"]) + _figure_table(rows, words)


def _by_department(
    title: str, figures_: Mapping[str, Any], columns: Sequence[str], prefix: str, words: Words, names: Sequence[str]
) -> str:
    """A section counted per department, with its 合计 row and what each column counts."""
    t = words.label
    rows = [(words.code("department", d), *(r[c] for c in columns)) for d, r in figures_["by_department"].items()]
    total = (t["total"], *(figures_[c] for c in columns))
    return (
        f"<h2>{escape(title)}</h2>"
        + _table([t["department"], *names], [*rows, total])
        + _definitions([(name, f"{prefix}.{c}") for name, c in zip(names, columns, strict=True)], words)
    )


def _investigations(inv: Mapping[str, Any], words: Words) -> str:
    t = words.label
    columns = ("opened", "on_time", "late", "extended", "breached")
    names = [t["opened"], t["on_time"], t["late"], t["extended"], t["breached"]]
    return _by_department(t["investigations"], inv, columns, "investigation", words, names)


def _rectifications(rect: Mapping[str, Any], words: Words) -> str:
    t = words.label
    columns = ("ordered", "completed", "overdue")
    return _by_department(t["rectifications"], rect, columns, "rectification", words, [t[c] for c in columns])


def _follow_up(report: Mapping[str, Any], words: Words) -> str:
    t, follow = words.label, report["follow_up"]
    rows = [
        (t["satisfied"], follow["satisfied"], "follow_up.satisfied"),
        (t["dissatisfied"], follow["dissatisfied"], "follow_up.dissatisfied"),
        (t["satisfaction_rate"], _pct(follow["satisfaction_rate"]), "follow_up.satisfaction_rate"),
        (t["reopened"], report["reopened"]["total"], "reopened"),
    ]
    return f"<h2>{escape(t['follow_up'])}</h2>" + _figure_table(rows, words)


def _referrals(referrals: Mapping[str, Any] | None, words: Words) -> str:
    """Authority referrals (CONTRACT §10), counted apart; they are complaints too, in every figure above."""
    if referrals is None:
        return ""  # a publication made before referrals were counted
    t = words.label
    names = {
        "received": t["referrals_received"],
        "replied_on_time": t["replied_on_time"],
        "replied_late": t["replied_late"],
        "open_overdue": t["referral_open_overdue"],
    }
    rows = [(label, referrals[key], f"referrals.{key}") for key, label in names.items()]
    return f"<h2>{escape(t['referrals'])}</h2>" + _figure_table(rows, words)


def _suggestions_and_compliments(kinds: Mapping[str, Any] | None, words: Words) -> str:
    """Suggestions received and adopted, compliments received, per department (none is a complaint)."""
    if kinds is None:
        return ""
    t = words.label
    columns = ("suggestions_received", "suggestions_adopted", "compliments_received")
    title = t["suggestions_and_compliments"]
    return _by_department(title, kinds, columns, "suggestions_and_compliments", words, [t[c] for c in columns])


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
        + _definitions([(t["recorded"], "dispute.recorded"), (t["settled"], "dispute.settled")], words)
        + _dispute_duties(disputes, words)
    )


def _dispute_duties(disputes: Mapping[str, Any], words: Words) -> str:
    t, reports = words.label, disputes["authority_reports"]
    rows = [
        (t["route_changes"], disputes["route_changes"], "disputes.route_changes"),
        (t["major"], disputes["major"], "disputes.major"),
        (t["authority_on_time"], reports["on_time"], "disputes.authority_on_time"),
        (t["authority_late"], reports["late"], "disputes.authority_late"),
        (t["seals_open"], disputes["seals_open"], "disputes.seals_open"),
        (t["police_reports"], disputes["police_reports"], "disputes.police_reports"),
    ]
    return _figure_table(rows, words)


def _refusals_and_breaches(report: Mapping[str, Any], words: Words) -> str:
    t = words.label
    reasons = [(words.code("not_accepted_reason", k), v) for k, v in report["not_accepted"]["by_reason"].items()]
    kinds = [(words.code("deadline_kind", k), v) for k, v in report["deadline_breaches"]["by_kind"].items()]
    return (
        f"<h2>{escape(t['not_accepted'])} · {escape(t['breaches'])}</h2>"
        + '<div class="grid">'
        + _table([t["reason"], t["count"]], reasons or [(t["none"], 0)], t["not_accepted"])
        + _table([t["kind"], t["count"]], kinds or [(t["none"], 0)], t["breaches"])
        + "</div>"
        + _definitions([(t["not_accepted"], "not_accepted"), (t["breaches"], "deadline.breached")], words)
    )


PER_CAMPUS = ("received", "first_reply.on_time", "first_reply.late", "escalated", "deadline.breached")


def _per_campus(report: Mapping[str, Any], words: Words) -> str:
    """Group-wide reports only: the headline figures of each campus."""
    if not report.get("by_campus") or report["period"]["campus"]:
        return ""
    rows = [(words.campus(c), *(row.get(m, 0) for m in PER_CAMPUS)) for c, row in report["by_campus"].items()]
    names = [words.figure(m) for m in PER_CAMPUS]
    return (
        f"<h2>{escape(words.label['by_campus'])}</h2>"
        + _table([words.label["campus"], *names], rows)
        + _definitions(list(zip(names, PER_CAMPUS, strict=True)), words)
    )


def _spikes(spikes: Mapping[str, Any], words: Words) -> str:
    """Spikes by category and by department: a dimension's name is its keys' group in the glossary."""
    t = words.label
    rows = [
        (words.code(dimension, s["key"]), words.figure(dimension), s["last_week"], s["mean"], s["threshold"])
        for dimension, found in spikes.items()
        for s in found
    ]
    headers = [t["key"], t["section"], t["last_week"], t["spike_mean"], t["spike_threshold"]]
    return f'<h2>{escape(t["spikes"])}</h2><p class="meta">{escape(t["spike_rule"])}</p>' + (
        _table(headers, rows) if rows else f"<p>{t['none']}</p>"
    )


def changes_rows(publication: Mapping[str, Any], words: Words) -> list[tuple[str, Any, Any]]:
    """A restatement's changes: each figure's name in the reader's words, its previous and its current value."""
    return [
        (path_label(path, words), change["previous"], change["current"])
        for path, change in (publication.get("changes") or {}).items()
    ]


def _changes(publication: Mapping[str, Any] | None, words: Words) -> str:
    """A published version: what changed since the version before it."""
    if not publication or not publication.get("changes"):
        return ""
    t = words.label
    return f"<h2>{escape(t['changes'])}</h2>" + _table(
        [t["figure"], t["previous"], t["current"]], changes_rows(publication, words)
    )
