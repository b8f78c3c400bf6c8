"""``make stop`` against real processes started as ``make run`` starts them (pid files in a run
directory of the test's own, ports of the test slot): it returns only once they have exited."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import config
from tests.support.waiting import wait_for


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Started:
    """Processes started like ``make run`` does, each with ``<name>.pid`` in ``run_dir``."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: list[str], port: int, ignore_sigterm: bool = False, **env: str) -> None:
        def ignore() -> None:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # inherited across exec: a process deaf to SIGTERM

        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=config.ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=ignore if ignore_sigterm else None,
        )
        self.processes[name] = process
        (self.run_dir / f"{name}.pid").write_text(f"{process.pid}\n")
        wait_for(lambda: _listening(port), timeout=60, what=f"{name} listening on {port}")

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def started(tmp_path) -> Iterator[Started]:
    run = Started(tmp_path / "run")
    run.run_dir.mkdir()
    try:
        yield run
    finally:
        run.stop_all()


def _ports() -> dict[str, int]:
    """Spare ports of the test slot that no stack of this package uses (its SMTP/SMS stand-ins take +4, +5)."""
    base = int(os.environ["INTAKE_PORT"])
    return {"smtp": base + 6, "sms": base + 8, "console": base + 9}


def make_stop(run_dir: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "stop", f"RUN_DIR={run_dir}"],
        cwd=config.ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_make_stop_returns_once_the_console_and_the_stand_ins_have_exited(started, tmp_path):
    ports = _ports()
    started.start("console", ["-m", "shared.run", "console"], ports["console"], CONSOLE_PORT=str(ports["console"]))
    started.start("smtp", ["-m", "tests.support.smtp_sink", str(ports["smtp"]), str(tmp_path / "mail")], ports["smtp"])
    started.start("sms", ["-m", "tests.support.sms_gateway", str(ports["sms"])], ports["sms"])

    done = make_stop(started.run_dir)

    assert done.returncode == 0, done.stderr
    assert "killing" not in done.stderr  # each stopped on SIGTERM, the console too (it has no timers to wake it)
    # Asked at once, without waiting: every process has already exited when make stop returns.
    still_running = [name for name, p in started.processes.items() if p.poll() is None]
    assert still_running == []
    assert not _listening(ports["console"])
    assert list(started.run_dir.glob("*.pid")) == []


def test_make_stop_kills_a_process_deaf_to_sigterm_after_its_timeout(started):
    port = _ports()["sms"]
    started.start("sms", ["-m", "tests.support.sms_gateway", str(port)], port, ignore_sigterm=True)

    done = make_stop(started.run_dir, STOP_TIMEOUT="1")

    assert done.returncode == 0, done.stderr
    assert started.processes["sms"].poll() == -signal.SIGKILL
    assert "sms" in done.stderr and "killing it" in done.stderr


def test_make_stop_leaves_a_process_alone_whose_pid_file_is_stale(started):
    """A pid reused by another program after a reboot or a crash: only the pid file goes."""
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        (started.run_dir / "intake.pid").write_text(f"{other.pid}\n")
        (started.run_dir / "reporting.pid").write_text("4194303\n")  # no such process

        done = make_stop(started.run_dir)

        assert done.returncode == 0, done.stderr
        assert other.poll() is None
        assert list(started.run_dir.glob("*.pid")) == []
    finally:
        other.kill()
        other.wait()
