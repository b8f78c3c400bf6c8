"""The HTTP side of attachments: the name a request gives in ``Content-Disposition``, and a stored file served
back chunk by chunk, each opened with the complaint's key as it is sent (never the whole file in memory)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import quote

from werkzeug.http import parse_options_header
from werkzeug.wrappers import Request, Response

from services.intake import blobs, media
from services.intake.queries import Stored
from services.intake.settings import VAULT
from shared.db import Database


def disposition_name(request: Request) -> str | None:
    """``filename*`` (RFC 5987/6266, any charset werkzeug decodes) or ``filename`` of ``Content-Disposition``."""
    header = request.headers.get("Content-Disposition")
    if not header:
        return None
    _, options = parse_options_header(header)
    return options.get("filename")


def chain(first: bytes, rest: Iterable[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def content_disposition(name: str) -> str:
    """``attachment`` with the name: an ASCII fallback for old clients and the exact name as RFC 5987's
    ``filename*`` (UTF-8, percent-encoded), so a Chinese name arrives as it was given."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\%' else "_" for ch in name) or "attachment"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _opened(db: Database, stored: Stored) -> Iterator[bytes]:
    store = blobs.store_for(stored.storage)
    for index in range(stored.chunks):
        with db.transaction() as cur:  # one short read per chunk: a slow reader holds no connection
            sealed = store.get(cur, stored.attachment_id, index)
        yield VAULT.open_chunk(stored.key, sealed, stored.place, index, final=index == stored.chunks - 1)


def download(db: Database, stored: Stored) -> Response:
    media_type = "text/plain; charset=utf-8" if stored.media_type == media.TEXT else stored.media_type
    headers = {
        "Content-Disposition": content_disposition(stored.name),
        "Content-Length": str(stored.size),
        "X-Content-Type-Options": "nosniff",  # served as what its content was found to be, never sniffed again
        "Cache-Control": "private, no-store",
    }
    return Response(_opened(db, stored), headers=headers, content_type=media_type, direct_passthrough=True)
