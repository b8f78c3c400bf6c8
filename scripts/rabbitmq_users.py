"""Create (or update) one RabbitMQ user per service with the permissions of
deploy/rabbitmq/permissions.json, through the management API:
``python -m scripts.rabbitmq_users --vhost / --password-prefix ...``. Prints each service's AMQP URI."""

from __future__ import annotations

import argparse
import json
import os
import secrets
from pathlib import Path
from urllib.parse import quote

import requests

PERMISSIONS = Path(__file__).resolve().parent.parent / "deploy" / "rabbitmq" / "permissions.json"


def apply(
    management_url: str, vhost: str, passwords: dict[str, str], auth: tuple[str, str], suffix: str = ""
) -> dict[str, str]:
    """Users ``<service>-svc<suffix>`` (users are broker-wide: a test run names its own); returns the
    AMQP URI each service should use."""
    users = json.loads(PERMISSIONS.read_text())["users"]
    uris = {}
    for service, permissions in users.items():
        user = f"{service}-svc{suffix}"
        base = management_url.rstrip("/")
        requests.put(
            f"{base}/api/users/{user}", json={"password": passwords[service], "tags": ""}, auth=auth, timeout=10
        ).raise_for_status()
        requests.put(
            f"{base}/api/permissions/{quote(vhost, safe='')}/{user}", json=permissions, auth=auth, timeout=10
        ).raise_for_status()
        uris[service] = f"amqp://{user}:{passwords[service]}@127.0.0.1:5672/{quote(vhost, safe='')}"
    return uris


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--management-url", default=os.environ.get("RABBIT_MANAGEMENT_URL", "http://127.0.0.1:15672"))
    parser.add_argument("--vhost", default="/")
    args = parser.parse_args()
    users = json.loads(PERMISSIONS.read_text())["users"]
    passwords = {service: secrets.token_urlsafe(18) for service in users}
    for service, uri in apply(args.management_url, args.vhost, passwords, ("guest", "guest")).items():
        print(f"{service.upper()}_AMQP_URI={uri}")


if __name__ == "__main__":
    main()
