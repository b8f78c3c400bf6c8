"""End-to-end latency: how long after a complaint is registered the other services show it.

The four services run as processes (``python -m shared.run <service>``, the e2e tests' helpers from
tests/e2e/conftest.py: a vhost and broker users of their own, fresh databases, the SMTP and SMS stand-ins).
Complaints are registered with ``POST /complaints`` at each rate (10, 20, 50 per second); for each,
green threads poll (every ``--poll`` seconds) until

- (registered: the POST answered, intake's own commit)
- investigation serves ``GET /cases/<id>`` (200),
- notification lists its ``acknowledgement`` under ``GET /notifications?complaint_id=<id>``,
- reporting serves ``GET /reports/complaints/<id>`` (200, it has counted it),

each measured from just before the POST was sent. p50 / p99 / max per stage and rate are printed.

The raw baseline, in the same run, on the same PostgreSQL and RabbitMQ: one round trip is an INSERT +
COMMIT into a table of a fresh database, one publish with a publisher confirm (the relay's
:class:`shared.relay.Publisher`) and one consume + ack of that message on another connection. Ratio =
figure / raw (p50 against p50, p99 against p99). The polling resolution (``--poll``) is part of every
figure. Targets (issue 21): at 50/s p99 <= 100 ms for investigation and reporting, p50 <= 3 x raw p50.

    COMPLAINTS_TEST_SLOT=6 PYTHONPATH=. .venv/bin/python bench/e2e_latency.py [--quick] [--seconds 10]
"""

import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import uuid  # noqa: E402

SLOT = int(os.environ.get("COMPLAINTS_TEST_SLOT", "0"))
_PORTS = {s: 18001 + 10 * SLOT + i for i, s in enumerate(("intake", "investigation", "notification", "reporting"))}
os.environ["DATABASE_URL_TEMPLATE"] = f"postgresql://postgres@127.0.0.1:5432/bench{SLOT}_e2e_{{service}}"
os.environ.setdefault("RABBIT_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672")
os.environ["AUTH_JWT_SECRET"] = f"bench-secret-{uuid.uuid4().hex}-0123456789abcdef"
os.environ["RATE_LIMIT_WRITES_PER_MINUTE"] = "600000"
os.environ["RATE_LIMIT_WRITE_BURST"] = "10000"
for _service, _port in _PORTS.items():
    os.environ[f"{_service.upper()}_PORT"] = str(_port)
    os.environ[f"{_service.upper()}_URL"] = f"http://127.0.0.1:{_port}"

from shared.db import execute_prepared, make_cooperative  # noqa: E402

make_cooperative()

import argparse  # noqa: E402
import itertools  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import kombu  # noqa: E402
import requests  # noqa: E402

from bench import _support  # noqa: E402
from shared import config  # noqa: E402
from shared.auth import OFFICER  # noqa: E402
from shared.relay import Publisher, event_exchange  # noqa: E402
from tests.e2e.conftest import ServiceProcess, SmsGateway, Smtp, StackBroker, token_for, use_stand_ins  # noqa: E402
from tests.support.databases import fresh_service_database  # noqa: E402

STAGES = ("investigation", "notification", "reporting")
SHOWN = ("registered", *STAGES)  # registered: the POST answered (intake's own commit)
RATES = (10, 20, 50)
COMPLAINT = {
    "campus": "east",
    "channel": "phone",
    "category": "billing",
    "severity": "normal",
    "source": "patient_or_family",
    "summary": "Charged twice for one X-ray",
    "departments": ["billing_office"],
    "complainant": {"name": "Wang Fang", "phone": "+86 138 0000 0000", "relation": "self"},
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="how long each rate is offered")
    parser.add_argument("--raw", type=int, default=300, help="raw round trips measured")
    parser.add_argument("--rates", type=int, nargs="+", default=list(RATES), help="complaints per second")
    parser.add_argument("--poll", type=float, default=0.005, help="polling interval of the watchers (s)")
    parser.add_argument(
        "--observer",
        choices=("db", "http"),
        default="db",
        help="db: one query per stage and poll for every awaited complaint; http: each polls the API",
    )
    parser.add_argument("--amqp", default="amqp://guest:guest@127.0.0.1:5672", help="broker URI without vhost")
    return _support.parse_with_quick(parser, {"seconds": 2.0, "raw": 100})


# -- the figures ---------------------------------------------------------------------------------
def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p99, max in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000, ordered[-1] * 1000


def raw_round_trips(amqp_base: str, count: int, queue_type: str = "classic") -> list[float]:
    """INSERT + COMMIT, a confirmed publish, a consume + ack on a second connection: ``count`` times.
    ``queue_type`` "quorum": through a quorum queue like the services' (a replicated log the broker
    writes and syncs before it confirms and delivers)."""
    with _support.Sandbox("e2e-raw", amqp_base) as box:
        import psycopg2

        conn = psycopg2.connect(box.dsn)
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE raw_rows (id bigserial PRIMARY KEY, body jsonb NOT NULL)")
        conn.commit()
        publisher = Publisher(box.amqp_uri, "raw")
        publisher.connect()
        queue = kombu.Queue(
            "raw.latency",
            exchange=event_exchange("raw"),
            routing_key="#",
            durable=True,
            queue_arguments={"x-queue-type": queue_type},
        )
        received: list[kombu.Message] = []
        with kombu.Connection(box.amqp_uri, heartbeat=0) as connection:
            channel = connection.channel()
            queue(channel).declare()
            with kombu.Consumer(channel, queues=[queue], no_ack=False, on_message=received.append):
                samples = []
                for n in range(count):
                    started = time.perf_counter()
                    with conn.cursor() as cur:
                        cur.execute("INSERT INTO raw_rows (body) VALUES (%s)", (f'{{"n": {n}}}',))
                    conn.commit()
                    publisher.publish_batch([("Raw", str(n), f'{{"n": {n}}}'.encode())])
                    while not received:
                        connection.drain_events(timeout=5)
                    received.pop().ack()
                    samples.append(time.perf_counter() - started)
        publisher.close()
        conn.close()
    return samples


# The most awaited complaints one observer query asks about (the oldest).
OLDEST_ASKED = 64
# What each stage commits when it has the complaint (``--observer db``): the row the HTTP answer is read from.
# Prepared once per watcher: planned once, not 200 times a second on the cores the services share.
SEEN_SQL = {
    "investigation": "SELECT complaint_id::text FROM cases WHERE complaint_id = ANY($1::uuid[])",
    "notification": "SELECT DISTINCT complaint_id::text FROM notifications WHERE purpose = 'acknowledgement'"
    " AND complaint_id = ANY($1::uuid[])",
    "reporting": "SELECT complaint_id::text FROM rpt_complaints WHERE complaint_id = ANY($1::uuid[])",
}


def client_session() -> requests.Session:
    """Keep-alive connections (as the console and other systems keep them) and no proxy lookup in the
    environment per request: the client shares the machine's two cores with what it measures."""
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=200))
    return session


class Watch:
    """Registers complaints and times when each stage shows them.

    ``db`` (the default): one green thread per stage asks that service's database every ``poll`` seconds,
    with ONE query for the oldest complaints still awaited (``OLDEST_ASKED``), whether its row is committed
    (the case; the acknowledgement; reporting's registry of counted complaints, written in the transaction that adds
    the complaint to the sums). A few queries a second in all, instead of one HTTP request per awaited
    complaint and stage per poll: the observer's own load no longer grows with the rate. ``http``:
    each awaited complaint polls the service's API (what a user sees; adds the HTTP read)."""

    def __init__(self, stack: dict[str, ServiceProcess], poll: float, observer: str = "db"):
        self.stack = stack
        self.poll = poll
        self.observer = observer
        self.headers = {"Authorization": f"Bearer {token_for(OFFICER, 'bench-officer')}"}
        self.times: dict[str, list[float]] = {s: [] for s in SHOWN}
        self.awaited: dict[str, dict[str, float]] = {s: {} for s in STAGES}
        self.pool = eventlet.GreenPool(2000)
        self.session = client_session()
        self.watching = True
        if observer == "db":
            self.watchers = [eventlet.spawn(self._watch_database, stage) for stage in STAGES]

    def probes(self, cid: str) -> dict[str, Callable[[requests.Session], bool]]:
        url = {s: self.stack[s].url for s in STAGES}
        h = self.headers
        return {
            "investigation": lambda s: s.get(f"{url['investigation']}/cases/{cid}", headers=h).status_code == 200,
            "notification": lambda s: any(
                n["purpose"] == "acknowledgement"
                for n in s.get(f"{url['notification']}/notifications", params={"complaint_id": cid}, headers=h)
                .json()
                .get("notifications", [])
            ),
            "reporting": lambda s: s.get(f"{url['reporting']}/reports/complaints/{cid}", headers=h).status_code == 200,
        }

    def register(self) -> None:
        started = time.perf_counter()
        response = self.session.post(f"{self.stack['intake'].url}/complaints", json=COMPLAINT, headers=self.headers)
        response.raise_for_status()
        self.times["registered"].append(time.perf_counter() - started)
        cid = response.json()["complaint_id"]
        if self.observer == "db":
            for stage in STAGES:
                self.awaited[stage][cid] = started
            return
        for stage, probe in self.probes(cid).items():
            self.pool.spawn_n(self._until, stage, probe, started)

    def _watch_database(self, stage: str) -> None:
        import psycopg2

        conn = psycopg2.connect(config.database_url(stage))
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                while self.watching:
                    awaited = self.awaited[stage]
                    if awaited:
                        # The oldest first and at most OLDEST_ASKED: the services work in arrival order, and a
                        # backlog must not make the observer's own query (on the same cores) grow with it.
                        oldest = list(itertools.islice(awaited, OLDEST_ASKED))
                        execute_prepared(cur, "seen", SEEN_SQL[stage], (oldest,), casts=("uuid[]",))
                        now = time.perf_counter()
                        for (cid,) in cur.fetchall():
                            self.times[stage].append(now - awaited.pop(cid))
                        for cid in [c for c, started in awaited.items() if now - started > 30]:
                            print(f"  {stage}: {cid} not seen within 30 s")
                            del awaited[cid]
                    eventlet.sleep(self.poll)
        finally:
            conn.close()

    def _until(self, stage: str, probe: Callable[[requests.Session], bool], started: float) -> None:
        session = client_session()
        deadline = started + 30
        while time.perf_counter() < deadline:
            try:
                if probe(session):
                    self.times[stage].append(time.perf_counter() - started)
                    return
            except (requests.RequestException, ValueError):
                pass
            eventlet.sleep(self.poll)
        print(f"  {stage}: not seen within 30 s")

    def offer(self, rate: int, seconds: float) -> None:
        """Register ``rate`` complaints per second for ``seconds``, then wait for every watcher."""
        self.times = {s: [] for s in SHOWN}
        total = int(rate * seconds)
        begin = time.perf_counter()
        for n in range(total):
            eventlet.sleep(max(0.0, begin + n / rate - time.perf_counter()))
            self.pool.spawn_n(self.register)
        self.pool.waitall()
        while any(self.awaited.values()):
            eventlet.sleep(0.05)

    def close(self) -> None:
        self.watching = False
        if self.observer == "db":
            for watcher in self.watchers:
                watcher.wait()


def start_stack(folder: Path) -> tuple[dict[str, ServiceProcess], list]:
    base = _PORTS["intake"] + 4
    smtp, sms = Smtp(base, folder), SmsGateway(base + 1)
    use_stand_ins(smtp, sms)
    broker = StackBroker()
    services = {s: ServiceProcess(s) for s in config.SERVICES}
    for service in config.SERVICES:
        fresh_service_database(service)
    helpers = [smtp, sms]
    smtp.start()
    sms.start()
    for process in services.values():
        process.start()
    return services, [*helpers, broker]


def stop_stack(services: dict[str, ServiceProcess], others: list) -> None:
    for process in services.values():
        process.stop()
    for other in others:
        other.stop() if hasattr(other, "stop") else other.close()


def cpu_groups(services: dict[str, ServiceProcess]) -> _support.CpuGroups:
    """Every process that does a complaint's work on this machine, the bench included (its client, its
    observer and the SMTP and SMS stand-ins share the cores with what they measure)."""
    pids = {name: process.process.pid for name, process in services.items()}
    groups: _support.CpuGroups = {name: (lambda pid, _command, own=own: pid == own) for name, own in pids.items()}
    groups["PostgreSQL"] = lambda _pid, command: command.startswith("postgres")
    groups["RabbitMQ"] = lambda _pid, command: "beam.smp" in command
    groups["this bench"] = lambda pid, _command: pid == os.getpid()
    return groups


def cpu_during(groups: _support.CpuGroups, work: Callable[[], None]) -> tuple[dict[str, float], float]:
    """The CPU seconds each group spent while ``work`` ran, and how long it ran."""
    before, started = _support.cpu_seconds(groups), time.perf_counter()
    work()
    after = _support.cpu_seconds(groups)
    return {name: after[name] - before[name] for name in after}, time.perf_counter() - started


def idle_cores(groups: _support.CpuGroups, seconds: float) -> float:
    """Cores the stack keeps busy with no complaint arriving."""
    spent, elapsed = cpu_during(groups, lambda: eventlet.sleep(seconds))
    return sum(spent.values()) / elapsed


def report_cpu(rate: int, spent: dict[str, float], complaints: int, seconds: float, idle: float) -> None:
    """CPU per complaint by process (all of it, then beyond the idle stack's), and the rate the machine's
    cores could carry at the marginal cost."""
    total = sum(spent.values())
    ranked = sorted(spent, key=spent.get, reverse=True)
    parts = ", ".join(f"{name} {spent[name] / complaints * 1000:.1f}" for name in ranked)
    cores = os.cpu_count() or 1
    marginal = (total - idle * seconds) / complaints
    print(
        f"  {rate:>3}/s CPU per complaint {total / complaints * 1000:.1f} ms ({parts});"
        f" {total / seconds:.2f} of {cores} cores busy; beyond the idle stack {marginal * 1000:.1f} ms,"
        f" at which the cores carry {(cores - idle) / marginal:.0f}/s"
    )


def report(rate: int, times: dict[str, list[float]], raw: tuple[float, float, float]) -> None:
    for stage in SHOWN:
        if not times[stage]:
            print(f"  {rate:>3}/s {stage:<14} no samples")
            continue
        p50, p99, top = percentiles(times[stage])
        print(
            f"  {rate:>3}/s {stage:<14} n={len(times[stage]):<4} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
            f"  max {top:6.1f} ms"
            f"   ratio to raw: p50 {p50 / raw[0]:5.1f}x  p99 {p99 / raw[1]:5.1f}x"
        )


def main() -> None:
    args = parse_args()
    raw = percentiles(raw_round_trips(args.amqp, args.raw))
    print(
        f"raw insert+commit, confirmed publish, consume+ack:"
        f" p50 {raw[0]:.1f} ms  p99 {raw[1]:.1f} ms  max {raw[2]:.1f} ms"
    )
    quorum = percentiles(raw_round_trips(args.amqp, args.raw, "quorum"))
    print(
        f"the same through a quorum queue (as the services' queues):"
        f" p50 {quorum[0]:.1f} ms  p99 {quorum[1]:.1f} ms  max {quorum[2]:.1f} ms"
    )
    with tempfile.TemporaryDirectory() as folder:
        services, others = start_stack(Path(folder))
        try:
            watch = Watch(services, args.poll, args.observer)
            try:
                watch.offer(5, 1.0)  # warm up: connections, caches, queues
                print(f"{_support.load_average()}; {args.observer} observer polling every {args.poll * 1000:.0f} ms")
                groups = cpu_groups(services)
                idle = idle_cores(groups, min(args.seconds, 5.0))
                print(f"  idle (no complaints): {idle:.2f} cores busy (background loops, pollers, the broker)")
                for rate in args.rates:
                    spent, elapsed = cpu_during(groups, lambda rate=rate: watch.offer(rate, args.seconds))
                    report(rate, watch.times, raw)
                    report_cpu(rate, spent, len(watch.times["registered"]), elapsed, idle)
                    print(f"  after {rate}/s: {_support.load_average()}")
            finally:
                watch.close()
        finally:
            stop_stack(services, others)
    again = percentiles(raw_round_trips(args.amqp, args.raw))
    print(f"raw again after the stack: p50 {again[0]:.1f} ms  p99 {again[1]:.1f} ms")


if __name__ == "__main__":
    main()
