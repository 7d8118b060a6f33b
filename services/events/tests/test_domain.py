"""Unit tests of domain.py and booking.py on a real SQLite database, without a broker."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from common import times
from common.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from services.events import booking, domain
from services.events.models import BookingRelease, Event, Registration, Resident
from services.events.tests.conftest import BOTH_BACKENDS

START = "2026-12-05T01:00:00Z"
END = "2026-12-05T03:00:00Z"


def event_data(**overrides):
    data = {"title": "重阳敬老茶话会", "plan": "culture", "kind": "festival",
            "target_groups": ["elderly", "families"], "compounds": ["fulong_huayuan"],
            "start": START, "end": END, "capacity": 2}
    data.update(overrides)
    return data


def person(n, **overrides):
    data = {"name": f"居民{n}", "phone": f"1380000{n:04d}", "target_group": "elderly",
            "compound": "fulong_huayuan"}
    data.update(overrides)
    return data


def schedule(store, resources, **overrides):
    return booking.schedule_event(store, resources, event_data(**overrides), "sw1")


def published(store, resources, **overrides):
    event = schedule(store, resources, **overrides)
    with store.unit_of_work() as uow:
        domain.publish_event(uow, event["id"])
    return event


@BOTH_BACKENDS
def test_an_event_through_its_life_emits_exact_facts(store, crypto, resources):
    event = published(store, resources)
    eid = event["id"]
    with store.unit_of_work() as uow:
        role = domain.add_volunteer_role(uow, eid, {"name": "签到引导", "skills": ["guide"],
                                                    "places": 3})
    regs = []
    for n in range(1, 5):  # capacity 2: two confirmed, two waitlisted
        with store.unit_of_work() as uow:
            regs.append(domain.register_participant(uow, crypto, eid, person(n)))
    assert [r["status"] for r in regs] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert regs[3]["waitlist_position"] == 2
    assert regs[0]["phone"] == "138****0001" and regs[0]["name"] == "居**"
    with pytest.raises(Conflict) as dup, store.unit_of_work() as uow:
        domain.register_participant(uow, crypto, eid, person(1, name="别人"))
    assert dup.value.details["registration_id"] == regs[0]["id"]

    # The resident cancels with the code; the first waitlisted moves up, once.
    with pytest.raises(NotFound), store.unit_of_work() as uow:
        domain.cancel_registration(uow, crypto, regs[0]["id"], {"code": "wrong"})
    with store.unit_of_work() as uow:
        cancelled = domain.cancel_registration(uow, crypto, regs[0]["id"],
                                               {"code": regs[0]["cancel_code"]})
    assert cancelled["promoted_registration_id"] == regs[2]["id"]
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        domain.cancel_registration(uow, crypto, regs[0]["id"], staff=True)

    with store.unit_of_work() as uow:
        a1 = domain.record_attendance(uow, crypto, eid, {"registration_id": regs[1]["id"]})
        a2 = domain.record_attendance(uow, crypto, eid, {"phone": person(3)["phone"]})
        walk = domain.record_attendance(uow, crypto, eid, {
            "walk_in": True, "phone": "13900009999", "target_group": "children"})
        anon = domain.record_attendance(uow, crypto, eid, {"walk_in": True,
                                                           "target_group": "elderly"})
    assert (a1["walk_in"], a2["walk_in"], walk["walk_in"], anon["walk_in"]) == \
        (False, False, True, True)
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        domain.record_attendance(uow, crypto, eid, {"registration_id": regs[1]["id"]})
    with pytest.raises(Conflict), store.unit_of_work() as uow:  # feedback before completion
        domain.submit_feedback(uow, crypto, eid, {"phone": person(2)["phone"], "score": 5})

    with store.unit_of_work() as uow:
        done = domain.complete_event(uow, eid)
    assert done["status"] == "completed"
    with store.unit_of_work() as uow:
        domain.submit_feedback(uow, crypto, eid, {"phone": person(2)["phone"], "score": 5,
                                                  "comment": "很好"})
        domain.submit_feedback(uow, crypto, eid, {"phone": "13900009999", "score": 4})
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        domain.submit_feedback(uow, crypto, eid, {"phone": person(2)["phone"], "score": 1})
    with pytest.raises(ValidationFailed), store.unit_of_work() as uow:  # registered, never came
        domain.submit_feedback(uow, crypto, eid, {"phone": person(4)["phone"], "score": 1})

    completed = store.events("event_completed")[0]["payload"]
    assert completed == {
        "event_id": eid, "plan": "culture", "kind": "festival",
        "target_groups": ["elderly", "families"], "compounds": ["fulong_huayuan"],
        "start": START, "end": END, "registered": 2, "attended": 2, "walk_ins": 2,
        "people_served": 4, "volunteers": 3, "feedback_count": 0, "satisfaction_mean": None,
        "five_society": {}, "series": None}
    assert [f["event_type"] for f in store.events()] == [
        "event_scheduled", "event_published", "volunteer_role_added",
        "participant_registered", "participant_registered", "participant_registered",
        "participant_registered", "participant_cancelled", "attendance_recorded",
        "attendance_recorded", "attendance_recorded", "attendance_recorded",
        "event_completed", "feedback_submitted", "feedback_submitted"]
    assert store.events("volunteer_role_added")[0]["payload"] == {
        "role_id": role["id"], "event_id": eid, "name": "签到引导", "skills": ["guide"],
        "places": 3, "start": START, "end": END}
    assert store.events("participant_cancelled")[0]["payload"] == {
        "registration_id": regs[0]["id"], "event_id": eid, "was_status": "confirmed",
        "promoted_registration_id": regs[2]["id"], "event_start": START}
    assert [(f["payload"]["score"], f["payload"]["event_start"])
            for f in store.events("feedback_submitted")] == [(5, START), (4, START)]
    with store.session() as session:
        counts = domain.event_counts(session, eid)
    assert counts["satisfaction_mean"] == 4.5 and counts["feedback_count"] == 2
    # No name or phone in any fact.
    text = store.raw_outbox()
    for n in range(1, 5):
        assert person(n)["phone"] not in text and person(n)["name"] not in text
    assert "13900009999" not in text and "居民" not in text


def test_one_resident_per_phone_across_events(store, crypto, resources):
    e1 = published(store, resources, capacity=0)
    e2 = published(store, resources, capacity=0)
    with store.unit_of_work() as uow:
        r1 = domain.register_participant(uow, crypto, e1["id"], person(7))
        r2 = domain.register_participant(uow, crypto, e2["id"], person(7, name="另一个名字"))
        w1 = domain.record_attendance(uow, crypto, e2["id"], {
            "walk_in": True, "phone": "+86 138-0000-0007", "target_group": "elderly"})
    assert r1["resident_id"] == r2["resident_id"] == w1["resident_id"]
    # The walk-in with a registered phone is counted as that registration.
    assert w1["walk_in"] is False and w1["registration_id"] == r2["id"]
    assert store.count(Resident) == 1


def test_invalid_transitions_are_409(store, crypto, resources):
    event = schedule(store, resources)
    eid = event["id"]
    for action in (domain.complete_event,):
        with pytest.raises(Conflict), store.unit_of_work() as uow:
            action(uow, eid)
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        domain.register_participant(uow, crypto, eid, person(1))  # still a draft
    with store.unit_of_work() as uow:
        domain.publish_event(uow, eid)
    with pytest.raises(Conflict) as err, store.unit_of_work() as uow:
        domain.publish_event(uow, eid)
    assert err.value.details["status"] == "published"
    with store.unit_of_work() as uow:
        domain.complete_event(uow, eid)
    for action in (domain.publish_event, domain.cancel_event, domain.complete_event):
        with pytest.raises(Conflict), store.unit_of_work() as uow:
            action(uow, eid)
    other = schedule(store, resources)
    booking.cancel_event(store, resources, other["id"], {})
    for action in (domain.publish_event, domain.complete_event, domain.cancel_event):
        with pytest.raises(Conflict), store.unit_of_work() as uow:
            action(uow, other["id"])
    with pytest.raises(NotFound), store.unit_of_work() as uow:
        domain.publish_event(uow, 999)


@pytest.mark.parametrize("overrides,field", [
    ({"title": ""}, "title"),
    ({"end": "2026-12-05T00:00:00Z"}, "end"),
    ({"target_groups": ["aliens"]}, "target_groups"),
    ({"plan": "nope"}, "plan"),
    ({"capacity": -1}, "capacity"),
    ({"colour": "red"}, "colour"),
    ({"start": "tomorrow"}, "start"),
    ({"attendees": [{"organisation": "x", "category": "community"}]}, "attendees"),
])
def test_bad_event_input_names_the_field_and_writes_nothing(store, resources, overrides, field):
    with pytest.raises(ValidationFailed) as err:
        booking.schedule_event(store, resources, event_data(venue_id=3, **overrides), "sw1")
    assert field in err.value.details
    assert store.count(Event) == 0 and store.events() == [] and resources.calls == []


def test_bad_registration_input_names_the_field(store, crypto, resources):
    eid = published(store, resources)["id"]
    for data, field in [(person(1, phone="12345"), "phone"),
                        (person(1, target_group="kids"), "target_group"),
                        ({"phone": "13800000001", "target_group": "elderly"}, "name")]:
        with pytest.raises(ValidationFailed) as err, store.unit_of_work() as uow:
            domain.register_participant(uow, crypto, eid, data)
        assert field in err.value.details
    assert store.count(Registration) == 0 and store.count(Resident) == 0


def test_venue_booking_is_compensated_and_released(store, crypto, resources, monkeypatch):
    event = schedule(store, resources, venue_id=5)
    assert event["booking_id"] == 101
    assert resources.bookings[101]["event_id"] == event["id"]  # linked after commit
    assert resources.calls[0] == ("book_venue", {
        "venue_id": 5, "start": START, "end": END, "purpose": "节日活动: 重阳敬老茶话会"})

    # The venue is taken: 409 naming the field, nothing written, no booking made.
    resources.fail["book_venue"] = Conflict("overlaps booking 7", {"booking_id": 7})
    with pytest.raises(Conflict) as err:
        schedule(store, resources, venue_id=5)
    assert err.value.to_dict()["details"] == {"booking_id": 7, "venue_id": ["该场地在这个时间已被预约"]}
    del resources.fail["book_venue"]
    # An unknown venue is a 422 on venue_id.
    resources.fail["book_venue"] = NotFound("no venue 99", {"venue_id": 99})
    with pytest.raises(ValidationFailed) as err:
        schedule(store, resources, venue_id=99)
    assert err.value.to_dict("en")["details"]["venue_id"] == ["unknown venue"]
    # Resources not answering: 503, nothing written.
    resources.fail["book_venue"] = ServiceUnavailable("resources did not answer", {})
    with pytest.raises(ServiceUnavailable):
        schedule(store, resources, venue_id=5)
    del resources.fail["book_venue"]
    assert store.count(Event) == 1

    # The unit of work fails after booking: the booking is released (compensation).
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(domain, "create_event", broken)
    with pytest.raises(RuntimeError):
        schedule(store, resources, venue_id=6)
    monkeypatch.undo()
    assert ("cancel_booking", 102) in resources.calls
    assert list(resources.active()) == [101] and store.count(Event) == 1

    # Cancelling the event frees its room.
    booking.cancel_event(store, resources, event["id"], {"reason": "台风"})
    assert resources.active() == {}
    assert store.events("event_cancelled")[0]["payload"]["booking_id"] == 101
    with store.session() as session:
        assert domain.pending_releases(session) == []


def test_a_release_the_resources_service_missed_is_retried(store, crypto, resources):
    event = schedule(store, resources, venue_id=5)
    resources.fail["cancel_booking"] = ServiceUnavailable("down", {})
    cancelled = booking.cancel_event(store, resources, event["id"], {})
    assert cancelled["status"] == "cancelled"  # the cancellation itself stands
    with store.session() as session:
        assert domain.pending_releases(session) == [101]
    assert booking.release_pending(store, resources) == 0
    del resources.fail["cancel_booking"]
    assert booking.release_pending(store, resources) == 1
    assert resources.active() == {}
    with store.session() as session:
        release = session.execute(select(BookingRelease)).scalar_one()
        assert release.released_at is not None and release.attempts == 3
        assert domain.pending_releases(session) == []

    # A failed scheduling whose compensation cannot reach resources is queued too.
    resources.fail["link_booking_to_event"] = ServiceUnavailable("down", {})
    other = schedule(store, resources, venue_id=6)  # link is best effort
    assert other["booking_id"] == 102


def test_a_booking_made_after_the_call_timed_out_is_found_and_released(store, resources):
    resources.book_then_time_out = True
    with pytest.raises(ServiceUnavailable):
        schedule(store, resources, venue_id=5)
    resources.book_then_time_out = False
    assert list(resources.active()) == [101] and store.count(Event) == 0
    # Someone books the same room later for an event of ours: never touched.
    mine = schedule(store, resources, venue_id=5, start="2026-12-05T03:00:00Z",
                    end="2026-12-05T04:00:00Z")
    assert booking.sweep_uncertain(store, resources, grace_seconds=3600) == 0  # too early
    assert booking.sweep_uncertain(store, resources, grace_seconds=0) == 1
    assert list(resources.active()) == [mine["booking_id"]]
    assert booking.sweep_uncertain(store, resources, grace_seconds=0) == 0  # resolved


def test_rescheduling_books_the_new_slot_then_frees_the_old(store, crypto, resources):
    event = schedule(store, resources, venue_id=5)
    changed = booking.update_event(store, resources, event["id"], {
        "start": "2026-12-06T01:00:00Z", "end": "2026-12-06T03:00:00Z"})
    assert changed["booking_id"] == 102 and list(resources.active()) == [102]
    assert resources.bookings[102]["event_id"] == event["id"]
    assert store.events("event_rescheduled")[0]["payload"] == {
        "event_id": event["id"], "plan": "culture", "kind": "festival",
        "start": "2026-12-06T01:00:00Z", "end": "2026-12-06T03:00:00Z",
        "previous_start": START, "previous_end": END, "venue_id": 5, "booking_id": 102}
    assert len(store.events("event_scheduled")) == 1
    # A title change books nothing; dropping the venue frees it.
    booking.update_event(store, resources, event["id"], {"title": "新标题"})
    dropped = booking.update_event(store, resources, event["id"], {"venue_id": None})
    assert dropped["booking_id"] is None and resources.active() == {}
    with pytest.raises(ValidationFailed) as err:
        booking.update_event(store, resources, event["id"], {"end": "2026-12-01T00:00:00Z"})
    assert "end" in err.value.details
    with pytest.raises(ValidationFailed) as err:
        booking.update_event(store, resources, event["id"], {"minutes": "会议纪要"})
    assert "minutes" in err.value.details


@BOTH_BACKENDS
def test_moving_within_its_own_slot_rebooks_the_room(store, crypto, resources):
    event = schedule(store, resources, venue_id=5)  # 01:00-03:00, booking 101
    moved = booking.update_event(store, resources, event["id"], {"end": "2026-12-05T04:00:00Z"})
    assert moved["booking_id"] == 102 and list(resources.active()) == [102]
    # Someone else holds 04:00-06:00; moving into it fails and the old slot is kept.
    resources.call("book_venue", {"venue_id": 5, "start": "2026-12-05T04:00:00Z",
                                  "end": "2026-12-05T06:00:00Z", "purpose": "other"})
    with pytest.raises(Conflict) as err:
        booking.update_event(store, resources, event["id"], {"end": "2026-12-05T05:00:00Z"})
    assert err.value.details["booking_id"] == 103
    with store.session() as s:
        kept = domain.get_event(s, event["id"])
    assert kept["end"] == "2026-12-05T04:00:00Z" and kept["booking_id"] == 104
    assert resources.bookings[104]["start"] == START and sorted(resources.active()) == [103, 104]


def test_capacity_raise_promotes_the_waitlist(store, crypto, resources):
    eid = published(store, resources, capacity=1)["id"]
    with store.unit_of_work() as uow:
        regs = [domain.register_participant(uow, crypto, eid, person(n)) for n in (1, 2, 3)]
    changed = booking.update_event(store, resources, eid, {"capacity": 2})
    assert changed["promoted_registration_ids"] == [regs[1]["id"]]
    assert changed["counts"]["confirmed"] == 2 and changed["counts"]["waitlisted"] == 1


@BOTH_BACKENDS
def test_listing_public_and_staff(store, crypto, resources):
    a = published(store, resources, kind="lecture", plan="service", target_groups=["children"])
    b = schedule(store, resources, start="2026-12-10T01:00:00Z", end="2026-12-10T02:00:00Z")
    published(store, resources, start="2027-01-10T01:00:00Z", end="2027-01-10T02:00:00Z")
    with store.session() as s:
        public = domain.list_events(s, {"status": "draft"}, staff=False)
        assert public["total"] == 2 and all(e["status"] == "published" for e in public["items"])
        assert "organiser" not in public["items"][0]
        assert domain.list_events(s)["total"] == 3
        assert [e["id"] for e in domain.list_events(s, {"status": "draft"})["items"]] == \
            [b["id"]]
        assert [e["id"] for e in domain.list_events(
            s, {"target_group": "children"})["items"]] == [a["id"]]
        assert domain.list_events(s, {"kind": "lecture", "plan": "service"})["total"] == 1
        assert domain.list_events(s, {"from": "2027-01-01"})["total"] == 1
        assert domain.list_events(s, {"to": "2026-12-05"})["total"] == 1
        page = domain.list_events(s, {"page": 2, "per_page": 2})
        assert page["total"] == 3 and len(page["items"]) == 1
        with pytest.raises(ValidationFailed) as err:
            domain.list_events(s, {"per_page": 500, "from": "someday", "colour": "red"})
        assert set(err.value.details) == {"per_page", "from", "colour"}
        with pytest.raises(NotFound):
            domain.get_event(s, b["id"], staff=False)
        assert domain.get_event(s, a["id"], staff=False)["places_left"] == 2


@BOTH_BACKENDS
def test_idea_votes_adoption_and_action_items(store, crypto, resources):
    with store.unit_of_work() as uow:
        idea = domain.submit_idea(uow, crypto, {
            "title": "楼道加装扶手", "category": "facilities", "compound": "gangwu_xiaoqu",
            "phone": "13700000001", "name": "王伯"})
    for phone in ("13700000001", "13700000002", "13700000003"):
        with store.unit_of_work() as uow:
            voted = domain.vote_idea(uow, crypto, idea["id"], {"phone": phone})
    assert voted["votes"] == 3
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        domain.vote_idea(uow, crypto, idea["id"], {"phone": "137 0000 0002"})

    lecture = published(store, resources)
    with pytest.raises(Conflict), store.unit_of_work() as uow:  # not a joint meeting
        domain.record_decision(uow, lecture["id"], {"summary": "x"})
    meeting = published(store, resources, kind="joint_meeting", plan="system",
                        target_groups=["all_residents"], capacity=0, attendees=[
                            {"organisation": "和通社区居委会", "category": "community", "count": 2},
                            {"organisation": "融和社工", "category": "social_worker"},
                            {"organisation": "业委会", "category": "self_governance"}])
    today = date(2026, 12, 20)
    with store.unit_of_work() as uow:
        decision = domain.adopt_idea(uow, idea["id"], {
            "event_id": meeting["id"], "summary": "采纳：楼道扶手",
            "action_items": [
                {"title": "采购扶手", "owner": "物业", "due_date": "2026-12-10"},
                {"title": "安装验收", "owner": "居委会", "due_date": "2027-01-31"}]}, "sw1")
    assert decision["idea_id"] == idea["id"] and len(decision["action_items"]) == 2
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        domain.record_decision(uow, meeting["id"], {"summary": "again", "idea_id": idea["id"]})
    with pytest.raises(Conflict), store.unit_of_work() as uow:  # voting closed once adopted
        domain.vote_idea(uow, crypto, idea["id"], {"phone": "13700000009"})
    with store.session() as s:
        assert domain.get_idea(s, idea["id"])["status"] == "adopted"
        overdue = domain.list_action_items(s, {"status": "overdue"}, today=today)
        assert [i["title"] for i in overdue["items"]] == ["采购扶手"]
        assert overdue["items"][0]["overdue"] is True
    first = overdue["items"][0]["id"]
    with store.unit_of_work() as uow:
        domain.update_action_item(uow, first, {"status": "in_progress"}, today)
        closed = domain.update_action_item(uow, first, {"status": "done"}, today)
    assert closed["status"] == "done" and closed["overdue"] is False
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        domain.update_action_item(uow, first, {"status": "open"}, today)
    with store.session() as s:
        assert domain.list_action_items(s, {"status": "overdue"}, today=today)["total"] == 0
    with store.unit_of_work() as uow:
        domain.complete_event(uow, meeting["id"])
    completed = store.events("event_completed")[-1]["payload"]
    assert completed["kind"] == "joint_meeting"
    assert completed["five_society"] == {"community": 2, "social_worker": 1,
                                         "self_governance": 1}
    assert [f["payload"]["status"] for f in store.events("action_item_updated")] == \
        ["open", "open", "in_progress", "done"]
    adopted = store.events("idea_adopted")[0]["payload"]
    assert adopted["decision_id"] == decision["id"] and adopted["meeting_event_id"] == \
        meeting["id"]
    assert store.events("decision_recorded")[0]["payload"]["action_item_ids"] == \
        [i["id"] for i in decision["action_items"]]
    assert "13700000001" not in store.raw_outbox() and "王伯" not in store.raw_outbox()


def test_action_item_bad_input(store, crypto, resources):
    meeting = published(store, resources, kind="joint_meeting", plan="system", capacity=0)
    with pytest.raises(ValidationFailed) as err, store.unit_of_work() as uow:
        domain.record_decision(uow, meeting["id"], {
            "summary": "x", "action_items": [{"title": "t", "owner": "o", "due_date": "soon"}]})
    assert "action_items" in err.value.details
    with pytest.raises(ValidationFailed) as err, store.unit_of_work() as uow:
        domain.record_decision(uow, meeting["id"], {"summary": "x", "idea_id": 42})
    assert "idea_id" in err.value.details
    assert store.events("decision_recorded") == []


def test_due_dates_compare_as_dates():
    item = type("I", (), {"status": "open", "due_date": date(2026, 1, 1)})
    assert domain.is_overdue(item, date(2026, 1, 2))
    assert not domain.is_overdue(item, date(2026, 1, 1))
    assert not domain.is_overdue(item, date(2026, 1, 1) - timedelta(days=1))


def test_a_time_without_an_offset_is_the_communitys_local_time(store, resources):
    event = schedule(store, resources, start="2026-12-05T09:30", end="2026-12-05T11:00",
                     venue_id=5)
    assert (event["start"], event["end"]) == ("2026-12-05T01:30:00Z", "2026-12-05T03:00:00Z")
    assert resources.calls[0][1]["start"] == "2026-12-05T01:30:00Z"
    with store.uow() as uow:
        role = domain.add_volunteer_role(uow, event["id"], {
            "name": "签到", "places": 1, "start": "2026-12-05T09:00"})
    assert role["start"] == "2026-12-05T01:00:00Z"
    moved = booking.update_event(store, resources, event["id"], {"end": "2026-12-05T11:30"})
    assert moved["end"] == "2026-12-05T03:30:00Z"
    # An offset given is kept, and every answer is in UTC with Z.
    other = schedule(store, resources, start="2026-12-05T09:30:00+08:00",
                     end="2026-12-05T03:00:00+00:00")
    assert (other["start"], other["end"]) == ("2026-12-05T01:30:00Z", "2026-12-05T03:00:00Z")


def test_date_filters_cover_local_days(store, resources):
    # 01:00 on 5 December in the community is 17:00 UTC on the 4th; 01:00 on the 6th is
    # 17:00 UTC on the 5th.
    early = schedule(store, resources, start="2026-12-04T17:00:00Z",
                     end="2026-12-04T18:00:00Z")
    late = schedule(store, resources, start="2026-12-05T17:00:00Z",
                    end="2026-12-05T18:00:00Z")
    with store.session() as s:
        def listed(**bounds):
            return [e["id"] for e in domain.list_events(s, bounds)["items"]]

        assert listed(**{"from": "2026-12-05", "to": "2026-12-05"}) == [early["id"]]
        assert listed(**{"from": "2026-12-06"}) == [late["id"]]
        assert listed(to="2026-12-06") == [early["id"], late["id"]]
        assert listed(to="2026-12-04") == []


def test_an_action_item_is_overdue_from_the_local_day_after_its_due_date(store, resources,
                                                                         monkeypatch):
    meeting = published(store, resources, kind="joint_meeting", plan="system", capacity=0)
    with store.uow() as uow:
        domain.record_decision(uow, meeting["id"], {"summary": "x", "action_items": [
            {"title": "t", "owner": "o", "due_date": "2026-11-20"}]})
    # 01:00 on 21 November in the community, still the 20th in UTC.
    monkeypatch.setattr(times, "now", lambda: datetime(2026, 11, 20, 17, 0,
                                                       tzinfo=timezone.utc))
    with store.session() as s:
        assert [i["overdue"] for i in domain.list_action_items(s)["items"]] == [True]


def test_attendance_from_a_paper_sheet_keeps_the_time_of_the_event(store, crypto, resources):
    # Held on 5 November (Beijing), typed in on 3 December from the sign-in sheet.
    start, end = "2026-11-05T01:00:00Z", "2026-11-05T03:00:00Z"
    eid = published(store, resources, start=start, end=end, capacity=0)["id"]

    def came(n, **extra):
        return dict({"walk_in": True, "phone": person(n)["phone"], "target_group": "elderly"},
                    **extra)

    for outside in ("2026-11-05T00:59:59Z", "2026-11-05T03:00:01Z", "2026-12-03T01:00:00Z"):
        with pytest.raises(ValidationFailed) as bad, store.unit_of_work() as uow:
            domain.record_attendance(uow, crypto, eid, came(1, attended_at=outside))
        assert list(bad.value.details) == ["attended_at"]
    with store.unit_of_work() as uow:
        given = domain.record_attendance(uow, crypto, eid,
                                         came(1, attended_at="2026-11-05T09:20:00+08:00"))
        defaulted = domain.record_attendance(uow, crypto, eid, came(2))
        at_the_end = domain.record_attendance(uow, crypto, eid, came(3, attended_at=end))
    assert given["attended_at"] == "2026-11-05T01:20:00Z"
    assert defaulted["attended_at"] == start  # the event is over: its start
    assert at_the_end["attended_at"] == end
    facts = [f["payload"] for f in store.events("attendance_recorded")]
    assert [(f["attended_at"], f["event_start"]) for f in facts] == [
        ("2026-11-05T01:20:00Z", start), (start, start), (end, start)]
    # Nobody registers for it any more.
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        domain.register_participant(uow, crypto, eid, person(4))


def test_attendance_while_the_event_runs_is_now_by_default(store, crypto, resources):
    now = times.now().replace(microsecond=0)
    event = published(store, resources, start=times.iso(now - timedelta(hours=1)),
                      end=times.iso(now + timedelta(hours=1)))
    with store.unit_of_work() as uow:
        att = domain.record_attendance(uow, crypto, event["id"], {"walk_in": True,
                                                                  "target_group": "elderly"})
    recorded = times.parse(att["attended_at"])
    assert now <= recorded <= times.now()
