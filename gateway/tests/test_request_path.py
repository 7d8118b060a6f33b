"""The request path's shortcuts answer as the long way did: a token checked once is not
checked again until it expires, yet its user's state is read on every request; bodies
are read by orjson with the standard library's answers kept for what orjson refuses;
answers are encoded by orjson as the standard library encoded them; one schema instance
per route gives the same details for the same wrong body every time."""
import json
import time
from datetime import date, datetime, timezone
from decimal import Decimal

import jwt
import pytest

from marshmallow import ValidationError

from common.errors import BadRequest, Unauthorized, validation_error
from common.schemas import instance
from gateway import auth, dispatch
from services.volunteers.schemas import VolunteerCreate
from tests.fixtures import ApiClient

SECRET = "a-test-secret-of-at-least-32-bytes!"


def signed(**claims):
    now = int(time.time())
    base = {"sub": "admin", "uid": 1, "role": "admin", "community": "hetong",
            "iat": now, "exp": now + 600}
    base.update(claims)
    return jwt.encode(base, SECRET, algorithm="HS256")


# -- the token check, cached ---------------------------------------------------------------

def test_a_verified_token_is_kept_until_its_expiry_then_checked_again():
    now = [1_000.0]
    tokens = auth.VerifiedTokens(size=10, clock=lambda: now[0])
    tokens.put("k", {"exp": 1_010, "sub": "admin"})
    assert tokens.get("k") == {"exp": 1_010, "sub": "admin"}
    tokens.get("k")["sub"] = "changed by a caller"
    assert tokens.get("k")["sub"] == "admin"  # callers get copies
    now[0] = 1_010.0  # exp reached: PyJWT refuses it from this second on
    assert tokens.get("k") is None and "k" not in tokens.known


def test_the_verified_tokens_are_bounded_least_recently_used_first():
    tokens = auth.VerifiedTokens(size=3, clock=lambda: 0.0)
    for key in "abc":
        tokens.put(key, {"exp": 10})
    tokens.get("a")  # used: kept
    tokens.put("d", {"exp": 10})
    assert list(tokens.known) == ["c", "a", "d"]


def test_a_cached_token_past_its_expiry_is_refused_as_expired():
    expired = signed(iat=int(time.time()) - 700, exp=int(time.time()) - 100)
    key = (expired, SECRET, "hetong", 3600)
    auth.VERIFIED.known[key] = {"exp": int(time.time()) - 100}  # as if checked earlier
    with pytest.raises(Unauthorized) as refused:
        auth.verify_token(expired, SECRET, "hetong", 3600)
    assert refused.value.key == "token_expired"
    assert key not in auth.VERIFIED.known


def test_the_cache_is_per_secret_and_community():
    token = signed()
    assert auth.verify_token(token, SECRET, "hetong", 3600)["sub"] == "admin"
    with pytest.raises(Unauthorized) as other_key:
        auth.verify_token(token, "another-secret-of-at-least-32-bytes", "hetong", 3600)
    assert other_key.value.key == "invalid_token"
    with pytest.raises(Unauthorized) as other_community:
        auth.verify_token(token, SECRET, "jinshan", 3600)
    assert other_community.value.key == "token_other_community"


@pytest.fixture
def accounts(stack):
    stack.start("gateway")
    admin = stack.client()
    created = admin.post("/users", json={"username": "xiaoli", "password": "first-pass-2026",
                                         "role": "social_worker"})
    assert created.status_code == 201, created.text
    return stack, admin, created.json()["id"]


def cached(token):
    return any(key[0] == token for key in auth.VERIFIED.known)


def test_a_cached_token_of_a_user_disabled_since_is_refused_on_the_next_request(accounts):
    stack, admin, uid = accounts
    worker = ApiClient(stack.url("gateway")).login("xiaoli", "first-pass-2026")
    assert worker.get("/me").status_code == 200
    assert worker.get("/me").status_code == 200
    assert cached(worker.token)
    assert admin.patch(f"/users/{uid}", json={"active": False}).status_code == 200
    refused = worker.get("/me")
    assert refused.status_code == 401 and refused.json()["error"] == "UNAUTHORIZED"
    assert "已停用" in refused.json()["message"]
    assert cached(worker.token)  # the signature still holds; the user does not


def test_a_cached_token_is_refused_once_its_user_changed_password(accounts):
    stack, _admin, _uid = accounts
    laptop = ApiClient(stack.url("gateway")).login("xiaoli", "first-pass-2026")
    assert laptop.get("/me").status_code == 200 and cached(laptop.token)
    phone = ApiClient(stack.url("gateway")).login("xiaoli", "first-pass-2026")
    changed = phone.post("/me/password", json={"current_password": "first-pass-2026",
                                               "new_password": "second-pass-2026"})
    assert changed.status_code == 200, changed.text
    assert laptop.get("/me").status_code == 401


# -- JSON in ------------------------------------------------------------------------------

def stdlib_answer(raw):
    """What the gateway answered for a body before orjson read it."""
    try:
        return "value", json.loads(raw.decode("utf-8"))
    except RecursionError:
        return "error", "body_nested_too_deeply"
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "error", "body_malformed_json"


def orjson_answer(raw):
    try:
        return "value", dispatch._json_body(raw)
    except BadRequest as error:
        return "error", error.key


BODIES = [
    b'{"name": "\xe7\x8e\x8b\xe4\xba\x94", "phone": "13900000000", "n": 3, "x": 1.5}',
    b'{"a": [1, 2, {"b": null, "c": true}], "d": -0.0, "e": 1e300}',
    b'{"big": 123456789012345678901234567890}',          # an integer past 64 bits
    b'{"big": -18446744073709551616}',
    b'{"name": "a\\ud800b"}',                              # a lone surrogate, escaped
    b'{"\\udfff": 1}',                                     # one in a key
    b'{"n": NaN, "m": Infinity}',
    b'{"f": 1e400}',
    b'[' * 2000 + b']' * 2000,                            # nested past orjson's limit
    b'[' * 100 + b']' * 100,
    b'{"a": 1,}',                                          # malformed
    b'\xef\xbb\xbf{"a": 1}',                               # a byte-order mark
    b'{"a": "\xff"}',                                      # not UTF-8
    b'{"a": 1} {"b": 2}',
    b' \n{"a": 1}\t ',
    b'{"a": 1, "a": 2}',
    b'"text"',
]


@pytest.mark.parametrize("raw", BODIES)
def test_a_body_is_read_as_the_standard_library_read_it(raw):
    expected, got = stdlib_answer(raw), orjson_answer(raw)
    if expected[0] == "value" and isinstance(expected[1], float) or \
            expected == got:
        assert repr(got) == repr(expected)  # NaN == NaN compared by its text
    else:
        assert got == expected


def test_an_escaped_lone_surrogate_is_still_a_422_naming_the_field():
    data = dispatch._json_body(b'{"name": "a\\ud800b"}')
    with pytest.raises(Exception) as refused:
        dispatch._refuse_unstorable(data)
    assert refused.value.status == 422 and list(refused.value.details) == ["name"]


# -- JSON out -----------------------------------------------------------------------------

ANSWERS = [
    {"name": "王五", "at": datetime(2026, 12, 3, 8, 0, tzinfo=timezone.utc),
     "on": date(2026, 12, 3), "amount": Decimal("12.50"), "ratio": 0.1, "none": None},
    {1: "one", 2.5: "x", None: "n", True: "t", "nested": {3: [1, 2, {"k": (1, 2)}]}},
    {"big": 2 ** 70, "neg": -(2 ** 64)},
    {"lone": "a\ud800b"},
    {"set": {1}, "ok": [True, False]},
]


@pytest.mark.parametrize("data", ANSWERS)
def test_an_answer_is_encoded_as_the_standard_library_encoded_it(data):
    before = json.dumps(data, ensure_ascii=False, default=str)
    after = dispatch.encode_json(data)
    after = after.decode("utf-8") if isinstance(after, bytes) else after
    assert json.loads(after) == json.loads(before)
    assert "\\u" not in after or "\\u" in before  # UTF-8 as before, not escapes


# -- one schema instance per class --------------------------------------------------------

def test_a_schema_is_built_once_and_carries_nothing_from_one_load_to_the_next():
    schema = instance(VolunteerCreate)
    assert instance(VolunteerCreate) is schema and instance(schema) is schema
    assert not isinstance(schema, type)


def test_the_same_wrong_body_gets_the_same_details_every_time(stack):
    stack.start("volunteers", "gateway")
    admin = stack.client()
    wrong = {"name": "", "phone": "12", "birth_year": 1800, "extra": 1}
    answers = [admin.post("/volunteers", json=wrong) for _ in range(3)]
    assert {a.status_code for a in answers} == {422}
    first = answers[0].json()
    assert sorted(first["details"]) == ["birth_year", "extra", "name", "phone"]
    assert all(a.json() == first for a in answers[1:])
    good = admin.post("/volunteers", json={"name": "王五", "phone": "13900000001"})
    assert good.status_code == 201, good.text
    english = admin.post("/volunteers", json=wrong, headers={"Accept-Language": "en"})
    assert sorted(english.json()["details"]) == sorted(first["details"])
    assert english.json()["message"] != first["message"]
    # The service validates this route's body (the gateway does not load it a second
    # time): the answer is the one the gateway's own validation gave, in both languages,
    # and with an Idempotency-Key (the gateway validates then) too.
    with pytest.raises(ValidationError) as local:
        instance(VolunteerCreate).load(wrong)
    for lang, answer in (("zh", first), ("en", english.json())):
        assert answer == validation_error(local.value).to_dict(lang)
    keyed = admin.post("/volunteers", json=wrong, headers={"Idempotency-Key": "k-1"})
    assert keyed.status_code == 422 and keyed.json() == first
