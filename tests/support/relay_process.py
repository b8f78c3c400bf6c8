"""Runs one relay as its own process, so a test can kill it with SIGKILL mid-batch."""

import eventlet

eventlet.monkey_patch()

import sys  # noqa: E402

from shared.db import make_cooperative  # noqa: E402
from shared.relay import Relay  # noqa: E402

if __name__ == "__main__":
    make_cooperative()
    service, dsn, amqp_uri, batch = sys.argv[1:5]
    Relay(service, dsn, amqp_uri, batch_size=int(batch), poll_interval=0.2, retry_interval=0.2).run()
