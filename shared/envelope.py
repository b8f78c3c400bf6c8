"""CloudEvents 1.0 structured-mode envelope, exactly as CONTRACT §3 and §12.

Build one with :func:`new_event` (the store fills ``sequence`` and ``streamversion`` when it
appends), read one with :func:`parse`. Both validate ``data`` against the catalogue.

On the wire a message is a structured-mode CloudEvent: content type ``application/cloudevents+json``
(what the CloudEvents SDKs recognise), body the JSON object. Importing this module registers that
content type with kombu as the serializer ``cloudevents`` so kombu and nameko consumers decode it.
``dataschema`` is the absolute URI ``<schema base>complaints/<Type>/<version>`` (``COMPLAINTS_SCHEMA_BASE``,
default :data:`DEFAULT_SCHEMA_BASE`), the ``$id`` of the published JSON Schema.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import kombu.serialization
import orjson
from marshmallow import ValidationError

from shared import catalogue

SPECVERSION = "1.0"
SOURCE_PREFIX = "complaints/"
CONTENT_TYPE = "application/cloudevents+json"  # structured mode (CloudEvents JSON format)
KOMBU_SERIALIZER = "cloudevents"
DEFAULT_SCHEMA_BASE = "https://schemas.complaints.example/"
REQUIRED = (
    "specversion",
    "id",
    "type",
    "source",
    "subject",
    "time",
    "datacontenttype",
    "dataschema",
    "sequence",
    "streamversion",
    "correlationid",
    "causationid",
    "data",
)


class EnvelopeError(ValueError):
    """The message is not a valid event of the catalogue; ``errors`` names each bad field."""

    def __init__(self, errors: dict[str, Any]):
        super().__init__(json.dumps(errors, default=str, ensure_ascii=False))
        self.errors = errors


def source_of(service: str) -> str:
    return SOURCE_PREFIX + service


def schema_base() -> str:
    """Where the published schemas live (their ``$id`` prefix); always ends with '/'."""
    base = os.environ.get("COMPLAINTS_SCHEMA_BASE") or DEFAULT_SCHEMA_BASE
    return base if base.endswith("/") else base + "/"


def dataschema_of(event_type: str, version: int, base: str | None = None) -> str:
    return f"{schema_base() if base is None else base}complaints/{event_type}/{version}"


# Any base: a producer configured elsewhere is still read; the relative form of releases before §12 too.
_DATASCHEMA = re.compile(r"(?:^|^[a-z][a-z0-9+.-]*://\S*/)complaints/(?P<type>[A-Za-z0-9]+)/(?P<version>[1-9][0-9]*)$")


def version_in(dataschema: str, event_type: str) -> int | None:
    """The schema version a ``dataschema`` URI names for ``event_type``, or None if it names none."""
    match = _DATASCHEMA.match(dataschema)
    if match is None or match["type"] != event_type:
        return None
    return int(match["version"])


def _register_kombu_serializer() -> None:
    # json decoding for the CloudEvents content type, so consumers can accept=["json", "cloudevents"]
    kombu.serialization.register(
        KOMBU_SERIALIZER,
        lambda body: json.dumps(body, ensure_ascii=False),
        json.loads,
        content_type=CONTENT_TYPE,
        content_encoding="utf-8",
    )


_register_kombu_serializer()
ACCEPT = ["json", KOMBU_SERIALIZER]  # what our consumers accept (application/json from older relays too)


def utc_now() -> datetime:
    return datetime.now(UTC)


def rfc3339(moment: datetime) -> str:
    """UTC with a 'Z', microseconds only when there are any (as the catalogue normalises event data)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Envelope:
    id: str
    type: str
    source: str
    subject: str
    time: datetime
    data: dict[str, Any]
    schema_version: int = 1
    sequence: int = 0
    streamversion: int = 0
    correlationid: str = ""
    causationid: str = ""
    # Extension attributes (lower-case CloudEvents names), e.g. the acting subject.
    extensions: dict[str, Any] = field(default_factory=dict)
    # The hash of the event before this one in its source's log (an extension attribute).
    prevhash: str = ""

    @property
    def service(self) -> str:
        return self.source.removeprefix(SOURCE_PREFIX)

    @property
    def dataschema(self) -> str:
        return dataschema_of(self.type, self.schema_version)

    def with_position(self, sequence: int, streamversion: int, prevhash: str | None = None) -> Envelope:
        return replace(
            self,
            sequence=sequence,
            streamversion=streamversion,
            prevhash=self.prevhash if prevhash is None else prevhash,
        )

    def to_dict(self) -> dict[str, Any]:
        body = {
            "specversion": SPECVERSION,
            "id": self.id,
            "type": self.type,
            "source": self.source,
            "subject": self.subject,
            "time": rfc3339(self.time),
            "datacontenttype": "application/json",
            "dataschema": self.dataschema,
            "sequence": self.sequence,
            "streamversion": self.streamversion,
            "correlationid": self.correlationid,
            "causationid": self.causationid,
        }
        body.update(self.extensions)
        if self.sequence:  # placed in the log: "" for sequence 1, as the relay publishes it
            body["prevhash"] = self.prevhash
        body["data"] = self.data
        return body

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()


def new_event(
    service: str,
    event_type: str,
    subject: str,
    data: dict[str, Any],
    *,
    correlationid: str | None = None,
    causationid: str | None = None,
    time: datetime | None = None,
    extensions: dict[str, Any] | None = None,
) -> Envelope:
    """A new event owned by ``service``; ``data`` is validated (and normalised) by the catalogue."""
    owner = catalogue.owner_of(event_type)
    if owner != service:
        raise EnvelopeError({"type": [f"{event_type} is owned by {owner}, not {service}"]})
    version = catalogue.latest_version(event_type)
    try:
        clean = catalogue.validate_data(event_type, version, data)
    except ValidationError as exc:
        raise EnvelopeError({"data": exc.messages}) from exc
    event_id = str(uuid.uuid4())
    return Envelope(
        id=event_id,
        type=event_type,
        source=source_of(service),
        subject=subject,
        time=time or utc_now(),
        data=clean,
        schema_version=version,
        correlationid=correlationid or event_id,
        causationid=causationid or event_id,
        extensions=dict(extensions or {}),
    )


def _parse_time(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("time must carry a UTC offset")
    return moment


def parse(body: bytes | str | dict[str, Any]) -> Envelope:
    """Parse and validate a received structured CloudEvent; raises :class:`EnvelopeError`."""
    if isinstance(body, (bytes, str)):
        try:
            body = orjson.loads(body)  # the consumer's hot path: a third of json.loads' time
        except ValueError as exc:
            raise EnvelopeError({"_body": [f"not JSON: {exc}"]}) from exc
    if not isinstance(body, dict):
        raise EnvelopeError({"_body": ["a CloudEvent must be a JSON object"]})
    errors: dict[str, Any] = {f: ["missing"] for f in REQUIRED if f not in body}
    if errors:
        raise EnvelopeError(errors)
    if body["specversion"] != SPECVERSION:
        errors["specversion"] = [f"must be {SPECVERSION}"]
    if not str(body["source"]).startswith(SOURCE_PREFIX):
        errors["source"] = [f"must start with {SOURCE_PREFIX}"]
    for name in ("sequence", "streamversion"):
        if not isinstance(body[name], int) or isinstance(body[name], bool) or body[name] < 1:
            errors[name] = ["must be a positive integer"]
    try:
        moment = _parse_time(body["time"])
    except ValueError as exc:
        errors["time"] = [str(exc)]
    event_type = body["type"]
    version = version_in(str(body["dataschema"]), str(event_type)) or 0
    if not version:
        errors["dataschema"] = [f"must be {dataschema_of(event_type, 1).removesuffix('1')}<version>"]
    if not errors:
        try:
            owner = catalogue.owner_of(event_type)
            if source_of(owner) != body["source"]:
                errors["source"] = [f"{event_type} is published by {source_of(owner)}"]
            # Against the published schema; fields a newer producer added are tolerated.
            catalogue.check_received(event_type, version, body["data"])
            data = body["data"]
        except catalogue.UnknownEventType as exc:
            errors["type"] = [str(exc)]
        except ValidationError as exc:
            errors["data"] = exc.messages
    if errors:
        raise EnvelopeError(errors)
    known = set(REQUIRED)
    return Envelope(
        id=str(body["id"]),
        type=event_type,
        source=body["source"],
        subject=str(body["subject"]),
        time=moment,
        data=data,
        schema_version=version,
        sequence=body["sequence"],
        streamversion=body["streamversion"],
        correlationid=str(body["correlationid"]),
        causationid=str(body["causationid"]),
        extensions={k: v for k, v in body.items() if k not in known and k != "prevhash"},
        prevhash=str(body.get("prevhash", "")),
    )
