"""Per-request context handed to route handlers."""
from sqlalchemy import insert

from common.errors import Forbidden
from gateway.models import AuditEntry


class RequestContext:
    def __init__(self, service, request, route, user, request_id):
        self.service = service
        self.request = request
        self.route = route
        self.user = user  # JWT claims, or None on a public route without a token
        self.request_id = request_id
        self.body = None
        self.query = {}

    @property
    def config(self):
        return self.service.config

    @property
    def role(self):
        return self.user["role"] if self.user else None

    @property
    def community_id(self):
        return self.service.config["COMMUNITY_ID"]

    def rpc(self, service_name, method, *args, **kwargs):
        return getattr(self.service, f"{service_name}_rpc").call(method, *args, **kwargs)

    def session(self):
        return self.service.store.session()

    def require_own_volunteer(self, volunteer_id):
        """A volunteer user reaches only their own records; staff reach all."""
        if self.role == "volunteer" and int(volunteer_id) != int(self.user.get("volunteer_id") or -1):
            raise Forbidden("volunteers may only see their own records")

    def may_reveal(self):
        return self.role in ("admin", "social_worker") and \
            self.request.args.get("reveal", "").lower() in ("1", "true", "yes")

    def audit(self, action, target):
        with self.session() as session:
            session.execute(insert(AuditEntry.__table__).values(
                username=self.user["sub"] if self.user else "anonymous",
                action=action, target=target, request_id=self.request_id))
