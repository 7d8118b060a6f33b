"""The answers of the events service, exactly: every key and value a client reads, for a
representative record of each kind (masked contacts unless revealed, instants in UTC with
Z, labels, counts)."""
from datetime import date, datetime, timezone

import pytest

from common import times
from services.events import booking, domain

EVENT = {"title": "重阳敬老茶话会", "plan": "culture", "kind": "festival",
         "target_groups": ["families", "elderly"], "compounds": ["fulong_huayuan"],
         "series": "festivals", "description": "茶点", "start": "2026-12-05T01:00:00Z",
         "end": "2026-12-05T03:00:00Z", "capacity": 2, "venue_id": 5}
MEETING = {"title": "联席会", "plan": "system", "kind": "joint_meeting",
           "target_groups": ["all_residents"], "start": "2026-12-06T01:00:00Z",
           "end": "2026-12-06T02:00:00Z", "agenda": "扶手",
           "attendees": [{"organisation": "居委会", "category": "community", "count": 2}]}
NO_COUNTS = {"confirmed": 0, "waitlisted": 0, "cancelled": 0, "attended": 0, "walk_ins": 0,
             "people_served": 0, "feedback_count": 0, "satisfaction_mean": None}


@pytest.fixture
def clock(monkeypatch):
    """Sets the service's clock: ``clock("01:00")`` is 2026-11-20 01:00 UTC."""

    def set_to(hh_mm):
        hour, minute = map(int, hh_mm.split(":"))
        instant = datetime(2026, 11, 20, hour, minute, tzinfo=timezone.utc)
        monkeypatch.setattr(times, "now", lambda: instant)

    return set_to


def person(n):
    return {"name": f"居民{n}", "phone": f"1380000000{n}", "target_group": "elderly",
            "compound": "gangwu_xiaoqu"}


def test_event_answers(store, crypto, resources, clock):
    clock("01:00")
    scheduled = booking.schedule_event(store, resources, EVENT, "sw1")
    eid = scheduled["id"]
    shown = {
        "id": eid, "title": "重阳敬老茶话会", "plan": "culture", "plan_label": "文化融和",
        "kind": "festival", "kind_label": "节日活动", "target_groups": ["elderly", "families"],
        "compounds": ["fulong_huayuan"], "series": "festivals", "series_label": "我们的节日",
        "description": "茶点", "start": "2026-12-05T01:00:00Z", "end": "2026-12-05T03:00:00Z",
        "capacity": 2, "venue_id": 5, "status": "draft", "places_left": 2}
    staff = dict(shown, booking_id=101, organiser="sw1", counts=NO_COUNTS, roles=[],
                 volunteers=None, created_at="2026-11-20T01:00:00Z", published_at=None,
                 completed_at=None, cancelled_at=None, cancel_reason=None)
    assert scheduled == staff

    clock("01:05")
    with store.uow() as uow:
        assert domain.publish_event(uow, eid) == dict(
            staff, status="published", published_at="2026-11-20T01:05:00Z")
    with store.uow() as uow:
        role = domain.add_volunteer_role(uow, eid, {"name": "签到引导", "skills": ["guide"],
                                                    "places": 3,
                                                    "start": "2026-12-05T00:30:00Z"})
    assert role == {"id": 1, "event_id": eid, "name": "签到引导", "skills": ["guide"],
                    "places": 3, "start": "2026-12-05T00:30:00Z",
                    "end": "2026-12-05T03:00:00Z"}

    regs = []
    for n, minute in ((1, "01:10"), (2, "01:11"), (3, "01:12")):
        clock(minute)
        with store.uow() as uow:
            regs.append(domain.register_participant(uow, crypto, eid, person(n)))
    codes = [r.pop("cancel_code") for r in regs]
    assert all(isinstance(c, str) and len(c) >= 12 for c in codes)
    masked = [{"id": n, "event_id": eid, "resident_id": n, "name": "居**",
               "phone": f"138****000{n}", "target_group": "elderly", "compound": "gangwu_xiaoqu",
               "status": "confirmed", "waitlist_position": None,
               "created_at": f"2026-11-20T01:1{n - 1}:00Z"} for n in (1, 2, 3)]
    masked[2].update(status="waitlisted", waitlist_position=1)
    assert regs == masked
    with store.session() as session:
        assert domain.list_registrations(session, crypto, eid, {}, reveal=True) == {
            "items": [dict(m, name=f"居民{n}", phone=f"1380000000{n}")
                      for n, m in zip((1, 2, 3), masked)],
            "total": 3, "page": 1, "per_page": 20}
        assert domain.list_registrations(session, crypto, eid)["items"] == masked

    clock("01:20")
    with store.uow() as uow:
        attended = domain.record_attendance(uow, crypto, eid, {"registration_id": 1})
    assert attended == {"id": 1, "event_id": eid, "resident_id": 1, "registration_id": 1,
                        "walk_in": False, "target_group": "elderly", "compound": "gangwu_xiaoqu",
                        # checked in before the event began: it counts from the start
                        "attended_at": "2026-12-05T01:00:00Z"}

    counts = dict(NO_COUNTS, confirmed=2, waitlisted=1, attended=1, people_served=1)
    role_shown = dict(role)
    staff = dict(staff, status="published", published_at="2026-11-20T01:05:00Z",
                 places_left=0, counts=counts, roles=[role_shown])
    with store.session() as session:
        assert domain.get_event(session, eid) == staff
        assert domain.get_event(session, eid, staff=False) == dict(
            shown, status="published", places_left=0)
        listed = {key: staff[key] for key in (
            "id", "title", "plan", "kind", "kind_label", "target_groups", "compounds",
            "series", "series_label", "description", "start", "end", "capacity", "venue_id",
            "status", "places_left")}
        assert domain.list_events(session, {}, staff=False) == {
            "items": [listed], "total": 1, "page": 1, "per_page": 20}
        assert domain.list_events(session)["items"] == [
            dict(listed, organiser="sw1", booking_id=101, confirmed=2)]

    raised = booking.update_event(store, resources, eid, {"capacity": 3})
    staff = dict(staff, capacity=3, counts=dict(counts, confirmed=3, waitlisted=0))
    assert raised == dict(staff, promoted_registration_ids=[3])

    clock("01:30")
    with store.uow() as uow:
        cancelled = domain.cancel_registration(uow, crypto, 2, staff=True)
    assert cancelled == dict(masked[1], status="cancelled", promoted_registration_id=None)

    clock("01:40")
    with store.uow() as uow:
        completed = domain.complete_event(uow, eid)
    assert completed == dict(staff, status="completed", places_left=1, volunteers=3,
                             completed_at="2026-11-20T01:40:00Z",
                             counts=dict(staff["counts"], confirmed=2, cancelled=1))
    clock("01:50")
    with store.uow() as uow:
        feedback = domain.submit_feedback(uow, crypto, eid, {
            "phone": "13800000001", "score": 5, "comment": "好"})
    assert feedback == {"id": 1, "event_id": eid, "score": 5, "comment": "好",
                        "created_at": "2026-11-20T01:50:00Z"}

    clock("01:55")
    other = booking.schedule_event(store, resources, dict(EVENT, venue_id=None), "sw2")
    cancelled_event = booking.cancel_event(store, resources, other["id"], {"reason": "台风"})
    assert cancelled_event == dict(
        shown, id=other["id"], venue_id=None, booking_id=None, organiser="sw2",
        counts=NO_COUNTS, roles=[], volunteers=None, created_at="2026-11-20T01:55:00Z",
        published_at=None, completed_at=None, status="cancelled",
        cancelled_at="2026-11-20T01:55:00Z", cancel_reason="台风")


def test_idea_meeting_decision_and_action_answers(store, crypto, resources, clock):
    clock("02:00")
    with store.uow() as uow:
        idea = domain.submit_idea(uow, crypto, {
            "title": "楼道扶手", "category": "facilities", "compound": "gangwu_xiaoqu",
            "phone": "13700000001", "name": "王伯"})
    submitted = {"id": 1, "title": "楼道扶手", "description": None, "category": "facilities",
                 "category_label": "设施改善", "compound": "gangwu_xiaoqu", "status": "submitted",
                 "votes": 0, "decision_id": None, "created_at": "2026-11-20T02:00:00Z",
                 "adopted_at": None}
    assert idea == submitted
    with store.uow() as uow:
        assert domain.vote_idea(uow, crypto, 1, {"phone": "13700000002"}) == {
            "idea_id": 1, "votes": 1}

    clock("02:10")
    meeting = booking.schedule_event(store, resources, MEETING, "sw1")
    with store.uow() as uow:
        domain.publish_event(uow, meeting["id"])
    clock("02:20")
    with store.uow() as uow:
        decision = domain.adopt_idea(uow, 1, {
            "event_id": meeting["id"], "summary": "采纳", "action_items": [
                {"title": "采购", "owner": "物业", "due_date": "2026-11-10"},
                {"title": "安装", "owner": "居委会", "due_date": "2026-12-31"}]}, "sw1")
    item = {"id": 1, "decision_id": 1, "event_id": meeting["id"], "title": "采购",
            "owner": "物业", "due_date": "2026-11-10", "status": "open", "overdue": True,
            "note": None, "updated_at": "2026-11-20T02:20:00Z"}
    later = dict(item, id=2, title="安装", owner="居委会", due_date="2026-12-31",
                 overdue=False)
    recorded = {"id": 1, "event_id": meeting["id"], "summary": "采纳", "idea_id": 1,
                "action_items": [item, later], "created_at": "2026-11-20T02:20:00Z"}
    assert decision == recorded

    with store.session() as session:
        assert domain.get_event(session, meeting["id"]) == {
            "id": meeting["id"], "title": "联席会", "plan": "system", "plan_label": "体系融和",
            "kind": "joint_meeting", "kind_label": "联席会", "target_groups": ["all_residents"],
            "compounds": [], "series": None, "series_label": None, "description": None,
            "start": "2026-12-06T01:00:00Z",
            "end": "2026-12-06T02:00:00Z", "capacity": 0, "venue_id": None,
            "status": "published", "places_left": None, "booking_id": None,
            "organiser": "sw1", "counts": NO_COUNTS, "roles": [], "volunteers": None,
            "created_at": "2026-11-20T02:10:00Z", "published_at": "2026-11-20T02:10:00Z",
            "completed_at": None, "cancelled_at": None, "cancel_reason": None,
            "agenda": "扶手", "minutes": None,
            "attendees": [{"partner_id": None, "organisation": "居委会",
                           "category": "community", "count": 2}],
            "residents": 0, "others": 0,
            "five_society": {"community": 2}, "decisions": [recorded]}
        assert domain.list_action_items(session, {}, today=date(2026, 11, 20)) == {
            "items": [item, later], "total": 2, "page": 1, "per_page": 20}
        assert domain.list_ideas(session) == {
            "items": [dict(submitted, status="adopted", votes=1, decision_id=1,
                           adopted_at="2026-11-20T02:20:00Z")],
            "total": 1, "page": 1, "per_page": 20}
        assert domain.get_idea(session, 1)["status"] == "adopted"

    clock("02:30")
    with store.uow() as uow:
        updated = domain.update_action_item(uow, 1, {"status": "in_progress", "note": "已联系"},
                                            date(2026, 11, 20))
    assert updated == dict(item, status="in_progress", note="已联系",
                           updated_at="2026-11-20T02:30:00Z")
