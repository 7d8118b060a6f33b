"""The door check-in through the gateway on the real broker: the event's QR codes decode
to the pages they name, a registered resident checks in by phone during the event, a
walk-in leaves name and phone, and nothing is checked in outside the event's time."""
import subprocess
from datetime import timedelta

import pytest

from common import times
from services.events.tests.test_interface import event_body, outbox, resident
from tests.fixtures import wait_until


def scheduled(staff, start, end, **overrides):
    created = staff.post("/events", json=event_body(
        start=times.iso(start), end=times.iso(end), capacity=0, **overrides))
    assert created.status_code == 201, created.text
    event = created.json()
    assert staff.post(f"/events/{event['id']}/publish").status_code == 200
    return event


@pytest.fixture
def running_event(stack):
    """A published event that started ten minutes ago and runs another hour."""
    stack.start("events", "gateway")
    staff = stack.client()
    now = times.now()
    event = scheduled(staff, now - timedelta(minutes=10), now + timedelta(hours=1))
    return staff, event


def decoded(png, tmp_path):
    path = tmp_path / "code.png"
    path.write_bytes(png)
    out = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


def test_qr_codes_decode_to_the_event_page_and_the_door(stack, running_event, tmp_path):
    staff, event = running_event
    codes = staff.get(f"/events/{event['id']}/door-codes").json()
    base = stack.url("gateway")
    assert codes["page_url"] == f"{base}/#/events/{event['id']}"
    token = codes["door_token"]
    assert codes["door_url"] == f"{base}/#/door/{token}"
    assert len(token) >= 20 and str(event["id"]) != token

    page_png = staff.get(f"/events/{event['id']}/qr", params={"code": "page"})
    assert page_png.status_code == 200 and page_png.headers["Content-Type"] == "image/png"
    assert decoded(page_png.content, tmp_path) == codes["page_url"]
    door_png = staff.get(f"/events/{event['id']}/qr", params={"code": "door"})
    assert decoded(door_png.content, tmp_path) == codes["door_url"]
    svg = staff.get(f"/events/{event['id']}/qr", params={"code": "door", "format": "svg"})
    assert svg.headers["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content

    poster = staff.get(f"/events/{event['id']}/poster")
    assert poster.status_code == 200 and poster.content.startswith(b"%PDF")
    assert b"FontFile2" in poster.content  # the CJK font travels with the poster

    # The door token is staff's to print: the public gets neither the codes nor the QR.
    public = stack.client(login=False)
    assert public.get(f"/events/{event['id']}/door-codes").status_code == 401
    assert public.get(f"/events/{event['id']}/qr").status_code == 401
    # ... and the event's id, which its public page shows, opens no door.
    assert public.get(f"/door/{event['id']}").status_code == 404


def test_registered_resident_checks_in_by_phone_at_the_door(stack, running_event):
    staff, event = running_event
    public = stack.client(login=False)
    registered = public.post(f"/events/{event['id']}/registrations", json=resident(1))
    assert registered.status_code == 201, registered.text
    token = staff.get(f"/events/{event['id']}/door-codes").json()["door_token"]

    door = public.get(f"/door/{token}")
    assert door.status_code == 200 and door.json()["open"] is True
    assert door.json()["title"] == event["title"]

    checked = public.post(f"/door/{token}/check-in", json={"phone": resident(1)["phone"]})
    assert checked.status_code == 201, checked.text
    answer = checked.json()
    assert answer["walk_in"] is False and answer["event_id"] == event["id"]
    # No personal data in the answer: neither the phone nor the name, masked or not.
    assert set(answer) == {"event_id", "title", "walk_in", "attended_at"}
    assert resident(1)["phone"][-4:] not in checked.text

    again = public.post(f"/door/{token}/check-in", json={"phone": resident(1)["phone"]})
    assert again.status_code == 409 and "签到" in again.json()["message"]
    wait_until(lambda: len(outbox(stack, "attendance_recorded")) == 1)
    fact = outbox(stack, "attendance_recorded")[0]["payload"]
    assert fact["registration_id"] == registered.json()["id"] and fact["walk_in"] is False


def test_unknown_phone_is_refused_until_it_checks_in_as_a_walk_in(stack, running_event):
    staff, event = running_event
    public = stack.client(login=False)
    token = staff.get(f"/events/{event['id']}/door-codes").json()["door_token"]

    unknown = public.post(f"/door/{token}/check-in", json={"phone": resident(7)["phone"]})
    assert unknown.status_code == 422 and "phone" in unknown.json()["details"]
    assert "未报名" in unknown.json()["message"]
    nameless = public.post(f"/door/{token}/check-in",
                           json={"phone": resident(7)["phone"], "walk_in": True,
                                 "target_group": "elderly"})
    assert nameless.status_code == 422 and "name" in nameless.json()["details"]
    assert outbox(stack, "attendance_recorded") == []

    walk_in = public.post(f"/door/{token}/check-in", json={
        "phone": resident(7)["phone"], "walk_in": True, "name": "王阿姨",
        "target_group": "elderly", "compound": "banshan_linhai"})
    assert walk_in.status_code == 201, walk_in.text
    assert walk_in.json()["walk_in"] is True and "王" not in walk_in.text
    wait_until(lambda: len(outbox(stack, "attendance_recorded")) == 1)
    assert outbox(stack, "attendance_recorded")[0]["payload"]["walk_in"] is True


def test_check_in_outside_the_event_time_is_422_in_chinese(stack):
    stack.start("events", "gateway")
    staff = stack.client()
    tomorrow = times.now() + timedelta(days=1)
    event = scheduled(staff, tomorrow, tomorrow + timedelta(hours=2))
    public = stack.client(login=False)
    assert public.post(f"/events/{event['id']}/registrations",
                       json=resident(2)).status_code == 201
    token = staff.get(f"/events/{event['id']}/door-codes").json()["door_token"]
    assert public.get(f"/door/{token}").json()["open"] is False

    early = public.post(f"/door/{token}/check-in", json={"phone": resident(2)["phone"]})
    assert early.status_code == 422, early.text
    assert "签到时间" in early.json()["message"] and "time" in early.json()["details"]
    assert public.get("/door/not-a-door-token").status_code == 404
    assert public.post("/door/not-a-door-token/check-in",
                       json={"phone": resident(2)["phone"]}).status_code == 404
    assert outbox(stack, "attendance_recorded") == []
