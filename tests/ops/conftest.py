"""The four services as processes (tests/e2e's stack, a package-scoped one of this package's own)."""

from tests.e2e.conftest import stack  # noqa: F401  (a fixture: pytest finds it by name)
