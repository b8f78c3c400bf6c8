"""The event catalogue: every event type of CONTRACT §3, its owner and its versioned schema.

Each owner declares its event types in its own module (:mod:`.intake`, :mod:`.investigation`,
:mod:`.notification`) from the building blocks of :mod:`.fields` and the value lists of
:mod:`.vocabularies`; :data:`EVENT_TYPES` here is their union, in contract order. ``data`` of an
event is a JSON object; :func:`validate_data` loads it through the schema (so every rule is checked)
and dumps it back, so what is stored and published is always the normalised JSON form:

* datetimes are RFC 3339 with an offset (``Z`` or ``+08:00``) on input and UTC ``Z`` on output;
* dates are ``YYYY-MM-DD``; ids are canonical lower-case UUID strings;
* money is a decimal string with two places (``"1200.00"``).

Conventions shared by every type (kept once, in :mod:`.fields`, as base schemas and field factories):

* ``complaint_id`` (UUID, required) and ``actor`` (optional ``{"id", "role"}``) on every event;
* no personal data ever: the complainant appears only as the opaque ``complainant_ref``;
  intake events carry no free text that could hold personal data; notes and reasons on
  office actions are bounded strings (``TEXT_MAX`` characters);
* optional fields may be absent or ``null``; the contract grows only by adding optional
  fields, so receivers validate with ``strict=False`` (unknown fields dropped) and producers
  with ``strict=True`` (unknown fields rejected).

:func:`json_schema` is the published JSON Schema (draft 2020-12) of a type's data, open for additive
change; :func:`strict_json_schema` is the closed form the producer's tests use (:mod:`.jsonschema`
makes both). A new version of a type is one more :func:`~.fields.declare` of the same name with
``version=2`` in its owner's module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

import fastjsonschema
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError

from shared.events import intake, investigation, jsonschema, notification
from shared.events.fields import EventType


class UnknownEventType(KeyError, ValueError):
    """The event type (or this version of it) is not in the catalogue."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class UnknownSchemaVersion(UnknownEventType):
    """The event type is known but not at this schema version."""


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------


def registry(declared: Iterable[EventType]) -> dict[str, EventType]:
    """The event types by name, in the order declared; the versions of one name merged into one entry."""
    types: dict[str, EventType] = {}
    for new in declared:
        known = types.get(new.name)
        if known is not None and (known.owner != new.owner or set(known.versions) & set(new.versions)):
            raise ValueError(f"{new.name} v{min(new.versions)} is already registered")
        versions = {**known.versions, **new.versions} if known else dict(new.versions)
        types[new.name] = EventType(name=new.name, owner=new.owner, versions=versions)
    return types


EVENT_TYPES: dict[str, EventType] = registry((*intake.TYPES, *investigation.TYPES, *notification.TYPES))


def event_type(name: str) -> EventType:
    try:
        return EVENT_TYPES[name]
    except (KeyError, TypeError):
        raise UnknownEventType(f"unknown event type {name!r}") from None


def owner_of(name: str) -> str:
    """The service that publishes ``name``: intake, investigation or notification."""
    return event_type(name).owner


def latest_version(name: str) -> int:
    return event_type(name).latest


def types_of(owner: str) -> list[str]:
    """Event types published by ``owner``, in contract order."""
    return [t.name for t in EVENT_TYPES.values() if t.owner == owner]


def _schema_class(name: str, version: int) -> type[Schema]:
    known = event_type(name)
    try:
        return known.versions[version]
    except (KeyError, TypeError):
        raise UnknownSchemaVersion(
            f"unknown schema version {version!r} of {name} (known: {sorted(known.versions)})"
        ) from None


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


@cache
def _schema(name: str, version: int, strict: bool) -> Schema:
    return _schema_class(name, version)(unknown=RAISE if strict else EXCLUDE)


def schema_for(name: str, version: int, *, strict: bool = True) -> Schema:
    """The marshmallow schema instance of ``name`` at ``version`` (shared; do not mutate)."""
    _schema_class(name, version)  # raise UnknownEventType before touching the cache
    return _schema(name, version, strict)


def validate_data(name: str, version: int, data: Any, strict: bool = True) -> dict[str, Any]:
    """Validate event ``data`` and return its normalised JSON-ready form.

    Raises :class:`marshmallow.ValidationError` (messages keyed by field) on bad data and
    :class:`UnknownEventType` for an unknown type or version. ``strict`` rejects unknown
    fields (producers); ``strict=False`` drops them (receivers of a newer producer).
    """
    schema = schema_for(name, version, strict=strict)
    return schema.dump(schema.load(data))


def check_received(name: str, version: int, data: Any) -> None:
    """Validate received event ``data`` against the published JSON Schema, tolerating fields a newer
    producer added. Much cheaper than a marshmallow load (the consumer's hot path); raises
    :class:`marshmallow.ValidationError` keyed by the field's path."""
    try:
        _receiving_validator(name, version)(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        path = ".".join(str(p) for p in exc.path[1:]) or "_schema"
        raise ValidationError({path: [exc.message.removeprefix("data.").removeprefix("data ")]}) from None


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@cache
def _receiving_validator(name: str, version: int) -> Callable[[Any], Any]:
    schema = json_schema(name, version)  # the published schema: open for additive change
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"  # what fastjsonschema compiles
    return fastjsonschema.compile(schema, formats={"uuid": _UUID.pattern}, use_default=False)


# --------------------------------------------------------------------------------------------
# JSON Schema of event data (made by .jsonschema)
# --------------------------------------------------------------------------------------------


def schema_id(name: str, version: int) -> str:
    """The ``$id`` of the published schema of ``name`` at ``version``: the events' ``dataschema`` (CONTRACT §12)."""
    from shared.envelope import dataschema_of  # envelope imports the catalogue

    return dataschema_of(name, version)


def strict_json_schema(name: str, version: int) -> dict[str, Any]:
    """The JSON Schema of the ``data`` of ``name`` at ``version`` with every object closed
    (``additionalProperties: false``): what the producer's own tests hold its events to."""
    _schema_class(name, version)  # raise UnknownEventType / UnknownSchemaVersion
    return jsonschema.closed_document(event_type(name), version, schema_id(name, version))


def json_schema(name: str, version: int) -> dict[str, Any]:
    """The published JSON Schema of the ``data`` of ``name`` at ``version``, for subscribers: open for additive
    change (CONTRACT §12), so a field a later release adds validates; everything declared is checked exactly."""
    return jsonschema.opened(strict_json_schema(name, version))


def all_json_schemas() -> dict[str, dict[str, Any]]:
    """Every published schema keyed by its ``$id`` (the ``dataschema`` of its events)."""
    out: dict[str, dict[str, Any]] = {}
    for known in EVENT_TYPES.values():
        for version in sorted(known.versions):
            out[schema_id(known.name, version)] = json_schema(known.name, version)
    return out
