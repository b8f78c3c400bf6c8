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
