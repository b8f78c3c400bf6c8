"""The JSON Schema (draft 2020-12) of event data, made by walking an event's marshmallow schema: what
subscribers validate against (``contracts/events/``) and what the consumer checks received events with.

A field or validator the walk cannot translate faithfully makes it raise rather than publish a looser schema.
Cross-field rules JSON Schema cannot express (``campus`` must be one of ``campuses``) are stated in the field's
``description``; rules it can (a first-reply deadline has no department) come from a schema's
``json_schema_extra``. The entry points by event type and version (:func:`shared.events.json_schema`,
:func:`shared.events.strict_json_schema`) look the schema up in the registry and call :func:`closed_document`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import Schema, fields, validate
from marshmallow.utils import missing

from shared.events.fields import MONEY_PATTERN, EventType, FullMatch, Money, Null, Unique

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def closed_document(known: EventType, version: int, schema_id: str) -> dict[str, Any]:
    """The JSON Schema document of the data of ``known`` at ``version`` with every object closed
    (``additionalProperties: false``); :func:`opened` makes the published form of it."""
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": schema_id,
        "title": f"{known.name} v{version} data",
        "x-owner": known.owner,
        **object_schema(known.versions[version]),
    }


def opened(node: Any) -> Any:
    """Drop ``additionalProperties: false`` everywhere (a value schema of a map stays)."""
    if isinstance(node, dict):
        return {k: opened(v) for k, v in node.items() if not (k == "additionalProperties" and v is False)}
    if isinstance(node, list):
        return [opened(v) for v in node]
    return node


def object_schema(schema: type[Schema]) -> dict[str, Any]:
    declared: Mapping[str, fields.Field] = schema._declared_fields
    properties: dict[str, Any] = {}
    required: list[str] = []
    for attr, field in declared.items():
        key = field.data_key or attr
        properties[key] = field_schema(field)
        if field.required:
            required.append(key)
    out: dict[str, Any] = {"type": "object"}
    doc = (schema.__doc__ or "").strip()
    if doc:
        out["description"] = doc
    out.update({"properties": properties, "required": required, "additionalProperties": False})
    for klass in reversed(schema.__mro__):
        extra = getattr(klass, "json_schema_extra", None)
        if extra and "json_schema_extra" in vars(klass):
            out.update(copy.deepcopy(extra))
    return out


def field_schema(field: fields.Field) -> dict[str, Any]:
    out = _base_type(field)
    for validator in field.validators:
        apply_validator(out, validator, field)
    description = field.metadata.get("description")
    if description:
        out["description"] = description
    default = field.load_default
    if default is not missing:
        value = default() if callable(default) else default
        out["default"] = None if value is None else field._serialize(value, None, None)
    if field.allow_none and out.get("type") != "null":
        out = _nullable(out)
    return out


def _base_type(field: fields.Field) -> dict[str, Any]:
    if isinstance(field, Null):
        return {"type": "null"}
    if isinstance(field, fields.Nested):
        nested = field.nested
        if not (isinstance(nested, type) and issubclass(nested, Schema)):
            raise TypeError(f"json_schema: Nested fields must name a Schema class, not {nested!r}")
        inner = object_schema(nested)
        return {"type": "array", "items": inner} if field.many else inner
    if isinstance(field, fields.List):
        return {"type": "array", "items": field_schema(field.inner)}
    if isinstance(field, fields.Dict):
        out: dict[str, Any] = {"type": "object"}
        if field.key_field is not None:
            out["propertyNames"] = field_schema(field.key_field)
        if field.value_field is not None:
            out["additionalProperties"] = field_schema(field.value_field)
        return out
    if isinstance(field, Money):
        return {"type": "string", "pattern": f"^(?:{MONEY_PATTERN})$"}
    if isinstance(field, fields.Boolean):
        return {"type": "boolean"}
    if isinstance(field, fields.Integer):
        return {"type": "integer"}
    if isinstance(field, fields.Decimal) and not field.as_string:
        return {"type": "number"}
    if isinstance(field, fields.Float):
        return {"type": "number"}
    if isinstance(field, fields.UUID):  # before String: UUID subclasses it
        return {"type": "string", "format": "uuid"}
    if isinstance(field, fields.DateTime):
        return {"type": "string", "format": "date-time"}
    if isinstance(field, fields.Date):
        return {"type": "string", "format": "date"}
    if isinstance(field, fields.String):
        return {"type": "string"}
    raise TypeError(f"json_schema: no faithful translation for field {type(field).__name__}")


def apply_validator(
    out: dict[str, Any], validator: Callable[..., Any], field: fields.Field | None = None, strict: bool = True
) -> None:
    """Translate a marshmallow validator into JSON Schema keywords on ``out``. ``strict`` (event schemas,
    which must be faithful) refuses a validator it cannot translate; otherwise (HTTP request schemas) such a
    check — a plain function, a lookup in the hospital's configuration — simply stays server-side."""
    kind = out.get("type")
    if isinstance(validator, validate.OneOf):
        out["enum"] = list(validator.choices)
    elif isinstance(validator, validate.Length):
        low, high = ("minItems", "maxItems") if kind == "array" else ("minLength", "maxLength")
        if validator.equal is not None:
            out[low] = out[high] = validator.equal
        else:
            if validator.min is not None and validator.min > 0:
                out[low] = validator.min
            if validator.max is not None:
                out[high] = validator.max
    elif isinstance(validator, validate.Range) and (kind in ("integer", "number") or not strict):
        if validator.min is not None:
            out["minimum" if validator.min_inclusive else "exclusiveMinimum"] = validator.min
        if validator.max is not None:
            out["maximum" if validator.max_inclusive else "exclusiveMaximum"] = validator.max
    elif isinstance(validator, FullMatch):
        out["pattern"] = f"^(?:{validator.regex.pattern})$"
    elif isinstance(validator, validate.Regexp):
        pattern = validator.regex.pattern  # marshmallow matches from the start: anchor it there too
        out["pattern"] = pattern if pattern.startswith("^") else f"^(?:{pattern})"
    elif isinstance(validator, Unique):
        out["uniqueItems"] = True
    elif isinstance(validator, validate.Equal):
        out["const"] = validator.comparable
    elif strict:
        raise TypeError(f"json_schema: no faithful translation for validator {validator!r} on {field!r}")


def _nullable(out: dict[str, Any]) -> dict[str, Any]:
    if isinstance(out.get("type"), str) and out["type"] != "object":
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [out, {"type": "null"}]}
