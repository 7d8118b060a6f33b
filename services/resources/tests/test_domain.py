"""Unit tests of domain.py on a real SQLite database (no broker)."""
import base64
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from common import pii
from common.errors import Conflict, NotFound, ValidationFailed
from services.resources import domain, export, sample
from services.resources.models import Booking, Match, Need, Partner, Resource, Venue
from services.resources.tests.helpers import next_weekday

SATURDAY = next_weekday(5)
WEDNESDAY = next_weekday(2)


def slot(day, start, end, offset="+08:00"):
    return f"{day.isoformat()}T{start}:00{offset}", f"{day.isoformat()}T{end}:00{offset}"


@pytest.fixture
def hall(store):
    with store.uow() as uow:
        return domain.register_venue(uow, {
            "code": "C-H1", "name": "儿童活动厅", "wing": "children", "kind": "hall",
            "capacity": 60, "equipment": ["音响"],
            "opening_hours": {"sat": [["08:30", "12:00"], ["14:00", "21:00"]],
                              "wed": [["14:30", "21:00"]]}})


@pytest.fixture
def partner(store, crypto):
    with store.uow() as uow:
        return domain.register_partner(uow, crypto, {
            "name": "和通小学", "kind": "school", "five_society": "social_resource",
            "contact_name": "王老师", "contact_phone": "13912345678",
            "compounds": ["fulong_huayuan"]})


def book(store, venue_id, start, end, purpose="小组活动", **extra):
    with store.uow() as uow:
        return domain.book_venue(uow, dict(venue_id=venue_id, start=start, end=end,
                                           purpose=purpose, **extra))


def raw_rows(store, table):
    with store.session() as session:
        return [dict(r._mapping) for r in session.execute(text(f"SELECT * FROM {table}"))]


# ---------------------------------------------------------------- partners (PII)

def test_partner_contact_is_encrypted_hashed_and_masked(store, crypto, partner):
    assert partner["contact_phone"] == "139****5678"
    assert partner["contact_name"] == "王老师"
    (row,) = raw_rows(store, "partners")
    assert "13912345678" not in json.dumps(row, default=str)
    assert row["contact_phone_hash"] == crypto.lookup_hash("139 1234 5678")
    with store.session() as session:
        revealed = domain.get_partner(session, crypto, partner["id"], reveal=True)
    assert revealed["contact_phone"] == "13912345678"
    (event,) = store.events("partner_registered")
    assert event["payload"]["kind"] == "school"
    assert "1391234" not in json.dumps(event) and "王老师" not in json.dumps(event)


def test_partner_update_names_changed_fields_never_their_values(store, crypto, partner):
    with store.uow() as uow:
        updated = domain.update_partner(uow, crypto, partner["id"], {
            "contact_phone": "0592-5551234", "status": "inactive"})
    assert updated["contact_phone"] == "059****1234"
    assert updated["status"] == "inactive"
    (event,) = store.events("partner_updated")
    assert sorted(event["payload"]["changed_fields"]) == ["contact_phone", "status"]
    assert "5551234" not in json.dumps(event)
    with store.uow() as uow:  # nothing changed: no event
        domain.update_partner(uow, crypto, partner["id"], {"status": "inactive"})
    assert len(store.events("partner_updated")) == 1
    with pytest.raises(ValidationFailed) as exc:
        with store.uow() as uow:
            domain.update_partner(uow, crypto, partner["id"], {})
    assert "_schema" in exc.value.details


# ---------------------------------------------------------------- resource library

def resource_data(**overrides):
    data = {"type": "service", "title": "长者上门照料", "target_groups": ["elderly"],
            "need_categories": ["care"], "quantity": 10, "unit": "次", "value_yuan": 2000}
    data.update(overrides)
    return data


def add_resource(store, **overrides):
    with store.uow() as uow:
        return domain.register_resource(uow, resource_data(**overrides))


@pytest.mark.parametrize("bad, field", [
    ({"target_groups": ["martians"]}, "target_groups"),
    ({"quantity": -1}, "quantity"),
    ({"value_yuan": -5}, "value_yuan"),
    ({"available_from": "2027-03-01", "available_to": "2027-02-01"}, "available_to"),
    ({"partner_id": 999}, "partner_id"),
    ({"type": "spaceship"}, "type"),
    ({"colour": "red"}, "colour"),
])
def test_bad_resource_is_refused_naming_the_field_and_nothing_is_written(store, bad, field):
    with pytest.raises(ValidationFailed) as exc:
        add_resource(store, **bad)
    assert field in exc.value.details
    assert store.count(Resource) == 0
    assert store.events() == []


def test_resource_filters_free_text_and_pagination(store, partner):
    add_resource(store, partner_id=partner["id"])
    add_resource(store, title="四点半课堂", target_groups=["children"],
                 need_categories=["tutoring"], description="作业辅导，小学生")
    add_resource(store, title="爱心物资包", type="material", target_groups=["families"],
                 need_categories=["material"], quantity=50)
    with store.session() as session:
        def titles(**query):
            return [r["title"] for r in domain.list_resources(session, query)["items"]]

        assert titles(target_group="elderly") == ["长者上门照料"]
        assert titles(category="tutoring") == ["四点半课堂"]
        assert titles(type="material") == ["爱心物资包"]
        assert titles(partner_id=partner["id"]) == ["长者上门照料"]
        # a compound: the resources whose provider serves it
        assert titles(compound="fulong_huayuan") == ["长者上门照料"]
        assert titles(compound="banshan_linhai") == []
        assert titles(q="小学生") == ["四点半课堂"]          # description
        assert titles(q="和通小学") == ["长者上门照料"]        # provider's name
        assert titles(q="100%") == []                          # LIKE wildcards are literal
        page = domain.list_resources(session, {"per_page": 2, "page": 2})
        assert page["total"] == 3 and [r["title"] for r in page["items"]] == ["爱心物资包"]
        with pytest.raises(ValidationFailed) as exc:
            domain.list_resources(session, {"per_page": 1000})
        assert "per_page" in exc.value.details


def test_resource_update_keeps_matched_quantity_and_archive_hides_it(store, crypto):
    resource = add_resource(store, quantity=10)
    need = add_need(store, crypto)
    with store.uow() as uow:
        domain.match_need(uow, crypto, need["id"], {"resource_id": resource["id"], "quantity": 4})
    with pytest.raises(ValidationFailed) as exc:
        with store.uow() as uow:
            domain.update_resource(uow, resource["id"], {"quantity": 3})
    assert "quantity" in exc.value.details
    with store.uow() as uow:
        updated = domain.update_resource(uow, resource["id"], {"quantity": 20, "title": "上门照料"})
    assert (updated["quantity"], updated["quantity_left"]) == (20, 16)
    event = store.events("resource_updated")[-1]["payload"]
    assert {"quantity", "quantity_left", "title"} <= set(event["changed_fields"])
    with store.uow() as uow:
        archived = domain.archive_resource(uow, resource["id"])
    with store.uow() as uow:
        domain.archive_resource(uow, resource["id"])  # idempotent, no second event
    assert archived["status"] == "archived"
    assert [e["payload"]["status"] for e in store.events("resource_updated")][-1] == "archived"
    assert len([e for e in store.events("resource_updated")
                if e["payload"]["changed_fields"] == ["status"]]) == 1
    with store.session() as session:
        assert domain.list_resources(session)["total"] == 0
        assert domain.list_resources(session, {"status": "all"})["total"] == 1


# ---------------------------------------------------------------- venues and bookings

def test_booking_overlap_is_refused_naming_the_conflicting_booking(store, hall):
    first = book(store, hall["id"], *slot(SATURDAY, "09:00", "11:00"), event_id=7)
    assert first["status"] == "active" and first["event_id"] == 7
    assert first["start"] == f"{SATURDAY.isoformat()}T01:00:00Z"
    for start, end in (("10:00", "11:30"), ("08:30", "09:30"), ("09:30", "10:00"),
                       ("08:30", "12:00")):
        with pytest.raises(Conflict) as exc:
            book(store, hall["id"], *slot(SATURDAY, start, end))
        assert exc.value.details["booking_id"] == first["id"]
        assert str(first["id"]) in exc.value.message
    # Touching ends are not overlaps.
    book(store, hall["id"], *slot(SATURDAY, "11:00", "12:00"))
    book(store, hall["id"], *slot(SATURDAY, "08:30", "09:00"))
    assert store.count(Booking) == 3
    (event, *_rest) = store.events("venue_booked")
    assert event["payload"] == {
        "booking_id": first["id"], "venue_id": hall["id"], "event_id": 7, "minutes": 120,
        "series_id": None,
        "start": f"{SATURDAY.isoformat()}T01:00:00Z", "end": f"{SATURDAY.isoformat()}T03:00:00Z"}


def test_local_time_without_offset_and_utc_are_the_same_instant(store, hall):
    book(store, hall["id"], f"{SATURDAY}T09:00:00", f"{SATURDAY}T10:00:00")
    with pytest.raises(Conflict):
        book(store, hall["id"], f"{SATURDAY}T01:30:00Z", f"{SATURDAY}T02:30:00Z")


@pytest.mark.parametrize("start, end, field", [
    ("12:00", "14:00", "start"),    # lunch break
    ("20:00", "22:00", "start"),    # past closing
    ("07:00", "09:00", "start"),    # before opening
    ("11:00", "09:00", "end"),      # end before start
    ("10:00", "10:00", "end"),      # empty slot
])
def test_booking_outside_opening_hours_or_reversed_is_422(store, hall, start, end, field):
    with pytest.raises(ValidationFailed) as exc:
        book(store, hall["id"], *slot(SATURDAY, start, end))
    assert field in exc.value.details
    assert store.count(Booking) == 0 and store.events("venue_booked") == []


def test_booking_on_a_closed_day_or_unknown_venue(store, hall):
    monday = next_weekday(0)
    with pytest.raises(ValidationFailed) as exc:
        book(store, hall["id"], *slot(monday, "15:00", "16:00"))
    assert "closed" in exc.value.message
    with pytest.raises(NotFound) as exc:
        book(store, 999, *slot(SATURDAY, "09:00", "10:00"))
    assert "venue_id" in exc.value.details
    with pytest.raises(ValidationFailed) as exc:
        book(store, hall["id"], *slot(SATURDAY, "09:00", "10:00"), colour="red")
    assert "colour" in exc.value.details


def test_cancel_frees_the_slot_and_is_idempotent(store, hall):
    first = book(store, hall["id"], *slot(WEDNESDAY, "15:00", "17:00"))
    with store.uow() as uow:
        cancelled = domain.cancel_booking(uow, first["id"])
    with store.uow() as uow:
        again = domain.cancel_booking(uow, first["id"])
    assert cancelled["status"] == again["status"] == "cancelled"
    assert len(store.events("venue_booking_cancelled")) == 1
    assert store.events("venue_booking_cancelled")[0]["payload"]["minutes"] == 120
    second = book(store, hall["id"], *slot(WEDNESDAY, "15:00", "17:00"))
    assert second["id"] != first["id"]
    with pytest.raises(NotFound):
        with store.uow() as uow:
            domain.cancel_booking(uow, 999)


def test_link_booking_to_event(store, hall):
    booking = book(store, hall["id"], *slot(SATURDAY, "14:00", "16:00"))
    with store.uow() as uow:
        assert domain.link_booking_to_event(uow, booking["id"], 42)["event_id"] == 42
    with store.uow() as uow:  # same event again: fine
        domain.link_booking_to_event(uow, booking["id"], 42)
    with pytest.raises(Conflict):
        with store.uow() as uow:
            domain.link_booking_to_event(uow, booking["id"], 43)


def test_free_venues_and_bookings_listing(store, hall):
    with store.uow() as uow:
        room = domain.register_venue(uow, {"name": "书画室", "wing": "elders", "kind": "room",
                                           "capacity": 16})
    assert room["code"] == f"V{room['id']:03d}"
    assert room["opening_hours"]["mon"] == [["08:30", "12:00"], ["14:30", "21:00"]]
    book(store, hall["id"], *slot(SATURDAY, "09:00", "10:00"))

    def free(start, end, **query):
        free_from, free_to = slot(SATURDAY, start, end)
        with store.session() as session:
            return [v["id"] for v in domain.list_venues(
                session, dict(query, free_from=free_from, free_to=free_to))]

    assert free("09:30", "10:30") == [room["id"]]
    assert set(free("10:00", "11:00")) == {room["id"], hall["id"]}
    assert free("10:00", "11:00", min_capacity=50) == [hall["id"]]
    with pytest.raises(ValidationFailed) as exc:
        free("11:00", "10:00")
    assert "free_to" in exc.value.details
    with store.session() as session:
        listing = domain.list_venue_bookings(session, hall["id"], {
            "from": f"{SATURDAY}T00:00:00", "to": f"{SATURDAY}T23:59:00"})
        assert len(listing["items"]) == 1 and listing["items"][0]["venue_name"] == "儿童活动厅"


def test_bookings_listing_takes_local_days(store, hall):
    """``from`` and ``to`` may be dates: local days, ``to`` included whole."""
    evening = book(store, hall["id"], *slot(SATURDAY, "20:00", "21:00"))
    book(store, hall["id"], *slot(SATURDAY + timedelta(days=7), "09:00", "10:00"))
    day = SATURDAY.isoformat()
    with store.session() as session:
        listing = domain.list_venue_bookings(session, hall["id"], {"from": day, "to": day})
    assert [b["id"] for b in listing["items"]] == [evening["id"]]
    assert (listing["from"], listing["to"]) == (
        f"{(SATURDAY - timedelta(days=1)).isoformat()}T16:00:00Z", f"{day}T16:00:00Z")


def test_venue_hours_can_change(store, hall):
    with store.uow() as uow:
        changed = domain.update_venue(uow, hall["id"], {
            "opening_hours": {"sat": [["08:00", "22:00"]]}, "capacity": 70})
    assert changed["capacity"] == 70 and changed["opening_hours"] == {"sat": [["08:00", "22:00"]]}
    book(store, hall["id"], *slot(SATURDAY, "12:00", "14:00"))  # the lunch break is gone
    with pytest.raises(ValidationFailed):  # Wednesday is closed now
        book(store, hall["id"], *slot(WEDNESDAY, "15:00", "16:00"))
    with pytest.raises(ValidationFailed) as exc:
        with store.uow() as uow:
            domain.update_venue(uow, hall["id"], {"capacity": 0})
    assert "capacity" in exc.value.details
    with pytest.raises(NotFound):
        with store.uow() as uow:
            domain.update_venue(uow, 999, {"capacity": 5})


def test_bad_opening_hours_are_refused(store):
    with pytest.raises(ValidationFailed) as exc:
        with store.uow() as uow:
            domain.register_venue(uow, {"name": "x", "wing": "children", "kind": "room",
                                        "capacity": 5,
                                        "opening_hours": {"mon": [["12:00", "09:00"]],
                                                          "funday": []}})
    assert "opening_hours" in exc.value.details
    assert store.count(Venue) == 0


# ---------------------------------------------------------------- needs

def add_need(store, crypto, **overrides):
    data = {"target_group": "elderly", "category": "care", "urgency": "high",
            "compound": "fulong_huayuan", "description": "独居老人，需要每周上门探访",
            "resident_name": "陈阿婆", "resident_phone": "13800001111"}
    data.update(overrides)
    with store.uow() as uow:
        return domain.register_need(uow, crypto, data, actor="worker1")


def test_need_intake_keeps_contact_encrypted_masked_and_out_of_events(store, crypto):
    need = add_need(store, crypto, description="电话13800001111，住3栋")
    assert need["number"] == f"XQ{need['id']:06d}"
    assert need["resident_phone"] == "138****1111"
    assert need["resident_name"] == "陈**"
    assert "13800001111" not in need["description"]  # redacted from free text
    (row,) = raw_rows(store, "needs")
    assert "13800001111" not in json.dumps(row, default=str)
    assert "陈阿婆" not in json.dumps(row, default=str)
    (event,) = store.events("need_registered")
    assert event["payload"]["target_group"] == "elderly"
    assert not pii.contains_pii(json.dumps(event, ensure_ascii=False))
    assert "陈阿婆" not in json.dumps(event, ensure_ascii=False)
    with store.session() as session:
        assert domain.get_need(session, crypto, need["id"], reveal=True)["resident_phone"] \
            == "13800001111"
    second = add_need(store, crypto, category="health")
    assert second["open_needs_of_same_resident"] == [need["id"]]


@pytest.mark.parametrize("bad, field", [
    ({"target_group": "aliens"}, "target_group"),
    ({"category": "magic"}, "category"),
    ({"resident_phone": "12345"}, "resident_phone"),
    ({"urgency": "yesterday"}, "urgency"),
    ({"description": ""}, "description"),
])
def test_bad_need_is_refused_naming_the_field(store, crypto, bad, field):
    with pytest.raises(ValidationFailed) as exc:
        add_need(store, crypto, **bad)
    assert field in exc.value.details
    assert store.count(Need) == 0 and store.events() == []


def test_need_lifecycle_and_its_events(store, crypto):
    resource = add_resource(store, quantity=10, value_yuan=2000)  # 200 yuan a visit
    need = add_need(store, crypto)
    with pytest.raises(Conflict):  # open → in_service skips matching
        with store.uow() as uow:
            domain.start_service(uow, crypto, need["id"])
    with store.uow() as uow:
        matched = domain.match_need(uow, crypto, need["id"],
                                    {"resource_id": resource["id"], "quantity": 3,
                                     "volunteer_id": 5}, actor="worker1")
    assert matched["status"] == "matched"
    assert matched["match"]["value_yuan"] == 600.0
    assert matched["value_linked_yuan"] == 600.0
    with store.uow() as uow:  # a second match: more value, not a first match
        domain.match_need(uow, crypto, need["id"], {"resource_id": resource["id"]})
    with store.session() as session:
        assert domain.get_resource(session, resource["id"])["quantity_left"] == 6
    with pytest.raises(Conflict) as exc:  # not in service yet: only withdrawn/referred
        with store.uow() as uow:
            domain.close_need(uow, crypto, need["id"], {"outcome": "resolved"})
    assert exc.value.details["status"] == "matched"
    with store.uow() as uow:
        assert domain.start_service(uow, crypto, need["id"])["status"] == "in_service"
    with store.uow() as uow:
        closed = domain.close_need(uow, crypto, need["id"],
                                   {"outcome": "resolved", "satisfaction": 5})
    assert closed["status"] == "closed" and closed["satisfaction"] == 5
    for action in (lambda uow: domain.close_need(uow, crypto, need["id"], {"outcome": "resolved"}),
                   lambda uow: domain.start_service(uow, crypto, need["id"]),
                   lambda uow: domain.match_need(uow, crypto, need["id"], {"volunteer_id": 1})):
        with pytest.raises(Conflict):
            with store.uow() as uow:
                action(uow)

    matched_events = [e["payload"] for e in store.events("need_matched")]
    assert [(e["first_match"], e["value_yuan"], e["quantity"]) for e in matched_events] == \
        [(True, 600.0, 3), (False, 200.0, 1)]
    assert matched_events[0]["volunteer_id"] == 5
    assert matched_events[0]["category"] == "care"
    (closed_event,) = store.events("need_closed")
    assert closed_event["payload"]["outcome"] == "resolved"
    assert closed_event["payload"]["satisfaction"] == 5
    assert len(store.events("need_service_started")) == 1
    left = [e["payload"]["quantity_left"] for e in store.events("resource_updated")]
    assert left == [7, 6]


def test_unserved_need_closes_as_withdrawn(store, crypto):
    need = add_need(store, crypto)
    with store.uow() as uow:
        closed = domain.close_need(uow, crypto, need["id"], {"outcome": "withdrawn"})
    assert closed["status"] == "closed" and closed["satisfaction"] is None


def test_match_refuses_more_than_is_left_unknown_or_archived_resources(store, crypto):
    resource = add_resource(store, quantity=2)
    need = add_need(store, crypto)
    with pytest.raises(Conflict) as exc:
        with store.uow() as uow:
            domain.match_need(uow, crypto, need["id"], {"resource_id": resource["id"],
                                                        "quantity": 3})
    assert exc.value.details["quantity_left"] == 2
    with pytest.raises(ValidationFailed) as exc:
        with store.uow() as uow:
            domain.match_need(uow, crypto, need["id"], {"resource_id": 999})
    assert "resource_id" in exc.value.details
    with pytest.raises(ValidationFailed) as exc:
        with store.uow() as uow:
            domain.match_need(uow, crypto, need["id"], {})
    assert "resource_id" in exc.value.details
    with store.uow() as uow:
        domain.archive_resource(uow, resource["id"])
    with pytest.raises(Conflict):
        with store.uow() as uow:
            domain.match_need(uow, crypto, need["id"], {"resource_id": resource["id"]})
    assert store.count(Match) == 0
    assert store.events("need_matched") == []
    with store.session() as session:
        assert session.get(Need, need["id"]).status == "open"


# ---------------------------------------------------------------- matching

def test_elderly_care_need_ranks_elderly_care_above_children_tutoring(store, crypto):
    tutoring = add_resource(store, title="四点半课堂课业辅导", target_groups=["children"],
                            need_categories=["tutoring"], quantity=40)
    care = add_resource(store, title="独居长者上门照料", target_groups=["elderly"],
                        need_categories=["care"], quantity=30)
    general = add_resource(store, title="邻里守望队", target_groups=["all_residents"],
                           need_categories=["safety"], quantity=None)
    empty = add_resource(store, title="已用完的照料", need_categories=["care"], quantity=1)
    other = add_need(store, crypto, resident_phone=None)
    with store.uow() as uow:
        domain.match_need(uow, crypto, other["id"], {"resource_id": empty["id"]})
    need = add_need(store, crypto, resident_phone="13900002222")
    with store.session() as session:
        result = domain.suggest_resources(session, need["id"])
    ranked = [s["resource_id"] for s in result["resources"]]
    assert ranked == [care["id"], general["id"], tutoring["id"]]  # the used-up one is out
    top, bottom = result["resources"][0], result["resources"][-1]
    assert top["fit"] == "good" and bottom["fit"] == "weak"
    assert "对应“照料”类需求" in top["reasons"]
    assert "服务对象含老年人" in top["reasons"]
    assert any(r.startswith("不对应“照料”") for r in bottom["reasons"])
    assert any("不含老年人" in r for r in bottom["reasons"])
    assert not any("care" in r or "elderly" in r for r in top["reasons"] + bottom["reasons"])
    assert top["score"] > bottom["score"]
    assert "elderly_care" in result["wanted_skills"]


def test_resources_of_an_inactive_partner_are_not_suggested(store, crypto, partner):
    resource = add_resource(store, partner_id=partner["id"])
    need = add_need(store, crypto)
    with store.session() as session:
        result = domain.suggest_resources(session, need["id"])
    assert [s["resource_id"] for s in result["resources"]] == [resource["id"]]
    assert "提供方服务福隆花园" in result["resources"][0]["reasons"]
    with store.uow() as uow:
        domain.update_partner(uow, crypto, partner["id"], {"status": "inactive"})
    with store.session() as session:
        assert domain.suggest_resources(session, need["id"])["resources"] == []


def test_volunteer_reasons(store):
    explained = domain.explain_volunteers(
        [{"volunteer_id": 3, "number": "V000003", "skills": ["cooking", "care"],
          "compound": "fulong_huayuan", "matching_skills": ["care"]}], "fulong_huayuan")
    assert explained[0]["reasons"] == ["技能匹配：生活照料", "住在福隆花园"]


# ---------------------------------------------------------------- export and sample data

def test_export_holds_exactly_the_active_resources_with_chinese_headers(store, partner):
    kept = add_resource(store, partner_id=partner["id"], title="长者助餐", value_yuan=1234.5)
    gone = add_resource(store, title="旧物资")
    with store.uow() as uow:
        domain.archive_resource(uow, gone["id"])
    with store.session() as session:
        rows = domain.resource_list(session)
    xlsx = export.export_resources(rows, "xlsx", "hetong")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(base64.b64decode(xlsx["content_base64"])))["资源清单"]
    values = list(sheet.values)
    assert values[0][:6] == ("序号", "资源编号", "资源名称", "资源类型", "提供单位", "服务小区")
    value = values[0].index("估值（元）")
    assert [(r[1], r[2], r[4], r[5], r[value]) for r in values[1:]] == \
        [(kept["id"], "长者助餐", "和通小学", "福隆花园", 1234.5)]
    csv_text = base64.b64decode(export.export_resources(rows, "csv")["content_base64"]).decode()
    assert csv_text.startswith("\ufeff序号,资源编号,资源名称")
    assert "长者助餐" in csv_text and "旧物资" not in csv_text
    with pytest.raises(ValidationFailed):
        export.export_resources(rows, "pdf")


def test_sample_data_has_the_stations_rooms(store, crypto):
    with store.uow() as uow:
        sample.load_sample_data(uow, {"PII_KEY": "k", "PII_HASH_KEY": "h"})
    with store.session() as session:
        venues = domain.list_venues(session)
        partners = session.execute(select(Partner)).scalars().all()
        resources = domain.list_resources(session, {"per_page": 100})["items"]
    wings = {(w, k): sum(1 for v in venues if (v["wing"], v["kind"]) == (w, k))
             for w in ("children", "elders") for k in ("room", "hall")}
    assert wings == {("children", "room"): 5, ("children", "hall"): 2,
                     ("elders", "room"): 3, ("elders", "hall"): 1}
    assert all(v["capacity"] > 0 and v["equipment"] and v["opening_hours"] for v in venues)
    assert len(partners) >= 4 and all(p.name.startswith("【示例】") and p.sample
                                      and p.contact_phone_enc is None for p in partners)
    assert len(resources) >= 5 and all(r["title"].startswith("【示例】") and r["sample"]
                                       for r in resources)
    assert all(e["payload"].get("sample") for e in store.events("resource_registered"))


# ---------------------------------------------------------------- unstorable input

def test_unstorable_input_is_422_or_404_never_a_driver_error(store, crypto, hall):
    for bad, field in (({"title": "a\x00b"}, "title"),
                       ({"description": "\ud800"}, "description"),
                       ({"target_groups": ["children"], "need_categories": ["care"],
                         "partner_id": 2 ** 40}, "partner_id"),
                       ({"available_from": "0001-01-01"}, "available_from")):
        with pytest.raises(ValidationFailed) as exc:
            add_resource(store, **bad)
        assert field in exc.value.details
    with pytest.raises(ValidationFailed) as exc:
        book(store, hall["id"], "0001-01-01T00:00:00", "0001-01-01T01:00:00")
    assert "start" in exc.value.details
    with store.session() as session:
        for lookup in (lambda: domain.get_resource(session, 2 ** 70),
                       lambda: domain.get_need(session, crypto, 2 ** 70),
                       lambda: domain.get_venue(session, 2 ** 70),
                       lambda: domain.get_booking(session, 2 ** 70),
                       lambda: domain.get_partner(session, crypto, 2 ** 70)):
            with pytest.raises(NotFound):
                lookup()
        with pytest.raises(ValidationFailed) as exc:
            domain.list_resources(session, {"page": 10 ** 12})
        assert "page" in exc.value.details
        with pytest.raises(ValidationFailed) as exc:
            domain.list_resources(session, {"q": "x\x00"})
        assert "q" in exc.value.details
    assert store.count(Resource) == 0


def undocumented(schema, answer, path=""):
    """Keys of an answer its schema does not describe, nested answers included."""
    from marshmallow import fields

    found = []
    for key, value in answer.items():
        field = schema.fields.get(key)
        if field is None:
            found.append(path + key)
            continue
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested) and value is not None:
            for item in value if isinstance(field, fields.List) else [value]:
                found += undocumented(inner.schema, item, f"{path}{key}.")
    return found


def test_every_answer_matches_its_documented_schema(store, crypto, hall, partner):
    """The gateway publishes the output schemas in OpenAPI (no additional properties):
    what the domain returns must be what they describe, even the keys it adds."""
    from services.resources import schemas

    resource = add_resource(store, partner_id=partner["id"])
    need = add_need(store, crypto)
    with store.uow() as uow:
        matched = domain.match_need(uow, crypto, need["id"], {"resource_id": resource["id"],
                                                              "volunteer_id": 3})
    booking = book(store, hall["id"], *slot(SATURDAY, "09:00", "10:00"))
    with store.session() as session:
        suggestions = domain.suggest_resources(session, need["id"])
        listed_need = domain.list_needs(session, crypto)["items"][0]
        listed_partner = domain.list_partners(session, crypto)["items"][0]
    suggestions["volunteers"] = domain.explain_volunteers(
        [{"volunteer_id": 3, "number": "V000003", "skills": ["care"], "compound": None,
          "matching_skills": ["care"], "talent": True}])
    suggestions["volunteers_unavailable"] = False
    for schema_cls, answer in ((schemas.Partner, partner), (schemas.Partner, listed_partner),
                               (schemas.Resource, resource), (schemas.Venue, hall),
                               (schemas.Booking, booking), (schemas.Need, need),
                               (schemas.Need, matched), (schemas.Need, listed_need),
                               (schemas.Suggestions, suggestions)):
        assert undocumented(schema_cls(), answer) == [], (schema_cls.__name__, answer)


def test_export_cells_carry_no_control_characters_or_formulas(store):
    add_resource(store, title="=HYPERLINK(\"http://x\")\x01清单", description="+1\x0b说明")
    with store.session() as session:
        rows = domain.resource_list(session)
    xlsx = export.export_resources(rows, "xlsx", "hetong")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(base64.b64decode(xlsx["content_base64"])))["资源清单"]
    headers, row = list(sheet.values)[:2]
    assert row[2] == "'=HYPERLINK(\"http://x\")清单"
    assert row[headers.index("说明")] == "'+1说明"


def test_partners_by_compound_are_paged_like_any_listing(store, crypto, partner):
    with store.uow() as uow:
        other = domain.register_partner(uow, crypto, {
            "name": "滨海超市", "kind": "merchant", "five_society": "social_resource",
            "compounds": ["binhai_senlin", "fulong_huayuan"]})
    with store.session() as session:
        def page(compound, **query):
            listing = domain.list_partners(session, crypto, dict(query, compound=compound))
            return [p["id"] for p in listing["items"]], listing["total"]

        assert page("fulong_huayuan") == ([partner["id"], other["id"]], 2)
        assert page("fulong_huayuan", per_page=1, page=2) == ([other["id"]], 2)
        assert page("binhai_senlin") == ([other["id"]], 1)
        assert page("jinhai_huayuan") == ([], 0)
        with pytest.raises(ValidationFailed) as refused:
            page("nowhere")
        assert "binhai_senlin" in str(refused.value.details["compound"])
