"""The dossier (立卷归档, CONTRACT §9): one complaint's whole record, gathered at the moment it is asked for
from every event owner's own log (``GET /events?subject=``), with each event's position and chain hash and
each log's head, so an auditor can prove the record complete and unaltered (``shared.verify_log``).

Reporting serves it (docs/decisions.md, "The dossier"): it already reads every source, holds no log of its
own to mix in, and asks the owners over their published HTTP API rather than trusting its copy. Gathering is
``gather``; everything after it is pure (``assemble``): events in, the dossier document out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import requests

from shared import config
from shared.auth import authenticator
from shared.envelope import Envelope, rfc3339, version_in
from shared.eventstore import chain_hash
from shared.web import HttpError

EVENT_OWNERS = ("intake", "investigation", "notification")  # every service with a log (reporting has none)
PAGE = 1000  # events per request; a complaint has a few dozen

# The sections of the record, by event type. A type not named here (e.g. one added later) still appears in
# the timeline, rendered generically: type, time, actor, data.
SECTIONS: dict[str, tuple[str, ...]] = {
    "classification": ("ComplaintReceived", "ComplaintReclassified", "CaseReclassified"),
    "feedback": ("InterimFeedbackIssued",),
    "replies": ("ReplyIssued", "ReplySent", "ReplyDeliveryRecorded", "ReplyDeliveryFailed"),
    "findings": ("FindingsSubmitted",),
    "rectifications": ("RectificationOrdered", "RectificationCompleted"),
    "disputes": ("DisputeRecorded", "DisputeRouteChanged", "DisputeSettled", "PoliceNotified"),
    "seals": ("RecordsSealed", "RecordsUnsealed"),
    "authority_reports": ("DisputeReportedToAuthority",),
    "attachments": ("AttachmentAdded",),
}
REGISTERED = frozenset({"ComplaintReceived"})  # intake's first event: without it the complaint is unknown
CLOSING = ("ComplaintClosed", "CaseEnded", "ComplaintResolvedOnSpot", "ComplaintNotAccepted", "ComplaintWithdrawn")


class SourceUnavailable(HttpError):
    """An event owner did not answer: a dossier missing one log would not be the whole record (503)."""

    status = 503


@dataclass(frozen=True)
class Trail:
    """One owner's events of the complaint, and its log's head when they were read."""

    service: str
    events: list[dict[str, Any]]
    head_sequence: int
    head_hash: str


Fetch = Callable[[str, Mapping[str, Any]], Mapping[str, Any]]  # (service, query) -> GET /events's answer


def http_fetch(urls: Mapping[str, str], headers: Callable[[], dict[str, str]], timeout: float = 10.0) -> Fetch:
    def fetch(service: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
        try:
            response = requests.get(f"{urls[service]}/events", params=params, headers=headers(), timeout=timeout)
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError) as exc:
            raise SourceUnavailable(f"{service}'s log could not be read: {exc}") from exc

    return fetch


def owners_fetch() -> Fetch:
    """Reads the event owners' logs as reporting (its own service token: the whole log, every campus)."""
    return http_fetch(
        {s: config.service_url(s) for s in EVENT_OWNERS},
        lambda: {"Authorization": f"Bearer {authenticator().service_token('reporting')}"},
    )


def gather(fetch: Fetch, complaint_id: str, services: Iterable[str] = EVENT_OWNERS) -> list[Trail]:
    """Every owner's events of the complaint, page by page. Each page and its head are one snapshot of that
    log (shared.runtime.EventLog), so the last, short page's head covers every event of the stream before it."""
    trails = []
    for service in services:
        events: list[dict[str, Any]] = []
        while True:
            after = events[-1]["sequence"] if events else 0
            answer = fetch(service, {"subject": complaint_id, "after": after, "limit": PAGE})
            events.extend(answer["events"])
            if len(answer["events"]) < PAGE:
                break
        trails.append(Trail(service, events, int(answer["head"]), str(answer.get("head_hash", ""))))
    return trails


def event_hash(body: Mapping[str, Any]) -> str:
    """The chain hash of an event as its owner stored it, recomputed from the published envelope."""
    known = {"specversion", "id", "type", "source", "subject", "time", "datacontenttype", "dataschema"}
    known |= {"sequence", "streamversion", "correlationid", "causationid", "prevhash", "data"}
    envelope = Envelope(
        id=str(body["id"]),
        type=str(body["type"]),
        source=str(body["source"]),
        subject=str(body["subject"]),
        time=datetime.fromisoformat(str(body["time"])),
        data=dict(body["data"]),
        schema_version=version_in(str(body["dataschema"]), str(body["type"])) or 1,
        sequence=int(body["sequence"]),
        streamversion=int(body["streamversion"]),
        correlationid=str(body.get("correlationid", "")),
        causationid=str(body.get("causationid", "")),
        extensions={k: v for k, v in body.items() if k not in known},
    )
    return chain_hash(str(body.get("prevhash", "")), envelope)


@dataclass
class _Deadline:
    kind: str
    department: str | None
    rectification_id: str | None
    current: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    breached_at: str | None = None
    met_at: str | None = None


@dataclass(frozen=True)
class Context:
    """What the dossier states about itself: when and for whom it was made, and how long it is kept."""

    generated_at: datetime
    generated_by: dict[str, str]
    retention_years: int
    timezone: str


def assemble(complaint_id: str, trails: Sequence[Trail], context: Context) -> dict[str, Any] | None:
    """The dossier document; None when no log knows the complaint."""
    timeline = sorted(
        (_entry(trail.service, body) for trail in trails for body in trail.events),
        key=lambda e: (e["time"], e["service"], e["sequence"]),
    )
    registered = next((e for e in timeline if e["type"] in REGISTERED), None)
    if registered is None:
        return None
    data = registered["data"]
    return {
        "complaint_id": complaint_id,
        "reference": data.get("reference"),
        "classification": _classification_now(timeline),
        "campuses": sorted(_campuses(timeline)),
        "generated_at": rfc3339(context.generated_at),
        "generated_by": context.generated_by,
        "retention": _retention(timeline, context),
        "registration": data,
        "sections": {name: [e for e in timeline if e["type"] in types] for name, types in SECTIONS.items()},
        "deadlines": _deadlines(timeline),
        "timeline": timeline,
        "logs": {trail.service: _log_proof(trail) for trail in trails},
        "verification": (
            "Each event's hash is SHA-256 over the previous event's hash of the same log (prevhash) and the "
            "event's canonical JSON (shared.eventstore.chain_hash). python -m shared.verify_log <service> "
            "checks the whole log up to its head; the head named here must lie on that chain."
        ),
    }


def _entry(service: str, body: Mapping[str, Any]) -> dict[str, Any]:
    data = dict(body["data"])
    return {
        "service": service,
        "sequence": int(body["sequence"]),
        "stream_version": int(body["streamversion"]),
        "event_id": str(body["id"]),
        "type": str(body["type"]),
        "time": str(body["time"]),
        "actor": data.get("actor"),
        "data": data,
        "prevhash": str(body.get("prevhash", "")),
        "hash": event_hash(body),
    }


def _log_proof(trail: Trail) -> dict[str, Any]:
    return {
        "head": {"sequence": trail.head_sequence, "hash": trail.head_hash},
        "events": [{"sequence": int(e["sequence"]), "hash": event_hash(e)} for e in trail.events],
        "count": len(trail.events),
    }


def _classification_now(timeline: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The classification after the last reclassification (intake's record is the owner's)."""
    now: dict[str, Any] = {}
    for entry in timeline:
        classify = _CLASSIFIES.get(entry["type"])
        if classify is not None:
            now = classify(entry["data"])
    return now


_CLASSIFIES: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "ComplaintReceived": lambda data: {k: data.get(k) for k in ("category", "severity", "departments", "campuses")},
    "ComplaintReclassified": lambda data: dict(data["current"]),
}


def _campuses(timeline: Sequence[Mapping[str, Any]]) -> set[str]:
    """Every campus the complaint has concerned: who covers one of them may read the record."""
    found: set[str] = set()
    for entry in timeline:
        data = entry["data"]
        for value in (data.get("campus"), *(data.get("campuses") or ())):
            if isinstance(value, str):
                found.add(value)
        for key in ("previous", "current"):
            if isinstance(data.get(key), dict):
                found.update(data[key].get("campuses") or ())
    return found


def _retention(timeline: Sequence[Mapping[str, Any]], context: Context) -> dict[str, Any]:
    """Kept ``retention_years`` from the day the complaint was last closed (local day); while open, the
    period has not begun. Nothing is deleted by the product: the date says when the hospital may."""
    closed = [e["time"] for e in timeline if e["type"] in CLOSING]
    last_closed = _local_day(closed[-1], context.timezone) if closed else None
    return {
        "archive_retention_years": context.retention_years,
        "counted_from": last_closed.isoformat() if last_closed else None,
        "kept_until": _years_after(last_closed, context.retention_years).isoformat() if last_closed else None,
    }


def _local_day(moment: str, timezone: str) -> date:
    return datetime.fromisoformat(moment).astimezone(ZoneInfo(timezone)).date()


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


# What meets a deadline of each kind: (event type or "*" for any, the data field naming which one, if any).
_MEETS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "investigation": (("FindingsSubmitted", "department"),),
    "rectification": (("RectificationCompleted", "rectification_id"),),
    "first_reply": (("ReplyDeliveryRecorded", None),),
    "referrer_reply": (("ReplyDeliveryRecorded", None),),
    "statutory_feedback": (("*", None),),  # whichever event says statutory_feedback_met
    "authority_report": (("DisputeReportedToAuthority", None),),
}


# The events whose `deadline` is not a new value of the clock but what happened to it.
_BREACH_EFFECTS = {"DeadlineBreached": "breached", "DeadlineBreachWithdrawn": "withdrawn"}


def _deadline_objects(value: Any, depth: int = 0) -> Iterable[dict[str, Any]]:
    """Every deadline object in an event's data (a dict with a kind and its calendar and policy versions)."""
    if depth > 3:
        return
    if isinstance(value, dict):
        if "kind" in value and "calendar_version" in value and "due_at" in value:
            yield value
            return
        for inner in value.values():
            yield from _deadline_objects(inner, depth + 1)
    elif isinstance(value, list):
        for inner in value:
            yield from _deadline_objects(inner, depth + 1)


def _deadline_key(deadline: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    return deadline["kind"], deadline.get("department"), deadline.get("rectification_id")


def _deadlines(timeline: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each deadline with the calendar and policy versions it was computed with, every change, and its
    outcome: met, breached (and when), or open."""
    found: dict[tuple[str, str | None, str | None], _Deadline] = {}
    for entry in timeline:
        data = entry["data"]
        for deadline in _deadline_objects(data):
            key = _deadline_key(deadline)
            known = found.setdefault(key, _Deadline(*key, current=deadline))
            known.history.append({"event": entry["type"], "time": entry["time"], "deadline": deadline})
            effect = _BREACH_EFFECTS.get(entry["type"]) if deadline is data.get("deadline") else None
            if effect == "breached":
                known.breached_at = data.get("breached_at", entry["time"])
            elif effect == "withdrawn":  # the deadline as breached; the event's `current` runs again
                known.breached_at = None
            else:
                if deadline.get("due_at") != known.current.get("due_at"):
                    known.met_at = None  # a new clock (reopened, rescheduled, extended): not met yet
                known.current = deadline
        for known in found.values():
            if known.met_at is None and _meets(entry, known):
                known.met_at = entry["time"]
    return [_deadline_json(d) for d in found.values()]


def _meets(entry: Mapping[str, Any], deadline: _Deadline) -> bool:
    data = entry["data"]
    for event_type, which in _MEETS.get(deadline.kind, ()):
        if event_type == "*":
            if data.get("statutory_feedback_met"):
                return True
            continue
        if entry["type"] != event_type or data.get("reply_kind") == "interim":  # interim feedback is no reply
            continue
        wanted = deadline.department if which == "department" else deadline.rectification_id
        if which is None or data.get(which) == wanted:
            return True
    return False


def _deadline_json(deadline: _Deadline) -> dict[str, Any]:
    outcome = "breached" if deadline.breached_at else "met" if deadline.met_at else "open"
    return {
        "kind": deadline.kind,
        "department": deadline.department,
        "rectification_id": deadline.rectification_id,
        "due_at": deadline.current.get("due_at"),
        "last_day": deadline.current.get("last_day"),
        "calendar_version": deadline.current.get("calendar_version"),
        "policy_version": deadline.current.get("policy_version"),
        "provisional": deadline.current.get("provisional"),
        "outcome": outcome,
        "breached_at": deadline.breached_at,
        "met_at": deadline.met_at,
        "history": deadline.history,
    }
