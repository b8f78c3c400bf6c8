"""Reporting's HTTP boundary: every query string and body is loaded here into a frozen dataclass
(``shared.commands.CommandSchema``, declared on the entrypoint with ``query=`` / ``body=``); a bad one
is a 400 naming each bad field, before anything is read or written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.reporting import domain, queries
from services.reporting.domain import Period
from services.reporting.settings import CAMPUSES, timezone_of
from shared import catalogue
from shared.commands import CommandSchema

CLOCK_SKEW = timedelta(minutes=5)  # as intake allows for stated times
FORMATS = ("json", "csv", "html", "xlsx")
LANGUAGES = ("zh-CN", "en")


class Strict(Schema):
    class Meta:
        unknown = RAISE


@dataclass(frozen=True)
class SummaryParams:
    from_: date | None = None
    to: date | None = None
    campus: str | None = None  # None: group-wide (the caller's scope decides: service._scope)
    source: str | None = None
    granularity: str | None = None  # None: the period's default
    as_of: datetime | None = None


@dataclass(frozen=True)
class MonthlyParams:
    month: Period
    campus: str | None = None
    format: str = "json"
    lang: str = "zh-CN"
    as_of: datetime | None = None
    version: int | None = None  # a published version instead of the figures now
    printable: bool = False  # html: the page to print (the daily values' table open)


@dataclass(frozen=True)
class Publish:
    month: Period
    campus: str | None = None


@dataclass(frozen=True)
class PublicationsParams:
    month: Period | None = None
    campus: str | None = None
    lang: str | None = None  # given: each change also has its figure's name (label) in that language


@dataclass(frozen=True)
class FactsParams:
    as_of: datetime | None = None


def _campus() -> fields.Field:
    return fields.String(load_default=None, validate=validate.OneOf(CAMPUSES, error="unknown campus; one of {choices}"))


# The earliest moment a report may be asked as of: its local day is a reportable day in every zone.
EARLIEST_AS_OF = datetime.combine(domain.FIRST_DAY + timedelta(days=1), datetime.min.time(), UTC)
MAX_OFFSET = timedelta(hours=15, minutes=59)  # what PostgreSQL's timestamptz accepts


class AsOf(catalogue.UtcDateTime):
    """A past moment, RFC 3339 with an offset PostgreSQL accepts, in the years a report covers."""

    default_error_messages = {
        "offset": "UTC offset beyond ±15:59.",
        "range": f"Not between {EARLIEST_AS_OF:%Y-%m-%dT%H:%M:%SZ} and now.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        offset = moment.utcoffset() or timedelta(0)
        if abs(offset) > MAX_OFFSET:
            raise self.make_error("offset")
        # years first: comparing a moment of year 1 or 9999 with another zone's would overflow
        if not domain.FIRST_DAY.year <= moment.year <= domain.LAST_DAY.year or moment < EARLIEST_AS_OF:
            raise self.make_error("range")
        return moment


def _as_of() -> fields.Field:
    return AsOf(load_default=None, metadata={"description": "RFC 3339 with an offset"})


def _reportable(day: date) -> None:
    if not domain.FIRST_DAY <= day <= domain.LAST_DAY:
        raise ValidationError(f"outside the days a report covers ({domain.FIRST_DAY} to {domain.LAST_DAY})")


def _day(**kwargs: Any) -> fields.Field:
    return catalogue.IsoDate(
        load_default=None,
        validate=_reportable,
        **kwargs,
        metadata={"description": f"a local date, {domain.FIRST_DAY} to {domain.LAST_DAY}"},
    )


def _not_future(data: dict[str, Any], errors: dict[str, list[str]]) -> None:
    as_of = data.get("as_of")
    if as_of is not None and as_of > datetime.now(UTC) + CLOCK_SKEW:
        errors.setdefault("as_of", []).append("lies in the future")


class Month(fields.String):
    """``YYYY-MM``, loaded as its :class:`domain.Period`."""

    default_error_messages = {"invalid": "Not a month (YYYY-MM)."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Period:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            period = domain.month_period(text)
        except ValueError as exc:
            raise self.make_error("invalid") from exc
        if domain.limits(period, "day"):
            raise ValidationError(
                f"outside the days a report covers ({domain.FIRST_DAY:%Y-%m} to {domain.LAST_DAY:%Y-%m})"
            )
        return period


def _month_not_future(data: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """A month not begun yet on the campus asked for (group-wide: in the group's zone)."""
    period = data.get("month")
    if period is not None and period.start > queries.today(None, timezone_of(data.get("campus"))):
        errors.setdefault("month", []).append("lies in the future")


class SummaryQuery(Strict, CommandSchema):
    command = SummaryParams

    from_ = _day(data_key="from")
    to = _day()
    campus = _campus()
    source = fields.String(load_default=None, validate=validate.OneOf(catalogue.SOURCES))
    granularity = fields.String(load_default=None, validate=validate.OneOf(domain.GRANULARITIES))
    as_of = _as_of()

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        start, end = data.get("from_"), data.get("to")
        if start and end and start > end:
            errors["to"] = ["is before from"]
        # the period's length and its buckets: reports.summary_request, once the defaults are known
        _not_future(data, errors)
        if errors:
            raise ValidationError(errors)


class MonthlyQuery(Strict, CommandSchema):
    command = MonthlyParams

    month = Month(required=True)
    campus = _campus()
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))
    lang = fields.String(load_default="zh-CN", validate=validate.OneOf(LANGUAGES))
    as_of = _as_of()
    version = fields.Integer(
        load_default=None,
        strict=False,
        validate=validate.Range(min=1),
        metadata={"description": "a published version instead of the figures now"},
    )
    printable = fields.Boolean(
        load_default=False, metadata={"description": "html: the page to print (the daily values' table open)"}
    )

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        if data.get("version") is not None and data.get("as_of") is not None:
            errors["version"] = ["give either version (a publication) or as_of, not both"]
        _month_not_future(data, errors)
        _not_future(data, errors)
        if errors:
            raise ValidationError(errors)


class PublishBody(Strict, CommandSchema):
    """Who publishes is the caller (their token), never a field of the body."""

    command = Publish

    month = Month(required=True)
    campus = _campus()

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        _month_not_future(data, errors)
        if errors:
            raise ValidationError(errors)


class PublicationsQuery(Strict, CommandSchema):
    command = PublicationsParams

    month = Month(load_default=None)
    campus = _campus()
    lang = fields.String(
        load_default=None,
        validate=validate.OneOf(LANGUAGES),
        metadata={"description": "each change also named (label) in this language"},
    )


class FactsQuery(Strict, CommandSchema):
    command = FactsParams

    as_of = _as_of()

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        _not_future(data, errors)
        if errors:
            raise ValidationError(errors)


class RebuildBody(Strict):
    """Nothing to say yet; an empty object (or no body) starts a rebuild."""


DOSSIER_FORMATS = ("json", "pdf")
STAFF_FORMATS = ("json", "csv")


@dataclass(frozen=True)
class DossierParams:
    format: str = "json"
    lang: str = "zh-CN"


class DossierQuery(Strict, CommandSchema):
    command = DossierParams

    format = fields.String(load_default="json", validate=validate.OneOf(DOSSIER_FORMATS))
    lang = fields.String(load_default="zh-CN", validate=validate.OneOf(LANGUAGES))


@dataclass(frozen=True)
class StaffParams:
    from_: date | None = None  # None: 1 January of the current year (the annual appraisal), local
    to: date | None = None  # None: today, local
    campus: str | None = None
    format: str = "json"


class StaffQuery(Strict, CommandSchema):
    command = StaffParams

    from_ = _day(data_key="from")
    to = _day()
    campus = _campus()
    format = fields.String(load_default="json", validate=validate.OneOf(STAFF_FORMATS))

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("from_"), data.get("to")
        if start and end and start > end:
            raise ValidationError({"to": ["is before from"]})
