"""DESIGN.md's delivery rules against the real RabbitMQ: outbox, inbox, queues declared
before events, bounded retries then dead-letter."""
import json

from kombu import Connection
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import func, select

from common import bus, contracts, metrics
from common.bus import handle_event
from tests.fixtures import wait_until

VOLUNTEER = {"name": "陈伯", "phone": "13900001111", "skills": ["repair"]}


def volunteer_registered(volunteer_id, compound="gangwu_xiaoqu"):
    return contracts.envelope("volunteer_registered", {
        "volunteer_id": volunteer_id, "volunteer_number": f"V{volunteer_id:06d}",
        "compound": compound, "skills": ["repair"], "talent": False,
        "registered_at": "2026-11-28T09:30:00Z"}, "volunteers", "hetong")


def publish_raw(amqp_uri, envelope, body=None):
    with Connection(amqp_uri) as conn:
        producer = conn.Producer()
        producer.publish(body if body is not None else json.dumps(envelope),
                         exchange=contracts.exchange_name(envelope["source"]),
                         routing_key=envelope["event_type"], delivery_mode=2,
                         content_type="application/json", content_encoding="utf-8",
                         declare=[bus.exchange(envelope["source"])])


def queue_depth(amqp_uri, queue_name):
    with Connection(amqp_uri) as conn:
        return conn.default_channel.queue_declare(queue_name, passive=True).message_count


def reports_figure(stack, name="volunteers_registered"):
    with stack.rpc() as rpc:
        return next(k["actual"] for k in rpc.reports.get_kpis()["kpis"] if k["kpi"] == name)


def inbox_rows(stack, process):
    engine = stack.engine(process)
    from common.migrate import models_metadata

    table = models_metadata(process).tables["inbox"]
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(table)).scalar_one()
    engine.dispose()
    return count


def test_same_event_delivered_twice_counts_once(stack):
    stack.start("reports")
    amqp_uri = stack.rabbit_config["AMQP_URI"]
    env = volunteer_registered(1)
    container = stack.containers["reports"]
    with entrypoint_waiter(container, "handle_domain_events"):
        publish_raw(amqp_uri, env)
    with entrypoint_waiter(container, "handle_domain_events"):
        publish_raw(amqp_uri, env)
    assert reports_figure(stack) == 1
    assert inbox_rows(stack, "reports") == 1


def test_event_published_before_its_consumer_started_is_consumed(stack):
    stack.start("volunteers")  # declares every queue of the registry, reports' included
    with stack.rpc() as rpc:
        rpc.volunteers.create_volunteer(VOLUNTEER)
    amqp_uri = stack.rabbit_config["AMQP_URI"]
    wait_until(lambda: queue_depth(amqp_uri, bus.queue_name("reports")) == 1,
               message="the fact to wait in reports' queue")
    stack.start("reports")
    wait_until(lambda: reports_figure(stack) == 1, message="reports to catch up")


def test_outbox_rows_are_kept_as_the_event_log(stack):
    stack.start("volunteers", "reports")
    with stack.rpc() as rpc:
        for i in range(3):
            rpc.volunteers.create_volunteer(dict(VOLUNTEER, phone=f"1390000{i:04d}"))
        wait_until(lambda: reports_figure(stack) == 3, message="three volunteers counted")
        first = rpc.volunteers.read_event_log(0, 2)
        rest = rpc.volunteers.read_event_log(first["last"], 10)
    types = [e["event_type"] for e in first["events"] + rest["events"]]
    assert types == ["volunteer_registered"] * 3
    assert [e["payload"]["volunteer_id"] for e in first["events"] + rest["events"]] == [1, 2, 3]
    assert rest["last"] == rest["events"][-1]["seq"]
    for env in first["events"]:
        assert "13900" not in json.dumps(env)  # no phone in the log


class FlakyReports:
    """Stands in for the reports service: fails on a poison payload, records the rest."""
    name = "reports"
    applied = []

    @handle_event("volunteer_registered")
    def handle_volunteer_registered(self, envelope):
        if envelope["payload"]["compound"] == "poison":
            raise RuntimeError("cannot project this")
        FlakyReports.applied.append(envelope["payload"]["volunteer_id"])


def test_handler_that_keeps_raising_is_dead_lettered_and_the_rest_flow(rabbit_config,
                                                                        container_factory):
    FlakyReports.applied = []
    amqp_uri = rabbit_config["AMQP_URI"]
    container = container_factory(FlakyReports, rabbit_config)
    container.start()
    before = metrics.EVENTS_DEAD_LETTERED.labels("reports", "volunteer_registered")._value.get()

    publish_raw(amqp_uri, volunteer_registered(1, "poison"))
    for i in range(2, 7):
        publish_raw(amqp_uri, volunteer_registered(i))

    wait_until(lambda: queue_depth(amqp_uri, bus.dead_letter_queue_name("reports")) == 1,
               message="the poison message in the DLQ")
    wait_until(lambda: sorted(FlakyReports.applied) == [2, 3, 4, 5, 6], message="the rest")
    after = metrics.EVENTS_DEAD_LETTERED.labels("reports", "volunteer_registered")._value.get()
    assert after - before == 1
    with Connection(amqp_uri) as conn:
        message = conn.SimpleQueue(bus.dead_letter_queue("reports")).get(timeout=2)
        assert message.headers[bus.ATTEMPTS_HEADER] == bus.MAX_ATTEMPTS
        assert "cannot project this" in message.headers["x-ronghe-error"]
        assert json.loads(message.body)["payload"]["compound"] == "poison"
        message.ack()


def test_unreadable_message_is_dead_lettered_at_once(rabbit_config, container_factory):
    FlakyReports.applied = []
    amqp_uri = rabbit_config["AMQP_URI"]
    container_factory(FlakyReports, rabbit_config).start()
    env = volunteer_registered(9)
    publish_raw(amqp_uri, env, body="{not json")
    publish_raw(amqp_uri, volunteer_registered(10))
    wait_until(lambda: queue_depth(amqp_uri, bus.dead_letter_queue_name("reports")) == 1)
    wait_until(lambda: FlakyReports.applied == [10])
