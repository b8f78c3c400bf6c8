"""Notification's HTTP boundary: the typed commands and queries its entrypoints declare (``body=`` /
``query=``), each a marshmallow schema that loads into a frozen dataclass."""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import RAISE, validate

from services.notification import domain
from shared import catalogue, fields
from shared.commands import CommandSchema


@dataclass(frozen=True)
class NotificationsOf:
    """GET /notifications: what was sent about one complaint."""

    complaint_id: str


class NotificationsQuery(CommandSchema):
    command = NotificationsOf

    class Meta:
        unknown = RAISE

    complaint_id = catalogue.CanonicalUUID(required=True)


@dataclass(frozen=True)
class LettersIn:
    """GET /letters: the letters in one status, on one campus or on every campus the caller sees."""

    status: str = domain.QUEUED
    campus: str | None = None


class LettersQuery(CommandSchema, fields.HospitalSchema):
    command = LettersIn

    campus = fields.campus_code()
    status = fields.Text(load_default=domain.QUEUED, validate=validate.OneOf((domain.QUEUED, domain.SENT)))


@dataclass(frozen=True)
class PostLetter:
    """POST /letters/<id>/posted: the office posted (or handed over) the letter."""

    note: str | None = None


class Posted(CommandSchema):
    command = PostLetter

    class Meta:
        unknown = RAISE

    note = fields.text()
