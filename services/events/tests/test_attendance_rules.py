"""Attendance and registration rules through the gateway on the real broker: a paper
sign-in sheet entered after the event keeps the event's time; attendance outside the
event is refused; a full event stays full; an event that is over takes no registration."""
from services.events.tests.test_interface import event_body, outbox, resident


def held_in_november(staff, **overrides):
    """A published event of last November (Beijing time 19:00–21:00 on 28 Nov 2026)."""
    body = event_body(start="2026-11-28T11:00:00Z", end="2026-11-28T13:00:00Z", capacity=0)
    body.update(overrides)
    eid = staff.post("/events", json=body).json()["id"]
    assert staff.post(f"/events/{eid}/publish").status_code == 200
    return eid


def test_a_sign_in_sheet_entered_afterwards_keeps_the_events_time(stack):
    stack.start("events", "gateway")
    staff = stack.client()
    eid = held_in_november(staff)
    assert staff.post(f"/events/{eid}/complete").status_code == 200

    # Typed in after the event (today): by default the event's start, not now.
    first = staff.post(f"/events/{eid}/attendance",
                       json={"walk_in": True, "target_group": "elderly"})
    assert first.status_code == 201, first.text
    assert first.json()["attended_at"] == "2026-11-28T11:00:00Z"
    # A time from the sheet, without an offset: the community's local time.
    second = staff.post(f"/events/{eid}/attendance", json={
        "walk_in": True, "target_group": "children", "attended_at": "2026-11-28T20:30:00"})
    assert second.status_code == 201, second.text
    assert second.json()["attended_at"] == "2026-11-28T12:30:00Z"

    for outside in ("2026-11-28T18:59:00", "2026-11-28T21:01:00+08:00", "2026-12-03"):
        refused = staff.post(f"/events/{eid}/attendance", json={
            "walk_in": True, "target_group": "women", "attended_at": outside})
        assert refused.status_code == 422, (outside, refused.text)
        assert list(refused.json()["details"]) == ["attended_at"]
    public = stack.client(login=False)
    assert public.post(f"/events/{eid}/attendance", json={
        "walk_in": True, "target_group": "women"}).status_code == 401

    facts = [f["payload"] for f in outbox(stack, "attendance_recorded")]
    assert [(f["attended_at"], f["event_start"]) for f in facts] == [
        ("2026-11-28T11:00:00Z", "2026-11-28T11:00:00Z"),
        ("2026-11-28T12:30:00Z", "2026-11-28T11:00:00Z")]


def test_a_waitlisted_resident_who_comes_does_not_overfill_the_event(stack):
    stack.start("events", "gateway")
    staff = stack.client()
    public = stack.client(login=False)
    eid = staff.post("/events", json=event_body(capacity=3)).json()["id"]
    staff.post(f"/events/{eid}/publish")
    regs = [public.post(f"/events/{eid}/registrations", json=resident(n)).json()
            for n in range(1, 5)]
    assert [r["status"] for r in regs] == ["confirmed"] * 3 + ["waitlisted"]

    came = staff.post(f"/events/{eid}/attendance", json={"registration_id": regs[3]["id"]})
    assert came.status_code == 201, came.text
    counts = staff.get(f"/events/{eid}").json()["counts"]
    assert (counts["confirmed"], counts["waitlisted"], counts["attended"]) == (3, 1, 1)
    assert public.get(f"/events/{eid}").json()["places_left"] == 0

    # A confirmed resident cancels: the waitlisted one who came takes the place.
    cancelled = staff.delete(f"/registrations/{regs[0]['id']}", json={})
    assert cancelled.json()["promoted_registration_id"] == regs[3]["id"]
    counts = staff.get(f"/events/{eid}").json()["counts"]
    assert (counts["confirmed"], counts["waitlisted"]) == (3, 0)


def test_an_event_that_is_over_takes_no_registration(stack):
    stack.start("events", "gateway")
    staff = stack.client()
    eid = held_in_november(staff)
    refused = stack.client(login=False).post(f"/events/{eid}/registrations", json=resident(1))
    assert refused.status_code == 409, refused.text
    assert "已结束" in refused.json()["message"]
    assert outbox(stack, "participant_registered") == []
