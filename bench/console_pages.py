"""Console pages: the case page and the worklist with a long history in the logs and many open cases,
against a raw SQL read of the same rows.

For each size (default 100,000 events / 10,000 open cases and 1,000,000 / 100,000), the four services
and the console run as processes (the e2e tests' helpers: a vhost and broker users of their own, fresh
databases, the SMTP and SMS stand-ins). Before they start, each service's log gets filler events of
other complaints (40 % intake, 40 % investigation, 20 % notification; ten per complaint), as if
published and consumed already (relay and consumer positions set past them). Then a few complaints are
registered through ``POST /complaints`` (their cases, notifications and events are real), and
investigation's ``cases`` and ``deadlines`` get open cases copied from a real one, received over the
last weeks (so some are overdue). In the same run:

(a) ``case page``: the console's ``GET /cases/<id>`` for the real complaints, signed in as the east
    campus's complaint office (the complaint, the case, its notifications, its timeline from the three
    logs by ``GET /events?subject=``, rendered); and ``worklist``: ``GET /worklist`` (active cases, first
    page; also a later page, overdue only, open only). p50 / p99 of each.
(b) ``raw``: the same rows read with plain SQL on one connection per database: the complaint's events
    in each log (by stream), its case and deadlines, its complaint row and notifications; for the
    worklist, the page's cases and their deadlines.

Targets (issue 21): p99 <= 150 ms for a case page, <= 300 ms for a worklist page, at 1 M events and
100 k open cases.

    COMPLAINTS_TEST_SLOT=5 PYTHONPATH=. .venv/bin/python bench/console_pages.py [--quick]
"""

import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import uuid  # noqa: E402

SLOT = int(os.environ.get("COMPLAINTS_TEST_SLOT", "0"))
_PORTS = {s: 18001 + 10 * SLOT + i for i, s in enumerate(("intake", "investigation", "notification", "reporting"))}
CONSOLE_PORT = _PORTS["intake"] + 7
os.environ["DATABASE_URL_TEMPLATE"] = f"postgresql://postgres@127.0.0.1:5432/bench{SLOT}_console_{{service}}"
os.environ.setdefault("RABBIT_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672")
os.environ["AUTH_JWT_SECRET"] = f"bench-secret-{uuid.uuid4().hex}-0123456789abcdef"
os.environ["RATE_LIMIT_WRITES_PER_MINUTE"] = "600000"
os.environ["RATE_LIMIT_WRITE_BURST"] = "10000"
for _service, _port in _PORTS.items():
    os.environ[f"{_service.upper()}_PORT"] = str(_port)
    os.environ[f"{_service.upper()}_URL"] = f"http://127.0.0.1:{_port}"

from shared.db import make_cooperative  # noqa: E402

make_cooperative()

import argparse  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import psycopg2  # noqa: E402
import requests  # noqa: E402

from bench import _support  # noqa: E402
from shared import config  # noqa: E402
from shared.auth import OFFICER  # noqa: E402
from tests.e2e.conftest import ServiceProcess, SmsGateway, Smtp, StackBroker, token_for, use_stand_ins  # noqa: E402
from tests.support.databases import fresh_service_database  # noqa: E402
from tests.support.waiting import wait_for  # noqa: E402

LOGS = {"intake": 0.4, "investigation": 0.4, "notification": 0.2}
EVENTS_PER_FILLER = 10
REAL_COMPLAINTS = 10
TARGET_CASE_MS = 150
TARGET_WORKLIST_MS = 300
WORKLIST_PAGE = 50
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
WORKLISTS = ("/worklist", "/worklist?page=20", "/worklist?urgency=overdue", "/worklist?state=open")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000], help="events in the logs")
    parser.add_argument("--cases", type=int, nargs="+", default=[10_000, 100_000], help="open cases (with --events)")
    parser.add_argument("--repeat", type=int, default=100, help="requests per figure")
    return _support.parse_with_quick(parser, {"events": [20_000], "cases": [2_000], "repeat": 20})


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


# -- filling -------------------------------------------------------------------------------------------


def fill_logs(events: int) -> dict[str, int]:
    """Filler events of other complaints in each log, as already published and consumed everywhere."""
    heads = {}
    for service, share in LOGS.items():
        count = int(events * share)
        streams = max(1, count // EVENTS_PER_FILLER)
        conn = psycopg2.connect(config.database_url(service))
        with conn, conn.cursor() as cur:
            cur.execute(
                "INSERT INTO events (sequence, id, stream_id, stream_version, type, schema_version, occurred_at,"
                " correlation_id, causation_id, data)"
                " SELECT g, gen_random_uuid(), md5('filler' || (g %% %s))::uuid::text, g / %s + 1, 'BenchFiller', 1,"
                " now() - interval '1 day', 'bench', 'bench', '{}'::jsonb FROM generate_series(1, %s) g",
                (streams, streams, count),
            )
            cur.execute("UPDATE log_head SET last_sequence = %s", (count,))
            cur.execute("UPDATE relay_position SET last_published = %s", (count,))
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE events")
        conn.close()
        heads[service] = count
    for service in config.SERVICES:  # every consumer has applied the fillers already
        conn = psycopg2.connect(config.database_url(service))
        with conn, conn.cursor() as cur:
            for source, upto in heads.items():
                cur.execute(
                    "INSERT INTO source_position (source, upto) VALUES (%s, %s)"
                    " ON CONFLICT (source) DO UPDATE SET upto = EXCLUDED.upto",
                    (source, upto),
                )
        conn.close()
    return heads


def _copy_select(cur: psycopg2.extensions.cursor, table: str, replaced: dict[str, str]) -> tuple[str, str]:
    """The column list of ``table`` and a SELECT list copying a row ``t``, with ``replaced`` expressions;
    every other timestamp moves back by the copy's age (``g`` minutes)."""
    cur.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        (table,),
    )
    columns = cur.fetchall()
    exprs = []
    for name, kind in columns:
        if name in replaced:
            exprs.append(replaced[name])
        elif kind == "timestamp with time zone":
            exprs.append(f"t.{name} - make_interval(mins => g)")
        else:
            exprs.append(f"t.{name}")
    return ", ".join(name for name, _ in columns), ", ".join(exprs)


def fill_cases(cases: int, template: str) -> None:
    """Open cases copied from the real case ``template`` (and its deadlines), one received a minute before
    the next, going back ``cases`` minutes."""
    conn = psycopg2.connect(config.database_url("investigation"))
    new_id = "md5('case' || g)::uuid"
    with conn, conn.cursor() as cur:
        columns, select = _copy_select(cur, "cases", {"complaint_id": new_id, "reference": "'FILL-' || g"})
        cur.execute(
            f"INSERT INTO cases ({columns}) SELECT {select} FROM cases t, generate_series(1, %s) g"
            " WHERE t.complaint_id = %s",
            (cases, template),
        )
        columns, select = _copy_select(cur, "deadlines", {"complaint_id": new_id})
        cur.execute(
            f"INSERT INTO deadlines ({columns}) SELECT {select} FROM deadlines t, generate_series(1, %s) g"
            " WHERE t.complaint_id = %s",
            (cases, template),
        )
        # As the deadline engine would have left them: nothing falls due for it to act on meanwhile.
        cur.execute(
            "UPDATE deadlines SET status = 'breached', breached_at = due_at, ladder_escalated = true"
            " WHERE complaint_id <> %s AND status = 'open' AND NOT on_hold AND due_at <= now() + interval '1 hour'",
            (template,),
        )
        cur.execute(
            "UPDATE deadlines SET reminded = true WHERE complaint_id <> %s AND remind_at <= now() + interval '1 hour'",
            (template,),
        )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE cases")
        cur.execute("VACUUM ANALYZE deadlines")
    conn.close()


# -- the stack -----------------------------------------------------------------------------------------


def start_stack(folder: Path, events: int) -> tuple[dict[str, ServiceProcess], list, dict[str, int]]:
    base = _PORTS["intake"] + 4
    smtp, sms = Smtp(base, folder), SmsGateway(base + 1)
    use_stand_ins(smtp, sms)
    broker = StackBroker()
    services = {s: ServiceProcess(s) for s in config.SERVICES}
    services["console"] = ServiceProcess("console", CONSOLE_PORT, env={"CONSOLE_DEMO_LOGIN": "true"})
    for service in config.SERVICES:
        fresh_service_database(service)
    heads = fill_logs(events)
    smtp.start()
    sms.start()
    for process in services.values():
        process.start()
    return services, [smtp, sms, broker], heads


def stop_stack(services: dict[str, ServiceProcess], others: list) -> None:
    for process in services.values():
        process.stop()
    for other in others:
        other.stop() if hasattr(other, "stop") else other.close()


def register(services: dict[str, ServiceProcess]) -> list[str]:
    """Real complaints, each until its case is open and its acknowledgement recorded."""
    headers = {"Authorization": f"Bearer {token_for(OFFICER, 'bench-officer')}"}
    ids = []
    for _ in range(REAL_COMPLAINTS):
        response = requests.post(f"{services['intake'].url}/complaints", json=COMPLAINT, headers=headers, timeout=10)
        assert response.status_code == 201, response.text
        ids.append(response.json()["complaint_id"])
    for complaint_id in ids:
        wait_for(
            lambda c=complaint_id: (
                requests.get(f"{services['investigation'].url}/cases/{c}", headers=headers, timeout=5).status_code
                == 200
            ),
            timeout=60,
            what="the case opened",
        )
        wait_for(
            lambda c=complaint_id: requests.get(
                f"{services['notification'].url}/notifications", params={"complaint_id": c}, headers=headers, timeout=5
            ).json()["notifications"],
            timeout=60,
            what="the acknowledgement recorded",
        )
    return ids


def signed_in(console: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{console}/login", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, "no csrf field on the sign-in page"
    done = session.post(f"{console}/login/demo", data={"person": "east-office", "csrf": csrf.group(1)}, timeout=10)
    assert done.ok and "who" in done.text, done.status_code
    return session


# -- the figures ---------------------------------------------------------------------------------------


def pages(console: str, ids: list[str], repeat: int) -> dict[str, list[float]]:
    session = signed_in(console)
    out: dict[str, list[float]] = {"case page": [], "worklist": []}

    def get(path: str) -> None:
        response = session.get(f"{console}{path}", timeout=30)
        assert response.status_code == 200 and "data-testid" in response.text, (path, response.status_code)

    for path in [f"/cases/{ids[0]}", *WORKLISTS]:  # warm up
        get(path)
    for n in range(repeat):
        out["case page"].append(timed(lambda n=n: get(f"/cases/{ids[n % len(ids)]}")))
        out["worklist"].append(timed(lambda n=n: get(WORKLISTS[n % len(WORKLISTS)])))
    return out


def raw_reads(ids: list[str], repeat: int) -> dict[str, list[float]]:
    conns = {s: psycopg2.connect(config.database_url(s)) for s in LOGS}
    for conn in conns.values():
        conn.autocommit = True
    out: dict[str, list[float]] = {"case page": [], "worklist": []}

    def case(complaint_id: str) -> None:
        for conn in conns.values():
            with conn.cursor() as cur:
                cur.execute("SELECT * FROM events WHERE stream_id = %s ORDER BY stream_version", (complaint_id,))
                cur.fetchall()
        with conns["intake"].cursor() as cur:
            cur.execute("SELECT * FROM complaints WHERE complaint_id = %s", (complaint_id,))
            cur.fetchall()
        with conns["investigation"].cursor() as cur:
            cur.execute("SELECT * FROM cases WHERE complaint_id = %s", (complaint_id,))
            cur.fetchall()
            cur.execute("SELECT * FROM deadlines WHERE complaint_id = %s", (complaint_id,))
            cur.fetchall()
        with conns["notification"].cursor() as cur:
            cur.execute("SELECT * FROM notifications WHERE complaint_id = %s", (complaint_id,))
            cur.fetchall()

    def worklist(offset: int) -> None:
        with conns["investigation"].cursor() as cur:
            cur.execute(
                "SELECT * FROM cases WHERE campus = 'east' AND status = ANY(%s)"
                " ORDER BY received_at DESC, complaint_id LIMIT %s OFFSET %s",
                (["open", "replied"], WORKLIST_PAGE + 1, offset),
            )
            listed = [row[0] for row in cur.fetchall()]
            cur.execute("SELECT * FROM deadlines WHERE complaint_id = ANY(%s::uuid[])", (listed,))
            cur.fetchall()

    for n in range(repeat):
        out["case page"].append(timed(lambda n=n: case(ids[n % len(ids)])))
        out["worklist"].append(timed(lambda n=n: worklist(WORKLIST_PAGE * 20 * (n % 2))))
    for conn in conns.values():
        conn.close()
    return out


def one_size(events: int, cases: int, repeat: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        services, others, heads = start_stack(Path(folder), events)
        try:
            ids = register(services)
            fill_cases(cases, ids[0])
            print(
                f"{sum(heads.values())} filler events ({heads}), {cases} open cases copied, {len(ids)} real complaints"
                f" in {time.perf_counter() - started:.0f}s; {_support.load_average()}"
            )
            raw_before = raw_reads(ids, repeat)
            figures = pages(services["console"].url, ids, repeat)
            raw_after = raw_reads(ids, repeat)
        finally:
            stop_stack(services, others)
    raw = {k: min(raw_before[k], raw_after[k], key=statistics.median) for k in raw_before}
    return {"events": sum(heads.values()), "cases": cases, "figures": figures, "raw": raw}


def report(results: list[dict]) -> None:
    print(f"\n{_support.load_average()}\n")
    print(
        f"{'figure (ms)':<36}{'events':>9}{'cases':>8}{'p50':>8}{'p99':>8}{'raw p50':>9}{'raw p99':>9}{'ratio p99':>10}"
    )
    verdicts = []
    for result in results:
        for figure, target in (("case page", TARGET_CASE_MS), ("worklist", TARGET_WORKLIST_MS)):
            p50, p99 = percentiles(result["figures"][figure])
            raw50, raw99 = percentiles(result["raw"][figure])
            print(
                f"{'(a) console ' + figure:<36}{result['events']:>9}{result['cases']:>8}{p50:>8.1f}{p99:>8.1f}"
                f"{raw50:>9.2f}{raw99:>9.2f}{p99 / raw99:>9.1f}x"
            )
            verdicts.append(
                (f"{figure}, {result['events']} events, {result['cases']} cases: p99 <= {target} ms", p99, target)
            )
    for text, value, target in verdicts:
        print(f"{'meets' if value <= target else 'MISSES'}: {text} ({value:.0f} ms)")


def main() -> None:
    args = parse_args()
    if len(args.events) != len(args.cases):
        raise SystemExit("--events and --cases: one number of cases per size of the logs")
    report([one_size(events, cases, args.repeat) for events, cases in zip(args.events, args.cases, strict=True)])


if __name__ == "__main__":
    main()
