"""Every message a person reads in an error is in Chinese by default and in English when
the client asks for it (Accept-Language), whether the gateway refused the request itself
or a service did over RPC; the error shape and codes stay the same."""
import pytest

EN = {"Accept-Language": "en-US,en;q=0.9"}


@pytest.fixture
def gateway(stack):
    return stack.start("volunteers", "gateway")


def both(client, method, path, **kwargs):
    """The same request answered in Chinese (no header) and in English."""
    zh = client.request(method, path, **kwargs)
    en = client.request(method, path, headers=dict(EN), **kwargs)
    assert zh.status_code == en.status_code, (zh.text, en.text)
    assert set(zh.json()) == set(en.json()) == {"error", "message", "details"}
    assert zh.json()["error"] == en.json()["error"]
    return zh, en


def test_a_422_of_the_gateways_own_validation(gateway):
    client = gateway.client()
    zh, en = both(client, "POST", "/volunteers", json={"phone": "13800001111", "age": 3})
    assert zh.status_code == 422 and zh.json()["error"] == "VALIDATION_FAILED"
    assert zh.json()["message"] == "以下字段有误：age, name"
    assert zh.json()["details"] == {"name": ["必填"], "age": ["不认识的字段"]}
    assert en.json()["message"] == "invalid fields: age, name"
    assert en.json()["details"] == {"name": ["Missing data for required field."],
                                    "age": ["Unknown field."]}
    # One of our own validators, with its value in the message.
    zh, en = both(client, "POST", "/volunteers", json={"name": "王", "phone": "12345"})
    assert zh.json()["details"]["phone"] == ["不是有效的手机号（11 位，以 13–19 开头）"]
    assert en.json()["details"]["phone"] == ["not a mainland mobile number (11 digits, 1[3-9]…)"]


def test_a_422_of_a_services_domain_rule(gateway):
    client = gateway.client()
    vid = client.post("/volunteers", json={"name": "王", "phone": "13800001111"}).json()["id"]
    zh, en = both(client, "POST", f"/volunteers/{vid}/certificates",
                  json={"period_from": "2026-01-01", "period_to": "2026-01-31"})
    assert zh.status_code == 422, zh.text
    assert zh.json()["message"] == "该期间没有已审核的服务时长"
    assert zh.json()["details"] == {
        "period_from": ["period_from 与 period_to 之间没有已审核的服务时长"]}
    assert en.json()["message"] == "no approved hours in this period"
    assert en.json()["details"] == {
        "period_from": ["no approved hours between period_from and period_to"]}


def test_a_404_from_a_service_and_from_the_gateway(gateway):
    client = gateway.client()
    zh, en = both(client, "GET", "/volunteers/4242")
    assert zh.status_code == 404 and zh.json()["error"] == "NOT_FOUND"
    assert zh.json()["message"] == "志愿者 4242 不存在"
    assert en.json()["message"] == "volunteer 4242 not found"
    zh, en = both(client, "GET", "/no-such-thing")
    assert zh.status_code == 404
    assert zh.json()["message"] == "没有这个接口：GET /api/v1/no-such-thing"
    assert en.json()["message"] == "no route GET /api/v1/no-such-thing"


def test_a_409_with_its_reason_by_field(gateway):
    client = gateway.client()
    number = client.post("/volunteers", json={"name": "甲", "phone": "13800001111"}).json()[
        "number"]
    zh, en = both(client, "POST", "/volunteers", json={"name": "乙", "phone": "13800001111"})
    assert zh.status_code == 409 and zh.json()["error"] == "CONFLICT"
    assert zh.json()["message"] == f"该手机号已登记为志愿者 {number}"
    assert en.json()["message"] == f"phone already registered to volunteer {number}"
    assert zh.json()["details"]["volunteer_number"] == en.json()["details"]["volunteer_number"]


def test_the_gateways_own_refusals_and_the_preferred_language(gateway):
    anonymous = gateway.client(login=False)
    zh, en = both(anonymous, "GET", "/volunteers")
    assert zh.status_code == 401
    assert zh.json()["message"] == "请先登录（缺少 Bearer 令牌）"
    assert en.json()["message"] == "missing bearer token"
    # q-values: Chinese preferred over English, English over a language we lack.
    prefer_zh = anonymous.get("/volunteers", headers={"Accept-Language": "en;q=0.5,zh-CN"})
    assert prefer_zh.json()["message"] == zh.json()["message"]
    prefer_en = anonymous.get("/volunteers", headers={"Accept-Language": "fr,en;q=0.8"})
    assert prefer_en.json()["message"] == en.json()["message"]
