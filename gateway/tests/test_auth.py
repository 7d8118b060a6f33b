"""Authentication and authorization at the gateway (JWT pinned to HS256, community-bound)."""
import time

import jwt
import pytest
import requests

from gateway import auth


@pytest.fixture
def gateway(stack):
    return stack.start("volunteers", "gateway")


def token_for(stack, **claims):
    now = int(time.time())
    base = {"sub": "admin", "uid": 1, "role": "admin", "community": "hetong",
            "iat": now, "exp": now + 600}
    base.update(claims)
    secret = base.pop("_secret", stack.configs["gateway"]["JWT_SECRET"])
    algorithm = base.pop("_alg", "HS256")
    return jwt.encode(base, secret, algorithm=algorithm)


def get_me(stack, token):
    return requests.get(stack.url("gateway") + "/api/v1/me",
                        headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_admin_logs_in_and_sees_itself(gateway):
    client = gateway.client()
    me = client.get("/me").json()
    assert me["username"] == "admin" and me["role"] == "admin"
    assert me["community_id"] == "hetong"


def test_wrong_password_is_401_without_saying_which_part(gateway):
    client = gateway.client(login=False)
    for user, password in (("admin", "wrong"), ("nobody", "wrong")):
        response = client.post("/auth/login", json={"username": user, "password": password})
        assert response.status_code == 401
        assert response.json()["message"] == "用户名或密码不正确"


def test_missing_token_is_401(gateway):
    response = gateway.client(login=False).get("/me")
    assert response.status_code == 401
    assert response.json()["error"] == "UNAUTHORIZED"


@pytest.mark.parametrize("claims", [
    {"exp": int(time.time()) - 10},                 # expired
    {"_secret": "not-the-gateway-secret"},          # forged with another key
    {"community": "another-community"},             # another instance's token
    {"role": "superuser"},                          # a role that does not exist
], ids=["expired", "wrong-key", "other-community", "unknown-role"])
def test_bad_tokens_are_401(gateway, claims):
    assert get_me(gateway, token_for(gateway, **claims)).status_code == 401


def test_alg_none_is_refused(gateway):
    token = jwt.encode({"sub": "admin", "uid": 1, "role": "admin", "community": "hetong",
                        "iat": int(time.time()), "exp": int(time.time()) + 600},
                       key=None, algorithm="none")
    assert get_me(gateway, token).status_code == 401


def test_tampered_payload_is_401(gateway):
    client = gateway.client()
    header, payload, signature = client.token.split(".")
    forged = jwt.utils.base64url_encode(
        b'{"sub":"admin","uid":1,"role":"admin","community":"hetong","iat":1,"exp":99999999999}'
    ).decode()
    assert get_me(gateway, f"{header}.{forged}.{signature}").status_code == 401


def test_admin_creates_a_social_worker_who_cannot_create_users(gateway):
    admin = gateway.client()
    created = admin.post("/users", json={"username": "xiaoli", "password": "s3cret-pass-1",
                                         "role": "social_worker", "display_name": "小李"})
    assert created.status_code == 201, created.text
    assert "password" not in created.json() and "password_hash" not in created.json()
    worker = gateway.client(login=False).login("xiaoli", "s3cret-pass-1")
    assert worker.get("/me").json()["role"] == "social_worker"
    response = worker.post("/users", json={"username": "x2", "password": "s3cret-pass-1",
                                           "role": "admin"})
    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"
    again = admin.post("/users", json={"username": "xiaoli", "password": "s3cret-pass-1",
                                       "role": "social_worker"})
    assert again.status_code == 409
    assert "username" in again.json()["details"]


def test_tokens_expire_quickly_by_default(gateway):
    response = gateway.client(login=False).post(
        "/auth/login", json={"username": "admin", "password": gateway.ADMIN[1]})
    assert 0 < response.json()["expires_in"] <= 3600


def test_passwords_are_stored_hashed(gateway):
    from sqlalchemy import text

    engine = gateway.engine("gateway")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM users")).scalar_one()
    assert stored.startswith("$argon2") and gateway.ADMIN[1] not in stored
    assert auth.ALGORITHM == "HS256"


@pytest.mark.parametrize("password, reason", [
    ("short-1", "至少 12 位"),
    ("onlylowercaseletters", "混合字母"),
    ("xiaowang-2026", "用户名"),
], ids=["short", "one-class", "contains-username"])
def test_a_new_users_password_follows_the_policy(gateway, password, reason):
    response = gateway.client().post("/users", json={
        "username": "xiaowang", "password": password, "role": "social_worker"})
    assert response.status_code == 422, response.text
    assert list(response.json()["details"]) == ["password"]
    assert reason in response.json()["details"]["password"][0]
