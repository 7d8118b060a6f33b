"""The time rule, through the gateway and every service: a time typed without an offset is
the community's local time (Asia/Shanghai for Hetong), whichever service receives it; every
answer gives instants in UTC with ``Z``; a date alone is accepted wherever a listing takes a
time filter, and means that whole local day."""
import re

import pytest

# Wednesday 13 January 2027, 09:30 to 11:00 on the station's clock.
LOCAL_START, LOCAL_END = "2027-01-13T09:30", "2027-01-13T11:00"
OFFSET_START, OFFSET_END = "2027-01-13T09:30:00+08:00", "2027-01-13T11:00:00+08:00"
UTC_START, UTC_END = "2027-01-13T01:30:00Z", "2027-01-13T03:00:00Z"
DAY = "2027-01-13"

INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def instants(value, path=""):
    """Every string in an answer that is an instant, with where it was found."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from instants(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from instants(item, f"{path}[{index}]")
    elif isinstance(value, str) and INSTANT.match(value):
        yield path, value


def assert_one_form(answer):
    found = list(instants(answer))
    assert found, "the answer carries no instant at all"
    for path, value in found:
        assert value.endswith("Z"), f"{path} = {value}: instants are answered in UTC with Z"


@pytest.fixture
def staff(stack):
    stack.start("resources", "volunteers", "events", "gateway")
    return stack.client()


def first_room(staff):
    venues = staff.get("/venues").json()["items"]
    return next(v for v in venues if v["wing"] == "elders")


@pytest.mark.parametrize("start,end", [(LOCAL_START, LOCAL_END), (OFFSET_START, OFFSET_END),
                                       (UTC_START, UTC_END)],
                         ids=["naive-local", "offset", "utc"])
def test_the_same_time_lands_on_the_same_instant_in_every_service(staff, start, end):
    event = staff.post("/events", json={
        "title": "长者健康讲座", "plan": "service", "kind": "lecture",
        "target_groups": ["elderly"], "start": start, "end": end, "capacity": 30})
    assert event.status_code == 201, event.text
    assert (event.json()["start"], event.json()["end"]) == (UTC_START, UTC_END)
    assert_one_form(event.json())

    shift = staff.post("/shifts", json={"name": "讲座签到", "places": 2,
                                        "start": start, "end": end})
    assert shift.status_code == 201, shift.text
    assert (shift.json()["start"], shift.json()["end"]) == (UTC_START, UTC_END)
    assert_one_form(shift.json())

    room = first_room(staff)
    booking = staff.post(f"/venues/{room['id']}/bookings",
                         json={"start": start, "end": end, "purpose": "长者健康讲座"})
    assert booking.status_code == 201, booking.text
    assert (booking.json()["start"], booking.json()["end"]) == (UTC_START, UTC_END)
    assert_one_form(booking.json())


def test_a_date_alone_filters_listings_by_that_local_day(staff):
    staff.post("/events", json={
        "title": "长者健康讲座", "plan": "service", "kind": "lecture",
        "target_groups": ["elderly"], "start": LOCAL_START, "end": LOCAL_END,
        "capacity": 30}).raise_for_status()
    staff.post("/shifts", json={"name": "讲座签到", "places": 2, "start": LOCAL_START,
                                "end": LOCAL_END}).raise_for_status()
    room = first_room(staff)
    staff.post(f"/venues/{room['id']}/bookings", json={
        "start": LOCAL_START, "end": LOCAL_END, "purpose": "长者健康讲座"}).raise_for_status()

    day = {"from": DAY, "to": DAY}
    next_day = {"from": "2027-01-14", "to": "2027-01-14"}
    for path in ("/events", "/shifts", f"/venues/{room['id']}/bookings"):
        listing = staff.get(path, params=day)
        assert listing.status_code == 200, (path, listing.text)
        assert [item["start"] for item in listing.json()["items"]] == [UTC_START], path
        assert_one_form(listing.json())
        assert staff.get(path, params=next_day).json()["items"] == [], path


def test_a_filter_that_is_neither_a_date_nor_a_time_names_the_field(staff):
    response = staff.get("/shifts", params={"from": "13/01/2027"})
    assert response.status_code in (400, 422)
    assert "from" in response.json()["details"]
