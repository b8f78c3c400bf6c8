"""Verify a service's hash-chained event log: ``python -m shared.verify_log <service>``.

Prints how many events were checked and the first broken link (exit status 1), or that the chain
holds (0). Read-only; safe to run against a live database.
"""

from __future__ import annotations

import sys

import psycopg2

from shared import config
from shared.eventstore import verify_chain


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ("intake", "investigation", "notification"):
        print("usage: python -m shared.verify_log {intake|investigation|notification}", file=sys.stderr)
        return 2
    service = argv[0]
    conn = psycopg2.connect(config.database_url(service))
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            checked, broken = verify_chain(cur, service)
    finally:
        conn.close()
    if broken:
        print(f"{service}: BROKEN at sequence {broken.sequence}: {broken.reason} ({checked} events verified before it)")
        return 1
    print(f"{service}: {checked} events, chain intact")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
