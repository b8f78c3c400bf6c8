"""Reporting's business metrics, read from the projection when Prometheus scrapes (so every replica
reports the same figures, and a restart or a rebuild loses nothing): received complaints, deadline
breaches and first replies per campus, and the on-time ratio of first replies.

They are totals since the first event, per campus (a complaint concerning two campuses counts under
each, so summing over campuses can exceed the group's count). A reclassification that takes a
campus off a complaint lowers that campus's total: Prometheus reads it as a counter reset, which
``increase()`` tolerates.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from nameko.extensions import DependencyProvider
from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from services.reporting import domain, statistics
from shared.db import Database
from shared.runtime import database

_METRICS = (domain.RECEIVED, domain.DEADLINE_BREACHED, domain.FIRST_REPLY_ON_TIME, domain.FIRST_REPLY_LATE)


class BusinessMetrics(Collector):
    def __init__(self, db: Database):
        self.db = db

    def collect(self) -> Iterator[Any]:
        received = CounterMetricFamily(
            "complaints_report_received", "Complaints received, per campus concerned.", labels=["campus"]
        )
        breaches = CounterMetricFamily(
            "complaints_report_deadline_breaches",
            "Deadlines that passed unmet, per campus and deadline kind.",
            labels=["campus", "kind"],
        )
        replies = CounterMetricFamily(
            "complaints_report_first_replies",
            "First replies delivered or overdue, by outcome (on_time, late).",
            labels=["campus", "outcome"],
        )
        ratio = GaugeMetricFamily(
            "complaints_report_first_reply_on_time_ratio",
            "Share of first replies on time (of those on time or late), since the start.",
            labels=["campus"],
        )
        try:
            with self.db.transaction() as cur:
                cur.execute(
                    "SELECT campuses, metric, key, sum(value)::bigint FROM rpt_monthly"
                    " WHERE metric = ANY(%s) GROUP BY campuses, metric, key",
                    (list(_METRICS),),
                )
                by_set: dict[str, dict[tuple[str, str], int]] = {}
                for where, metric, key, value in cur.fetchall():
                    by_set.setdefault(where, {})[(metric, key)] = value
        except Exception:  # the database is away: /health/ready says so, the scrape still answers
            return
        for campus, sums in sorted(statistics.distribute(by_set).items()):
            if campus == domain.GROUP:
                continue
            received.add_metric([campus], sums.get((domain.RECEIVED, ""), 0))
            for (metric, key), value in sorted(sums.items()):
                if metric == domain.DEADLINE_BREACHED:
                    breaches.add_metric([campus, key], value)
            on_time = sums.get((domain.FIRST_REPLY_ON_TIME, ""), 0)
            late = sums.get((domain.FIRST_REPLY_LATE, ""), 0)
            replies.add_metric([campus, "on_time"], on_time)
            replies.add_metric([campus, "late"], late)
            if on_time + late:
                ratio.add_metric([campus], on_time / (on_time + late))
        yield from (received, breaches, replies, ratio)


_registered: list[BusinessMetrics] = []


def register(db: Database) -> None:
    if not _registered:
        _registered.append(BusinessMetrics(db))
        REGISTRY.register(_registered[0])


class Provider(DependencyProvider):
    """Registers the collector once the service's database pool exists."""

    def __init__(self, service: str):
        self.service = service

    def setup(self) -> None:
        register(database(self.service))
