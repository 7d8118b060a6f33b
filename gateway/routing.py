"""The gateway's route table: one declaration per route, from which come dispatch, role
checks, validation, the OpenAPI document and the authorization-matrix test.

    @route("POST", "/volunteers", roles=STAFF, body=VolunteerCreate, response=Volunteer,
           status=201, tag="volunteers", summary="Register a volunteer")
    def create_volunteer(ctx):
        return ctx.rpc("volunteers", "create_volunteer", ctx.body)

Routes are declared in gateway/routes/<area>.py; gateway.routes lists those modules.
Paths are relative to /api/v1 and use werkzeug converters (``<int:volunteer_id>``).
Handlers get the request context and the path parameters; they return JSON-able data or
a werkzeug ``Response`` (downloads).
"""
from dataclasses import dataclass, field

from werkzeug.routing import IntegerConverter, Map, Rule

API_PREFIX = "/api/v1"
PUBLIC = "public"
AUTHENTICATED = ("admin", "social_worker", "volunteer", "district_viewer")
STAFF = ("admin", "social_worker")
ADMIN = ("admin",)
READERS = ("admin", "social_worker", "district_viewer")

# Filled by the @route declarations of the modules gateway.routes imports; read the
# whole table as gateway.routes.ROUTES.
ROUTES = []


@dataclass(eq=False)
class Route:
    method: str
    path: str
    handler: object
    roles: object  # PUBLIC or a tuple of role names
    body: type = None
    query: type = None
    response: type = None
    many: bool = False
    status: int = 200
    tag: str = "misc"
    summary: str = ""
    rate_limited: bool = False
    produces: tuple = ("application/json",)
    # Error answers of the route's own, by status, for the OpenAPI document (the login's 401).
    answers: dict = field(default_factory=dict)
    # Roles that pass the role check but reach only their own volunteer's records:
    # dispatch checks the volunteer_id a request names (path, body, query) and narrows a
    # listing to theirs; the handler passes ctx.only_own for records named otherwise.
    own_records_only: tuple = field(default_factory=tuple)
    # A file upload (multipart/form-data, gateway/uploads.py): the schema of the form's
    # fields beside ``file``, and the config key of the file's size limit.
    upload: type = None
    upload_limit: str = "ATTACHMENT_MAX_BYTES"

    @property
    def endpoint(self):
        return f"{self.method} {self.path}"

    @property
    def is_public(self):
        return self.roles == PUBLIC

    def allows(self, role):
        return self.is_public or role in self.roles


def route(method, path, roles, **options):
    def register(handler):
        ROUTES.append(Route(method, path, handler, roles, **options))
        return handler

    return register


class IdConverter(IntegerConverter):
    """``<int:...>`` in our paths is a database id: 1 … 2**31-1 in ASCII digits, else the
    route is 404 (``\\d`` would also take ١ or １, which ``int()`` reads as 1)."""

    regex = r"[0-9]+"

    def __init__(self, url_map, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, **kwargs)


def url_map(routes):
    rules = [Rule(API_PREFIX + r.path, methods=[r.method], endpoint=r) for r in routes]
    return Map(rules, strict_slashes=False, merge_slashes=False,
               converters={"int": IdConverter})
