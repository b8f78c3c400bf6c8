"""Root conftest: green threads first (nameko and the backbone run on eventlet), then the test
environment: a private RabbitMQ vhost and fresh PostgreSQL databases for this test session."""

import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402

from shared.db import make_cooperative  # noqa: E402

make_cooperative()

# Two test runs on one machine (two developers, CI and a developer) must not meet: each takes a
# slot (COMPLAINTS_TEST_SLOT, default 0) with its own ports and databases, and its own vhost.
SLOT = int(os.environ.get("COMPLAINTS_TEST_SLOT", "0"))
TEST_PORTS = {s: 18001 + 10 * SLOT + i for i, s in enumerate(("intake", "investigation", "notification", "reporting"))}
RUN_ID = uuid.uuid4().hex[:8]
os.environ["DATABASE_URL_TEMPLATE"] = f"postgresql://postgres@127.0.0.1:5432/test{SLOT or ''}_complaints_{{service}}"
os.environ.setdefault("RABBIT_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672")
os.environ["AUTH_JWT_SECRET"] = f"test-secret-{RUN_ID}-0123456789abcdef0123456789"
os.environ.setdefault("RATE_LIMIT_WRITES_PER_MINUTE", "60000")  # the suite writes fast; limits are tested apart
os.environ.setdefault("RATE_LIMIT_WRITE_BURST", "1000")
VHOST = f"complaints-test-{RUN_ID}"
os.environ["AMQP_URI"] = f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"
for _service, _port in TEST_PORTS.items():
    os.environ[f"{_service.upper()}_PORT"] = str(_port)
    os.environ[f"{_service.upper()}_URL"] = f"http://127.0.0.1:{_port}"


@pytest.fixture(scope="session", autouse=True)
def rabbit_vhost():
    """A vhost of our own: exchanges and queues of one run never meet another's."""
    from tests.support import rabbit

    rabbit.create_vhost(VHOST)
    yield os.environ["AMQP_URI"]
    rabbit.delete_vhost(VHOST)
