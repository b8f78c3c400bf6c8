"""The published OpenAPI says what the services check (issue 11 item 10): codes of the configured hospital
as enums, not-blank text, strict formats, and no ``null`` where the service refuses it."""

from __future__ import annotations

import pytest
import yaml

from scripts import contracts
from shared import config
from shared.fields import hospital_choices

HOSPITAL = config.load_hospital()
CHOICES = hospital_choices(HOSPITAL)


def document(service: str) -> dict:
    return yaml.safe_load((config.ROOT / contracts.OPENAPI_DIR / f"{service}.yaml").read_text(encoding="utf-8"))


def test_registration_publishes_the_codes_and_patterns_intake_validates_with():
    schemas = document("intake")["components"]["schemas"]
    register = schemas["NewComplaint"]["properties"]
    assert register["campus"]["enum"] == CHOICES["campus"] == sorted(HOSPITAL.campuses)
    assert register["departments"]["items"]["enum"] == CHOICES["department"]
    assert register["summary"]["minLength"] == 1 and register["summary"]["pattern"] == r"\S"
    assert register["anonymous"]["type"] == "boolean"
    phone = register["complainant"]["anyOf"][0]["properties"]["phone"]["pattern"]
    assert phone.startswith("^(?:") and phone.endswith(")$")
    assert schemas["NotAccepted"]["properties"]["duplicate_of"] == {"type": "string", "format": "uuid"}


@pytest.mark.parametrize(
    ("service", "schema", "field"),
    [
        ("investigation", "Findings", "summary"),
        ("investigation", "Findings", "signed_off_by"),
        ("investigation", "Escalation", "reason"),
        ("investigation", "ExtensionDecision", "note"),
        ("intake", "Withdraw", "reason"),
        ("intake", "Reclassify", "note"),
        ("notification", "Posted", "note"),
    ],
)
def test_person_written_text_is_published_as_not_blank(service, schema, field):
    published = document(service)["components"]["schemas"][schema]["properties"][field]
    assert published["minLength"] == 1 and published["pattern"] == r"\S"


def test_query_codes_are_enums_of_the_hospital():
    cases = document("investigation")["paths"]["/cases"]["get"]["parameters"]
    by_name = {p["name"]: p["schema"] for p in cases}
    assert by_name["campus"]["enum"] == CHOICES["campus"]
    assert by_name["department"]["enum"] == CHOICES["department"]
    letters = document("notification")["paths"]["/letters"]["get"]["parameters"]
    assert {p["name"]: p["schema"] for p in letters}["campus"]["enum"] == CHOICES["campus"]
