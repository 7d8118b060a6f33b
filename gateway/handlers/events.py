"""events routes (see DESIGN.md, The API)."""
from gateway.routing import route  # noqa: F401
