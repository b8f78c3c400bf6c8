"""The alert rules: valid for Prometheus, unit-tested with promtool, the same in the PrometheusRule, and each
alert with a runbook entry."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from shared import config
from tests.support.tools import tool

ROOT = config.ROOT
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS / "rules.yaml"
RULE_TESTS = PROMETHEUS / "rules.test.yaml"
RUNBOOK = ROOT / "docs" / "runbook.md"


def promtool(*args: str, cwd: Path = PROMETHEUS) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("promtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def alerts() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def test_rules_pass_promtool_check():
    result = promtool("check", "rules", RULES.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in result.stdout


def test_rules_pass_their_promtool_unit_tests():
    result = promtool("test", "rules", RULE_TESTS.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_fail_on_a_wrong_expectation(tmp_path):
    (tmp_path / RULES.name).write_text(RULES.read_text(encoding="utf-8"), encoding="utf-8")
    wrong = RULE_TESTS.read_text(encoding="utf-8").replace("The intake relay is 150", "The intake relay is 500")
    assert wrong != RULE_TESTS.read_text(encoding="utf-8")
    (tmp_path / RULE_TESTS.name).write_text(wrong, encoding="utf-8")
    result = promtool("test", "rules", RULE_TESTS.name, cwd=tmp_path)
    assert result.returncode != 0 and "FAILED" in result.stdout + result.stderr


def test_every_alert_fires_in_a_unit_test_and_is_not_expected_where_it_should_not():
    cases = yaml.safe_load(RULE_TESTS.read_text(encoding="utf-8"))["tests"]
    firing = {check["alertname"] for case in cases for check in case["alert_rule_test"] if check.get("exp_alerts")}
    assert firing == {rule["alert"] for rule in alerts()}


def test_the_alerts_ops_rely_on_exist_with_the_metric_they_watch():
    watched = {rule["alert"]: rule["expr"] for rule in alerts()}
    wanted = {
        "ComplaintsDeadlineBreached": "complaints_deadline_breaches_total",
        "ComplaintsOverdueDeadlinesGrowing": "complaints_overdue_deadlines",
        "ComplaintsRelayLagging": "complaints_relay_lag_events",
        "ComplaintsParkedEvents": "complaints_parked_events",
        "ComplaintsConsumerBacklog": "complaints_consumer_pending_events",
        "ComplaintsQueueBacklog": "rabbitmq_queue_messages_ready",
        "ComplaintsCalendarEndingSoon": "complaints_calendar_last_covered_day_timestamp_seconds",
        "ComplaintsServiceDown": "up{",
        "ComplaintsProvisionalDeadlines": "complaints_provisional_deadlines",
    }
    for alert, metric in wanted.items():
        assert metric in watched[alert], alert
    assert "30 * 86400" in watched["ComplaintsCalendarEndingSoon"]
    for rule in alerts():
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]


def test_every_alert_has_a_runbook_entry_with_meaning_impact_checks_and_fixes():
    runbook = RUNBOOK.read_text(encoding="utf-8")
    sections = {m.group(1): m.group(2) for m in re.finditer(r"^## (\w+)\n(.*?)(?=^## |\Z)", runbook, re.M | re.S)}
    for rule in alerts():
        name = rule["alert"]
        assert rule["annotations"]["runbook_url"] == f"docs/runbook.md#{name.lower()}"
        assert name in sections, f"docs/runbook.md has no '## {name}'"
        for part in ("**Meaning**", "**Impact**", "**First checks**", "**Fixes**"):
            assert part in sections[name], f"{name}: {part}"
    assert "python -m shared.parked" in sections["ComplaintsParkedEvents"]
    assert set(sections) >= {rule["alert"] for rule in alerts()}


def test_the_prometheus_rule_of_the_kustomize_base_carries_the_same_groups():
    rule = yaml.safe_load((ROOT / "deploy" / "k8s" / "base" / "prometheusrule.yaml").read_text(encoding="utf-8"))
    assert rule["kind"] == "PrometheusRule"
    assert rule["spec"]["groups"] == yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]


def test_the_laptop_prometheus_configuration_is_valid(tmp_path):
    configuration = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8"))
    assert configuration["rule_files"] == ["/etc/prometheus/rules.yaml"]  # where compose.yaml mounts rules.yaml
    jobs = {job["job_name"]: job for job in configuration["scrape_configs"]}
    assert jobs["complaints"]["honor_labels"] is True
    targets = {t for group in jobs["complaints"]["static_configs"] for t in group["targets"]}
    assert targets == {f"{s}:{p}" for s, p in config.DEFAULT_PORTS.items()}
    configuration["rule_files"] = [str(RULES)]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(configuration), encoding="utf-8")
    result = promtool("check", "config", "prometheus.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
