"""Issue 18 items 8: what the extension forms show before anyone submits (the campus's limit and the last day a
grant would give), the findings' sign-off checked against the department's configured heads, and the
hospital's department order."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.console import views
from services.investigation import domain, schemas
from shared.config import load_hospital
from shared.errors import InvalidField
from tests.unit.test_investigation_domain import (
    CAL,
    EXT,
    LIAISON,
    POLICY,
    WED_25,
    act,
    cst,
    ctx,
    findings,
    request_extension,
    story,
)


def test_the_preview_gives_the_last_day_for_each_number_of_days_the_campus_allows() -> None:
    case = story(("cardiology", "radiology"))  # investigations due Fri 27th November
    preview = domain.extension_preview(case, CAL, POLICY, WED_25)
    assert preview["max_days"] == 5
    # From the end of Fri 27th: Mon 30 (1), Tue 1 (2), Wed 2 (3), Thu 3 (4), Fri 4 (5): weekends skipped.
    expected = {"1": "2026-11-30", "2": "2026-12-01", "3": "2026-12-02", "4": "2026-12-03", "5": "2026-12-04"}
    assert preview["departments"] == {"cardiology": expected, "radiology": expected}
    assert preview["pending"] == {}


def test_the_preview_agrees_with_what_a_grant_then_gives() -> None:
    case = story()
    request_extension(case, days=3, now=WED_25)
    preview = domain.extension_preview(case, CAL, POLICY, WED_25)
    assert preview["departments"] == {}  # on hold: no second request until the office decides
    granted = domain.decide_extension(
        case, schemas.DecideExtension(granted=True, note=None, extension_id=EXT), ctx(WED_25)
    )
    assert preview["pending"] == {EXT: granted[0][1]["deadline"]["last_day"]} == {EXT: "2026-12-02"}


def test_the_preview_offers_nothing_once_the_deadline_passed_or_the_findings_are_in() -> None:
    late = story()
    assert domain.extension_preview(late, CAL, POLICY, cst(2026, 11, 28))["departments"] == {}
    done = story()
    findings(done)
    assert domain.extension_preview(done, CAL, POLICY, WED_25)["departments"] == {}


def test_a_campus_with_a_lower_limit_previews_only_that_many_days() -> None:
    case = story()
    preview = domain.extension_preview(case, CAL, {**POLICY, "extension_max_days": 2}, WED_25)
    assert preview["max_days"] == 2 and list(preview["departments"]["cardiology"]) == ["1", "2"]


# -- the request form's sentence (views.extension_result) --------------------------------------------------------

PREVIEW = {"max_days": 3, "departments": {"cardiology": {"1": "2026-11-30", "2": "2026-12-01", "3": "2026-12-02"}}}


@pytest.mark.parametrize(
    ("department", "days", "expected"),
    [
        ("cardiology", "2", (2, "2026-12-01", True)),
        ("cardiology", " 3 ", (3, "2026-12-02", True)),
        ("cardiology", "", (None, "2026-12-02", True)),  # nothing typed yet: the latest a grant can give
        ("cardiology", "4", (4, None, False)),  # beyond the limit
        ("cardiology", "0", (0, None, False)),
        ("radiology", "2", None),  # no department to count from
        ("", "2", None),
    ],
)
def test_the_request_form_shows_the_last_day_for_what_is_typed(
    department: str, days: str, expected: tuple[int | None, str | None, bool] | None
) -> None:
    assert views.extension_result(PREVIEW, department, days) == expected


# -- findings signed off by a configured head --------------------------------------------------------------------

HEADS = {"cardiology": ("east-cardiology-head",), "nursing": ("east-nursing-head", "east-nursing-deputy")}


def with_heads(now=WED_25):  # type: ignore[no-untyped-def]
    return replace(ctx(now, LIAISON), heads=HEADS)


def test_findings_signed_off_by_a_configured_head_are_accepted() -> None:
    case = story()
    command = schemas.SubmitFindings("cardiology", "no", "as planned", "east-cardiology-head")
    decision = domain.decide_findings(case, command, with_heads())
    assert decision[0][0] == "FindingsSubmitted" and decision[0][1]["signed_off_by"] == "east-cardiology-head"


@pytest.mark.parametrize("signer", ["east-nursing-head", "somebody", "east-cardiology-liaison", ""])
def test_findings_signed_off_by_anyone_else_name_the_field(signer: str) -> None:
    case = story()
    with pytest.raises(InvalidField) as invalid:
        domain.decide_findings(case, schemas.SubmitFindings("cardiology", "no", "s", signer), with_heads())
    assert list(invalid.value.errors) == ["signed_off_by"]
    assert "east-cardiology-head" in str(invalid.value)  # who may sign


def test_a_department_the_configuration_names_no_heads_for_is_not_checked() -> None:
    case = story(("radiology",))
    command = schemas.SubmitFindings("radiology", "no", "s", "whoever signed")
    assert domain.decide_findings(case, command, with_heads())[0][0] == "FindingsSubmitted"


def test_the_head_check_comes_after_the_state_and_assignment_rules() -> None:
    case = story()
    act(
        case,
        domain.decide_findings(
            case, schemas.SubmitFindings("cardiology", "no", "s", "east-cardiology-head"), with_heads()
        ),
        WED_25,
    )
    with pytest.raises(domain.Refused):  # twice: the refusal, not the signer, is what is wrong
        domain.decide_findings(case, schemas.SubmitFindings("cardiology", "no", "s", "nobody"), with_heads())


def test_the_demo_hospital_configures_a_head_for_every_department() -> None:
    hospital = load_hospital()
    for campus in hospital.campuses:
        for department in hospital.departments(campus):
            heads = hospital.department_heads(campus, department)
            assert [h["id"] for h in heads] == [f"{campus}-{department}-head"]
            assert hospital.person_name(heads[0]["id"], "zh-CN") and hospital.person_name(heads[0]["id"], "en")


# -- the hospital's department order ---------------------------------------------------------------------------


def test_departments_are_listed_in_the_configurations_order() -> None:
    hospital = load_hospital()
    order = ["cardiology", "radiology", "emergency", "pediatrics", "nursing", "billing_office"]
    assert hospital.department_order() == order
    assert hospital.in_order(["nursing", "cardiology", "billing_office", "nursing"]) == [
        "cardiology",
        "nursing",
        "billing_office",
    ]
    assert hospital.in_order(["zoo", "nursing", "astrology"]) == ["nursing", "astrology", "zoo"]  # unknown: last


def test_people_are_named_by_the_configuration_not_their_id() -> None:
    hospital = load_hospital()
    assert hospital.person_name("east-cardiology-liaison", "zh-CN") == "心内科投诉联络员（东院区）"
    assert hospital.person_name("east-office-head", "en") == "Head of the complaint office, East campus"
    assert hospital.person_name("lead-01", "zh-CN") == "院长"
    assert hospital.person_name("staff-0042", "zh-CN") is None


# -- the console's contact form (pages.action_call) --------------------------------------------------------------


def test_the_contact_form_sends_what_changed_and_clears_what_was_emptied() -> None:
    from werkzeug.datastructures import MultiDict

    from services.console import pages

    form = MultiDict(
        {"phone": " 139 1234 5678 ", "email": "", "postal_address": "", "had.email": "true", "had.phone": "true"}
    )
    service, path, body = pages.action_call("correct_contact", "cid", form)
    assert (service, path) == ("intake", "/complaints/cid/contact")
    # The typed phone goes as typed (intake normalises it); the e-mail on file was emptied: removed. The address
    # had no value and is still empty: not sent at all.
    assert body == {"phone": "139 1234 5678", "clear": ["email"]}


def test_the_contact_corrections_refusals_read_as_sentences() -> None:
    from services.console import i18n

    erased = {"error": "the personal data was erased: there are no contact details to correct", "state": "erased"}
    assert i18n.conflict("zh-CN", erased) == "个人信息已删除，没有可更正的联系方式。"
    anonymous = {"error": "an anonymous complaint has no contact details to correct", "state": "anonymous"}
    assert i18n.conflict("zh-CN", anonymous) == "匿名投诉没有可更正的联系方式。"
    not_own = {"error": "first-contact staff correct the contact details only of complaints they registered"}
    assert i18n.forbidden("zh-CN", not_own).startswith("首诉接待人员只能更正本人登记的投诉")
    assert i18n.field_message("zh-CN", "not a head of cardiology: choose one of east-cardiology-head") == (
        "请从所列的科室负责人中选择。"
    )


def test_the_case_follows_whether_the_complainant_can_be_reached() -> None:
    case = story(has_contact=False)
    assert not case.has_contact
    correction = {"has_contact": True, "corrected_at": "2026-11-25T02:00:00Z"}
    decision = domain.decide_contact_changed(case, correction, "0e1d2c3b-4a59-4687-9a6b-5c4d3e2f1a99")
    assert [t for t, _ in decision] == ["CaseContactChanged"] and decision[0][1]["has_contact"] is True
    act(case, decision, WED_25)
    assert case.has_contact
    # Reachable still (another number): nothing for the case to record.
    assert domain.decide_contact_changed(case, correction, "0e1d2c3b-4a59-4687-9a6b-5c4d3e2f1a98") == []
