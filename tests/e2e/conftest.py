"""The four services as real processes (``python -m shared.run <service>``), on fresh databases."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from scripts import rabbitmq_users
from shared import config
from shared.auth import OFFICER, authenticator
from tests.support import rabbit
from tests.support.amqp import Collector
from tests.support.databases import fresh_service_database
from tests.support.waiting import wait_for

LOGS = config.ROOT / "artifacts" / "logs"


# Every complainant and patient detail registered during the suite: no published message may hold any.
REGISTERED_PERSONAL_DATA: set[str] = set()


class ServiceProcess:
    def __init__(self, service: str, port: int | None = None, env: dict[str, str] | None = None):
        self.service = service
        self.url = f"http://127.0.0.1:{port}" if port else config.service_url(service)
        self.port = port
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None
        self.log_path: Path = LOGS / f"{service}{'-' + str(port) if port else ''}.log"

    def start(self) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        env = {
            **os.environ,
            "GAP_TIMEOUT": "1",
            "DEADLINE_TICK_SECONDS": "0.5",
            "HTTP_HEADER_TIMEOUT": "5",
            "HTTP_BODY_TIMEOUT": "5",
            **self.extra_env,
        }  # slow clients, quickly
        if self.port:
            env[f"{self.service.upper()}_PORT"] = str(self.port)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shared.run", self.service],
            cwd=config.ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        wait_for(self.ready, timeout=60, what=f"{self.service} ready")

    def ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"{self.service} exited with {self.process.returncode}; see {self.log_path}")
        return requests.get(f"{self.url}/health/ready", timeout=2).status_code == 200

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def get(self, path: str, token: str | None = None, **kwargs) -> requests.Response:
        return requests.get(f"{self.url}{path}", timeout=10, headers=_auth(token, kwargs), **kwargs)

    def post(self, path: str, json: object = None, token: str | None = None, **kwargs) -> requests.Response:
        if self.service == "intake" and path == "/complaints" and isinstance(json, dict):
            for part in ("complainant", "patient"):
                REGISTERED_PERSONAL_DATA.update(
                    v
                    for k, v in (json.get(part) or {}).items()
                    if k != "relation" and isinstance(v, str) and len(v) > 3
                )
        return requests.post(f"{self.url}{path}", json=json, timeout=10, headers=_auth(token, kwargs), **kwargs)


def token_for(
    role: str,
    subject: str | None = None,
    campuses: tuple[str, ...] = ("*",),
    department: str | None = None,
    ttl: float = 3600,
) -> str:
    """A token as the hospital's identity provider would issue it (signed with the test key)."""
    return authenticator().mint(subject or f"test-{role}", role, campuses, department, ttl)


def _auth(token: str | None, kwargs: dict) -> dict:
    """Requests go as a complaint officer of every campus unless a test names another caller."""
    headers = dict(kwargs.pop("headers", None) or {})
    headers.setdefault("Authorization", f"Bearer {token or token_for(OFFICER, 'test-officer')}")
    return headers


class Helper:
    """A stand-in for the outside world the services talk to (SMTP server, SMS gateway), as a process."""

    def __init__(self, args: list[str], port: int, name: str):
        self.args, self.port, self.name = args, port, name
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        log = (LOGS / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", *self.args], cwd=config.ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        wait_for(self.listening, timeout=20, what=f"{self.name} listening")

    def listening(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


class Smtp(Helper):
    def __init__(self, port: int, folder: Path):
        super().__init__(["tests.support.smtp_sink", str(port), str(folder)], port, "smtp")
        self.folder = folder

    def messages(self) -> list[dict]:
        return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(self.folder.glob("*.json"))]


class SmsGateway(Helper):
    def __init__(self, port: int):
        super().__init__(["tests.support.sms_gateway", str(port)], port, "sms")
        self.url = f"http://127.0.0.1:{port}"

    def messages(self) -> list[dict]:
        return requests.get(self.url, timeout=5).json()["messages"]

    def attempts(self) -> int:
        return requests.get(self.url, timeout=5).json()["attempts"]

    def repeats(self) -> list[str]:
        """The ids of messages offered again after the gateway had accepted them (absorbed by the key)."""
        return requests.get(self.url, timeout=5).json()["repeats"]

    def mode(self, status: int = 200, delay: float = 0.0) -> None:
        requests.post(f"{self.url}/_mode", json={"status": status, "delay": delay}, timeout=5).raise_for_status()


class Stack(dict):
    smtp: Smtp
    sms: SmsGateway
    published: list[Collector]

    def __getattr__(self, name: str) -> ServiceProcess:
        return self[name]


def use_stand_ins(smtp: Smtp, sms: SmsGateway) -> None:
    """Point notification at the test's SMTP server and SMS gateway, with retries quick enough to watch."""
    os.environ.update(
        {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp.port),
            "SMS_GATEWAY_URL": f"{sms.url}/send",
            "SMS_GATEWAY_TOKEN": "test-token",
            "SMS_TIMEOUT": "1",
            "NOTIFY_BACKOFF_SECONDS": "0.2",
            "NOTIFY_BACKOFF_CAP_SECONDS": "1",
            "NOTIFY_MAX_ATTEMPTS": "3",
            "NOTIFY_DELIVERY_INTERVAL": "0.2",
            # staff messages at once whatever the hour (office hours: tests/integration/test_office_hours.py)
            "NOTIFY_OFFICE_HOURS_ALWAYS_OPEN": "1",
        }
    )


class StackBroker:
    """A vhost of the stack's own (a stack's fresh databases must never meet messages a previous stack
    left in durable queues), and each service as its own broker user with only the permissions deploy/
    grants it. Sets AMQP_URI and <SERVICE>_AMQP_URI for the stack's life."""

    def __init__(self) -> None:
        suffix = uuid.uuid4().hex[:8]
        self.vhost, self.users = f"complaints-stack-{suffix}", [f"{s}-svc-{suffix}" for s in config.SERVICES]
        self.saved = {k: os.environ.get(k) for k in ("AMQP_URI", *(f"{s.upper()}_AMQP_URI" for s in config.SERVICES))}
        rabbit.create_vhost(self.vhost)
        os.environ["AMQP_URI"] = f"amqp://guest:guest@127.0.0.1:5672/{self.vhost}"
        passwords = {s: f"pw-{s}-{suffix}" for s in config.SERVICES}
        management = os.environ["RABBIT_MANAGEMENT_URL"].replace("guest:guest@", "")
        uris = rabbitmq_users.apply(management, self.vhost, passwords, ("guest", "guest"), suffix=f"-{suffix}")
        for service, uri in uris.items():
            os.environ[f"{service.upper()}_AMQP_URI"] = uri

    def close(self) -> None:
        rabbit.delete_vhost(self.vhost)
        for user in self.users:
            rabbit.delete_user(user)
        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="package")
def stack(rabbit_vhost, tmp_path_factory):
    base = int(os.environ["INTAKE_PORT"]) + 4  # the slot's two spare ports
    smtp = Smtp(base, tmp_path_factory.mktemp("smtp"))
    sms = SmsGateway(base + 1)
    use_stand_ins(smtp, sms)
    broker = StackBroker()
    services = Stack({s: ServiceProcess(s) for s in config.SERVICES})
    services.smtp, services.sms = smtp, sms
    # A subscriber bound before anything is published: it sees every message of the suite.
    services.published = [
        Collector(owner, f"test-published-{owner}") for owner in ("intake", "investigation", "notification")
    ]
    for service in config.SERVICES:
        fresh_service_database(service)
    try:
        smtp.start()
        sms.start()
        for process in services.values():
            process.start()
        yield services
    finally:
        for process in services.values():
            process.stop()
        smtp.stop()
        sms.stop()
        for collector in services.published:
            collector.stop()
        broker.close()


@pytest.fixture(scope="package")
def complaint():
    def make(**overrides):
        body = {
            "campus": "east",
            "channel": "phone",
            "category": "billing",
            "severity": "normal",
            "source": "patient_or_family",
            "summary": "Charged twice for one X-ray",
            "departments": ["billing_office"],
            "complainant": {"name": "Wang Fang", "phone": "+86 138 0000 0000", "relation": "self"},
        }
        body.update(overrides)
        return body

    return make
