"""Rebuild a service's state from its own log and compare it with the live tables:
``python -m shared.replay <service> --check``.

Each service that owns a log has a replay hook, ``services/<service>/replay.py``, declaring

* ``TABLES``: every state table rebuilt, with the columns that identify a row (compared in that order);
* ``EXCLUDED``: the live columns that cannot come from the log, each with why (one list per service);
* ``rebuild(cur, events)``: writes the state the events fold to, with the service's own writers, into
  tables named as the live ones (the scratch schema comes first on the search path).

Everything happens in one REPEATABLE READ transaction that is rolled back: the scratch schema never
outlives the check, the live tables are only read, and the log and the tables are read in one snapshot
(a service writes both in one transaction), so the check is safe against a running service.
Prints ``identical`` (exit 0) or the first difference (exit 1).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from typing import Any, Protocol

import psycopg2

from shared import config
from shared.db import Cursor
from shared.eventstore import EventStore

SCRATCH = "replay_scratch"
REPLAYED = ("intake", "investigation")
PAGE = 2000


class Hook(Protocol):
    TABLES: dict[str, tuple[str, ...]]
    EXCLUDED: dict[str, dict[str, str]]

    def rebuild(self, cur: Cursor, events: Iterator[Any]) -> None: ...


class NotReproducible(Exception):
    """The log lacks what a live row holds (e.g. events written before the log recorded it)."""


def hook_of(service: str) -> Hook:
    return importlib.import_module(f"services.{service}.replay")  # type: ignore[return-value]


def log_of(cur: Cursor, service: str) -> Iterator[Any]:
    """The service's whole log in sequence order, read page by page."""
    store, after = EventStore(service), 0
    while True:
        page = store.read_after(cur, after, PAGE)
        yield from page
        if len(page) < PAGE:
            return
        after = page[-1].sequence


def _columns(cur: Cursor, table: str, excluded: dict[str, str]) -> list[str]:
    cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public'"
        " AND table_name = %s ORDER BY ordinal_position",
        (table,),
    )
    return [name for (name,) in cur.fetchall() if name not in excluded]


def _rows(cur: Cursor, schema: str, table: str, columns: list[str], key: tuple[str, ...]) -> list[tuple[Any, ...]]:
    cur.execute(f'SELECT {", ".join(columns)} FROM {schema}."{table}" ORDER BY {", ".join(key)}')
    return cur.fetchall()


def first_difference(cur: Cursor, hook: Hook) -> str | None:
    """The first row (by table, then key) where the rebuilt state and the live one differ."""
    for table, key in hook.TABLES.items():
        columns = _columns(cur, table, hook.EXCLUDED.get(table, {}))
        live = {row[: len(key)]: row for row in _rows(cur, "public", table, columns, key)}
        rebuilt = {row[: len(key)]: row for row in _rows(cur, SCRATCH, table, columns, key)}
        for ident in sorted(live.keys() | rebuilt.keys(), key=str):
            where = f"{table} {dict(zip(key, map(str, ident), strict=True))}"
            if ident not in rebuilt:
                return f"{where}: live row missing from the rebuilt state"
            if ident not in live:
                return f"{where}: rebuilt row missing from the live table"
            for name, was, got in zip(columns, live[ident], rebuilt[ident], strict=True):
                if was != got:
                    return f"{where}: column {name}: live {was!r}, rebuilt {got!r}"
    return None


def _scratch_table(cur: Cursor, table: str) -> None:
    """A copy of the live table's shape (keys, defaults) whose serial columns draw from sequences of the
    scratch schema (sequences are not transactional: the live ones must never advance)."""
    cur.execute(f'CREATE TABLE {SCRATCH}."{table}" (LIKE public."{table}" INCLUDING ALL)')
    cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s"
        " AND column_default LIKE 'nextval(%%'",
        (SCRATCH, table),
    )
    for (column,) in cur.fetchall():
        cur.execute(f'CREATE SEQUENCE {SCRATCH}."{table}_{column}_seq"')
        cur.execute(
            f'ALTER TABLE {SCRATCH}."{table}" ALTER COLUMN "{column}"'
            f" SET DEFAULT nextval('{SCRATCH}.\"{table}_{column}_seq\"')"
        )


def check(service: str, dsn: str | None = None) -> str | None:
    """Rebuild ``service``'s state from its log into the scratch schema; the first difference, or None."""
    hook = hook_of(service)
    conn = psycopg2.connect(dsn or config.database_url(service))
    try:
        with conn.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cur.execute(f"CREATE SCHEMA {SCRATCH}")
            for table in hook.TABLES:
                _scratch_table(cur, table)
            cur.execute(f"SET LOCAL search_path = {SCRATCH}, public")
            try:
                hook.rebuild(cur, log_of(cur, service))
            except NotReproducible as exc:
                return f"not reproducible from the log: {exc}"
            return first_difference(cur, hook)
    finally:
        conn.rollback()  # the scratch schema goes with it
        conn.close()


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in REPLAYED or argv[1] != "--check":
        print(f"usage: python -m shared.replay {{{'|'.join(REPLAYED)}}} --check", file=sys.stderr)
        return 2
    difference = check(argv[0])
    if difference is not None:
        print(f"{argv[0]}: DIFFERENT: {difference}")
        return 1
    print("identical")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
