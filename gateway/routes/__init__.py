"""The API's routes, one module per area. Importing this package imports each module
below, whose ``@route`` declarations fill the route table (gateway.routing)."""
from gateway.routes import (admin, attachments, auth, cases, consultations, contract, door,
                            dossiers, events, reports, resources, system, volunteers)
from gateway.routing import ROUTES as _DECLARED

# Every module of routes; a new area is added here.
MODULES = (admin, attachments, auth, cases, consultations, contract, door, dossiers, events,
           reports, resources, system, volunteers)
# The whole route table, once every module above has declared its routes.
ROUTES = tuple(_DECLARED)
