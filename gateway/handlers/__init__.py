"""Route handlers, one module per API area; importing them registers their routes."""
from gateway.handlers import auth, system, volunteers, reports  # noqa: F401
