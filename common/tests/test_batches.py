"""Batched consumption: many facts per transaction, still exactly once, a poison message
still isolated and dead-lettered."""
from common import bus
from common.bus import handle_event_batches
from common.db import Store, make_engine, make_metadata
from common.inbox import consume_batch
from common.tests.test_delivery import publish_raw, queue_depth, volunteer_registered
from tests.fixtures import wait_until

metadata = make_metadata()


class BatchingReports:
    name = "reports"
    store = Store(metadata)
    applied = []
    batch_sizes = []

    @handle_event_batches(max_batch=50, max_wait=0.05)
    def apply_events(self, envelopes):
        BatchingReports.batch_sizes.append(len(envelopes))
        consume_batch(self.store, envelopes, self._apply, self.name)

    def _apply(self, uow, envelope):
        if envelope["payload"]["compound"] == "poison":
            raise RuntimeError("cannot project this")
        BatchingReports.applied.append(envelope["payload"]["volunteer_id"])


def start(rabbit_config, container_factory, tmp_path):
    BatchingReports.applied, BatchingReports.batch_sizes = [], []
    uri = f"sqlite:///{tmp_path}/batch.db"
    metadata.create_all(make_engine(uri))
    container = container_factory(BatchingReports, dict(rabbit_config, DB_URI=uri))
    container.start()
    return rabbit_config["AMQP_URI"]


def test_facts_are_applied_in_batches_exactly_once(rabbit_config, container_factory, tmp_path):
    amqp_uri = start(rabbit_config, container_factory, tmp_path)
    envelopes = [volunteer_registered(i) for i in range(1, 301)]
    for env in envelopes + envelopes[:40]:  # the first 40 delivered twice
        publish_raw(amqp_uri, env)
    wait_until(lambda: len(BatchingReports.applied) >= 300, message="all applied")
    wait_until(lambda: queue_depth(amqp_uri, bus.queue_name("reports")) == 0)
    assert sorted(BatchingReports.applied) == list(range(1, 301))
    assert max(BatchingReports.batch_sizes) > 1


def test_poison_in_a_batch_is_dead_lettered_and_its_batch_mates_commit(
        rabbit_config, container_factory, tmp_path):
    amqp_uri = start(rabbit_config, container_factory, tmp_path)
    for i in range(1, 21):
        publish_raw(amqp_uri, volunteer_registered(i, "poison" if i == 7 else "gangwu_xiaoqu"))
    wait_until(lambda: queue_depth(amqp_uri, bus.dead_letter_queue_name("reports")) == 1,
               message="the poison message in the DLQ")
    wait_until(lambda: sorted(set(BatchingReports.applied)) ==
               [i for i in range(1, 21) if i != 7], message="its batch mates")
