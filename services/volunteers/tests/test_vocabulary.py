"""A volunteer's compound and skills are codes of the community's lists, and availability
is a list of weekly slots: anything else is refused, naming the field (and the allowed
codes), by the gateway and the service alike; filters take the same codes."""
from datetime import datetime, timedelta, timezone

import pytest

from common.errors import ValidationFailed
from tests.fixtures import refused

SAT_9 = datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc)  # 09:00 local


def _z(value):
    return value.isoformat().replace("+00:00", "Z")


def test_compound_skills_and_availability_are_checked_on_every_write(stack):
    stack.start("volunteers", "gateway")
    client = stack.client()
    person = {"name": "林秀兰", "phone": "13712345678"}

    refused(client.post("/volunteers", json=dict(person, compound="福隆花园")), "compound",
            "福隆花园", "fulong_huayuan", "jinhai_huayuan")
    refused(client.post("/volunteers", json=dict(person, skills=["first_aid", "书法"])),
            "skills", "书法", "calligraphy", "first_aid")
    refused(client.post("/volunteers", json=dict(person, availability=[
        {"weekday": 8, "start": "09:00", "end": "12:00"}])), "availability")
    refused(client.post("/volunteers", json=dict(person, availability=[
        {"weekday": 6, "start": "9am", "end": "12:00"}])), "availability")
    with stack.rpc() as cluster:
        with pytest.raises(ValidationFailed) as error:
            cluster.volunteers.create_volunteer(dict(person, skills=["welding"]))
        assert "skills" in error.value.details
    assert client.get("/volunteers").json()["total"] == 0

    created = client.post("/volunteers", json=dict(
        person, compound="fulong_huayuan", skills=["first_aid", "calligraphy"],
        availability=[{"weekday": 6, "start": "08:00", "end": "12:00"}]))
    assert created.status_code == 201, created.text
    volunteer = created.json()
    assert volunteer["compound"] == "fulong_huayuan"
    assert volunteer["skills"] == ["calligraphy", "first_aid"]

    refused(client.patch(f"/volunteers/{volunteer['id']}", json={"compound": "gangwu"}),
            "compound", "gangwu_xiaoqu")
    refused(client.patch(f"/volunteers/{volunteer['id']}", json={"skills": ["Cooking"]}),
            "skills", "cooking")
    moved = client.patch(f"/volunteers/{volunteer['id']}", json={"compound": "gangwu_xiaoqu"})
    assert moved.status_code == 200 and moved.json()["compound"] == "gangwu_xiaoqu"

    refused(client.post("/shifts", json={
        "name": "社区引导", "places": 2, "skills": ["ushering"], "start": _z(SAT_9),
        "end": _z(SAT_9 + timedelta(hours=2))}), "skills", "ushering", "guide")


def test_filters_take_the_same_codes(stack):
    stack.start("volunteers", "gateway")
    client = stack.client()
    for n, (compound, skills) in enumerate([("fulong_huayuan", ["calligraphy"]),
                                            ("fulong_huayuan", ["cooking"]),
                                            ("binhai_senlin", ["calligraphy"])]):
        created = client.post("/volunteers", json={
            "name": f"志愿者{n}", "phone": f"1390000000{n}", "compound": compound,
            "skills": skills, "availability": [{"weekday": 6, "start": "08:00",
                                                "end": "12:00"}]})
        assert created.status_code == 201, created.text
    found = client.get("/volunteers", params={"skill": "calligraphy",
                                              "compound": "fulong_huayuan"}).json()
    assert found["total"] == 1 and found["items"][0]["name"].startswith("志")
    none = client.get("/volunteers", params={"skill": "repair"}).json()
    assert none["total"] == 0

    refused(client.get("/volunteers", params={"skill": "书法"}), "skill", "calligraphy")
    refused(client.get("/volunteers", params={"compound": "福隆花园"}), "compound",
            "fulong_huayuan")
    refused(client.get("/volunteers/available", params={
        "skills": "calligraphy,welding", "start": _z(SAT_9),
        "end": _z(SAT_9 + timedelta(hours=1))}), "skills", "welding", "calligraphy")
    available = client.get("/volunteers/available", params={
        "skills": "calligraphy", "start": _z(SAT_9), "end": _z(SAT_9 + timedelta(hours=1))})
    assert available.status_code == 200 and available.json()["total"] == 2
    refused(client.get("/shifts", params={"skill": "welding"}), "skill", "guide")
