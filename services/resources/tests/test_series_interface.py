"""Recurring bookings through the gateway, on the real RabbitMQ and real databases: the
preview lists conflicts, a write with any conflict is refused whole, a clean series books
every occurrence (and reports counts each one), cancelling one occurrence or the rest."""
import eventlet
from sqlalchemy import text

from tests.fixtures import ApiClient, Stack, wait_until

# The spring term of 2027 (Monday 1 March - Wednesday 30 June): 88 weekday afternoons.
TERM = {"purpose": "四点半课堂", "start": "2027-03-01T16:30", "end": "2027-03-01T18:00",
        "rule": {"freq": "weekly", "by_weekday": ["mon", "tue", "wed", "thu", "fri"],
                 "until": "2027-06-30"}}
TERM_OCCURRENCES = 88


def venue_id(client, code):
    venues = client.get("/venues").json()["items"]
    return next(v["id"] for v in venues if v["code"] == code)


def booking_rows(stack):
    engine = stack.engine("resources")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM bookings")).scalar_one()
        series = conn.execute(text("SELECT count(*) FROM booking_series")).scalar_one()
    engine.dispose()
    return rows, series


def test_a_term_refused_for_one_conflict_then_booked_whole_and_cut_short(
        container_factory, rabbit_config, make_db_uri, db_backend):
    stack = Stack(container_factory, rabbit_config, make_db_uri, backend=db_backend)
    stack.start("resources", "reports", "gateway")
    client = stack.client()
    room = venue_id(client, "C-R2")
    parents = client.post(f"/venues/{room}/bookings", json={
        "start": "2027-03-10T17:00", "end": "2027-03-10T19:00", "purpose": "家长会"})
    assert parents.status_code == 201, parents.text
    parents = parents.json()

    preview = client.post(f"/venues/{room}/booking-series/preview", json=TERM)
    assert preview.status_code == 200, preview.text
    preview = preview.json()
    assert preview["count"] == TERM_OCCURRENCES and preview["conflict_count"] == 1
    (conflict,) = preview["conflicts"]
    assert (conflict["start"], conflict["kind"], conflict["booking_id"]) == (
        "2027-03-10T08:30:00Z", "booking", parents["id"])
    assert conflict["conflicting_booking"]["purpose"] == "家长会"

    before = booking_rows(stack)
    refused = client.post(f"/venues/{room}/booking-series", json=TERM)
    assert refused.status_code == 409, refused.text
    details = refused.json()["details"]
    assert details["conflict_count"] == 1
    assert [c["booking_id"] for c in details["conflicts"]] == [parents["id"]]
    assert booking_rows(stack) == before == (1, 0)

    # Skip that Wednesday (EXDATE) and the term books whole.
    created = client.post(f"/venues/{room}/booking-series",
                          json=dict(TERM, exdates=["2027-03-10"]))
    assert created.status_code == 201, created.text
    series = created.json()
    assert series["occurrences"] == series["active_occurrences"] == TERM_OCCURRENCES - 1
    assert series["rrule"] == "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR;UNTIL=20270630"
    assert booking_rows(stack) == (TERM_OCCURRENCES, 1)
    march = client.get(f"/venues/{room}/bookings",
                       params={"from": "2027-03-08", "to": "2027-03-12"}).json()["items"]
    assert [(b["start"], b["series_id"]) for b in march] == [
        ("2027-03-08T08:30:00Z", series["id"]), ("2027-03-09T08:30:00Z", series["id"]),
        ("2027-03-10T09:00:00Z", None),
        ("2027-03-11T08:30:00Z", series["id"]), ("2027-03-12T08:30:00Z", series["id"])]

    # Room use in reports counts each occurrence.
    def room_use():
        answer = client.get("/reports/summary", params={
            "from": "2027-03", "to": "2027-06", "group_by": "venue"}).json()
        return {g["key"]: g["figures"]["venue_bookings"] for g in answer["groups"]}
    wait_until(lambda: room_use().get(str(room)) == TERM_OCCURRENCES,
               message="reports counted every occurrence")

    # Cancel one occurrence, then the rest from the first of June.
    occurrences = series["bookings"]
    one = client.delete(f"/bookings/{occurrences[0]['id']}")
    assert one.status_code == 200 and one.json()["status"] == "cancelled"
    june = next(b for b in occurrences if b["start"].startswith("2027-06-01"))
    cut = client.delete(f"/booking-series/{series['id']}",
                        params={"from_booking_id": june["id"]})
    assert cut.status_code == 200, cut.text
    after_june = [b for b in occurrences if b["start"] >= june["start"]]
    cut = cut.json()
    assert cut["status"] == "active"
    assert cut["active_occurrences"] == TERM_OCCURRENCES - 1 - 1 - len(after_june)
    statuses = {b["id"]: b["status"] for b in cut["bookings"]}
    assert statuses[occurrences[0]["id"]] == "cancelled"
    assert statuses[occurrences[1]["id"]] == "active"
    assert {statuses[b["id"]] for b in after_june} == {"cancelled"}
    assert client.get(f"/booking-series/{series['id']}").json() == cut
    wait_until(lambda: room_use().get(str(room)) == cut["active_occurrences"] + 1,
               message="reports took back the cancelled occurrences")

    # The whole series; cancelling again changes nothing.
    whole = client.delete(f"/booking-series/{series['id']}").json()
    assert whole["status"] == "cancelled" and whole["active_occurrences"] == 0
    assert client.delete(f"/booking-series/{series['id']}").json()["status"] == "cancelled"


def test_a_bad_rule_is_422_naming_the_field(stack):
    stack.start("resources", "gateway")
    client = stack.client()
    room = venue_id(client, "C-R2")
    cases = [
        (dict(TERM, rule=None, rrule="FREQ=MONTHLY;COUNT=3"), "rrule"),
        (dict(TERM, rule=None, rrule="FREQ=WEEKLY;BYDAY=MO"), "rrule"),
        (dict(TERM, rule={"freq": "daily", "count": 301}), "rule"),
        (dict(TERM, rule={"freq": "daily", "until": "2028-06-30"}), "rule"),
        (dict(TERM, rrule="FREQ=DAILY;COUNT=3"), "rule"),
        (dict(TERM, unknown=1), "unknown"),
    ]
    for body, field in cases:
        for path in ("/booking-series/preview", "/booking-series"):
            response = client.post(f"/venues/{room}{path}", json=body)
            assert response.status_code == 422, (body, response.text)
            assert field in response.json()["details"], (body, response.text)
    assert client.get("/booking-series/999").status_code == 404
    assert client.post("/venues/999/booking-series/preview", json=TERM).status_code == 404
    assert booking_rows(stack) == (0, 0)


def test_concurrent_series_of_one_room_give_one_201_and_no_overlap(
        container_factory, rabbit_config, make_db_uri, db_backend):
    stack = Stack(container_factory, rabbit_config, make_db_uri, backend=db_backend)
    stack.start("resources", "gateway")
    client = stack.client()
    room = venue_id(client, "C-R2")

    def attempt(i):
        mine = ApiClient(client.base_url)
        mine.token = client.token
        # Every other one a single booking inside the term: the series and the one-off
        # serialise on the room.
        if i % 2:
            response = mine.post(f"/venues/{room}/bookings", json={
                "start": "2027-04-07T17:00", "end": "2027-04-07T17:30", "purpose": f"家访 {i}"})
        else:
            response = mine.post(f"/venues/{room}/booking-series",
                                 json=dict(TERM, purpose=f"四点半课堂 {i}"))
        return i, response.status_code

    results = list(eventlet.GreenPool(8).imap(attempt, range(8)))
    assert sorted(status for _, status in results).count(201) == 1, results
    engine = stack.engine("resources")
    with engine.connect() as conn:
        overlapping = conn.execute(text(
            "SELECT count(*) FROM bookings a JOIN bookings b ON a.venue_id = b.venue_id "
            "AND a.id < b.id AND a.status = 'active' AND b.status = 'active' "
            "AND a.start_at < b.end_at AND b.start_at < a.end_at")).scalar_one()
        rows = conn.execute(text("SELECT count(*) FROM bookings")).scalar_one()
    engine.dispose()
    (winner,) = [i for i, status in results if status == 201]
    assert overlapping == 0
    assert rows == (TERM_OCCURRENCES if winner % 2 == 0 else 1)
