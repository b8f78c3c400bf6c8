"""The operator's view of parked events: ``python -m shared.parked``."""

from __future__ import annotations

import json
import os
import uuid

from services.investigation import settings
from shared import parked
from shared.envelope import new_event
from shared.workdays import calendar_from_config
from tests.support.databases import fresh_service_database


def received_on(campus: str, sequence: int):
    complaint_id = str(uuid.uuid4())
    return new_event(
        "intake",
        "ComplaintReceived",
        complaint_id,
        {
            "complaint_id": complaint_id,
            "reference": f"X-2026-{sequence:06d}",
            "campus": campus,
            "channel": "phone",
            "category": "billing",
            "severity": "normal",
            "source": "patient_or_family",
            "departments": [],
            "received_at": "2026-11-02T09:00:00Z",
            "anonymous": True,
            "has_contact": False,
        },
    ).with_position(sequence, 1)


def test_list_and_replay_a_parked_event(monkeypatch, capsys):
    # A database of its own, so a running end-to-end stack's database is never touched.
    monkeypatch.setenv("INVESTIGATION_DATABASE_URL", os.environ["DATABASE_URL_TEMPLATE"].format(service="parked"))
    fresh_service_database("investigation")
    inbox = parked.inbox_of("investigation")
    # A campus the configuration does not know yet: investigation has no calendar for it, so it is parked.
    outcome = inbox.receive(
        [received_on("east", 1).to_json(), received_on("north", 2).to_json(), received_on("west", 3).to_json()]
    )
    assert (outcome.applied, outcome.parked) == (2, 1)

    assert parked.main(["investigation", "list"]) == 0
    [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["sequence"] == 2 and "north" in row["error"]

    assert parked.main(["investigation", "replay", str(row["id"])]) == 1  # still broken: stays parked
    assert "failed again" in capsys.readouterr().out

    # The campus is configured (its calendar and policy): the replay now opens the case.
    monkeypatch.setitem(
        settings.HOSPITAL.calendars, "north", calendar_from_config("north", {"timezone": "Asia/Shanghai"})
    )
    monkeypatch.setitem(settings.HOSPITAL.config.campuses, "north", settings.HOSPITAL.config.campuses["east"])
    assert parked.main(["investigation", "replay-all"]) == 0
    assert capsys.readouterr().out.strip() == f"replayed {row['id']}"
    assert parked.main(["investigation", "list"]) == 0 and capsys.readouterr().out == ""
    with inbox.db.transaction() as cur:
        cur.execute("SELECT campus, count(*) FROM cases GROUP BY campus ORDER BY campus")
        assert cur.fetchall() == [("east", 1), ("north", 1), ("west", 1)]
