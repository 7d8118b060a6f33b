"""Fixtures of the volunteers tests: a real SQLite database with a unit of work like the
service's (outbox rows written in the same transaction), and the PII crypto."""
import json
from contextlib import contextmanager

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from common.db import UnitOfWork, make_engine
from common.pii import Pii
from services.volunteers.models import metadata


class Db:
    def __init__(self, uri):
        self.engine = make_engine(uri)
        metadata.create_all(self.engine)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False,
                                         info={"outbox_table": metadata.tables["outbox"]})

    @contextmanager
    def session(self):
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def uow(self):
        with self.session() as session:
            yield UnitOfWork(session, "volunteers", "hetong")

    def events(self, event_type=None):
        table = metadata.tables["outbox"]
        with self.session() as session:
            rows = session.execute(select(table.c.envelope).order_by(table.c.seq)).scalars()
            envelopes = [json.loads(r) for r in rows]
        return [e for e in envelopes if event_type is None or e["event_type"] == event_type]

    def count(self, model):
        from sqlalchemy import func

        with self.session() as session:
            return session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def db(tmp_path):
    db = Db(f"sqlite:///{tmp_path}/volunteers-unit.db")
    yield db
    db.engine.dispose()


@pytest.fixture
def crypto():
    return Pii("unit-test-key", "unit-test-hash-key")
