"""The four services as real processes (``python -m shared.run <service>``), on fresh databases."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from shared import config
from tests.support.databases import fresh_service_database
from tests.support.waiting import wait_for

LOGS = config.ROOT / "artifacts" / "logs"


class ServiceProcess:
    def __init__(self, service: str):
        self.service = service
        self.url = config.service_url(service)
        self.process: subprocess.Popen | None = None
        self.log_path: Path = LOGS / f"{service}.log"

    def start(self) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        env = {**os.environ, "GAP_TIMEOUT": "1", "DEADLINE_TICK_SECONDS": "0.5"}
        self.process = subprocess.Popen([sys.executable, "-m", "shared.run", self.service], cwd=config.ROOT,
                                        stdout=log, stderr=subprocess.STDOUT, env=env)
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

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(f"{self.url}{path}", timeout=10, **kwargs)

    def post(self, path: str, json: object = None, **kwargs) -> requests.Response:
        return requests.post(f"{self.url}{path}", json=json, timeout=10, **kwargs)


class Stack(dict):
    def __getattr__(self, name: str) -> ServiceProcess:
        return self[name]


@pytest.fixture(scope="package")
def stack(rabbit_vhost):
    services = Stack({s: ServiceProcess(s) for s in config.SERVICES})
    for service in config.SERVICES:
        fresh_service_database(service)
    try:
        for process in services.values():
            process.start()
        yield services
    finally:
        for process in services.values():
            process.stop()


@pytest.fixture
def complaint():
    def make(**overrides):
        body = {"campus": "east", "channel": "phone", "category": "billing", "severity": "normal",
                "source": "patient_or_family", "summary": "Charged twice for one X-ray",
                "departments": ["billing_office"],
                "complainant": {"name": "Wang Fang", "phone": "+86 138 0000 0000", "relation": "self"}}
        body.update(overrides)
        return body
    return make
