"""What the unit tests of every service's ``domain.py`` run on: a real database (SQLite
with WAL and BEGIN IMMEDIATE as in production, or PostgreSQL) behind the kernel's own
``Store`` — the same ``session()`` and ``unit_of_work()`` as a running service, without a
broker — and the outbox read back as envelopes."""
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from common.db import Store, StoreAccess, make_engine
from common.pii import Pii


class LocalStore(StoreAccess):
    """A service's store on ``uri``, its tables created from ``metadata``."""

    def __init__(self, metadata, source, uri, community_id="hetong"):
        provider = Store(metadata)
        provider.engine = make_engine(uri)
        provider.sessionmaker = sessionmaker(
            bind=provider.engine, expire_on_commit=False,
            info={"outbox_table": metadata.tables["outbox"]})
        provider.source = source
        provider.community_id = community_id
        metadata.create_all(provider.engine)
        super().__init__(provider)

    def uow(self):
        return self.unit_of_work()

    def events(self, event_type=None):
        """Envelopes written to the outbox, oldest first (of one type, if given)."""
        table = self.metadata.tables["outbox"]
        with self.session() as session:
            rows = session.execute(select(table.c.envelope).order_by(table.c.seq)).scalars().all()
        envelopes = [json.loads(row) for row in rows]
        return [e for e in envelopes if event_type is None or e["event_type"] == event_type]

    def raw_outbox(self):
        """Every envelope's text, for checks that no personal data was written."""
        table = self.metadata.tables["outbox"]
        with self.session() as session:
            return "\n".join(session.execute(select(table.c.envelope)).scalars().all())

    def count(self, model):
        with self.session() as session:
            return session.execute(select(func.count()).select_from(model)).scalar_one()

    def dispose(self):
        self.engine.dispose()


def make_crypto():
    """PII crypto with test keys."""
    return Pii("test-pii-key", "test-pii-hash-key")


def store_fixture(metadata, source):
    """A ``store`` fixture for a service's conftest: ``store = store_fixture(metadata,
    "events")``. SQLite unless the test is parametrized indirectly with
    ``"postgresql"`` (``@pytest.mark.parametrize("store", [...], indirect=True)``)."""

    @pytest.fixture
    def store(request, make_db_uri):
        backend = getattr(request, "param", "sqlite")
        local = LocalStore(metadata, source, make_db_uri(f"{source}_unit", backend))
        yield local
        local.dispose()

    return store
