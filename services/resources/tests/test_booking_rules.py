"""Booking a room at the edges of its rules, as the social worker booking it sees them: a
booking ends the day it starts (a week-long "booking" is not one Saturday morning), a
room taken out of use takes no bookings, single or recurring, and opening hours are
inclusive at both ends."""
from datetime import timedelta

import pytest

from common import times
from common.errors import Conflict, NotFound, ValidationFailed
from services.resources import domain
from services.resources.models import Booking, BookingSeries
from services.resources.tests.test_domain import SATURDAY, book, hall, slot  # noqa: F401
from services.resources.tests.test_series import classroom, series  # noqa: F401


def told(exc):
    """The refusal as the API gives it in English: message and details rendered."""
    return exc.value.to_dict("en")



@pytest.mark.parametrize("days", [1, 7])
def test_a_booking_that_runs_into_another_day_is_refused(store, hall, days):  # noqa: F811
    later = SATURDAY + timedelta(days=days)
    # 09:00 to 09:30 lies inside the morning opening on both days, but not on one day.
    start, _ = slot(SATURDAY, "09:00", "09:30")
    _, end = slot(later, "09:00", "09:30")
    with pytest.raises(ValidationFailed) as exc:
        book(store, hall["id"], start, end)
    assert "start" in told(exc)["details"]
    assert told(exc)["message"] == (f"a booking must end on the day it starts "
                                 f"({SATURDAY.isoformat()})")
    assert store.count(Booking) == 0 and store.events("venue_booked") == []


def test_a_booking_may_fill_an_opening_span_exactly(store, hall):  # noqa: F811
    morning = book(store, hall["id"], *slot(SATURDAY, "08:30", "12:00"))
    evening = book(store, hall["id"], *slot(SATURDAY, "14:00", "21:00"))
    assert morning["id"] and evening["id"]
    with pytest.raises(ValidationFailed):
        book(store, hall["id"], *slot(SATURDAY, "08:29", "09:00"))
    with pytest.raises(ValidationFailed):
        book(store, hall["id"], *slot(SATURDAY, "20:00", "21:01"))
    assert store.count(Booking) == 2


def test_a_room_out_of_use_takes_no_booking(store, hall):  # noqa: F811
    with store.uow() as uow:
        domain.update_venue(uow, hall["id"], {"status": "inactive"})
    with pytest.raises(Conflict) as exc:
        book(store, hall["id"], *slot(SATURDAY, "09:00", "10:00"))
    assert told(exc)["details"]["status"] == "inactive"
    assert store.count(Booking) == 0 and store.events("venue_booked") == []
    with store.uow() as uow:
        domain.update_venue(uow, hall["id"], {"status": "active"})
    assert book(store, hall["id"], *slot(SATURDAY, "09:00", "10:00"))["id"]


def test_a_room_out_of_use_takes_no_series_nor_previews_one(store, classroom):  # noqa: F811
    with store.uow() as uow:
        domain.update_venue(uow, classroom["id"], {"status": "inactive"})
    with pytest.raises(Conflict) as exc:
        with store.session() as session:
            domain.preview_venue_series(session, series(classroom))
    assert told(exc)["details"]["status"] == "inactive"
    with pytest.raises(Conflict):
        with store.uow() as uow:
            domain.book_venue_series(uow, series(classroom))
    assert store.count(Booking) == 0 and store.count(BookingSeries) == 0


def test_a_refused_booking_says_which_booking_room_and_hours_stand_in_the_way(store, hall):  # noqa: F811
    day = SATURDAY.isoformat()
    later = book(store, hall["id"], *slot(SATURDAY, "10:00", "11:00"))
    earlier = book(store, hall["id"], *slot(SATURDAY, "09:00", "10:00"), booked_by="sw1")
    # Overlapping both: the earlier one is named.
    with pytest.raises(Conflict) as exc:
        book(store, hall["id"], *slot(SATURDAY, "09:30", "10:30"))
    assert told(exc)["message"] == (f"儿童活动厅 is already booked {day}T01:00:00Z to "
                                 f"{day}T02:00:00Z (booking {earlier['id']})")
    assert told(exc)["details"]["booking_id"] == earlier["id"]
    assert told(exc)["details"]["venue_id"] == hall["id"]
    assert told(exc)["details"]["conflicting_booking"]["id"] == earlier["id"]
    assert later["id"] != earlier["id"]
    with pytest.raises(ValidationFailed) as exc:
        book(store, hall["id"], *slot(SATURDAY, "12:30", "13:00"))
    assert told(exc)["details"]["opening_hours"] == hall["opening_hours"]
    with pytest.raises(NotFound) as exc:
        book(store, 999, *slot(SATURDAY, "09:00", "10:00"))
    assert told(exc)["message"] == "venue 999 not found"
    assert told(exc)["details"] == {"venue_id": ["unknown venue 999"]}
    with store.uow() as uow:
        domain.update_venue(uow, hall["id"], {"status": "inactive"})
    with pytest.raises(Conflict) as exc:
        book(store, hall["id"], *slot(SATURDAY, "14:00", "15:00"))
    assert told(exc)["message"] == "venue 儿童活动厅 is not in use"
    assert told(exc)["details"] == {"venue_id": hall["id"], "status": "inactive"}


def test_a_booking_outside_the_hours_is_told_the_days_hours(store, hall):  # noqa: F811
    day = SATURDAY.isoformat()
    with pytest.raises(ValidationFailed) as exc:
        book(store, hall["id"], *slot(SATURDAY, "12:30", "13:00"))
    assert told(exc)["message"] == (f"儿童活动厅 is open Saturday (sat) 08:30-12:00, 14:00-21:00; "
                                 f"{day} 12:30-13:00 is outside")
    monday = SATURDAY + timedelta(days=2)
    with pytest.raises(ValidationFailed) as exc:
        book(store, hall["id"], *slot(monday, "09:00", "10:00"))
    assert told(exc)["message"] == (f"儿童活动厅 is open Monday (mon) closed; "
                                 f"{monday.isoformat()} 09:00-10:00 is outside")


def test_a_rooms_bookings_list_the_next_31_days_unless_asked(store, hall):  # noqa: F811
    today = times.local_today()
    with store.session() as session:
        listing = domain.list_venue_bookings(session, hall["id"])
    # Read around the call: a local midnight passing in between moves the window a day.
    starts = {times.day_start(today), times.day_start(times.local_today())}
    assert times.parse(listing["from"]) in starts
    assert times.parse(listing["to"]) - times.parse(listing["from"]) == timedelta(days=31)


def test_a_rooms_bookings_are_listed_a_year_at_most(store, hall):  # noqa: F811
    first = SATURDAY
    with store.session() as session:
        # A date as "to" counts that whole day: 366 days in all.
        year = domain.list_venue_bookings(session, hall["id"], {
            "from": first.isoformat(), "to": (first + timedelta(days=365)).isoformat()})
        assert times.parse(year["to"]) - times.parse(year["from"]) == timedelta(days=366)
        with pytest.raises(ValidationFailed) as exc:
            domain.list_venue_bookings(session, hall["id"], {
                "from": first.isoformat(), "to": (first + timedelta(days=366)).isoformat()})
    assert told(exc)["message"] == "a range of at most 366 days"
    assert told(exc)["details"] == {"to": ["at most 366 days after from"]}


def test_a_cancelled_booking_says_when_it_was_cancelled(store, hall):  # noqa: F811
    booking = book(store, hall["id"], *slot(SATURDAY, "09:00", "10:00"))
    assert booking["cancelled_at"] is None
    before = times.now()
    with store.uow() as uow:
        cancelled = domain.cancel_booking(uow, booking["id"])
    after = times.now()
    assert before.replace(microsecond=0) <= times.parse(cancelled["cancelled_at"]) <= after
    with store.session() as session:
        listed = domain.list_venue_bookings(session, hall["id"], {
            "from": SATURDAY.isoformat(), "to": SATURDAY.isoformat(),
            "include_cancelled": True})
    assert [(b["id"], b["status"], b["cancelled_at"]) for b in listed["items"]] == [
        (booking["id"], "cancelled", cancelled["cancelled_at"])]


def test_a_booking_records_who_made_it(store, hall):  # noqa: F811
    mine = book(store, hall["id"], *slot(SATURDAY, "09:00", "10:00"), booked_by="sw1")
    nobody = book(store, hall["id"], *slot(SATURDAY, "10:00", "11:00"))
    with store.session() as session:
        assert session.get(Booking, mine["id"]).booked_by == "sw1"
        assert session.get(Booking, nobody["id"]).booked_by is None
