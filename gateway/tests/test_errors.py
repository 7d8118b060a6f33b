"""Bad input gets a 4xx naming the field and writes nothing; a service that is down gives
503 quickly; every error has DESIGN.md's shape."""
import time

import pytest


@pytest.fixture
def gateway(stack):
    return stack.start("volunteers", "reports", "gateway")


def volunteers_total(client):
    return client.get("/volunteers").json()["total"]


@pytest.mark.parametrize("body,field", [
    ({"name": "王", "phone": "12345"}, "phone"),
    ({"name": "王", "phone": "13800001111", "age": 3}, "age"),             # unknown field
    ({"name": 12, "phone": "13800001111"}, "name"),                        # wrong type
    ({"phone": "13800001111"}, "name"),                                     # missing
    ({"name": "王", "phone": "13800001111", "skills": ["Bad Skill!"]}, "skills"),
])
def test_invalid_volunteer_is_422_naming_the_field_and_writes_nothing(gateway, body, field):
    client = gateway.client()
    response = client.post("/volunteers", json=body)
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["error"] == "VALIDATION_FAILED"
    assert field in error["details"]
    assert volunteers_total(client) == 0


def test_malformed_json_is_400(gateway):
    client = gateway.client()
    response = client.post("/volunteers", data="{name: oops",
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "BAD_REQUEST"
    assert volunteers_total(client) == 0


def test_a_json_array_is_not_an_object(gateway):
    response = gateway.client().post("/volunteers", json=[1, 2])
    assert response.status_code == 400


def test_bad_query_parameter_is_422(gateway):
    response = gateway.client().get("/volunteers?per_page=100000")
    assert response.status_code == 422
    assert "per_page" in response.json()["details"]


def test_unknown_route_is_404_in_the_error_shape(gateway):
    response = gateway.client().get("/no-such-thing")
    assert response.status_code == 404
    assert set(response.json()) == {"error", "message", "details"}


def test_duplicate_phone_is_409_naming_the_existing_volunteer(gateway):
    client = gateway.client()
    first = client.post("/volunteers", json={"name": "甲", "phone": "13800001111"}).json()
    response = client.post("/volunteers", json={"name": "乙", "phone": "138-0000-1111"})
    assert response.status_code == 409
    assert response.json()["details"]["volunteer_number"] == first["number"]
    assert volunteers_total(client) == 1


def test_stopped_service_gives_503_within_the_rpc_bound(gateway):
    client = gateway.client()
    gateway.stop("volunteers")  # its queue stays, nobody consumes: the call would hang
    started = time.monotonic()
    response = client.get("/volunteers")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["details"]["service"] == "volunteers"
    bound = float(gateway.configs["gateway"]["RPC_TIMEOUT_SECONDS"])
    assert elapsed < bound + 2


def test_service_never_started_gives_503(stack):
    stack.start("gateway")
    response = stack.client().get("/volunteers")
    assert response.status_code == 503


def test_request_id_is_returned(gateway):
    response = gateway.client().get("/me", headers={"X-Request-Id": "abc123"})
    assert response.headers["X-Request-Id"] == "abc123"


def test_a_request_arriving_while_the_gateway_is_being_killed_is_503_in_the_error_shape():
    """nameko refuses it with ContainerBeingKilled before dispatch sees it (the gateway
    lost its broker and is about to exit and be started again)."""
    import json

    from nameko.exceptions import ContainerBeingKilled

    from gateway.service import GatewayService

    entrypoint = next(e for e in GatewayService.api.nameko_entrypoints)
    response = entrypoint.response_from_exception(ContainerBeingKilled())
    assert response.status_code == 503
    assert json.loads(response.get_data())["error"] == "SERVICE_UNAVAILABLE"
