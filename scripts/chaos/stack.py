"""The services of `make chaos`: two replicas of each (a and b) as processes on the chaos cluster,
the SMTP and SMS stand-ins, and a steady load of complaints and case actions over HTTP on both
replicas."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import amqp
import kombu
import requests

from scripts.chaos.infra import PostgresPair, RabbitCluster, wait_until
from shared import config
from shared.auth import authenticator

REPLICAS = ("a", "b")
HTTP_PORT = {"a": 26001, "b": 26011}  # + the service's index
SMTP_PORT, SMS_PORT = 26025, 26090


class Stack:
    def __init__(self, base: Path, cluster: RabbitCluster, postgres: PostgresPair):
        self.base, self.cluster, self.postgres = base, cluster, postgres
        self.logs = base / "logs"
        self.processes: dict[tuple[str, str], subprocess.Popen] = {}
        self.helpers: list[subprocess.Popen] = []
        self.mail = base / "mail"
        self.env = self._environment()

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.endswith(("_AMQP_URI", "_DATABASE_URL", "_URL", "_PORT"))}
        env.update(
            {
                "AMQP_URI": self.cluster.amqp_uris(),
                "DATABASE_URL_TEMPLATE": self.postgres.url_template(),
                "AUTH_JWT_SECRET": f"chaos-{uuid.uuid4().hex}-0123456789abcdef",
                "GAP_TIMEOUT": "1",
                "DEADLINE_TICK_SECONDS": "0.5",
                "RATE_LIMIT_WRITES_PER_MINUTE": "600000",
                "RATE_LIMIT_WRITE_BURST": "10000",
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(SMTP_PORT),
                "SMS_GATEWAY_URL": f"http://127.0.0.1:{SMS_PORT}/send",
                "SMS_GATEWAY_TOKEN": "chaos",
                "SMS_TIMEOUT": "2",
                "NOTIFY_BACKOFF_SECONDS": "0.2",
                "NOTIFY_BACKOFF_CAP_SECONDS": "1",
                "NOTIFY_DELIVERY_INTERVAL": "0.2",
                "DB_POOL_SIZE": "6",
                # Production retries a message for hours (backoff 30 s, capped at 1 h); scaled down, ~45 s of retries.
                "NOTIFY_MAX_ATTEMPTS": "50",
                "NOTIFY_OFFICE_HOURS_ALWAYS_OPEN": "1",  # every message checked is sent whatever the hour
                "PYTHONPATH": str(config.ROOT),
            }
        )
        for i, service in enumerate(config.SERVICES):
            env[f"{service.upper()}_URL"] = f"http://127.0.0.1:{HTTP_PORT['a'] + i}"  # backfill from replica a
        os.environ["AUTH_JWT_SECRET"] = env["AUTH_JWT_SECRET"]  # the load's tokens
        return env

    def url(self, service: str, replica: str) -> str:
        return f"http://127.0.0.1:{HTTP_PORT[replica] + config.SERVICES.index(service)}"

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "shared.migrate"],
            env=self.env,
            cwd=config.ROOT,
            check=True,
            capture_output=True,
            timeout=300,
        )
        self.helpers = [
            self._spawn(["tests.support.smtp_sink", str(SMTP_PORT), str(self.mail)], "smtp"),
            self._spawn(["tests.support.sms_gateway", str(SMS_PORT)], "sms"),
        ]
        for replica in REPLICAS:
            self.start_replicas(replica)

    def _spawn(self, args: list[str], name: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("ab")
        return subprocess.Popen(
            [sys.executable, "-m", *args], cwd=config.ROOT, env=env or self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def start_replicas(self, replica: str) -> None:
        for i, service in enumerate(config.SERVICES):
            env = {**self.env, f"{service.upper()}_PORT": str(HTTP_PORT[replica] + i)}
            self.processes[(service, replica)] = self._spawn(["shared.run", service], f"{service}-{replica}", env)
        for service in config.SERVICES:
            wait_until(
                lambda s=service: requests.get(f"{self.url(s, replica)}/health/ready", timeout=2).ok,
                120,
                f"{service}-{replica} ready",
                interval=0.5,
            )

    def kill_replicas(self, replica: str) -> None:
        """SIGKILL one replica of every service: no goodbye, unacknowledged messages go back to the queue."""
        for service in config.SERVICES:
            process = self.processes.pop((service, replica), None)
            if process is not None:
                process.send_signal(signal.SIGKILL)
                process.wait()

    def cut_broker_connections(self, replica: str) -> None:
        """Close (management API) every broker connection of one replica of each service, as a network cut."""
        pids = {p.pid for (_, r), p in self.processes.items() if r == replica}
        ports = _local_ports_of(pids, {n.amqp_port for n in self.cluster.nodes})

        def listed() -> list[dict]:  # the management API lists a new connection after its stats interval
            found = [c for c in self.cluster.api("GET", "/connections").json() if c.get("peer_port") in ports]
            return found if len(found) >= len(ports) else []

        with contextlib.suppress(RuntimeError):
            wait_until(listed, 15, "the replicas' connections in the management API", interval=1.0)
        cut = 0
        for connection in self.cluster.api("GET", "/connections").json():
            if connection.get("peer_port") in ports:
                self.cluster.api(
                    "DELETE",
                    f"/connections/{requests.utils.quote(connection['name'], safe='')}",
                    headers={"X-Reason": "chaos: network cut"},
                )
                cut += 1
        print(f"chaos:   cut {cut} broker connections (of {len(ports)} open) of the {replica} replicas", flush=True)

    def poison(self) -> None:
        """A message that is no event, in a consumer's queue: parked, and nothing behind it held up."""
        poison = amqp.Message(
            b'{"specversion": "1.0", "type": "Poison", "poison": true}',
            delivery_mode=2,
            content_type="application/json",
        )
        with kombu.Connection(config.broker_failover(self.cluster.amqp_uris())) as connection:
            connection.default_channel.basic_publish(poison, exchange="", routing_key="reporting.intake-events")

    def stop(self) -> None:
        for process in [*self.processes.values(), *self.helpers]:
            if process.poll() is None:
                process.terminate()
        for process in [*self.processes.values(), *self.helpers]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()
        self.helpers.clear()

    # -- what happened ---------------------------------------------------------------------------
    def deliveries(self) -> Counter:
        """Every message the stand-ins accepted, by its idempotency key: a count above 1 is a doubled effect."""
        sms = requests.get(f"http://127.0.0.1:{SMS_PORT}/", timeout=5).json()["messages"]
        keys = Counter(f"sms:{m.get('id')}" for m in sms)
        for path in self.mail.glob("*.json"):
            keys[f"mail:{_message_id(path)}"] += 1
        return keys

    def sms_repeats(self) -> int:
        """Messages offered to the SMS gateway again after it had accepted them (a resend after a deliverer
        died between sending and recording): absorbed by the idempotency key, so not a doubled effect."""
        return len(requests.get(f"http://127.0.0.1:{SMS_PORT}/", timeout=5).json()["repeats"])


def _message_id(path: Path) -> str:
    """The notification's key inside the Message-ID (``make_msgid(idstring=key)``: <time.pid.random.key@domain>),
    so that the same notification mailed twice counts twice whatever the random part."""
    message_id = json.loads(path.read_text(encoding="utf-8"))["message_id"]
    match = re.match(r"^<\d+\.\d+\.\d+\.(.*)@[^@]*>$", message_id)
    return match.group(1) if match else message_id


def _local_ports_of(pids: set[int], broker_ports: set[int]) -> set[int]:
    """The local TCP ports of these processes' connections to the broker (from /proc: no tool needed)."""
    inodes: set[str] = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                columns = line.split()
                local, remote, inode = columns[1], columns[2], columns[9]
                if inode in inodes and int(remote.rsplit(":", 1)[1], 16) in broker_ports:
                    ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


class Load:
    """Complaints registered and case actions taken at a steady pace, alternating the replicas."""

    def __init__(self, stack: Stack, per_second: float = 4.0):
        self.stack, self.interval = stack, 1.0 / per_second
        self.running = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.status: Counter = Counter()  # (service, replica, status) -> requests
        self.registered: list[str] = []
        auth = authenticator()
        self.officer = auth.mint("chaos-officer", "complaint_officer", ("*",), None, 36000)
        self.liaison = auth.mint("east-cardiology-liaison", "department_liaison", ("east",), "cardiology", 36000)

    def start(self) -> None:
        self.thread.start()

    def resume(self) -> None:
        self.running.set()

    def pause(self) -> None:
        self.running.clear()
        time.sleep(self.interval * 2)  # lets a request in flight finish before counting

    def run_for(self, seconds: float) -> None:
        time.sleep(seconds)

    def stop(self) -> None:
        self.stopping.set()
        self.running.set()
        self.thread.join(timeout=30)

    def _run(self) -> None:
        n = 0
        while not self.stopping.is_set():
            self.running.wait()
            if self.stopping.is_set():
                return
            replica = REPLICAS[n % 2]
            self._register(replica, n)
            if n % 3 == 2 and len(self.registered) > 8:
                self._act(REPLICAS[(n + 1) % 2], self.registered[-8])
            if n % 5 == 0:
                for service in ("reporting", "notification"):
                    self._call("GET", service, replica, "/health/ready")
            n += 1
            time.sleep(self.interval)

    def _register(self, replica: str, n: int) -> None:
        body = {
            "campus": "east",
            "channel": "phone",
            "category": "billing" if n % 3 else "medical_quality",
            "severity": "major" if n % 10 == 0 else "normal",
            "source": "patient_or_family",
            "summary": f"chaos complaint {n}",
            "departments": ["cardiology"],
            "received_at": (datetime.now(UTC) - timedelta(days=21)).isoformat(),
            "complainant": {"name": "Chaos Tester", "phone": f"+86 138 {n:04d} 0000", "relation": "self"},
        }
        response = self._call("POST", "intake", replica, "/complaints", body)
        if response is not None and response.status_code == 201:
            self.registered.append(response.json()["complaint_id"])

    def _act(self, replica: str, complaint_id: str) -> None:
        self._call(
            "POST",
            "investigation",
            replica,
            f"/cases/{complaint_id}/findings",
            {
                "department": "cardiology",
                "substantiated": "no",
                "summary": "as planned",
                "signed_off_by": "east-cardiology-head",
            },
            token=self.liaison,
        )

    def _call(
        self, method: str, service: str, replica: str, path: str, body: object = None, token: str | None = None
    ) -> requests.Response | None:
        try:
            response = requests.request(
                method,
                f"{self.stack.url(service, replica)}{path}",
                json=body,
                timeout=10,
                headers={"Authorization": f"Bearer {token or self.officer}"},
            )
        except requests.RequestException:
            self.status[(service, replica, "no answer")] += 1
            return None
        self.status[(service, replica, str(response.status_code))] += 1
        return response
