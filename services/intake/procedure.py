"""The public complaint procedure (CONTRACT §10, 办法 ≈ art. 17): one campus's procedure, place, reception
hours, contacts, time limits and external routes as an HTML page fit to print and post. Pure: the campus's
settings in, a string out; every configured value is escaped (the configuration is data, not markup)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from shared.config import Hospital

LANGUAGES = ("zh-CN", "en")

TEXTS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "title": "投诉管理办法与投诉途径",
        "steps": "投诉程序",
        "step1": "您可以到投诉接待室来访投诉，也可以通过电话、信件、电子邮件、意见箱或网络投诉。",
        "step2": "首诉负责：接待您的工作人员能当场解决的，当场解决；不能当场解决的，登记后转投诉管理部门。",  # noqa: RUF001
        "step3": "投诉管理部门受理后组织相关科室调查核实，并将处理情况告知您。",
        "step4": "对处理结果不满意的，可以提出复核，或选择下列其他途径。",
        "limits": "处理时限",
        "limit_single": "情况较简单的，自受理之日起 {days} 个工作日内向您反馈处理情况或处理意见；",  # noqa: RUF001
        "limit_multi": "涉及多个科室、需要组织协调的，在 {days} 个工作日内反馈。",
        "contact": "投诉接待",
        "place": "地点",
        "hours": "接待时间",
        "phone": "电话",
        "email": "电子邮件",
        "routes": "其他途径",
        "mediation": "申请医疗纠纷人民调解",
        "authority": "向卫生健康主管部门投诉",
        "hotline": "热线",
        "address": "地址",
        "courts": "也可以依法申请行政调解、医疗损害鉴定，或向人民法院提起诉讼。",
        "not_given": "（未配置）",
    },
    "en": {
        "title": "How to make a complaint",
        "steps": "The procedure",
        "step1": "You may complain in person at the complaint reception, or by phone, letter, e-mail, the "
        "suggestion box or online.",
        "step2": "First-contact responsibility: the member of staff you speak to resolves what can be resolved "
        "on the spot; anything else is registered and passed to the complaint office.",
        "step3": "The complaint office has the departments concerned investigate and tells you the outcome.",
        "step4": "If you are not satisfied with the outcome, you may ask for a review or take one of the routes below.",
        "limits": "Time limits",
        "limit_single": "You receive feedback within {days} working days of your complaint being accepted;",
        "limit_multi": "within {days} working days when several departments are involved.",
        "contact": "Complaint reception",
        "place": "Place",
        "hours": "Reception hours",
        "phone": "Phone",
        "email": "E-mail",
        "routes": "Other routes",
        "mediation": "People's mediation of medical disputes",
        "authority": "Complaints to the health authority",
        "hotline": "Hotline",
        "address": "Address",
        "courts": "You may also apply for administrative mediation or a medical appraisal, or go to court.",
        "not_given": "(not configured)",
    },
}


@dataclass(frozen=True)
class Wanted:
    """``GET /public/complaint-procedure?campus=&lang=`` (lang None: the campus's own language)."""

    campus: str
    lang: str | None = None


STYLE = (
    "body{font-family:sans-serif;max-width:46em;margin:2em auto;line-height:1.5}"
    "h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.4em}dt{font-weight:bold}"
    "@media print{body{margin:0;max-width:none}}"
)


def localised(value: Any, lang: str) -> str | None:
    """A configured text: a plain string, or one per language (``{"zh-CN": …, "en": …}``)."""
    if isinstance(value, dict):
        found = value.get(lang) or next((v for v in value.values() if v), None)
        return str(found) if found else None
    return str(value) if value not in (None, "") else None


def _item(label: str, value: str | None, t: dict[str, str]) -> str:
    return f"<dt>{escape(label)}</dt><dd>{escape(value) if value else escape(t['not_given'])}</dd>"


def _route(heading: str, body: dict[str, Any], number_key: str, number_label: str, lang: str, t: dict) -> str:
    name = localised(body.get("name"), lang)
    rows = [f"<dt>{escape(name or t['not_given'])}</dt>"]
    if body.get(number_key):
        rows.append(f"<dd>{escape(number_label)}: {escape(str(body[number_key]))}</dd>")
    address = localised(body.get("address"), lang)
    if address:
        rows.append(f"<dd>{escape(t['address'])}: {escape(address)}</dd>")
    return f"<h3>{escape(heading)}</h3><dl>{''.join(rows)}</dl>"


def page(hospital: Hospital, campus: str, lang: str | None) -> str:
    """The campus's complaint procedure in ``lang`` (a known campus and language: the schema checked)."""
    settings = hospital.campuses[campus]
    lang = lang if lang in TEXTS else settings.get("language", LANGUAGES[0])
    t = TEXTS[lang]
    procedure, policy = settings.get("complaint_procedure") or {}, settings.get("policy") or {}
    office = settings.get("office_head") or {}
    campus_name = hospital.campus_name(campus, lang) or campus
    steps = "".join(f"<li>{escape(t[f'step{n}'])}</li>" for n in range(1, 5))
    limits = (
        f"<li>{escape(t['limit_single'].format(days=int(policy.get('first_reply_days', 5))))}</li>"
        f"<li>{escape(t['limit_multi'].format(days=int(policy.get('first_reply_days_multi', 10))))}</li>"
    )
    contact = "".join(
        (
            _item(t["place"], localised(procedure.get("place"), lang), t),
            _item(t["hours"], localised(procedure.get("reception_hours"), lang), t),
            _item(t["phone"], localised(procedure.get("phone") or office.get("phone"), lang), t),
            _item(t["email"], localised(procedure.get("email") or office.get("email"), lang), t),
        )
    )
    mediation = procedure.get("mediation_committee") or {}
    authority = {"hotline": "12320", **(procedure.get("health_authority") or {})}
    routes = _route(t["mediation"], mediation, "phone", t["phone"], lang, t) + _route(
        t["authority"], authority, "hotline", t["hotline"], lang, t
    )
    title = f"{campus_name} · {t['title']}"
    return (
        f'<!DOCTYPE html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f"<h2>{escape(t['steps'])}</h2><ol>{steps}</ol>"
        f"<h2>{escape(t['limits'])}</h2><ul>{limits}</ul>"
        f"<h2>{escape(t['contact'])}</h2><dl>{contact}</dl>"
        f"<h2>{escape(t['routes'])}</h2>{routes}<p>{escape(t['courts'])}</p>"
        "</body></html>"
    )
