"""Reliability: a known stream of domain facts goes through the real broker while a fault
strikes; afterwards the reports figure and the inbox equal the test's own count —
nothing lost, nothing counted twice."""
import threading
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from common import bus, outbox
from common.db import make_engine
from services.reports.models import metadata as reports_metadata
from services.volunteers.models import metadata as volunteers_metadata
from tests.chaos.conftest import queue_drained
from tests.fixtures import wait_until

pytestmark = pytest.mark.slow


class FactStream:
    """Commits ``volunteer_registered`` facts to the volunteers service's outbox in small
    transactions, as the service itself would, from a background thread."""

    def __init__(self, db_uri, total, batch=50, pause=0.01):
        self.engine = make_engine(db_uri)
        self.total, self.batch, self.pause = total, batch, pause
        self.written = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _run(self):
        info = {"outbox_table": volunteers_metadata.tables["outbox"]}
        while self.written < self.total:
            with Session(self.engine, info=info) as session:
                for _ in range(min(self.batch, self.total - self.written)):
                    self.written += 1
                    outbox.record(session, "volunteers", "hetong", "volunteer_registered", {
                        "volunteer_id": self.written, "volunteer_number": f"V{self.written:06d}",
                        "compound": "banshan_linhai", "skills": ["care"], "talent": False,
                        "registered_at": "2026-11-28T09:30:00Z"})
                session.commit()
            time.sleep(self.pause)

    def join(self):
        self.thread.join(timeout=120)
        assert self.written == self.total


def count(db_uri, metadata, table_name, where=None):
    engine = make_engine(db_uri)
    table = metadata.tables[table_name]
    query = select(func.count()).select_from(table)
    if where is not None:
        query = query.where(where(table))
    with engine.connect() as conn:
        n = conn.execute(query).scalar_one()
    engine.dispose()
    return n


def registered_figure(db_uri):
    engine = make_engine(db_uri)
    table = reports_metadata.tables["figures"]
    with engine.connect() as conn:
        n = conn.execute(select(func.coalesce(func.sum(table.c.value), 0)).where(
            table.c.name == "volunteers_registered", table.c.dimension == "all")).scalar_one()
    engine.dispose()
    return n


def with_pipeline_schemas(stack):
    """volunteers (publisher) and reports (consumer) databases with their schemas."""
    for process in ("volunteers", "reports"):
        stack.config_for(process)
        stack.create_schema(process)
    return stack


@pytest.fixture
def pipeline(stack):
    return with_pipeline_schemas(stack)


@pytest.fixture
def private_pipeline(private_stack):
    return with_pipeline_schemas(private_stack)


def unsent(stack):
    return count(stack.db_uris["volunteers"], volunteers_metadata, "outbox",
                 lambda t: t.c.sent_at.is_(None))


def assert_exactly_once(stack, total, timeout=90):
    reports_db = stack.db_uris["reports"]
    wait_until(lambda: registered_figure(reports_db) >= total, timeout=timeout, interval=0.5,
               message=f"reports to count {total} facts")
    # Nothing left in flight: every fact confirmed by the broker (so in reports' queue),
    # then that queue empty with nothing unacked (every copy handled and committed).
    wait_until(lambda: unsent(stack) == 0, timeout=30, interval=0.5,
               message="the relay to have every fact confirmed")
    wait_until(lambda: queue_drained(stack.rabbit_config["AMQP_URI"], bus.queue_name("reports"),
                                     getattr(stack, "broker", None)),
               timeout=30, interval=0.5, message="reports' queue to be drained")
    assert registered_figure(reports_db) == total
    assert count(reports_db, reports_metadata, "inbox") == total


def test_rabbitmq_restarted_in_the_middle_of_5000_facts(private_pipeline):
    """The test's own broker node (stop_app, start_app) under the relay and the consumer."""
    stack = private_pipeline
    stack.start("volunteers", "reports")
    stream = FactStream(stack.db_uris["volunteers"], 5000).start()
    wait_until(lambda: registered_figure(stack.db_uris["reports"]) > 500, timeout=60,
               message="the stream to be flowing")
    stack.broker.stop_app()
    stack.broker.start_app()
    stream.join()
    assert_exactly_once(stack, 5000, timeout=120)


def test_consumer_killed_mid_batch_and_started_again(pipeline, service_process):
    stack = pipeline
    stack.start("volunteers")
    env = {"AMQP_URI": stack.rabbit_config["AMQP_URI"],
           "REPORTS_DB_URI": stack.db_uris["reports"], "SAMPLE_DATA": "false"}
    reports = service_process("reports", env).start()
    stream = FactStream(stack.db_uris["volunteers"], 1000).start()
    wait_until(lambda: registered_figure(stack.db_uris["reports"]) > 150, timeout=60,
               message="reports to be consuming")
    reports.kill()
    stream.join()
    reports.start()
    assert_exactly_once(stack, 1000)


def test_reports_started_only_after_the_facts_were_published(pipeline):
    stack = pipeline
    stack.start("volunteers")
    FactStream(stack.db_uris["volunteers"], 1000, batch=200, pause=0).start().join()
    wait_until(lambda: count(stack.db_uris["volunteers"], volunteers_metadata, "outbox",
                             lambda t: t.c.sent_at.is_(None)) == 0, timeout=60,
               message="the relay to publish everything")
    stack.start("reports")
    assert_exactly_once(stack, 1000)


def test_publisher_killed_before_confirm_resends_without_double_counting(pipeline,
                                                                         service_process):
    """A relay that dies between publishing and marking rows sent re-sends them on
    restart; the inbox absorbs the repeats."""
    stack = pipeline
    stack.start("reports")
    env = {"AMQP_URI": stack.rabbit_config["AMQP_URI"],
           "VOLUNTEERS_DB_URI": stack.db_uris["volunteers"], "SAMPLE_DATA": "false"}
    volunteers = service_process("volunteers", env).start()
    stream = FactStream(stack.db_uris["volunteers"], 1000).start()
    wait_until(lambda: registered_figure(stack.db_uris["reports"]) > 150, timeout=60)
    volunteers.kill()
    stream.join()
    volunteers.start()
    assert_exactly_once(stack, 1000)
