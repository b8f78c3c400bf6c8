"""Investigation's event handlers: intake's events open cases; the case's own events fill the read model."""

from __future__ import annotations

from services.investigation import domain
from shared.config import load_hospital
from shared.consumer import Projector
from shared.db import Cursor
from shared.envelope import Envelope, new_event
from shared.eventstore import EventStore
from shared.workdays import CampusCalendar, calendar_from_config

SERVICE = "investigation"
PROJECTOR = Projector(SERVICE)
STORE = EventStore(SERVICE)
HOSPITAL = load_hospital()
CALENDARS: dict[str, CampusCalendar] = {
    campus: calendar_from_config(campus, {"timezone": settings["timezone"], **settings.get("calendar", {})})
    for campus, settings in HOSPITAL.campuses.items()
}


@PROJECTOR.on("ComplaintReceived")
def open_case(cur: Cursor, event: Envelope) -> None:
    """A received complaint opens its case, with its deadlines, exactly once."""
    complaint_id = event.subject
    if STORE.stream_version(cur, complaint_id) > 0:
        return  # opened already (the intake event was redelivered or replayed)
    campus = event.data["campus"]
    opened = domain.open_case(event.data, CALENDARS[campus], HOSPITAL.campuses[campus]["policy"])
    placed = STORE.append(cur, complaint_id, 0, [new_event(
        SERVICE, "InvestigationOpened", complaint_id, opened,
        correlationid=event.correlationid, causationid=event.id)])
    project_opened(cur, placed[0], event.data["reference"])


def project_opened(cur: Cursor, event: Envelope, reference: str) -> None:
    data = event.data
    cur.execute(
        "INSERT INTO cases (complaint_id, reference, campus, category, severity, source, departments, status,"
        " received_at, opened_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (complaint_id) DO NOTHING",
        (event.subject, reference, data["campus"], data["category"], data["severity"], data["source"],
         data["departments"], domain.OPEN, data["received_at"], event.time))
    for item in [data["first_reply"], *data["investigations"]]:
        cur.execute(
            "INSERT INTO deadlines (complaint_id, kind, department, due_at, last_day, working_days, provisional,"
            " calendar_version, policy_version) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            (event.subject, item["kind"], item["department"] or "", item["due_at"], item["last_day"],
             item["working_days"], item["provisional"], item["calendar_version"], item["policy_version"]))
