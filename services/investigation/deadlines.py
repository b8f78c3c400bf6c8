"""The deadline engine: reminders one working day ahead, breaches exactly once, provisional
deadlines recomputed when the calendar learns their year.

Each tick reads only the deadline rows falling due (partial indexes on ``remind_at`` and
``due_at``), so it costs in proportion to what is due, not to how many cases are open. Exactly
once, with any number of replicas: a case is changed only under its row lock (busy cases are
skipped until the next tick), and the domain decides again from the case's own state, which the
first replica to act has already marked.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from services.investigation import domain, metrics, store
from services.investigation.settings import HOSPITAL, SERVICE
from shared.db import Database
from shared.envelope import Envelope
from shared.runtime import BackgroundLoop, database

log = logging.getLogger(__name__)

_DUE = {
    "remind": "SELECT complaint_id::text, key FROM deadlines WHERE status = 'open' AND NOT reminded"
    " AND remind_at <= %s ORDER BY remind_at LIMIT %s",
    "breach": "SELECT complaint_id::text, key FROM deadlines WHERE status = 'open' AND NOT on_hold"
    " AND due_at <= %s ORDER BY due_at LIMIT %s",
    "ladder": "SELECT complaint_id::text, key FROM deadlines WHERE status = 'breached' AND NOT ladder_escalated"
    " AND escalate_at <= %s ORDER BY escalate_at LIMIT %s",
}


def _decide_ladder(case: domain.Case, key: str, now: datetime) -> domain.Decision:
    campus = case.campus
    return domain.decide_ladder(
        case, key, now, HOSPITAL.calendar(campus), HOSPITAL.breach_escalation_working_days(campus)
    )


@dataclass
class TickResult:
    reminded: int = 0
    breached: int = 0
    escalated: int = 0  # the escalation ladder (CONTRACT §7)

    @property
    def total(self) -> int:
        return self.reminded + self.breached + self.escalated


class DeadlineEngine:
    def __init__(self, db: Database, batch: int = 200):
        self.db = db
        self.batch = batch

    def tick(self, now: datetime | None = None) -> TickResult:
        """Emit what has fallen due by ``now``; repeat until nothing more is due."""
        now = now or datetime.now(UTC)
        started = time.perf_counter()
        result = TickResult()
        steps = (("remind", domain.decide_remind), ("breach", domain.decide_breach), ("ladder", _decide_ladder))
        for action, decide in steps:
            while True:
                placed, seen = self._step(_DUE[action], decide, now)
                store.observe(placed)
                if action == "remind":
                    result.reminded += len(placed)
                elif action == "breach":
                    result.breached += len(placed)
                else:
                    result.escalated += len(placed)
                if seen < self.batch or not placed:
                    break  # all due handled (or the rest belongs to busy cases: next tick)
        metrics.TICK_SECONDS.observe(time.perf_counter() - started)
        return result

    def _step(self, query: str, decide, now: datetime) -> tuple[list[Envelope], int]:
        placed: list[Envelope] = []
        with self.db.transaction() as cur:
            cur.execute(query, (now, self.batch))
            due = cur.fetchall()
            by_case: dict[str, list[str]] = {}
            for complaint_id, key in due:
                by_case.setdefault(complaint_id, []).append(key)
            for complaint_id, keys in by_case.items():
                case = store.try_lock(cur, complaint_id)
                if case is None:
                    continue  # a command holds it: next tick
                decision = [item for key in keys for item in decide(case, key, now)]
                placed += store.apply(cur, case, decision, now)
        return placed, len(due)

    def recompute_provisional(self, now: datetime | None = None) -> int:
        """Recompute provisional deadlines of campuses whose calendar now covers more, and withdraw the breaches
        the real calendar shows were premature; returns how many events that made."""
        now = now or datetime.now(UTC)
        moved = 0
        with self.db.transaction() as cur:
            # Breached ones too: the real calendar may show a provisional deadline was not yet due.
            cur.execute(
                "SELECT DISTINCT complaint_id::text FROM deadlines WHERE status IN ('open', 'breached') AND provisional"
            )
            candidates = [row[0] for row in cur.fetchall()]
        for complaint_id in candidates:
            with self.db.transaction() as cur:
                case = store.load(cur, complaint_id)
                calendar, policy = HOSPITAL.calendar(case.campus), HOSPITAL.policy(case.campus)
                decision = [
                    item
                    for key in list(case.clocks)
                    for item in (
                        *domain.decide_recompute(case, key, calendar, policy),
                        *domain.decide_recheck_breach(case, key, now, calendar, policy),
                    )
                ]
                placed = store.apply(cur, case, decision, now)
            store.observe(placed)
            moved += len(placed)
        return moved


class DeadlineTicker(BackgroundLoop):
    """Runs the engine in the background of every investigation replica; provisional deadlines are
    recomputed at start and then every ``DEADLINE_RECOMPUTE_SECONDS``."""

    def setup(self) -> None:
        super().setup()
        db = database(SERVICE)
        self.engine = DeadlineEngine(db)
        self.interval = float(os.environ.get("DEADLINE_TICK_SECONDS", "30"))
        self.recompute_interval = float(os.environ.get("DEADLINE_RECOMPUTE_SECONDS", "3600"))
        self.last_recompute = float("-inf")
        metrics.register_case_gauges(db)
        metrics.set_calendar_coverage(HOSPITAL)

    def round(self) -> None:
        if time.monotonic() - self.last_recompute >= self.recompute_interval:
            moved = self.engine.recompute_provisional()
            if moved:
                log.info("recomputed %d provisional deadlines", moved)
            self.last_recompute = time.monotonic()
        self.engine.tick()

    def get_dependency(self, worker_ctx: object) -> DeadlineEngine:
        return self.engine
