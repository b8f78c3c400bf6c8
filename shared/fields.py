"""Input fields for every service's HTTP schemas: the one place that says what a request's text, codes,
times and flags may hold (issue 11). ``scripts/contracts.py`` translates these into the published OpenAPI,
so the contract and the check cannot drift.

* :class:`Text` — any string from a caller (body field or query parameter): no NUL character (PostgreSQL
  cannot store it) and no unpaired UTF-16 surrogate (not a character; it cannot be encoded to UTF-8).
* :class:`NotBlank` — at least one character that is not white space.
* :class:`DateTime` — RFC 3339 with a UTC offset of at most ±15:59 (PostgreSQL's limit), that can be
  expressed in UTC (a date near year 1 or 9999 with an offset may not).
* :func:`campus_code` / :func:`department_code` — a code of the configured hospital (enum in the contract).
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from shared import catalogue, config, phones
from shared.config import Hospital

# NUL, and the surrogate range: JSON "\ud800" decodes to such a lone code point.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = "must not contain NUL characters or unpaired surrogates"
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)

StrictBoolean = catalogue.StrictBoolean  # JSON true/false only: "yes" and 1 are refused
FullMatch = catalogue.FullMatch  # the whole string must match (``$`` would let "…\n" through)

HOSPITAL_CODES = "hospital_codes"  # field metadata: which of the hospital's code lists the value is from
CAMPUS, DEPARTMENT = "campus", "department"


def check_storable(value: str) -> None:
    if _UNSTORABLE.search(value):
        raise ValidationError(UNSTORABLE_MESSAGE)


class Text(fields.String):
    """A caller's string that can be stored and echoed: see the module's docstring."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        check_storable(text)
        return text


class Email(fields.Email):
    """An e-mail address, storable like :class:`Text` (checked before the address pattern)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        check_storable(text)
        return text


class Phone(Text):
    """A mainland mobile or landline (shared/phones.py), loaded in its normalised form; anything else is
    refused with a message that says what to type."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("validate", FullMatch(phones.TYPED, error=phones.HINT_EN))
        kwargs.setdefault("metadata", {"description": "Mainland mobile or landline; " + phones.HINT_EN})
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        normalised = phones.normalise(text)
        if normalised is None:
            raise ValidationError(phones.HINT_EN)
        return normalised


class NotBlank(validate.Validator):
    """At least one character that is not white space (JSON Schema: ``pattern: \\S``)."""

    error = "must not be blank"
    pattern = r"\S"

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(self.error)
        return value


class DateTime(catalogue.UtcDateTime):
    """RFC 3339 date-time with an offset PostgreSQL accepts, representable in UTC."""

    default_error_messages = {
        **catalogue.UtcDateTime.default_error_messages,
        "offset": "UTC offset must lie within -15:59 and +15:59",
        "range": "out of range once expressed in UTC",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, str):
            check_storable(value)
        when = super()._deserialize(value, attr, data, **kwargs)
        offset = when.utcoffset()
        if offset is None or abs(offset) > MAX_UTC_OFFSET:
            raise self.make_error("offset")
        try:
            when.astimezone(UTC)
        except OverflowError:
            raise self.make_error("range") from None
        return when


def text(required: bool = False, max_length: int = catalogue.TEXT_MAX, **kwargs: Any) -> Text:
    """Bounded, non-blank text written by a person (staff or complainant)."""
    return Text(required=required, validate=[validate.Length(min=1, max=max_length), NotBlank()], **kwargs)


def ident(required: bool = False, max_length: int = catalogue.CODE_MAX, **kwargs: Any) -> Text:
    """A staff or system id: non-blank, bounded."""
    return Text(required=required, validate=[validate.Length(min=1, max=max_length), NotBlank()], **kwargs)


def campus_code(required: bool = False, **kwargs: Any) -> Text:
    """A campus of the configured hospital (:class:`HospitalSchema` adds the choices)."""
    return Text(
        required=required,
        validate=validate.Length(min=1, max=catalogue.CODE_MAX),
        metadata={HOSPITAL_CODES: CAMPUS},
        **kwargs,
    )


def department_code(required: bool = False, **kwargs: Any) -> Text:
    """A department of one of the configured hospital's campuses; whether it exists on the right campus is
    the service's check (it knows the complaint's campus)."""
    return Text(
        required=required,
        validate=validate.Length(min=1, max=catalogue.CODE_MAX),
        metadata={HOSPITAL_CODES: DEPARTMENT},
        **kwargs,
    )


@functools.cache
def _configured_hospital(path: str) -> Hospital:
    return config.load_hospital(Path(path))


def configured_hospital() -> Hospital:
    """The hospital the services run with (``HOSPITAL_CONFIG``), read once per path."""
    return _configured_hospital(str(config.hospital_config_path()))


def hospital_choices(hospital: Hospital) -> dict[str, list[str]]:
    return {
        CAMPUS: sorted(hospital.campuses),
        DEPARTMENT: sorted({d for campus in hospital.campuses for d in hospital.departments(campus)}),
    }


class HospitalSchema(Schema):
    """A strict schema whose campus and department codes are limited to the configured hospital's, as a
    ``OneOf`` on the field itself: the published OpenAPI reads the same validator (an enum)."""

    class Meta:
        unknown = RAISE

    def __init__(self, hospital: Hospital | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.hospital = hospital or configured_hospital()
        choices = hospital_choices(self.hospital)
        for field in self.fields.values():
            _restrict(field, choices)


def _restrict(field: fields.Field, choices: dict[str, list[str]]) -> None:
    if isinstance(field, fields.List):
        _restrict(field.inner, choices)
        return
    codes = field.metadata.get(HOSPITAL_CODES)
    if codes is not None:
        field.validators = [*field.validators, validate.OneOf(choices[codes])]
