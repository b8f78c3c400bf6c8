"""The Grafana dashboard and the alert rules name only metrics the code exposes (or, listed below, that
Prometheus and RabbitMQ expose), so a renamed metric cannot leave a blank panel or a silent alert."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared import config

ROOT = config.ROOT
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "complaints.json"
PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"
RULES = ROOT / "deploy" / "prometheus" / "rules.yaml"

# Metrics not defined in this code base, each with who exposes it.
EXTERNAL = {
    "up": "Prometheus, per scrape target",
    "rabbitmq_queue_messages_ready": "RabbitMQ's rabbitmq_prometheus plugin (per-object metrics)",
}
_SUFFIXES = {  # what prometheus_client exposes for each kind of metric
    "Counter": ("_total", "_created"),
    "CounterMetricFamily": ("_total",),
    "Gauge": ("",),
    "GaugeMetricFamily": ("",),
    "Histogram": ("_bucket", "_sum", "_count", "_created"),
    "HistogramMetricFamily": ("_bucket", "_sum", "_count"),
    "Summary": ("", "_sum", "_count", "_created"),
    "SummaryMetricFamily": ("", "_sum", "_count"),
    "Info": ("_info",),
    "InfoMetricFamily": ("_info",),
}


def code_metrics() -> set[str]:
    """Every series name the code defines: shared/metrics.py and services/*/*.py, read as source."""
    names: set[str] = set()
    for path in [ROOT / "shared" / "metrics.py", *sorted((ROOT / "services").glob("*/*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
                continue
            kind = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if kind in _SUFFIXES and isinstance(node.args[0].value, str):
                base = node.args[0].value.removesuffix("_total") if "Counter" in kind else node.args[0].value
                names |= {base + suffix for suffix in _SUFFIXES[kind]}
    return names


_KEYWORDS = {
    "and",
    "or",
    "unless",
    "bool",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "offset",
    "inf",
    "nan",
}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (Grafana's $variables allowed)."""
    text = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'', '""', expr)  # string literals
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges, subqueries
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)  # label lists
    text = re.sub(r"\boffset\s+\S+", " ", text)
    text = re.sub(r"\$\w+", " ", text)
    # whole identifiers only ((?![\w:]) stops a backtrack to "rat" in "rate("), not followed by a call's "("
    tokens = re.findall(r"(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()", text)
    return {t for t in tokens if t not in _KEYWORDS and not re.fullmatch(r"\d+[smhdwy]", t)}


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def panels() -> list[dict[str, Any]]:
    return [p for p in dashboard()["panels"] if p["type"] != "row"]


def dashboard_exprs() -> list[str]:
    exprs = [t["expr"] for p in panels() for t in p["targets"]]
    for variable in dashboard()["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
            exprs.append(re.fullmatch(r"label_values\((\w+),\s*\w+\)", query).group(1))
    return exprs


def rule_exprs() -> list[str]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def test_the_metric_name_reader_finds_names_and_skips_functions_labels_and_keywords():
    expr = (
        "max by (service) (complaints_relay_lag_events and on (instance, service) (complaints_relay_leader == 1))"
        ' - sum(rate(complaints_http_requests_total{status=~"5..", service="by"}[$__rate_interval] offset 1d))'
        " / histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m]))) > bool 30 * 86400"
    )
    assert metric_names(expr) == {
        "complaints_relay_lag_events",
        "complaints_relay_leader",
        "complaints_http_requests_total",
        "x_bucket",
    }


def test_the_code_defines_the_metrics_the_rules_are_about():
    defined = code_metrics()
    assert {
        "complaints_deadline_breaches_total",
        "complaints_overdue_deadlines",
        "complaints_relay_lag_events",
        "complaints_parked_events",
        "complaints_consumer_pending_events",
        "complaints_calendar_last_covered_day_timestamp_seconds",
        "complaints_provisional_deadlines",
        "complaints_consumer_batch_duration_seconds_bucket",
    } <= defined
    assert "complaints_relay_lag_events_total" not in defined


@pytest.mark.parametrize("source", ["dashboard", "rules"])
def test_every_expression_names_only_metrics_that_exist(source):
    exprs = dashboard_exprs() if source == "dashboard" else rule_exprs()
    known = code_metrics() | set(EXTERNAL)
    used = {name for expr in exprs for name in metric_names(expr)}
    assert used, "no metric found: the reader is broken"
    assert used - known == set(), f"{source} names metrics that nothing exposes"


def test_a_metric_missing_from_the_code_is_caught():
    assert metric_names("rate(complaints_no_such_metric_total[5m])") - code_metrics() == {
        "complaints_no_such_metric_total"
    }


def test_the_dashboard_covers_deadlines_volumes_notifications_and_the_backbone():
    board = dashboard()
    assert board["uid"] == "complaints-overview"
    rows = [p["title"] for p in board["panels"] if p["type"] == "row"]
    assert rows == ["Deadlines", "Volumes", "Notifications", "Backbone health"]
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    used = {name for expr in dashboard_exprs() for name in metric_names(expr)}
    for metric in (
        "complaints_deadline_breaches_total",
        "complaints_overdue_deadlines",
        "complaints_provisional_deadlines",
        "complaints_calendar_last_covered_day_timestamp_seconds",
        "complaints_notifications_total",
        "complaints_relay_lag_events",
        "complaints_relay_leader",
        "complaints_consumer_applied_events_total",
        "complaints_parked_events",
        "complaints_consumer_pending_events",
        "complaints_http_requests_total",
        "up",
    ):
        assert metric in used, metric
    for panel in panels():
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"]), panel["title"]
        assert panel["gridPos"]["x"] >= 0 and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]


def test_grafana_provisioning_points_at_the_dashboard_where_compose_mounts_it():
    provider = yaml.safe_load((PROVISIONING / "dashboards" / "complaints.yaml").read_text(encoding="utf-8"))
    path = provider["providers"][0]["options"]["path"]
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./deploy/grafana/dashboards:{path}:ro" in mounts
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in mounts
    sources = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yaml").read_text(encoding="utf-8"))
    assert sources["datasources"][0]["type"] == "prometheus"
    assert Path(DASHBOARD).suffix == ".json"
