"""The search index's rows (migration 0010): written with the registration, rewritten when a complaint's
details change (``write``), deleted with an erasure (``forget``), and for complaints registered before the
index or indexed under another key, written by the indexer (``index_pending``): in the background of every
intake replica (``SearchIndexer``) and by hand, ``python -m services.intake.search_index [--all]``.

Every write holds the complaint's row lock (its registration's, or taken here), as an erasure does: an
erasure and an indexing of one complaint never interleave, so no index row outlives an erased key."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping

from services.intake.queries import unsealed
from services.intake.settings import SEARCH_INDEX_BATCH, SEARCH_INDEX_SECONDS, SEARCH_KEY, SERVICE
from shared.db import Cursor, Database
from shared.runtime import BackgroundLoop, database

log = logging.getLogger(__name__)
_LOCK = "intake search indexer"


def write(cur: Cursor, complaint_id: str, values: Mapping[str, str | None]) -> None:
    """(Re)write the complaint's index rows from its personal ``values`` (vault.PERSONAL names, in clear). The
    caller holds the complaint (registering it, or changing its details with the row locked)."""
    cur.execute("DELETE FROM complaint_search_terms WHERE complaint_id = %s", (complaint_id,))
    terms = SEARCH_KEY.terms(values)
    for field, digest in terms.items():
        cur.execute(
            "INSERT INTO complaint_search_terms (complaint_id, field, digest) VALUES (%s, %s, %s)",
            (complaint_id, field, digest),
        )
    _mark(cur, complaint_id)


def forget(cur: Cursor, complaint_id: str) -> None:
    """An erasure: the complaint can no longer be found by any personal detail (only by its reference)."""
    cur.execute("DELETE FROM complaint_search_terms WHERE complaint_id = %s", (complaint_id,))
    _mark(cur, complaint_id)


def _mark(cur: Cursor, complaint_id: str) -> None:
    cur.execute(
        "INSERT INTO complaint_search_indexed (complaint_id, key_id) VALUES (%s, %s) ON CONFLICT (complaint_id)"
        " DO UPDATE SET key_id = EXCLUDED.key_id, indexed_at = now()",
        (complaint_id, SEARCH_KEY.key_id),
    )


def reindex(cur: Cursor, complaint_id: str) -> None:
    """Rewrite one complaint's rows from its sealed details, its row locked first (an erased one: none)."""
    cur.execute("SELECT complainant_ref FROM complaints WHERE complaint_id = %s FOR UPDATE", (complaint_id,))
    row = cur.fetchone()
    if row is None:
        return
    personal = unsealed(cur, complaint_id, row[0])  # read after the lock: sees an erasure committed before it
    if personal["erased"]:
        forget(cur, complaint_id)
    else:
        write(cur, complaint_id, personal)


def index_pending(db: Database, everything: bool = False, batch: int = SEARCH_INDEX_BATCH) -> int:
    """Index the complaints not yet indexed under the current key (all of them with ``everything``), a
    batch per transaction; one indexer at a time (an advisory lock). How many were indexed."""
    done, after = 0, "00000000-0000-0000-0000-000000000000"
    while True:
        with db.transaction() as cur:
            cur.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", (_LOCK,))
            if not cur.fetchone()[0]:
                return done  # another replica is at it
            cur.execute(
                "SELECT c.complaint_id::text FROM complaints c LEFT JOIN complaint_search_indexed i"
                " ON i.complaint_id = c.complaint_id WHERE c.complaint_id > %s"
                " AND (%s OR i.key_id IS DISTINCT FROM %s) ORDER BY c.complaint_id LIMIT %s",
                (after, everything, SEARCH_KEY.key_id, batch),
            )
            pending = [row[0] for row in cur.fetchall()]
            for complaint_id in pending:
                reindex(cur, complaint_id)
        done += len(pending)
        if len(pending) < batch:
            return done
        after = pending[-1]


class SearchIndexer(BackgroundLoop):
    """In every intake replica: complaints registered before the index existed (or indexed under a search
    key since changed) are indexed at start and then every ``INTAKE_SEARCH_INDEX_SECONDS``."""

    def setup(self) -> None:
        super().setup()
        self.db = database(SERVICE)
        self.interval = SEARCH_INDEX_SECONDS

    def round(self) -> None:
        indexed = index_pending(self.db)
        if indexed:
            log.info("indexed %d complaints for search", indexed)


def main(argv: list[str]) -> None:
    """``python -m services.intake.search_index [--all]``: index what is missing (``--all``: everything)."""
    db = database(SERVICE)
    print(f"indexed {index_pending(db, everything='--all' in argv)} complaints")


if __name__ == "__main__":
    main(sys.argv[1:])
