"""The fuzz stage runs against the same stack of real service processes as tests/e2e."""

from tests.e2e.conftest import complaint, stack  # noqa: F401  (pytest fixtures, reused)
