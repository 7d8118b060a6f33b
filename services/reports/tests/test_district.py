"""District roll-up over a real shovel: two communities and a district as three vhosts of
the local RabbitMQ; deploy/district/shovels.py declares the shovels through the
management API; the district's summary equals the sum of the communities' figures."""
import importlib.util
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import func, select

from common.config import ROOT
from services.reports.tests.scenario import Scenario
from services.reports.tests.test_service import publish
from tests.fixtures import Stack, wait_until

MANAGEMENT = "http://guest:guest@127.0.0.1:15672"
API = "http://127.0.0.1:15672/api"
AUTH = ("guest", "guest")


def load_script():
    spec = importlib.util.spec_from_file_location(
        "district_shovels", Path(ROOT) / "deploy" / "district" / "shovels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def vhosts():
    names = {k: f"ronghe-test-{k}-{uuid.uuid4().hex[:8]}" for k in ("hetong", "binhai", "district")}
    for name in names.values():
        assert requests.put(f"{API}/vhosts/{quote(name, safe='')}", auth=AUTH, timeout=10).ok
        assert requests.put(f"{API}/permissions/{quote(name, safe='')}/guest", auth=AUTH, timeout=10,
                            json={"configure": ".*", "write": ".*", "read": ".*"}).ok
    yield names
    for name in names.values():
        requests.delete(f"{API}/vhosts/{quote(name, safe='')}", auth=AUTH, timeout=30)


def amqp(vhost):
    return f"amqp://guest:guest@127.0.0.1:5672/{quote(vhost, safe='')}"


def inbox_count(stack):
    from services.reports.models import metadata

    engine = stack.engine("reports")
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(metadata.tables["inbox"])).scalar()
    finally:
        engine.dispose()


@pytest.mark.slow
def test_district_summary_is_the_sum_of_its_communities_through_a_shovel(
        vhosts, container_factory, make_db_uri):
    script = load_script()
    config = {"management_api": MANAGEMENT,
              "district": {"id": "huli", "vhost": vhosts["district"], "uri": "amqp://"},
              "communities": [{"id": "hetong", "vhost": vhosts["hetong"], "uri": "amqp://"},
                              {"id": "binhai", "vhost": vhosts["binhai"], "uri": "amqp://"}]}
    stacks = {}
    try:
        for key in ("hetong", "binhai", "district"):
            stack = Stack(container_factory, {"AMQP_URI": amqp(vhosts[key])}, make_db_uri)
            stack.db_uris["reports"] = make_db_uri(f"reports_{key}")
            stack.db_uris["gateway"] = make_db_uri(f"gateway_{key}")
            stacks[key] = stack
        common = {"REPORTS_TODAY": "2026-12-01", "KPI_CHECK_INTERVAL_SECONDS": "0"}
        stacks["hetong"].start("reports", COMMUNITY_ID="hetong", SUMMARY_INTERVAL_SECONDS="0",
                               **common)
        # binhai publishes on its timer, hetong on demand
        stacks["binhai"].start("reports", COMMUNITY_ID="binhai", SUMMARY_INTERVAL_SECONDS="1",
                               **common)
        stacks["district"].start("reports", COMMUNITY_ID="huli", REPORTS_MODE="district",
                                 SUMMARY_INTERVAL_SECONDS="1", **common)
        stacks["district"].start("gateway", COMMUNITY_ID="huli")
        assert sorted(script.setup(config)) == ["summaries-from-binhai", "summaries-from-hetong"]
        assert sorted(script.setup(config)) == ["summaries-from-binhai", "summaries-from-hetong"]
        wait_until(lambda: set(script.status(config).values()) == {"running"}, timeout=20,
                   message="shovels running")

        scenarios = {"hetong": Scenario(seed=1, community_id="hetong", scale=0.15),
                     "binhai": Scenario(seed=2, community_id="binhai", scale=0.15)}
        for key, scenario in scenarios.items():
            publish(amqp(vhosts[key]), scenario.envelopes)
        for key, scenario in scenarios.items():
            wait_until(lambda k=key, s=scenario: inbox_count(stacks[k]) == len(s.envelopes),
                       timeout=40, message=f"{key} to apply its events")
        actuals = {}
        for key in scenarios:
            with ClusterRpcProxy({"AMQP_URI": amqp(vhosts[key])}, timeout=10) as rpc:
                actuals[key] = {k["kpi"]: k["actual"] for k in rpc.reports.get_kpis()["kpis"]}
                if key == "hetong":
                    rpc.reports.publish_summary()
        assert actuals["hetong"]["people_served"] == scenarios["hetong"].expected()["people_served"]

        admin = stacks["district"].client()
        assert admin.post("/users", json={"username": "district1", "password": "password-123",
                                          "role": "district_viewer"}).status_code == 201
        viewer = stacks["district"].client(login=False).login("district1", "password-123")

        def rolled_up():
            response = viewer.get("/district/summary")
            assert response.status_code == 200, response.text
            body = response.json()
            per = {c["community_id"]: c["figures"] for c in body["communities"]}
            if set(per) != {"hetong", "binhai"}:
                return None
            for key in scenarios:
                if any(per[key][k] != (v or 0) for k, v in actuals[key].items()):
                    return None
            return body

        body = wait_until(rolled_up, timeout=30, interval=0.3,
                          message="both communities' summaries at the district")
        # what RongheCommunitySilent reads: when the district last heard from each
        metrics_text = requests.get(stacks["district"].url("reports") + "/metrics",
                                    timeout=10).text
        heard = {line.split('community="')[1].split('"')[0]: float(line.rsplit(" ", 1)[1])
                 for line in metrics_text.splitlines()
                 if line.startswith("ronghe_district_last_summary_timestamp_seconds{")}
        assert set(heard) == {"hetong", "binhai"}
        assert all(abs(time.time() - at) < 120 for at in heard.values()), heard
        total = body["total"]["figures"]
        for name in actuals["hetong"]:
            if name == "mean_satisfaction":
                weights = {k: next(c["figures"]["feedback_count"] for c in body["communities"]
                                   if c["community_id"] == k) for k in scenarios}
                expected = round(sum(actuals[k][name] * weights[k] for k in scenarios)
                                 / sum(weights.values()), 2)
            else:
                expected = sum(actuals[k][name] for k in scenarios)
            assert total[name] == pytest.approx(expected), name
        assert body["total"]["targets"]["people_served"] == 12000
        # a community instance declares no summary queue of its own
        queues = requests.get(f"{API}/queues/{quote(vhosts['hetong'], safe='')}", auth=AUTH,
                              timeout=10).json()
        assert "reports.district-summaries" not in {q["name"] for q in queues}
    finally:
        for stack in stacks.values():
            for process in list(stack.containers):
                stack.stop(process)
        script.teardown(config)
