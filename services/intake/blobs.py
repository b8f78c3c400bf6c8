"""Where attachments' sealed chunks are kept: intake's own PostgreSQL by default (``attachment_chunks``), or an
S3-compatible object store when ``ATTACHMENTS_S3_BUCKET`` is set (boto3, so any store that speaks the S3 API:
AWS, MinIO, Ceph, a cloud's own). Chunks are sealed before they get here; a store never sees a plaintext byte,
and erasing the complaint's key makes what it holds unreadable (no store needs to delete anything)."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from services.intake.settings import ATTACHMENTS_S3
from shared.db import Cursor

log = logging.getLogger(__name__)
DATABASE, S3 = "database", "s3"


class ChunkStore(Protocol):
    kind: str

    def put(self, cur: Cursor, attachment_id: str, index: int, sealed: bytes) -> None: ...

    def get(self, cur: Cursor, attachment_id: str, index: int) -> bytes: ...

    def discard(self, attachment_id: str) -> None: ...


class DatabaseChunks:
    """Chunks as rows, written in the upload's transaction: a failed upload leaves nothing behind."""

    kind = DATABASE

    def put(self, cur: Cursor, attachment_id: str, index: int, sealed: bytes) -> None:
        cur.execute(
            "INSERT INTO attachment_chunks (attachment_id, chunk_index, sealed) VALUES (%s, %s, %s)",
            (attachment_id, index, sealed),
        )

    def get(self, cur: Cursor, attachment_id: str, index: int) -> bytes:
        cur.execute(
            "SELECT sealed FROM attachment_chunks WHERE attachment_id = %s AND chunk_index = %s",
            (attachment_id, index),
        )
        row = cur.fetchone()
        if row is None:
            raise LookupError(f"chunk {index} of attachment {attachment_id} is missing")
        return bytes(row[0])

    def discard(self, attachment_id: str) -> None:
        """Nothing to do: the rolled-back transaction took the rows with it."""


class S3Chunks:
    """One object per chunk (``<prefix><attachment id>/<index>``): each is written as it is sealed, so a file
    never waits whole in memory for a multipart part size. Objects of an upload that failed are deleted."""

    kind = S3

    def __init__(self, settings: dict[str, Any]):
        import boto3  # only a deployment that configures a store needs the client

        self.bucket, self.prefix = settings["bucket"], settings["prefix"]
        self.client = boto3.client(
            "s3",
            **{k: settings[k] for k in ("endpoint_url", "region_name", "aws_access_key_id", "aws_secret_access_key")},
        )

    def _key(self, attachment_id: str, index: int) -> str:
        return f"{self.prefix}{attachment_id}/{index:08d}"

    def put(self, cur: Cursor, attachment_id: str, index: int, sealed: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(attachment_id, index), Body=sealed)

    def get(self, cur: Cursor, attachment_id: str, index: int) -> bytes:
        found = self.client.get_object(Bucket=self.bucket, Key=self._key(attachment_id, index))
        return found["Body"].read()

    def discard(self, attachment_id: str) -> None:
        try:
            listed = self.client.list_objects_v2(Bucket=self.bucket, Prefix=f"{self.prefix}{attachment_id}/")
            for found in listed.get("Contents", []):
                self.client.delete_object(Bucket=self.bucket, Key=found["Key"])
        except Exception:  # sealed, so harmless if left; an operator can sweep the prefix
            log.warning("could not delete the chunks of failed upload %s", attachment_id, exc_info=True)


_STORES: dict[str, ChunkStore] = {}


def store_for(kind: str | None = None) -> ChunkStore:
    """The store new uploads go to (``kind`` None), or the one an attachment was written to."""
    wanted = kind or (S3 if ATTACHMENTS_S3["bucket"] else DATABASE)
    if wanted not in _STORES:
        if wanted == S3 and not ATTACHMENTS_S3["bucket"]:
            raise LookupError("an attachment is in the object store, but ATTACHMENTS_S3_BUCKET is not set")
        _STORES[wanted] = S3Chunks(ATTACHMENTS_S3) if wanted == S3 else DatabaseChunks()
    return _STORES[wanted]
