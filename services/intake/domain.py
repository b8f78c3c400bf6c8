"""Intake's rules, pure: what registering a complaint decides. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

RECEIVED = "received"


def reference(prefix: str, year: int, number: int) -> str:
    """Per campus and year, zero-padded so references sort: EAST-2026-000123."""
    return f"{prefix}-{year}-{number:06d}"


def reference_year(received_at: datetime, timezone: str) -> int:
    """The campus's local year of receipt (a complaint at 23:30 UTC on Dec 31 is already next year in Shanghai)."""
    return received_at.astimezone(ZoneInfo(timezone)).year


@dataclass(frozen=True)
class Registration:
    complaint_id: str
    reference: str
    complainant_ref: str | None
    event_data: dict[str, Any]


def register(command: dict[str, Any], complaint_id: str, ref: str, complainant_ref: str | None) -> Registration:
    """The ``ComplaintReceived`` a valid registration records (no personal data, no free text)."""
    has_contact = bool(not command["anonymous"] and command.get("complainant")
                       and any(command["complainant"].get(k) for k in ("phone", "email")))
    data = {
        "complaint_id": complaint_id,
        "reference": ref,
        "campus": command["campus"],
        "campuses": [command["campus"]],
        "channel": command["channel"],
        "category": command["category"],
        "severity": command["severity"],
        "source": command["source"],
        "departments": list(command["departments"]),
        "received_at": command["received_at"],
        "anonymous": command["anonymous"],
        "has_contact": has_contact,
    }
    for key in ("received_by", "receiving_department"):
        if command.get(key):
            data[key] = command[key]
    if complainant_ref:
        data["complainant_ref"] = complainant_ref
    if command.get("received_by"):
        data["actor"] = {"id": command["received_by"], "role": "first_contact"}
    return Registration(complaint_id, ref, complainant_ref, data)
