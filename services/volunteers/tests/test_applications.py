"""Volunteer applications through the gateway on the real RabbitMQ: a resident applies on
the public form, staff approve (a volunteer and a login) or decline with a reason."""
from datetime import datetime, time, timedelta

from common import times
from tests.fixtures import ApiClient, refused, wait_until

FORM = {"name": "林晓燕", "phone": "13912345678", "compound": "banshan_linhai",
        "skills": ["reading", "first_aid"],
        "availability": [{"weekday": d, "start": "08:00", "end": "20:00"}
                         for d in range(1, 8)],
        "consent": True}


def _public(stack):
    return ApiClient(stack.url("gateway"))


def _facts(stack, event_type):
    with stack.rpc() as rpc:
        log = rpc.volunteers.read_event_log(0, 5000)
    return [e for e in log["events"] if e["event_type"] == event_type]


def _z(value):
    return times.iso(value)


def test_apply_approve_and_log_in_with_the_one_time_password(stack):
    stack.start("volunteers", "gateway")
    public, staff = _public(stack), stack.client()

    applied = public.post("/applications", json=FORM)
    assert applied.status_code == 201, applied.text
    assert set(applied.json()) == {"id", "status", "created_at"}  # nothing of what was sent
    assert applied.json()["status"] == "pending"

    again = public.post("/applications", json={**FORM, "name": "林晓"})
    assert again.status_code == 409, again.text
    assert "phone" in again.json()["details"]

    pending = staff.get("/applications").json()
    assert pending["total"] == 1
    shown = pending["items"][0]
    assert shown["name"] == "林**" and shown["phone"] == "139****5678"
    assert shown["skills"] == ["first_aid", "reading"]

    approved = staff.post(f"/applications/{applied.json()['id']}/approve")
    assert approved.status_code == 200, approved.text
    answer = approved.json()
    assert answer["status"] == "approved" and answer["volunteer_id"]
    assert answer["username"] == answer["volunteer_number"].lower()
    password = answer["initial_password"]
    assert password and len(password) >= 12

    volunteer = staff.get(f"/volunteers/{answer['volunteer_id']}").json()
    assert volunteer["name"] == "林晓燕" and volunteer["compound"] == "banshan_linhai"
    assert volunteer["skills"] == ["first_aid", "reading"]

    me = ApiClient(stack.url("gateway")).login(answer["username"], password)
    profile = me.get("/me").json()
    assert profile["role"] == "volunteer" and profile["volunteer_id"] == answer["volunteer_id"]

    # Approving again creates neither a second volunteer nor a second login, and the
    # password is not shown again.
    repeated = staff.post(f"/applications/{applied.json()['id']}/approve")
    assert repeated.status_code == 200, repeated.text
    assert repeated.json()["volunteer_id"] == answer["volunteer_id"]
    assert repeated.json()["initial_password"] is None
    assert staff.get("/volunteers").json()["total"] == 1
    assert staff.get("/users", params={"role": "volunteer"}).json()["total"] == 1
    assert staff.get("/applications").json()["total"] == 0

    # The facts carry no personal data.
    facts = wait_until(lambda: _facts(stack, "application_submitted")
                       and _facts(stack, "application_approved")
                       and _facts(stack, "application_submitted")
                       + _facts(stack, "application_approved"), message="application facts")
    text = str([f["payload"] for f in facts])
    assert "13912345678" not in text and "林晓燕" not in text
    # Applying again with the phone of a volunteer: already registered.
    assert public.post("/applications", json=FORM).status_code == 409


def test_approval_completes_the_login_when_the_volunteer_was_already_created(stack):
    """The gateway registers the volunteer, then creates the login in its own database:
    when that second step failed, approving again finishes the job for the same
    volunteer."""
    stack.start("volunteers", "gateway")
    public, staff = _public(stack), stack.client()
    application_id = public.post("/applications", json=FORM).json()["id"]
    with stack.rpc() as rpc:  # the first step alone, as if the login failed after it
        first = rpc.volunteers.approve_application(application_id, "admin")

    approved = staff.post(f"/applications/{application_id}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["volunteer_id"] == first["volunteer_id"]
    assert approved.json()["initial_password"]
    ApiClient(stack.url("gateway")).login(approved.json()["username"],
                                          approved.json()["initial_password"])
    assert staff.get("/volunteers").json()["total"] == 1


def test_a_repeated_submission_with_its_key_gets_the_first_answer(stack):
    """A form sent again after no answer (the console keeps the Idempotency-Key) is not a
    second application, nor a 409."""
    stack.start("volunteers", "gateway")
    public, staff = _public(stack), stack.client()
    key = {"Idempotency-Key": "apply-0f3a9c2e"}
    first = public.post("/applications", json=FORM, headers=key)
    again = public.post("/applications", json=FORM, headers=key)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert staff.get("/applications").json()["total"] == 1
    approve_key = {"Idempotency-Key": "approve-7d1e"}
    approved = staff.post(f"/applications/{first.json()['id']}/approve", headers=approve_key)
    repeated = staff.post(f"/applications/{first.json()['id']}/approve", headers=approve_key)
    assert repeated.json()["volunteer_id"] == approved.json()["volunteer_id"]
    assert repeated.json()["initial_password"] is None  # shown once
    assert staff.get("/volunteers").json()["total"] == 1


def test_decline_with_a_reason(stack):
    stack.start("volunteers", "gateway")
    public, staff = _public(stack), stack.client()
    application_id = public.post("/applications", json=FORM).json()["id"]

    refused(staff.post(f"/applications/{application_id}/decline", json={"reason": "x"}),
            "reason")
    declined = staff.post(f"/applications/{application_id}/decline",
                          json={"reason": "本期名额已满"})
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    assert declined.json()["decline_reason"] == "本期名额已满"
    assert staff.post(f"/applications/{application_id}/approve").status_code == 409
    assert staff.get("/volunteers").json()["total"] == 0
    listed = staff.get("/applications", params={"status": "declined"}).json()
    assert [a["id"] for a in listed["items"]] == [application_id]
    wait_until(lambda: _facts(stack, "application_declined"), message="declined fact")
    # Declined: the resident may apply again.
    assert public.post("/applications", json=FORM).status_code == 201


def test_an_application_without_consent_is_refused_naming_the_field(stack):
    stack.start("volunteers", "gateway")
    public, staff = _public(stack), stack.client()
    refused(public.post("/applications", json={**FORM, "consent": False}), "consent")
    error = public.post("/applications", json={k: v for k, v in FORM.items()
                                               if k != "consent"})
    refused(error, "consent")
    refused(public.post("/applications", json={**FORM, "skills": ["juggling"]}), "skills")
    assert staff.get("/applications").json()["total"] == 0
    # Staff only list and decide.
    assert public.get("/applications").status_code == 401


def test_open_shifts_fit_the_volunteers_skills_and_availability(stack):
    stack.start("volunteers", "gateway")
    public, staff = _public(stack), stack.client()
    application_id = public.post("/applications", json={
        **FORM, "availability": [{"weekday": d, "start": "08:00", "end": "12:00"}
                                 for d in range(1, 8)]}).json()["id"]
    approved = staff.post(f"/applications/{application_id}/approve").json()
    me = ApiClient(stack.url("gateway")).login(approved["username"],
                                               approved["initial_password"])
    tomorrow = times.local_today() + timedelta(days=1)

    def shift(name, skills, hour):
        start = times.utc(datetime.combine(tomorrow, time(hour)))
        r = staff.post("/shifts", json={"name": name, "places": 1, "skills": skills,
                                        "start": _z(start),
                                        "end": _z(start + timedelta(hours=2))})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    fits = shift("绘本角", ["reading"], 9)
    shift("急救培训", ["nursing"], 9)         # a skill they lack
    shift("晚间巡逻", ["first_aid"], 19)      # outside their availability
    listed = me.get("/shifts/open")
    assert listed.status_code == 200, listed.text
    assert [s["id"] for s in listed.json()["items"]] == [fits]

    signed = me.post(f"/shifts/{fits}/signups", json={"volunteer_id": approved["volunteer_id"]})
    assert signed.status_code == 201, signed.text
    assert me.get("/shifts/open").json()["items"] == []  # taken: among their sign-ups
    other = me.get("/shifts/open", params={"volunteer_id": approved["volunteer_id"] + 1})
    assert other.status_code == 403
