"""The glossary (shared/glossary.py): every code of the product named in both languages, in one place, and
the console, the monthly report and the letters all name codes from it (campuses and departments: from the
hospital configuration)."""

from __future__ import annotations

import pytest

from services.console import i18n
from services.reporting import render
from shared import catalogue, glossary
from shared.config import load_hospital

HOSPITAL = load_hospital()


def test_both_languages_label_the_same_codes_and_every_other_wording_names_a_labelled_code():
    en, zh = glossary.LABELS["en"], glossary.LABELS["zh-CN"]
    assert set(en) == set(zh)
    for group in en:
        assert set(en[group]) == set(zh[group]), group
        assert all(en[group].values()) and all(zh[group].values()), group
    for wording in (glossary.IN_REPORTS, glossary.IN_LETTERS):
        for lang in glossary.LANGUAGES:
            for group, words in wording[lang].items():
                assert set(words) <= set(glossary.LABELS[lang][group]), (lang, group)


@pytest.mark.parametrize("lang", glossary.LANGUAGES)
def test_a_letter_has_words_for_every_deadline_kind_and_refusal_reason(lang):
    for kind in catalogue.DEADLINE_KINDS:
        assert glossary.in_letter(lang, "deadline_kind", kind), kind
    for reason in catalogue.NOT_ACCEPTED_REASONS:
        assert glossary.in_letter(lang, "not_accepted_reason", reason), reason
    assert glossary.in_letter(lang, "deadline_kind", "no-such-kind") == ""


@pytest.mark.parametrize("lang", glossary.LANGUAGES)
def test_the_report_and_the_console_name_codes_campuses_and_departments_alike(lang):
    words = render.Words(lang, HOSPITAL)
    for group, codes in (
        ("category", catalogue.CATEGORIES),
        ("channel", catalogue.CHANNELS),
        ("severity", catalogue.SEVERITIES),
        ("dispute_route", catalogue.DISPUTE_ROUTES),
    ):
        for code in codes:
            assert words.code(group, code) == i18n.name(lang, group, code), (group, code)
    for campus in HOSPITAL.campuses:
        assert words.campus(campus) == i18n.name(lang, "campus", campus) == HOSPITAL.campus_name(campus, lang)
        for department in HOSPITAL.departments(campus):
            named = HOSPITAL.department_name(department, lang)
            assert named and words.code("department", department) == i18n.name(lang, "department", department)
            assert words.code("department", department) == named


def test_the_report_keeps_its_short_forms_and_the_letter_its_sentences():
    assert render.Words("zh-CN", HOSPITAL).code("not_accepted_reason", "litigation") == "诉讼"
    assert i18n.name("zh-CN", "not_accepted_reason", "litigation") == "已进入诉讼"
    assert glossary.in_letter("zh-CN", "not_accepted_reason", "litigation") == "该事项已进入诉讼程序"
    assert render.Words("en", HOSPITAL).code("deadline_kind", "investigation") == "Investigation"
    assert glossary.in_letter("en", "deadline_kind", "investigation") == "department investigation"
