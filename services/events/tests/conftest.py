"""A real SQLite database for the domain's unit tests (no broker)."""
import types

import pytest
from sqlalchemy.orm import sessionmaker

from common.db import StoreAccess, make_engine
from common.pii import Pii
from services.events.models import metadata
from services.events.tests.helpers import FakeResources


@pytest.fixture
def db(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/events.db")
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
