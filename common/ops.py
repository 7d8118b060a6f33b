"""What every service carries for operators: ``/health`` and ``/metrics`` on its own
port, and the ``read_event_log`` RPC over its outbox."""
import json
import time

from kombu import Connection
from common.rpc import rpc
from nameko.web.handlers import http
from werkzeug.wrappers import Response

from common import db, metrics, outbox

_broker_checked = {}


def broker_reachable(amqp_uri, cache_seconds=2.0):
    now = time.monotonic()
    cached = _broker_checked.get(amqp_uri)
    if cached and now - cached[0] < cache_seconds:
        return cached[1]
    try:
        with Connection(amqp_uri, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=len(conn.alt) or 1)  # every address
        ok = True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        ok = False
    _broker_checked[amqp_uri] = (now, ok)
    return ok


def health_report(service_name, engine, amqp_uri):
    checks = {}
    try:
        db.ping(engine)
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["database"] = f"error: {type(exc).__name__}"
    checks["broker"] = "ok" if broker_reachable(amqp_uri) else "unreachable"
    healthy = all(v == "ok" for v in checks.values())
    return healthy, {"service": service_name, "status": "ok" if healthy else "degraded",
                     "checks": checks}


class OperatorEndpoints:
    """Mixin for the four domain services (they all have ``self.store``)."""

    @http("GET", "/health")
    def health(self, request):
        healthy, report = health_report(self.name, self.store.engine,
                                        self.config["AMQP_URI"])
        return Response(json.dumps(report), status=200 if healthy else 503,
                        mimetype="application/json")

    @http("GET", "/metrics")
    def metrics(self, request):
        return Response(metrics.render(), mimetype=metrics.CONTENT_TYPE_LATEST)

    @rpc
    def read_event_log(self, after=0, limit=500):
        with self.store.session() as session:
            return outbox.read_event_log(session, self.store.metadata.tables["outbox"],
                                         after, limit)
