"""Accounts: logins slowed per account and per client without locking anyone out from
elsewhere; tokens that stop working when their user is disabled, deleted or changes
password; a ceiling on a token's lifetime."""
import time

import jwt
import pytest
import requests
from sqlalchemy import text

from common.config import ConfigError
from gateway.auth import ActiveUsers
from gateway.ratelimit import LoginThrottle
from tests.fixtures import ApiClient, wait_until

ATTACKER, ADMIN_DESK = "203.0.113.66", "198.51.100.7"


def test_each_failure_past_the_free_ones_doubles_the_wait_for_that_account_there():
    now = [0.0]
    throttle = LoginThrottle(free_failures=3, max_delay=60, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.wait("admin", ATTACKER) == 0
        throttle.failed("admin", ATTACKER)
    waits = []
    for _ in range(8):
        waits.append(throttle.wait("admin", ATTACKER))
        now[0] += waits[-1]
        assert throttle.wait("admin", ATTACKER) == 0
        throttle.failed("admin", ATTACKER)
    assert waits == [0, 1, 2, 4, 8, 16, 32, 60]  # doubling, up to the ceiling
    # Nobody else is slowed by the attacker: not the admin at the desk, not the
    # attacker's neighbour on another account.
    assert throttle.wait("admin", ADMIN_DESK) == 0
    assert throttle.wait("xiaoli", ATTACKER) == 0
    # A success at the desk leaves the attacker's wait as it was; one there clears it.
    throttle.succeeded("admin", ADMIN_DESK)
    assert throttle.wait("admin", ATTACKER) == 60
    throttle.succeeded("admin", ATTACKER)
    assert throttle.wait("admin", ATTACKER) == 0


def test_counts_idle_for_twice_the_longest_wait_are_forgotten():
    now = [0.0]
    throttle = LoginThrottle(free_failures=3, max_delay=60, clock=lambda: now[0])
    for _ in range(6):
        throttle.failed("admin", ATTACKER)
    assert throttle.wait("admin", ATTACKER) == 4
    now[0] += 120
    throttle.failed("admin", ATTACKER)  # the first failure of a new count: free
    assert throttle.wait("admin", ATTACKER) == 0


def test_a_client_trying_many_accounts_is_slowed_on_all_of_them():
    now = [0.0]
    throttle = LoginThrottle(free_failures=3, client_free_failures=10, clock=lambda: now[0])
    for i in range(11):  # ten free, then one more
        throttle.failed(f"user{i}", ATTACKER)
    assert throttle.wait("user99", ATTACKER) == 1
    assert throttle.wait("user99", ADMIN_DESK) == 0


def test_an_account_attacked_from_many_addresses_slows_each_after_its_first_failure():
    now = [0.0]
    throttle = LoginThrottle(free_failures=3, account_free_failures=20,
                             clock=lambda: now[0])
    for i in range(30):
        throttle.failed("admin", f"10.0.{i}.1")
    assert throttle.wait("admin", "10.0.0.1") > 0  # a second try from a botnet address
    assert throttle.wait("admin", ADMIN_DESK) == 0  # the admin at a clean desk gets in


def login(stack, username, password, address):
    return requests.post(stack.url("gateway") + "/api/v1/auth/login",
                         json={"username": username, "password": password},
                         headers={"X-Forwarded-For": address}, timeout=10)


def test_an_attacker_cannot_lock_the_admin_out_from_another_address(stack):
    # A first wait of a minute: the test does not depend on how fast the machine answers.
    stack.start("gateway", TRUSTED_PROXIES="127.0.0.1", LOGIN_FIRST_DELAY_SECONDS="60")
    username, password = stack.ADMIN
    statuses = [login(stack, username, "guess-%d" % i, ATTACKER).status_code
                for i in range(30)]
    # Five free failures, a sixth answered, then a growing wait.
    assert statuses[:6] == [401] * 6 and set(statuses[6:]) == {429}
    refused = login(stack, username, password, ATTACKER)  # even the right password
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["details"]["retry_after_seconds"] == int(refused.headers["Retry-After"])
    at_desk = login(stack, username, password, ADMIN_DESK)
    assert at_desk.status_code == 200, at_desk.text


@pytest.fixture
def gateway(stack):
    stack.start("gateway")
    admin = stack.client()
    created = admin.post("/users", json={"username": "xiaoli", "password": "first-pass-2026",
                                         "role": "social_worker"})
    assert created.status_code == 201, created.text
    return stack, admin, created.json()["id"]


def me(token, stack):
    return requests.get(stack.url("gateway") + "/api/v1/me",
                        headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_a_disabled_users_token_is_refused_and_the_user_cannot_log_in(gateway):
    stack, admin, uid = gateway
    worker = ApiClient(stack.url("gateway")).login("xiaoli", "first-pass-2026")
    assert worker.get("/me").status_code == 200
    disabled = admin.patch(f"/users/{uid}", json={"active": False})
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["active"] is False
    refused = worker.get("/me")
    assert refused.status_code == 401 and "已停用" in refused.json()["message"]
    assert login(stack, "xiaoli", "first-pass-2026", "127.0.0.1").status_code == 401
    assert admin.patch(f"/users/{uid}", json={"active": True}).status_code == 200
    assert worker.get("/me").status_code == 401  # a token from before stays refused
    assert ApiClient(stack.url("gateway")).login("xiaoli", "first-pass-2026") \
        .get("/me").status_code == 200


def test_an_admin_cannot_disable_itself(gateway):
    _stack, admin, _uid = gateway
    myself = admin.get("/me").json()["id"]
    response = admin.patch(f"/users/{myself}", json={"active": False})
    assert response.status_code == 409 and "active" in response.json()["details"]
    assert admin.get("/me").status_code == 200


def test_a_deleted_users_token_is_refused(gateway):
    stack, admin, uid = gateway
    worker = ApiClient(stack.url("gateway")).login("xiaoli", "first-pass-2026")
    assert worker.get("/me").status_code == 200
    with stack.engine("gateway").begin() as conn:  # an operator removes the row
        conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": uid})
    wait_until(lambda: worker.get("/me").status_code == 401,
               message="the token of a deleted user refused")
    # A user created next may get the same id: the old token is still not theirs.
    assert admin.post("/users", json={"username": "xiaozhang", "password": "other-pass-2026",
                                      "role": "social_worker"}).status_code == 201
    assert worker.get("/me").status_code == 401
    assert ApiClient(stack.url("gateway")).login("xiaozhang", "other-pass-2026") \
        .get("/me").status_code == 200


def test_changing_the_password_ends_the_tokens_issued_before(gateway):
    stack, admin, uid = gateway
    laptop = ApiClient(stack.url("gateway")).login("xiaoli", "first-pass-2026")
    phone = ApiClient(stack.url("gateway")).login("xiaoli", "first-pass-2026")
    weak = phone.post("/me/password", json={"current_password": "first-pass-2026",
                                            "new_password": "short"})
    assert weak.status_code == 422 and list(weak.json()["details"]) == ["new_password"]
    wrong = phone.post("/me/password", json={"current_password": "not-it-2026",
                                             "new_password": "second-pass-2026"})
    assert wrong.status_code == 422 and list(wrong.json()["details"]) == ["current_password"]
    changed = phone.post("/me/password", json={"current_password": "first-pass-2026",
                                               "new_password": "second-pass-2026"})
    assert changed.status_code == 200, changed.text
    assert laptop.get("/me").status_code == 401
    assert phone.get("/me").status_code == 401
    assert me(changed.json()["access_token"], stack).status_code == 200
    assert login(stack, "xiaoli", "first-pass-2026", "127.0.0.1").status_code == 401
    assert login(stack, "xiaoli", "second-pass-2026", "127.0.0.1").status_code == 200
    # An admin resetting the password ends them too.
    fresh = ApiClient(stack.url("gateway")).login("xiaoli", "second-pass-2026")
    assert admin.patch(f"/users/{uid}", json={"password": "third-pass-2026"}
                       ).status_code == 200
    assert fresh.get("/me").status_code == 401


def test_a_token_living_longer_than_the_ceiling_is_refused_even_if_signed(gateway):
    stack, _admin, uid = gateway
    config = stack.configs["gateway"]
    good = ApiClient(stack.url("gateway")).login("xiaoli", "first-pass-2026").token
    claims = jwt.decode(good, options={"verify_signature": False})
    ceiling = int(config["JWT_MAX_LIFETIME_SECONDS"])
    now = int(time.time())
    for iat, exp in ((now, now + ceiling + 1), (now - 60, now + 365 * 86400)):
        forged = jwt.encode(dict(claims, iat=iat, exp=exp), config["JWT_SECRET"],
                            algorithm="HS256")
        refused = me(forged, stack)
        assert refused.status_code == 401 and "有效期" in refused.json()["message"]
    assert me(good, stack).status_code == 200


def test_the_gateway_refuses_a_token_lifetime_above_its_ceiling(stack):
    with pytest.raises(ConfigError, match="JWT_TTL_SECONDS"):
        stack.start("gateway", JWT_TTL_SECONDS="86400", JWT_MAX_LIFETIME_SECONDS="43200")


def test_a_read_overtaken_by_a_change_is_not_kept():
    """On PostgreSQL a request can read the user, yield, and resume after a change
    committed and forgot it: what it read is used once, never cached."""
    class Store:
        def session(self):
            return self

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def execute(self, _statement):
            users.forget(1)  # the change commits while this read is under way
            return self

        def first(self):
            return Row

    class Row:
        active, token_version, role, username = True, 0, "admin", "admin"

    users = ActiveUsers(Store(), ttl=60)
    users.check({"uid": 1, "ver": 0, "role": "admin", "sub": "admin"})
    assert 1 not in users.known
