"""The inbox on SQLite and PostgreSQL: an event's effect and its inbox row commit together,
a redelivery is skipped and counted, a failed effect leaves no row (so its retry applies)."""
import pytest
from sqlalchemy import Column, Integer, Table, insert, select

from common import inbox, metrics
from common.db import make_metadata
from common.testing import LocalStore
from common.tests.test_delivery import volunteer_registered

metadata = make_metadata()
seen = Table("seen", metadata, Column("volunteer_id", Integer, nullable=False))


@pytest.fixture
def store(make_db_uri, db_backend):
    local = LocalStore(metadata, "volunteers", make_db_uri("inbox_unit", db_backend))
    yield local
    local.dispose()


def record(uow, envelope):
    if envelope["payload"]["compound"] == "poison":
        raise RuntimeError("cannot apply this")
    uow.session.execute(insert(seen).values(volunteer_id=envelope["payload"]["volunteer_id"]))


def counted(metric):
    return metric.labels("inbox-test", "volunteer_registered")._value.get()


def test_an_event_is_applied_once_and_its_redelivery_counted(store):
    consumed, duplicates = counted(metrics.EVENTS_CONSUMED), counted(metrics.EVENTS_DUPLICATE)
    env = volunteer_registered(1)
    assert inbox.consume_once(store, env, record, "inbox-test") is True
    assert inbox.consume_once(store, env, record, "inbox-test") is False
    with store.session() as session:
        assert session.execute(select(seen.c.volunteer_id)).scalars().all() == [1]
    assert store.count(metadata.tables["inbox"]) == 1
    assert counted(metrics.EVENTS_CONSUMED) - consumed == 1
    assert counted(metrics.EVENTS_DUPLICATE) - duplicates == 1


def test_a_batch_skips_ids_seen_before_and_repeated_within_it(store):
    first, second = volunteer_registered(1), volunteer_registered(2)
    inbox.consume_once(store, first, record, "inbox-test")
    batches = []

    def record_all(uow, fresh):
        batches.append([env["payload"]["volunteer_id"] for env in fresh])
        for env in fresh:
            record(uow, env)

    assert inbox.consume(store, [first, second, second], record_all, "inbox-test") == \
        [False, True, False]
    assert batches == [[2]]
    assert inbox.consume(store, [first, second], record_all, "inbox-test") == [False, False]
    assert batches == [[2]]  # nothing new: apply is not called
    assert store.count(metadata.tables["inbox"]) == 2


def test_a_failed_effect_leaves_no_inbox_row(store):
    env = volunteer_registered(1, "poison")
    with pytest.raises(RuntimeError):
        inbox.consume_once(store, env, record, "inbox-test")
    assert store.count(metadata.tables["inbox"]) == 0
    env["payload"]["compound"] = "gangwu_xiaoqu"  # the retry finds it applicable
    assert inbox.consume_once(store, env, record, "inbox-test") is True
