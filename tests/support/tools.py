"""Finding the command-line tools some tests run (promtool, kubectl)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def tool(name: str) -> str:
    """The venv's copy first (pinned in requirements-dev.txt), then var/tools/bin (scripts/ensure-tools.sh), then
    PATH. A missing tool fails the test: it is installed by the project's own scripts, never a reason to skip."""
    for folder in (Path(sys.executable).parent, ROOT / "var" / "tools" / "bin"):
        candidate = folder / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: run scripts/ensure-tools.sh and pip install -r requirements-dev.txt")
    return found
