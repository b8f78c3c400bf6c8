"""The distributed engines `make chaos` builds on this machine, on ports and in folders of their own
(var/chaos): a 3-node RabbitMQ cluster and a PostgreSQL primary with a synchronous standby.

The machine's own RabbitMQ (5672/15672/25672, rabbit@localhost) and PostgreSQL (5432) are never
touched: other node names, ports, data folders and an Erlang cookie of their own (epmd is shared,
which is what it is for).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg2
import requests

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")
# Below the ephemeral port range (32768+), so no client socket can hold one of them when a server starts.
AMQP_PORT, DIST_PORT, MANAGEMENT_PORT = 26672, 26682, 26692  # + node index
PG_PORT = 26432  # primary; the standby is PG_PORT + 1
PG_USER = "postgres"


def wait_until(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {what} ({last!r})")


class RabbitNode:
    def __init__(self, base: Path, index: int):
        self.index = index
        self.name = f"chaos{index}@localhost"
        base = base.resolve()
        self.home = base / "rabbit-home"  # HOME holds the cluster's own .erlang.cookie
        self.folder = base / f"rabbit{index}"
        self.amqp_port, self.management_port = AMQP_PORT + index, MANAGEMENT_PORT + index
        self.process: subprocess.Popen | None = None

    def env(self) -> dict[str, str]:
        f = self.folder
        return {
            **os.environ,
            "HOME": str(self.home),
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(DIST_PORT + self.index),
            "RABBITMQ_MNESIA_BASE": str(f / "mnesia"),
            "RABBITMQ_LOG_BASE": str(f / "log"),
            "RABBITMQ_CONFIG_FILE": str(f / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(f / "env.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(f / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(f / "enabled_plugins"),
            "RABBITMQ_PLUGINS_EXPAND_DIR": str(f / "plugins-expand"),
            "RABBITMQ_PID_FILE": str(f / "pid"),
            "RABBITMQ_FEATURE_FLAGS_FILE": str(f / "feature_flags"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_FLAGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    def prepare(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.amqp_port}\n"
            f"management.tcp.port = {self.management_port}\nmanagement.tcp.ip = 127.0.0.1\n"
            "loopback_users = none\nvm_memory_high_watermark.relative = 0.2\n"
            "disk_free_limit.absolute = 200MB\n"
        )
        (self.folder / "env.conf").write_text("")
        (self.folder / "advanced.config").write_text("[].\n")
        (self.folder / "enabled_plugins").write_text("[rabbitmq_management].\n")

    def start(self) -> None:
        log = (self.folder / "server.out").open("ab")
        self.process = subprocess.Popen(
            [str(RABBIT_BIN / "rabbitmq-server")],
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def ctl(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run(
            [str(RABBIT_BIN / "rabbitmqctl"), "-n", self.name, *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} on {self.name}: {result.stderr or result.stdout}")
        return result.stdout

    def wait_running(self, timeout: float = 120) -> None:
        # await_startup fails at once while the VM has not registered with epmd yet: ask again.
        wait_until(
            lambda: self.ctl("await_startup", "--timeout", "10", timeout=30) is not None,
            timeout,
            f"{self.name} to start",
            interval=1.0,
        )

    def kill(self) -> None:
        """SIGKILL the node's Erlang VM (and its helpers), as a lost machine would."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(Exception):
            self.ctl("stop", timeout=60)
        self.kill()


class RabbitCluster:
    def __init__(self, base: Path, size: int = 3):
        self.nodes = [RabbitNode(base, i) for i in range(size)]
        self.home = base.resolve() / "rabbit-home"

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        cookie = self.home / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text(os.urandom(16).hex().upper())
            cookie.chmod(0o400)
        for node in self.nodes:
            node.prepare()
            node.start()
        for node in self.nodes:
            node.wait_running()
        first = self.nodes[0]
        for node in self.nodes[1:]:
            node.ctl("stop_app")
            node.ctl("join_cluster", first.name)
            node.ctl("start_app")
        wait_until(lambda: len(self.running()) == len(self.nodes), 60, "3 running cluster nodes")

    def amqp_uris(self, user: str = "guest", password: str = "guest") -> str:
        return ";".join(f"amqp://{user}:{password}@127.0.0.1:{n.amqp_port}/" for n in self.nodes)

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """The management API through the first node that answers."""
        error: Exception | None = None
        for node in self.nodes:
            if node.process is None:
                continue
            try:
                response = requests.request(
                    method,
                    f"http://127.0.0.1:{node.management_port}/api{path}",
                    auth=("guest", "guest"),
                    timeout=10,
                    **kwargs,
                )
                response.raise_for_status()
                return response
            except requests.RequestException as exc:
                error = exc
        raise RuntimeError(f"no management API answers: {error!r}")

    def running(self) -> list[str]:
        return [n["name"] for n in self.api("GET", "/nodes").json() if n.get("running")]

    def node_holding_most_leaders(self) -> RabbitNode:
        leaders: dict[str, int] = {}
        for queue in self.api("GET", "/queues", params={"columns": "name,type,leader"}).json():
            if queue.get("type") == "quorum" and queue.get("leader"):
                leaders[queue["leader"]] = leaders.get(queue["leader"], 0) + 1
        name = max(leaders, key=leaders.__getitem__) if leaders else self.nodes[0].name
        return next(n for n in self.nodes if n.name == name)

    def stop(self) -> None:
        for node in reversed(self.nodes):
            node.stop()


def _as_postgres(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess:
    """PostgreSQL's tools refuse to run as root: run them as the postgres user."""
    command = ["runuser", "-u", PG_USER, "--", *args] if os.geteuid() == 0 else args
    return subprocess.run(command, capture_output=True, text=True, check=True, **kwargs)


def pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    return found[-1].parent


class PostgresServer:
    def __init__(self, base: Path, name: str, port: int):
        self.data = base / name
        self.port = port
        self.log = base / f"{name}.log"

    def pg_ctl(self, *args: str, timeout: float = 120) -> None:
        try:
            _as_postgres([str(pg_bin() / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), *args], timeout=timeout)
        except subprocess.CalledProcessError as exc:
            tail = self.log.read_text(errors="replace").splitlines()[-5:] if self.log.exists() else []
            raise RuntimeError(f"pg_ctl {' '.join(args)}: {exc.stderr.strip()}\n" + "\n".join(tail)) from exc

    def start(self) -> None:
        self.pg_ctl("start", "-w", "-o", f"-p {self.port} -k {self.data}")

    def stop_hard(self) -> None:
        """Immediate shutdown: no checkpoint, sessions cut, as a lost node."""
        with contextlib.suppress(RuntimeError):
            self.pg_ctl("stop", "-m", "immediate", "-w")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError):
                self.pg_ctl("stop", "-m", "fast", "-w")

    def promote(self) -> None:
        self.pg_ctl("promote", "-w")

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{database}"


class PostgresPair:
    """A primary and a synchronous standby (streaming replication, ``synchronous_commit = on``): a
    commit is acknowledged only once the standby has it, so promoting the standby loses no
    acknowledged transaction."""

    def __init__(self, base: Path):
        self.base = base.resolve() / "postgres"
        self.primary = PostgresServer(self.base, "primary", PG_PORT)
        self.standby = PostgresServer(self.base, "standby", PG_PORT + 1)

    def start(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.base, PG_USER, PG_USER)
        _as_postgres(
            [
                str(pg_bin() / "initdb"),
                "-D",
                str(self.primary.data),
                "-U",
                PG_USER,
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            timeout=180,
        )
        with (self.primary.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "listen_addresses = '127.0.0.1'\nwal_level = replica\nmax_wal_senders = 5\n"
                "synchronous_standby_names = 'standby'\nsynchronous_commit = on\n"
                "shared_buffers = 64MB\nmax_connections = 200\nfsync = off\n"
            )
        with (self.primary.data / "pg_hba.conf").open("a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        self.primary.start()
        self._clone(self.primary, self.standby)
        wait_until(self.synchronous, 60, "the standby to replicate synchronously")

    def _clone(self, source: PostgresServer, target: PostgresServer) -> None:
        """``target`` becomes a streaming standby of ``source`` (named "standby" in its primary_conninfo)."""
        _as_postgres(
            [
                str(pg_bin() / "pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(source.port),
                "-U",
                PG_USER,
                "-D",
                str(target.data),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "-d",
                f"host=127.0.0.1 port={source.port} user={PG_USER} application_name=standby",
            ],
            timeout=180,
        )
        # Once promoted, a standby is a primary with no standby of its own: it must not wait for one.
        with (target.data / "postgresql.auto.conf").open("a") as conf:
            conf.write("synchronous_standby_names = ''\n")
        target.start()

    def rebuild_standby(self) -> None:
        """After a failover, the lost primary's node comes back as the new primary's synchronous standby
        (as CloudNativePG re-creates an instance): the next scenarios run on a pair again."""
        lost, promoted = self.primary, self.standby
        shutil.rmtree(lost.data)
        self._clone(promoted, lost)
        with contextlib.closing(psycopg2.connect(promoted.dsn(), connect_timeout=5)) as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("ALTER SYSTEM SET synchronous_standby_names = 'standby'")
                cur.execute("SELECT pg_reload_conf()")
        self.primary, self.standby = promoted, lost
        wait_until(self.synchronous, 60, "the rebuilt standby to replicate synchronously")

    def synchronous(self) -> bool:
        with contextlib.closing(psycopg2.connect(self.primary.dsn(), connect_timeout=3)) as conn, conn.cursor() as cur:
            cur.execute("SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby'")
            row = cur.fetchone()
            return bool(row and row[0] == "sync")

    def url_template(self) -> str:
        """Both hosts; libpq keeps the one that takes writes (the promoted standby after a failover)."""
        return (
            f"postgresql://{PG_USER}@127.0.0.1:{PG_PORT},127.0.0.1:{PG_PORT + 1}/complaints_{{service}}"
            "?target_session_attrs=read-write"
        )

    def fail_over(self) -> None:
        self.primary.stop_hard()
        self.standby.promote()

    def stop(self) -> None:
        self.standby.stop()
        self.primary.stop()
