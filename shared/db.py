"""PostgreSQL access: a small cooperative connection pool and transactions.

psycopg2 is made cooperative under eventlet with its documented wait callback (select-based,
and eventlet patches ``select``), so a slow query never blocks other green threads.

High availability: the URL may name several hosts with ``target_session_attrs=read-write`` (libpq
connects to the one that takes writes). A connection lost in a failover fails its transaction with
:class:`DatabaseUnavailable` (rolled back, or of unknown outcome if the commit itself was cut: it is
never reported done), HTTP answers 503, consumers and background loops retry; the pool's idle
connections, opened to the lost primary, are dropped with it, so the next transaction connects anew.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import psycopg2.extras

psycopg2.extensions.register_adapter(dict, psycopg2.extras.Json)
psycopg2.extras.register_uuid()


def make_cooperative() -> None:
    """Call once after ``eventlet.monkey_patch()``: queries then yield to other green threads."""
    psycopg2.extensions.set_wait_callback(psycopg2.extras.wait_select)


Cursor = psycopg2.extensions.cursor

# A primary that vanished without closing its sockets (a lost node) is noticed within ~10 s, not hours.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}


class DatabaseUnavailable(psycopg2.OperationalError):
    """The database went away (failover, restart) during a transaction: it did not apply, or its
    commit's outcome is unknown. Retry later (HTTP: 503)."""


def connection_lost(conn: psycopg2.extensions.connection, exc: BaseException) -> bool:
    """Whether ``exc`` means this connection's server is gone or no longer the primary (not that a
    statement was wrong, nor a deadlock): no SQLSTATE, connection exceptions (08), operator
    intervention (57P: shutdown), a read-only server (25006: a demoted primary)."""
    if isinstance(exc, psycopg2.InterfaceError):
        return True
    if not isinstance(exc, psycopg2.Error):
        return False
    code = exc.pgcode or ""
    return conn.closed != 0 or not code or code.startswith(("08", "57P")) or code == "25006"


def connect(dsn: str, autocommit: bool = False) -> psycopg2.extensions.connection:
    """A connection with keepalives (the URL's own settings win) to the host that takes writes."""
    conn = psycopg2.connect(dsn, connect_timeout=5, **{k: v for k, v in KEEPALIVES.items() if k not in dsn})
    conn.autocommit = autocommit
    return conn


def fetch_dicts(cur: Cursor) -> list[dict[str, Any]]:
    """The rows of the last query as dicts keyed by column name."""
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


class Database:
    """A bounded pool; ``transaction()`` commits on success, rolls back on any exception."""

    def __init__(self, dsn: str, size: int = 8):
        self.dsn = dsn
        self.size = size
        self._idle: queue.LifoQueue[psycopg2.extensions.connection] = queue.LifoQueue()
        self._created = 0

    def connect(self, autocommit: bool = False) -> psycopg2.extensions.connection:
        return connect(self.dsn, autocommit)

    def _take(self) -> psycopg2.extensions.connection:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        if self._created < self.size:
            self._created += 1
            try:
                return self.connect()
            except Exception:
                self._created -= 1
                raise
        return self._idle.get(timeout=30)

    def _give_back(self, conn: psycopg2.extensions.connection) -> None:
        if conn.closed:
            self._created -= 1
        else:
            self._idle.put(conn)

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        try:
            conn = self._take()
        except psycopg2.OperationalError as exc:
            raise DatabaseUnavailable(f"database unavailable: {exc}".strip()) from exc
        try:
            with conn.cursor() as cur:
                yield cur
            conn.commit()
        except BaseException as exc:
            if connection_lost(conn, exc):
                conn.close()  # to a lost or demoted primary: never reused
                self._drop_idle()
                if isinstance(exc, DatabaseUnavailable):
                    raise
                raise DatabaseUnavailable(f"database connection lost: {exc}".strip()) from exc
            if not conn.closed:
                try:
                    conn.rollback()
                except psycopg2.Error:
                    conn.close()
            raise
        finally:
            self._give_back(conn)

    def _drop_idle(self) -> None:
        """Close the idle connections: they were opened to the server just lost."""
        while True:
            try:
                idle = self._idle.get_nowait()
            except queue.Empty:
                return
            idle.close()
            self._created -= 1

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                break
        self._created = 0

    def ping(self) -> bool:
        try:
            with self.transaction() as cur:
                cur.execute("SELECT 1")
            return True
        except Exception:
            return False


MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def migrate(dsn: str, *folders: Path) -> list[str]:
    """Apply every ``*.sql`` file not yet applied, in name order, each in its own transaction.

    The backbone's folder comes first, then the service's own. Returns the names applied.
    """
    applied: list[str] = []
    conn = connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            # Two replicas starting together must not both apply a migration.
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('schema_migrations'))")
            cur.execute("SELECT name FROM schema_migrations")
            done = {row[0] for row in cur.fetchall()}
            for folder in (MIGRATIONS, *folders):
                for path in sorted(folder.glob("*.sql")):
                    name = f"{folder.parent.name}/{path.name}"
                    if name in done:
                        continue
                    cur.execute(path.read_text(encoding="utf-8"))
                    cur.execute("INSERT INTO schema_migrations(name) VALUES (%s)", (name,))
                    applied.append(name)
    finally:
        conn.close()
    return applied
