"""Interface tests: the resources service behind the gateway, on the real RabbitMQ and real
databases (the volunteers service is deliberately not started)."""
import io
from datetime import date, datetime, timedelta

import eventlet
from sqlalchemy import text

from services.resources.tests.helpers import next_weekday
from tests.fixtures import ApiClient, Stack

SATURDAY = next_weekday(5).isoformat()


def venue_id(client, code):
    venues = client.get("/venues").json()["items"]
    return next(v["id"] for v in venues if v["code"] == code)


def events_of(stack, event_type=None):
    with stack.rpc() as rpc:
        log = rpc.resources.read_event_log(0, 5000)["events"]
    return [e for e in log if event_type is None or e["event_type"] == event_type]


def test_twenty_concurrent_bookings_of_one_slot_give_one_201(
        container_factory, rabbit_config, make_db_uri, db_backend):
    stack = Stack(container_factory, rabbit_config, make_db_uri, backend=db_backend)
    stack.start("resources", "gateway")
    client = stack.client()
    hall = venue_id(client, "C-H1")
    body = {"start": f"{SATURDAY}T14:00:00+08:00", "end": f"{SATURDAY}T16:00:00+08:00",
            "purpose": "亲子活动"}

    def attempt(i):
        mine = ApiClient(client.base_url)
        mine.token = client.token
        # Overlapping, not identical, slots: the rule is about overlap, not equality.
        shifted = dict(body, start=f"{SATURDAY}T{14 + i % 2}:{'00' if i % 3 else '30'}:00+08:00",
                       purpose=f"亲子活动 {i}")
        response = mine.post(f"/venues/{hall}/bookings", json=shifted)
        return response.status_code, response.json()

    pool = eventlet.GreenPool(20)
    results = list(pool.imap(attempt, range(20)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 19, results
    (winner,) = [answer for status, answer in results if status == 201]
    for status, answer in results:
        if status == 409:
            assert answer["error"] == "CONFLICT"
            assert answer["details"]["booking_id"] == winner["id"]

    engine = stack.engine("resources")
    with engine.connect() as conn:
        overlapping = conn.execute(text(
            "SELECT count(*) FROM bookings a JOIN bookings b ON a.venue_id = b.venue_id "
            "AND a.id < b.id AND a.status = 'active' AND b.status = 'active' "
            "AND a.start_at < b.end_at AND b.start_at < a.end_at")).scalar_one()
        rows = conn.execute(text("SELECT count(*) FROM bookings")).scalar_one()
    engine.dispose()
    assert (overlapping, rows) == (0, 1)
    assert len(events_of(stack, "venue_booked")) == 1

    # Cancelling frees the slot; the room is then listed as free again.
    free_query = {"free_from": f"{SATURDAY}T15:00:00", "free_to": f"{SATURDAY}T15:30:00"}
    assert hall not in [v["id"] for v in client.get("/venues", params=free_query).json()["items"]]
    assert client.delete(f"/bookings/{winner['id']}").json()["status"] == "cancelled"
    assert client.delete(f"/bookings/{winner['id']}").status_code == 200  # idempotent
    assert hall in [v["id"] for v in client.get("/venues", params=free_query).json()["items"]]
    again = client.post(f"/venues/{hall}/bookings", json=body)
    assert again.status_code == 201, again.text



def test_bookings_of_a_venue_by_local_days_answered_in_utc(stack):
    """``from`` and ``to`` may be dates (local days, ``to`` included whole); a time
    without an offset is local; every instant in the answer is UTC with Z."""
    stack.start("resources", "gateway")
    client = stack.client()
    hall = venue_id(client, "C-H1")
    evening = client.post(f"/venues/{hall}/bookings", json={
        "start": f"{SATURDAY}T21:00:00", "end": f"{SATURDAY}T21:30:00", "purpose": "议事会"})
    assert evening.status_code == 201, evening.text
    evening = evening.json()
    assert (evening["start"], evening["end"]) == (f"{SATURDAY}T13:00:00Z",
                                                  f"{SATURDAY}T13:30:00Z")
    assert evening["created_at"].endswith("Z")
    next_day = (date.fromisoformat(SATURDAY) + timedelta(days=1)).isoformat()
    morning = client.post(f"/venues/{hall}/bookings", json={
        "start": f"{next_day}T08:30:00+08:00", "end": f"{next_day}T09:00:00+08:00",
        "purpose": "晨练"})
    assert morning.status_code == 201, morning.text

    response = client.get(f"/venues/{hall}/bookings", params={"from": SATURDAY,
                                                              "to": SATURDAY})
    assert response.status_code == 200, response.text
    listing = response.json()
    assert [b["id"] for b in listing["items"]] == [evening["id"]]
    day_before = (date.fromisoformat(SATURDAY) - timedelta(days=1)).isoformat()
    assert (listing["from"], listing["to"]) == (f"{day_before}T16:00:00Z",
                                                f"{SATURDAY}T16:00:00Z")
    both = client.get(f"/venues/{hall}/bookings", params={"from": SATURDAY, "to": next_day})
    assert [b["id"] for b in both.json()["items"]] == [evening["id"], morning.json()["id"]]
    refused = client.get(f"/venues/{hall}/bookings", params={"from": next_day,
                                                             "to": SATURDAY})
    assert refused.status_code == 422 and "to" in refused.json()["details"]

def test_need_through_its_life_with_suggestions_when_volunteers_is_down(stack):
    stack.start("resources", "gateway")
    client = stack.client()
    tutoring = client.post("/resources", json={
        "type": "service", "title": "四点半课堂课业辅导", "target_groups": ["children"],
        "need_categories": ["tutoring"], "quantity": 40, "value_yuan": 4000})
    care = client.post("/resources", json={
        "type": "service", "title": "独居长者上门照料", "target_groups": ["elderly"],
        "need_categories": ["care"], "quantity": 30, "unit": "次", "value_yuan": 6000})
    assert tutoring.status_code == care.status_code == 201, (tutoring.text, care.text)
    tutoring, care = tutoring.json(), care.json()

    created = client.post("/needs", json={
        "target_group": "elderly", "category": "care", "urgency": "high",
        "compound": "fulong_huayuan", "description": "独居老人，行动不便，需要每周探访",
        "resident_name": "陈阿婆", "resident_phone": "13800001111"})
    assert created.status_code == 201, created.text
    need = created.json()
    assert need["resident_phone"] == "138****1111" and need["resident_name"] == "陈**"
    assert need["status"] == "open"

    response = client.get(f"/needs/{need['id']}/suggestions")
    assert response.status_code == 200, response.text
    suggestions = response.json()
    assert suggestions["volunteers"] == [] and suggestions["volunteers_unavailable"] is True
    ranked = [s["resource_id"] for s in suggestions["resources"]]
    assert ranked.index(care["id"]) < ranked.index(tutoring["id"])
    top = suggestions["resources"][ranked.index(care["id"])]
    assert "对应“照料”类需求" in top["reasons"]
    assert "服务对象含老年人" in top["reasons"]

    # With the volunteers service up, volunteers whose skills fit come with their reasons.
    stack.start("volunteers")
    volunteer = client.post("/volunteers", json={
        "name": "林阿姨", "phone": "13812345678", "compound": "fulong_huayuan",
        "skills": ["elderly_care", "cooking"], "talent": True})
    assert volunteer.status_code == 201, volunteer.text
    client.post("/volunteers", json={"name": "小张", "phone": "13812345679",
                                     "skills": ["tutoring"]})
    suggestions = client.get(f"/needs/{need['id']}/suggestions").json()
    assert suggestions["volunteers_unavailable"] is False
    assert [v["volunteer_id"] for v in suggestions["volunteers"]] == [volunteer.json()["id"]]
    assert suggestions["volunteers"][0]["reasons"] == [
        "技能匹配：烹饪助餐、长者照护", "住在福隆花园", "社区能人骨干"]
    assert "13812345678" not in str(suggestions) and "林阿姨" not in str(suggestions)

    # open → in_service is not a transition.
    refused = client.post(f"/needs/{need['id']}/start")
    assert refused.status_code == 409 and refused.json()["details"]["status"] == "open"
    matched = client.post(f"/needs/{need['id']}/matches",
                          json={"resource_id": care["id"], "quantity": 2})
    assert matched.status_code == 201, matched.text
    assert matched.json()["status"] == "matched"
    assert matched.json()["value_linked_yuan"] == 400.0
    assert client.get(f"/resources/{care['id']}").json()["quantity_left"] == 28
    assert client.post(f"/needs/{need['id']}/start").json()["status"] == "in_service"
    closed = client.post(f"/needs/{need['id']}/close",
                         json={"outcome": "resolved", "satisfaction": 5})
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    again = client.post(f"/needs/{need['id']}/close", json={"outcome": "resolved"})
    assert again.status_code == 409

    # Revealing the contact is for staff, and audited by the gateway.
    revealed = client.get(f"/needs/{need['id']}", params={"reveal": "true"}).json()
    assert revealed["resident_phone"] == "13800001111"
    engine = stack.engine("gateway")
    with engine.connect() as conn:
        audits = [tuple(a) for a in conn.execute(text("SELECT action, target FROM audit_log"))]
    engine.dispose()
    assert ("reveal_resident_contact", f"need:{need['id']}") in audits

    # The facts the reports service counts, once each, without personal information.
    log = events_of(stack)
    mine = [e for e in log if e["payload"].get("need_id") == need["id"]]
    assert [e["event_type"] for e in mine] == [
        "need_registered", "need_matched", "need_service_started", "need_closed"]
    assert mine[1]["payload"]["value_yuan"] == 400.0 and mine[1]["payload"]["first_match"]
    assert mine[3]["payload"]["satisfaction"] == 5
    text_of_log = str(log)
    assert "13800001111" not in text_of_log and "陈阿婆" not in text_of_log


def test_xlsx_export_holds_exactly_the_active_resources(stack):
    stack.start("resources", "gateway")
    client = stack.client()
    partner = client.post("/partners", json={
        "name": "和通小学", "kind": "school", "five_society": "social_resource"}).json()
    extra = client.post("/resources", json={
        "type": "material", "title": "爱心书包", "partner_id": partner["id"],
        "target_groups": ["children"], "quantity": 20, "value_yuan": 1600}).json()
    archived = client.post("/resources", json={
        "type": "material", "title": "过期物资", "target_groups": ["families"],
        "value_yuan": 100}).json()
    assert client.post(f"/resources/{archived['id']}/archive").json()["status"] == "archived"
    active = client.get("/resources", params={"per_page": 100}).json()
    assert active["total"] >= 2  # sample resources plus ours
    of_partner = client.get("/resources", params={"partner_id": partner["id"]})
    assert of_partner.status_code == 200, of_partner.text
    assert [r["id"] for r in of_partner.json()["items"]] == [extra["id"]]

    response = client.get("/resources/export", params={"format": "xlsx"})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content))["资源清单"]
    rows = list(sheet.values)
    assert rows[0][2] == "资源名称" and rows[0][4] == "提供单位" and rows[0][13] == "估值（元）"
    exported = {row[1]: row for row in rows[1:]}
    # Sample resources (demonstration data) are not in the resource list.
    real = {r["id"] for r in active["items"] if not r["sample"]}
    assert set(exported) == real == {extra["id"]}
    assert archived["id"] not in exported
    assert exported[extra["id"]][4] == "和通小学" and exported[extra["id"]][13] == 1600

    csv_response = client.get("/resources/export")
    assert csv_response.status_code == 200
    lines = csv_response.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("序号,资源编号,资源名称") and len(lines) == 1 + len(real)
    assert client.get("/resources/export", params={"format": "pdf"}).status_code == 422


BAD_INPUTS = [
    ("/resources", {"type": "service", "title": "x", "target_groups": ["martians"]},
     "target_groups"),
    ("/resources", {"type": "material", "title": "x", "target_groups": ["children"],
                    "quantity": -3}, "quantity"),
    # Only the service knows its partners: the gateway passes it, the service refuses it.
    ("/resources", {"type": "material", "title": "x", "target_groups": ["children"],
                    "partner_id": 9999}, "partner_id"),
    ("/resources", {"type": "material", "title": "x", "target_groups": ["children"],
                    "available_from": "2027-02-01", "available_to": "2027-01-01"},
     "available_to"),
    ("/resources", {"type": "material", "title": "x", "target_groups": ["children"],
                    "colour": "red"}, "colour"),
    ("/needs", {"target_group": "aliens", "category": "care", "description": "x"},
     "target_group"),
    ("/partners", {"name": "x", "kind": "school", "five_society": "nobody"}, "five_society"),
    ("BOOKING", {"start": f"{SATURDAY}T16:00:00", "end": f"{SATURDAY}T15:00:00",
                 "purpose": "x"}, "end"),
    # Opening hours are the service's knowledge too (the hall closes 12:00-14:00).
    ("BOOKING", {"start": f"{SATURDAY}T12:30:00", "end": f"{SATURDAY}T13:30:00",
                 "purpose": "lunch"}, "start"),
]


def test_bad_input_is_4xx_naming_the_field_and_writes_nothing(stack):
    stack.start("resources", "gateway")
    client = stack.client()
    hall = venue_id(client, "C-H1")
    events_before = len(events_of(stack))
    resources_before = client.get("/resources", params={"status": "all"}).json()["total"]
    partners_before = client.get("/partners", params={"status": "all"}).json()["total"]
    for path, body, field in BAD_INPUTS:
        path = f"/venues/{hall}/bookings" if path == "BOOKING" else path
        response = client.post(path, json=body)
        assert response.status_code == 422, (path, body, response.text)
        assert field in response.json()["details"], (path, body, response.json())
    assert len(events_of(stack)) == events_before
    assert client.get("/resources", params={"status": "all"}).json()["total"] == resources_before
    assert client.get("/partners", params={"status": "all"}).json()["total"] == partners_before
    assert client.get("/needs").json()["total"] == 0
    engine = stack.engine("resources")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM bookings")).scalar_one() == 0
    engine.dispose()


def test_need_life_moves_the_reports_figures_once_each(stack):
    """The facts reach the reports service and each figure moves exactly once (the
    reports service owns the figures; this checks our events carry what it counts)."""
    from tests.fixtures import wait_until

    stack.start("resources", "reports", "gateway")
    client = stack.client()

    def figures():
        total = client.get("/reports/summary").json()["total"]
        return tuple(total.get(name) for name in (
            "needs_registered", "needs_matched", "needs_closed", "resource_value_linked"))

    before = figures()
    resource = client.post("/resources", json={
        "type": "service", "title": "长者助餐", "target_groups": ["elderly"],
        "need_categories": ["care"], "quantity": 10, "value_yuan": 1500}).json()
    need = client.post("/needs", json={"target_group": "elderly", "category": "care",
                                       "description": "独居老人助餐"}).json()
    for quantity in (2, 1):  # two matches: the need is matched once, value is linked twice
        assert client.post(f"/needs/{need['id']}/matches", json={
            "resource_id": resource["id"], "quantity": quantity}).status_code == 201
    client.post(f"/needs/{need['id']}/start")
    assert client.post(f"/needs/{need['id']}/close",
                       json={"outcome": "resolved", "satisfaction": 4}).status_code == 200
    expected = (before[0] + 1, before[1] + 1, before[2] + 1, before[3] + 450.0)
    wait_until(lambda: figures() == expected, timeout=15, message="reports' figures")
    eventlet.sleep(0.5)
    assert figures() == expected


def test_archive_keeps_history_and_delete_only_when_nothing_refers(stack):
    """Archived partners and resources stay readable but leave the current listings and
    the resource list; deleting is refused (409 naming what refers) while a partner has
    resources or a resource has matches, and takes the record out of the figures."""
    from tests.fixtures import wait_until

    stack.start("resources", "reports", "gateway")
    client = stack.client()

    def partners_registered():
        return client.get("/reports/summary").json()["total"]["partners_registered"]

    partner = client.post("/partners", json={
        "name": "和通小学", "kind": "school", "five_society": "social_resource"}).json()
    resource = client.post("/resources", json={
        "type": "material", "title": "爱心书包", "partner_id": partner["id"],
        "target_groups": ["children"], "quantity": 5, "value_yuan": 500}).json()
    need = client.post("/needs", json={"target_group": "children", "category": "material",
                                       "description": "缺少学习用品"}).json()
    assert client.post(f"/needs/{need['id']}/matches",
                       json={"resource_id": resource["id"]}).status_code == 201
    wait_until(lambda: partners_registered() == 1, message="the partner counted")

    refused = client.delete(f"/partners/{partner['id']}")
    assert refused.status_code == 409, refused.text
    assert refused.json()["details"]["resources"] == [resource["id"]]
    refused = client.delete(f"/resources/{resource['id']}")
    assert refused.status_code == 409, refused.text
    assert refused.json()["details"]["needs"] == [need["id"]]

    archived = client.post(f"/resources/{resource['id']}/archive")
    assert archived.status_code == 200 and archived.json()["status"] == "archived"
    assert client.post(f"/resources/{resource['id']}/archive").status_code == 200  # idempotent
    listed = [r["id"] for r in client.get("/resources", params={"per_page": 100}).json()["items"]]
    assert resource["id"] not in listed
    assert client.get(f"/resources/{resource['id']}").json()["status"] == "archived"
    assert client.get(f"/partners/{partner['id']}").json()["resource_count"] == 0
    assert client.get("/resources/export").headers["X-Resource-Count"] == "0"
    assert client.get(f"/needs/{need['id']}").json()["matches"][0]["resource_id"] == \
        resource["id"]

    archived = client.post(f"/partners/{partner['id']}/archive")
    assert archived.status_code == 200 and archived.json()["status"] == "archived"
    assert partner["id"] not in [p["id"] for p in client.get("/partners").json()["items"]]
    assert client.get("/partners", params={"status": "archived"}).json()["items"][0]["id"] == \
        partner["id"]
    # Archived: kept for history, so still a partner the project registered.
    eventlet.sleep(0.5)
    assert partners_registered() == 1

    # A resource nobody matched, and then a partner without resources, can go.
    spare = client.post("/resources", json={
        "type": "material", "title": "旧桌椅", "target_groups": ["families"]}).json()
    deleted = client.delete(f"/resources/{spare['id']}")
    assert deleted.status_code == 200, deleted.text
    assert client.get(f"/resources/{spare['id']}").status_code == 404
    assert client.delete(f"/resources/{spare['id']}").status_code == 404
    lonely = client.post("/partners", json={
        "name": "错录的单位", "kind": "merchant", "five_society": "social_resource"}).json()
    wait_until(lambda: partners_registered() == 2, message="the second partner counted")
    deleted = client.delete(f"/partners/{lonely['id']}")
    assert deleted.status_code == 200, deleted.text
    assert client.get(f"/partners/{lonely['id']}").status_code == 404
    wait_until(lambda: partners_registered() == 1, message="the deleted partner uncounted")
    types = [e["event_type"] for e in events_of(stack)]
    assert types.count("resource_deleted") == 1 and types.count("partner_deleted") == 1


def test_a_need_taken_on_paper_counts_in_the_month_it_was_taken(stack):
    """Staff entering a paper intake form afterwards give the time it was taken
    (``reported_at``): the need counts in that month, not in the month it was typed in;
    a time in the future is a 422 naming the field, and nothing is written."""
    from common import times
    from tests.fixtures import wait_until

    stack.start("resources", "reports", "gateway")
    client = stack.client()
    this_month = times.local_today().replace(day=1)
    taken = this_month - timedelta(days=5)  # some day of last month
    body = {"target_group": "elderly", "category": "care", "description": "纸质登记的助餐需求"}

    future = times.iso(times.now() + timedelta(days=1))
    refused = client.post("/needs", json=dict(body, reported_at=future))
    assert refused.status_code == 422, refused.text
    assert list(refused.json()["details"]) == ["reported_at"]
    assert client.get("/needs").json()["total"] == 0

    need = client.post("/needs", json=dict(body, reported_at=f"{taken.isoformat()}T10:00"))
    assert need.status_code == 201, need.text
    taken_at = times.iso(times.utc(datetime(taken.year, taken.month, taken.day, 10)))
    assert need.json()["created_at"] == taken_at
    (fact,) = events_of(stack, "need_registered")
    assert fact["payload"]["registered_at"] == taken_at

    def by_month():
        groups = client.get("/reports/summary", params={
            "from": taken.strftime("%Y-%m"), "to": this_month.strftime("%Y-%m"),
            "group_by": "month"}).json()["groups"]
        return {g["key"]: g["figures"]["needs_registered"] for g in groups}

    wait_until(lambda: by_month().get(taken.strftime("%Y-%m")) == 1, timeout=15,
               message="the need in the month it was taken")
    assert by_month().get(this_month.strftime("%Y-%m"), 0) == 0


def test_five_society_coverage_follows_the_partners_in_cooperation(stack):
    """The KPI board's 五社 coverage counts the partners in cooperation now: a partner
    archived, stopped or moved to another category leaves its category."""
    from tests.fixtures import wait_until

    stack.start("resources", "reports", "gateway")
    client = stack.client()

    def partner(category, **extra):
        created = client.post("/partners", json={"name": f"{category}合作单位",
                                                  "kind": "social_org",
                                                  "five_society": category, **extra})
        assert created.status_code == 201, created.text
        return created.json()["id"]

    def coverage():
        board = {k["kpi"]: k["actual"] for k in client.get("/reports/kpis").json()["kpis"]}
        return (board["five_society_covered"], board["partners_social_org"],
                board["partners_community"], board["partners_social_worker"],
                board["partners_social_resource"])

    partner("social_org")
    archived = partner("social_org")
    partner("community", status="inactive")
    moved = partner("social_worker")
    wait_until(lambda: coverage() == (2, 2, 0, 1, 0), timeout=15, message="four partners")
    assert client.post(f"/partners/{archived}/archive").status_code == 200
    assert client.patch(f"/partners/{moved}",
                        json={"five_society": "social_resource"}).status_code == 200
    wait_until(lambda: coverage() == (2, 1, 0, 0, 1), timeout=15,
               message="an archived partner and a new category")


FORMULA_TEXTS = ["=1+2", "+1", "-2+3", "@SUM(1)", "\t=1+2", "\r=1+2"]


def test_exported_cells_never_start_a_formula(stack):
    """Text a spreadsheet could read as a formula (also after a TAB or CR, which some
    programs skip) is exported with a leading apostrophe, in CSV and XLSX alike; the
    estimated values stay numbers."""
    stack.start("resources", "gateway")
    client = stack.client()
    for text in FORMULA_TEXTS:
        response = client.post("/resources", json={
            "type": "material", "title": "爱心书包", "description": text,
            "target_groups": ["children"], "value_yuan": 100})
        assert response.status_code == 201, (text, response.text)
    expected = sorted("'" + t for t in FORMULA_TEXTS)
    from openpyxl import load_workbook

    xlsx = client.get("/resources/export", params={"format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(xlsx.content))["资源清单"].values)
    described = rows[0].index("说明")
    # XML reads a stored CR back as LF: what matters is the apostrophe in front.
    assert sorted(row[described] for row in rows[1:]) == sorted(
        e.replace("\r", "\n") for e in expected)
    assert {row[13] for row in rows[1:]} == {100}

    import csv

    csv_text = client.get("/resources/export").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(csv_text, newline="")))
    assert sorted(row[described] for row in rows[1:]) == expected
