"""The reports service against the real broker: the scenario's envelopes published to the
sources' exchanges (as the other services' relays do), read back through the gateway and
compared with the scenario's independent count; redelivery; rebuild from event logs
(doubles of resources / volunteers / events serving ``read_event_log``); XLSX; KPI alerts."""
import io
import time

import pytest
from kombu import Connection
from kombu.pools import producers
from openpyxl import load_workbook
from sqlalchemy import func, select

from datetime import datetime, timezone

from common import bus, contracts, metrics
from common.rpc import rpc
from services.reports.tests.scenario import Scenario
from tests.fixtures import wait_until

OVERRIDES = {"REPORTS_TODAY": "2026-12-01", "KPI_CHECK_INTERVAL_SECONDS": "0",
             "SUMMARY_INTERVAL_SECONDS": "0"}


def publish(amqp_uri, envelopes):
    import json

    with producers[Connection(amqp_uri)].acquire(block=True) as producer:
        for env in envelopes:
            producer.publish(json.dumps(env, ensure_ascii=False), exchange=bus.exchange(env["source"]),
                             routing_key=env["event_type"], delivery_mode=2,
                             content_type="application/json", content_encoding="utf-8")


def inbox_count(stack):
    from services.reports.models import metadata

    engine = stack.engine("reports")
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(metadata.tables["inbox"])).scalar()
    finally:
        engine.dispose()


def counter_total(counter, service="reports"):
    return sum(s.value for m in counter.collect() for s in m.samples
               if s.name.endswith("_total") and s.labels.get("service") == service)


def event_log_double(source, envelopes):
    """A stand-in for a service outside the one under test: its event log only."""
    log = [dict(env, seq=i + 1) for i, env in enumerate(envelopes)]

    class EventLog:
        name = source

        @rpc
        def read_event_log(self, after=0, limit=500):
            page = log[int(after):int(after) + int(limit)]
            return {"events": page, "last": page[-1]["seq"] if page else int(after)}

    EventLog.__name__ = f"{source.title()}EventLog"
    return EventLog


def snapshot(client):
    summary = client.get("/reports/summary?from=2026-01&to=2026-12&group_by=month")
    assert summary.status_code == 200, summary.text
    by_plan = client.get("/reports/summary?from=2026-01-01&to=2026-12-31&group_by=plan").json()
    kpis = client.get("/reports/kpis").json()
    return {"summary": summary.json(), "plan": by_plan["groups"], "kpis": kpis["kpis"]}


def without_generation(snap):
    snap = dict(snap)
    snap["summary"] = {k: v for k, v in snap["summary"].items() if k != "generation"}
    return snap


@pytest.mark.slow
def test_scenario_through_the_broker_redelivery_rebuild_and_xlsx(stack, rabbit_config,
                                                                 container_factory):
    scenario = Scenario()
    envelopes = scenario.envelopes
    assert len(envelopes) >= 1500
    stack.start("reports", **OVERRIDES)
    stack.start("gateway")
    client = stack.client()
    amqp = rabbit_config["AMQP_URI"]

    # 1. the scenario, as the three services' relays would publish it
    started = time.monotonic()
    consumed_at_start = counter_total(metrics.EVENTS_CONSUMED)
    publish(amqp, envelopes)
    wait_until(lambda: inbox_count(stack) == len(envelopes), timeout=60,
               message="reports to apply the scenario")
    elapsed = time.monotonic() - started
    first = snapshot(client)
    expected = scenario.expected()
    total = first["summary"]["total"]
    for name, value in expected.items():
        assert total[name] == value, name
    for group in first["summary"]["groups"]:
        for name, value in scenario.expected(month=group["key"]).items():
            assert group["figures"][name] == value, (group["key"], name)
    for group in first["plan"]:
        for name, value in scenario.expected(plan=group["key"]).items():
            assert group["figures"][name] == value, (group["key"], name)
    expected_kpis = scenario.expected_kpis()
    for kpi in first["kpis"]:
        assert kpi["actual"] == expected_kpis[kpi["kpi"]], kpi["kpi"]
        assert kpi["percent_year_elapsed"] == 91.8
        assert kpi["status"] in ("achieved", "on_track", "at_risk")
    for dimension in ("target_group", "compound"):
        served, held = scenario.expected_by(dimension)
        groups = client.get(f"/reports/summary?from=2026-09&to=2026-11&group_by={dimension}").json()
        got = {g["key"]: g["figures"] for g in groups["groups"]}
        assert {k: v["people_served"] for k, v in got.items() if v["people_served"]} == dict(served)
        assert {k: v["activities_held"] for k, v in got.items() if v["activities_held"]} == dict(held)
    with stack.rpc() as rpc_proxy:
        figures_before = rpc_proxy.reports.dump_figures()
    metrics_text = client.http.get(stack.url("reports") + "/metrics").text
    assert "ronghe_projection_lag_seconds" in metrics_text
    assert 'ronghe_kpi_at_risk{kpi="activities_held",service="reports"}' in metrics_text
    assert 'ronghe_events_consumed_total{event_type="attendance_recorded",service="reports"}' \
        in metrics_text
    wait_until(lambda: counter_total(metrics.EVENTS_CONSUMED) - consumed_at_start
               == len(envelopes), message="each event counted once as consumed")
    print(f"\n{len(envelopes)} events applied in {elapsed:.1f}s")

    t2 = time.monotonic()
    # 2. the whole scenario delivered a second time changes nothing
    duplicates_before = counter_total(metrics.EVENTS_DUPLICATE)
    consumed_before = counter_total(metrics.EVENTS_CONSUMED)
    publish(amqp, envelopes)
    wait_until(lambda: counter_total(metrics.EVENTS_DUPLICATE) - duplicates_before
               == len(envelopes), timeout=60, message="the redelivery to be skipped")
    assert counter_total(metrics.EVENTS_CONSUMED) == consumed_before
    assert inbox_count(stack) == len(envelopes)
    assert snapshot(client) == first
    assert 'ronghe_events_duplicate_total{event_type="attendance_recorded",service="reports"}' \
        in client.http.get(stack.url("reports") + "/metrics").text

    print(f"redelivery checked in {time.monotonic() - t2:.1f}s")
    t3 = time.monotonic()
    # 3. rebuild from the services' event logs: same figures; reads answer meanwhile
    for source in ("resources", "volunteers", "events"):
        container = container_factory(event_log_double(source, scenario.by_source(source)),
                                      {"AMQP_URI": amqp})
        container.start()
    response = client.post("/reports/rebuild")
    assert response.status_code == 202, response.text
    generation = response.json()["generation"]
    assert client.post("/reports/rebuild").status_code in (202, 409)
    # live events keep arriving during the rebuild: none is lost by the swap
    extras = [contracts.envelope("attendance_recorded", {
        "attendance_id": 90000 + i, "event_id": 1, "resident_id": 90000 + i,
        "registration_id": None, "walk_in": True, "target_group": "elderly",
        "compound": None, "plan": "service", "kind": "activity",
        "attended_at": datetime(2026, 11, 20, 2, i, tzinfo=timezone.utc)},
        "events", "hetong") for i in range(30)]
    publish(amqp, extras)
    reads = 0

    def rebuilt():
        nonlocal reads
        kpis = client.get("/reports/kpis")
        assert kpis.status_code == 200
        reads += 1
        status = client.get("/reports/rebuild").json()
        assert status["status"] != "failed", status
        return status["status"] == "done" and status["generation"] >= generation

    wait_until(rebuilt, timeout=60, interval=0.2, message="the rebuild")
    status = client.get("/reports/rebuild").json()
    assert status["events_read"] >= len(envelopes)
    assert status["active_generation"] >= generation
    assert reads >= 1
    wait_until(lambda: inbox_count(stack) == len(envelopes) + len(extras), timeout=30,
               message="the live events sent during the rebuild")
    after = snapshot(client)["summary"]["total"]
    assert after["people_served"] == first["summary"]["total"]["people_served"] + 30
    assert after["distinct_people"] == first["summary"]["total"]["distinct_people"] + 30
    # the figures of the scenario alone: a rebuild from the logs (which here hold only the
    # scenario) reproduces them exactly
    response = client.post("/reports/rebuild")
    assert response.status_code == 202, response.text
    wait_until(lambda: client.get("/reports/rebuild").json()["status"] == "done",
               timeout=60, interval=0.2, message="the second rebuild")
    with stack.rpc() as rpc_proxy:
        assert rpc_proxy.reports.dump_figures() == figures_before
    assert without_generation(snapshot(client)) == without_generation(first)

    print(f"rebuilds checked in {time.monotonic() - t3:.1f}s")
    # 4. the XLSX of a month: Chinese headers, KPIs, summary, one sheet per plan, month
    #    and kinds, with the JSON's numbers
    month = client.get("/reports/periodic?period=2026-11").json()
    for name, value in scenario.expected(month="2026-11").items():
        assert month["summary"][name] == value, name
    xlsx = client.get("/reports/periodic?period=2026-11&format=xlsx")
    assert xlsx.status_code == 200
    assert xlsx.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames == ["指标", "汇总", "资源融和", "体系融和", "服务融和", "文化融和",
                             "逐月", "活动类型", "补录", "预算执行"]
    assert [c.value for c in wb["汇总"][2]] == ["指标", "代码", "数值", "单位"]
    assert {r[1]: r[2] for r in wb["汇总"].iter_rows(min_row=3, values_only=True)} == month["summary"]
    for plan, label in month["plan_labels"].items():
        assert {r[1]: r[2] for r in wb[label].iter_rows(min_row=3, values_only=True)} == \
            month["plans"][plan]
    csv = client.get("/reports/periodic?period=2026-Q4&format=csv")
    assert csv.status_code == 200 and "服务人次" in csv.content.decode("utf-8-sig")
    assert client.get("/reports/periodic?period=2026-13").status_code == 422
    assert client.get("/reports/summary?group_by=street").status_code == 422

    # 5. KPIs falling behind: kpi_at_risk once per turn, through the outbox
    with stack.rpc() as rpc_proxy:
        turned = rpc_proxy.reports.check_kpis()["turned_at_risk"]
        assert turned and rpc_proxy.reports.check_kpis()["turned_at_risk"] == []
        published = client.post("/reports/summary/publish")
        assert published.status_code == 202, published.text

        def own_log():
            return [e["event_type"] for e in rpc_proxy.reports.read_event_log(0, 500)["events"]]

        wait_until(lambda: own_log().count("kpi_at_risk") == len(turned), timeout=10,
                   message="kpi_at_risk in the outbox")
        assert own_log().count("community_summary_published") == 1


def test_roles_of_the_report_routes(stack):
    # The sources' request queues exist (declared with the topology) but nobody consumes
    # them: the rebuild's calls wait out their deadline, short here.
    stack.start("reports", **dict(OVERRIDES, REBUILD_RPC_TIMEOUT_SECONDS=3))
    stack.start("gateway")
    admin = stack.client()
    for username, role in (("worker1", "social_worker"), ("viewer1", "district_viewer")):
        created = admin.post("/users", json={"username": username, "password": "password-123",
                                              "role": role})
        assert created.status_code == 201, created.text
    worker = stack.client(login=False).login("worker1", "password-123")
    viewer = stack.client(login=False).login("viewer1", "password-123")
    assert worker.get("/reports/kpis").status_code == 200
    assert viewer.get("/reports/kpis?year=1").status_code == 200
    assert viewer.get("/reports/kpis?year=2").status_code == 200  # the contract's year 2
    assert viewer.get("/reports/kpis?year=4").status_code == 404  # a three-year contract
    assert worker.post("/reports/rebuild").status_code == 403
    assert worker.get("/district/summary").status_code == 403
    assert viewer.get("/district/summary").status_code == 200
    assert admin.get("/district/summary").json()["communities"] == []
    assert stack.client(login=False).get("/reports/summary").status_code == 401
    # a rebuild whose sources do not answer fails cleanly and the served figures stay
    assert admin.post("/reports/rebuild").status_code == 202
    wait_until(lambda: admin.get("/reports/rebuild").json()["status"] == "failed", timeout=30,
               message="the rebuild to fail without its sources")
    status = admin.get("/reports/rebuild").json()
    assert "resources" in status["error"] and status["active_generation"] == 1
    assert admin.get("/reports/kpis").status_code == 200


def test_a_fact_that_cannot_be_projected_is_dead_lettered_alone(stack, rabbit_config):
    """The real projections through the real broker: a payload the applier cannot read
    fails its batch; the bus splits the batch until that fact is alone, retries it, then
    parks it in reports.dead-letter, while the other 29 are counted once each."""
    import json

    from common.tests.test_delivery import queue_depth, volunteer_registered

    stack.start("reports", **OVERRIDES)
    amqp = rabbit_config["AMQP_URI"]
    envelopes = [volunteer_registered(i) for i in range(1, 31)]
    envelopes[11]["payload"]["registered_at"] = "the day after tomorrow"
    retried = counter_total(metrics.EVENTS_RETRIED)
    dead = counter_total(metrics.EVENTS_DEAD_LETTERED)
    publish(amqp, envelopes)
    wait_until(lambda: queue_depth(amqp, bus.dead_letter_queue_name("reports")) == 1,
               timeout=20, message="the unreadable fact in the DLQ")
    wait_until(lambda: inbox_count(stack) == 29, message="its 29 batch mates committed")
    with stack.rpc() as rpc_proxy:
        kpis = rpc_proxy.reports.get_kpis()["kpis"]
    assert next(k["actual"] for k in kpis if k["kpi"] == "volunteers_registered") == 29
    assert counter_total(metrics.EVENTS_RETRIED) - retried == bus.MAX_ATTEMPTS - 1
    assert counter_total(metrics.EVENTS_DEAD_LETTERED) - dead == 1
    assert queue_depth(amqp, bus.queue_name("reports")) == 0
    with Connection(amqp) as conn:
        message = conn.SimpleQueue(bus.dead_letter_queue("reports")).get(timeout=2)
        assert json.loads(message.body)["event_id"] == envelopes[11]["event_id"]
        assert message.headers[bus.ATTEMPTS_HEADER] == bus.MAX_ATTEMPTS
        message.ack()
