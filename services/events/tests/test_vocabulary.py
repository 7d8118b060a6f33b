"""Events carry codes of the community's lists: compounds, the service menu's series,
role skills, and the compound a resident gives when registering, attending or proposing
an idea. An event's series shows in its answers (with its Chinese name), filters the
listing, and travels in event_scheduled and event_published."""
import pytest

from common.errors import ValidationFailed
from services.events.tests.test_interface import (  # noqa: F401 - fake_resources: a fixture
    event_body, fake_resources, outbox, resident)
from tests.fixtures import refused


def test_an_event_of_the_service_menu_shows_filters_and_tells_its_series(stack, fake_resources):
    stack.start("events", "gateway")
    staff = stack.client()
    public = stack.client(login=False)

    festival = staff.post("/events", json=event_body(
        title="中秋博饼", plan="culture", kind="festival", series="festivals"))
    assert festival.status_code == 201, festival.text
    festival = festival.json()
    assert festival["series"] == "festivals" and festival["series_label"] == "我们的节日"
    plain = staff.post("/events", json=event_body(title="楼道清理")).json()
    assert plain["series"] is None and plain["series_label"] is None

    listed = staff.get("/events", params={"series": "festivals"}).json()
    assert [e["id"] for e in listed["items"]] == [festival["id"]]
    assert listed["items"][0]["series_label"] == "我们的节日"
    refused(staff.get("/events", params={"series": "mid_autumn"}), "series", "festivals",
            "after_school")

    assert staff.post(f"/events/{festival['id']}/publish").status_code == 200
    shown = public.get(f"/events/{festival['id']}").json()
    assert shown["series"] == "festivals" and shown["series_label"] == "我们的节日"
    assert [e["series"] for e in public.get("/events", params={"series": "festivals"})
            .json()["items"]] == ["festivals"]

    scheduled = [e["payload"] for e in outbox(stack, "event_scheduled")]
    assert [(p["event_id"], p["series"]) for p in scheduled] == [
        (festival["id"], "festivals"), (plain["id"], None)]
    published = outbox(stack, "event_published")[0]["payload"]
    assert published == {"event_id": festival["id"], "plan": "culture", "kind": "festival",
                         "start": "2026-12-12T01:00:00Z", "series": "festivals"}

    moved = staff.patch(f"/events/{plain['id']}", json={"series": "child_friendly"})
    assert moved.status_code == 200 and moved.json()["series_label"] == "儿童友好"
    cleared = staff.patch(f"/events/{plain['id']}", json={"series": None})
    assert cleared.status_code == 200 and cleared.json()["series"] is None


def test_unknown_codes_are_refused_wherever_an_event_writes_them(stack, fake_resources):
    stack.start("events", "gateway")
    staff = stack.client()
    public = stack.client(login=False)

    refused(staff.post("/events", json=event_body(series="中秋")), "series", "festivals")
    refused(staff.post("/events", json=event_body(compounds=["banshan_linhai", "半山林海"])),
            "compounds", "半山林海", "banshan_linhai")
    with stack.rpc() as cluster:
        with pytest.raises(ValidationFailed) as error:
            cluster.events.create_event(event_body(series="mid_autumn"))
        assert "series" in error.value.details
    assert staff.get("/events").json()["total"] == 0 and outbox(stack) == []

    event = staff.post("/events", json=event_body()).json()
    eid = event["id"]
    refused(staff.patch(f"/events/{eid}", json={"compounds": ["haitian_xiaoqu"]}),
            "compounds", "haitian_xiaoqu")
    refused(staff.patch(f"/events/{eid}", json={"series": "four_thirty"}), "series",
            "after_school")
    refused(staff.post(f"/events/{eid}/roles", json={"name": "绘本志愿者", "skills": ["绘本"],
                                                     "places": 2}), "skills", "reading")
    assert staff.post(f"/events/{eid}/publish").status_code == 200

    refused(public.post(f"/events/{eid}/registrations",
                        json=resident(1, compound="半山林海")), "compound", "banshan_linhai")
    registered = public.post(f"/events/{eid}/registrations", json=resident(1))
    assert registered.status_code == 201 and registered.json()["compound"] == "banshan_linhai"
    refused(staff.post(f"/events/{eid}/attendance", json={
        "walk_in": True, "name": "路过的奶奶", "phone": "13600000001",
        "target_group": "elderly", "compound": "gangwu"}), "compound", "gangwu_xiaoqu")
    refused(public.post("/ideas", json={"title": "增设充电桩", "category": "facilities",
                                        "compound": "优山美地", "phone": "13500000001"}),
            "compound", "youshan_meidi")
    refused(public.get("/ideas", params={"compound": "优山美地"}), "compound", "youshan_meidi")
    assert [e["event_type"] for e in outbox(stack)] == [
        "event_scheduled", "event_published", "participant_registered"]
