"""A client that retries a write with the same Idempotency-Key gets the first answer and
the write is done once — also when the first answer was lost on the way back (the client
saw 503, the service had stored the record). Through the gateway and the real broker."""
from datetime import timedelta

import eventlet
import pytest
from eventlet.event import Event
from kombu.utils import json as wire_json
from sqlalchemy import text

from common import idempotency, rpc, times
from services.resources import domain as resources_domain
from tests.fixtures import Stack, refused, wait_until

NEED = {"target_group": "elderly", "category": "care", "description": "陪同就医"}


def keyed(key):
    return {"Idempotency-Key": key}


def needs_total(client):
    return client.get("/needs").json()["total"]


def stored_keys(stack):
    engine = stack.engine("resources")
    try:
        with engine.connect() as conn:
            return conn.execute(text(
                "SELECT entrypoint, answer IS NOT NULL FROM idempotency_keys")).all()
    finally:
        engine.dispose()


@pytest.fixture
def backend_stack(container_factory, rabbit_config, make_db_uri, db_backend):
    return Stack(container_factory, rabbit_config, make_db_uri, backend=db_backend)


def test_a_repeat_gets_the_first_answer_and_another_body_is_409(backend_stack):
    stack = backend_stack.start("resources", "gateway")
    client = stack.client()

    first = client.post("/needs", json=NEED, headers=keyed("need-7f3a"))
    assert first.status_code == 201, first.text
    again = client.post("/needs", json=NEED, headers=keyed("need-7f3a"))
    assert (again.status_code, again.json()) == (201, first.json())
    assert needs_total(client) == 1

    # The same key for another request is a client's mistake, not a repeat.
    other = client.post("/needs", json=dict(NEED, description="上门理发"),
                        headers=keyed("need-7f3a"))
    assert other.status_code == 409, other.text
    assert other.json()["error"] == "IDEMPOTENCY_KEY_REUSED"
    assert "Idempotency-Key" in other.json()["details"]
    assert needs_total(client) == 1

    # Another key is another submission; no key, no memory.
    assert client.post("/needs", json=NEED, headers=keyed("need-8e41")).status_code == 201
    assert client.post("/needs", json=NEED).status_code == 201
    assert needs_total(client) == 3


def test_a_write_whose_answer_was_lost_is_found_by_its_key(backend_stack, monkeypatch):
    """The service stores the need but its reply never reaches the gateway, which
    answers 503 after its wait. The client's retry with the key creates nothing more and
    gets the answer the first request would have had."""
    stack = backend_stack.start("resources")
    stack.start("gateway", RPC_TIMEOUT_SECONDS="1")
    client = stack.client()

    replies_lost = []
    send_response = rpc._Responder.send_response

    def lose_the_first_reply(responder, result, exc_info):
        if responder.message.delivery_info["routing_key"] == "resources.create_need" \
                and not replies_lost:
            replies_lost.append(result)
            return result, exc_info
        return send_response(responder, result, exc_info)

    monkeypatch.setattr(rpc._Responder, "send_response", lose_the_first_reply)

    lost = client.post("/needs", json=NEED, headers=keyed("submit-1"))
    assert lost.status_code == 503, lost.text
    assert len(replies_lost) == 1  # the service did answer: the write was stored
    assert needs_total(client) == 1

    retry = client.post("/needs", json=NEED, headers=keyed("submit-1"))
    assert retry.status_code == 201, retry.text
    assert retry.json() == wire_json.loads(wire_json.dumps(replies_lost[0]))
    assert needs_total(client) == 1

    # Without a key the same retry is a second need: what the key is for.
    client.post("/needs", json=NEED)
    assert needs_total(client) == 2


@pytest.mark.postgres
def test_a_repeat_while_the_first_is_running_does_not_write_twice(stack, monkeypatch):
    """The second request with the key arrives while the first is still writing: it
    waits for the first's answer (or is 409 in progress); never a second need."""
    stack.backend = "postgresql"  # writes interleave there; SQLite takes them in turn
    stack.start("resources", "gateway")
    client = stack.client()

    entered, release = Event(), Event()
    take_in_need = resources_domain.register_need

    def slow_take_in(*args, **kwargs):
        if not entered.ready():
            entered.send()
            release.wait()
        return take_in_need(*args, **kwargs)

    monkeypatch.setattr(resources_domain, "register_need", slow_take_in)

    first = eventlet.spawn(client.post, "/needs", json=NEED, headers=keyed("double-click"))
    entered.wait()
    second = eventlet.spawn(stack.client().post, "/needs", json=NEED,
                            headers=keyed("double-click"))
    eventlet.sleep(0)  # let the second request leave before the first goes on
    release.send()
    first, second = first.wait(), second.wait()

    assert first.status_code == 201, first.text
    assert second.status_code in (201, 409), second.text
    if second.status_code == 201:
        assert second.json() == first.json()
    else:
        assert second.json()["error"] == "IDEMPOTENCY_KEY_IN_PROGRESS"
    assert needs_total(client) == 1


def test_keys_are_kept_for_the_configured_time_then_purged(stack, monkeypatch):
    stack.start("resources", IDEMPOTENCY_RETENTION_HOURS="2")
    stack.start("gateway")
    client = stack.client()
    start = times.now()
    monkeypatch.setattr(idempotency, "clock", lambda: start)

    first = client.post("/needs", json=NEED, headers=keyed("monthly-visit"))
    monkeypatch.setattr(idempotency, "clock", lambda: start + timedelta(hours=1, minutes=59))
    assert client.post("/needs", json=NEED, headers=keyed("monthly-visit")).json() == \
        first.json()
    assert needs_total(client) == 1

    monkeypatch.setattr(idempotency, "clock", lambda: start + timedelta(hours=2, minutes=1))
    later = client.post("/needs", json=NEED, headers=keyed("monthly-visit"))
    assert later.status_code == 201
    assert later.json()["id"] != first.json()["id"]
    assert needs_total(client) == 2
    # The old key went with that write: one key, the new one, is left.
    assert stored_keys(stack) == [("create_need", True)]


def test_keys_are_scoped_to_the_user(stack):
    stack.start("resources", "gateway")
    admin = stack.client()
    created = admin.post("/users", json={"username": "li.worker", "password": "worker-pass-1",
                                         "role": "social_worker"})
    assert created.status_code == 201, created.text
    worker = stack.client(login=False).login("li.worker", "worker-pass-1")

    mine = admin.post("/needs", json=NEED, headers=keyed("form-1"))
    theirs = worker.post("/needs", json=NEED, headers=keyed("form-1"))
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert needs_total(admin) == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "clé-é"])
def test_a_bad_key_is_422_naming_the_header_and_writes_nothing(stack, key):
    stack.start("resources", "gateway")
    client = stack.client()
    response = client.post("/needs", json=NEED, headers=keyed(key))
    refused(response, "Idempotency-Key")
    assert needs_total(client) == 0


def test_on_a_public_route_keys_are_scoped_to_the_client(stack):
    stack.start("events")
    stack.start("gateway", TRUSTED_PROXIES="127.0.0.1")
    idea = {"title": "小区增设充电桩", "category": "facilities", "phone": "13500000001"}
    public = stack.client(login=False)

    def submit(address):
        return public.post("/ideas", json=idea, headers={
            "Idempotency-Key": "idea-form-1", "X-Forwarded-For": address})

    first = submit("203.0.113.7")
    assert first.status_code == 201, first.text
    assert submit("203.0.113.7").json() == first.json()
    elsewhere = submit("198.51.100.20")
    assert elsewhere.status_code == 201 and elsewhere.json()["id"] != first.json()["id"]
    assert public.get("/ideas").json()["total"] == 2
