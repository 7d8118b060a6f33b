"""The exact answers of the resources service for one representative record of each kind:
every key and value a client reads (the console, the events service, the export), with
personal data masked unless revealed."""
from datetime import datetime

import pytest
from sqlalchemy import update

from services.resources import domain
from services.resources.models import Booking, Match, Need, Partner, Resource

# One fixed instant for every stored timestamp, so that the answers can be written out.
STORED = datetime(2026, 3, 1, 2, 3, 4)  # naive UTC, as the tables keep it
ANSWERED = "2026-03-01T02:03:04Z"  # every answer: UTC with Z


def pin_times(store, model, *columns, **where):
    with store.session() as session:
        session.execute(update(model).filter_by(**where).values(
            {column: STORED for column in columns}))


@pytest.fixture
def partner(store, crypto):
    with store.uow() as uow:
        partner = domain.register_partner(uow, crypto, {
            "name": "和通小学", "kind": "school", "five_society": "social_resource",
            "description": "四点半课堂的合作学校", "contact_name": "王老师",
            "contact_phone": "139 1234 5678", "compounds": ["fulong_huayuan", "gangwu_xiaoqu"]})
    pin_times(store, Partner, "created_at", "updated_at", id=partner["id"])
    return partner


@pytest.fixture
def resource(store, partner):
    with store.uow() as uow:
        resource = domain.register_resource(uow, {
            "type": "service", "title": "长者上门照料", "description": "每周一次",
            "partner_id": partner["id"], "target_groups": ["elderly", "disabled"],
            "need_categories": ["care", "health"], "quantity": 10, "unit": "次",
            "available_from": "2026-01-01", "available_to": "2099-12-31",
            "availability_note": "工作日", "value_yuan": 2000.456, "unit_value_yuan": 150.333})
    pin_times(store, Resource, "created_at", "updated_at", id=resource["id"])
    return resource


@pytest.fixture
def hall(store):
    with store.uow() as uow:
        return domain.register_venue(uow, {
            "code": "C-H1", "name": "儿童活动厅", "wing": "children", "kind": "hall",
            "capacity": 60, "equipment": ["音响", "投影"], "description": "一楼",
            "opening_hours": {"sat": [["08:30", "12:00"], ["14:00", "21:00"]]}})


@pytest.fixture
def booking(store, hall):
    with store.uow() as uow:
        booking = domain.book_venue(uow, {
            "venue_id": hall["id"], "start": "2026-12-05T09:00:00",
            "end": "2026-12-05T10:30:00+08:00", "purpose": "亲子活动", "event_id": 7,
            "booked_by": "worker1"})
    pin_times(store, Booking, "created_at", id=booking["id"])
    return booking


@pytest.fixture
def need(store, crypto, resource):
    with store.uow() as uow:
        need = domain.register_need(uow, crypto, {
            "target_group": "elderly", "category": "care", "urgency": "high",
            "compound": "fulong_huayuan", "description": "独居老人，需要每周上门探访",
            "resident_name": "陈阿婆", "resident_phone": "13800001111"}, actor="worker1")
    with store.uow() as uow:
        domain.match_need(uow, crypto, need["id"], {
            "resource_id": resource["id"], "quantity": 2, "volunteer_id": 5, "note": "先试两次"},
            actor="worker1")
    pin_times(store, Need, "created_at", "matched_at", id=need["id"])
    pin_times(store, Match, "created_at", need_id=need["id"])
    return need


def test_partner_answer(store, crypto, partner, resource):
    expected = {
        "id": partner["id"], "name": "和通小学", "kind": "school", "kind_label": "学校",
        "five_society": "social_resource", "five_society_label": "社会资源",
        "description": "四点半课堂的合作学校", "contact_name": "王老师",
        "contact_phone": "139****5678", "compounds": ["fulong_huayuan", "gangwu_xiaoqu"],
        "status": "active", "sample": False, "created_at": ANSWERED, "updated_at": ANSWERED,
        "resource_count": 1}
    with store.session() as session:
        assert domain.get_partner(session, crypto, partner["id"]) == expected
        assert domain.get_partner(session, crypto, partner["id"], reveal=True) == dict(
            expected, contact_phone="13912345678")
        listed = domain.list_partners(session, crypto, {})
    assert listed == {"items": [{k: v for k, v in expected.items() if k != "resource_count"}],
                      "total": 1, "page": 1, "per_page": 20}


def test_resource_answer(store, partner, resource):
    expected = {
        "id": resource["id"], "type": "service", "type_label": "服务",
        "title": "长者上门照料", "description": "每周一次", "partner_id": partner["id"],
        "partner_name": "和通小学", "target_groups": ["elderly", "disabled"],
        "need_categories": ["care", "health"], "quantity": 10, "quantity_left": 10,
        "unit": "次", "available_from": "2026-01-01", "available_to": "2099-12-31",
        "availability_note": "工作日", "value_yuan": 2000.46, "unit_value_yuan": 150.33,
        "status": "active", "sample": False, "created_at": ANSWERED, "updated_at": ANSWERED}
    with store.session() as session:
        assert domain.get_resource(session, resource["id"]) == expected
        assert domain.list_resources(session, {})["items"] == [expected]
        assert domain.resource_list(session) == [
            dict(expected, partner_compounds=["fulong_huayuan", "gangwu_xiaoqu"])]


def test_resource_answer_without_partner_or_unit_value(store):
    with store.uow() as uow:
        resource = domain.register_resource(uow, {
            "type": "material", "title": "爱心书包", "target_groups": ["children"]})
    with store.session() as session:
        answer = domain.get_resource(session, resource["id"])
    assert {k: answer[k] for k in ("partner_id", "partner_name", "need_categories",
                                   "quantity", "quantity_left", "unit", "available_from",
                                   "available_to", "value_yuan", "unit_value_yuan")} == {
        "partner_id": None, "partner_name": None, "need_categories": [], "quantity": None,
        "quantity_left": None, "unit": None, "available_from": None, "available_to": None,
        "value_yuan": 0.0, "unit_value_yuan": None}


def test_venue_answer(store, hall):
    expected = {
        "id": hall["id"], "code": "C-H1", "name": "儿童活动厅", "wing": "children",
        "wing_label": "儿童服务区", "kind": "hall", "kind_label": "活动厅", "capacity": 60,
        "equipment": ["音响", "投影"],
        "opening_hours": {"sat": [["08:30", "12:00"], ["14:00", "21:00"]]},
        "description": "一楼", "status": "active"}
    assert hall == expected
    with store.session() as session:
        assert domain.get_venue(session, hall["id"]) == expected
        assert domain.list_venues(session, {}) == [expected]


def test_booking_answer(store, hall, booking):
    expected = {
        "id": booking["id"], "venue_id": hall["id"], "venue_name": "儿童活动厅",
        "start": "2026-12-05T01:00:00Z", "end": "2026-12-05T02:30:00Z",
        "minutes": 90, "purpose": "亲子活动", "event_id": 7, "series_id": None,
        "status": "active",
        "created_at": ANSWERED, "cancelled_at": None}
    with store.session() as session:
        assert domain.get_booking(session, booking["id"]) == expected
        listing = domain.list_venue_bookings(session, hall["id"], {
            "from": "2026-12-05T00:00:00+08:00", "to": "2026-12-06T00:00:00+08:00"})
    assert listing == {"venue": hall, "from": "2026-12-04T16:00:00Z",
                       "to": "2026-12-05T16:00:00Z", "items": [expected]}
    with store.uow() as uow:
        cancelled = domain.cancel_booking(uow, booking["id"])
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"].endswith("Z")


def test_need_answer(store, crypto, resource, need):
    match = {
        "id": 1, "need_id": need["id"], "resource_id": resource["id"],
        "resource_title": "长者上门照料", "volunteer_id": 5, "quantity": 2,
        "value_yuan": 300.67, "note": "先试两次", "matched_by": "worker1",
        "created_at": ANSWERED, "sample": False}
    expected = {
        "id": need["id"], "number": f"XQ{need['id']:06d}", "target_group": "elderly",
        "target_group_label": "老年人", "category": "care", "category_label": "照料",
        "urgency": "high", "compound": "fulong_huayuan",
        "description": "独居老人，需要每周上门探访", "resident_name": "陈**",
        "resident_phone": "138****1111", "status": "matched", "status_label": "已匹配",
        "outcome": None, "outcome_note": None, "satisfaction": None,
        "created_at": ANSWERED, "matched_at": ANSWERED, "in_service_at": None,
        "closed_at": None, "matches": [match], "value_linked_yuan": 300.67}
    with store.session() as session:
        assert domain.get_need(session, crypto, need["id"]) == expected
        assert domain.get_need(session, crypto, need["id"], reveal=True) == dict(
            expected, resident_name="陈阿婆", resident_phone="13800001111")
        listed = domain.list_needs(session, crypto, {})
    without_matches = {k: v for k, v in expected.items()
                       if k not in ("matches", "value_linked_yuan")}
    assert listed == {"items": [without_matches], "total": 1, "page": 1, "per_page": 20}
