"""A real SMTP server on loopback for the tests (aiosmtpd), run as its own process:
``python -m tests.support.smtp_sink PORT DIR`` — every accepted message is written to DIR as JSON."""

from __future__ import annotations

import json
import signal
import sys
import time
import uuid
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class Keep:
    def __init__(self, folder: Path):
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        record = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": str(message["Subject"]),
            "message_id": str(message["Message-ID"]),
            "body": message.get_content(),
        }
        name = self.folder / f"{time.time_ns()}-{uuid.uuid4().hex[:6]}.json"
        name.with_suffix(".tmp").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        name.with_suffix(".tmp").rename(name)
        return "250 Message accepted for delivery"


if __name__ == "__main__":
    port, folder = int(sys.argv[1]), Path(sys.argv[2])
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(Keep(folder), hostname="127.0.0.1", port=port)
    controller.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        signal.pause()
    finally:
        controller.stop()
