"""Seeded, realistic complaint histories as events of all three sources, for the property tests and
the rebuild bench (``bench/reporting_rebuild.py``).

Each complaint lives through a plausible lifecycle: receipt (letters registered days later), the
case opened with working-day deadlines from the campus calendar, escalation of major complaints,
resolution on the spot, non-acceptance or withdrawal, reclassification (category, departments, a
second campus), assignments, extensions, findings on time or late, breaches, reminders, replies
delivered (or not, without contact details), rectifications, follow-ups (a dissatisfied one reopens
the complaint for a second round), disputes with compensation, and the close. The data of every
event is in the catalogue's normalised form (tests/unit check it validates unchanged).

Events come out in the order their sources appended them (a heap holds the complaints in flight),
so a source's ``sequence`` follows time as a real log's does, in memory proportional to the
complaints open at once, not to the whole history.
"""

from __future__ import annotations

import functools
import heapq
import random
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared import catalogue
from shared.envelope import Envelope, rfc3339, source_of
from shared.workdays import CampusCalendar

POLICY_VERSION = "policy@simulated"
DEPARTMENTS = ("cardiology", "radiology", "emergency", "pediatrics", "nursing", "billing_office")


class _Remembering(CampusCalendar):
    """A campus calendar that remembers each day's judgement and its version: deadlines for a
    million events would otherwise spend most of their time in the holiday library's lookups."""

    @functools.cache  # noqa: B019 - a handful of calendars live as long as the process
    def is_working_day(self, day: date) -> tuple[bool, bool]:
        return super().is_working_day(day)

    @functools.cached_property
    def version(self) -> str:  # type: ignore[override]
        return super().version


def remembering(calendar: CampusCalendar) -> CampusCalendar:
    return _Remembering(
        campus=calendar.campus,
        timezone=calendar.timezone,
        closures=calendar.closures,
        extra_workdays=calendar.extra_workdays,
        announced_years=calendar.announced_years,
    )


@dataclass(frozen=True, slots=True)
class Planned:
    """One event of a history: when, by whom, what."""

    time: datetime
    service: str
    type: str
    complaint_id: str
    data: dict[str, Any]

    @property
    def appended(self) -> datetime:
        """When its source appended it to its log (a letter's receipt: when it was registered)."""
        if self.type == "ComplaintReceived":
            return datetime.fromisoformat(self.data["registered_at"])
        return self.time


def _deadline(
    calendar: CampusCalendar,
    kind: str,
    start: datetime,
    days: int,
    department: str | None = None,
    rectification_id: str | None = None,
) -> dict[str, Any]:
    due = calendar.add_working_days(start, days)
    data = {
        "kind": kind,
        "department": department,
        "due_at": rfc3339(due.due_at),
        "last_day": due.last_day.isoformat(),
        "provisional": due.provisional,
        "calendar_version": due.calendar_version,
        "policy_version": POLICY_VERSION,
        "working_days": days,
    }
    if rectification_id:
        data["rectification_id"] = rectification_id
    return data


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


class History:
    """Builds one complaint's events; ``rng`` decides everything, so a seed gives the same story."""

    def __init__(
        self, rng: random.Random, calendars: Mapping[str, CampusCalendar], campuses: list[str], received_at: datetime
    ):
        self.rng = rng
        self.id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        self.campus = rng.choice(campuses)
        self.calendar = calendars[self.campus]
        self.campuses = [self.campus]
        self.others = [c for c in campuses if c != self.campus]
        self.received_at = received_at
        self.events: list[Planned] = []
        self.first_reply: dict[str, Any] = {}

    def emit(self, when: datetime, service: str, event_type: str, **data: Any) -> None:
        body = {"complaint_id": self.id, **data}
        if "campus" not in body:
            body["campus"] = self.campus
        self.events.append(Planned(when, service, event_type, self.id, body))

    def actor(self, role: str = "complaint_officer") -> dict[str, str]:
        return {"id": f"{self.campus}-{role.replace('_', '-')}", "role": role}

    def later(self, when: datetime, low_hours: float, high_hours: float) -> datetime:
        return when + timedelta(seconds=int(self.rng.uniform(low_hours, high_hours) * 3600))

    # -- the lifecycle ---------------------------------------------------------------------------
    def build(self) -> list[Planned]:
        rng = self.rng
        channel = rng.choices(catalogue.CHANNELS, weights=[5, 2, 6, 1, 1, 3, 4])[0]
        category = rng.choices(catalogue.CATEGORIES, weights=[3, 4, 3, 2, 1])[0]
        severity = "major" if rng.random() < 0.06 else "normal"
        source = rng.choices(catalogue.SOURCES, weights=[12, 2, 1, 1, 0])[0]
        departments = sorted(rng.sample(DEPARTMENTS, k=rng.choices([0, 1, 2], weights=[2, 6, 2])[0]))
        if self.others and rng.random() < 0.04:  # concerns a second campus from the start
            self.campuses = sorted([self.campus, rng.choice(self.others)])
        delay = (
            timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 8))
            if channel in ("letter", "complaint_box")
            else timedelta(seconds=rng.randint(0, 600))
        )
        registered = self.received_at + delay
        anonymous = rng.random() < 0.08
        has_contact = not anonymous and rng.random() < 0.9
        received = {
            "reference": f"{self.campus.upper()}-{self.received_at.year}-{rng.randint(1, 999999):06d}",
            "campuses": self.campuses,
            "channel": channel,
            "category": category,
            "severity": severity,
            "source": source,
            "departments": departments,
            "received_at": rfc3339(self.received_at),
            "registered_at": rfc3339(registered),
            "received_by": f"{self.campus}-desk-{rng.randint(1, 9):02d}",
            "anonymous": anonymous,
            "has_contact": has_contact,
            "actor": {"id": f"{self.campus}-desk", "role": "first_contact"},
        }
        if not anonymous:
            received["complainant_ref"] = f"cp-{rng.getrandbits(64):016x}"
        self.emit(self.received_at, "intake", "ComplaintReceived", **received)
        opened = registered + timedelta(seconds=rng.randint(1, 30))
        self.first_reply = _deadline(self.calendar, "first_reply", self.received_at, 10 if len(departments) > 1 else 5)
        investigations = {d: _deadline(self.calendar, "investigation", self.received_at, 5, d) for d in departments}
        self.emit(
            opened,
            "investigation",
            "InvestigationOpened",
            campuses=self.campuses,
            category=category,
            severity=severity,
            source=source,
            departments=departments,
            received_at=rfc3339(self.received_at),
            first_reply=self.first_reply,
            investigations=list(investigations.values()),
            actor={"id": "system", "role": "system"},
        )
        if severity == "major":
            self.emit(
                opened,
                "investigation",
                "ComplaintEscalated",
                severity="major",
                reason="major complaint: escalated on receipt",
                escalated_at=rfc3339(self.received_at),
                to="leadership_group",
                actor={"id": "system", "role": "system"},
            )
        now = opened
        outcome = rng.random()
        if outcome < 0.10:
            resolved = self.later(self.received_at, 0.1, 2)
            self.emit(
                max(resolved, registered),
                "intake",
                "ComplaintResolvedOnSpot",
                resolved_at=rfc3339(max(resolved, registered)),
                resolved_by=f"{self.campus}-desk",
                resolution="refund issued",
                actor=self.actor("first_contact"),
            )
            return self.events
        if outcome < 0.15:
            decided = self.later(now, 1, 30)
            reason = rng.choice(catalogue.NOT_ACCEPTED_REASONS[:-1])  # duplicates need an original
            self.emit(
                decided,
                "intake",
                "ComplaintNotAccepted",
                reason=reason,
                route_advice="see the advice given",
                decided_at=rfc3339(decided),
                actor=self.actor(),
            )
            if rng.random() < 0.3:  # new facts reopen it
                self.reopen(self.later(decided, 24, 200), "new_facts", departments)
            return self.events
        if outcome < 0.18:
            withdrawn = self.later(now, 1, 72)
            self.emit(withdrawn, "intake", "ComplaintWithdrawn", withdrawn_at=rfc3339(withdrawn), actor=self.actor())
            return self.events
        if rng.random() < 0.12:
            now = self.later(now, 2, 48)
            current = {
                "category": rng.choice([c for c in catalogue.CATEGORIES if c != category]),
                "severity": severity,
                "departments": departments,
                "campuses": self.campuses,
            }
            if self.others and rng.random() < 0.3:
                current["campuses"] = sorted({*self.campuses, rng.choice(self.others)})
            if rng.random() < 0.4:
                current["departments"] = sorted({*departments, rng.choice(DEPARTMENTS)})
            self.emit(
                now,
                "intake",
                "ComplaintReclassified",
                previous={
                    "category": category,
                    "severity": severity,
                    "departments": departments,
                    "campuses": self.campuses,
                },
                current=current,
                reclassified_at=rfc3339(now),
                actor=self.actor(),
            )
            added = [d for d in current["departments"] if d not in departments]
            category, self.campuses = current["category"], current["campuses"]
            departments = current["departments"]
            if added:
                now = self.assign(now + timedelta(seconds=5), added, investigations, category, severity, source)
        if not investigations:
            now = self.later(now, 1, 30)
            chosen = sorted(rng.sample(DEPARTMENTS, k=rng.choice([1, 1, 2])))
            departments = sorted({*departments, *chosen})
            now = self.assign(now, chosen, investigations, category, severity, source)
        self.investigate(now, investigations, has_contact, departments)
        return self.events

    def assign(
        self,
        now: datetime,
        departments: list[str],
        investigations: dict[str, dict],
        category: str,
        severity: str,
        source: str,
    ) -> datetime:
        new = {d: _deadline(self.calendar, "investigation", now, 5, d) for d in departments}
        investigations.update(new)
        self.emit(
            now,
            "investigation",
            "InvestigationOpened",
            campuses=self.campuses,
            category=category,
            severity=severity,
            source=source,
            departments=departments,
            received_at=rfc3339(self.received_at),
            first_reply=self.first_reply,
            investigations=list(new.values()),
            actor=self.actor(),
        )
        return now

    def investigate(
        self, now: datetime, investigations: dict[str, dict], has_contact: bool, departments: list[str]
    ) -> None:
        rng = self.rng
        finished = now
        for department, due in sorted(investigations.items()):
            when = self.later(now, 4, 24 * 9)
            if rng.random() < 0.3:
                self.emit(
                    _at(due["due_at"]) - timedelta(days=1),
                    "investigation",
                    "InvestigationDue",
                    deadline=due,
                    reminder_for_role="department_liaison",
                    actor={"id": "system", "role": "system"},
                )
                self.emit(
                    _at(due["due_at"]) - timedelta(days=1, seconds=-30),
                    "notification",
                    "ReminderSent",
                    notification_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    kind="investigation",
                    department=department,
                    recipient_role="department_liaison",
                    channel="email",
                    due_at=due["due_at"],
                    sent_at=rfc3339(_at(due["due_at"]) - timedelta(days=1, seconds=-30)),
                )
            limit = min(when, _at(due["due_at"]))
            if rng.random() < 0.08 and limit > now + timedelta(hours=2):  # an extension asked in time
                asked = now + (limit - now) * rng.uniform(0.1, 0.9)
                asked = asked.replace(microsecond=0)
                extension_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                self.emit(
                    asked,
                    "investigation",
                    "ExtensionRequested",
                    extension_id=extension_id,
                    department=department,
                    reason="waiting for records",
                    requested_days=3,
                    requested_at=rfc3339(asked),
                    deadline=due,
                    actor=self.actor("department_liaison"),
                )
                decided = asked + timedelta(minutes=rng.randint(5, 60))
                if rng.random() < 0.8:
                    due = {
                        **_deadline(
                            self.calendar, "investigation", _at(due["due_at"]) - timedelta(seconds=1), 3, department
                        ),
                        "working_days": due["working_days"] + 3,
                    }
                    investigations[department] = due
                    self.emit(
                        decided,
                        "investigation",
                        "ExtensionGranted",
                        extension_id=extension_id,
                        department=department,
                        decided_at=rfc3339(decided),
                        deadline=due,
                        actor=self.actor(),
                    )
                    extended = {
                        **_deadline(
                            self.calendar, "first_reply", _at(self.first_reply["due_at"]) - timedelta(seconds=1), 3
                        ),
                        "working_days": self.first_reply["working_days"] + 3,
                    }
                    self.emit(
                        decided,
                        "investigation",
                        "DeadlineRescheduled",
                        previous=self.first_reply,
                        current=extended,
                        reason="extension_granted",
                        actor=self.actor(),
                    )
                    self.first_reply = extended  # replaced, never changed in place: events hold the old one
                else:
                    self.emit(
                        decided,
                        "investigation",
                        "ExtensionRefused",
                        extension_id=extension_id,
                        department=department,
                        decided_at=rfc3339(decided),
                        actor=self.actor(),
                    )
            on_time = when <= _at(due["due_at"])
            if not on_time:
                self.emit(
                    _at(due["due_at"]) + timedelta(seconds=rng.randint(1, 60)),
                    "investigation",
                    "DeadlineBreached",
                    deadline=due,
                    breached_at=due["due_at"],
                    actor={"id": "system", "role": "system"},
                )
            self.emit(
                when,
                "investigation",
                "FindingsSubmitted",
                department=department,
                substantiated=rng.choice(catalogue.SUBSTANTIATED),
                summary="findings",
                signed_off_by="head",
                submitted_at=rfc3339(when),
                on_time=on_time,
                actor=self.actor("department_liaison"),
            )
            finished = max(finished, when)
        self.reply_round(finished, has_contact, departments, reopened=False)

    def reply_round(self, now: datetime, has_contact: bool, departments: list[str], reopened: bool) -> None:
        rng = self.rng
        issued = self.later(now, 1, 48)
        reply_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        sent = issued + timedelta(seconds=rng.randint(20, 3600))
        due = _at(self.first_reply["due_at"])
        # The clock stops when the reply is delivered; without contact details it runs on (or the case
        # is closed before it falls due).
        if (has_contact and sent > due) or (not has_contact and rng.random() < 0.5):
            self.emit(
                due + timedelta(seconds=rng.randint(1, 60)),
                "investigation",
                "DeadlineBreached",
                deadline=self.first_reply,
                breached_at=self.first_reply["due_at"],
                actor={"id": "system", "role": "system"},
            )
        self.emit(
            issued,
            "investigation",
            "ReplyIssued",
            reply_id=reply_id,
            contact_person=f"{self.campus}-office",
            actions_taken="explained and apologised",
            result="partly substantiated",
            issued_at=rfc3339(issued),
            channel_preference="letter",
            actor=self.actor(),
        )
        if has_contact:
            self.emit(
                sent,
                "notification",
                "ReplySent",
                reply_id=reply_id,
                notification_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                channel=rng.choice(catalogue.NOTIFICATION_CHANNELS),
                sent_at=rfc3339(sent),
            )
        now = sent
        if not reopened and rng.random() < 0.15:
            now = self.rectify(now, rng.choice(departments) if departments else "nursing")
        if not reopened and rng.random() < 0.03:
            now = self.dispute(now)
        if rng.random() < 0.6:
            recorded = self.later(now, 24, 24 * 10)
            satisfied = reopened or rng.random() < 0.8
            self.emit(
                recorded,
                "investigation",
                "FollowUpRecorded",
                satisfied=satisfied,
                recorded_at=rfc3339(recorded),
                actor=self.actor(),
            )
            if not satisfied:
                self.reopen(recorded, "dissatisfied", departments)
                return
            now = recorded
        closed = self.later(now, 1, 72)
        self.emit(closed, "investigation", "ComplaintClosed", closed_at=rfc3339(closed), actor=self.actor())

    def reopen(self, when: datetime, reason: str, departments: list[str]) -> None:
        self.first_reply = _deadline(self.calendar, "first_reply", when, 10 if len(departments) > 1 else 5)
        self.emit(
            when,
            "investigation",
            "ComplaintReopened",
            reason=reason,
            reopened_at=rfc3339(when),
            first_reply=self.first_reply,
            actor=self.actor(),
        )
        self.reply_round(when, True, departments, reopened=True)

    def rectify(self, now: datetime, department: str) -> datetime:
        rng = self.rng
        rectification_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        ordered = self.later(now, 1, 24)
        due = _deadline(self.calendar, "rectification", ordered, 20, department, rectification_id)
        self.emit(
            ordered,
            "investigation",
            "RectificationOrdered",
            rectification_id=rectification_id,
            department=department,
            description="change the procedure",
            due=due,
            ordered_at=rfc3339(ordered),
            actor=self.actor(),
        )
        completed = self.later(ordered, 24, 24 * 32)
        on_time = completed <= _at(due["due_at"])
        if not on_time:
            self.emit(
                _at(due["due_at"]) + timedelta(seconds=30),
                "investigation",
                "DeadlineBreached",
                deadline=due,
                breached_at=due["due_at"],
                actor={"id": "system", "role": "system"},
            )
        self.emit(
            completed,
            "investigation",
            "RectificationCompleted",
            rectification_id=rectification_id,
            department=department,
            completed_at=rfc3339(completed),
            on_time=on_time,
            actor=self.actor("department_liaison"),
        )
        return max(now, completed)

    def dispute(self, now: datetime) -> datetime:
        rng = self.rng
        dispute_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        route = rng.choice(catalogue.DISPUTE_ROUTES)
        recorded = self.later(now, 1, 48)
        self.emit(
            recorded,
            "investigation",
            "DisputeRecorded",
            dispute_id=dispute_id,
            route=route,
            recorded_at=rfc3339(recorded),
            actor=self.actor(),
        )
        if rng.random() < 0.7:
            settled = self.later(recorded, 24, 24 * 20)
            amount = f"{rng.randint(0, 50000)}.{rng.randint(0, 99):02d}"
            self.emit(
                settled,
                "investigation",
                "DisputeSettled",
                dispute_id=dispute_id,
                route=route,
                settled_at=rfc3339(settled),
                compensation_amount=amount,
                currency="CNY",
                actor=self.actor(),
            )
            return settled
        return recorded


def stream(
    seed: int,
    complaints: int,
    start: datetime,
    days: int,
    calendars: Mapping[str, CampusCalendar],
    until: datetime | None = None,
) -> Iterator[Planned]:
    """``complaints`` histories received over ``days`` days from ``start``, every event in the order
    it was appended (events appended after ``until`` are left out: the log as it stood then)."""
    rng = random.Random(seed)
    calendars = {campus: remembering(calendar) for campus, calendar in calendars.items()}
    campuses = sorted(calendars)
    offsets = sorted(rng.uniform(0, days * 86400) for _ in range(complaints))
    pending: list[tuple[datetime, int, Planned]] = []
    tie = 0
    for offset in offsets:
        received_at = (start + timedelta(seconds=int(offset))).astimezone(UTC)
        while pending and pending[0][0] <= received_at:
            yield heapq.heappop(pending)[2]
        for planned in History(rng, calendars, campuses, received_at).build():
            if until is None or planned.appended <= until:
                tie += 1
                heapq.heappush(pending, (planned.appended, tie, planned))
    while pending:
        yield heapq.heappop(pending)[2]


class Log:
    """Numbers planned events per source, as each source's log would: ``sequence`` from 1, gap-free,
    and ``streamversion`` per complaint."""

    def __init__(self, seed: int = 0):
        self.rng = random.Random(seed)
        self.sequences: dict[str, int] = {}
        self.versions: dict[tuple[str, str], int] = {}

    def envelope(self, planned: Planned) -> Envelope:
        sequence = self.sequences[planned.service] = self.sequences.get(planned.service, 0) + 1
        stream_key = (planned.service, planned.complaint_id)
        version = self.versions[stream_key] = self.versions.get(stream_key, 0) + 1
        event_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        return Envelope(
            id=event_id,
            type=planned.type,
            source=source_of(planned.service),
            subject=planned.complaint_id,
            time=planned.time,
            data=planned.data,
            sequence=sequence,
            streamversion=version,
            correlationid=event_id,
            causationid=event_id,
        )
