"""Batched consumption through the real broker: many facts per transaction, still exactly
once; a poison message retried and dead-lettered alone while its batch mates commit; a
database outage sends the whole batch back after one pause."""
import json
import time

from kombu import Connection
from sqlalchemy import func, select

from common import bus, inbox, metrics
from common.bus import handle_event_batches
from common.db import Store, make_engine, make_metadata
from common.errors import ServiceUnavailable
from common.tests.test_delivery import publish_raw, queue_depth, volunteer_registered
from tests.fixtures import wait_until

metadata = make_metadata()


class BatchingReports:
    name = "reports"
    store = Store(metadata)
    applied = []
    batches = []  # (monotonic time, size) of each call
    database_down_for = 0  # calls that find the database unavailable

    @handle_event_batches(max_batch=50, max_wait=0.05)
    def apply_events(self, envelopes):
        BatchingReports.batches.append((time.monotonic(), len(envelopes)))
        if BatchingReports.database_down_for:
            BatchingReports.database_down_for -= 1
            raise ServiceUnavailable("reports's database is unavailable", {})
        inbox.consume(self.store, envelopes, self._apply, self.name)

    def _apply(self, uow, envelopes):
        for envelope in envelopes:
            if envelope["payload"]["compound"] == "poison":
                raise RuntimeError("cannot project this")
        BatchingReports.applied.extend(env["payload"]["volunteer_id"] for env in envelopes)


def start(rabbit_config, container_factory, tmp_path, database_down_for=0):
    BatchingReports.applied, BatchingReports.batches = [], []
    BatchingReports.database_down_for = database_down_for
    uri = f"sqlite:///{tmp_path}/batch.db"
    engine = make_engine(uri)
    metadata.create_all(engine)
    container = container_factory(BatchingReports, dict(rabbit_config, DB_URI=uri))
    container.start()
    return rabbit_config["AMQP_URI"], engine


def inbox_count(engine):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(metadata.tables["inbox"])).scalar()


def counter(metric, event_type="volunteer_registered"):
    return metric.labels("reports", event_type)._value.get()


def test_facts_are_applied_in_batches_exactly_once(rabbit_config, container_factory, tmp_path):
    amqp_uri, engine = start(rabbit_config, container_factory, tmp_path)
    consumed, duplicates = counter(metrics.EVENTS_CONSUMED), counter(metrics.EVENTS_DUPLICATE)
    envelopes = [volunteer_registered(i) for i in range(1, 301)]
    for env in envelopes + envelopes[:40]:  # the first 40 delivered twice
        publish_raw(amqp_uri, env)
    # Every delivery is counted once it is committed: 300 applied, 40 skipped.
    wait_until(lambda: counter(metrics.EVENTS_CONSUMED) - consumed == 300 and
               counter(metrics.EVENTS_DUPLICATE) - duplicates == 40,
               message="300 facts applied and 40 redeliveries skipped")
    assert sorted(BatchingReports.applied) == list(range(1, 301))
    assert inbox_count(engine) == 300
    assert queue_depth(amqp_uri, bus.queue_name("reports")) == 0
    assert max(size for _t, size in BatchingReports.batches) > 1


def test_poison_in_a_batch_is_retried_and_dead_lettered_alone_and_its_batch_mates_commit(
        rabbit_config, container_factory, tmp_path):
    dead, retried = counter(metrics.EVENTS_DEAD_LETTERED), counter(metrics.EVENTS_RETRIED)
    consumed = counter(metrics.EVENTS_CONSUMED)
    amqp_uri, engine = start(rabbit_config, container_factory, tmp_path)
    for i in range(1, 21):
        publish_raw(amqp_uri, volunteer_registered(i, "poison" if i == 7 else "gangwu_xiaoqu"))
    wait_until(lambda: queue_depth(amqp_uri, bus.dead_letter_queue_name("reports")) == 1,
               message="the poison message in the DLQ")
    # Dead-lettering is the poison's last step (the DLQ holds its only copy): by then its
    # 19 batch mates are committed once each, and nothing else failed.
    wait_until(lambda: counter(metrics.EVENTS_CONSUMED) - consumed == 19,
               message="its batch mates committed")
    assert sorted(BatchingReports.applied) == [i for i in range(1, 21) if i != 7]
    assert inbox_count(engine) == 19
    assert counter(metrics.EVENTS_RETRIED) - retried == bus.MAX_ATTEMPTS - 1
    # The counter moves just after the DLQ publish: wait for it rather than race it.
    wait_until(lambda: counter(metrics.EVENTS_DEAD_LETTERED) - dead == 1,
               message="the poison counted as dead-lettered once")
    assert queue_depth(amqp_uri, bus.queue_name("reports")) == 0
    with Connection(amqp_uri) as conn:
        message = conn.SimpleQueue(bus.dead_letter_queue("reports")).get(timeout=2)
        assert json.loads(message.body)["payload"]["volunteer_id"] == 7
        assert message.headers[bus.ATTEMPTS_HEADER] == bus.MAX_ATTEMPTS
        assert "cannot project this" in message.headers["x-ronghe-error"]
        message.ack()


def test_database_outage_requeues_the_whole_batch_after_one_pause(
        rabbit_config, container_factory, tmp_path):
    retried = counter(metrics.EVENTS_RETRIED)
    amqp_uri = rabbit_config["AMQP_URI"]
    bus.declare_topology(amqp_uri)
    for i in range(1, 51):  # waiting in the queue: the consumer takes them as one batch
        publish_raw(amqp_uri, volunteer_registered(i))
    consumed = counter(metrics.EVENTS_CONSUMED)
    _amqp, engine = start(rabbit_config, container_factory, tmp_path, database_down_for=1)
    wait_until(lambda: counter(metrics.EVENTS_CONSUMED) - consumed == 50,
               timeout=bus.TRANSIENT_RETRY_SECONDS + 10, message="the batch applied")
    (failed_at, first), (retried_at, second) = BatchingReports.batches
    # All fifty came back together after one pause, not one message per pause.
    assert (first, second) == (50, 50)
    assert retried_at - failed_at >= bus.TRANSIENT_RETRY_SECONDS
    assert sorted(BatchingReports.applied) == list(range(1, 51))
    assert inbox_count(engine) == 50
    # An outage is not the messages' fault: no attempt used, nothing dead-lettered.
    assert counter(metrics.EVENTS_RETRIED) == retried
    assert queue_depth(amqp_uri, bus.dead_letter_queue_name("reports")) == 0
