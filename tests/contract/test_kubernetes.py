"""The Kubernetes deployment (deploy/k8s): kustomize renders base and overlay, every object validates strictly
against the Kubernetes schemas (kubernetes-validate, offline) and custom resources against the CRD schemas kept
in deploy/k8s/crds; and the manifests agree with the code (ports, probes, environment, queues, backfill)."""

from __future__ import annotations

import copy
import importlib
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from shared import config
from shared.consumer import queue_name
from tests.support.tools import tool

ROOT = config.ROOT
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
OVERLAY = K8S / "overlays" / "example-hospital"
# The oldest Kubernetes minor still commonly run by hospitals' platforms, and the newest the schemas know.
KUBERNETES_VERSIONS = ("1.29.0", "1.37.0")
CUSTOM_GROUPS = ("monitoring.coreos.com", "keda.sh", "rabbitmq.com", "postgresql.cnpg.io")


@cache
def render(folder: Path) -> tuple[dict[str, Any], ...]:
    result = subprocess.run([tool("kubectl"), "kustomize", str(folder)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return tuple(d for d in yaml.safe_load_all(result.stdout) if d)


def of_kind(objects: tuple[dict[str, Any], ...], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def is_custom(obj: dict[str, Any]) -> bool:
    return obj["apiVersion"].split("/")[0] in CUSTOM_GROUPS


# -- CRD schemas → JSON Schema, closed like the API server's strict field validation --------------------------


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _strict(v) for k, v in node.items() if not k.startswith("x-kubernetes-") and k != "nullable"}
    if node.get("nullable") and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    if (
        node.get("type") == "object"
        and "properties" in node
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    schemas = {}
    for path in sorted((K8S / "crds").glob("*.yaml")):
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        for version in crd["spec"]["versions"]:
            key = (f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"])
            schemas[key] = _strict(version["schema"]["openAPIV3Schema"])
    return schemas


def validate_custom(obj: dict[str, Any]) -> None:
    key = (obj["apiVersion"], obj["kind"])
    assert key in crd_schemas(), f"no CRD schema in deploy/k8s/crds for {key}"
    jsonschema.Draft7Validator(crd_schemas()[key]).validate(obj)


def validate(obj: dict[str, Any]) -> None:
    if is_custom(obj):
        validate_custom(obj)
    else:
        for version in KUBERNETES_VERSIONS:
            kubernetes_validate.validate(obj, version, strict=True)


# -- rendering and validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", [BASE, OVERLAY], ids=["base", "example-hospital"])
def test_kustomize_renders_and_every_object_validates_strictly(folder):
    objects = render(folder)
    assert objects
    for obj in objects:
        validate(obj)
        assert obj["metadata"]["labels"]["app.kubernetes.io/part-of"] == "complaints", obj["metadata"]["name"]


def test_the_crd_files_are_valid_custom_resource_definitions():
    for path in sorted((K8S / "crds").glob("*.yaml")):
        for version in KUBERNETES_VERSIONS:
            kubernetes_validate.validate(yaml.safe_load(path.read_text(encoding="utf-8")), version, strict=True)
    assert set(crd_schemas()) == {
        ("monitoring.coreos.com/v1", "ServiceMonitor"),
        ("monitoring.coreos.com/v1", "PrometheusRule"),
        ("keda.sh/v1alpha1", "ScaledObject"),
        ("keda.sh/v1alpha1", "TriggerAuthentication"),
        ("rabbitmq.com/v1beta1", "RabbitmqCluster"),
        ("postgresql.cnpg.io/v1", "Cluster"),
    }


def test_strict_validation_rejects_unknown_and_mistyped_fields():
    objects = render(OVERLAY)
    deployment = copy.deepcopy(of_kind(objects, "Deployment")["intake"])
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessprobe"] = {}  # wrong case
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)
    monitor = copy.deepcopy(of_kind(objects, "ServiceMonitor")["complaints"])
    monitor["spec"]["endpoints"][0]["honourLabels"] = True
    with pytest.raises(jsonschema.ValidationError):
        validate(monitor)
    scaled = copy.deepcopy(next(iter(of_kind(objects, "ScaledObject").values())))
    scaled["spec"]["minReplicaCount"] = "2"
    with pytest.raises(jsonschema.ValidationError):
        validate(scaled)
    rule = copy.deepcopy(of_kind(objects, "PrometheusRule")["complaints"])
    rule["spec"]["groups"][0]["rules"][0]["for"] = "ten minutes"
    with pytest.raises(jsonschema.ValidationError):
        validate(rule)


def test_the_overlay_has_everything_a_hospital_deploys():
    kinds = {o["kind"] for o in render(OVERLAY)}
    assert kinds == {
        "Namespace",
        "ServiceAccount",
        "ConfigMap",
        "Service",
        "Deployment",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "Job",
        "ServiceMonitor",
        "PrometheusRule",
        "ScaledObject",
        "TriggerAuthentication",
        "RabbitmqCluster",
        "Cluster",
    }
    assert {o["metadata"].get("namespace") for o in render(OVERLAY) if o["kind"] != "Namespace"} == {
        "complaints-example"
    }
    assert "Secret" not in kinds  # secrets come from outside Git (docs/operations.md)


# -- the manifests agree with the code -------------------------------------------------------------------------


def _env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


@pytest.mark.parametrize("service", config.SERVICES)
def test_each_service_runs_the_one_image_with_probes_resources_and_secrets(service):
    objects = render(OVERLAY)
    deployment = of_kind(objects, "Deployment")[service]
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["image"] == "registry.example-hospital.org/complaints/complaints:0.1.0"
    assert container["args"] == [service] and "command" not in container  # the image's ENTRYPOINT: shared.run
    port = config.DEFAULT_PORTS[service]
    assert container["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
    assert {"cpu", "memory"} <= set(container["resources"]["requests"]) and "memory" in container["resources"]["limits"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] >= 10000
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    env = _env(container)
    assert env["AMQP_URI"]["valueFrom"]["secretKeyRef"] == {"name": f"complaints-{service}-amqp", "key": "uri"}
    assert env[f"{service.upper()}_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
        "name": f"complaints-{service}-db",
        "key": "uri",
    }
    assert all("value" not in e for e in env.values()), "secrets and settings come from Secrets and the ConfigMap"
    # the ConfigMaps it names exist in the render (kustomize appended their content hash)
    configmaps = of_kind(objects, "ConfigMap")
    assert {ref["configMapRef"]["name"] for ref in container["envFrom"] if "configMapRef" in ref} <= set(configmaps)
    volumes = {v["name"]: v for v in pod["volumes"]}
    hospital = configmaps[volumes["hospital"]["configMap"]["name"]]
    assert hospital["data"]["hospital.json"] == (ROOT / "config" / "demo-hospital.json").read_text(encoding="utf-8")
    env_map = next(c for name, c in configmaps.items() if name.startswith("complaints-env-"))["data"]
    assert env_map["HOSPITAL_CONFIG"] == "/etc/complaints/hospital.json"
    assert {m["mountPath"] for m in container["volumeMounts"]} == {"/etc/complaints", "/tmp"}
    for other, other_port in config.DEFAULT_PORTS.items():
        assert env_map[f"{other.upper()}_URL"] == f"http://{other}:{other_port}"
    service_object = of_kind(objects, "Service")[service]
    assert service_object["spec"]["ports"][0]["port"] == port
    assert service_object["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    budget = of_kind(objects, "PodDisruptionBudget")[service]
    assert budget["spec"]["selector"] == deployment["spec"]["selector"]
    assert deployment["spec"]["replicas"] >= 2, "a PodDisruptionBudget needs a second replica to let a node drain"


def test_migrations_run_as_a_job_and_never_at_pod_start():
    objects = render(OVERLAY)
    job = of_kind(objects, "Job")["complaints-migrate"]
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "-m", "shared.migrate"]
    assert set(_env(container)) == {f"{s.upper()}_DATABASE_URL" for s in config.SERVICES}
    for deployment in of_kind(objects, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        assert "initContainers" not in pod
        assert all("migrate" not in " ".join(c.get("command", []) + c.get("args", [])) for c in pod["containers"])


def _sources() -> dict[str, list[str]]:
    return {s: sorted(importlib.import_module(f"services.{s}.projection").PROJECTOR.sources) for s in config.SERVICES}


def _selected(peers: list[dict[str, Any]]) -> set[str]:
    return {
        p["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
        for p in peers
        if "podSelector" in p and "namespaceSelector" not in p
    }


def test_network_policies_deny_by_default_and_allow_exactly_the_backfill_paths():
    objects = render(OVERLAY)
    policies = of_kind(objects, "NetworkPolicy")
    deny = policies["complaints-default-deny"]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    dns = policies["complaints-dns"]["spec"]["egress"][0]["ports"]
    assert {(p["protocol"], p["port"]) for p in dns} == {("UDP", 53), ("TCP", 53)}
    data_ports = {
        p["port"] for rule in policies["complaints-postgresql-rabbitmq"]["spec"]["egress"] for p in rule["ports"]
    }
    assert data_ports == {5432, 5672, 5671}
    sources = _sources()
    for service, port in config.DEFAULT_PORTS.items():
        spec = policies[service]["spec"]
        readers = {consumer for consumer, of in sources.items() if service in of}
        allowed_in = set().union(*(_selected(rule["from"]) for rule in spec["ingress"]))
        assert allowed_in == readers | {"console"}, f"{service}: ingress from {allowed_in}, backfilled by {readers}"
        assert all(p["port"] == port for rule in spec["ingress"] for p in rule["ports"])
        allowed_out = {
            (peer, p["port"])
            for rule in spec["egress"]
            if "to" in rule
            for peer in _selected(rule["to"])
            for p in rule["ports"]
        }
        assert allowed_out == {(src, config.DEFAULT_PORTS[src]) for src in sources[service]}, service


def test_keda_scales_consumers_on_their_own_queues_with_their_own_broker_user():
    objects = render(OVERLAY)
    sources = _sources()
    authentications = of_kind(objects, "TriggerAuthentication")
    for name, scaled in of_kind(objects, "ScaledObject").items():
        assert scaled["spec"]["scaleTargetRef"]["name"] == name
        assert scaled["spec"]["minReplicaCount"] >= 2
        queues = {t["metadata"]["queueName"] for t in scaled["spec"]["triggers"]}
        assert queues == {queue_name(name, source) for source in sources[name]}
        for trigger in scaled["spec"]["triggers"]:
            assert trigger["type"] == "rabbitmq" and trigger["metadata"]["mode"] == "QueueLength"
            secret = authentications[trigger["authenticationRef"]["name"]]["spec"]["secretTargetRef"][0]
            assert secret == {"parameter": "host", "name": f"complaints-{name}-amqp", "key": "uri"}


def test_prometheus_scrapes_every_service_as_the_rules_expect():
    objects = render(OVERLAY)
    monitor = of_kind(objects, "ServiceMonitor")["complaints"]["spec"]
    assert monitor["jobLabel"] == "app.kubernetes.io/part-of"  # → job="complaints" in the rules
    assert monitor["endpoints"] == [
        {"port": "http", "path": "/metrics", "interval": "30s", "scrapeTimeout": "10s", "honorLabels": True}
    ]
    selected = {
        name
        for name, svc in of_kind(objects, "Service").items()
        if all(svc["metadata"]["labels"].get(k) == v for k, v in monitor["selector"]["matchLabels"].items())
    }
    assert selected == set(config.SERVICES)


def _secret_names(node: Any) -> set[str]:
    if isinstance(node, list):
        return set().union(*(_secret_names(n) for n in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = {node[key]["name"] for key in ("secretKeyRef", "secretRef") if key in node}
    if "parameter" in node and "key" in node:  # a KEDA secretTargetRef
        found.add(node["name"])
    return found.union(*(_secret_names(v) for v in node.values()))


def test_every_secret_the_manifests_name_is_documented_for_operators():
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    names = _secret_names(list(render(OVERLAY)))
    generic = {
        f"complaints-{s}-{kind}": f"complaints-<service>-{kind}" for s in config.SERVICES for kind in ("amqp", "db")
    }
    assert {generic.get(n, n) for n in names} == {
        "complaints-<service>-amqp",
        "complaints-<service>-db",
        "complaints-auth",
        "complaints-intake-keys",
        "complaints-notification",
        "complaints-console",
    }
    for name in {generic.get(n, n) for n in names}:
        assert f"`{name}`" in operations, f"docs/operations.md does not explain the Secret {name}"


def test_the_data_engines_are_clusters_and_no_lost_node_takes_a_service_down():
    objects = render(OVERLAY)
    [rabbit] = of_kind(objects, "RabbitmqCluster").values()
    assert rabbit["spec"]["replicas"] == 3
    assert "pause_minority" in rabbit["spec"]["rabbitmq"]["additionalConfig"]
    [postgres] = of_kind(objects, "Cluster").values()
    assert postgres["spec"]["instances"] == 3
    assert postgres["spec"]["postgresql"]["synchronous"]["number"] >= 1
    assert postgres["spec"]["affinity"]["podAntiAffinityType"] == "required"
    budgets = of_kind(objects, "PodDisruptionBudget")
    assert budgets[rabbit["metadata"]["name"]]["spec"]["maxUnavailable"] == 1
    deployments = of_kind(objects, "Deployment")
    assert set(deployments) == {*config.SERVICES, "console"}
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        assert deployment["spec"]["replicas"] >= 2, name
        assert budgets[name]["spec"]["selector"] == deployment["spec"]["selector"], name
        [spread] = [c for c in pod["topologySpreadConstraints"] if c["topologyKey"] == "kubernetes.io/hostname"]
        assert spread["whenUnsatisfiable"] == "DoNotSchedule" and spread["maxSkew"] == 1, name
        assert pod["affinity"]["podAntiAffinity"], name


def test_the_console_reaches_the_four_services_and_nothing_else():
    objects = render(OVERLAY)
    console = of_kind(objects, "Deployment")["console"]
    [container] = console["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["console"]
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert of_kind(objects, "Service")["console"]["spec"]["selector"] == console["spec"]["selector"]["matchLabels"]
    policy = of_kind(objects, "NetworkPolicy")["console"]["spec"]
    allowed_out = {
        (peer, p["port"]) for rule in policy["egress"] for peer in _selected(rule["to"]) for p in rule["ports"]
    }
    assert allowed_out == set(config.DEFAULT_PORTS.items())
