"""GET /vocabularies: every code list with its Chinese labels, the fixed ones and the
community's own (compounds, skills, the service menu's series), public and documented."""
import requests

from common import vocab


def test_vocabularies_serve_every_code_list_with_chinese_labels(stack):
    stack.start("gateway")
    anonymous = stack.client(login=False)
    response = anonymous.get("/vocabularies")
    assert response.status_code == 200, response.text
    body = response.json()
    assert {"target_groups", "five_society", "event_kinds", "resource_types",
            "need_categories", "plans", "compounds", "skills", "series"} <= set(body)
    assert {"code": "elderly", "label": "老年人"} in body["target_groups"]
    assert body["need_categories"][0] == {"code": "care", "label": "照料"}

    compounds = {c["code"]: c for c in body["compounds"]}
    assert compounds["fulong_huayuan"] == {"code": "fulong_huayuan", "label": "福隆花园",
                                           "placeholder": False}
    assert [c["label"] for c in body["compounds"] if c["placeholder"]] == [
        "待补充小区8", "待补充小区9", "待补充小区10"]
    skills = {s["code"]: s for s in body["skills"]}
    assert skills["first_aid"]["label"] == "急救" and skills["first_aid"]["need_categories"] == [
        "health"]
    series = {s["code"]: s for s in body["series"]}
    assert series["festivals"]["label"] == "我们的节日"
    assert series["festivals"]["plan"] == "culture"
    assert series["festivals"]["plan_label"] == "文化融和"
    assert series["after_school"]["label"] == "四点半课堂" and series["after_school"]["description"]


def test_vocabularies_are_documented_in_openapi(stack):
    stack.start("gateway")
    spec = requests.get(stack.url("gateway") + "/api/v1/openapi.json", timeout=10).json()
    operation = spec["paths"]["/api/v1/vocabularies"]["get"]
    assert operation.get("security") in (None, [])  # public
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    ref = schema["$ref"].rsplit("/", 1)[-1]
    documented = spec["components"]["schemas"][ref]["properties"]
    assert set(vocab.VOCABULARY_NAMES) <= set(documented)
    term = documented["series"]["items"]["$ref"].rsplit("/", 1)[-1]
    assert {"code", "label", "plan", "plan_label", "description"} <= set(
        spec["components"]["schemas"][term]["properties"])
