"""Attachments in an S3-compatible object store (ATTACHMENTS_S3_*): a second intake process configured with
moto's S3 server (a real process on a loopback port, spoken to by intake's boto3 — no hand-written signing),
on the stack's database. The store holds only sealed chunks; downloads are byte-exact; a refused upload leaves
no object behind; erasure makes the stored file unreadable.

The test looks into the bucket with plain S3 REST calls (moto does not ask them to be signed): boto3 cannot make
a client in pytest's process, whose plugins import ``ssl`` before the root conftest patches it for eventlet."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator

import pytest
import requests

from shared import config
from tests.e2e.conftest import LOGS, ServiceProcess, token_for
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
BUCKET = "complaint-attachments"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
LIMIT = 1_000_000  # this intake's INTAKE_ATTACHMENT_MAX_BYTES: a small limit, quick to pass
SECRET_TEXT = "王芳说：第二次收费是错误的。".encode()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3() -> Iterator[tuple[str, Bucket]]:
    port = _free_port()
    LOGS.mkdir(parents=True, exist_ok=True)
    with (LOGS / "moto.log").open("ab") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            cwd=config.ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: requests.get(endpoint, timeout=1).status_code < 500, timeout=30, what="moto's S3 server")
        assert requests.put(f"{endpoint}/{BUCKET}", timeout=10).status_code == 200
        yield endpoint, Bucket(f"{endpoint}/{BUCKET}")
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def stored_in_s3(stack, s3) -> Iterator[ServiceProcess]:
    endpoint, _ = s3
    process = ServiceProcess(
        "intake",
        port=int(os.environ["INTAKE_PORT"]) + 6,  # a spare port of the slot (tests/e2e/test_replicas.py's too)
        env={
            "ATTACHMENTS_S3_ENDPOINT": endpoint,
            "ATTACHMENTS_S3_BUCKET": BUCKET,
            "ATTACHMENTS_S3_ACCESS_KEY": CREDENTIALS["aws_access_key_id"],
            "ATTACHMENTS_S3_SECRET_KEY": CREDENTIALS["aws_secret_access_key"],
            "ATTACHMENTS_S3_PREFIX": "test/",
            "INTAKE_ATTACHMENT_MAX_BYTES": str(LIMIT),
        },
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


class Bucket:
    """The test bucket, read over S3's REST API."""

    def __init__(self, url: str):
        self.url = url

    def keys(self, prefix: str = "") -> list[str]:
        listed = requests.get(self.url, params={"list-type": "2", "prefix": f"test/{prefix}"}, timeout=10)
        assert listed.status_code == 200, listed.text
        namespace = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
        return [k.text or "" for k in ElementTree.fromstring(listed.content).findall("s3:Contents/s3:Key", namespace)]

    def read(self, key: str) -> bytes:
        return requests.get(f"{self.url}/{key}", timeout=10).content


def _objects(bucket: Bucket, attachment_or_all: str = "") -> list[str]:
    return bucket.keys(attachment_or_all)


def _upload(intake: ServiceProcess, cid: str, body, name: str = "statement.txt") -> requests.Response:
    return requests.post(
        f"{intake.url}/complaints/{cid}/attachments",
        params={"name": name},
        data=body,
        headers={"Authorization": f"Bearer {token_for('complaint_officer', 'east-office-head')}"},
        timeout=30,
    )


def _register(stack, complaint) -> str:
    response = stack.intake.post("/complaints", complaint())
    assert response.status_code == 201, response.text
    return response.json()["complaint_id"]


def test_the_store_holds_sealed_chunks_and_serves_them_back_byte_exact(stack, complaint, stored_in_s3, s3):
    _, client = s3
    cid = _register(stack, complaint)
    content = SECRET_TEXT * 20000  # ≈ 0.8 MB: thirteen chunks
    response = _upload(stored_in_s3, cid, content)
    assert response.status_code == 201, response.text
    aid = response.json()["attachment_id"]
    assert response.json()["sha256"] == hashlib.sha256(content).hexdigest()
    keys = _objects(client, aid)
    assert len(keys) == -(-len(content) // (64 * 1024))
    for key in keys:  # sealed: not a byte of the text in the clear
        assert SECRET_TEXT[:12] not in client.read(key)
    back = stored_in_s3.get(f"/complaints/{cid}/attachments/{aid}")
    assert back.status_code == 200 and back.content == content
    # listed by either process (one database); the chunks are where the row says they are
    assert [a["attachment_id"] for a in stack.intake.get(f"/complaints/{cid}/attachments").json()["attachments"]] == [
        aid
    ]


def test_a_refused_upload_leaves_no_object(stack, complaint, stored_in_s3, s3):
    _, client = s3
    cid = _register(stack, complaint)
    before = set(_objects(client))

    def too_big() -> Iterator[bytes]:  # chunked, so only passing the limit tells
        for _ in range(20):
            yield SECRET_TEXT * 5000

    assert _upload(stored_in_s3, cid, too_big()).status_code == 413
    assert _upload(stored_in_s3, cid, b"MZ\x90\x00" + bytes(100), name="x.pdf").status_code == 415
    assert set(_objects(client)) == before
    assert stack.intake.get(f"/complaints/{cid}/attachments").json()["attachments"] == []


def test_erasure_makes_the_stored_file_unreadable(stack, complaint, stored_in_s3, s3):
    _, client = s3
    cid = _register(stack, complaint)
    aid = _upload(stored_in_s3, cid, SECRET_TEXT).json()["attachment_id"]
    assert stack.intake.post(f"/complaints/{cid}/erasure", {"reason": "lawful request"}).status_code == 200
    assert stored_in_s3.get(f"/complaints/{cid}/attachments/{aid}").status_code == 410
    assert _objects(client, aid)  # still there, and can never be opened: the key is gone
