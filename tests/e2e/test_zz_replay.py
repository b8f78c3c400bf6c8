"""Runs after the end-to-end flows: intake's and investigation's state, rebuilt from each one's own log
(``python -m shared.replay <service> --check``), is identical to the live tables the whole suite left."""

from __future__ import annotations

import subprocess
import sys

import pytest

from shared import config

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("service", ["investigation"])
def test_the_state_rebuilt_from_the_log_is_identical(stack, service):
    assert stack[service].get("/health/ready").status_code == 200  # the stack's databases, with the suite's data
    done = subprocess.run([sys.executable, "-m", "shared.replay", service, "--check"], cwd=config.ROOT,
                          capture_output=True, text=True, timeout=300)
    assert (done.returncode, done.stdout.strip()) == (0, "identical"), done.stdout + done.stderr
