"""Notification's configuration, read and checked once at start-up: a bad directory or template
stops the service with a clear error instead of failing at send time."""

from __future__ import annotations

import os
from pathlib import Path

from services.notification import domain, templates
from shared.config import calendars, load_hospital
from shared.workdays import office_hours_from_config

HOSPITAL = load_hospital()
DIRECTORY = domain.load_directory({"campuses": HOSPITAL.campuses, "leadership": HOSPITAL.leadership})
TEMPLATES = templates.Templates(
    sorted(HOSPITAL.campuses), Path(os.environ.get("NOTIFICATION_TEMPLATES", str(templates.ROOT)))
)
MAX_ATTEMPTS = int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "5"))
BACKOFF_SECONDS = float(os.environ.get("NOTIFY_BACKOFF_SECONDS", "30"))
BACKOFF_CAP_SECONDS = float(os.environ.get("NOTIFY_BACKOFF_CAP_SECONDS", "3600"))
DELIVERY_INTERVAL = float(os.environ.get("NOTIFY_DELIVERY_INTERVAL", "1"))
# Office hours per campus (CONTRACT §7): staff reminders and breach alerts wait for them. ALWAYS_OPEN (tests, or a
# hospital that wants none) delivers everything at once.
CALENDARS = calendars(HOSPITAL)
OFFICE_HOURS = {campus: office_hours_from_config(s.get("office_hours")) for campus, s in HOSPITAL.campuses.items()}
OFFICE_HOURS_ALWAYS_OPEN = os.environ.get("NOTIFY_OFFICE_HOURS_ALWAYS_OPEN", "0").lower() in ("1", "true", "yes")
# Where staff open a case: messages to staff link to <CONSOLE_BASE_URL>/cases/<complaint id> (CONTRACT §13).
CONSOLE_BASE_URL = os.environ.get("CONSOLE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
