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


def test_the_login_documents_its_refusals():
    login = build_spec()["paths"][API_PREFIX + "/auth/login"]["post"]["responses"]
    assert "wrong username or password" in login["401"]["description"]
    assert "Retry-After" in login["429"]["headers"]
