"""The search index's normalisation and keyed hashes (services/intake/search_terms.py), pure."""

from __future__ import annotations

import pytest

from services.intake.search_terms import SearchKey, mrn_form, name_form, phone_form, reference_form

KEY = SearchKey(b"k" * 32)


def wide(text: str) -> str:
    """``text`` in full-width forms, as a Chinese input method types Latin letters and digits."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("王 芳", "王芳"), ("  王芳 ", "王芳"), (wide("Wang Fang"), "wangfang"), ("WANG fang", "wangfang")],
)
def test_names_ignore_spacing_width_and_case(typed, stored):
    assert name_form(typed) == stored


def test_mrns_ignore_separators_and_case():
    assert mrn_form("mrn-0012 3") == mrn_form("MRN00123") == "MRN00123"


def test_phones_are_normalised_as_shared_phones_stores_them():
    assert phone_form("+86 138-0013-8000") == phone_form("13800138000") == "13800138000"
    assert phone_form(wide("010-12345678")) == "010-12345678"  # full-width digits, as an IME types them
    assert phone_form("not a phone") is None


def test_references_are_compared_in_upper_case_without_spaces():
    assert reference_form(" east-2026-000123 ") == "EAST-2026-000123"


def test_a_query_matches_the_terms_of_the_same_values_only():
    terms = KEY.terms({"name": "王 芳", "phone": "13800138000", "patient_name": "Li Lei", "patient_mrn": "A-1"})
    assert set(terms) == {"complainant_name", "phone", "patient_name", "patient_mrn"}
    assert terms["phone"] in KEY.candidates("138 0013 8000")
    assert terms["complainant_name"] in KEY.candidates("王芳")
    assert terms["patient_name"] in KEY.candidates("LI LEI")
    assert terms["patient_mrn"] in KEY.candidates("a1")
    assert not set(terms.values()) & set(KEY.candidates("王"))  # never a part


def test_kinds_and_keys_separate_the_digests():
    # an MRN that reads like a name never matches that name; another key gives other digests
    assert KEY.digest("name", "ab1") != KEY.digest("mrn", "ab1")
    assert SearchKey(b"x" * 32).terms({"name": "王芳"}) != KEY.terms({"name": "王芳"})
    assert KEY.key_id != SearchKey(b"x" * 32).key_id and len(KEY.key_id) == 16


def test_absent_or_unusable_values_give_no_terms():
    assert KEY.terms({"name": None, "phone": "12", "email": ""}) == {}


def test_a_short_key_is_refused():
    with pytest.raises(ValueError, match="INTAKE_SEARCH_KEY"):
        SearchKey(b"short")
