"""A real HTTP server standing in for the SMS gateway, run as its own process:
``python -m tests.support.sms_gateway PORT``.

``POST /send`` answers as the current mode says (``POST /_mode {"status": 500, "delay": 0}``) and
records what it accepted (``GET /``). Like the gateway docs/configuration.md asks for, it treats ``id`` as
an idempotency key: a message whose id it already accepted is answered 200 ``{"duplicate": true}`` and not
sent again (a retry after a timeout, or a resend after a deliverer died between sending and recording);
those repeats are listed apart (``"repeats"``: their ids)."""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"mode": {"status": 200, "delay": 0.0}, "messages": [], "attempts": 0, "repeats": []}
LOCK = threading.Lock()


class Gateway(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")

    def do_GET(self) -> None:
        with LOCK:
            self._answer(
                200, {"messages": STATE["messages"], "attempts": STATE["attempts"], "repeats": STATE["repeats"]}
            )

    def do_POST(self) -> None:
        body = self._body()
        if self.path == "/_mode":
            with LOCK:
                STATE["mode"] = {"status": 200, "delay": 0.0, **body}
            return self._answer(200, STATE["mode"])
        if self.path == "/_reset":
            with LOCK:
                STATE.update(messages=[], attempts=0, repeats=[], mode={"status": 200, "delay": 0.0})
            return self._answer(200, {})
        with LOCK:
            STATE["attempts"] += 1
            mode = dict(STATE["mode"])
        time.sleep(mode["delay"])
        if mode["status"] >= 300:
            return self._answer(mode["status"], {"status": mode["status"]})
        with LOCK:
            duplicate = body.get("id") is not None and any(m.get("id") == body["id"] for m in STATE["messages"])
            if duplicate:
                STATE["repeats"].append(body["id"])
            else:
                STATE["messages"].append({**body, "authorization": self.headers.get("Authorization")})
        return self._answer(200, {"status": 200, "duplicate": duplicate})


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Gateway).serve_forever()
