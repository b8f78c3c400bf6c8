"""Medical disputes' duties (CONTRACT §8), pure: route changes, the authority report of a major dispute
(a deadline counted in hours), the sealing register and police reports.

Deciders take the case, a command (schemas.py) and a :class:`domain.Context`, as domain.py's do; the folds
of the new event types register with :func:`domain.mutates` (domain.py imports this module at its end).
No I/O here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from services.investigation import domain
from shared.envelope import rfc3339
from shared.errors import InvalidField, Refused, UnknownItem
from shared.workdays import CampusCalendar

if TYPE_CHECKING:
    from services.investigation import schemas

AUTHORITY_REPORT = "authority_report"  # the deadline's kind and key (one major dispute per case at a time)
DEFAULT_AUTHORITY_REPORT_HOURS = 12
SEAL_YEARS = 3  # the hospital may unseal alone 3 years after sealing with no claim (art. 24)
OFFICER = "complaint_officer"


def authority_report_hours(policy: dict[str, Any]) -> int:
    """The campus's setting ``authority_report_hours`` (default 12)."""
    return int(policy.get("authority_report_hours", DEFAULT_AUTHORITY_REPORT_HOURS))


def authority_report_deadline(
    recorded_at: datetime, hours: int, calendar: CampusCalendar, policy: dict[str, Any]
) -> dict[str, Any]:
    """The report's deadline: the instant ``hours`` after the dispute was recorded (elapsed time, not working
    days nor office hours); ``last_day`` is that instant's date on the campus's clock."""
    due_at = recorded_at.astimezone(UTC) + timedelta(hours=hours)
    return {
        "kind": AUTHORITY_REPORT,
        "department": None,
        "due_at": rfc3339(due_at),
        "last_day": due_at.astimezone(ZoneInfo(calendar.timezone)).date().isoformat(),
        "provisional": False,
        "calendar_version": calendar.version,
        "policy_version": domain.policy_version(policy),
        "working_days": 0,
        "hours": hours,
    }


def unseal_allowed_from(sealed_at: datetime) -> date:
    """The first day the hospital may unseal alone for lack of a claim: the same date 3 years later
    (29 February: 1 March)."""
    day = sealed_at.date()
    try:
        return day.replace(year=day.year + SEAL_YEARS)
    except ValueError:
        return date(day.year + SEAL_YEARS, 3, 1)


def three_years_at(sealed_at: datetime) -> datetime:
    """The instant 3 years after sealing: when the reminder is due (start of that day, sealed_at's clock)."""
    return datetime.combine(unseal_allowed_from(sealed_at), sealed_at.timetz())


def _not_future(value: datetime, now: datetime, field_name: str) -> None:
    if value > now:
        raise InvalidField(field_name, "must not be in the future")


def _dispute(case: domain.Case, dispute_id: str) -> dict[str, Any]:
    dispute = case.disputes.get(dispute_id)
    if dispute is None:
        raise UnknownItem(f"no dispute {dispute_id} on this case")
    return dispute


def _base(case: domain.Case, context: domain.Context) -> dict[str, Any]:
    return {"complaint_id": case.complaint_id, "campus": case.campus, "actor": domain.actor(context.staff, OFFICER)}


def decide_record(case: domain.Case, command: schemas.RecordDispute, context: domain.Context) -> domain.Decision:
    """A dispute, recorded now or as of when it arose (``recorded_at``); a major one starts the authority
    report's deadline."""
    recorded_at = command.recorded_at or context.now
    _not_future(recorded_at, context.now, "recorded_at")
    data = {
        **_base(case, context),
        "dispute_id": command.dispute_id,
        "route": command.route,
        "recorded_at": rfc3339(recorded_at),
    }
    if command.note:
        data["note"] = command.note
    if command.major:
        if case.open_clock(AUTHORITY_REPORT) is not None:
            raise Refused("a major dispute of this case still awaits its initial authority report", case.status)
        hours = authority_report_hours(dict(context.policy))
        data["major"] = True
        data["authority_report"] = authority_report_deadline(recorded_at, hours, context.calendar, dict(context.policy))
    return [("DisputeRecorded", data)]


def decide_route(case: domain.Case, command: schemas.ChangeDisputeRoute, context: domain.Context) -> domain.Decision:
    dispute = _dispute(case, command.dispute_id)
    if dispute["status"] == "settled":
        raise Refused("the dispute was already settled", case.status)
    if dispute["route"] == command.route:
        raise Refused(f"the dispute already follows the route {command.route}", case.status)
    data = {
        **_base(case, context),
        "dispute_id": command.dispute_id,
        "previous": dispute["route"],
        "route": command.route,
        "changed_at": rfc3339(context.now),
    }
    if command.note:
        data["note"] = command.note
    return [("DisputeRouteChanged", data)]


def decide_authority_report(
    case: domain.Case, command: schemas.ReportToAuthority, context: domain.Context
) -> domain.Decision:
    """A report to the health authority on a major dispute; the initial one (once) meets the deadline."""
    dispute = _dispute(case, command.dispute_id)
    if not dispute.get("major"):
        raise Refused("only a major dispute is reported to the health authority", case.status)
    _not_future(command.reported_at, context.now, "reported_at")
    reports = dispute.get("authority_reports", [])
    initial = any(r["report_kind"] == "initial" for r in reports)
    if command.report_kind == "initial" and initial:
        raise Refused("the initial report was already made", case.status)
    if command.report_kind != "initial" and not initial:
        raise Refused(f"a {command.report_kind} report needs the initial report first", case.status)
    data = {
        **_base(case, context),
        "dispute_id": command.dispute_id,
        "report_id": command.report_id,
        "authority": command.authority,
        "report_kind": command.report_kind,
        "reported_at": rfc3339(command.reported_at),
    }
    if command.reference:
        data["reference"] = command.reference
    if command.report_kind == "initial":
        data["on_time"] = command.reported_at <= domain.parse_time(dispute["authority_report_due_at"])
    return [("DisputeReportedToAuthority", data)]


def decide_seal(case: domain.Case, command: schemas.SealRecords, context: domain.Context) -> domain.Decision:
    _not_future(command.sealed_at, context.now, "sealed_at")
    if command.dispute_id is not None:
        _dispute(case, command.dispute_id)
    data = {
        **_base(case, context),
        "seal_id": command.seal_id,
        "items": list(command.items),
        "sealed_at": rfc3339(command.sealed_at),
        "hospital_witness": command.hospital_witness,
        "patient_side_present": command.patient_side_present,
        "list_signed_by_both": command.list_signed_by_both,
    }
    if command.dispute_id is not None:
        data["dispute_id"] = command.dispute_id
    return [("RecordsSealed", data)]


def unseal_refusal(case: domain.Case, seal: dict[str, Any], reason: str, now: datetime) -> str | None:
    """Why the seal may not be lifted for ``reason`` now (None: it may). Jointly: always. The hospital alone:
    once every dispute of the case is settled, or 3 years after sealing with no claim (no dispute open)."""
    if seal["status"] == "unsealed":
        return "the records were already unsealed"
    unsettled = [d for d in case.disputes.values() if d["status"] != "settled"]
    if reason == "dispute_settled":
        if not case.disputes:
            return "cannot unseal as dispute_settled: the case has no dispute"
        if unsettled:
            return f"cannot unseal as dispute_settled: {len(unsettled)} dispute(s) of the case not settled"
    if reason == "three_years_no_claim":
        allowed_from = unseal_allowed_from(domain.parse_time(seal["sealed_at"]))
        if now.date() < allowed_from:
            return f"cannot unseal as three_years_no_claim before {allowed_from.isoformat()} (3 years after sealing)"
        if unsettled:
            return "cannot unseal as three_years_no_claim: a dispute of the case is open (a claim)"
    return None


def decide_unseal(case: domain.Case, command: schemas.UnsealRecords, context: domain.Context) -> domain.Decision:
    seal = case.seals.get(command.seal_id)
    if seal is None:
        raise UnknownItem(f"no seal {command.seal_id} on this case")
    why = unseal_refusal(case, seal, command.reason, context.now)
    if why:
        raise Refused(why, case.status)
    data = {
        **_base(case, context),
        "seal_id": command.seal_id,
        "reason": command.reason,
        "unsealed_at": rfc3339(context.now),
    }
    return [("RecordsUnsealed", data)]


def decide_police(case: domain.Case, command: schemas.ReportToPolice, context: domain.Context) -> domain.Decision:
    _not_future(command.reported_at, context.now, "reported_at")
    data = {
        **_base(case, context),
        "police_report_id": command.police_report_id,
        "reported_at": rfc3339(command.reported_at),
        "reason": command.reason,
    }
    if command.reference:
        data["reference"] = command.reference
    return [("PoliceNotified", data)]


def allowed(case: domain.Case, role: str) -> set[str]:
    """The dispute actions the office may take now (others: none). Sealing and police reports are offered once
    the case has a dispute (the endpoints take them at any time: records may be sealed before a claim)."""
    if role != OFFICER or not (case.disputes or case.seals or case.police_reports):
        return set()
    result = {"seal_records", "report_to_police"}
    if any(d["status"] != "settled" for d in case.disputes.values()):
        result.add("change_dispute_route")
    if any(d.get("major") for d in case.disputes.values()):
        result.add("report_to_authority")
    if any(s["status"] == "sealed" for s in case.seals.values()):
        result.add("unseal_records")
    return result


# -- the folds ---------------------------------------------------------------------------------------------


@domain.mutates("DisputeRecorded")
def _recorded(case: domain.Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    dispute: dict[str, Any] = {
        "route": data["route"],
        "status": "recorded",
        "recorded_at": data["recorded_at"],
        "routes": [{"route": data["route"], "since": data["recorded_at"]}],
    }
    due = data.get("authority_report")
    if data.get("major") and due:
        dispute.update(major=True, authority_report_due_at=due["due_at"], authority_reports=[])
        domain.start_clock(case, due, data["recorded_at"], due["due_at"])
    case.disputes[data["dispute_id"]] = dispute


@domain.mutates("DisputeRouteChanged")
def _route_changed(case: domain.Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    dispute = case.disputes[data["dispute_id"]]
    dispute["route"] = data["route"]
    change = {"route": data["route"], "since": data["changed_at"], "previous": data["previous"]}
    if data.get("note"):
        change["note"] = data["note"]
    dispute.setdefault("routes", []).append(change)


@domain.mutates("DisputeReportedToAuthority")
def _reported(case: domain.Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    report = {k: data[k] for k in ("report_id", "authority", "report_kind", "reported_at") if k in data}
    for key in ("reference", "on_time"):
        if key in data:
            report[key] = data[key]
    case.disputes[data["dispute_id"]].setdefault("authority_reports", []).append(report)
    if data["report_kind"] == "initial":
        domain.meet(case.clocks.get(AUTHORITY_REPORT), data["reported_at"])


@domain.mutates("RecordsSealed")
def _sealed(case: domain.Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    keys = ("items", "sealed_at", "hospital_witness", "patient_side_present", "list_signed_by_both", "dispute_id")
    seal = {k: data[k] for k in keys if k in data}
    seal.update(status="sealed", reminder_at=rfc3339(three_years_at(domain.parse_time(data["sealed_at"]))))
    case.seals[data["seal_id"]] = seal


@domain.mutates("RecordsUnsealed")
def _unsealed(case: domain.Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    case.seals[data["seal_id"]].update(status="unsealed", reason=data["reason"], unsealed_at=data["unsealed_at"])


@domain.mutates("PoliceNotified")
def _police(case: domain.Case, data: dict[str, Any], at: str, reminders: dict[str, str]) -> None:
    report = {k: data[k] for k in ("police_report_id", "reported_at", "reason", "reference") if k in data}
    case.police_reports.append(report)
