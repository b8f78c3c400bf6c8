"""The container image (Dockerfile) and the laptop stack (compose.yaml), checked statically: this machine has no
container engine, so neither is built or run here (docs/operations.md says so)."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from shared import config

ROOT = config.ROOT


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order; comments dropped, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            out.append((instruction.upper(), arguments.strip()))
    return out


def instructions(name: str) -> list[str]:
    return [arguments for instruction, arguments in dockerfile() if instruction == name]


def test_the_dockerfile_parser_reads_instructions():
    assert dockerfile()[0][0] == "FROM"
    assert all(instruction.isalpha() for instruction, _ in dockerfile())


def test_the_image_is_pinned_python_3_11_slim():
    [base] = instructions("FROM")
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?(@sha256:[0-9a-f]{64})?", base), base


def test_the_image_installs_the_pinned_requirements_before_the_code():
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pins = [r for r in requirements if r.strip() and not r.startswith("#")]
    assert pins and all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", p.strip()) for p in pins), "unpinned requirement"
    order = [(i, a) for i, a in dockerfile() if i in ("COPY", "RUN")]
    install = next(n for n, (i, a) in enumerate(order) if i == "RUN" and "pip install" in a)
    assert order[install - 1] == ("COPY", "requirements.txt ./")
    assert "-r requirements.txt" in order[install][1]
    copied = {a.split()[0] for i, a in order[install:] if i == "COPY"}
    assert copied == {"shared/", "services/", "config/"}
    for folder in copied:
        assert (ROOT / folder).is_dir()


def test_the_image_runs_as_a_numeric_non_root_user_with_the_service_runner_as_entrypoint():
    [user] = instructions("USER")
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) >= 10000, "Kubernetes' runAsNonRoot needs a numeric, non-zero USER"
    last_user = max(n for n, (i, _) in enumerate(dockerfile()) if i == "USER")
    assert all(i != "RUN" for i, _ in dockerfile()[last_user:]), "nothing runs as root after USER"
    [entrypoint] = instructions("ENTRYPOINT")
    assert json.loads(entrypoint) == ["python", "-m", "shared.run"]
    assert not instructions("CMD"), "the service name is the argument"
    exposed = {int(p) for line in instructions("EXPOSE") for p in line.split()}
    assert exposed == set(config.DEFAULT_PORTS.values())


def test_the_docker_context_leaves_out_what_the_image_does_not_need():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "var", "tests"} <= ignored
    assert not {"shared", "services", "config", "requirements.txt"} & ignored


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))  # merge keys (<<) resolved


def _healthcheck(service: dict[str, Any]) -> list[str]:
    test = service["healthcheck"]["test"]
    return test if isinstance(test, list) else ["CMD-SHELL", test]


def test_compose_runs_the_four_services_and_the_console_from_the_one_image_after_the_migration():
    services = compose()["services"]
    for name, port in config.APP_PORTS.items():
        service = services[name]
        assert service["build"]["context"] == "."
        assert service["image"] == services["migrate"]["image"]
        assert service["command"] == [name]
        assert f"{port}:{port}" in service["ports"]
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert service["depends_on"]["rabbitmq"] == {"condition": "service_healthy"}
        check = " ".join(_healthcheck(service))
        assert f"http://127.0.0.1:{port}/health/ready" in check
        environment = service["environment"]
        assert environment["AMQP_URI"].startswith("amqp://") and "@rabbitmq:5672/" in environment["AMQP_URI"]
        assert "@postgres:5432/" in environment["DATABASE_URL_TEMPLATE"]
        assert "{service}" in environment["DATABASE_URL_TEMPLATE"]
        for other, other_port in config.DEFAULT_PORTS.items():
            assert environment[f"{other.upper()}_URL"] == f"http://{other}:{other_port}"
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"]
    migrate = services["migrate"]
    assert migrate["entrypoint"] == ["python", "-m", "shared.migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert "command" not in migrate


def test_compose_brings_rabbitmq_with_management_and_postgresql_with_the_four_databases():
    services = compose()["services"]
    rabbit = services["rabbitmq"]
    assert re.fullmatch(r"rabbitmq:[\d.]+-management", rabbit["image"])
    assert "15672:15672" in rabbit["ports"]
    assert _healthcheck(rabbit)[0] == "CMD"
    plugins = (ROOT / "deploy" / "compose" / "rabbitmq-enabled-plugins").read_text(encoding="utf-8")
    assert "rabbitmq_management" in plugins and "rabbitmq_prometheus" in plugins
    postgres = services["postgres"]
    assert re.fullmatch(r"postgres:15[\d.]*(-\w+)?", postgres["image"])
    assert "pg_isready" in " ".join(_healthcheck(postgres))
    init = next(v for v in postgres["volumes"] if "docker-entrypoint-initdb.d" in v)
    script = (ROOT / init.split(":")[0]).read_text(encoding="utf-8")
    created = set(re.findall(r"CREATE DATABASE (\w+);", script))
    template = services["intake"]["environment"]["DATABASE_URL_TEMPLATE"]
    assert created == {template.rsplit("/", 1)[1].format(service=s) for s in config.SERVICES}


def test_every_file_compose_mounts_exists_and_every_image_is_pinned():
    services = compose()["services"]
    for name, service in services.items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: pin the image tag"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
    observability = {n for n, s in services.items() if "observability" in s.get("profiles", [])}
    assert observability == {"prometheus", "grafana"}
