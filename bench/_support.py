"""What the benches share: a private RabbitMQ vhost and PostgreSQL database, queue helpers, and a
retry for a figure cut short by a broker restart (the integration tests restart RabbitMQ, and other
people may run them on the same machine while a bench runs).

Import it after ``eventlet.monkey_patch()`` and ``shared.db.make_cooperative()``.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

os.environ.setdefault("DATABASE_URL_TEMPLATE", "postgresql://postgres@127.0.0.1:5432/bench_{service}")
os.environ.setdefault("RABBIT_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672")

import amqp
import kombu
import psycopg2

from shared.relay import ConfirmError
from tests.support import rabbit
from tests.support.databases import fresh_backbone_database

T = TypeVar("T")

# A figure interrupted by one of these is measured again once the broker is back.
BROKER_LOST = (OSError, amqp.exceptions.AMQPError, kombu.exceptions.KombuError, ConfirmError)


class Sandbox:
    """A fresh vhost and a fresh migrated backbone database, both named after the bench and a run id."""

    def __init__(self, bench: str, amqp_base: str, keep_db: bool = False):
        self.run_id = uuid.uuid4().hex[:8]
        self.vhost = f"bench-{bench}-{self.run_id}"
        self.amqp_uri = f"{amqp_base.rstrip('/')}/{self.vhost}"
        self.db_name = f"{bench}_{self.run_id}"
        self.keep_db = keep_db
        self.dsn = ""

    def __enter__(self) -> Sandbox:
        rabbit.create_vhost(self.vhost)
        try:
            self.dsn = fresh_backbone_database(self.db_name)
        except BaseException:
            rabbit.delete_vhost(self.vhost)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        rabbit.delete_vhost(self.vhost)
        if self.dsn and not self.keep_db:
            with suppress(psycopg2.Error):
                drop_database(self.dsn)

    def describe(self) -> str:
        return f"database {self.dsn.rsplit('/', 1)[1]}, vhost {self.vhost}, {load_average()}"


def drop_database(dsn: str) -> None:
    name = dsn.rsplit("/", 1)[1]
    conn = psycopg2.connect(dsn.rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def load_average() -> str:
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"


_TICK = os.sysconf("SC_CLK_TCK")
#: named groups of processes, each a test on a process's pid and command line
CpuGroups = dict[str, Callable[[int, str], bool]]


def cpu_seconds(groups: CpuGroups) -> dict[str, float]:
    """CPU time (user + system) so far of the machine's processes, summed per group; a group is a test
    on a process's pid and command line (PostgreSQL's backends are processes of their own)."""
    totals = dict.fromkeys(groups, 0.0)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        for name, belongs in groups.items():
            if belongs(int(entry), command):
                totals[name] += (int(fields[11]) + int(fields[12])) / _TICK
                break
    return totals


@contextmanager
def channel(amqp_uri: str) -> Iterator[amqp.Channel]:
    with kombu.Connection(amqp_uri, heartbeat=0, connect_timeout=5) as connection:
        yield connection.channel()


def declare(amqp_uri: str, queues: list[kombu.Queue]) -> None:
    with channel(amqp_uri) as ch:
        for queue in queues:
            queue(ch).declare()


def depth(amqp_uri: str, queue: str) -> int:
    """Messages ready in ``queue`` (not counting any delivered but unacknowledged)."""
    with channel(amqp_uri) as ch:
        return ch.queue_declare(queue, passive=True).message_count


def purge(amqp_uri: str, queue: str) -> None:
    with channel(amqp_uri) as ch:
        ch.queue_purge(queue)


def wait_for_broker(amqp_uri: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with channel(amqp_uri):
                return
        except BROKER_LOST:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def retrying(name: str, amqp_uri: str, measure: Callable[[], T], reset: Callable[[], None], attempts: int = 3) -> T:
    """Run ``measure``; if the broker went away meanwhile, wait for it, ``reset`` and measure again."""
    for attempt in range(1, attempts + 1):
        try:
            return measure()
        except BROKER_LOST as exc:
            if attempt == attempts:
                raise
            print(f"  {name}: lost the broker ({type(exc).__name__}: {exc}); was RabbitMQ restarted? measuring again")
            wait_for_broker(amqp_uri)
            reset()
    raise AssertionError("unreachable")


def common_arguments(parser: Any, what: str) -> None:
    """The options the broker benches take; ``what`` names what --breakdown and --profile look at."""
    parser.add_argument("--repeat", type=int, default=1, help="measure every figure this often, keep the best")
    parser.add_argument(
        "--amqp",
        default="amqp://guest:guest@127.0.0.1:5672",
        help="broker URI without vhost (a fresh vhost is created and deleted)",
    )
    parser.add_argument("--breakdown", action="store_true", help=f"time the phases of {what}")
    parser.add_argument("--profile", action="store_true", help=f"cProfile {what} and print the top")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the bench database")


def parse_with_quick(
    parser: argparse.ArgumentParser, quick_sizes: dict[str, Any], argv: list[str] | None = None
) -> argparse.Namespace:
    """Parse the bench's options; with ``--quick``, ``quick_sizes`` replace the defaults (sizes given on
    the command line still win). Quick mode (``make bench-quick``, run by CI) proves in seconds that the
    bench works end to end; its figures, at these sizes, are not the documented ones."""
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"small sizes, seconds ({', '.join(f'{k}={v}' for k, v in quick_sizes.items())}):"
        " checks the bench runs; the figures mean little",
    )
    args = parser.parse_args(argv)
    if args.quick:
        parser.set_defaults(**quick_sizes)
        args = parser.parse_args(argv)
        print(
            f"quick mode ({', '.join(f'{k}={v}' for k, v in quick_sizes.items())}): a check that the bench runs,"
            " not a figure"
        )
    return args
