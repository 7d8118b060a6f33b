"""The console's files, without a browser: local only (nothing from a CDN), every module
import resolves, served with a JavaScript type, and every API call it makes names a route
the gateway has (method and path), so a renamed route fails here first."""
import re

import pytest

from gateway.dispatch import URL_MAP
from gateway.routing import API_PREFIX
from gateway.service import CONSOLE, static_file

FILES = sorted(p for p in CONSOLE.rglob("*") if p.is_file())
TEXT = {p: p.read_text(encoding="utf-8") for p in FILES}
SVG_NAMESPACE = "http://www.w3.org/2000/svg"  # an XML name, not something loaded
CALL = re.compile(r"""\b(api\.(get|post|patch|del)|download)\(\s*([`"])(/[^`"]*)\3""")


def test_console_is_local_files_only():
    assert CONSOLE.joinpath("index.html").is_file()
    for path, text in TEXT.items():
        text = text.replace(SVG_NAMESPACE, "")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, re.I), path
        assert "@import url(" not in text, path


def test_every_import_and_asset_resolves():
    for path, text in TEXT.items():
        if path.suffix != ".js":
            continue
        for target in re.findall(r"""^import[^;]*?from\s+"([^"]+)";""", text, re.M | re.S):
            assert (path.parent / target).resolve().is_file(), (path, target)
    html = TEXT[CONSOLE / "index.html"]
    for ref in re.findall(r'(?:src|href)="/console/([^"]+)"', html):
        assert (CONSOLE / ref).is_file(), ref


@pytest.mark.parametrize("asset,kind", [("js/app.js", "javascript"), ("app.css", "text/css"),
                                        ("index.html", "text/html")])
def test_served_with_the_right_type(asset, kind):
    response = static_file(CONSOLE, asset)
    assert response.status_code == 200
    assert kind in response.content_type and "charset=utf-8" in response.content_type


def test_every_api_call_names_a_gateway_route():
    adapter = URL_MAP.bind("localhost")
    calls = []
    for path, text in TEXT.items():
        for call, verb, _, api_path in CALL.findall(text):
            method = {"get": "GET", "post": "POST", "patch": "PATCH", "del": "DELETE"}.get(
                verb, "GET")
            # /hours/${entry}/${kind}: kind is approve or reject (volunteers.js, bulk)
            variants = ([api_path.replace("${kind}", k) for k in ("approve", "reject")]
                        if "${kind}" in api_path else [api_path])
            for variant in variants:
                concrete = re.sub(r"\$\{[^}]*\}", "1", variant).split("?")[0]
                calls.append((path.name, method, concrete))
                adapter.match(API_PREFIX + concrete, method=method)  # raises if none
    assert len(calls) > 30, calls
