"""The shape figures issue 13 asks for, measured on the tree: modules per service, SQL statements run
in service.py files, functions over 60 (and 80) lines in services/ and shared/, and comparisons with an
event-type string outside the catalogue.

    python -m scripts.shape
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from shared import catalogue, config

ROOT = config.ROOT
SERVICES = ("intake", "investigation", "notification", "reporting", "console")


def _python_files(*tops: str) -> list[Path]:
    return sorted(p for top in tops for p in (ROOT / top).rglob("*.py") if "migrations" not in p.parts)


def _sql_statements(path: Path) -> int:
    tree = ast.parse(path.read_text())
    return sum(
        1
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("execute", "executemany", "copy_expert")
    )


def _long_functions(limit: int) -> list[str]:
    found = []
    for path in _python_files("services", "shared"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > limit:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    return found


def _event_type_comparisons() -> list[str]:
    names = set(catalogue.EVENT_TYPES)
    found = []
    for path in _python_files("services", "shared"):
        if path.name == "catalogue.py" or "events" in path.relative_to(ROOT).parts[:2]:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Compare):
                continue
            for side in (node.left, *node.comparators):
                values = side.elts if isinstance(side, ast.Tuple | ast.List | ast.Set) else [side]
                if any(isinstance(v, ast.Constant) and v.value in names for v in values):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
                    break
    return found


def main() -> int:
    for service in SERVICES:
        modules = sorted(p.name for p in (ROOT / "services" / service).glob("*.py") if p.name != "__init__.py")
        print(f"{service}: {len(modules)} modules ({', '.join(modules)})")
    for service in SERVICES:
        path = ROOT / "services" / service / "service.py"
        if path.exists():
            print(f"SQL statements in services/{service}/service.py: {_sql_statements(path)}")
    over60, over80 = _long_functions(60), _long_functions(80)
    print(f"functions over 60 lines in services/ and shared/: {len(over60)}")
    print(f"functions over 80 lines in services/ and shared/: {len(over80)}")
    for line in over80:
        print(f"  {line}")
    comparisons = _event_type_comparisons()
    print(f"event-type string comparisons outside the catalogue: {len(comparisons)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
