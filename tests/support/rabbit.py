"""RabbitMQ's management API, as the tests use it: vhosts, connections, queues."""

from __future__ import annotations

import contextlib
import os
from typing import Any
from urllib.parse import quote, urlparse

import requests

from tests.support.waiting import wait_for


def _api() -> tuple[str, tuple[str, str]]:
    url = urlparse(os.environ["RABBIT_MANAGEMENT_URL"])
    return f"{url.scheme}://{url.hostname}:{url.port}/api", (url.username or "guest", url.password or "guest")


def call(method: str, path: str, **kwargs: Any) -> requests.Response:
    base, auth = _api()
    response = requests.request(method, f"{base}{path}", auth=auth, timeout=10, **kwargs)
    response.raise_for_status()
    return response


def create_vhost(vhost: str) -> None:
    call("PUT", f"/vhosts/{quote(vhost, safe='')}")
    call("PUT", f"/permissions/{quote(vhost, safe='')}/guest", json={"configure": ".*", "write": ".*", "read": ".*"})


def delete_vhost(vhost: str) -> None:
    with contextlib.suppress(requests.RequestException):
        call("DELETE", f"/vhosts/{quote(vhost, safe='')}")


def delete_user(user: str) -> None:
    with contextlib.suppress(requests.RequestException):
        call("DELETE", f"/users/{quote(user, safe='')}")


def connections(vhost: str) -> list[dict[str, Any]]:
    return [c for c in call("GET", "/connections").json() if c.get("vhost") == vhost]


def close_connections(vhost: str) -> int:
    """Cut every client connection of the vhost, as a network failure or broker failover would."""
    closed = 0
    for connection in connections(vhost):
        try:
            call(
                "DELETE",
                f"/connections/{quote(connection['name'], safe='')}",
                headers={"X-Reason": "test: connection cut"},
            )
            closed += 1
        except requests.HTTPError:
            pass  # already gone
    return closed


def queue(vhost: str, name: str) -> dict[str, Any]:
    return call("GET", f"/queues/{quote(vhost, safe='')}/{quote(name, safe='')}").json()


def wait_until_up() -> None:
    wait_for(lambda: call("GET", "/overview").ok, timeout=60, what="RabbitMQ management API")
