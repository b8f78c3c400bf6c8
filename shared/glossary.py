"""The glossary: the product's codes (CONTRACT §2, the event catalogue, the services' states) named in
Chinese (zh-CN) and English, in one place for every service and the console.

``LABELS`` is how a code is named on its own (a table cell, a form's choice, a heading). Two places word
some codes differently, and keep that wording here beside the label rather than in a copy of their own:
``IN_REPORTS``, the monthly report's shorter forms, and ``IN_LETTERS``, how a letter to a complainant
says it within a sentence. Campus and department names are the hospital's, in its configuration
(``shared.config.Hospital.campus_name`` / ``department_name``), not here.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("zh-CN", "en")
DEFAULT = "zh-CN"

Wording = Mapping[str, Mapping[str, Mapping[str, str]]]  # language -> group -> code -> words

# The roles of shared/auth.py; a message's recipient is one of them or the complainant.
ROLES_EN: dict[str, str] = {
    "first_contact": "First-contact staff",
    "complaint_officer": "Complaint office",
    "department_liaison": "Department liaison",
    "leadership": "Leadership group",
    "auditor": "Auditor",
    "ops": "Operations",
    "system": "System",
}
ROLES_ZH: dict[str, str] = {
    "first_contact": "首诉接待人员",
    "complaint_officer": "投诉管理办公室",
    "department_liaison": "科室联络员",
    "leadership": "领导小组",
    "auditor": "审计人员",
    "ops": "运维",
    "system": "系统",
}

LABELS: Wording = {
    "en": {
        "channel": {
            "phone": "Phone",
            "email": "E-mail",
            "in_person": "In person",
            "letter": "Letter",
            "complaint_box": "Complaint box",
            "online": "Online",
            "hotline": "Hotline",
        },
        "category": {
            "medical_quality": "Medical quality",
            "service_quality": "Service quality",
            "care_process": "Care process",
            "billing": "Billing",
            "other": "Other",
        },
        "severity": {
            "normal": "Normal",
            "major": "Major",
        },
        "source": {
            "patient_or_family": "Patient or family",
            "staff_internal": "Staff (internal)",
            "supervision": "Service supervision",
            "satisfaction_survey": "Satisfaction survey",
            "authority_referral": "Referred by an authority or hotline",
        },
        "role": ROLES_EN,
        "recipient": {"complainant": "Complainant", **ROLES_EN},  # whom a message is for
        "case_status": {
            "open": "Open",
            "replied": "Replied",
            "closed": "Closed",
            "resolved_on_spot": "Resolved on the spot",
            "not_accepted": "Not accepted",
            "withdrawn": "Withdrawn",
        },
        "complaint_status": {
            "received": "Received",
            "resolved_on_spot": "Resolved on the spot",
            "not_accepted": "Not accepted",
            "withdrawn": "Withdrawn",
            "closed": "Closed",
            "reopened": "Reopened",
        },
        "deadline_kind": {
            "first_reply": "First reply",
            "investigation": "Investigation",
            "rectification": "Rectification",
            "statutory_feedback": "Statutory feedback",
            "authority_report": "Report to the health authority",
            "referrer_reply": "Reply to the referrer",
            "follow_up": "Follow-up call",
        },
        "deadline_status": {
            "open": "Running",
            "met": "Met",
            "breached": "Breached",
            "met_late": "Met late",
            "stopped": "Stopped",
        },
        "substantiated": {
            "yes": "Yes",
            "partly": "Partly",
            "no": "No",
        },
        "dispute_route": {
            "mediation": "Mediation",
            "litigation": "Litigation",
            "negotiation": "Negotiation",
            "people_mediation": "People's mediation",
            "administrative_mediation": "Administrative mediation",
            "technical_appraisal": "Technical appraisal",
        },
        "not_accepted_reason": {
            "litigation": "Already in court",
            "mediation": "Mediation applied for",
            "handled_elsewhere": "Handled by the health authority or petition office",
            "no_specific_facts": "No specific facts",
            "criminal_case": "A criminal matter",
            "out_of_scope": "Out of scope",
            "duplicate": "Duplicate",
        },
        "reopen_reason": {
            "new_facts": "New facts",
            "new_evidence": "New evidence",
            "dissatisfied": "Complainant not satisfied",
        },
        "reschedule_reason": {
            "calendar_updated": "Calendar updated",
            "policy_updated": "Policy updated",
            "reclassified": "Reclassified",
            "extension_granted": "Extension granted",
            "reopened": "Reopened",
            "departments_assigned": "Departments assigned",
            "other": "Other",
        },
        "notification_channel": {
            "email": "E-mail",
            "sms": "SMS",
            "letter": "Letter",
            "phone": "By telephone (recorded)",
            "in_person": "In person (recorded)",
        },
        "escalation_reason": {  # ComplaintEscalated.reason when it is a code (otherwise the writer's words)
            "breach_unresolved": "Missed deadline still unmet",
            "major_dispute": "Major medical dispute",
        },
        "notification_purpose": {
            "acknowledgement": "Acknowledgement of receipt",
            "reply": "Reply",
            "reminder": "Reminder",
            "breach_alert": "Breach alert",
            "escalation": "Escalation",
            "rectification": "Rectification order",
            "not_accepted": "Not accepted",
            "interim_feedback": "Interim feedback",
            "dispute_notice": "Dispute notice",
        },
        "notification_status": {
            "pending": "Pending",
            "sending": "Sending",
            "sent": "Sent",
            "queued": "Letter to post",
            "failed": "Failed",
            "not_sent": "Not sent (no contact)",
        },
        "escalation_target": {
            "leadership_group": "Leadership group",
        },
        "extension_status": {
            "pending": "awaiting a decision",
            "granted": "granted",
            "refused": "refused",
            "superseded": "superseded by the findings",
        },
        "complaint_kind": {"complaint": "Complaint", "suggestion": "Suggestion", "compliment": "Compliment"},
        "yes_no": {
            "true": "yes",
            "false": "no",
        },
        "field": {  # an event's fields, as the timeline and the dossier show them
            "reference": "Reference",
            "channel": "Channel",
            "category": "Category",
            "severity": "Severity",
            "source": "Source",
            "departments": "Departments",
            "department": "Department",
            "received_by": "Received by",
            "received_at": "Received at",
            "resolution": "Resolution",
            "resolved_by": "Resolved by",
            "reason": "Reason",
            "route_advice": "Route advised",
            "decided_by": "Decided by",
            "withdrawn_by": "Withdrawn by",
            "note": "Note",
            "reminder_for_role": "Reminder for",
            "requested_days": "Working days asked",
            "substantiated": "Substantiated",
            "summary": "Summary",
            "signed_off_by": "Signed off by",
            "on_time": "On time",
            "to": "To",
            "contact_person": "Contact person",
            "actions_taken": "Actions taken",
            "result": "Result",
            "channel_preference": "Reply by",
            "description": "Description",
            "satisfied": "Satisfied",
            "outcome": "Outcome",
            "route": "Route",
            "compensation_amount": "Compensation",
            "currency": "Currency",
            "kind": "Deadline",
            "recipient_role": "Recipient",
            "purpose": "Purpose",
            "attempts": "Attempts",
            "error": "Error",
            "campuses": "Campuses",
            "desired_outcome": "Wanted outcome",
            "complainant": "Complainant",
            "first_reply": "First reply",
            "investigations": "Investigations",
            "deadline": "Deadline",
            "current": "Now",
            "due_at": "Due at",
            "last_day": "Last day",
            "provisional": "Provisional",
            "calendar_version": "Calendar version",
            "policy_version": "Policy version",
            "working_days": "Working days",
            "breached_at": "Breached at",
            "attachment_id": "Attachment",
            "media_type": "Type",
            "size": "Size (bytes)",
            "sha256": "SHA-256",
            "staff_involved": "Staff involved",
            "status": "Status",
            "registered_at": "Entered at",
            "receiving_department": "Department where made",
            "anonymous": "Anonymous",
            "has_contact": "Can be contacted",
            "complainant_ref": "Complainant (reference in intake)",
            "reopened_from": "Reopens",
            "representatives": "Representatives",
            "referral": "Referral",
            "referrer": "Referrer",
            "reply_due": "Reply due",
            "kind_of_complaint": "Kind",
            "campus": "Campus",
        },
        "event": {
            "ComplaintReceived": "Complaint received",
            "ComplaintResolvedOnSpot": "Resolved on the spot",
            "ComplaintNotAccepted": "Not accepted",
            "ComplaintWithdrawn": "Withdrawn",
            "ComplaintReclassified": "Reclassified",
            "InvestigationOpened": "Investigation opened",
            "InvestigationDue": "Deadline reminder due",
            "DeadlineRescheduled": "Deadline rescheduled",
            "ExtensionRequested": "Extension asked for",
            "ExtensionGranted": "Extension granted",
            "ExtensionRefused": "Extension refused",
            "FindingsSubmitted": "Findings submitted",
            "DeadlineBreached": "Deadline breached",
            "ComplaintEscalated": "Escalated to the leadership group",
            "DeadlineBreachWithdrawn": "Breach withdrawn (calendar corrected)",
            "ComplaintStatusFollowed": "Intake followed the case's closing or reopening",
            "PersonalDataErased": "Personal data erased",
            "AttachmentAdded": "Attachment added",
            "SuggestionAdopted": "Suggestion adopted",
            "ContactDetailsCorrected": "Contact details corrected",
            "ReferrerReplied": "Referrer answered",
            "CaseEnded": "Case ended with the complaint",
            "CaseReclassified": "Case reclassified",
            "CaseContactChanged": "Case follows the corrected contact details",
            "ReplyDeliveryRecorded": "Reply delivery recorded on the case",
            "ReplyDeliveryFailed": "Reply delivery failure recorded on the case",
            "ReplyIssued": "Reply issued",
            "RectificationOrdered": "Rectification ordered",
            "RectificationCompleted": "Rectification completed",
            "FollowUpRecorded": "Follow-up recorded",
            "ComplaintReopened": "Reopened",
            "ComplaintClosed": "Closed",
            "DisputeRecorded": "Dispute recorded",
            "DisputeSettled": "Dispute settled",
            "InterimFeedbackIssued": "Interim feedback issued",
            "DisputeRouteChanged": "Dispute route changed",
            "DisputeReportedToAuthority": "Dispute reported to the health authority",
            "RecordsSealed": "Records sealed",
            "RecordsUnsealed": "Records unsealed",
            "PoliceNotified": "Police notified",
            "ReplySent": "Reply delivered",
            "ReminderSent": "Reminder sent",
            "NotificationFailed": "Notification failed",
        },
    },
    "zh-CN": {
        "channel": {
            "phone": "电话",
            "email": "电子邮件",
            "in_person": "来访",
            "letter": "信函",
            "complaint_box": "意见箱",
            "online": "网络",
            "hotline": "热线",
        },
        "category": {
            "medical_quality": "医疗质量",
            "service_quality": "服务质量",
            "care_process": "诊疗流程",
            "billing": "收费",
            "other": "其他",
        },
        "severity": {
            "normal": "一般",
            "major": "重大",
        },
        "source": {
            "patient_or_family": "患者或家属",
            "staff_internal": "院内职工",
            "supervision": "服务监督",
            "satisfaction_survey": "满意度调查",
            "authority_referral": "主管部门或热线转办",
        },
        "role": ROLES_ZH,
        "recipient": {"complainant": "投诉人", **ROLES_ZH},  # whom a message is for
        "case_status": {
            "open": "办理中",
            "replied": "已答复",
            "closed": "已办结",
            "resolved_on_spot": "现场解决",
            "not_accepted": "不予受理",
            "withdrawn": "已撤回",
        },
        "complaint_status": {
            "received": "已受理",
            "resolved_on_spot": "现场解决",
            "not_accepted": "不予受理",
            "withdrawn": "已撤回",
            "closed": "已办结",
            "reopened": "重新办理",
        },
        "deadline_kind": {
            "first_reply": "首次答复",
            "investigation": "科室调查",
            "rectification": "整改",
            "statutory_feedback": "法定反馈",
            "authority_report": "向卫生健康主管部门报告",
            "referrer_reply": "回复转办部门",
            "follow_up": "回访",
        },
        "deadline_status": {
            "open": "进行中",
            "met": "按时完成",
            "breached": "已超期",
            "met_late": "超期完成",
            "stopped": "已停止",
        },
        "substantiated": {
            "yes": "属实",
            "partly": "部分属实",
            "no": "不属实",
        },
        "dispute_route": {
            "mediation": "调解",
            "litigation": "诉讼",
            "negotiation": "协商",
            "people_mediation": "人民调解",
            "administrative_mediation": "行政调解",
            "technical_appraisal": "医疗损害鉴定",
        },
        "not_accepted_reason": {
            "litigation": "已进入诉讼",
            "mediation": "已申请第三方调解",
            "handled_elsewhere": "已由卫生行政部门或信访部门处理",
            "no_specific_facts": "无明确对象或事实",
            "criminal_case": "属公安机关管辖",
            "out_of_scope": "不属受理范围",
            "duplicate": "重复投诉",
        },
        "reopen_reason": {
            "new_facts": "新事实",
            "new_evidence": "新证据",
            "dissatisfied": "投诉人不满意",
        },
        "reschedule_reason": {
            "calendar_updated": "日历更新",
            "policy_updated": "规则更新",
            "reclassified": "重新分类",
            "extension_granted": "延期获批",
            "reopened": "重新办理",
            "departments_assigned": "分派科室",
            "other": "其他",
        },
        "notification_channel": {
            "email": "电子邮件",
            "sms": "短信",
            "letter": "信函",
            "phone": "电话答复（已登记）",
            "in_person": "当面答复（已登记）",
        },
        "escalation_reason": {
            "breach_unresolved": "超期仍未办结",
            "major_dispute": "重大医疗纠纷",
        },
        "notification_purpose": {
            "acknowledgement": "受理告知",
            "reply": "答复",
            "reminder": "期限提醒",
            "breach_alert": "超期通报",
            "escalation": "上报",
            "rectification": "整改通知",
            "not_accepted": "不予受理告知",
            "interim_feedback": "处理情况反馈",
            "dispute_notice": "医疗纠纷告知",
        },
        "notification_status": {
            "pending": "待发送",
            "sending": "发送中",
            "sent": "已发送",
            "queued": "信函待寄出",
            "failed": "发送失败",
            "not_sent": "未发送（无联系方式）",
        },
        "escalation_target": {
            "leadership_group": "领导小组",
        },
        "extension_status": {
            "pending": "待审批",
            "granted": "已同意",
            "refused": "未同意",
            "superseded": "已提交结论，无需审批",
        },
        "complaint_kind": {"complaint": "投诉", "suggestion": "建议", "compliment": "表扬"},
        "yes_no": {
            "true": "是",
            "false": "否",
        },
        "field": {
            "reference": "编号",
            "channel": "渠道",
            "category": "类别",
            "severity": "严重程度",
            "source": "来源",
            "departments": "科室",
            "department": "科室",
            "received_by": "受理人",
            "received_at": "受理时间",
            "resolution": "处理情况",
            "resolved_by": "处理人",
            "reason": "原因",
            "route_advice": "告知途径",
            "decided_by": "决定人",
            "withdrawn_by": "撤回经办人",
            "note": "备注",
            "reminder_for_role": "提醒对象",
            "requested_days": "申请工作日数",
            "substantiated": "是否属实",
            "summary": "内容",
            "signed_off_by": "签字确认人",
            "on_time": "是否按时",
            "to": "上报至",
            "contact_person": "联系人",
            "actions_taken": "已采取的措施",
            "result": "处理结果",
            "channel_preference": "答复方式",
            "description": "内容",
            "satisfied": "是否满意",
            "outcome": "办结情况",
            "route": "途径",
            "compensation_amount": "赔偿金额",
            "currency": "币种",
            "kind": "期限",
            "recipient_role": "接收人",
            "purpose": "用途",
            "attempts": "尝试次数",
            "error": "错误",
            "campuses": "院区",
            "desired_outcome": "诉求",
            "complainant": "投诉人",
            "first_reply": "首次答复",
            "investigations": "科室调查",
            "deadline": "期限",
            "current": "现为",
            "due_at": "到期时间",
            "last_day": "最后一日",
            "provisional": "暂定",
            "calendar_version": "日历版本",
            "policy_version": "规则版本",
            "working_days": "工作日数",
            "breached_at": "超期时间",
            "attachment_id": "附件",
            "media_type": "类型",
            "size": "大小（字节）",
            "sha256": "SHA-256",
            "staff_involved": "涉及人员",
            "status": "状态",
            "registered_at": "录入时间",
            "receiving_department": "接诉科室",
            "anonymous": "匿名",
            "has_contact": "可联系",
            "complainant_ref": "投诉人（受理系统内编号）",
            "reopened_from": "重新受理自",
            "representatives": "代表人数",
            "referral": "转办",
            "referrer": "转办单位",
            "reply_due": "要求回复日期",
            "kind_of_complaint": "类型",
            "campus": "院区",
        },
        "event": {
            "ComplaintReceived": "受理投诉",
            "ComplaintResolvedOnSpot": "现场解决",
            "ComplaintNotAccepted": "不予受理",
            "ComplaintWithdrawn": "撤回",
            "ComplaintReclassified": "重新分类",
            "InvestigationOpened": "启动调查",
            "InvestigationDue": "期限提醒",
            "DeadlineRescheduled": "期限调整",
            "ExtensionRequested": "申请延期",
            "ExtensionGranted": "同意延期",
            "ExtensionRefused": "不同意延期",
            "FindingsSubmitted": "提交调查结论",
            "DeadlineBreached": "期限超期",
            "ComplaintEscalated": "上报领导小组",
            "ReplyIssued": "发出答复",
            "DeadlineBreachWithdrawn": "撤销超期（日历更正）",
            "ComplaintStatusFollowed": "受理环节同步办结或重新办理",
            "PersonalDataErased": "个人信息已删除",
            "AttachmentAdded": "添加附件",
            "SuggestionAdopted": "建议已采纳",
            "ContactDetailsCorrected": "联系方式已更正",
            "ReferrerReplied": "已回复转办部门",
            "CaseEnded": "案件随投诉终结",
            "CaseReclassified": "案件重新分类",
            "CaseContactChanged": "案件同步联系方式更正",
            "ReplyDeliveryRecorded": "案件记录答复已送达",
            "ReplyDeliveryFailed": "案件记录答复送达失败",
            "RectificationOrdered": "下达整改",
            "RectificationCompleted": "完成整改",
            "FollowUpRecorded": "记录回访",
            "ComplaintReopened": "重新办理",
            "ComplaintClosed": "办结",
            "DisputeRecorded": "登记医疗纠纷",
            "DisputeSettled": "纠纷处理完毕",
            "InterimFeedbackIssued": "发出处理情况反馈",
            "DisputeRouteChanged": "变更纠纷处理途径",
            "DisputeReportedToAuthority": "向卫生健康主管部门报告纠纷",
            "RecordsSealed": "封存病历资料",
            "RecordsUnsealed": "启封病历资料",
            "PoliceNotified": "已报警",
            "ReplySent": "答复已送达",
            "ReminderSent": "已发送提醒",
            "NotificationFailed": "通知发送失败",
        },
    },
}

# The monthly report's shorter forms (its tables are read at a glance); any code not here has its label.
IN_REPORTS: Wording = {
    "en": {
        "not_accepted_reason": {
            "litigation": "Litigation",
            "mediation": "Mediation",
            "handled_elsewhere": "Handled elsewhere",
            "criminal_case": "Criminal case",
        },
    },
    "zh-CN": {
        "not_accepted_reason": {
            "litigation": "诉讼",
            "mediation": "调解",
            "handled_elsewhere": "已由其他部门处理",
            "no_specific_facts": "无具体事实",
            "criminal_case": "刑事案件",
        },
        "deadline_kind": {"investigation": "调查"},
    },
}

# How a letter or message to people says a code within its sentence ("... the {kind} deadline ...",
# "... not accepted because {reason}").
IN_LETTERS: Wording = {
    "en": {
        "deadline_kind": {
            "first_reply": "first reply",
            "investigation": "department investigation",
            "rectification": "rectification",
            "statutory_feedback": "statutory feedback",
            "authority_report": "report to the health authority",
            "referrer_reply": "reply to the referring authority",
            "follow_up": "follow-up call",
        },
        "escalation_reason": {
            "breach_unresolved": "a missed deadline is still not met",
            "major_dispute": "a major medical dispute was recorded",
        },
        "not_accepted_reason": {
            "litigation": "the matter is already before a court",
            "mediation": "third-party mediation has already been applied for",
            "handled_elsewhere": "it has already been handled by the health authority or the petition office",
            "no_specific_facts": "it names no clear subject or facts",
            "criminal_case": "it is a matter for the public security authorities",
            "out_of_scope": "it is outside the hospital's complaint procedure",
            "duplicate": "the same complaint is already being handled",
        },
    },
    "zh-CN": {
        "deadline_kind": {
            "first_reply": "首次答复",
            "investigation": "科室调查",
            "rectification": "整改",
            "statutory_feedback": "法定反馈",
            "authority_report": "向卫生健康主管部门报告",
            "referrer_reply": "回复转办部门",
            "follow_up": "回访",
        },
        "escalation_reason": {
            "breach_unresolved": "超期事项至今仍未完成",
            "major_dispute": "已登记重大医疗纠纷",
        },
        "not_accepted_reason": {
            "litigation": "该事项已进入诉讼程序",
            "mediation": "已申请第三方调解",
            "handled_elsewhere": "已由卫生健康行政部门或信访部门处理",
            "no_specific_facts": "投诉对象或事实不明确",
            "criminal_case": "属于公安机关管辖的事项",
            "out_of_scope": "不属于医院投诉处理范围",
            "duplicate": "相同投诉正在处理中",
        },
    },
}


# Which name group an event's field is a code of (for the console's timeline and the dossier); a field without
# one is text written by staff, shown as written. The same field name can mean another thing in one event type.
_FIELD_GROUPS: Mapping[str, str] = {
    "department": "department",
    "departments": "department",
    "receiving_department": "department",
    "category": "category",
    "severity": "severity",
    "channel": "channel",
    "source": "source",
    "substantiated": "substantiated",
    "route": "dispute_route",
    "purpose": "notification_purpose",
    "kind": "deadline_kind",
    "recipient_role": "role",
    "reminder_for_role": "role",
    "channel_preference": "notification_channel",
    "campus": "campus",
    "campuses": "campus",
    "to": "escalation_target",
    "satisfied": "yes_no",
    "on_time": "yes_no",
    "anonymous": "yes_no",
    "has_contact": "yes_no",
    "provisional": "yes_no",
    "changed": "field",  # ContactDetailsCorrected: which fields (named, never their values)
    # staff by their configured names (shared.config.Hospital.person_name), else their staff id
    "signed_off_by": "person",
    "received_by": "person",
    "resolved_by": "person",
    "decided_by": "person",
    "withdrawn_by": "person",
    "adopted_by": "person",
    "answered_by": "person",
    "contact_person": "person",
    "delivered_by": "person",
}
_REASON_GROUPS: Mapping[str, str] = {
    "ComplaintNotAccepted": "not_accepted_reason",
    "ComplaintReopened": "reopen_reason",
    "DeadlineRescheduled": "reschedule_reason",
}
_NOTIFICATION_EVENTS = ("ReplySent", "ReminderSent", "NotificationFailed")
_FIELD_NAMES: Mapping[tuple[str, str], str] = {("ComplaintReceived", "kind"): "kind_of_complaint"}


def field_group(event_type: str, field: str) -> str | None:
    """The name group of ``field``'s codes in an event of ``event_type``; None for free text."""
    if field == "reason":
        return _REASON_GROUPS.get(event_type)
    if field == "channel" and event_type in _NOTIFICATION_EVENTS:
        return "notification_channel"  # e-mail, SMS, letter: how it was sent, not how it came in
    if field == "kind" and event_type == "ComplaintReceived":
        return "complaint_kind"
    return _FIELD_GROUPS.get(field)


def field_name(lang: str, event_type: str, field: str) -> str | None:
    """How ``field`` of an event of ``event_type`` is named in ``lang``."""
    return label(lang, "field", _FIELD_NAMES.get((event_type, field), field))


def _words(wording: Wording, lang: str, group: str, code: object) -> str | None:
    key = str(code).lower() if isinstance(code, bool) else str(code)
    return wording.get(lang, wording[DEFAULT]).get(group, {}).get(key)


def label(lang: str, group: str, code: object) -> str | None:
    """The name of a code on its own in ``lang``; None for a code the glossary does not know."""
    return _words(LABELS, lang, group, code)


def in_report(lang: str, group: str, code: object) -> str | None:
    """The name of a code in the monthly report: its shorter form, else its label."""
    return _words(IN_REPORTS, lang, group, code) or label(lang, group, code)


def in_letter(lang: str, group: str, code: object) -> str:
    """A code as a letter says it within a sentence; empty when the letter has no words for it."""
    return _words(IN_LETTERS, lang, group, code) or ""
