"""The console's words: both languages complete, every key a template uses defined, every code the product
knows named, and the services' refusals turned into sentences in both languages."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from services.console import i18n
from shared import catalogue
from shared.config import load_hospital

TEMPLATES = Path(__file__).resolve().parents[2] / "services" / "console" / "templates"


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_both_languages_hold_the_same_messages_with_the_same_placeholders():
    en, zh = i18n.MESSAGES["en"], i18n.MESSAGES["zh-CN"]
    assert set(en) == set(zh)
    for key in en:
        assert en[key].strip() and zh[key].strip(), key
        assert _fields(en[key]) == _fields(zh[key]), key


def test_both_languages_name_the_same_codes():
    en, zh = i18n.NAMES["en"], i18n.NAMES["zh-CN"]
    assert set(en) == set(zh)
    for group in en:
        assert set(en[group]) == set(zh[group]), group


def test_every_message_a_template_or_page_uses_is_defined():
    sources = [p.read_text(encoding="utf-8") for p in TEMPLATES.glob("*.html")]
    sources += [p.read_text(encoding="utf-8") for p in TEMPLATES.parent.glob("*.py")]
    used = set()
    for text in sources:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']""", text))
    assert used, "no message keys found: the pattern no longer matches the templates"
    assert sorted(used - set(i18n.MESSAGES["en"])) == []
    # Built keys: action.<name>, action.<name>.submit, nav.<page>.
    from services.console import views

    for action in views.ACTIONS:
        assert f"action.{action}" in i18n.MESSAGES["en"] and f"action.{action}.submit" in i18n.MESSAGES["en"]
    for page in ("worklist", "register", "reports"):
        assert f"nav.{page}" in i18n.MESSAGES["en"]
    # search.match.<field> and worklist.view.<view>: intake's search fields and investigation's saved views
    for matched in ("reference", "phone", "email", "complainant_name", "patient_name", "patient_mrn"):
        assert f"search.match.{matched}" in i18n.MESSAGES["en"]
    for view in ("all", "todo", "due_week", "awaiting_department", "follow_up", "escalated"):
        assert f"worklist.view.{view}" in i18n.MESSAGES["en"]


def test_templates_hold_no_untranslated_words():
    """Visible text comes from the catalogue: between tags a template has only markup, expressions and symbols."""
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"{% macro attrs.*?endmacro %}", " ", text, flags=re.S)  # attributes, not text
        text = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", " ", text, flags=re.S)
        text = re.sub(r"<[^>]*>", " ", text)
        words = [w for w in re.findall(r"[A-Za-z\u4e00-\u9fff]{2,}", text) if w not in ("English",)]
        assert words == ["中文"] * len(words), (path.name, words)  # the language buttons name themselves


@pytest.mark.parametrize(
    ("group", "codes"),
    [
        ("channel", catalogue.CHANNELS),
        ("category", catalogue.CATEGORIES),
        ("severity", catalogue.SEVERITIES),
        ("source", catalogue.SOURCES),
        ("role", catalogue.ROLES),
        ("dispute_route", catalogue.DISPUTE_ROUTES),
        ("substantiated", catalogue.SUBSTANTIATED),
        ("deadline_kind", catalogue.DEADLINE_KINDS),
        ("notification_channel", catalogue.NOTIFICATION_CHANNELS),
        ("not_accepted_reason", catalogue.NOT_ACCEPTED_REASONS),
        ("reopen_reason", catalogue.REOPEN_REASONS),
        ("reschedule_reason", catalogue.RESCHEDULE_REASONS),
        ("notification_purpose", catalogue.NOTIFICATION_PURPOSES),
        ("event", tuple(catalogue.EVENT_TYPES)),
    ],
)
def test_every_code_of_the_product_has_a_name_in_both_languages(group, codes):
    for lang in i18n.LANGUAGES:
        assert set(codes) <= set(i18n.NAMES[lang][group]), (lang, set(codes) - set(i18n.NAMES[lang][group]))


def test_the_demo_hospitals_campuses_and_departments_have_chinese_names():
    hospital = load_hospital()
    departments = {d for campus in hospital.campuses for d in hospital.departments(campus)}
    chinese = re.compile(r"[\u4e00-\u9fff]")
    for department in departments:
        assert chinese.search(i18n.name("zh-CN", "department", department, hospital=hospital) or ""), department
    for campus in hospital.campuses:
        assert chinese.search(i18n.name("zh-CN", "campus", campus, hospital=hospital) or ""), campus


def test_language_choice():
    assert i18n.pick("en", "zh-CN,zh;q=0.9") == "en"  # the user's choice wins
    assert i18n.pick(None, "en-US,en;q=0.9") == "en"
    assert i18n.pick(None, "zh-TW,zh;q=0.8,en;q=0.5") == "zh-CN"
    assert i18n.pick("fr", "de-DE") == "zh-CN"  # neither: the hospital's language


@pytest.mark.parametrize(
    ("error", "en", "zh"),
    [
        (
            {"error": "cannot close: the reply has not been delivered to the complainant yet", "state": "replied"},
            "The case cannot be closed yet: the reply has not reached the complainant.",
            "暂不能办结：答复尚未送达投诉人。",
        ),
        (
            {"error": "cannot issue a reply: awaiting findings from cardiology, nursing", "state": "open"},
            "The reply has to wait for the findings of: Cardiology, Nursing.",
            "须等待以下科室的调查结论后才能答复：心内科、护理部。",
        ),
        (
            {"error": "cannot record a follow-up: the case is open", "state": "open"},
            "This cannot be done while the case is Open.",
            "案件当前状态为“办理中”，不能进行此操作。",
        ),
        (
            {"error": "cannot resolve on spot a complaint that is not accepted", "state": "not_accepted"},
            "This cannot be done to a complaint that is Not accepted.",
            "投诉当前为“不予受理”，不能进行此操作。",
        ),
        (
            {"error": "something new", "state": "closed"},
            "This cannot be done while the case is Closed.",
            "案件当前状态为“已办结”，不能进行此操作。",
        ),
    ],
)
def test_refusals_become_sentences(error, en, zh):
    assert i18n.conflict("en", error) == en
    assert i18n.conflict("zh-CN", error) == zh


def test_forbidden_and_field_messages():
    assert (
        i18n.forbidden("en", {"error": "department liaison of nursing does not cover this case"})
        == "This case does not concern your department (Nursing)."
    )
    assert (
        i18n.forbidden("zh-CN", {"error": "the first_contact role may not GET /cases"})
        == "您的角色（首诉接待人员）不能进行此操作。"
    )
    assert (
        i18n.forbidden("en", {"error": "complaint_officer west-office-head does not cover campus east"})
        == "Your access does not cover campus East campus."
    )
    assert i18n.field_message("zh-CN", "Missing data for required field.") == "必填。"
    assert i18n.field_message("en", "Length must be between 1 and 4000.") == "Too long (at most 4000 characters)."
    assert (
        i18n.field_message("en", "Must be greater than or equal to 1 and less than or equal to 30.")
        == "Between 1 and 30."
    )
    assert i18n.field_message("en", "a message we do not know") == "a message we do not know"
