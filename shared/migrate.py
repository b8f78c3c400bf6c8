"""Create (if needed) and migrate each service's database: ``python -m shared.migrate [service ...]``.

Run as its own step (a Kubernetes Job, ``make migrate``), never at pod start.
"""

from __future__ import annotations

import sys
from urllib.parse import urlparse, urlunparse

import psycopg2

from shared import config
from shared.db import migrate


def create_database(dsn: str) -> bool:
    parts = urlparse(dsn)
    name = parts.path.lstrip("/")
    admin = urlunparse(parts._replace(path="/postgres"))
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone():
                return False
            cur.execute(f'CREATE DATABASE "{name}"')
            return True
    finally:
        conn.close()


def migrate_service(service: str, create: bool = True) -> list[str]:
    dsn = config.database_url(service)
    if create:
        create_database(dsn)
    return migrate(dsn, config.ROOT / "services" / service / "migrations")


def main(argv: list[str]) -> None:
    for service in argv or config.SERVICES:
        if service not in config.SERVICES:
            raise SystemExit(f"unknown service {service!r}; one of {', '.join(config.SERVICES)}")
        applied = migrate_service(service)
        print(f"{service}: {', '.join(applied) if applied else 'up to date'}")


if __name__ == "__main__":
    main(sys.argv[1:])
