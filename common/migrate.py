"""Alembic, one migration history per service, run as a step (``python -m common.cli
migrate``), never at import. Each service's ``migrations/env.py`` calls ``run_env``."""
import functools
import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig

from common.config import ROOT, load_config
from common.db import make_engine


def alembic_config(process, db_uri):
    cfg = AlembicConfig()
    package = "gateway" if process == "gateway" else f"services.{process}"
    cfg.set_main_option("script_location", str(ROOT / Path(*package.split(".")) / "migrations"))
    cfg.set_main_option("sqlalchemy.url", db_uri.replace("%", "%%"))
    cfg.attributes["process"] = process
    return cfg


def create_kernel_tables(op):
    """The kernel's tables (outbox, inbox, kernel_state: ``common.db.make_metadata``) as
    each process's first migration creates them, so that their shape is written once."""
    import sqlalchemy as sa

    op.create_table(
        "inbox",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_inbox")))
    op.create_table(
        "kernel_state",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_kernel_state")))
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_pending", ["sent_at", "seq"], unique=False)


def drop_kernel_tables(op):
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")
    op.drop_table("outbox")
    op.drop_table("kernel_state")
    op.drop_table("inbox")


def create_idempotency_table(op):
    """The kernel's table of idempotency keys (``common/idempotency.py``), as the
    migration of each service that takes writes creates it."""
    import sqlalchemy as sa

    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("entrypoint", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_idempotency_keys")))
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index("ix_idempotency_keys_created_at", ["created_at"], unique=False)


def drop_idempotency_table(op):
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_idempotency_keys_created_at")
    op.drop_table("idempotency_keys")


def upgrade(process, db_uri=None, revision="head"):
    db_uri = db_uri or load_config(process)["DB_URI"]
    command.upgrade(alembic_config(process, db_uri), revision)


@functools.lru_cache(maxsize=None)
def _script(process):
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(process, "sqlite://"))


def expected_head(process):
    """The revision this code's migrations end at (one head per process)."""
    return _script(process).get_current_head()


def current_revision(engine):
    """The revision the database was migrated to (None: never migrated). Read from
    Alembic's table directly: readiness asks every few seconds, and a migration context
    would log its set-up each time."""
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return versions[0] if versions else None  # one head per process


def stamp_head(process, engine):
    """Record the head revision in a database whose tables were created from the models
    (tests): what ``migrate`` would have left."""
    from alembic.runtime.migration import MigrationContext

    with engine.begin() as conn:
        MigrationContext.configure(conn).stamp(_script(process), "head")


def schema_state(process, engine):
    """``(ready, detail)``: whether the database of ``process`` is at the revision its
    code expects. A database behind the code (or never migrated) is not ready, and the
    detail names both revisions and the command that fixes it. A database at a revision
    this code does not know is newer than the code (a rolling upgrade migrated it before
    this pod was replaced): ready, since migrations only add what old code ignores."""
    head = expected_head(process)
    current = current_revision(engine)
    if current == head:
        return True, "ok"
    script = _script(process)
    try:
        known = current is None or script.get_revision(current) is not None
    except Exception:  # noqa: BLE001 - alembic raises for an id it has never seen
        known = False
    if not known:
        return True, f"ok (at {current}, newer than this code's {head})"
    return False, (f"at {current or 'no revision (never migrated)'}, this code expects "
                   f"{head}: run `python -m common.cli migrate {process}`")


def models_metadata(process):
    package = "gateway" if process == "gateway" else f"services.{process}"
    return importlib.import_module(f"{package}.models").metadata


def run_env(context):
    """Body of every service's migrations/env.py."""
    cfg = context.config
    metadata = models_metadata(cfg.attributes.get("process") or cfg.get_main_option("process"))
    engine = make_engine(cfg.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=connection.dialect.name == "sqlite",
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def autogenerate(process, message):
    """Write a new migration for ``process`` from the difference between its models and
    a scratch SQLite database migrated to head (``python -m common.migrate <process> msg``)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        uri = f"sqlite:///{tmp}/scratch.db"
        cfg = alembic_config(process, uri)
        command.upgrade(cfg, "head")
        command.revision(cfg, message=message, autogenerate=True)


def pending_changes(process, db_uri):
    """Differences between the models and a database migrated to head (empty = in sync)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    command.upgrade(alembic_config(process, db_uri), "head")
    engine = make_engine(db_uri)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}),
                                models_metadata(process))
    engine.dispose()
    return diff


if __name__ == "__main__":
    import sys

    autogenerate(sys.argv[1], " ".join(sys.argv[2:]) or "change")
