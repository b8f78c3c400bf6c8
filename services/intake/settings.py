"""Intake's configuration, read once at start: the hospital (campuses, their departments and reference
prefixes), the limits on what a request may state, the vault's master key, and who may ask for a
complainant's contact details."""

from __future__ import annotations

import os

from services.intake.search_terms import SearchKey
from services.intake.vault import Vault
from shared.config import load_hospital

SERVICE = "intake"
HOSPITAL = load_hospital()
#: each campus's department codes, for the rules that check a classification against the hospital
DEPARTMENTS_ON = {campus: HOSPITAL.departments(campus) for campus in HOSPITAL.campuses}
# received_at (docs/decisions.md, "Bounds of received_at"): defaults where a campus configures none.
DEFAULT_GO_LIVE = "2024-01-01"
DEFAULT_RECEIVED_MAX_AGE_DAYS = 1095  # three years: the limitation period of a civil claim
#: how many complaints one listing gives (unless asked for fewer), and at most
LIST_DEFAULT, LIST_MAX = 100, 1000
#: INTAKE_MASTER_KEY (32 bytes, base64) wraps every complaint's own key; a fixed development key without it
VAULT = Vault.from_env()
#: INTAKE_SEARCH_KEY (32+ bytes, base64): the HMAC key of the search index (search_terms.py), never a sealing key
SEARCH_KEY = SearchKey.from_env()
#: how often the indexer looks for complaints not yet indexed under the search key, and how many per round
SEARCH_INDEX_SECONDS = float(os.environ.get("INTAKE_SEARCH_INDEX_SECONDS", "60"))
SEARCH_INDEX_BATCH = 200
#: the only service that sends to complainants, so the only one the contact RPC answers
CONTACT_CALLERS = ("notification",)
#: attachments (CONTRACT §9): the largest file taken (INTAKE_ATTACHMENT_MAX_BYTES; 25 MB), and the size of the
#: chunks it is sealed and stored in (one chunk at a time in memory, never the whole file)
ATTACHMENT_MAX_BYTES = int(os.environ.get("INTAKE_ATTACHMENT_MAX_BYTES", str(25 * 1000 * 1000)))
ATTACHMENT_CHUNK_BYTES = 64 * 1024
#: an S3-compatible object store for attachments' sealed chunks when ATTACHMENTS_S3_BUCKET is set; else
#: intake's own database (the embedded default)
ATTACHMENTS_S3 = {
    "endpoint_url": os.environ.get("ATTACHMENTS_S3_ENDPOINT") or None,
    "bucket": os.environ.get("ATTACHMENTS_S3_BUCKET") or None,
    "region_name": os.environ.get("ATTACHMENTS_S3_REGION") or "us-east-1",
    "aws_access_key_id": os.environ.get("ATTACHMENTS_S3_ACCESS_KEY") or None,
    "aws_secret_access_key": os.environ.get("ATTACHMENTS_S3_SECRET_KEY") or None,
    "prefix": os.environ.get("ATTACHMENTS_S3_PREFIX", "attachments/"),
}
