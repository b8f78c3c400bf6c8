"""PostgreSQL access: a small cooperative connection pool and transactions.

psycopg2 is made cooperative under eventlet with its documented wait callback (select-based,
and eventlet patches ``select``), so a slow query never blocks other green threads.

High availability: the URL may name several hosts with ``target_session_attrs=read-write`` (libpq
connects to the one that takes writes). A connection lost in a failover fails its transaction with
:class:`DatabaseUnavailable` (rolled back, or of unknown outcome if the commit itself was cut: it is
never reported done), HTTP answers 503, consumers and background loops retry; the pool's idle
connections, opened to the lost primary, are dropped with it, so the next transaction connects anew.

A transaction that holds a lock every writer of the service queues on (the log head, a campus's
reference counter) calls :func:`hold_until_commit` once it has it: its remaining statements and its
commit then wait for the server without yielding (each for at most ``UNYIELDING_WAIT``, then
cooperatively), so the lock is held for the statements' round trips, not for as long as every other
green thread of the process takes to run.
"""

from __future__ import annotations

import itertools
import queue
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import psycopg2.extras

psycopg2.extensions.register_adapter(dict, psycopg2.extras.Json)
psycopg2.extras.register_uuid()

Cursor = psycopg2.extensions.cursor


# Longest a statement of a transaction holding a hot lock blocks its process; longer (it waits for a
# lock itself, perhaps one a suspended green thread of this process holds) and it waits cooperatively.
UNYIELDING_WAIT = 0.005
_holding: weakref.WeakSet[psycopg2.extensions.connection] = weakref.WeakSet()
_blocking_select: Any = None


def make_cooperative() -> None:
    """Call once after ``eventlet.monkey_patch()``: queries then yield to other green threads."""
    global _blocking_select
    import eventlet.patcher

    _blocking_select = eventlet.patcher.original("select").select
    psycopg2.extensions.set_wait_callback(_wait)


def hold_until_commit(cur: Cursor) -> None:
    """The transaction on ``cur`` now holds a lock other writers queue on: until it ends, its
    statements and its commit do not yield to other green threads (see the module's docstring)."""
    if _blocking_select is not None:
        _holding.add(cur.connection)


_prepared: weakref.WeakKeyDictionary[psycopg2.extensions.connection, set[str]] = weakref.WeakKeyDictionary()


def execute_prepared(
    cur: Cursor,
    name: str,
    statement: str,
    params: Sequence[Any],
    casts: Sequence[str] = (),
    before: str = "",
    before_params: Sequence[Any] = (),
) -> None:
    """Run ``statement`` (placeholders ``$1`` … ``$n``) with ``params`` as the connection's prepared
    statement ``name``: planned once per connection rather than at every call. For statements run once
    per batch whose planning costs as much as their work when the batch is one event (a rollback keeps
    a prepared statement; a new connection prepares it again). ``casts`` name a parameter's type where
    psycopg2's literal would not be coerced to it (a list of str is a ``text[]``, not a ``uuid[]``);
    ``before`` (with ``%s`` placeholders for ``before_params``) goes first, in the same round trip."""
    names = _prepared.setdefault(cur.connection, set())
    if name not in names:
        cur.execute(f"PREPARE {name} AS {statement}")
        names.add(name)
    typed = [f"%s::{cast}" if cast else "%s" for _, cast in itertools.zip_longest(params, casts, fillvalue="")]
    execute = f"EXECUTE {name} ({', '.join(typed)})" if params else f"EXECUTE {name}"
    cur.execute(f"{before}; {execute}" if before else execute, (*before_params, *params))


def _wait(conn: psycopg2.extensions.connection) -> None:
    if conn not in _holding:
        psycopg2.extras.wait_select(conn)
        return
    if not _wait_without_yielding(conn):
        psycopg2.extras.wait_select(conn)
    if conn.closed or conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE:
        _holding.discard(conn)  # the transaction ended: committed, rolled back or lost


def _wait_without_yielding(conn: psycopg2.extensions.connection) -> bool:
    """Poll ``conn`` blocking the process for at most ``UNYIELDING_WAIT``; whether the server answered."""
    deadline = time.monotonic() + UNYIELDING_WAIT
    while True:
        state = conn.poll()
        if state == psycopg2.extensions.POLL_OK:
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        fd = conn.fileno()
        if state == psycopg2.extensions.POLL_READ:
            _blocking_select([fd], [], [], remaining)
        else:
            _blocking_select([], [fd], [], remaining)


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
