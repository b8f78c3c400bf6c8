"""Reporting's HTTP boundary: every query string and body is loaded here; a bad one is a 400 naming
each bad field, before anything is read or written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.reporting import reports, statistics
from services.reporting.settings import CAMPUSES
from shared import catalogue

CLOCK_SKEW = timedelta(minutes=5)   # as intake allows for stated times
MAX_BUCKETS = reports.MAX_BUCKETS   # a series longer than this is not a report but a dump
FORMATS = ("json", "csv", "html")
LANGUAGES = ("zh-CN", "en")


class Strict(Schema):
    class Meta:
        unknown = RAISE


def _campus() -> fields.Field:
    return fields.String(load_default=None, validate=validate.OneOf(CAMPUSES, error="unknown campus; one of {choices}"))


def _as_of() -> fields.Field:
    return catalogue.UtcDateTime(load_default=None, metadata={"description": "RFC 3339 with an offset"})


def _not_future(data: dict[str, Any], errors: dict[str, list[str]]) -> None:
    as_of = data.get("as_of")
    if as_of is not None and as_of > datetime.now(UTC) + CLOCK_SKEW:
        errors.setdefault("as_of", []).append("lies in the future")


class Month(fields.String):
    """``YYYY-MM``, loaded as its :class:`statistics.Period`."""

    default_error_messages = {"invalid": "Not a month (YYYY-MM)."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> statistics.Period:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return statistics.month_period(text)
        except ValueError as exc:
            raise self.make_error("invalid") from exc


def _month_not_future(period: statistics.Period | None, errors: dict[str, list[str]]) -> None:
    if period is not None and period.start > datetime.now(UTC).date() + timedelta(days=1):
        errors.setdefault("month", []).append("lies in the future")


class SummaryQuery(Strict):
    from_ = catalogue.IsoDate(data_key="from", load_default=None)
    to = catalogue.IsoDate(load_default=None)
    campus = _campus()
    source = fields.String(load_default=None, validate=validate.OneOf(catalogue.SOURCES))
    granularity = fields.String(load_default=None, validate=validate.OneOf(statistics.GRANULARITIES))
    as_of = _as_of()

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        start, end = data.get("from_"), data.get("to")
        if start and end and start > end:
            errors["to"] = ["is before from"]
        elif start and end and data.get("granularity"):
            count = len(statistics.buckets(statistics.Period(start, end), data["granularity"]))
            if count > MAX_BUCKETS:
                errors["granularity"] = [f"{count} buckets; at most {MAX_BUCKETS}: choose a coarser one"]
        _not_future(data, errors)
        if errors:
            raise ValidationError(errors)


class MonthlyQuery(Strict):
    month = Month(required=True)
    campus = _campus()
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))
    lang = fields.String(load_default="zh-CN", validate=validate.OneOf(LANGUAGES))
    as_of = _as_of()
    version = fields.Integer(load_default=None, strict=False, validate=validate.Range(min=1),
                             metadata={"description": "a published version instead of the figures now"})

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        if data.get("version") is not None and data.get("as_of") is not None:
            errors["version"] = ["give either version (a publication) or as_of, not both"]
        _month_not_future(data.get("month"), errors)
        _not_future(data, errors)
        if errors:
            raise ValidationError(errors)


class PublishBody(Strict):
    """Who publishes is the caller (their token), never a field of the body."""

    month = Month(required=True)
    campus = _campus()

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        _month_not_future(data.get("month"), errors)
        if errors:
            raise ValidationError(errors)


class PublicationsQuery(Strict):
    month = Month(load_default=None)
    campus = _campus()


class FactsQuery(Strict):
    as_of = _as_of()

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        _not_future(data, errors)
        if errors:
            raise ValidationError(errors)


class RebuildBody(Strict):
    """Nothing to say yet; an empty object (or no body) starts a rebuild."""
