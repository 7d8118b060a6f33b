"""Every route × every role against the running gateway, from the matrix in
authz_matrix.py. A route added without a matrix entry fails here."""
import re

import pytest

from gateway.routes import ROUTES
from tests.security.authz_matrix import (EXPECTED, PUBLIC, VOLUNTEER_OWN_RECORDS,
                                         VOLUNTEER_SHARED_READS)

ROLES = ("anonymous", "volunteer", "social_worker", "admin", "district_viewer")


def test_every_route_has_an_entry_and_every_entry_a_route():
    routes = {r.endpoint: r for r in ROUTES}
    assert sorted(set(routes) - set(EXPECTED)) == [], "routes without an authorization entry"
    assert sorted(set(EXPECTED) - set(routes)) == [], "entries for routes that do not exist"


def test_route_table_grants_exactly_the_matrix():
    for route in ROUTES:
        expected = EXPECTED[route.endpoint]
        if expected == PUBLIC:
            assert route.is_public, route.endpoint
        else:
            assert not route.is_public and set(route.roles) == expected, route.endpoint


def test_volunteers_are_limited_to_their_own_records_where_the_matrix_says():
    limited = {r.endpoint for r in ROUTES if "volunteer" in r.own_records_only}
    assert limited == VOLUNTEER_OWN_RECORDS
    open_to_volunteers = {r.endpoint for r in ROUTES
                          if not r.is_public and r.allows("volunteer")}
    assert open_to_volunteers - limited == VOLUNTEER_SHARED_READS


@pytest.fixture(scope="module")
def clients(full_stack_module):
    stack, _token = full_stack_module
    admin = stack.client()
    volunteer = admin.post("/volunteers", json={"name": "矩阵", "phone": "13700000001"}).json()
    users = {"social_worker": {}, "district_viewer": {},
             "volunteer": {"volunteer_id": volunteer["id"]}}
    clients = {"admin": admin, "anonymous": stack.client(login=False)}
    for role, extra in users.items():
        response = admin.post("/users", json=dict(
            {"username": f"matrix_{role}", "password": "matrix-password", "role": role}, **extra))
        assert response.status_code == 201, response.text
        clients[role] = stack.client(login=False).login(f"matrix_{role}", "matrix-password")
    return clients


def concrete(path):
    return re.sub(r"<(?:int:)?(\w+)>", lambda m: "1" if "int:" in m.group(0) else "C-0001", path)


@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_each_role_gets_what_the_matrix_says(clients, endpoint):
    method, path = endpoint.split(" ", 1)
    allowed = EXPECTED[endpoint]
    for role in ROLES:
        kwargs = {"json": {}} if method in ("POST", "PATCH") else {}
        status = clients[role].request(method, concrete(path), **kwargs).status_code
        if allowed == PUBLIC or role in allowed:
            assert status not in (401, 403, 405, 500), (endpoint, role, status)
        elif role == "anonymous":
            assert status == 401, (endpoint, role, status)
        else:
            assert status == 403, (endpoint, role, status)
