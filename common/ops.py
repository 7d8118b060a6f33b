"""What every service carries for operators: ``/health`` and ``/metrics`` on its own
port, and the ``read_event_log`` RPC over its outbox.

``/health`` is 200 only when the process can do its work: its database answers, the
broker answers, and every queue its container consumes from (its RPC queue, its reply
queue, its domain-event queue) has a consumer. A container that lost its consumers is
not ready; one that died ends its process (common/cli.py ``serve``)."""
import json
import time

from kombu import Connection, Queue
from nameko.extensions import DependencyProvider
from nameko.web.handlers import http
from common.rpc import rpc
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


_consumers_checked = {}


def queues_without_consumer(amqp_uri, queues, cache_seconds=2.0):
    """Those of ``queues`` the broker knows no consumer of (or no longer knows at all),
    asked with a passive declare: one round trip per queue on one connection. Cached
    like ``broker_reachable``: probes arriving together (kubelet, compose, a dashboard)
    while the broker is slow must not pile up connections."""
    key = (amqp_uri, tuple(queues))
    now = time.monotonic()
    cached = _consumers_checked.get(key)
    if cached and now - cached[0] < cache_seconds:
        return cached[1]
    missing = _ask_consumers(amqp_uri, queues)
    _consumers_checked[key] = (now, missing)
    return missing


def _ask_consumers(amqp_uri, queues):
    missing = []
    with Connection(amqp_uri, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1)
        for name in queues:
            channel = conn.channel()
            try:
                _, _, consumers = channel.queue_declare(name, passive=True)
            except conn.channel_errors:  # 404: the queue is gone with its consumers
                consumers = 0
            finally:
                try:
                    channel.close()
                except (conn.connection_errors + conn.channel_errors):
                    pass
            if not consumers:
                missing.append(name)
    return missing


def health_report(service_name, engine, amqp_uri, queues=()):
    checks = {}
    try:
        db.ping(engine)
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["database"] = f"error: {type(exc).__name__}"
    checks["broker"] = "ok" if broker_reachable(amqp_uri) else "unreachable"
    if checks["broker"] == "ok" and queues:
        try:
            missing = queues_without_consumer(amqp_uri, queues)
            checks["consumers"] = "ok" if not missing else "none on " + ", ".join(missing)
        except Exception as exc:  # noqa: BLE001 - the broker went away meanwhile
            checks["consumers"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return healthy, {"service": service_name, "status": "ok" if healthy else "degraded",
                     "checks": checks}


class ConsumedQueues(DependencyProvider):
    """The names of the queues this container consumes from: its RPC queue, the reply
    queue of its RPC clients, its domain-event queue (every extension holding a kombu
    ``Queue``)."""

    def get_dependency(self, worker_ctx):
        return sorted({ext.queue.name for ext in self.container.extensions
                       if isinstance(getattr(ext, "queue", None), Queue)})


class OperatorEndpoints:
    """Mixin for the four domain services (they all have ``self.store``)."""

    consumed_queues = ConsumedQueues()

    @http("GET", "/health")
    def health(self, request):
        healthy, report = health_report(self.name, self.store.engine,
                                        self.config["AMQP_URI"], self.consumed_queues)
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
