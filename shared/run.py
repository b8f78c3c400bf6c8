"""Start one service as a process: ``python -m shared.run <service>``.

The nameko ``ServiceRunner`` with the project's configuration from the environment
(AMQP_URI, <SERVICE>_PORT, ...). Migrations are a separate step (``python -m shared.migrate``).
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import importlib  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from eventlet.hubs import trampoline  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402

from shared import config, logs  # noqa: E402
from shared.db import make_cooperative  # noqa: E402


def service_class(service: str) -> type:
    return importlib.import_module(f"services.{service}.service").Service


def stop_on_signals(runner: ServiceRunner) -> None:
    """SIGTERM (Kubernetes, make stop) and SIGINT stop gracefully: entrypoints first, then the background
    loops. The handler only schedules the stop; a process with no timers of its own (the console) would
    leave eventlet's hub asleep in epoll until its next event, so each signal also writes to a pipe the
    hub watches (``signal.set_wakeup_fd``), which wakes it to run the stop at once."""
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    signal.set_wakeup_fd(write_end)

    def drain() -> None:
        while True:
            trampoline(read_end, read=True)
            os.read(read_end, 512)

    eventlet.spawn_n(drain)
    signal.signal(signal.SIGTERM, lambda *_: eventlet.spawn_n(runner.stop))
    signal.signal(signal.SIGINT, lambda *_: eventlet.spawn_n(runner.stop))


def main(argv: list[str]) -> None:
    if len(argv) != 1 or argv[0] not in config.APPS:
        raise SystemExit(f"usage: python -m shared.run {{{'|'.join(config.APPS)}}}")
    service = argv[0]
    make_cooperative()
    logs.configure(service)
    runner = ServiceRunner(
        {
            "AMQP_URI": config.amqp_uri(service),
            "WEB_SERVER_ADDRESS": f"{config.env('BIND_HOST', '0.0.0.0')}:{config.http_port(service)}",
        }
    )
    runner.add_service(service_class(service))
    stop_on_signals(runner)
    runner.start()
    runner.wait()


if __name__ == "__main__":
    main(sys.argv[1:])
