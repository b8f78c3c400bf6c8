"""`make chaos`: the four services, two replicas each, on a 3-node RabbitMQ cluster and a PostgreSQL
primary with a synchronous standby (scripts/chaos/infra.py, all under var/chaos on ports of their
own), under a steady load of complaints and actions; then, in turn, the faults the hospital's
Kubernetes will cause. Prints one table and exits non-zero on any loss, doubling or gap.

    python -m scripts.chaos [--fault-seconds 8] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal
import sys
import time

from scripts.chaos import checks
from scripts.chaos.infra import PostgresPair, RabbitCluster
from scripts.chaos.stack import Load, Stack
from shared import config

BASE = config.ROOT / "var" / "chaos"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fault-seconds", type=float, default=8.0, help="load kept on while a fault lasts")
    parser.add_argument("--catch-up-timeout", type=float, default=120.0)
    parser.add_argument("--keep", action="store_true", help="keep var/chaos (logs, data) afterwards")
    args = parser.parse_args(argv)
    started = time.monotonic()
    shutil.rmtree(BASE, ignore_errors=True)
    BASE.mkdir(parents=True)
    cluster, postgres = RabbitCluster(BASE), PostgresPair(BASE)
    stack = Stack(BASE, cluster, postgres)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # tear down on CI's timeout too
    try:
        print("chaos: starting PostgreSQL primary + synchronous standby, 3 RabbitMQ nodes", flush=True)
        postgres.start()
        cluster.start()
        stack.start()
        print(f"chaos: stack up in {time.monotonic() - started:.0f}s; running scenarios", flush=True)
        load = Load(stack)
        rows = run_scenarios(stack, cluster, postgres, load, args)
    finally:
        stack.stop()
        cluster.stop()
        postgres.stop()
        if not args.keep:
            for child in BASE.iterdir():
                if child.name != "logs":
                    shutil.rmtree(child, ignore_errors=True)
    print(checks.table(rows))
    summary, http_ok = checks.http_summary(load.status)
    print(summary)
    print(f"chaos: {time.monotonic() - started:.0f}s in all; logs in {BASE / 'logs'}")
    failed = [r.scenario for r in rows if r.failed] + ([] if http_ok else ["HTTP on both replicas"])
    if failed:
        print(f"chaos: FAILED in {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def run_scenarios(
    stack: Stack, cluster: RabbitCluster, postgres: PostgresPair, load: Load, args: argparse.Namespace
) -> list[checks.Row]:
    dead_node: list = []

    def kill_leader_node() -> None:
        node = cluster.node_holding_most_leaders()
        print(f"chaos:   SIGKILL broker node {node.name} (holds most queue leaders)", flush=True)
        node.kill()
        dead_node.append(node)

    def restart_dead_node() -> None:
        for node in dead_node:
            node.start()
            node.wait_running()
        dead_node.clear()

    def kill_replicas() -> None:
        stack.kill_replicas("b")

    scenarios = [
        ("steady load (no fault)", lambda: None, lambda: None),
        ("broker node with queue leaders killed", kill_leader_node, restart_dead_node),
        ("database failover (primary stopped hard, standby promoted)", postgres.fail_over, postgres.rebuild_standby),
        ("one replica of each service SIGKILLed", kill_replicas, lambda: stack.start_replicas("b")),
        ("one replica's broker connections cut", lambda: stack.cut_broker_connections("b"), lambda: None),
        ("poison message", stack.poison, lambda: None),
    ]
    rows: list[checks.Row] = []
    before = checks.measure(stack)
    load.start()
    try:
        for name, fault, repair in scenarios:
            print(f"chaos: {name}", flush=True)
            load.resume()
            time.sleep(1.0)  # the load is running when the fault strikes (a pacing pause, not a wait)
            fault()
            with contextlib.suppress(Exception):
                load.run_for(args.fault_seconds)
            load.pause()
            caught_up = checks.catch_up(stack, args.catch_up_timeout)
            repair()
            after = checks.measure(stack)
            for key in sorted(set(after.doubles) - set(before.doubles)):
                print(f"chaos:   DOUBLED {key}", flush=True)
            rows.append(checks.Row.of(name, before, after, caught_up))
            before = after
    finally:
        load.stop()
    return rows


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
