"""The thinnest slice through everything: gateway → volunteers → outbox → RabbitMQ → reports → gateway."""
from tests.fixtures import wait_until


def test_volunteer_posted_through_gateway_appears_in_kpis(full_stack):
    client = full_stack.client()
    assert full_stack.kpi(client, "volunteers_registered") == 0

    response = client.post("/volunteers", json={
        "name": "林阿姨", "phone": "13812345678", "compound": "fulong_huayuan",
        "skills": ["first_aid", "cooking"], "talent": True})
    assert response.status_code == 201, response.text
    volunteer = response.json()
    assert volunteer["phone"] == "138****5678"
    assert volunteer["number"].startswith("V")

    wait_until(lambda: full_stack.kpi(client, "volunteers_registered") == 1,
               message="reports to count the volunteer")


def test_every_process_answers_health_and_metrics(full_stack):
    import requests

    for process in ("resources", "volunteers", "events", "reports", "gateway"):
        health = requests.get(full_stack.url(process) + "/health", timeout=5)
        assert health.status_code == 200, (process, health.text)
        assert health.json()["checks"] == {"database": "ok", "schema": "ok", "broker": "ok",
                                          "consumers": "ok"}
        metrics = requests.get(full_stack.url(process) + "/metrics", timeout=5)
        assert metrics.status_code == 200
        assert "ronghe_outbox_pending" in metrics.text
