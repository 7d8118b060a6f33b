"""The gateway times every API request by route (its template, never the raw path) and
status, in the ``ronghe_http_seconds`` histogram its /metrics serves."""
import requests
from prometheus_client.parser import text_string_to_metric_families


def http_counts(stack):
    """{(route, status): requests counted} of the gateway, from its /metrics."""
    text = requests.get(stack.url("gateway") + "/metrics", timeout=10).text
    counts = {}
    for family in text_string_to_metric_families(text):
        if family.name != "ronghe_http_seconds":
            continue
        for sample in family.samples:
            if sample.name == "ronghe_http_seconds_count" and \
                    sample.labels["service"] == "gateway":
                counts[(sample.labels["route"], sample.labels["status"])] = sample.value
    return counts


def test_requests_are_timed_by_route_template_and_status(stack):
    stack.start("volunteers", "gateway")
    client = stack.client()
    before = http_counts(stack)
    created = client.post("/volunteers", json={"name": "计时", "phone": "13900001234"})
    assert created.status_code == 201, created.text
    volunteer_id = created.json()["id"]
    assert client.get(f"/volunteers/{volunteer_id}").status_code == 200
    assert client.get("/volunteers/999999").status_code == 404
    assert client.get("/no-such-thing/42").status_code == 404
    after = http_counts(stack)

    def counted(route, status):
        return after.get((route, status), 0) - before.get((route, status), 0)

    assert counted("POST /volunteers", "201") == 1
    assert counted("GET /volunteers/<int:volunteer_id>", "200") == 1
    assert counted("GET /volunteers/<int:volunteer_id>", "404") == 1
    assert counted("unmatched", "404") == 1
    routes = {route for route, _ in after}
    assert not any(str(volunteer_id) in route or "42" in route for route in routes)
