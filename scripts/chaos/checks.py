"""What `make chaos` measures, straight from the services' databases and the stand-ins: events
produced (the sources' logs), lost (in a log, not applied by a consumer or missing from reporting's
copy), effects doubled (a message delivered twice, a deadline breached twice), resends the SMS gateway absorbed by
the idempotency key (shown, not a fault), gaps (events held
back, holes in reporting's copy) and seconds until every projection caught up."""

from __future__ import annotations

import contextlib
import importlib
import time
from collections import Counter
from dataclasses import dataclass, field

import psycopg2

from shared import config

SOURCES = ("intake", "investigation", "notification")


def consumed_sources() -> dict[str, list[str]]:
    return {s: sorted(importlib.import_module(f"services.{s}.projection").PROJECTOR.sources) for s in config.SERVICES}


@dataclass
class Snapshot:
    heads: dict[str, int] = field(default_factory=dict)
    published: dict[str, int] = field(default_factory=dict)
    positions: dict[tuple[str, str], int] = field(default_factory=dict)
    pending: int = 0
    parked: int = 0
    copy_missing: int = 0
    copy_holes: int = 0
    breached_twice: int = 0
    delivered_twice: int = 0
    breaches: int = 0
    deliveries: int = 0
    messages_pending: int = 0
    doubles: list[str] = field(default_factory=list)
    messages_failed: int = 0
    resends_absorbed: int = 0

    @property
    def lost(self) -> int:
        behind = sum(max(0, self.heads[source] - upto) for (_, source), upto in self.positions.items())
        return behind + self.copy_missing

    @property
    def gaps(self) -> int:
        return self.pending + self.copy_holes

    def behind(self) -> str:
        """What keeps this snapshot from being caught up, in words (printed when a scenario never catches up)."""
        unpublished = {s: head - self.published.get(s, 0) for s, head in self.heads.items()}
        return (
            f"lost {self.lost}, gaps {self.gaps}, messages pending or being sent {self.messages_pending},"
            f" unpublished {unpublished}"
        )

    @property
    def caught_up(self) -> bool:
        return (
            self.lost == 0
            and self.gaps == 0
            and self.messages_pending == 0
            and all(self.published.get(s, 0) == head for s, head in self.heads.items())
        )


def _query(stack, service: str, sql: str) -> list[tuple]:
    dsn = stack.env["DATABASE_URL_TEMPLATE"].format(service=service)
    with contextlib.closing(psycopg2.connect(dsn, connect_timeout=5)) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def measure(stack) -> Snapshot:
    snap = Snapshot()
    for source in SOURCES:
        snap.heads[source] = _query(stack, source, "SELECT coalesce(max(sequence), 0) FROM events")[0][0]
        snap.published[source] = _query(stack, source, "SELECT last_published FROM relay_position")[0][0]
    for consumer, sources in consumed_sources().items():
        rows = dict(_query(stack, consumer, "SELECT source, upto FROM source_position"))
        for source in sources:
            snap.positions[(consumer, source)] = rows.get(source, 0)
        snap.pending += _query(stack, consumer, "SELECT count(*) FROM pending_events")[0][0]
        snap.parked += _query(stack, consumer, "SELECT count(*) FROM parked_events")[0][0]
    parked_from = dict(
        _query(
            stack, "reporting", "SELECT source, count(*) FROM parked_events WHERE source IS NOT NULL GROUP BY source"
        )
    )
    copies = {
        s: (n, top)
        for s, n, top in _query(
            stack, "reporting", "SELECT source, count(*), max(sequence) FROM event_copy GROUP BY source"
        )
    }
    for source in SOURCES:
        count, top = copies.get(source, (0, 0))
        snap.copy_missing += max(0, snap.heads[source] - count - parked_from.get(source, 0))
        snap.copy_holes += max(0, (top or 0) - count - parked_from.get(source, 0))
    snap.breached_twice = _query(
        stack,
        "investigation",
        (
            "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM events WHERE type = 'DeadlineBreached'"
            " GROUP BY stream_id, coalesce(data->'deadline'->>'key', data->'deadline'->>'kind')) d"
        ),
    )[0][0]
    statuses = dict(_query(stack, "notification", "SELECT status, count(*) FROM notifications GROUP BY status"))
    snap.messages_pending = statuses.get("pending", 0) + statuses.get("sending", 0)
    snap.messages_failed = statuses.get("failed", 0)
    snap.breaches = _query(stack, "investigation", "SELECT count(*) FROM events WHERE type = 'DeadlineBreached'")[0][0]
    deliveries: Counter = stack.deliveries()
    snap.deliveries = sum(deliveries.values())
    snap.delivered_twice = sum(n - 1 for n in deliveries.values() if n > 1)
    snap.resends_absorbed = stack.sms_repeats()
    snap.doubles = sorted(k for k, n in deliveries.items() if n > 1) + [
        f"breach:{s}:{k}"
        for s, k in _query(
            stack,
            "investigation",
            "SELECT stream_id, coalesce(data->'deadline'->>'key', data->'deadline'->>'kind')"
            " FROM events WHERE type = 'DeadlineBreached' GROUP BY 1, 2 HAVING count(*) > 1",
        )
    ]
    return snap


def catch_up(stack, timeout: float) -> float | None:
    """Seconds until every relay published its whole log and every consumer applied it; None if never."""
    started, last = time.monotonic(), None
    while time.monotonic() - started < timeout:
        with contextlib.suppress(psycopg2.Error):
            last = measure(stack)
            if last.caught_up:
                return time.monotonic() - started
        time.sleep(0.5)
    print(
        f"chaos:   NOT CAUGHT UP after {timeout:.0f}s: {last.behind() if last else 'no database answered'}", flush=True
    )
    return None


@dataclass
class Row:
    scenario: str
    produced: int
    breaches: int
    deliveries: int
    failed_messages: int
    lost: int
    doubled: int
    resends_absorbed: int
    gaps: int
    parked: int
    seconds: float | None

    @classmethod
    def of(cls, scenario: str, before: Snapshot, after: Snapshot, seconds: float | None) -> Row:
        doubled = (after.breached_twice + after.delivered_twice) - (before.breached_twice + before.delivered_twice)
        return cls(
            scenario,
            produced=sum(after.heads.values()) - sum(before.heads.values()),
            breaches=after.breaches - before.breaches,
            deliveries=after.deliveries - before.deliveries,
            failed_messages=after.messages_failed - before.messages_failed,
            lost=after.lost,
            doubled=doubled,
            resends_absorbed=after.resends_absorbed - before.resends_absorbed,
            gaps=after.gaps,
            parked=after.parked - before.parked,
            seconds=seconds,
        )

    @property
    def failed(self) -> bool:
        return self.lost > 0 or self.doubled > 0 or self.gaps > 0 or self.failed_messages > 0 or self.seconds is None


def table(rows: list[Row]) -> str:
    header = (
        "scenario",
        "events produced",
        "breaches",
        "messages sent",
        "messages failed",
        "lost",
        "effects doubled",
        "resends absorbed",
        "gaps",
        "parked",
        "seconds to catch up",
    )
    lines = [header] + [
        (
            r.scenario,
            *(
                str(v)
                for v in (
                    r.produced,
                    r.breaches,
                    r.deliveries,
                    r.failed_messages,
                    r.lost,
                    r.doubled,
                    r.resends_absorbed,
                    r.gaps,
                    r.parked,
                )
            ),
            "never" if r.seconds is None else f"{r.seconds:.1f}",
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = [
        " | ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    ]
    out.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(out)


def http_summary(status: Counter) -> tuple[str, bool]:
    """Requests per service replica by status; ok only if every replica answered requests successfully."""
    by_replica: dict[tuple[str, str], Counter] = {}
    for (service, replica, code), n in status.items():
        by_replica.setdefault((service, replica), Counter())[code] = n
    lines, ok = [], True
    for (service, replica), codes in sorted(by_replica.items()):
        good = sum(n for code, n in codes.items() if code.startswith("2"))
        ok = ok and good > 0
        lines.append(f"  {service}-{replica}: " + ", ".join(f"{code}: {n}" for code, n in sorted(codes.items())))
    return "HTTP answers by replica (load):\n" + "\n".join(lines), ok
