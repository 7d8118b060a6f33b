"""What every service carries for operators: ``/health/live``, ``/health/ready`` (and
``/health``, the same as ready) and ``/metrics`` on its own port, and the
``read_event_log`` RPC over its outbox.

``/health/live`` is 200 whenever the process answers HTTP: it never asks the database or
the broker, so an outage of either does not make the orchestrator restart every pod (a
service container that died ends its process instead: common/cli.py ``serve``).

``/health/ready`` is 200 only when the process can do its work: its database answers and
is at the migration revision its code expects, the broker answers, and every queue its
container consumes from (its RPC queue, its reply queue, its domain-event queue) has a
consumer. A database behind the code is named with both revisions; once
``python -m common.cli migrate`` ran the same process becomes ready without a restart."""
import json
import logging
import time

from kombu import Connection, Queue
from nameko.extensions import DependencyProvider
from nameko.web.handlers import http
from common.rpc import rpc
from werkzeug.wrappers import Response

from common import db, metrics, migrate, outbox

log = logging.getLogger("ronghe")

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


_depth_checked = {}


def queue_messages(amqp_uri, queue, cache_seconds=2.0):
    """Messages ready in ``queue`` (a passive declare), or None if the broker did not
    answer; cached like ``broker_reachable`` (scrapes must not pile up connections)."""
    key = (amqp_uri, queue)
    now = time.monotonic()
    cached = _depth_checked.get(key)
    if cached and now - cached[0] < cache_seconds:
        return cached[1]
    try:
        with Connection(amqp_uri, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)
            channel = conn.channel()
            try:
                _, count, _ = channel.queue_declare(queue, passive=True)
            except conn.channel_errors:  # not declared yet: nothing waits in it
                count = 0
            finally:
                try:
                    channel.close()
                except (conn.connection_errors + conn.channel_errors):
                    pass
    except Exception:  # noqa: BLE001 - unknown rather than a failed scrape
        count = None
    _depth_checked[key] = (now, count)
    return count


def health_report(service_name, engine, amqp_uri, queues=(), process=None):
    """Readiness: ``(healthy, report)``. With ``process``, the database must also be at
    the head revision of that process's migrations (check ``schema``)."""
    checks = {}
    try:
        db.ping(engine)
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["database"] = f"error: {type(exc).__name__}"
    if process and checks["database"] == "ok":
        try:
            ready, detail = migrate.schema_state(process, engine)
            checks["schema"] = "ok" if ready else detail
            if ready and detail != "ok":
                checks["schema_note"] = detail
        except Exception as exc:  # noqa: BLE001
            checks["schema"] = f"error: {type(exc).__name__}"
    checks["broker"] = "ok" if broker_reachable(amqp_uri) else "unreachable"
    if checks["broker"] == "ok" and queues:
        try:
            missing = queues_without_consumer(amqp_uri, queues)
            checks["consumers"] = "ok" if not missing else "none on " + ", ".join(missing)
        except Exception as exc:  # noqa: BLE001 - the broker went away meanwhile
            checks["consumers"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for k, v in checks.items() if not k.endswith("_note"))
    return healthy, {"service": service_name, "status": "ok" if healthy else "degraded",
                     "checks": checks}


def liveness_report(service_name):
    """Liveness: the process serves HTTP. Deliberately nothing else."""
    return {"service": service_name, "status": "alive"}


def json_response(body, status=200):
    return Response(json.dumps(body), status=status, mimetype="application/json")


class SchemaCheckAtStart(DependencyProvider):
    """At start, says in the log whether the database is at the revision the code
    expects. It does not stop the process: readiness keeps it out of traffic until
    ``migrate`` has run, and then it becomes ready without a restart."""

    def start(self):
        process = self.container.service_name
        try:
            engine = db.store_of(self.container).engine
            ready, detail = migrate.schema_state(process, engine)
        except Exception as exc:  # noqa: BLE001 - the database may not answer yet
            log.warning("%s: could not read its schema revision at start (%s: %s); not "
                        "ready until it can", process, type(exc).__name__, exc)
            return
        if ready:
            log.info("%s: database schema %s", process, detail)
        else:
            log.error("%s: database schema %s; not ready until then", process, detail)

    def get_dependency(self, worker_ctx):
        return None


class ConsumedQueues(DependencyProvider):
    """The names of the queues this container consumes from: its RPC queue, the reply
    queue of its RPC clients, its domain-event queue (every extension holding a kombu
    ``Queue``)."""

    def get_dependency(self, worker_ctx):
        # Every worker is handed it; only the health check reads it: named when read.
        return self

    def names(self):
        return sorted({ext.queue.name for ext in self.container.extensions
                       if isinstance(getattr(ext, "queue", None), Queue)})

    def __iter__(self):
        return iter(self.names())

    def __len__(self):
        return len(self.names())


class OperatorEndpoints:
    """Mixin for the four domain services (they all have ``self.store``)."""

    consumed_queues = ConsumedQueues()
    schema_check = SchemaCheckAtStart()

    @http("GET", "/health/live")
    def health_live(self, request):
        return json_response(liveness_report(self.name))

    @http("GET", "/health/ready")
    def health_ready(self, request):
        healthy, report = health_report(self.name, self.store.engine, self.config["AMQP_URI"],
                                        self.consumed_queues, process=self.name)
        return json_response(report, 200 if healthy else 503)

    @http("GET", "/health")
    def health(self, request):
        """The same as ``/health/ready`` (what compose's healthcheck and older probes ask)."""
        return self.health_ready(request)

    @http("GET", "/metrics")
    def metrics(self, request):
        return Response(metrics.render(), mimetype=metrics.CONTENT_TYPE_LATEST)

    @rpc
    def read_event_log(self, after=0, limit=500):
        with self.store.session() as session:
            return outbox.read_event_log(session, self.store.metadata.tables["outbox"],
                                         after, limit)
