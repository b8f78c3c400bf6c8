"""Runs after the end-to-end flows: intake's and investigation's state, rebuilt from each one's own log
(``python -m shared.replay <service> --check``), is identical to the live tables the whole suite left; and in a
copy of those tables, a tampered row is named."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg2
import psycopg2.extras
import pytest

from shared import config, replay
from tests.support.databases import fresh_service_database

pytestmark = pytest.mark.e2e

# per service: a table of the copy to tamper with, the row's key column, and the column changed
TAMPERED = {
    "intake": ("complaints", "complaint_id", "severity"),
    "investigation": ("cases", "complaint_id", "severity"),
}


@pytest.mark.parametrize("service", ["intake", "investigation"])
def test_the_state_rebuilt_from_the_log_is_identical(stack, service):
    assert stack[service].get("/health/ready").status_code == 200  # the stack's databases, with the suite's data
    with psycopg2.connect(config.database_url(service)) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM events")
        assert cur.fetchone()[0] > 100  # the suite's history, not an empty log
    conn.close()
    done = subprocess.run(
        [sys.executable, "-m", "shared.replay", service, "--check"],
        cwd=config.ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "identical"), done.stdout + done.stderr


def _copy(service: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh database of the service's schema holding a copy of its log and state tables."""
    source = config.database_url(service)
    monkeypatch.setenv(f"{service.upper()}_DATABASE_URL", f"{source}_tampered")
    target = fresh_service_database(service)
    with psycopg2.connect(source) as src, psycopg2.connect(target) as dst, src.cursor() as read, dst.cursor() as write:
        for table in ("events", *replay.hook_of(service).TABLES):
            read.execute(f'SELECT * FROM "{table}"')
            names = ", ".join(d[0] for d in read.description)
            psycopg2.extras.execute_values(
                write, f'INSERT INTO "{table}" ({names}) VALUES %s', read.fetchall(), page_size=1000
            )
    src.close()
    dst.close()
    return target


@pytest.mark.parametrize("service", ["intake", "investigation"])
def test_a_tampered_row_in_a_copy_is_named(stack, service, monkeypatch):
    copy = _copy(service, monkeypatch)
    assert replay.check(service, copy) is None
    table, key, column = TAMPERED[service]
    with psycopg2.connect(copy) as conn, conn.cursor() as cur:
        cur.execute(
            f"UPDATE {table} SET {column} = CASE WHEN {column} = 'major' THEN 'normal' ELSE 'major' END"
            f" WHERE {key} = (SELECT min({key}::text)::uuid FROM {table}) RETURNING {key}"
        )
        [(tampered,)] = cur.fetchall()
    conn.close()
    difference = replay.check(service, copy)
    assert difference is not None and difference.startswith(f"{table} {{'{key}': '{tampered}'}}: column {column}: ")
    done = subprocess.run(
        [sys.executable, "-m", "shared.replay", service, "--check"],
        cwd=config.ROOT,
        env={**os.environ, f"{service.upper()}_DATABASE_URL": copy},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1 and done.stdout.strip() == f"{service}: DIFFERENT: {difference}", done.stdout
