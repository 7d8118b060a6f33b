"""The booking rules with the real resources service (its sample venues, opening hours
and overlap rule) behind the gateway."""
from services.events.tests.test_interface import event_body, outbox


def bookings(client, venue_id, include_cancelled=False):
    response = client.get(f"/venues/{venue_id}/bookings", params={
        "from": "2026-12-12T00:00:00+08:00", "to": "2026-12-13T00:00:00+08:00",
        "include_cancelled": str(include_cancelled).lower()})
    assert response.status_code == 200, response.text
    body = response.json()
    return body["items"] if isinstance(body, dict) else body


def test_booking_with_the_real_resources_service(stack):
    stack.start("resources", "events", "gateway")
    staff = stack.client()
    venues = staff.get("/venues").json()
    venues = venues["items"] if isinstance(venues, dict) else venues
    hall = next(v for v in venues if v["code"] == "C-H1")  # open 08:30-12:00 local time
    held = staff.post(f"/venues/{hall['id']}/bookings", json={
        "start": "2026-12-12T09:00:00+08:00", "end": "2026-12-12T10:00:00+08:00",
        "purpose": "居民议事"})
    assert held.status_code == 201, held.text
    held = held.json()

    # The room is taken: 409 naming the booking; no event and no new booking left.
    clash = staff.post("/events", json=event_body(
        venue_id=hall["id"], start="2026-12-12T09:30:00+08:00", end="2026-12-12T11:00:00+08:00"))
    assert clash.status_code == 409, clash.text
    assert str(clash.json()["details"]["booking_id"]) == str(held["id"])
    assert staff.get("/events").json()["total"] == 0 and outbox(stack) == []
    assert [b["id"] for b in bookings(staff, hall["id"], True)] == [held["id"]]

    # Outside opening hours: 422 from the resources service, nothing written.
    late = staff.post("/events", json=event_body(
        venue_id=hall["id"], start="2026-12-12T12:30:00+08:00", end="2026-12-12T13:30:00+08:00"))
    assert late.status_code == 422, late.text
    assert staff.get("/events").json()["total"] == 0
    assert len(bookings(staff, hall["id"], True)) == 1

    # A free slot: booked and linked to the event; cancelling the event frees it.
    created = staff.post("/events", json=event_body(
        venue_id=hall["id"], start="2026-12-12T10:00:00+08:00", end="2026-12-12T11:30:00+08:00"))
    assert created.status_code == 201, created.text
    event = created.json()
    assert event["start"] == "2026-12-12T02:00:00Z"
    booked = {b["id"]: b for b in bookings(staff, hall["id"])}
    assert set(booked) == {held["id"], event["booking_id"]}
    assert booked[event["booking_id"]]["event_id"] == event["id"]

    assert staff.post(f"/events/{event['id']}/cancel", json={}).status_code == 200
    assert [b["id"] for b in bookings(staff, hall["id"])] == [held["id"]]
    again = staff.post("/events", json=event_body(
        venue_id=hall["id"], start="2026-12-12T10:00:00+08:00", end="2026-12-12T11:30:00+08:00"))
    assert again.status_code == 201, again.text

    # Moving the event within its own slot rebooks the room; the old booking is freed.
    moved = staff.patch(f"/events/{again.json()['id']}", json={
        "end": "2026-12-12T12:00:00+08:00"})
    assert moved.status_code == 200, moved.text
    booked = {b["id"]: b for b in bookings(staff, hall["id"])}
    assert set(booked) == {held["id"], moved.json()["booking_id"]}
    assert booked[moved.json()["booking_id"]]["end"] in ("2026-12-12T04:00:00Z",
                                                         "2026-12-12T12:00:00+08:00")


def test_sweep_finds_a_late_booking_in_the_real_resources_service(stack):
    """A book_venue that timed out but was carried out: the sweep finds it with the real
    list_venue_bookings and releases it."""
    from common import times
    from common.rpc import BoundedClient
    from common.testing import LocalStore
    from services.events import booking, domain
    from services.events.models import metadata

    stack.start("resources", "events", "gateway")
    staff = stack.client()
    venues = staff.get("/venues").json()
    venues = venues["items"] if isinstance(venues, dict) else venues
    hall = next(v for v in venues if v["code"] == "C-H2")
    request = domain.booking_request({
        "venue_id": hall["id"], "kind": "lecture", "title": "防诈骗讲座",
        "start": times.parse("2026-12-12T01:00:00Z"),
        "end": times.parse("2026-12-12T02:00:00Z")})
    store = LocalStore(metadata, "events", stack.config_for("events")["DB_URI"])
    with stack.rpc() as cluster:
        late = cluster.resources.book_venue(request)  # what resources did after we gave up
        with store.session() as session:
            domain.record_uncertain_booking(session, request)
        resources = BoundedClient(cluster.resources, "resources", 5)
        assert booking.sweep_uncertain(store, resources, grace_seconds=0) == 1
        assert cluster.resources.get_booking(late["id"])["status"] == "cancelled"
    store.dispose()
