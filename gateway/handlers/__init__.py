"""Route handlers, one module per API area; importing them registers their routes."""
from gateway.handlers import (auth, events, reports, resources, system,  # noqa: F401
                              volunteers)
