"""Per-request context handed to route handlers: who asks (``user``, ``role``,
``actor``), what they may see (``reveal``, ``only_own``), the parsed ``query`` and
``body``, and the services (``rpc``)."""
from sqlalchemy import insert

from gateway.models import AuditEntry
from gateway.routing import STAFF

REVEAL_WORDS = ("1", "true", "yes")


def client_address(request, trusted_proxies):
    """The client's address. X-Forwarded-For is believed only when the direct peer is a
    proxy we trust (a client could otherwise pick a new address per call)."""
    peer = request.remote_addr or "unknown"
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and peer in trusted_proxies:
        return forwarded.split(",")[-1].strip() or peer
    return peer


class RequestContext:
    def __init__(self, service, request, route, user, request_id):
        self.service = service
        self.request = request
        self.route = route
        self.user = user  # JWT claims, or None on a public route without a token
        self.request_id = request_id
        self.body = None
        self.upload = None  # an upload route's file bytes (gateway/uploads.py)
        self.query = {}
        self.role = user["role"] if user else None
        # Who acts, as the services record it (organiser, booked_by, approved_by, …).
        self.actor = user["sub"] if user else None
        # Staff asked for personal data unmasked (?reveal=true); see audit_reveal.
        self.reveal = self.role in STAFF and \
            request.args.get("reveal", "").lower() in REVEAL_WORDS
        # The volunteer whose records alone this user reaches on this route (the route's
        # own_records_only roles; -1, nobody's, for such a user without a volunteer), or
        # None: not limited. Dispatch checks the volunteer_id a request names; services
        # get it for records named by another id (a sign-up, a certificate).
        self.only_own = int(user.get("volunteer_id") or -1) \
            if self.role in route.own_records_only else None

    @property
    def client(self):
        """The client's address (rate limits, login throttling)."""
        trusted = self.service.config.get("TRUSTED_PROXIES", "") or ""
        return client_address(self.request, set(trusted.split(",")))

    @property
    def config(self):
        return self.service.config

    @property
    def community_id(self):
        return self.service.config["COMMUNITY_ID"]

    def rpc(self, service_name, method, *args, **kwargs):
        return getattr(self.service, f"{service_name}_rpc").call(method, *args, **kwargs)

    def session(self):
        return self.service.store.session()

    def audit_reveal(self, action, target):
        """Whether to answer with personal data unmasked; a reveal is audited first."""
        if self.reveal:
            self.audit(action, target)
        return self.reveal

    def audit(self, action, target):
        with self.session() as session:
            session.execute(insert(AuditEntry.__table__).values(
                username=self.actor or "anonymous",
                action=action, target=target, request_id=self.request_id))
