"""Storage: SQLAlchemy 2 engines (SQLite with WAL by default, PostgreSQL through
psycopg2 made cooperative by psycogreen) and the ``Store`` dependency that gives each
nameko worker a session and a unit of work whose domain events commit with its changes.
"""
import threading
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from nameko.extensions import DependencyProvider
from sqlalchemy import (Column, MetaData, String, Table, Text, create_engine, event, func,
                        select, text)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from common.config import ROOT
from common.errors import ServiceUnavailable

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_psycopg_patched = threading.Event()


def make_metadata(kernel=True):
    """Each service's MetaData, holding the kernel tables (outbox, inbox,
    idempotency_keys, kernel_state) too; ``kernel=False`` for a process that neither
    emits nor consumes facts (the gateway)."""
    from common import idempotency, inbox, outbox

    metadata = MetaData(naming_convention=NAMING)
    if not kernel:
        return metadata
    outbox.define_table(metadata)
    inbox.define_table(metadata)
    idempotency.define_table(metadata)
    Table("kernel_state", metadata,
          Column("key", String(64), primary_key=True),
          Column("value", Text, nullable=False))
    return metadata


def make_engine(uri, write_lock_at_begin=True, **kwargs):
    """``write_lock_at_begin=False`` is for readers outside the service (benchmarks,
    operators' scripts): on SQLite they must not take the write lock the service needs."""
    url = make_url(uri)
    if url.get_backend_name() == "sqlite":
        database = url.database
        if database and database != ":memory:" and not Path(database).is_absolute():
            # Relative paths are relative to the project, not to wherever we were started.
            database = str(ROOT / database)
            url = url.set(database=database)
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # Let SQLAlchemy, not pysqlite, decide when transactions begin.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # Take the write lock at BEGIN: two processes never interleave a
            # read-then-write, which is what keeps bookings and sign-ups race-free.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write_lock_at_begin else "BEGIN")

        return engine

    if url.get_backend_name() == "postgresql":
        patch_psycopg_for_eventlet()
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_timeout", 5)
    return create_engine(url, **kwargs)


def patch_psycopg_for_eventlet():
    """psycopg2 blocks the whole eventlet hub unless told to yield while waiting."""
    if _psycopg_patched.is_set():
        return
    try:
        import eventlet.patcher

        if not eventlet.patcher.is_monkey_patched("socket"):
            return
    except ImportError:
        return
    from psycogreen.eventlet import patch_psycopg

    patch_psycopg()
    _psycopg_patched.set()


def paginate(session, statement, page, per_page, render, scalars=True):
    """One page of a listing: ``{"items", "total", "page", "per_page"}``. ``statement``
    is the filtered, ordered select; ``render`` turns a row (an ORM object when
    ``scalars``) into its answer."""
    total = session.execute(
        select(func.count()).select_from(statement.order_by(None).subquery())).scalar_one()
    result = session.execute(statement.limit(per_page).offset((page - 1) * per_page))
    rows = result.scalars().all() if scalars else result.all()
    return {"items": [render(row) for row in rows], "total": total, "page": page,
            "per_page": per_page}


class UnitOfWork:
    """One transaction: ``session`` for the domain's changes, ``emit`` for its facts.
    Both commit together or not at all (delivery rule 1)."""

    def __init__(self, session, source, community_id):
        self.session = session
        self.source = source
        self.community_id = community_id
        self.emitted = 0

    def emit(self, event_type, payload, occurred_at=None):
        from common import outbox

        outbox.record(self.session, self.source, self.community_id, event_type, payload,
                      occurred_at=occurred_at)
        self.emitted += 1


class Store(DependencyProvider):
    """Database access for a service's workers.

    ``self.store.session()`` — a context manager for reads (and writes with no events);
    ``self.store.unit_of_work()`` — a transaction whose ``emit`` writes outbox rows.
    """

    def __init__(self, metadata):
        self.metadata = metadata
        self.engine = None
        self.sessionmaker = None
        self.after_commit_hooks = []
        # How long a write's idempotency key and answer are kept (common/idempotency.py).
        self.idempotency_retention = timedelta(hours=24)

    def setup(self):
        config = self.container.config
        self.engine = make_engine(config["DB_URI"])
        self.sessionmaker = sessionmaker(
            bind=self.engine, expire_on_commit=False,
            info={"outbox_table": self.metadata.tables.get("outbox")})
        self.source = self.container.service_name
        self.community_id = config.get("COMMUNITY_ID", "hetong")
        self.idempotency_retention = timedelta(hours=float(config.get(
            "IDEMPOTENCY_RETENTION_HOURS", self.idempotency_retention.total_seconds() / 3600)))

    def stop(self):
        if self.engine is not None:
            self.engine.dispose()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return StoreAccess(self, worker_ctx)

    def on_commit(self, hook):
        """Called with the number of events emitted after each committed unit of work
        (the outbox relay uses it to publish at once instead of at its next poll)."""
        self.after_commit_hooks.append(hook)


def store_of(container, attr="store"):
    """The container's ``Store`` provider, for extensions that work beside the workers
    (the relay, sample data, bootstrap, the projection pipeline)."""
    for dep in container.dependencies:
        if dep.attr_name == attr and isinstance(dep, Store):
            return dep
    raise RuntimeError(f"{container.service_name} has no Store dependency named {attr!r}")


class StoreAccess:
    def __init__(self, provider, worker_ctx=None):
        self._provider = provider
        self._worker_ctx = worker_ctx
        # The caller's idempotency key while an @idempotent entrypoint runs: the first
        # unit of work records it with its write (common/idempotency.py).
        self.keyed_request = None

    @property
    def context_data(self):
        """What the caller sent with this call (the worker's own dict: nameko's
        ``context_data`` property is a copy)."""
        return self._worker_ctx.data if self._worker_ctx is not None else {}

    @property
    def idempotency_retention(self):
        return self._provider.idempotency_retention

    @property
    def engine(self):
        return self._provider.engine

    @property
    def metadata(self):
        return self._provider.metadata

    @contextmanager
    def session(self):
        session = self._provider.sessionmaker()
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            _quiet_rollback(session)
            # The database is down or unreachable: the caller gets 503, not a 500, and
            # the transaction left nothing behind.
            raise ServiceUnavailable("database_unavailable",
                                     {"service": self._provider.source,
                                      "reason": type(exc.orig).__name__},
                                     source=self._provider.source) from None
        except BaseException:
            _quiet_rollback(session)
            raise
        finally:
            session.close()

    @contextmanager
    def unit_of_work(self):
        provider = self._provider
        with self.session() as session:
            if self.keyed_request is not None:
                self.keyed_request.claim(session)
            uow = UnitOfWork(session, provider.source, provider.community_id)
            yield uow
        if uow.emitted:
            for hook in provider.after_commit_hooks:
                hook(uow.emitted)


def _quiet_rollback(session):
    try:
        session.rollback()
    except Exception:  # noqa: BLE001 - the connection may already be gone
        pass


def ping(engine):
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
