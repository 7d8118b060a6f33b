"""The OpenAPI document covers the route table and the docs page loads from local files."""
import requests

from gateway.openapi import build_spec
from gateway.routes import ROUTES
from gateway.routing import API_PREFIX


def test_every_route_is_documented():
    spec = build_spec()
    for r in ROUTES:
        path = API_PREFIX + r.path
        for converter in ("<int:", "<"):
            while converter in path:
                start = path.index(converter)
                end = path.index(">", start)
                name = path[start + len(converter):end].split(":")[-1]
                path = path[:start] + "{" + name + "}" + path[end + 1:]
        assert r.method.lower() in spec["paths"][path], (r.method, path)


def test_openapi_and_docs_are_served_without_a_cdn(stack):
    stack.start("gateway")
    base = stack.url("gateway")
    spec = requests.get(base + "/api/v1/openapi.json", timeout=10).json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/auth/login" in spec["paths"]
    page = requests.get(base + "/api/docs", timeout=10).text
    assert "http://" not in page and "https://" not in page
    asset = requests.get(base + "/api/docs/assets/swagger-ui-bundle.js", timeout=10)
    assert asset.status_code == 200 and len(asset.content) > 100_000
    assert requests.get(base + "/api/docs/assets/../../../etc/passwd", timeout=10).status_code == 404


def test_the_api_description_states_the_time_rule():
    from gateway.openapi import build_spec

    description = build_spec()["info"]["description"]
    assert "without an offset" in description and "UTC with `Z`" in description
    assert "date alone" in description


def test_every_write_documents_the_idempotency_key_and_its_409():
    spec = build_spec()
    writes = 0
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            headers = [p["name"] for p in op["parameters"] if p.get("in") == "header"]
            if method in ("post", "put", "patch", "delete"):
                writes += 1
                assert headers == ["Idempotency-Key"], (method, path)
                assert "Idempotency-Key" in op["responses"]["409"]["description"]
            else:
                assert headers == [], (method, path)
    assert writes > 40


def test_every_answer_the_gateway_gives_is_documented():
    """The login's 401, a token sent to a public route, and the body limits (413, 415)
    are in the document a client generates its code from."""
    from gateway.openapi import build_spec

    paths = build_spec()["paths"]
    login = paths["/api/v1/auth/login"]["post"]["responses"]
    assert "password" in login["401"]["description"]
    assert {"400", "413", "415", "422", "429"} <= set(login)
    public_listing = paths["/api/v1/events"]["get"]["responses"]
    assert "401" in public_listing  # a bearer token is checked when one is sent
    create = paths["/api/v1/volunteers"]["post"]["responses"]
    assert {"413", "415"} <= set(create)
    assert "413" not in paths["/api/v1/volunteers"]["get"]["responses"]


def test_the_login_documents_its_refusals():
    login = build_spec()["paths"][API_PREFIX + "/auth/login"]["post"]["responses"]
    assert "wrong username or password" in login["401"]["description"].lower()
    assert "Retry-After" in login["429"]["headers"]
