# render.py (moved to the hospital configuration in its own change) still reads ``statistics.flatten``;
# the statistics are domain.py's now. Drop this name once render.py imports domain.
from services.reporting import domain as statistics  # noqa: F401
