#!/usr/bin/env bash
# Make sure PostgreSQL and RabbitMQ (with its management plugin) are up on this machine.
# Idempotent: does nothing when both already answer.
set -euo pipefail

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q; }
if ! pg_up; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 60); do pg_up && break; sleep 1; done
  pg_up || { echo "PostgreSQL did not come up" >&2; exit 1; }
fi

rabbit_up() { rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1; }
if ! rabbit_up; then
  echo "starting RabbitMQ"
  rabbitmq-server -detached || true
  for _ in $(seq 90); do rabbit_up && break; sleep 1; done
  rabbit_up || { echo "RabbitMQ did not come up" >&2; exit 1; }
fi
# Listed into a variable first: `grep -q` stops reading early, and under pipefail the listing's SIGPIPE
# made the check fail (the plugin was re-enabled on every run).
enabled_plugins=$(rabbitmq-plugins list -e -m 2>/dev/null || true)
if ! grep -qx rabbitmq_management <<<"$enabled_plugins"; then
  echo "enabling rabbitmq_management"
  rabbitmq-plugins enable rabbitmq_management >/dev/null
fi
for _ in $(seq 60); do
  curl -fsS -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null 2>&1 && exit 0
  sleep 1
done
echo "RabbitMQ management API did not answer on :15672" >&2
exit 1
