# One command to start the product, one to test it. Both set up everything they need.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SERVICES := intake investigation notification reporting
RUN_DIR := var/run
LOG_DIR := var/log
# The local stand-ins for the hospital's SMTP relay and SMS gateway (overridable, like every service port).
SMTP_PORT ?= 2525
SMS_PORT ?= 9090

.PHONY: run stop test lint bench bench-quick migrate infra venv demo-data contracts chaos

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

infra:
	@scripts/ensure-infra.sh

migrate: venv infra
	$(PY) -m shared.migrate

## make run: install, migrate, start all four services and the web console with the demo hospital, print where to look
run: migrate stop
	@scripts/ensure-fonts.sh  # the dossier's PDF: Pango and a CJK font
	@mkdir -p $(RUN_DIR) $(LOG_DIR) var/mail
	@# Local stand-ins for the hospital's SMTP relay and SMS gateway: messages land in var/mail, /_messages.
	@nohup $(PY) -m tests.support.smtp_sink $(SMTP_PORT) var/mail >> $(LOG_DIR)/smtp.log 2>&1 & echo $$! > $(RUN_DIR)/smtp.pid
	@nohup $(PY) -m tests.support.sms_gateway $(SMS_PORT) >> $(LOG_DIR)/sms.log 2>&1 & echo $$! > $(RUN_DIR)/sms.pid
	@for s in $(SERVICES); do \
	  RATE_LIMIT_WRITES_PER_MINUTE=$${RATE_LIMIT_WRITES_PER_MINUTE:-6000} SMTP_PORT=$(SMTP_PORT) \
	  SMS_GATEWAY_URL=$${SMS_GATEWAY_URL:-http://127.0.0.1:$(SMS_PORT)/send} \
	    nohup $(PY) -m shared.run $$s >> $(LOG_DIR)/$$s.log 2>&1 & echo $$! > $(RUN_DIR)/$$s.pid; \
	done
	@# The web console (port 8000): pages over the four services' APIs, demo sign-in.
	@nohup $(PY) -m shared.run console >> $(LOG_DIR)/console.log 2>&1 & echo $$! > $(RUN_DIR)/console.pid
	@$(PY) -m scripts.demo_data --wait
	@$(PY) -m scripts.where_to_look

## make stop: stop what make run started and wait until every one of those processes has exited
stop:
	@scripts/stop-processes.sh $(RUN_DIR)

## make test: the whole suite against the real RabbitMQ and PostgreSQL of this machine
test: venv infra
	@scripts/ensure-tools.sh
	@scripts/ensure-fonts.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest -q

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## make bench: every bench (bench/[a-z]*.py; not bench/_support.py), full sizes; BENCH_ARGS are passed to each
BENCHES := $(filter-out bench/_%,$(wildcard bench/*.py))
bench: venv infra
	@for b in $(BENCHES); do echo "== $$b $(BENCH_ARGS)"; PYTHONPATH=$(CURDIR) $(PY) $$b $(BENCH_ARGS) || exit 1; done

## make bench-quick: every bench at small sizes (seconds each): proves they run (CI runs it after make test)
bench-quick:
	@$(MAKE) --no-print-directory bench BENCH_ARGS=--quick

## make contracts: regenerate contracts/ (event schemas, AsyncAPI, OpenAPI) and the generated deploy files
contracts: venv
	$(PY) -m scripts.contracts

## make chaos: a 3-node RabbitMQ cluster and a PostgreSQL primary + synchronous standby on ports of their own
## (var/chaos), two replicas of each service under load, broker node / database failover / SIGKILL / connection
## cut / poison; prints one table, fails on any loss, doubling or gap (scripts/chaos)
chaos: venv
	$(PY) -m scripts.chaos
