"""The HTTP gateway: the only entry for clients (auth, roles, validation, error mapping,
OpenAPI). Entrypoints only; the request pipeline is in dispatch.py, routes in routes/."""
import mimetypes
from pathlib import Path

from nameko.dependency_providers import Config
from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Response

from common import metrics
from common.config import ConfigError
from common.db import Store, StoreAccess, store_of
from common.metrics import Instrumentation
from common.migrate import schema_state
from common.rpc import BoundedRpc
from common.ops import ConsumedQueues, SchemaCheckAtStart, health_report, liveness_report
from common.pii import Pii
from gateway import auth
from gateway.dispatch import dispatch, json_response
from gateway.models import metadata
from gateway.openapi import build_spec
from gateway.ratelimit import LoginThrottle, RateLimiter
from gateway.read_models import EventListingFeed
from gateway.security import http
from gateway.public_limits import PhoneLimiter

STATIC = Path(__file__).parent / "static"
CONSOLE = Path(__file__).parent / "console"
PUBLIC_SITE = Path(__file__).parent / "public"
VERIFY = Path(__file__).parent / "verify"
CONSULT = Path(__file__).parent / "consult"


def static_file(base, asset, max_age=0):
    """A file under ``base``; never one outside it."""
    base = Path(base).resolve()
    target = (base / asset).resolve()
    if base not in target.parents or not target.is_file():
        return json_response({"error": "NOT_FOUND", "message": "no such file",
                              "details": {"path": asset}}, 404)
    mime = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    if mime.startswith("text/") or mime in ("application/javascript", "application/json"):
        mime += "; charset=utf-8"
    return Response(target.read_bytes(), content_type=mime,
                    headers={"Cache-Control": f"public, max-age={max_age}" if max_age
                             else "no-cache"})


def service_rpc(service):
    """``ctx.rpc(service, ...)``'s client: one reply queue per gateway process shared by
    all requests, requests published without a confirm (docs/performance.md), so a
    service that is down or was never started is 503 after RPC_TIMEOUT_SECONDS."""
    return BoundedRpc(service, "RPC_TIMEOUT_SECONDS", 5.0, confirm=False)


class RequestState(DependencyProvider):
    """Puts the request id (and a write's idempotency key, gateway/idempotency.py) into
    the worker's context data, which nameko forwards with every RPC, so service logs
    carry the same id."""

    def get_dependency(self, worker_ctx):
        return _RequestState(worker_ctx)


class _RequestState:
    def __init__(self, worker_ctx):
        self.worker_ctx = worker_ctx

    def set_request_id(self, request_id):
        self.context_data["request_id"] = request_id

    @property
    def context_data(self):
        """What every RPC of this request carries (the request id, an idempotency key):
        the worker's own dict (nameko's ``context_data`` property is a copy)."""
        return self.worker_ctx.data


class PublicRateLimiter(DependencyProvider):
    def setup(self):
        self.limiter = RateLimiter(self.container.config.get("PUBLIC_RATE_LIMIT_PER_MINUTE", 30))

    def get_dependency(self, worker_ctx):
        return self.limiter


class LoginThrottling(DependencyProvider):
    """Growing delays after failed logins (gateway.ratelimit.LoginThrottle)."""

    def setup(self):
        config = self.container.config
        self.throttle = LoginThrottle(
            free_failures=int(config.get("LOGIN_FREE_FAILURES", 5)),
            first_delay=float(config.get("LOGIN_FIRST_DELAY_SECONDS", 1)),
            max_delay=float(config.get("LOGIN_MAX_DELAY_SECONDS", 900)))

    def get_dependency(self, worker_ctx):
        return self.throttle


class ActiveUserCheck(DependencyProvider):
    """Whether a token's user may still act (gateway.auth.ActiveUsers). Refuses to start
    with a token lifetime above its ceiling: every token issued would be refused."""

    def setup(self):
        config = self.container.config
        ttl, ceiling = int(config["JWT_TTL_SECONDS"]), int(config["JWT_MAX_LIFETIME_SECONDS"])
        if ttl > ceiling:
            raise ConfigError(f"JWT_TTL_SECONDS ({ttl}) is above JWT_MAX_LIFETIME_SECONDS "
                              f"({ceiling}): every token issued would be refused")
        self.users = auth.ActiveUsers(StoreAccess(store_of(self.container)),
                                      float(config.get("USER_CHECK_CACHE_SECONDS", 5)))

    def get_dependency(self, worker_ctx):
        return self.users


class PublicPhoneLimiter(DependencyProvider):
    """Public writes per phone (gateway/public_limits.py), beside the per-client limit."""

    def setup(self):
        config = self.container.config
        self.limiter = PhoneLimiter(config.get("PUBLIC_PHONE_RATE_LIMIT_PER_MINUTE", 5),
                                    Pii.from_config(config))

    def get_dependency(self, worker_ctx):
        return self.limiter


class AdminBootstrap(DependencyProvider):
    """Creates the first admin from RONGHE_ADMIN_USER / RONGHE_ADMIN_PASSWORD; on a
    database not yet at the code's revision, once ``migrate`` has brought it there (the
    gateway is not ready meanwhile)."""

    RETRY_SECONDS = 2

    def start(self):
        if self._schema_ready():
            self._ensure_admin()
        else:
            self.container.spawn_managed_thread(self._when_migrated)

    def _schema_ready(self):
        try:
            ready, _ = schema_state("gateway", store_of(self.container).engine)
        except Exception:  # noqa: BLE001 - the database does not answer yet
            return False
        return ready

    def _when_migrated(self):
        import eventlet

        while not self._schema_ready():
            eventlet.sleep(self.RETRY_SECONDS)
        self._ensure_admin()

    def _ensure_admin(self):
        store = store_of(self.container)
        config = self.container.config
        with StoreAccess(store).session() as session:
            auth.ensure_admin(session, config["RONGHE_ADMIN_USER"],
                              config["RONGHE_ADMIN_PASSWORD"])

    def get_dependency(self, worker_ctx):
        return None


class GatewayService:
    name = "gateway"

    config = Config()
    store = Store(metadata)
    admin_bootstrap = AdminBootstrap()
    rate_limiter = PublicRateLimiter()
    login_throttle = LoginThrottling()
    active_users = ActiveUserCheck()
    phone_limiter = PublicPhoneLimiter()
    request_state = RequestState()
    instrumentation = Instrumentation()
    resources_rpc = service_rpc("resources")
    volunteers_rpc = service_rpc("volunteers")
    events_rpc = service_rpc("events")
    reports_rpc = service_rpc("reports")
    # Attachments' bytes cross RPC (base64): a deadline of their own
    # (gateway/routes/attachments.py).
    attachments_rpc = BoundedRpc("events", "ATTACHMENT_RPC_TIMEOUT_SECONDS", 30.0,
                                 confirm=False)
    consumed_queues = ConsumedQueues()
    schema_check = SchemaCheckAtStart()
    # GET /events from memory, kept fresh by the events service's facts.
    event_listing = EventListingFeed()

    @http("GET,POST,PATCH,PUT,DELETE", "/api/v1/<path:path>")
    def api(self, request, path):
        return dispatch(self, request)

    @http("GET", "/api/v1/openapi.json")
    def openapi(self, request):
        return json_response(build_spec())

    @http("GET", "/api/docs", page=True)
    def docs(self, request):
        return Response((STATIC / "docs.html").read_bytes(), mimetype="text/html")

    @http("GET", "/api/docs/start.js", page=True)
    def docs_start(self, request):
        return static_file(STATIC, "docs.js")

    @http("GET", "/api/docs/assets/<path:asset>", page=True)
    def docs_asset(self, request, asset):
        from swagger_ui_bundle import swagger_ui_path

        return static_file(Path(swagger_ui_path), asset, max_age=86400)

    @http("GET", "/", page=True)
    def public_index(self, request):
        """The residents' site (phone first, no login); its pages are routed in the
        browser (``/#/events/12``), so a QR code's URL needs no route of its own here."""
        return static_file(PUBLIC_SITE, "index.html")

    @http("GET", "/site/<path:asset>", page=True)
    def public_asset(self, request, asset):
        return static_file(PUBLIC_SITE, asset)

    @http("GET", "/console/", page=True)
    def console_index(self, request):
        return self.console_asset(request, "index.html")

    @http("GET", "/console/<path:asset>", page=True)
    def console_asset(self, request, asset):
        """The social workers' web console: local files only, no CDN."""
        return static_file(CONSOLE, asset)

    @http("GET", "/verify/<number>", page=True)
    def verify_page(self, request, number):
        """The public verify page of a certificate (its QR code leads here): a static page
        whose script asks the public verification API, rate limit and answers included."""
        return static_file(VERIFY, "index.html")

    @http("GET", "/verify/assets/<path:asset>", page=True)
    def verify_asset(self, request, asset):
        return static_file(VERIFY, asset)

    @http("GET", "/consult/<int:consultation_id>", page=True)
    def consult_page(self, request, consultation_id):
        """A consultation's answering page for residents (no login); the page reads the
        consultation through the public API."""
        return static_file(CONSULT, "index.html")

    @http("GET", "/consult/assets/<path:asset>", page=True)
    def consult_asset(self, request, asset):
        return static_file(CONSULT, asset)

    @http("GET", "/health/live")
    def health_live(self, request):
        return json_response(liveness_report(self.name))

    @http("GET", "/health/ready")
    def health_ready(self, request):
        healthy, report = health_report(self.name, self.store.engine, self.config["AMQP_URI"],
                                        self.consumed_queues, process="gateway")
        return json_response(report, 200 if healthy else 503)

    @http("GET", "/health")
    def health(self, request):
        """The same as ``/health/ready``."""
        return self.health_ready(request)

    @http("GET", "/metrics")
    def metrics(self, request):
        return Response(metrics.render(), mimetype=metrics.CONTENT_TYPE_LATEST)
