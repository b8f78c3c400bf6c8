"""Fresh test databases, migrated with the real migrations."""

from __future__ import annotations

import psycopg2

from shared import config
from shared.db import migrate
from shared.migrate import create_database


def recreate(dsn: str) -> None:
    name = dsn.rsplit("/", 1)[1]
    conn = psycopg2.connect(dsn.rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()
    create_database(dsn)


def fresh_service_database(service: str) -> str:
    dsn = config.database_url(service)
    recreate(dsn)
    migrate(dsn, config.ROOT / "services" / service / "migrations")
    return dsn


def fresh_backbone_database(name: str) -> str:
    """A database with only the backbone tables (store, relay, inbox), for the mechanism's own tests."""
    dsn = config.database_url(name)
    recreate(dsn)
    migrate(dsn)
    return dsn
