"""Interface tests: the events service through the gateway on the real RabbitMQ.

The resources service is outside the service under test; here a small nameko service
named "resources" stands in for it (book_venue / cancel_booking / link_booking_to_event,
recording its calls and refusing overlapping bookings with a Conflict as the real one
does). test_real_resources.py runs the same booking rules against the real service.
"""
import itertools
import json

import eventlet
import pytest
from sqlalchemy import select

from common.errors import Conflict, NotFound, ValidationFailed
from common.rpc import rpc
from services.events.models import metadata
from tests.fixtures import Stack, wait_until

FAKE = {}


def reset_fake():
    FAKE.clear()
    FAKE.update(bookings={}, calls=[], delay=0.0, ids=itertools.count(1))


class FakeResourcesService:
    name = "resources"

    @rpc
    def book_venue(self, data):
        FAKE["calls"].append(("book_venue", data))
        if FAKE["delay"]:
            eventlet.sleep(FAKE["delay"])
        if data["venue_id"] == 404:
            raise NotFound("no such venue", {"venue_id": data["venue_id"]})
        if data["start"] >= data["end"]:
            raise ValidationFailed("end before start", {"end": ["must be after start"]})
        for booking in FAKE["bookings"].values():
            if booking["venue_id"] == data["venue_id"] and booking["status"] == "active" \
                    and booking["start"] < data["end"] and data["start"] < booking["end"]:
                raise Conflict(f"venue {data['venue_id']} is booked then "
                               f"(booking {booking['id']})", {"booking_id": booking["id"]})
        booking = dict(data, id=next(FAKE["ids"]), status="active")
        FAKE["bookings"][booking["id"]] = booking
        return booking

    @rpc
    def cancel_booking(self, booking_id):
        FAKE["calls"].append(("cancel_booking", booking_id))
        FAKE["bookings"][booking_id]["status"] = "cancelled"
        return FAKE["bookings"][booking_id]

    @rpc
    def link_booking_to_event(self, booking_id, event_id):
        FAKE["calls"].append(("link_booking_to_event", booking_id, event_id))
        FAKE["bookings"][booking_id]["event_id"] = event_id
        return FAKE["bookings"][booking_id]


def active_bookings():
    return sorted(b["id"] for b in FAKE["bookings"].values() if b["status"] == "active")


@pytest.fixture
def fake_resources(stack):
    reset_fake()
    container = stack.container_factory(FakeResourcesService,
                                        {"AMQP_URI": stack.rabbit_config["AMQP_URI"]})
    container.start()
    return FAKE


def outbox(stack, event_type=None):
    table = metadata.tables["outbox"]
    engine = stack.engine("events")
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.envelope, table.c.sent_at)
                            .order_by(table.c.seq)).all()
    engine.dispose()
    envelopes = [dict(json.loads(env), sent=sent is not None) for env, sent in rows]
    if event_type:
        envelopes = [e for e in envelopes if e["event_type"] == event_type]
    return envelopes


def event_body(**overrides):
    body = {"title": "儿童绘本共读", "plan": "service", "kind": "group",
            "target_groups": ["children"], "compounds": ["banshan_linhai"],
            "start": "2026-12-12T01:00:00Z", "end": "2026-12-12T03:00:00Z", "capacity": 2}
    body.update(overrides)
    return body


def resident(n, **overrides):
    body = {"name": f"家长{n}", "phone": f"1590000{n:04d}", "target_group": "children",
            "compound": "banshan_linhai"}
    body.update(overrides)
    return body


def test_room_already_booked_is_409_and_cancel_frees_it(stack, fake_resources):
    stack.start("events", "gateway")
    staff = stack.client()
    with stack.rpc() as cluster:  # someone else holds room 3 from 09:00 to 10:00 (+08:00)
        held = cluster.resources.book_venue({"venue_id": 3, "start": "2026-12-12T01:00:00Z",
                                             "end": "2026-12-12T02:00:00Z",
                                             "purpose": "党员活动"})
    response = staff.post("/events", json=event_body(venue_id=3))
    assert response.status_code == 409, response.text
    error = response.json()
    assert str(error["details"]["booking_id"]) == str(held["id"]) and "venue_id" in error["details"]
    assert staff.get("/events").json()["total"] == 0
    assert active_bookings() == [held["id"]] and outbox(stack) == []

    unknown = staff.post("/events", json=event_body(venue_id=404))
    assert unknown.status_code == 422 and "venue_id" in unknown.json()["details"]

    # Later the same morning the room is free: booked, and linked to the event.
    created = staff.post("/events", json=event_body(venue_id=3, start="2026-12-12T02:00:00Z",
                                                    end="2026-12-12T03:00:00Z"))
    assert created.status_code == 201, created.text
    event = created.json()
    assert event["booking_id"] in active_bookings()
    assert FAKE["bookings"][event["booking_id"]]["event_id"] == event["id"]
    assert FAKE["calls"][-2][1]["purpose"] == "小组: 儿童绘本共读"

    cancelled = staff.post(f"/events/{event['id']}/cancel", json={"reason": "台风停课"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert active_bookings() == [held["id"]]
    assert outbox(stack, "event_cancelled")[0]["payload"]["booking_id"] == event["booking_id"]
    # The freed slot can be booked again by another event.
    again = staff.post("/events", json=event_body(venue_id=3, start="2026-12-12T02:00:00Z",
                                                  end="2026-12-12T03:00:00Z"))
    assert again.status_code == 201, again.text
    assert staff.post(f"/events/{event['id']}/publish").status_code == 409


def test_resources_absent_or_silent_is_503_and_nothing_written(stack):
    stack.start("events", RESOURCES_RPC_TIMEOUT_SECONDS=0.5)
    stack.start("gateway")
    staff = stack.client()
    absent = staff.post("/events", json=event_body(venue_id=3))  # no resources service
    assert absent.status_code == 503, absent.text
    assert absent.json()["details"]["service"] == "resources"

    reset_fake()
    FAKE["delay"] = 2.0  # running, but answers after the events service stopped waiting
    container = stack.container_factory(FakeResourcesService,
                                        {"AMQP_URI": stack.rabbit_config["AMQP_URI"]})
    container.start()
    silent = staff.post("/events", json=event_body(venue_id=3))
    assert silent.status_code == 503, silent.text
    assert silent.json()["details"]["service"] == "resources"
    assert staff.get("/events").json()["total"] == 0 and outbox(stack) == []
    # An event without a venue needs no RPC.
    assert staff.post("/events", json=event_body()).status_code == 201


def test_an_event_through_its_whole_life(stack, fake_resources):
    stack.start("events", "volunteers", "gateway")
    staff = stack.client()
    public = stack.client(login=False)

    # Bad input: 4xx naming the field, nothing written.
    bad = staff.post("/events", json=event_body(end="2026-12-12T00:00:00Z"))
    assert bad.status_code == 422 and list(bad.json()["details"]) == ["end"]
    unknown = staff.post("/events", json=event_body(colour="red", target_groups=["kids"]))
    assert unknown.status_code == 422
    assert set(unknown.json()["details"]) == {"colour", "target_groups"}
    assert public.post("/events", json=event_body()).status_code == 401
    assert outbox(stack) == [] and FAKE["calls"] == []

    # Of the service menu's 四点半课堂: its completion says so (activities per series).
    event = staff.post("/events", json=event_body(venue_id=2, series="after_school")).json()
    eid = event["id"]
    assert public.get(f"/events/{eid}").status_code == 404  # a draft is not public
    assert public.get("/events").json()["total"] == 0
    assert staff.post(f"/events/{eid}/complete").status_code == 409  # draft → completed
    assert staff.post(f"/events/{eid}/publish").json()["status"] == "published"
    assert staff.post(f"/events/{eid}/publish").status_code == 409
    listed = public.get("/events", params={"status": "draft"}).json()
    assert [e["id"] for e in listed["items"]] == [eid] and "organiser" not in listed["items"][0]
    assert staff.get("/events", params={"status": "draft"}).json()["total"] == 0
    assert staff.get("/events", params={"target_group": "elderly"}).json()["total"] == 0
    assert staff.get("/events", params={"from": "someday"}).json()["details"].keys() == {"from"}

    role = staff.post(f"/events/{eid}/roles", json={"name": "绘本志愿者", "skills": ["reading"],
                                                    "places": 2})
    assert role.status_code == 201, role.text

    regs = []
    for n in range(1, 5):  # capacity 2: two confirmed, two waitlisted
        response = public.post(f"/events/{eid}/registrations", json=resident(n))
        assert response.status_code == 201, response.text
        regs.append(response.json())
    assert [r["status"] for r in regs] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert regs[0]["phone"] == "159****0001"
    duplicate = public.post(f"/events/{eid}/registrations", json=resident(2, name="又一次"))
    assert duplicate.status_code == 409
    bad_phone = public.post(f"/events/{eid}/registrations", json=resident(9, phone="12345"))
    assert bad_phone.status_code == 422 and "phone" in bad_phone.json()["details"]

    # A confirmed resident cancels with their code; the first waitlisted moves up.
    wrong = public.delete(f"/registrations/{regs[0]['id']}", json={"code": "guess"})
    assert wrong.status_code == 404
    cancelled = public.delete(f"/registrations/{regs[0]['id']}",
                              json={"code": regs[0]["cancel_code"]})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["promoted_registration_id"] == regs[2]["id"]
    listing = staff.get(f"/events/{eid}/registrations", params={"status": "confirmed"}).json()
    assert sorted(r["id"] for r in listing["items"]) == [regs[1]["id"], regs[2]["id"]]
    assert all("****" in r["phone"] for r in listing["items"])
    waiting = staff.get(f"/events/{eid}/registrations", params={"status": "waitlisted"}).json()
    assert [(r["id"], r["waitlist_position"]) for r in waiting["items"]] == [(regs[3]["id"], 1)]

    # Attendance: two registered participants and one walk-in.
    for body in ({"registration_id": regs[1]["id"]}, {"phone": resident(3)["phone"]},
                 {"walk_in": True, "name": "路过的奶奶", "phone": "13600000001",
                  "target_group": "elderly", "compound": "gangwu_xiaoqu"}):
        response = staff.post(f"/events/{eid}/attendance", json=body)
        assert response.status_code == 201, response.text
    again = staff.post(f"/events/{eid}/attendance", json={"registration_id": regs[1]["id"]})
    assert again.status_code == 409
    no_who = staff.post(f"/events/{eid}/attendance", json={})
    assert no_who.status_code == 422 and "registration_id" in no_who.json()["details"]

    completed = staff.post(f"/events/{eid}/complete", json={})
    assert completed.status_code == 200, completed.text
    assert completed.json()["counts"]["people_served"] == 3
    shown = public.get(f"/events/{eid}").json()  # for the feedback form; no staff fields
    assert shown["status"] == "completed" and "counts" not in shown and "organiser" not in shown
    assert public.get("/events").json()["total"] == 0  # the listing shows published only
    assert staff.post(f"/events/{eid}/cancel", json={}).status_code == 409

    # Feedback after completion, once per attendee; only attendees.
    for phone, score in ((resident(2)["phone"], 5), ("13600000001", 4)):
        response = public.post(f"/events/{eid}/feedback", json={"phone": phone, "score": score,
                                                                 "comment": "孩子很喜欢"})
        assert response.status_code == 201, response.text
    assert public.post(f"/events/{eid}/feedback",
                       json={"phone": "13600000001", "score": 1}).status_code == 409
    assert public.post(f"/events/{eid}/feedback",
                       json={"phone": resident(4)["phone"], "score": 1}).status_code == 422
    assert public.post(f"/events/{eid}/feedback",
                       json={"phone": resident(2)["phone"], "score": 9}).status_code == 422

    # The emitted facts, exactly (the reports service counts from these).
    assert outbox(stack, "event_completed")[0]["payload"] == {
        "event_id": eid, "plan": "service", "kind": "group", "target_groups": ["children"],
        "compounds": ["banshan_linhai"], "start": "2026-12-12T01:00:00Z",
        "end": "2026-12-12T03:00:00Z", "registered": 2, "attended": 2, "walk_ins": 1,
        "people_served": 3, "volunteers": 2, "feedback_count": 0, "satisfaction_mean": None,
        "five_society": {}, "series": "after_school"}
    attendance = [f["payload"] for f in outbox(stack, "attendance_recorded")]
    assert [(a["walk_in"], a["registration_id"], a["target_group"]) for a in attendance] == [
        (False, regs[1]["id"], "children"), (False, regs[2]["id"], "children"),
        (True, None, "elderly")]
    assert len({a["resident_id"] for a in attendance}) == 3
    assert [f["payload"]["score"] for f in outbox(stack, "feedback_submitted")] == [5, 4]
    assert [f["payload"]["status"] for f in outbox(stack, "participant_registered")] == \
        ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [f["event_type"] for f in outbox(stack)][:3] == \
        ["event_scheduled", "event_published", "volunteer_role_added"]
    wait_until(lambda: all(f["sent"] for f in outbox(stack)), message="relay to publish")
    text = json.dumps(outbox(stack), ensure_ascii=False)
    assert "1590000" not in text and "家长" not in text and "13600000001" not in text

    # The volunteers service opened a shift for the role.
    shifts = wait_until(lambda: staff.get("/shifts", params={"event_id": eid}).json()["items"],
                        message="the volunteers service to open the shift")
    assert shifts[0]["places"] == 2 and shifts[0]["event_id"] == eid
    assert active_bookings() == [event["booking_id"]]


def test_idea_votes_adopted_in_a_meeting_and_action_closed(stack):
    stack.start("events")
    stack.start("gateway", PUBLIC_RATE_LIMIT_PER_MINUTE="4")  # per route and client
    staff = stack.client()
    public = stack.client(login=False)
    idea = public.post("/ideas", json={"title": "小区增设充电桩", "category": "facilities",
                                       "compound": "youshan_meidi", "phone": "13500000001"})
    assert idea.status_code == 201, idea.text
    iid = idea.json()["id"]
    bad = public.post("/ideas", json={"title": "x", "category": "weather", "phone": "1"})
    assert bad.status_code == 422 and {"category", "phone"} <= set(bad.json()["details"])
    for phone in ("13500000001", "13500000002", "13500000003"):
        assert public.post(f"/ideas/{iid}/votes", json={"phone": phone}).status_code == 201
    assert public.post(f"/ideas/{iid}/votes", json={"phone": "13500000002"}).status_code == 409
    limited = public.post(f"/ideas/{iid}/votes", json={"phone": "13500000004"})
    assert limited.status_code == 429  # the fifth vote within the minute from one client

    meeting = staff.post("/events", json=event_body(
        title="第四季度五社联席会", plan="system", kind="joint_meeting", capacity=0,
        target_groups=["all_residents"], agenda="充电桩; 楼道清理", attendees=[
            {"organisation": "和通社区居委会", "category": "community", "count": 3},
            {"organisation": "融和社工站", "category": "social_worker", "count": 2},
            {"organisation": "物业公司", "category": "social_resource"}])).json()
    mid = meeting["id"]
    assert staff.post(f"/events/{mid}/decisions", json={"summary": "x"}).status_code == 409
    assert staff.post(f"/events/{mid}/publish").status_code == 200
    decision = staff.post(f"/events/{mid}/decisions", json={
        "summary": "采纳充电桩金点子", "idea_id": iid,
        "action_items": [{"title": "联系供电所踏勘", "owner": "物业公司", "due_date": "2026-01-15"},
                         {"title": "施工", "owner": "居委会", "due_date": "2099-06-30"}]})
    assert decision.status_code == 201, decision.text
    assert staff.post(f"/ideas/{iid}/adopt", json={"event_id": mid, "summary": "again"}) \
        .status_code == 409

    shown = public.get("/ideas").json()["items"][0]
    assert shown["status"] == "adopted" and shown["votes"] == 3
    assert shown["decision_id"] == decision.json()["id"]
    overdue = staff.get("/actions", params={"status": "overdue"}).json()
    assert [a["title"] for a in overdue["items"]] == ["联系供电所踏勘"]
    aid = overdue["items"][0]["id"]
    assert staff.patch(f"/actions/{aid}", json={"status": "done"}).json()["status"] == "done"
    assert staff.patch(f"/actions/{aid}", json={"status": "open"}).status_code == 409
    assert staff.patch(f"/actions/{aid}", json={"status": "finished"}).status_code == 422
    assert staff.get("/actions", params={"status": "overdue"}).json()["total"] == 0
    assert public.get("/actions").status_code == 401

    assert staff.post(f"/events/{mid}/complete").status_code == 200
    # The minutes are written up after the meeting; its attendees no longer change.
    minutes = staff.patch(f"/events/{mid}", json={"minutes": "决定：采纳充电桩"})
    assert minutes.status_code == 200 and minutes.json()["minutes"] == "决定：采纳充电桩"
    assert staff.patch(f"/events/{mid}", json={"attendees": []}).status_code == 409
    completed = outbox(stack, "event_completed")[0]["payload"]
    assert completed["kind"] == "joint_meeting" and completed["plan"] == "system"
    assert completed["five_society"] == {"community": 3, "social_worker": 2,
                                         "social_resource": 1}
    assert [f["event_type"] for f in outbox(stack)] == [
        "idea_submitted", "idea_voted", "idea_voted", "idea_voted", "event_scheduled",
        "event_published", "idea_adopted", "decision_recorded", "action_item_updated",
        "action_item_updated", "action_item_updated", "event_completed"]
    assert "13500000001" not in json.dumps(outbox(stack))


def test_times_without_an_offset_are_local_and_dates_filter_local_days(stack):
    stack.start("events", "gateway")
    staff = stack.client()
    # Typed on the station's clock: half past nine on 5 December in the community.
    morning = staff.post("/events", json=event_body(start="2026-12-05T09:30",
                                                    end="2026-12-05T11:00"))
    assert morning.status_code == 201, morning.text
    assert (morning.json()["start"], morning.json()["end"]) == \
        ("2026-12-05T01:30:00Z", "2026-12-05T03:00:00Z")
    # One in the first hour of the 6th, which is still the 5th in UTC.
    night = staff.post("/events", json=event_body(start="2026-12-06T00:30",
                                                  end="2026-12-06T01:30")).json()
    assert night["start"] == "2026-12-05T16:30:00Z"

    def listed(**bounds):
        response = staff.get("/events", params=bounds)
        assert response.status_code == 200, response.text
        return [e["id"] for e in response.json()["items"]]

    assert listed(**{"from": "2026-12-05", "to": "2026-12-05"}) == [morning.json()["id"]]
    assert listed(**{"from": "2026-12-06"}) == [night["id"]]
    assert listed(**{"from": "2026-12-05T10:00", "to": "2026-12-06"}) == \
        [morning.json()["id"], night["id"]]
    assert staff.get("/events", params={"to": "2026-13-01"}).json()["details"].keys() == {"to"}


def test_concurrent_registrations_respect_capacity_and_one_per_phone(
        db_backend, rabbit_config, make_db_uri, container_factory):
    stack = Stack(container_factory, rabbit_config, make_db_uri, db_backend)
    # Eighteen writers queue on one event's row lock: what is checked here is who gets a
    # place, not how fast, so the gateway waits longer than the tests' usual 3 s.
    stack.start("events")
    stack.start("gateway", RPC_TIMEOUT_SECONDS="15")
    staff = stack.client()
    eid = staff.post("/events", json=event_body(capacity=5)).json()["id"]
    staff.post(f"/events/{eid}/publish")
    pool = eventlet.GreenPool(20)

    def register(body):
        return stack.client(login=False).post(f"/events/{eid}/registrations", json=body)

    answers = list(pool.imap(register, [resident(n) for n in range(1, 13)] +
                             [resident(99, name=f"同一人{i}") for i in range(6)]))
    assert sorted(r.status_code for r in answers) == [201] * 13 + [409] * 5
    statuses = [r.json()["status"] for r in answers if r.status_code == 201]
    assert statuses.count("confirmed") == 5 and statuses.count("waitlisted") == 8
    confirmed = staff.get(f"/events/{eid}/registrations", params={"status": "confirmed"})
    assert confirmed.json()["total"] == 5
    assert staff.get(f"/events/{eid}").json()["counts"]["waitlisted"] == 8
