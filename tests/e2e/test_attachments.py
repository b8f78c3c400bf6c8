"""Attachments on intake (CONTRACT §9, issue 16 item 1) through the real services: upload, list and download
byte-exact (a 20 MB file with the service's memory measured), types by content, the size limit refused before
the body is buffered, who may read, erasure, and every bad input's 400 naming it."""

from __future__ import annotations

import hashlib
import http.client
import io
import os
import socket
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import requests

from shared.auth import LIAISON
from tests.e2e.conftest import token_for
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
MB = 1000 * 1000
LIMIT = 25 * MB  # the default, INTAKE_ATTACHMENT_MAX_BYTES
UNKNOWN = "00000000-0000-4000-8000-000000000000"


# -- files, made here ---------------------------------------------------------------------------------


def png() -> bytes:
    """A real one-pixel PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\xff\0\0"))
        + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SAMPLES = {
    "application/pdf": PDF,
    "image/png": png(),
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64),
    "image/webp": b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(32),
    "audio/wav": b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(32),
    "audio/mpeg": b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(64),
    "audio/mp4": b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A isom" + bytes(32),
    "video/mp4": b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2mp41" + bytes(32),
    "text/plain": "患者家属的陈述：收费两次。\nStatement of the family.\n".encode(),
}
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + bytes(200)
    + b"This program cannot be run in DOS mode"
)


def big_pdf(path: Path, size: int) -> str:
    """A file of ``size`` bytes that begins as a PDF, written in pieces; its SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        out.write(PDF)
        digest.update(PDF)
        written = len(PDF)
        block = os.urandom(1 << 20)
        while written < size:
            piece = block[: size - written]
            out.write(piece)
            digest.update(piece)
            written += len(piece)
    return digest.hexdigest()


# -- helpers -----------------------------------------------------------------------------------------


def register(stack, complaint, **overrides) -> str:
    response = stack.intake.post("/complaints", complaint(**overrides))
    assert response.status_code == 201, response.text
    return response.json()["complaint_id"]


def upload(stack, cid: str, body, name: str | None = "evidence.pdf", token: str | None = None, **headers):
    params = {"name": name} if name is not None else {}
    return requests.post(
        f"{stack.intake.url}/complaints/{cid}/attachments",
        data=body,
        params=params,
        headers={"Authorization": f"Bearer {token or token_for('complaint_officer', 'east-office-head')}", **headers},
        timeout=60,
    )


def download(stack, cid: str, aid: str, token: str | None = None) -> requests.Response:
    return stack.intake.get(f"/complaints/{cid}/attachments/{aid}", token=token)


def _rss_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def peak_growth_mb(pid: int, action: Callable[[], object]) -> float:
    """How far the process's resident memory peaked above where it was, while ``action`` ran (the peak is
    reset first: ``clear_refs`` 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    before = _rss_kb(pid, "VmRSS")
    action()
    return (_rss_kb(pid, "VmHWM") - before) / 1024


def attachment_events(stack, cid: str) -> list[dict]:
    events = stack.intake.get("/events", params={"after": 0, "limit": 1000}).json()["events"]
    return [e for e in events if e["subject"] == cid and e["type"] == "AttachmentAdded"]


# -- the happy paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize("media_type", sorted(SAMPLES))
def test_each_accepted_type_is_stored_and_served_back_byte_exact(stack, complaint, media_type):
    cid = register(stack, complaint)
    content = SAMPLES[media_type]
    response = upload(stack, cid, content, name="file.bin", **{"Content-Type": "application/octet-stream"})
    assert response.status_code == 201, response.text
    added = response.json()
    assert added["media_type"] == media_type  # the content decides, not the declared type nor the name
    assert added["size"] == len(content) and added["sha256"] == hashlib.sha256(content).hexdigest()
    back = download(stack, cid, added["attachment_id"])
    assert back.status_code == 200 and back.content == content
    assert back.headers["Content-Type"].split(";")[0] == media_type


def test_upload_list_download_and_the_event(stack, complaint):
    cid = register(stack, complaint)
    name = "发票 scan (1).png"
    response = upload(stack, cid, SAMPLES["image/png"], name=name, **{"Content-Type": "image/png"})
    assert response.status_code == 201, response.text
    aid = response.json()["attachment_id"]
    assert response.headers["Location"] == f"/complaints/{cid}/attachments/{aid}"
    [listed] = stack.intake.get(f"/complaints/{cid}/attachments").json()["attachments"]
    assert listed["attachment_id"] == aid and listed["name"] == name and listed["media_type"] == "image/png"
    assert listed["size"] == len(SAMPLES["image/png"]) and listed["added_by"]["id"] == "east-office-head"
    assert listed["added_at"] and listed["sha256"] == hashlib.sha256(SAMPLES["image/png"]).hexdigest()
    back = download(stack, cid, aid)
    assert back.content == SAMPLES["image/png"]
    disposition = back.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"filename*=UTF-8''{quote(name, safe='')}" in disposition
    [event] = attachment_events(stack, cid)
    assert set(event["data"]) == {"complaint_id", "campus", "attachment_id", "media_type", "size", "sha256",
                                  "added_at", "actor"}  # fmt: skip
    assert event["data"]["attachment_id"] == aid and name not in str(event)
    detail = stack.intake.get(f"/complaints/{cid}").json()
    assert detail["history"][-1]["action"] == "attach" and detail["version"] == 2


def test_the_name_may_come_in_content_disposition_with_rfc_5987(stack, complaint):
    cid = register(stack, complaint)
    header = f"attachment; filename*=UTF-8''{quote('病历摘要.pdf')}"
    response = upload(stack, cid, PDF, name=None, **{"Content-Disposition": header})
    assert response.status_code == 201, response.text
    [listed] = stack.intake.get(f"/complaints/{cid}/attachments").json()["attachments"]
    assert listed["name"] == "病历摘要.pdf"


def test_a_20_mb_file_round_trips_byte_exact_without_the_service_holding_it(stack, complaint, tmp_path):
    cid = register(stack, complaint)
    path = tmp_path / "recording.pdf"
    sha = big_pdf(path, 20 * 1024 * 1024)
    pid = stack.intake.process.pid
    responses: list[requests.Response] = []
    # The process's first upload loads code and grows its allocator's arenas once (≈7 MB, whatever the file's
    # size): measured after one, the figure is what a file costs
    warm = tmp_path / "warm-up.pdf"
    big_pdf(warm, 2 * 1024 * 1024)
    assert upload(stack, cid, warm.read_bytes(), name="warm-up.pdf").status_code == 201

    def send() -> None:
        with path.open("rb") as body:  # streamed from the file with its Content-Length
            responses.append(upload(stack, cid, body, name="recording.pdf"))

    grew_up = peak_growth_mb(pid, send)
    assert responses[0].status_code == 201, responses[0].text
    assert responses[0].json()["sha256"] == sha and responses[0].json()["size"] == path.stat().st_size
    aid = responses[0].json()["attachment_id"]
    digest, size = hashlib.sha256(), 0

    def fetch() -> None:
        nonlocal size
        with requests.get(
            f"{stack.intake.url}/complaints/{cid}/attachments/{aid}",
            headers={"Authorization": f"Bearer {token_for('complaint_officer')}"},
            stream=True,
            timeout=60,
        ) as back:
            assert back.status_code == 200
            for part in back.iter_content(1 << 16):
                digest.update(part)
                size += len(part)

    grew_down = peak_growth_mb(pid, fetch)
    assert digest.hexdigest() == sha and size == path.stat().st_size
    # a 20 MiB file: the service's peak memory grew by a few chunks' worth (64 KiB each), far below the file
    assert grew_up < 4, f"upload: resident memory peaked {grew_up:.1f} MB above its start"
    assert grew_down < 4, f"download: resident memory peaked {grew_down:.1f} MB above its start"


def test_a_chunked_upload_is_taken_too(stack, complaint):
    cid = register(stack, complaint)

    def pieces() -> Iterator[bytes]:
        yield PDF
        for _ in range(5):
            yield bytes(300 * 1024)

    response = upload(stack, cid, pieces())
    assert response.status_code == 201, response.text
    assert response.json()["size"] == len(PDF) + 5 * 300 * 1024
    assert download(stack, cid, response.json()["attachment_id"]).content == PDF + bytes(5 * 300 * 1024)


# -- refused -----------------------------------------------------------------------------------------


def test_a_windows_executable_named_pdf_is_415_naming_what_it_is(stack, complaint):
    cid = register(stack, complaint)
    response = upload(stack, cid, EXE, name="invoice.pdf", **{"Content-Type": "application/pdf"})
    assert response.status_code == 415, response.text
    assert response.json()["detected"] == "application/x-msdownload"
    assert attachment_events(stack, cid) == []


@pytest.mark.parametrize(
    "content", [b"\x7fELF\x02\x01\x01" + bytes(64), b"PK\x03\x04" + bytes(64), b"GIF89a" + bytes(32), b"a\x00b\x01c"]
)
def test_other_content_is_415(stack, complaint, content):
    cid = register(stack, complaint)
    response = upload(stack, cid, content, name="notes.txt", **{"Content-Type": "text/plain"})
    assert response.status_code == 415, response.text
    assert response.json()["detected"] not in SAMPLES


def _raw_post(url: str, path: str, headers: dict[str, str]) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("POST", path)
    for key, value in headers.items():
        conn.putheader(key, value)
    conn.endheaders()
    return conn


def test_a_declared_26_mb_body_is_413_before_a_byte_of_it_is_sent(stack, complaint):
    cid = register(stack, complaint)
    token = token_for("complaint_officer")
    conn = _raw_post(
        stack.intake.url,
        f"/complaints/{cid}/attachments?name=big.pdf",
        {"Authorization": f"Bearer {token}", "Content-Length": str(26 * MB), "Content-Type": "application/pdf"},
    )
    response = conn.getresponse()  # not one byte of the body was sent: the service did not wait for it
    assert response.status == 413
    assert "larger than" in response.read().decode()
    conn.close()
    assert attachment_events(stack, cid) == []


def test_a_chunked_26_mb_body_is_413_once_past_the_limit_and_never_buffered(stack, complaint):
    cid = register(stack, complaint)
    token = token_for("complaint_officer")
    parts = urlsplit(stack.intake.url)
    sent = 0
    answer = io.BytesIO()

    def send() -> None:
        nonlocal sent
        with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
            sock.sendall(
                f"POST /complaints/{cid}/attachments?name=big.pdf HTTP/1.1\r\nHost: x\r\n"
                f"Authorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
            )
            block = PDF + bytes((1 << 20) - len(PDF))
            try:
                while sent < 26 * MB:
                    sock.sendall(f"{len(block):x}\r\n".encode() + block + b"\r\n")
                    sent += len(block)
                sock.sendall(b"0\r\n\r\n")
            except OSError:  # the service answered and closed the connection: it read no further
                pass
            sock.settimeout(10)
            while chunk := sock.recv(65536):
                answer.write(chunk)

    grew = peak_growth_mb(stack.intake.process.pid, send)
    assert answer.getvalue().startswith(b"HTTP/1.1 413"), answer.getvalue()[:200]
    assert grew < 4, f"resident memory peaked {grew:.1f} MB above its start"
    assert attachment_events(stack, cid) == []


@pytest.mark.parametrize(
    ("params", "headers", "field"),
    [
        ({}, {}, "name"),
        ({"name": ""}, {}, "name"),
        ({"name": "../etc/passwd"}, {}, "name"),
        ({"name": "a\\b.pdf"}, {}, "name"),
        ({"name": "a\x07.pdf"}, {}, "name"),
        ({"name": "x" * 256}, {}, "name"),
        ({"name": "a.pdf"}, {"Content-Disposition": 'attachment; filename="b.pdf"'}, "name"),
    ],
)
def test_a_bad_name_is_400_naming_it(stack, complaint, params, headers, field):
    cid = register(stack, complaint)
    response = requests.post(
        f"{stack.intake.url}/complaints/{cid}/attachments",
        data=PDF,
        params=params,
        headers={"Authorization": f"Bearer {token_for('complaint_officer')}", **headers},
        timeout=10,
    )
    assert response.status_code == 400, response.text
    assert set(response.json()["errors"]) == {field}
    assert attachment_events(stack, cid) == []


def test_an_empty_file_is_400_naming_the_body(stack, complaint):
    cid = register(stack, complaint)
    response = upload(stack, cid, b"")
    assert response.status_code == 400, response.text
    assert set(response.json()["errors"]) == {"_body"}


def test_unknown_complaint_and_attachment_are_404(stack, complaint):
    assert upload(stack, UNKNOWN, PDF).status_code == 404
    assert upload(stack, "not-an-id", PDF).status_code == 404
    assert stack.intake.get(f"/complaints/{UNKNOWN}/attachments").status_code == 404
    cid = register(stack, complaint)
    assert download(stack, cid, UNKNOWN).status_code == 404
    assert download(stack, cid, "nope").status_code == 404
    other = register(stack, complaint)
    aid = upload(stack, other, PDF).json()["attachment_id"]
    assert download(stack, cid, aid).status_code == 404  # another complaint's attachment


# -- who may read ------------------------------------------------------------------------------------


def test_a_liaison_of_another_department_gets_404_and_their_own_department_reads(stack, complaint):
    cid = register(stack, complaint, departments=["billing_office"])
    aid = upload(stack, cid, PDF).json()["attachment_id"]
    cardiology = token_for(LIAISON, "east-cardiology-liaison", ("east",), "cardiology")
    billing = token_for(LIAISON, "east-billing-liaison", ("east",), "billing_office")
    assert stack.intake.get(f"/complaints/{cid}/attachments", token=cardiology).status_code == 404
    assert download(stack, cid, aid, token=cardiology).status_code == 404
    assert upload(stack, cid, PDF, token=cardiology).status_code == 404
    assert stack.intake.get(f"/complaints/{cid}/attachments", token=billing).status_code == 200
    assert download(stack, cid, aid, token=billing).content == PDF
    west = token_for("complaint_officer", "west-office", ("west",))
    assert download(stack, cid, aid, token=west).status_code == 404  # another campus: as for the complaint
    leadership = token_for("leadership", "dean")
    assert download(stack, cid, aid, token=leadership).content == PDF
    assert upload(stack, cid, PDF, token=leadership).status_code == 403  # readers who do not add files


# -- erasure -----------------------------------------------------------------------------------------


def _summary(stack, campus: str) -> dict:
    response = stack.reporting.get("/reports/summary", params={"campus": campus})
    assert response.status_code == 200, response.text
    return {k: v for k, v in response.json().items() if k not in ("as_of", "positions")}  # the figures only


def test_erasure_makes_attachments_unreadable_and_leaves_statistics(stack, complaint):
    cid = register(stack, complaint)
    aid = upload(stack, cid, SAMPLES["text/plain"], name="王芳的陈述.txt").json()["attachment_id"]
    west_before = _summary(stack, "west")["received"]["total"]
    register(stack, complaint, campus="west", departments=[])  # once reporting counts it, it read what came before
    wait_for(lambda: _summary(stack, "west")["received"]["total"] == west_before + 1, what="reporting")
    east_before = _summary(stack, "east")
    erased = stack.intake.post(f"/complaints/{cid}/erasure", {"reason": "lawful request 2026-88"})
    assert erased.status_code == 200, erased.text
    gone = download(stack, cid, aid)
    assert gone.status_code == 410 and "erased" in gone.json()["error"]
    [listed] = stack.intake.get(f"/complaints/{cid}/attachments").json()["attachments"]
    assert listed["name"] is None and listed["erased"] is True
    assert listed["sha256"] == hashlib.sha256(SAMPLES["text/plain"]).hexdigest()  # the record of it stays
    refused = upload(stack, cid, PDF)
    assert refused.status_code == 409 and refused.json()["state"] == "erased"
    register(stack, complaint, campus="west", departments=[])
    wait_for(lambda: _summary(stack, "west")["received"]["total"] == west_before + 2, what="reporting")
    assert _summary(stack, "east") == east_before
