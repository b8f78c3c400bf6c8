"""Prometheus metrics of the backbone, one definition each (base units, low-cardinality labels).

Service-specific metrics live beside their service but follow the same naming.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

RELAY_PUBLISHED = Counter(
    "complaints_relay_published_events_total", "Events the relay published and the broker confirmed.", ["service"]
)
RELAY_LAG = Gauge(
    "complaints_relay_lag_events", "Events committed to the log but not yet confirmed by the broker.", ["service"]
)
RELAY_LEADER = Gauge("complaints_relay_leader", "1 while this process's relay holds the leader lock.", ["service"])
CONSUMER_APPLIED = Counter(
    "complaints_consumer_applied_events_total", "Events applied to this service's projections.", ["service", "source"]
)
CONSUMER_DUPLICATES = Counter(
    "complaints_consumer_duplicate_events_total", "Redelivered events recognised and ignored.", ["service", "source"]
)
CONSUMER_PARKED = Counter(
    "complaints_consumer_parked_events_total",
    "Events a handler could not process, parked for replay.",
    ["service", "source"],
)
CONSUMER_PENDING = Gauge(
    "complaints_consumer_pending_events",
    "Events held back behind a gap in their source's sequence.",
    ["service", "source"],
)
CONSUMER_BACKFILLED = Counter(
    "complaints_consumer_backfilled_events_total",
    "Events fetched from a source's /events to fill a gap.",
    ["service", "source"],
)
PARKED_OPEN = Gauge("complaints_parked_events", "Parked events not yet replayed.", ["service"])
CONSUMER_BATCH_SECONDS = Histogram(
    "complaints_consumer_batch_duration_seconds", "Time to apply one batch of events in one transaction.", ["service"]
)
HTTP_REQUESTS = Counter("complaints_http_requests_total", "HTTP requests served.", ["service", "method", "status"])


def exposition() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST
