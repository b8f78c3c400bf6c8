"""Investigation's replay hook (``python -m shared.replay investigation --check``): every case and its
deadlines, rebuilt from investigation's own log by the domain's fold and saved by ``store.save``.

A case starts with its first ``InvestigationOpened`` (which names the complaint's reference since issue 13);
each event is folded as ``store.apply`` folds it, and the case is saved with the event's time, as
``store.apply`` saves it with the time its events carry.
"""

from __future__ import annotations

from collections.abc import Iterator

from services.investigation import domain, store
from services.investigation.settings import HOSPITAL
from shared.db import Cursor
from shared.envelope import Envelope, rfc3339
from shared.replay import NotReproducible

TABLES: dict[str, tuple[str, ...]] = {"cases": ("complaint_id",), "deadlines": ("complaint_id", "key")}
EXCLUDED: dict[str, dict[str, str]] = {}  # every column comes from the log


def _opened(event: Envelope) -> domain.Case:
    if event.type != "InvestigationOpened" or not event.data.get("reference"):
        raise NotReproducible(
            f"case {event.subject} does not begin with an InvestigationOpened naming its "
            f"reference (sequence {event.sequence}: {event.type})"
        )
    return domain.case_from_opening({**event.data, "complaint_id": event.subject})


def rebuild(cur: Cursor, events: Iterator[Envelope]) -> None:
    folded: dict[str, domain.Case] = {}
    for event in events:
        case = folded.get(event.subject) or _opened(event)
        folded[event.subject] = case
        calendar = HOSPITAL.calendar(case.campus)
        days_before = HOSPITAL.policy(case.campus)["reminder_days_before"]
        domain.evolve(
            case,
            event.type,
            event.data,
            rfc3339(event.time),
            domain.reminders_for(event.data, event.type, calendar, days_before),
        )
        case.version = event.streamversion
        store.save(cur, case, event.time)
