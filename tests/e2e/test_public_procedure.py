"""CONTRACT §10 (issue 17 item 4): ``GET /public/complaint-procedure?campus=&lang=`` without a token, an HTML
page fit to print from the hospital configuration, in both languages; unknown campus or language is a 400
naming the field; every configured string is escaped (a second intake process runs with a configuration
whose strings hold markup)."""

from __future__ import annotations

import json
import os

import pytest
import requests

from shared.config import hospital_config_path, load_hospital
from tests.e2e.conftest import ServiceProcess

pytestmark = pytest.mark.e2e
PATH = "/public/complaint-procedure"
SCRIPT = "<script>alert(1)</script>"


def fetch(base: str, **params: str) -> requests.Response:
    return requests.get(f"{base}{PATH}", params=params, timeout=10)  # no Authorization header at all


@pytest.mark.parametrize(
    "lang, expected",
    [
        (
            "zh-CN",
            ["投诉程序", "门诊楼一层", "5 个工作日", "10 个工作日", "人民调解委员会", "12320", "+86 10 0000 0001"],
        ),
        ("en", ["The procedure", "Outpatient building", "5 working days", "10 working days", "mediation", "12320"]),
    ],
)
def test_the_page_is_served_without_a_token_in_both_languages(stack, lang, expected):
    response = fetch(stack.intake.url, campus="east", lang=lang)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.text
    assert page.startswith("<!DOCTYPE html>") and f'lang="{lang}"' in page
    for text in expected:
        assert text in page, text
    hospital = load_hospital()
    assert hospital.campus_name("east", lang) in page


def test_each_campus_shows_its_own_place_and_the_campus_language_is_the_default(stack):
    west = fetch(stack.intake.url, campus="west", lang="zh-CN")
    assert west.status_code == 200 and "住院楼二层" in west.text and "门诊楼一层" not in west.text
    language = load_hospital().campuses["west"]["language"]
    assert f'lang="{language}"' in fetch(stack.intake.url, campus="west").text  # the campus's own language


@pytest.mark.parametrize(
    "params, field",
    [
        ({"campus": "north", "lang": "en"}, "campus"),
        ({"lang": "en"}, "campus"),
        ({"campus": "east", "lang": "fr"}, "lang"),
        ({"campus": "east", "lang": ""}, "lang"),
        ({"campus": "east", "colour": "red"}, "colour"),
    ],
)
def test_unknown_campus_or_language_is_a_400_naming_the_field(stack, params, field):
    response = fetch(stack.intake.url, **params)
    assert response.status_code == 400, response.text
    assert set(response.json()["errors"]) == {field}


def test_a_token_is_not_needed_even_a_bad_one_is_ignored(stack):
    response = requests.get(
        f"{stack.intake.url}{PATH}", params={"campus": "east"}, headers={"Authorization": "Bearer nonsense"}, timeout=10
    )
    assert response.status_code == 200


@pytest.fixture
def marked_up_intake(stack, tmp_path):
    """A second intake process whose configuration holds markup in every string the page shows."""
    raw = json.loads(hospital_config_path().read_text(encoding="utf-8"))
    east = raw["campuses"]["east"]
    east["names"] = {"zh-CN": f"东院{SCRIPT}", "en": f"East{SCRIPT}"}
    east["complaint_procedure"] = {
        "place": {"zh-CN": f"一层{SCRIPT}", "en": f"Ground floor{SCRIPT}"},
        "reception_hours": f"8-17{SCRIPT}",
        "phone": f"123{SCRIPT}",
        "email": f"a@b.example{SCRIPT}",
        "mediation_committee": {"name": f"Committee{SCRIPT}", "phone": f"456{SCRIPT}", "address": f"Road{SCRIPT}"},
        "health_authority": {"name": {"en": f"Commission{SCRIPT}"}, "hotline": f"12320{SCRIPT}"},
    }
    path = tmp_path / "hospital.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    process = ServiceProcess("intake", port=int(os.environ["INTAKE_PORT"]) + 6, env={"HOSPITAL_CONFIG": str(path)})
    process.start()
    try:
        yield process
    finally:
        process.stop()


def test_every_configured_string_is_escaped(marked_up_intake):
    for lang in ("zh-CN", "en"):
        response = fetch(marked_up_intake.url, campus="east", lang=lang)
        assert response.status_code == 200, response.text
        assert "<script" not in response.text
        # all eight configured strings are shown, escaped (plus the campus name in the title and heading)
        assert response.text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 9
