"""PII audit: a scenario that feeds phone and ID numbers into every intake, then looks
everywhere they must not appear — logs, domain events, dead-letter queues, metrics — and
checks that API responses mask them (DESIGN.md, Data, privacy, security)."""
import json
import logging
from datetime import datetime, timedelta, timezone

import requests
from kombu import Connection

from common import bus, pii
from tests.fixtures import wait_until

PHONES = [f"1350000{n:04d}" for n in range(1, 12)]
ID_NUMBER = "35020319900101123X"


def test_personal_data_never_leaks(full_stack_module, caplog):
    stack, _token = full_stack_module
    caplog.set_level(logging.DEBUG)
    admin = stack.client()
    anonymous = stack.client(login=False)
    responses = []

    def call(client, method, path, **kwargs):
        response = client.request(method, path, **kwargs)
        responses.append((method, path, response))
        return response

    volunteer = call(admin, "POST", "/volunteers", json={
        "name": "隐私测试", "phone": PHONES[0], "id_number": ID_NUMBER,
        "skills": ["care"], "compound": "fulong_huayuan"})
    assert volunteer.status_code == 201, volunteer.text
    call(admin, "GET", f"/volunteers/{volunteer.json()['id']}")
    call(admin, "GET", "/volunteers")
    partner = call(admin, "POST", "/partners", json={
        "name": "和通药店", "kind": "merchant", "five_society": "social_resource",
        "contact_name": "王店长", "contact_phone": PHONES[1]})
    assert partner.status_code == 201, partner.text
    call(admin, "GET", "/partners")
    need = call(admin, "POST", "/needs", json={
        "target_group": "elderly", "category": "care", "description": "独居老人需要陪诊",
        "resident_name": "李奶奶", "resident_phone": PHONES[2], "compound": "fulong_huayuan"})
    assert need.status_code == 201, need.text
    call(admin, "GET", f"/needs/{need.json()['id']}")
    call(admin, "GET", "/needs")
    start = datetime.now(timezone.utc) + timedelta(days=3)
    event = call(admin, "POST", "/events", json={
        "title": "重阳敬老活动", "plan": "culture", "kind": "festival",
        "target_groups": ["elderly"], "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(), "capacity": 2}).json()
    call(admin, "POST", f"/events/{event['id']}/publish")
    for phone in PHONES[3:6]:
        registration = call(anonymous, "POST", f"/events/{event['id']}/registrations", json={
            "name": "居民", "phone": phone, "target_group": "elderly"})
        assert registration.status_code == 201, registration.text
    call(admin, "GET", f"/events/{event['id']}/registrations")
    idea = call(anonymous, "POST", "/ideas", json={
        "title": "增设休息座椅", "category": "facilities", "phone": PHONES[6]}).json()
    call(anonymous, "POST", f"/ideas/{idea['id']}/votes", json={"phone": PHONES[7]})
    call(anonymous, "GET", "/ideas")
    today = datetime.now(timezone.utc).date()
    consultation = call(admin, "POST", "/consultations", json={
        "title": "楼道照明意见征集", "opens_on": (today - timedelta(days=1)).isoformat(),
        "closes_on": (today + timedelta(days=2)).isoformat(),
        "questions": [{"kind": "rating", "text": "满意度"},
                      {"kind": "text", "text": "建议", "required": False}]}).json()
    for answers in ([4, f"请联系我 {PHONES[9]}"], [5, None], [9, None]):  # then 409, 422
        call(anonymous, "POST", f"/consultations/{consultation['id']}/answers",
             json={"phone": PHONES[9], "answers": answers})
    call(admin, "GET", f"/consultations/{consultation['id']}")
    call(admin, "GET", f"/consultations/{consultation['id']}/results")
    # A rejected request with personal data in it must not echo it into the logs either.
    call(admin, "POST", "/volunteers", json={"name": "x", "phone": PHONES[8], "bogus": 1})

    # Domain events: every service's event log.
    with stack.rpc() as rpc:
        wait_until(lambda: rpc.reports.get_kpis()["kpis"] is not None)
        for service in ("resources", "volunteers", "events", "reports"):
            log = getattr(rpc, service).read_event_log(0, 5000)
            text = json.dumps(log, ensure_ascii=False)
            assert not pii.contains_pii(text), (service, pii.redact(text)[:300])

    # Dead-letter queues.
    amqp_uri = stack.rabbit_config["AMQP_URI"]
    with Connection(amqp_uri) as conn:
        for service in ("resources", "volunteers", "events", "reports"):
            queue = conn.SimpleQueue(bus.dead_letter_queue(service))
            while True:
                try:
                    message = queue.get(timeout=0.2)
                except queue.Empty:
                    break
                blob = json.dumps({"body": message.body.decode("utf-8", "replace")
                                   if isinstance(message.body, bytes) else message.body,
                                   "headers": message.headers}, ensure_ascii=False, default=str)
                assert not pii.contains_pii(blob), service
                message.requeue()
                break

    # Metrics and logs.
    for process in ("resources", "volunteers", "events", "reports", "gateway"):
        metrics = requests.get(stack.url(process) + "/metrics", timeout=10).text
        # Sample values are floats that can look like anything; names and labels cannot.
        labels = "\n".join(line.rsplit(" ", 1)[0] for line in metrics.splitlines()
                           if line and not line.startswith("#"))
        assert not pii.contains_pii(labels), (process, pii.redact(labels)[:300])
    for record in caplog.records:
        text = record.getMessage() + (caplog.text if False else "")
        assert not any(p in text for p in PHONES + [ID_NUMBER]), pii.redact(text)[:300]

    # API responses mask what they show.
    for method, path, response in responses:
        assert not any(p in response.text for p in PHONES + [ID_NUMBER]), (method, path)
