"""A real SQLite database (WAL, BEGIN IMMEDIATE, as in production) and the kernel's
unit of work, without a broker: what the unit tests of domain.py run on."""
import json
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from common.db import Store, StoreAccess, make_engine
from common.pii import Pii
from services.resources.models import metadata


class LocalStore:
    def __init__(self, uri):
        provider = Store(metadata)
        provider.engine = make_engine(uri)
        provider.sessionmaker = sessionmaker(
            bind=provider.engine, expire_on_commit=False,
            info={"outbox_table": metadata.tables["outbox"]})
        provider.source = "resources"
        provider.community_id = "hetong"
        metadata.create_all(provider.engine)
        self.provider = provider
        self.access = StoreAccess(provider)

    def uow(self):
        return self.access.unit_of_work()

    def session(self):
        return self.access.session()

    def events(self, event_type=None):
        table = metadata.tables["outbox"]
        with self.session() as session:
            rows = session.execute(select(table.c.envelope).order_by(table.c.seq)).scalars().all()
        envelopes = [json.loads(row) for row in rows]
        if event_type:
            envelopes = [e for e in envelopes if e["event_type"] == event_type]
        return envelopes

    def dispose(self):
        self.provider.engine.dispose()


def crypto():
    return Pii("test-pii-key", "test-pii-hash-key")


def next_weekday(weekday, weeks_ahead=2):
    """A date ``weeks_ahead`` weeks from now falling on ``weekday`` (0 = Monday)."""
    day = date.today() + timedelta(weeks=weeks_ahead)
    return day + timedelta(days=(weekday - day.weekday()) % 7)
