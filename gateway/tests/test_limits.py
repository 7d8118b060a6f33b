"""Hostile or careless clients: bodies beyond the configured size are 413 before they are
read, JSON nested beyond reason is 400, text no database can keep (lone surrogates, NUL)
is 422 naming the field, bodies that are not JSON are 415, ids in paths are ASCII digits,
and pages carry headers that keep them out of frames and off other origins' scripts."""
import json
import socket
from urllib.parse import urlparse

import pytest

from tests.fixtures import Stack, refused

BODY_LIMIT = 150_000


@pytest.fixture
def gateway(stack):
    return stack.start("volunteers", "gateway", MAX_BODY_BYTES=str(BODY_LIMIT))


def volunteers_total(client):
    return client.get("/volunteers").json()["total"]


def raw_exchange(base_url, head, body=b""):
    """Send a request's head and the first bytes of its body over a plain socket, and read
    the answer's status line and headers without sending the rest: a server that waits
    for the whole body never answers (the socket's timeout fails the test)."""
    address = urlparse(base_url)
    with socket.create_connection((address.hostname, address.port), timeout=20) as sock:
        sock.sendall(head.encode("ascii") + b"\r\n" + body)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        head_part, _, rest = received.partition(b"\r\n\r\n")
        status = int(head_part.split(b" ", 2)[1])
        length = next((int(line.split(b":", 1)[1]) for line in head_part.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        return status, json.loads(rest[:length] or b"null")


LOGIN_HEAD = ("POST /api/v1/auth/login HTTP/1.1\r\nHost: gateway\r\n"
              "Content-Type: application/json\r\n")


def test_a_body_announced_beyond_the_limit_is_413_before_it_is_read(gateway):
    status, error = raw_exchange(gateway.url("gateway"),
                                 LOGIN_HEAD + "Content-Length: 200000000\r\n",
                                 b'{"username": "')
    assert status == 413
    assert error["error"] == "PAYLOAD_TOO_LARGE"
    assert error["details"] == {"body": [f"最多 {BODY_LIMIT} 字节"]}


def test_a_chunked_body_is_read_only_up_to_the_limit(gateway):
    chunk = b"x" * 80_000
    framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    # Two chunks pass the limit; the body never ends, so only a bounded read answers.
    status, error = raw_exchange(gateway.url("gateway"),
                                 LOGIN_HEAD + "Transfer-Encoding: chunked\r\n", framed * 2)
    assert status == 413
    assert error["error"] == "PAYLOAD_TOO_LARGE"


def test_bodies_within_the_limit_are_read_whole_or_chunked(gateway):
    client = gateway.client(login=False)
    credentials = json.dumps({"username": Stack.ADMIN[0], "password": Stack.ADMIN[1]})
    whole = client.post("/auth/login", data=credentials,
                        headers={"Content-Type": "application/json"})
    chunked = client.post("/auth/login", data=iter([credentials[:10].encode(),
                                                    credentials[10:].encode()]),
                          headers={"Content-Type": "application/json"})
    assert whole.status_code == 200, whole.text
    assert chunked.status_code == 200, chunked.text


@pytest.mark.parametrize("depth", [50000, 900])
def test_deeply_nested_json_is_400(gateway, depth):
    client = gateway.client(login=False)
    response = client.post("/auth/login", data="[" * depth + "]" * depth,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "BAD_REQUEST"
    assert response.json()["details"] == {"body": ["嵌套层级过深"]}


def test_nesting_inside_a_field_is_bounded_too(gateway):
    client = gateway.client(login=False)
    nested = "[" * 900 + "]" * 900
    response = client.post("/auth/login", data='{"username": %s, "password": "x"}' % nested,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text


@pytest.mark.parametrize("text", ["a\ud800b", "王\x00五"], ids=["lone-surrogate", "nul"])
def test_text_no_database_keeps_is_422_naming_the_field(
        container_factory, rabbit_config, make_db_uri, db_backend, text):
    stack = Stack(container_factory, rabbit_config, make_db_uri, backend=db_backend)
    stack.start("volunteers", "gateway")
    client = stack.client()
    refused(client.post("/volunteers", json={"name": text, "phone": "13800001111"}), "name")
    if "\x00" in text:  # a URL cannot carry a lone surrogate; it can carry %00
        refused(client.get("/volunteers", params={"q": text}), "q")
    assert volunteers_total(client) == 0


def test_text_checks_reach_the_public_login_and_nested_fields(gateway):
    client = gateway.client(login=False)
    refused(client.post("/auth/login", json={"username": "admin\x00", "password": "x"}),
            "username")
    # A surrogate in a field's name: named without the character that cannot be shown.
    response = client.post("/auth/login", json={"us\ud800er": "a", "password": "x"})
    assert response.status_code == 422, response.text
    assert "us\\ud800er" in response.json()["details"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          None])
def test_a_body_that_is_not_json_is_415(gateway, content_type):
    client = gateway.client()
    body = json.dumps({"name": "王五", "phone": "13800001111"}).encode()
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/volunteers", data=body, headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["error"] == "UNSUPPORTED_MEDIA_TYPE"
    assert "application/json" in response.json()["details"]["content_type"][0]
    assert volunteers_total(client) == 0


def test_json_with_a_charset_is_json(gateway):
    client = gateway.client()
    response = client.post("/volunteers", data=json.dumps({"name": "王五", "phone": "13800001111"}),
                           headers={"Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 201, response.text


def test_ids_in_paths_are_ascii_digits(gateway):
    client = gateway.client()
    created = client.post("/volunteers", json={"name": "王五", "phone": "13800001111"}).json()
    assert created["id"] == 1
    assert client.get("/volunteers/1").status_code == 200
    for path in ("/volunteers/١", "/volunteers/１", "/volunteers/¹"):
        response = client.get(path)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["error"] == "NOT_FOUND"


def assert_kept_out_of_frames(response):
    headers = response.headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    return policy


def test_pages_and_answers_carry_security_headers(gateway):
    client = gateway.client()
    base = gateway.url("gateway")
    for page in ("/console/", "/console/js/app.js", "/console/app.css", "/api/docs",
                 "/", "/site/js/app.js", "/site/app.css"):
        response = client.get(base + page)
        assert response.status_code == 200, page
        policy = assert_kept_out_of_frames(response)
        assert "script-src 'self'" in policy and "default-src 'self'" in policy
    for answer in (client.get("/volunteers"), client.get("/no-such-route"),
                   client.get(base + "/api/v1/openapi.json")):
        policy = assert_kept_out_of_frames(answer)
        assert policy.startswith("default-src 'none'")
