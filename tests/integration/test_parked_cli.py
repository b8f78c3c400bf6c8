"""The operator's view of parked events: ``python -m shared.parked``."""

from __future__ import annotations

import json
import os
import uuid

from services.reporting import projection
from shared import parked
from shared.envelope import new_event
from tests.support.databases import fresh_service_database


def received_on(campus: str, sequence: int):
    complaint_id = str(uuid.uuid4())
    return new_event("intake", "ComplaintReceived", complaint_id, {
        "complaint_id": complaint_id, "reference": f"X-2026-{sequence:06d}", "campus": campus,
        "channel": "phone", "category": "billing", "severity": "normal", "source": "patient_or_family",
        "departments": [], "received_at": "2026-11-02T09:00:00Z", "anonymous": True, "has_contact": False,
    }).with_position(sequence, 1)


def test_list_and_replay_a_parked_event(monkeypatch, capsys):
    # A database of its own, so a running end-to-end stack's reporting database is never touched.
    monkeypatch.setenv("REPORTING_DATABASE_URL", os.environ["DATABASE_URL_TEMPLATE"].format(service="parked"))
    fresh_service_database("reporting")
    inbox = parked.inbox_of("reporting")
    # A campus the configuration does not know yet: reporting cannot place it, so it is parked.
    outcome = inbox.receive([received_on("east", 1).to_json(), received_on("north", 2).to_json(),
                             received_on("west", 3).to_json()])
    assert (outcome.applied, outcome.parked) == (2, 1)

    assert parked.main(["reporting", "list"]) == 0
    [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["sequence"] == 2 and "north" in row["error"]

    assert parked.main(["reporting", "replay", str(row["id"])]) == 1  # still broken: stays parked
    assert "failed again" in capsys.readouterr().out

    monkeypatch.setitem(projection.HOSPITAL.campuses, "north", {"timezone": "Asia/Shanghai"})
    assert parked.main(["reporting", "replay-all"]) == 0
    assert capsys.readouterr().out.strip() == f"replayed {row['id']}"
    assert parked.main(["reporting", "list"]) == 0 and capsys.readouterr().out == ""
    with inbox.db.transaction() as cur:
        cur.execute("SELECT campus, sum(received) FROM received_daily GROUP BY campus ORDER BY campus")
        assert cur.fetchall() == [("east", 1), ("north", 1), ("west", 1)]
