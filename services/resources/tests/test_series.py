"""Recurring bookings (domain, on a real database, no broker): the occurrences of a rule,
conflicts listed before anything is written, the series written whole or not at all,
cancelling one occurrence, the rest, or all of it."""
from datetime import date, datetime, timedelta

import pytest

from common import times
from common.errors import Conflict, ValidationFailed
from services.resources import domain, recurrence
from services.resources.models import Booking, BookingSeries
from services.resources.sample import CHILDREN_HOURS

# Spring term 2027: Monday 1 March to Wednesday 30 June, weekday afternoons.
TERM = {"purpose": "四点半课堂", "start": "2027-03-01T16:30", "end": "2027-03-01T18:00"}
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
TERM_RULE = {"freq": "weekly", "by_weekday": WEEKDAYS, "until": "2027-06-30"}
# 17 whole weeks (1 March - 25 June) and Monday to Wednesday of the 18th.
TERM_OCCURRENCES = 17 * 5 + 3


@pytest.fixture
def classroom(store):
    with store.uow() as uow:
        return domain.register_venue(uow, {
            "code": "C-R2", "name": "四点半课堂", "wing": "children", "kind": "room",
            "capacity": 30, "opening_hours": CHILDREN_HOURS})


def series(venue, **changes):
    return {**TERM, "venue_id": venue["id"], "rule": dict(TERM_RULE), **changes}


def preview(store, data):
    with store.session() as session:
        return domain.preview_venue_series(session, data)


def book_series(store, data):
    with store.uow() as uow:
        return domain.book_venue_series(uow, data)


def book(store, venue, start, end, **extra):
    with store.uow() as uow:
        return domain.book_venue(uow, dict(venue_id=venue["id"], start=start, end=end,
                                           purpose="家长会", **extra))


def test_a_term_of_weekday_afternoons_gives_every_weekday_at_half_past_four(store, classroom):
    answer = preview(store, series(classroom))
    assert answer["count"] == TERM_OCCURRENCES and answer["conflict_count"] == 0
    assert answer["rrule"] == "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR;UNTIL=20270630"
    starts = [o["start"] for o in answer["occurrences"]]
    assert starts[:6] == ["2027-03-01T08:30:00Z", "2027-03-02T08:30:00Z",
                          "2027-03-03T08:30:00Z", "2027-03-04T08:30:00Z",
                          "2027-03-05T08:30:00Z", "2027-03-08T08:30:00Z"]
    assert starts[-1] == "2027-06-30T08:30:00Z"
    assert all(o["end"][11:] == "10:00:00Z" for o in answer["occurrences"])
    # 清明 (Monday 5 April) is a weekday like any other unless it is skipped.
    assert "2027-04-05T08:30:00Z" in starts
    # The same rule as RRULE text gives the same occurrences.
    text = dict(series(classroom), rule=None,
                rrule="RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20270630")
    assert preview(store, text)["occurrences"] == answer["occurrences"]
    # EXDATE: 清明 and the May Day holiday skipped.
    skipped = preview(store, series(classroom, exdates=[
        "2027-04-05", "2027-05-03", "2027-05-04", "2027-05-05"]))
    assert skipped["count"] == TERM_OCCURRENCES - 4
    assert "2027-04-05T08:30:00Z" not in [o["start"] for o in skipped["occurrences"]]
    # Previewing writes nothing.
    assert store.count(Booking) == 0 and store.count(BookingSeries) == 0
    assert [e["event_type"] for e in store.events()] == ["venue_registered"]


def test_count_interval_and_daily_rules(store, classroom):
    fortnightly = preview(store, series(classroom, rule={
        "freq": "weekly", "interval": 2, "by_weekday": ["wed"], "count": 5}))
    assert [o["start"][:10] for o in fortnightly["occurrences"]] == [
        "2027-03-03", "2027-03-17", "2027-03-31", "2027-04-14", "2027-04-28"]
    # RFC 5545's own example: every other week on Tuesday and Sunday; the first day of
    # the week decides which Sunday goes with which Tuesday.
    for wkst, sundays in (("MO", ["2027-03-02", "2027-03-07", "2027-03-16", "2027-03-21"]),
                          ("SU", ["2027-03-02", "2027-03-14", "2027-03-16", "2027-03-28"])):
        answer = preview(store, series(classroom, rule=None,
                                       rrule=f"FREQ=WEEKLY;INTERVAL=2;COUNT=4;WKST={wkst};"
                                             "BYDAY=TU,SU", start="2027-03-02T16:30",
                                       end="2027-03-02T18:00"))
        assert [o["start"][:10] for o in answer["occurrences"]] == sundays, wkst
    daily = preview(store, series(classroom, rule=None,
                                  rrule="FREQ=DAILY;COUNT=7"))
    assert daily["count"] == 7 and daily["conflict_count"] == 0  # open every day


def test_preview_lists_each_conflict_and_the_write_refuses_them_all(store, classroom):
    parents = book(store, classroom, "2027-03-10T17:00", "2027-03-10T19:00", event_id=42)
    tutoring = book(store, classroom, "2027-04-15T16:00", "2027-04-15T16:45")
    # Saturdays the room opens at 14:00 too, so a daily rule meets the hours only on
    # weekdays: a Saturday-morning slot is outside the hours.
    answer = preview(store, series(classroom))
    assert answer["conflict_count"] == 2
    assert [(c["start"], c["kind"], c["booking_id"], c["event_id"])
            for c in answer["conflicts"]] == [
        ("2027-03-10T08:30:00Z", "booking", parents["id"], 42),
        ("2027-04-15T08:30:00Z", "booking", tutoring["id"], None)]
    assert "活动 42" in answer["conflicts"][0]["reason"]
    assert answer["conflicts"][0]["conflicting_booking"]["id"] == parents["id"]
    events_before = len(store.events())

    with pytest.raises(Conflict) as refused:
        book_series(store, series(classroom))
    assert refused.value.details["conflict_count"] == 2
    assert [c["booking_id"] for c in refused.value.details["conflicts"]] == [
        parents["id"], tutoring["id"]]
    # Nothing written: the two bookings that were there, no series, no new fact.
    assert store.count(Booking) == 2 and store.count(BookingSeries) == 0
    assert len(store.events()) == events_before


def test_opening_hours_problems_are_listed_per_occurrence(store, classroom):
    # 10:00 is inside Saturday's and Sunday's hours, not the weekdays' (from 14:30).
    answer = preview(store, dict(series(classroom, rule={"freq": "daily", "count": 7}),
                                 start="2027-03-06T10:00", end="2027-03-06T11:00"))
    kinds = [(o["start"][:10], [c["kind"] for c in o["conflicts"]])
             for o in answer["occurrences"]]
    assert kinds == [("2027-03-06", []), ("2027-03-07", []),
                     ("2027-03-08", ["opening_hours"]), ("2027-03-09", ["opening_hours"]),
                     ("2027-03-10", ["opening_hours"]), ("2027-03-11", ["opening_hours"]),
                     ("2027-03-12", ["opening_hours"])]
    assert "周一" in answer["occurrences"][2]["conflicts"][0]["reason"]
    with pytest.raises(Conflict) as refused:
        book_series(store, dict(series(classroom, rule={"freq": "daily", "count": 7}),
                                start="2027-03-06T10:00", end="2027-03-06T11:00"))
    assert refused.value.details["conflict_count"] == 5
    assert store.count(Booking) == 0


@pytest.mark.parametrize("store", ["sqlite", "postgresql"], indirect=True)
def test_a_clean_series_is_written_whole_with_its_facts(store, classroom):
    written = book_series(store, series(classroom, booked_by="wang"))
    assert written["occurrences"] == written["active_occurrences"] == TERM_OCCURRENCES
    assert written["status"] == "active" and written["timezone"] == "Asia/Shanghai"
    assert written["start"] == "2027-03-01T08:30:00Z"
    assert written["last_start"] == "2027-06-30T08:30:00Z"
    assert len(written["bookings"]) == TERM_OCCURRENCES
    assert {b["series_id"] for b in written["bookings"]} == {written["id"]}
    assert store.count(Booking) == TERM_OCCURRENCES
    (fact,) = store.events("venue_series_booked")
    assert fact["payload"]["occurrences"] == TERM_OCCURRENCES
    assert fact["payload"]["minutes"] == 90
    booked = store.events("venue_booked")
    # Room use counts each occurrence as a booking of its own.
    assert len(booked) == TERM_OCCURRENCES
    assert {f["payload"]["series_id"] for f in booked} == {written["id"]}
    # The same series again overlaps every occurrence.
    with pytest.raises(Conflict) as again:
        book_series(store, series(classroom))
    assert again.value.details["conflict_count"] == TERM_OCCURRENCES
    assert store.count(Booking) == TERM_OCCURRENCES


@pytest.mark.parametrize("store", ["sqlite", "postgresql"], indirect=True)
def test_cancel_one_occurrence_the_rest_or_the_whole_series(store, classroom):
    written = book_series(store, series(classroom, rule={
        "freq": "weekly", "by_weekday": ["mon", "wed"], "count": 10}))
    ids = [b["id"] for b in written["bookings"]]

    with store.uow() as uow:
        one = domain.cancel_booking(uow, ids[1])
    assert one["status"] == "cancelled" and one["series_id"] == written["id"]
    with store.uow() as uow:
        rest = domain.cancel_booking_series(uow, written["id"], from_booking_id=ids[6])
    assert [b["status"] for b in rest["bookings"]] == (
        ["active", "cancelled"] + ["active"] * 4 + ["cancelled"] * 4)
    assert rest["status"] == "active" and rest["active_occurrences"] == 5
    (cut,) = store.events("venue_series_cancelled")
    assert cut["payload"]["from_start"] == written["bookings"][6]["start"]
    assert cut["payload"]["occurrences_cancelled"] == 4
    assert len(store.events("venue_booking_cancelled")) == 1 + 4

    # The slot of a cancelled occurrence is free again.
    freed = written["bookings"][1]
    book(store, classroom, freed["start"], freed["end"])

    with store.uow() as uow:
        whole = domain.cancel_booking_series(uow, written["id"])
    assert whole["status"] == "cancelled" and whole["active_occurrences"] == 0
    assert len(store.events("venue_booking_cancelled")) == 10
    with store.uow() as uow:  # idempotent
        again = domain.cancel_booking_series(uow, written["id"])
    assert again["status"] == "cancelled"
    assert len(store.events("venue_booking_cancelled")) == 10


def test_cancelling_from_a_booking_of_another_series_is_refused(store, classroom):
    written = book_series(store, series(classroom, rule={"freq": "daily", "count": 2}))
    other = book(store, classroom, "2027-03-10T17:00", "2027-03-10T19:00")
    with store.uow() as uow, pytest.raises(ValidationFailed) as refused:
        domain.cancel_booking_series(uow, written["id"], from_booking_id=other["id"])
    assert "from_booking_id" in refused.value.details


@pytest.mark.parametrize("changes, field", [
    ({"rule": None, "rrule": "FREQ=MONTHLY;COUNT=3"}, "rrule"),
    ({"rule": None, "rrule": "FREQ=WEEKLY;BYDAY=MO"}, "rrule"),          # no end
    ({"rule": None, "rrule": "FREQ=WEEKLY;BYDAY=XX;COUNT=3"}, "rrule"),
    ({"rule": None, "rrule": "FREQ=WEEKLY;BYDAY=1MO;COUNT=3"}, "rrule"),  # ordinal
    ({"rule": None, "rrule": "FREQ=WEEKLY;COUNT=3;BYHOUR=9"}, "rrule"),
    ({"rule": None, "rrule": "FREQ=WEEKLY;COUNT=3;COUNT=4"}, "rrule"),
    ({"rule": None, "rrule": "FREQ=DAILY;UNTIL=20271399"}, "rrule"),
    ({"rule": None, "rrule": "FREQ=DAILY;COUNT=301"}, "rrule"),
    ({"rule": None, "rrule": "garbage"}, "rrule"),
    ({"rule": None}, "rule"),                                              # neither
    ({"rrule": "FREQ=DAILY;COUNT=3"}, "rule"),                             # both
    ({"rule": {"freq": "weekly", "by_weekday": ["mon"]}}, "rule"),         # no end
    ({"rule": {"freq": "monthly", "count": 3}}, "rule"),
    ({"rule": {"freq": "weekly", "by_weekday": ["funday"], "count": 3}}, "rule"),
    ({"rule": {"freq": "daily", "count": 301}}, "rule"),
    ({"rule": {"freq": "daily", "until": "2028-06-30"}}, "rule"),          # > 1 year
    ({"rule": {"freq": "daily", "until": "2027-02-01"}}, "rule"),          # before start
    ({"rule": {"freq": "weekly", "by_weekday": ["mon"], "count": 60}}, "rule"),  # 59 weeks
    ({"exdates": ["2027-02-01"]}, "exdates"),
    ({"end": "2027-03-01T16:00"}, "end"),
])
def test_a_bad_rule_is_422_naming_the_field_and_nothing_is_written(
        store, classroom, changes, field):
    for attempt in (preview, book_series):
        with pytest.raises(ValidationFailed) as refused:
            attempt(store, dict(series(classroom), **changes))
        assert field in refused.value.details, refused.value.details
    assert store.count(Booking) == 0 and store.count(BookingSeries) == 0


def test_occurrences_keep_their_wall_clock_time_across_a_change_of_clock():
    """Asia/Shanghai has no daylight saving; in a zone that has, 16:30 stays 16:30 and a
    time the clock skips is reported, not moved."""
    previous = times.zone().key
    times.configure({"TIMEZONE": "America/New_York"})
    try:
        # 2027-03-14: clocks go from 02:00 to 03:00 in New York.
        first = times.utc(datetime(2027, 3, 12, 16, 30))
        slots = recurrence.occurrences(first, first + timedelta(minutes=90),
                                       {"freq": "daily", "interval": 1, "count": 4})
        assert [(times.local(s).strftime("%d %H:%M"), times.iso(s)) for s, _, _ in slots] == [
            ("12 16:30", "2027-03-12T21:30:00Z"), ("13 16:30", "2027-03-13T21:30:00Z"),
            ("14 16:30", "2027-03-14T20:30:00Z"), ("15 16:30", "2027-03-15T20:30:00Z")]
        assert all(problem is None for _, _, problem in slots)
        skipped = times.utc(datetime(2027, 3, 13, 2, 30))
        slots = recurrence.occurrences(skipped, skipped + timedelta(minutes=20),
                                       {"freq": "daily", "interval": 1, "count": 2})
        assert slots[0][2] is None and slots[1][2].key == "no_such_local_time"
    finally:
        times.configure({"TIMEZONE": previous})
    assert date(2027, 3, 1).weekday() == 0  # the term above starts on a Monday
