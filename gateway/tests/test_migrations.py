"""The gateway's database holds only its own tables; a migration removed the
kernel tables it never used and its downgrade brings them back as they were."""
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from common import migrate
from common.db import make_engine, make_metadata
from gateway.models import metadata

KERNEL = {"outbox", "inbox", "kernel_state"}
INITIAL = "54b58d51faa1"  # the revision before the kernel tables were dropped
LATER_COLUMNS = {"token_version"}


def tables(uri):
    engine = make_engine(uri)
    names = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    return names


def differences(uri, expected):
    engine = make_engine(uri)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}),
                                expected)
    engine.dispose()
    return diff


def test_gateway_has_no_kernel_tables_and_the_downgrade_restores_them(db_backend, make_db_uri):
    uri = make_db_uri("mig_gateway_kernel", db_backend)
    config = migrate.alembic_config("gateway", uri)
    command.upgrade(config, "head")
    assert tables(uri) == {"users", "audit_log"} == set(metadata.tables)

    command.downgrade(config, INITIAL)
    assert tables(uri) == {"users", "audit_log"} | KERNEL
    before = make_metadata()  # the gateway's tables beside the kernel's, as they were
    # (the kernel's idempotency keys came later: the gateway never had them)
    before.remove(before.tables["idempotency_keys"])
    for table in metadata.tables.values():
        table.to_metadata(before)
    # Columns added since are all that differs.
    assert [d for d in differences(uri, before)
            if not (d[0] == "add_column" and d[3].name in LATER_COLUMNS)] == []

    command.upgrade(config, "head")
    assert tables(uri) == {"users", "audit_log"}
