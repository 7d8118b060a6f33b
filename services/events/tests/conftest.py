"""A real SQLite database for the domain's unit tests (no broker)."""
import types

import pytest
from sqlalchemy.orm import sessionmaker

from common.db import StoreAccess, make_engine
from common.pii import Pii
from services.events.models import metadata
from services.events.tests.helpers import FakeResources


BOTH_BACKENDS = pytest.mark.parametrize(
    "db", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)


@pytest.fixture
def db(request, make_db_uri):
    """The unit of work and sessions of the service: SQLite, or what the test asks for
    with ``@BOTH_BACKENDS`` (SQLite and PostgreSQL)."""
    backend = getattr(request, "param", "sqlite")
    engine = make_engine(make_db_uri("events_unit", backend))
    metadata.create_all(engine)
    maker = sessionmaker(bind=engine, expire_on_commit=False,
                         info={"outbox_table": metadata.tables["outbox"]})
    provider = types.SimpleNamespace(sessionmaker=maker, source="events", community_id="hetong",
                                     after_commit_hooks=[], engine=engine, metadata=metadata)
    yield StoreAccess(provider)
    engine.dispose()


@pytest.fixture
def crypto():
    return Pii("test-pii-key", "test-hash-key")


@pytest.fixture
def resources():
    return FakeResources()
