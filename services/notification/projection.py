"""Notification's event handlers: what each event asks to be told to whom."""

from __future__ import annotations

import uuid

from shared.config import load_hospital
from shared.consumer import Projector
from shared.db import Cursor
from shared.envelope import Envelope

SERVICE = "notification"
PROJECTOR = Projector(SERVICE)
HOSPITAL = load_hospital()


@PROJECTOR.on("ComplaintReceived")
def acknowledge(cur: Cursor, event: Envelope) -> None:
    """Record the acknowledgement of receipt the campus policy asks for (delivery: issue 4)."""
    data = event.data
    policy = HOSPITAL.campuses[data["campus"]]["policy"]
    if not policy.get("acknowledge_receipt", True):
        return
    status, detail = ("not_sent", "anonymous complainant") if data["anonymous"] else (
        ("recorded", "acknowledgement of receipt") if data.get("has_contact")
        else ("not_sent", "no contact details"))
    cur.execute(
        "INSERT INTO notifications (notification_id, complaint_id, caused_by, purpose, campus, recipient_role,"
        " status, detail) VALUES (%s, %s, %s, 'acknowledgement', %s, 'complainant', %s, %s)"
        " ON CONFLICT (caused_by, purpose, recipient_role) DO NOTHING",
        (str(uuid.uuid4()), event.subject, event.id, data["campus"], status, detail))
