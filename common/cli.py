"""One command line for every process, used alike by ``make run``, the image, compose
and Kubernetes:

    python -m common.cli serve <resources|volunteers|events|reports|gateway>
    python -m common.cli migrate [<process>|all]
    python -m common.cli run          # migrate, then supervise all five (make run)
    python -m common.cli asyncapi     # regenerate docs/asyncapi.yaml
    python -m common.cli migrate-queues  # classic queues of an older version -> quorum
    python -m common.cli rotate-pii [<process>|all]  # re-encrypt under PII_KEY's first key
"""
import argparse
import importlib
import logging
import os
import signal
import subprocess
import sys
import time

from common.config import PROCESSES, ROOT, load_config
from common.logs import setup_logging

log = logging.getLogger("ronghe")

SERVICE_CLASSES = {
    "resources": "services.resources.service:ResourcesService",
    "volunteers": "services.volunteers.service:VolunteersService",
    "events": "services.events.service:EventsService",
    "reports": "services.reports.service:ReportsService",
    "gateway": "gateway.service:GatewayService",
}


def service_class(process):
    module, _, name = SERVICE_CLASSES[process].partition(":")
    return getattr(importlib.import_module(module), name)


# The exit status of a process whose service container died (a broker outage under
# load, an extension that crashed): not 0, so the supervisor, compose and Kubernetes
# start it again. A container that cannot serve must not keep its process alive.
EXIT_CONTAINER_DIED = 3


def serve(process):
    """Run one nameko service until SIGINT or SIGTERM, stopping gracefully and fast;
    if the service's container dies on its own, exit with ``EXIT_CONTAINER_DIED``."""
    import eventlet

    eventlet.monkey_patch()  # before nameko, kombu or a database driver is imported

    config = load_config(process)
    setup_logging(process, config.get("LOG_LEVEL", "INFO"))
    return run_service(service_class(process), config, process)


def run_service(cls, config, process):
    """``serve``'s loop for one service class (eventlet already patched)."""
    import eventlet
    import eventlet.event
    from nameko.runners import ServiceRunner

    runner = ServiceRunner(config)
    runner.add_service(cls)
    stopping = eventlet.event.Event()

    def on_signal(signum, _frame):
        if not stopping.ready():
            stopping.send(("signal", signum))

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def keep_hub_awake():
        # A Python signal handler only runs when the hub wakes; without a short timer
        # nameko can sit out SIGTERM for up to a minute.
        while True:
            eventlet.sleep(0.2)

    def watch_containers():
        # runner.wait() returns or raises once every container has stopped; before a
        # signal asked for it, that is a death (nameko kills a container whose worker or
        # consumer failed, e.g. a reply it could not publish while the broker was away).
        try:
            runner.wait()
            cause = "stopped"
        except Exception as exc:  # noqa: BLE001 - whatever killed it, the process ends
            cause = f"{type(exc).__name__}: {exc}"
        if not stopping.ready():
            stopping.send(("died", cause))

    eventlet.spawn(keep_hub_awake)
    runner.start()
    eventlet.spawn(watch_containers)
    log.info("%s started on %s", process, config.get("WEB_SERVER_ADDRESS"))
    reason, detail = stopping.wait()
    if reason == "died":
        log.error("%s: its service container died (%s); exiting with %s so that it is "
                  "started again", process, detail, EXIT_CONTAINER_DIED)
        with eventlet.Timeout(5, False):
            runner.kill()
        return EXIT_CONTAINER_DIED
    log.info("%s stopping (signal %s)", process, detail)
    with eventlet.Timeout(20, False):
        runner.stop()
        return 0
    log.warning("%s did not stop in 20 s; killing its workers", process)
    runner.kill()
    return 0


def migrate(target):
    from common import migrate as migrations

    setup_logging("migrate")
    for process in (PROCESSES if target == "all" else (target,)):
        migrations.upgrade(process)
        log.info("migrated %s", process)
    return 0


def rotate_pii(target, batch_size=500):
    """Re-encrypt every personal value under the first key of ``PII_KEY`` (docs/
    operations.md, "Rotate the PII key"), then say which key ids are still in use."""
    from common import pii_rotation
    from common.db import make_engine
    from common.migrate import models_metadata
    from common.pii import Pii

    setup_logging("rotate-pii")
    processes = PROCESSES if target == "all" else (target,)
    in_use = {}
    current = None
    for process in processes:
        metadata = models_metadata(process)
        if not pii_rotation.encrypted_columns(metadata):
            continue
        config = load_config(process)
        crypto = Pii.from_config(config)
        engine = make_engine(config["DB_URI"])
        try:
            count = pii_rotation.rotate(engine, metadata, crypto, batch_size,
                                        report=lambda line: log.info("%s", line),
                                        label=f"{process}.")
            census = pii_rotation.census(engine, metadata)
        except ValueError as exc:  # UnknownPiiKey and undecryptable values name the key
            log.error("%s: rotation stopped: %s", process, exc)
            return 1
        finally:
            engine.dispose()
        log.info("%s: %d values re-encrypted; values per key id: %s", process, count,
                 dict(census) or "none")
        for key_id, n in census.items():
            in_use.setdefault(key_id, 0)
            in_use[key_id] += n
        current = crypto.current_key_id
    old = sorted(k for k in in_use if k != current)
    if old:
        log.error("values still under %s: run rotate-pii again", old)
        return 1
    log.info("every personal value is under the current key: keys other than the first "
             "can now be removed from PII_KEY")
    return 0


def migrate_queues():
    """Turn the classic queues an older version declared into quorum queues, messages
    and bindings kept (docs/operations.md, Upgrade). Run with the services stopped."""
    from common import bus

    setup_logging("migrate")
    config = load_config("gateway")
    if not broker_check(config["AMQP_URI"]):
        return 1
    try:
        bus.migrate_queues(config["AMQP_URI"], report=lambda line: log.info("%s", line))
    except Exception as exc:  # noqa: BLE001 - say what stopped it; nothing was dropped
        log.error("queue migration stopped: %s (are the services stopped? a queue with "
                  "a consumer is not moved)", exc)
        return 1
    return 0


def broker_check(amqp_uri):
    from common.ops import broker_reachable

    if broker_reachable(amqp_uri, cache_seconds=0):
        return True
    from common.pii import redact

    print(f"RabbitMQ is not reachable at {redact(amqp_uri)}: start one with "
          "`rabbitmq-server -detached` (or `docker compose up -d rabbitmq`), "
          "or set AMQP_URI.", file=sys.stderr)
    return False


class RestartBackoff:
    """How long the supervisor waits before starting again a process that exited: 2, 4,
    8, 16, then 30 s while it keeps failing; one that ran for ``STABLE_SECONDS`` before
    it exited was healthy, and starts over at 2 s (a crash days after the last one is
    not the sixth of a series)."""

    LONGEST_SECONDS = 30
    STABLE_SECONDS = 60

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.failures = {}
        self.started_at = {}

    def started(self, process):
        self.started_at[process] = self.clock()

    def exited(self, process):
        """The delay (seconds) before ``process`` is started again."""
        now = self.clock()
        if now - self.started_at.get(process, now) >= self.STABLE_SECONDS:
            self.failures[process] = 0
        self.failures[process] = self.failures.get(process, 0) + 1
        return min(2 ** self.failures[process], self.LONGEST_SECONDS)


def supervise():
    """``make run``: migrate, then run the four services and the gateway as separate
    processes; a process that dies is restarted; Ctrl-C stops everything."""
    setup_logging("supervisor")
    config = load_config("gateway")
    if not broker_check(config["AMQP_URI"]):
        return 1
    if migrate("all") != 0:
        return 1
    if config["RONGHE_ADMIN_USER"] == "admin" and config["RONGHE_ADMIN_PASSWORD"] == "ronghe-admin":
        log.warning("development admin: user 'admin', password 'ronghe-admin' "
                    "(set RONGHE_ADMIN_USER / RONGHE_ADMIN_PASSWORD)")
    children = {}
    backoff = RestartBackoff()
    restart_at = {}

    def start(process):
        children[process] = subprocess.Popen(
            [sys.executable, "-m", "common.cli", "serve", process], cwd=ROOT, env=os.environ.copy())
        backoff.started(process)

    for process in PROCESSES:
        start(process)
    log.info("gateway: http://127.0.0.1:%s  (API docs at /api/docs)",
             config["WEB_SERVER_ADDRESS"].rsplit(":", 1)[1])
    stop = {"now": False}

    def on_signal(_signum, _frame):
        stop["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    while not stop["now"]:
        now = backoff.clock()
        for process, child in list(children.items()):
            if child.poll() is None:
                continue
            if process not in restart_at:
                delay = backoff.exited(process)
                log.error("%s exited with %s; restarting in %ss", process, child.returncode, delay)
                restart_at[process] = now + delay
            elif now >= restart_at[process]:
                del restart_at[process]
                start(process)
        time.sleep(0.2)
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
    deadline = time.time() + 15
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            child.kill()
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="ronghe")
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve", help="run one process")
    p_serve.add_argument("process", choices=PROCESSES)
    p_migrate = sub.add_parser("migrate", help="apply database migrations")
    p_migrate.add_argument("process", nargs="?", default="all", choices=PROCESSES + ("all",))
    sub.add_parser("run", help="migrate and run the whole stack (make run)")
    sub.add_parser("asyncapi", help="write docs/asyncapi.yaml from the registry")
    sub.add_parser("migrate-queues",
                   help="turn an older version's classic queues into quorum queues")
    p_rotate = sub.add_parser("rotate-pii",
                              help="re-encrypt personal data under the first key of PII_KEY")
    p_rotate.add_argument("process", nargs="?", default="all", choices=PROCESSES + ("all",))
    p_rotate.add_argument("--batch", type=int, default=500, help="rows per transaction")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args.process)
    if args.command == "migrate":
        return migrate(args.process)
    if args.command == "run":
        return supervise()
    if args.command == "migrate-queues":
        return migrate_queues()
    if args.command == "rotate-pii":
        return rotate_pii(args.process, args.batch)
    if args.command == "asyncapi":
        from common import asyncapi

        asyncapi.write()
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
