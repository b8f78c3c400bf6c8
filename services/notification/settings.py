"""Notification's configuration, read and checked once at start-up: a bad directory or template
stops the service with a clear error instead of failing at send time."""

from __future__ import annotations

import os
from pathlib import Path

from services.notification import domain, templates
from shared.config import load_hospital

HOSPITAL = load_hospital()
DIRECTORY = domain.load_directory({"campuses": HOSPITAL.campuses, "leadership": HOSPITAL.leadership})
TEMPLATES = templates.Templates(
    sorted(HOSPITAL.campuses), Path(os.environ.get("NOTIFICATION_TEMPLATES", str(templates.ROOT)))
)
MAX_ATTEMPTS = int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "5"))
BACKOFF_SECONDS = float(os.environ.get("NOTIFY_BACKOFF_SECONDS", "30"))
BACKOFF_CAP_SECONDS = float(os.environ.get("NOTIFY_BACKOFF_CAP_SECONDS", "3600"))
DELIVERY_INTERVAL = float(os.environ.get("NOTIFY_DELIVERY_INTERVAL", "1"))
