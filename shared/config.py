"""Configuration from environment variables, with the documented defaults (docs/configuration.md).

Every service reads the same names; ``<SERVICE>`` is the upper-case service name.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from shared.workdays import CalendarConfigError, CampusCalendar, calendar_from_config

SERVICES = ("intake", "investigation", "notification", "reporting")
DEFAULT_PORTS = {"intake": 8001, "investigation": 8002, "notification": 8003, "reporting": 8004}
# The web console (services/console) is started like a service but is not one of the four event services
# above, which other code iterates (migrations, deployment, contracts): it owns no data, events or database.
CONSOLE = "console"
APP_PORTS = {**DEFAULT_PORTS, CONSOLE: 8000}
APPS = (*SERVICES, CONSOLE)  # what ``python -m shared.run`` can start
ROOT = Path(__file__).resolve().parent.parent


def env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def database_url(service: str) -> str:
    """``<SERVICE>_DATABASE_URL``, else ``DATABASE_URL_TEMPLATE`` with ``{service}`` filled in."""
    template = env("DATABASE_URL_TEMPLATE", "postgresql://postgres@127.0.0.1:5432/complaints_{service}")
    return env(f"{service.upper()}_DATABASE_URL", template.format(service=service))


# A database URL may name several hosts (``postgresql://h1:5432,h2:5432/db?target_session_attrs=read-write``):
# libpq tries them in turn and keeps the one that takes writes, so after a failover a new connection finds
# the promoted standby. shared/db.py adds TCP keepalives so a connection to a vanished primary is noticed.


def amqp_uri(service: str | None = None) -> str:
    """``<SERVICE>_AMQP_URI`` (each service its own broker user, with only the permissions it needs:
    deploy/rabbitmq/permissions.json), else ``AMQP_URI``.

    Either may list the nodes of a cluster, separated by ``;`` or ``,`` (``amqp://u:p@h1/v;amqp://u:p@h2/v``):
    the result is kombu's failover form (``;``-separated), which nameko takes as it is."""
    default = env("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    return ";".join(broker_addresses(env(f"{service.upper()}_AMQP_URI", default) if service else default))


def broker_addresses(uri: str) -> list[str]:
    """The broker nodes of an AMQP URI list (``;`` or ``,`` between them)."""
    return [part.strip() for part in uri.replace(",", ";").split(";") if part.strip()]


def broker_failover(uri: str) -> str:
    """The same nodes starting at a random one: replicas spread over the cluster's nodes, and a
    connection that starts at a dead node moves on to the next (kombu tries the alternates in turn)."""
    nodes = broker_addresses(uri)
    start = random.randrange(len(nodes))
    return ";".join(nodes[start:] + nodes[:start])


def http_port(service: str) -> int:
    return int(env(f"{service.upper()}_PORT", str(APP_PORTS[service])))


def service_url(service: str) -> str:
    """Where another service's HTTP API (and its ``/events`` backfill) is reached."""
    return env(f"{service.upper()}_URL", f"http://127.0.0.1:{APP_PORTS[service]}")


def hospital_config_path() -> Path:
    return Path(env("HOSPITAL_CONFIG", str(ROOT / "config" / "demo-hospital.json")))


@dataclass(frozen=True)
class Hospital:
    """The hospital group's static configuration: campuses, departments, calendars, people."""

    campuses: dict[str, dict[str, Any]]
    leadership: list[dict[str, Any]] = field(default_factory=list)

    def departments(self, campus: str) -> list[str]:
        return sorted(self.campuses[campus]["departments"])

    def department_order(self) -> list[str]:
        """Every department code in the order the hospital's configuration lists them (the first campus's
        first): the order people see departments listed in, wherever they are."""
        order: dict[str, None] = {}
        for settings in self.campuses.values():
            order.update(dict.fromkeys(settings.get("departments", {})))
        return list(order)

    def in_order(self, departments: Iterable[str]) -> list[str]:
        """``departments`` (codes) in the hospital's order; codes it does not know last, alphabetically."""
        rank = {code: i for i, code in enumerate(self.department_order())}
        return sorted(set(departments), key=lambda code: (rank.get(code, len(rank)), code))

    def department_heads(self, campus: str, department: str) -> list[dict[str, Any]]:
        """The heads who sign off a department's findings (``heads`` of the department on the campus):
        each an ``id`` with ``name``/``names``. Empty when the configuration names none."""
        found = self.campuses.get(campus, {}).get("departments", {}).get(department) or {}
        return list(found.get("heads") or [])

    def person_name(self, person_id: str, lang: str) -> str | None:
        """The display name of a configured person (office head, liaison, department head, leadership)
        by their id; None for an id the configuration does not name."""
        for settings in self.campuses.values():
            people = [settings.get("office_head") or {}]
            for department in settings.get("departments", {}).values():
                people += [department.get("liaison") or {}, *(department.get("heads") or [])]
            for person in people:
                if person.get("id") == person_id:
                    return _display_name(person, lang)
        for person in self.leadership:
            if person.get("id") == person_id:
                return _display_name(person, lang)
        return None

    def campus_name(self, campus: str, lang: str) -> str | None:
        """The campus's display name in ``lang`` (``names``), else its ``name``; None for an unknown campus."""
        settings = self.campuses.get(campus)
        return _display_name(settings, lang) if settings is not None else None

    def department_name(self, department: str, lang: str) -> str | None:
        """The department's display name in ``lang``, from the first campus that has it (a department code
        names the same department on every campus); None for a department no campus has."""
        for settings in self.campuses.values():
            found = settings.get("departments", {}).get(department)
            if found is not None:
                return _display_name(found, lang)
        return None


def _display_name(settings: dict[str, Any], lang: str) -> str | None:
    return (settings.get("names") or {}).get(lang) or settings.get("name")


def load_hospital(path: Path | None = None) -> Hospital:
    raw = json.loads((path or hospital_config_path()).read_text(encoding="utf-8"))
    return Hospital(campuses=raw["campuses"], leadership=raw.get("leadership", []))


@cache
def configured_hospital() -> Hospital:
    """The hospital of ``HOSPITAL_CONFIG``, read once per process (for code that is handed no hospital)."""
    return load_hospital()


def calendars(hospital: Hospital) -> dict[str, CampusCalendar]:
    """Each campus's working-day calendar, from its ``timezone`` and ``calendar`` settings. A bad calendar
    stops the caller at start with :class:`CalendarConfigError` naming the campus and the key."""
    built: dict[str, CampusCalendar] = {}
    for campus, settings in hospital.campuses.items():
        try:
            built[campus] = calendar_from_config(
                campus, {"timezone": settings.get("timezone", "Asia/Shanghai"), **settings.get("calendar", {})}
            )
        except CalendarConfigError as exc:  # refuse to start, saying where to look
            raise CalendarConfigError(f"hospital configuration, campus {campus!r}, calendar: {exc}") from exc
    return built


@dataclass(frozen=True)
class HttpLimits:
    """How long an HTTP client may take, in seconds (docs/configuration.md). All of it is waited for
    before a nameko worker is taken, so slow clients cannot starve health, metrics or RPC."""

    header_timeout: float  # the request line and headers, from their first byte
    body_timeout: float  # the whole request body
    idle_timeout: float  # a kept-alive connection waiting for its next request
    socket_timeout: float  # any one read or write on the connection

    @classmethod
    def from_env(cls) -> HttpLimits:
        return cls(
            header_timeout=float(env("HTTP_HEADER_TIMEOUT", "10")),
            body_timeout=float(env("HTTP_BODY_TIMEOUT", "30")),
            idle_timeout=float(env("HTTP_IDLE_TIMEOUT", "60")),
            socket_timeout=float(env("HTTP_SOCKET_TIMEOUT", "30")),
        )
