"""Interface tests: the volunteers service and the gateway on the real RabbitMQ, talking
HTTP to the gateway like a client (and publishing the events service's facts to the bus)."""
import io
import json
from datetime import datetime, timedelta, timezone

import eventlet
import pytest
import requests
from kombu import Connection, Exchange, Producer
from nameko.testing.services import entrypoint_hook
from pypdf import PdfReader

from common import contracts, times
from tests.fixtures import ApiClient, Stack, wait_until

UTC = timezone.utc
SAT_9 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # 09:00 local


def _z(value):
    return value.isoformat().replace("+00:00", "Z")


def _register(client, n, prefix="139"):
    ids = []
    for i in range(n):
        r = client.post("/volunteers", json={"name": f"志愿者{i}", "phone": f"{prefix}{i:08d}",
                                             "skills": ["guide"]})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


def _shift(client, places, start=SAT_9, hours=3, **extra):
    r = client.post("/shifts", json={"name": "社区引导", "places": places, "start": _z(start),
                                     "end": _z(start + timedelta(hours=hours)), **extra})
    assert r.status_code == 201, r.text
    return r.json()


def _staff(stack, admin, username, **extra):
    """A second pair of eyes: a social worker's login (hours are decided by someone other
    than whoever recorded them)."""
    r = admin.post("/users", json={"username": username, "password": "password-123",
                                   "role": "social_worker", **extra})
    assert r.status_code == 201, r.text
    return ApiClient(stack.url("gateway")).login(username, "password-123")


def _event_log(stack, event_type):
    with stack.rpc() as rpc:
        log = rpc.volunteers.read_event_log(0, 5000)
    return [e for e in log["events"] if e["event_type"] == event_type]


def _publish(stack, event_type, payload, envelope=None):
    envelope = envelope or contracts.envelope(event_type, payload, "events", "hetong")
    with Connection(stack.rabbit_config["AMQP_URI"]) as conn:
        producer = Producer(conn.channel())
        producer.publish(json.dumps(envelope), exchange=Exchange("events.events", type="topic",
                                                                 durable=True),
                         routing_key=event_type, content_type="application/json",
                         delivery_mode=2)
    return envelope


@pytest.mark.slow
def test_thirty_concurrent_sign_ups_for_ten_places(container_factory, rabbit_config,
                                                   make_db_uri, db_backend):
    stack = Stack(container_factory, rabbit_config, make_db_uri, backend=db_backend)
    # Correctness under contention, not latency: on a shared 2-core machine thirty
    # serialised transactions may take longer than the stack's 3 s RPC timeout.
    stack.start("volunteers", "gateway", RPC_TIMEOUT_SECONDS="20")
    client = stack.client()
    client.http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=30))
    pool = eventlet.GreenPool(30)
    registered = list(pool.imap(lambda i: client.post("/volunteers", json={
        "name": f"志愿者{i}", "phone": f"139{i:08d}"}), range(30)))
    assert [r.status_code for r in registered] == [201] * 30
    volunteer_ids = [r.json()["id"] for r in registered]
    shift = _shift(client, places=10)
    responses = list(pool.imap(
        lambda vid: client.post(f"/shifts/{shift['id']}/signups", json={"volunteer_id": vid}),
        volunteer_ids))
    assert [r.status_code for r in responses] == [201] * 30, [r.text for r in responses]
    signups = sorted((r.json() for r in responses), key=lambda s: s["id"])
    # Arrival order is the order in which sign-ups got the shift's lock: their ids.
    assert [s["status"] for s in signups] == ["confirmed"] * 10 + ["waitlisted"] * 20
    assert [s["waitlist_position"] for s in signups[10:]] == list(range(1, 21))
    created = [s["created_at"] for s in signups]
    assert created == sorted(created)
    got = client.get(f"/shifts/{shift['id']}").json()
    assert (got["confirmed"], got["waitlisted"]) == (10, 20)

    # The same confirmed place cancelled twice at once: one promotion, exactly once.
    cancel = signups[3]["id"]
    results = list(pool.imap(lambda _: client.delete(f"/signups/{cancel}"), range(2)))
    assert sorted(r.status_code for r in results) == [200, 409], [r.text for r in results]
    promoted = [r.json()["promoted_signup_id"] for r in results if r.status_code == 200]
    assert promoted == [signups[10]["id"]]
    listing = client.get("/signups", params={"shift_id": shift["id"], "per_page": 100}).json()
    by_id = {s["id"]: s for s in listing["items"]}
    assert by_id[signups[10]["id"]]["status"] == "confirmed"
    assert [by_id[s["id"]]["waitlist_position"] for s in signups[11:]] == list(range(1, 20))
    got = client.get(f"/shifts/{shift['id']}").json()
    assert (got["confirmed"], got["waitlisted"]) == (10, 19)
    # One volunteer, two overlapping shifts, at the same moment: one place, one 409.
    morning = _shift(client, places=5, start=SAT_9 + timedelta(days=1))
    brunch = _shift(client, places=5, start=SAT_9 + timedelta(days=1, hours=2))
    both = list(pool.imap(lambda sid: client.post(f"/shifts/{sid}/signups", json={
        "volunteer_id": volunteer_ids[0]}), [morning["id"], brunch["id"]] * 2))
    assert sorted(r.status_code for r in both) == [201, 409, 409, 409], [r.text for r in both]

    promotions = _event_log(stack, "waitlist_promoted")
    assert [e["payload"]["signup_id"] for e in promotions] == [signups[10]["id"]]
    assert len(_event_log(stack, "shift_signed_up")) == 31


def test_clashes_bad_input_and_nothing_written(stack):
    stack.start("volunteers", "gateway")
    client = stack.client()
    a, b = _register(client, 2)
    first = _shift(client, places=5)
    overlapping = _shift(client, places=5, start=SAT_9 + timedelta(hours=1))

    signup = client.post(f"/shifts/{first['id']}/signups", json={"volunteer_id": a})
    assert signup.status_code == 201
    again = client.post(f"/shifts/{first['id']}/signups", json={"volunteer_id": a})
    # (details cross nameko RPC with their values as strings: compare as ints)
    assert again.status_code == 409
    assert int(again.json()["details"]["signup_id"]) == signup.json()["id"]
    clash = client.post(f"/shifts/{overlapping['id']}/signups", json={"volunteer_id": a})
    assert clash.status_code == 409 and int(clash.json()["details"]["shift_id"]) == first["id"]

    dup = client.post("/volunteers", json={"name": "重复", "phone": "13900000000"})
    assert dup.status_code == 409 and int(dup.json()["details"]["volunteer_id"]) == a

    # Bad input → 4xx naming the field; nothing written.
    bad_phone = client.post("/volunteers", json={"name": "王", "phone": "12345"})
    assert bad_phone.status_code == 422 and "phone" in bad_phone.json()["details"]
    bad_skill = client.post("/volunteers", json={"name": "王", "phone": "13700000001",
                                                 "skills": ["Not A Tag!"]})
    assert bad_skill.status_code == 422 and "skills" in bad_skill.json()["details"]
    bad_query = client.get("/volunteers/available", params={
        "skills": "guide,Bad Skill", "start": _z(SAT_9), "end": _z(SAT_9 + timedelta(hours=1))})
    assert bad_query.status_code == 422 and "skills" in bad_query.json()["details"]
    assert client.get("/volunteers").json()["total"] == 2

    out_first = client.post(f"/signups/{signup.json()['id']}/check-out", json={})
    assert out_first.status_code == 422 and "checked_in_at" in out_first.json()["details"]
    no_reason = client.post("/hours", json={"volunteer_id": b, "minutes": 30,
                                            "service_date": "2026-11-28"})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["details"]
    assert client.get("/hours").json()["total"] == 0
    assert _event_log(stack, "hours_recorded") == []

    # Available: b is free, a is taken by the first shift.
    free = client.get("/volunteers/available", params={
        "skills": "guide", "start": _z(SAT_9), "end": _z(SAT_9 + timedelta(hours=1))}).json()
    assert [v["id"] for v in free["items"]] == [b]

    # PATCH, teams
    patched = client.patch(f"/volunteers/{b}", json={"talent": True, "compound": "gangwu_xiaoqu"})
    assert patched.status_code == 200 and patched.json()["talent"] is True
    assert client.patch(f"/volunteers/{b}", json={"phone": "123"}).status_code == 422
    team = client.post("/teams", json={"name": "港务志愿服务队", "leader_id": b,
                                       "member_ids": [a]})
    assert team.status_code == 201 and team.json()["leader_id"] == b
    assert client.get("/teams").json()["items"][0]["name"] == "港务志愿服务队"

    # The timer entrypoint closes a check-in left open past shift end + grace, flagged.
    ended = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    past = _shift(client, places=1, start=ended - timedelta(hours=2), hours=2)
    late = client.post(f"/shifts/{past['id']}/signups", json={"volunteer_id": b}).json()
    assert client.post(f"/signups/{late['id']}/check-in",
                       json={"at": _z(ended - timedelta(hours=1))}).status_code == 200
    with entrypoint_hook(stack.containers["volunteers"], "close_overdue_check_ins") as tick:
        tick()
    entries = client.get("/hours", params={"volunteer_id": b}).json()["items"]
    assert [(e["minutes"], e["flagged"], e["source"]) for e in entries] == \
        [(60, True, "auto_closed")]
    assert client.get("/hours", params={"flagged": "true"}).json()["total"] == 1


def test_volunteer_role_added_on_the_bus_opens_a_shift_once(stack):
    stack.start("volunteers", "gateway")
    client = stack.client()
    payload = {"role_id": 11, "event_id": 42, "name": "活动引导员", "skills": ["guide"],
               "places": 3, "start": _z(SAT_9), "end": _z(SAT_9 + timedelta(hours=2))}
    envelope = _publish(stack, "volunteer_role_added", payload)
    _publish(stack, "volunteer_role_added", payload, envelope)  # redelivered
    shifts = wait_until(lambda: client.get("/shifts", params={"event_id": 42}).json()["items"],
                        message="the shift opened from the event's role")
    assert len(shifts) == 1
    assert shifts[0]["role_id"] == 11 and shifts[0]["places"] == 3
    assert shifts[0]["start"] == _z(SAT_9)
    a, = _register(client, 1)
    assert client.post(f"/shifts/{shifts[0]['id']}/signups",
                       json={"volunteer_id": a}).status_code == 201

    _publish(stack, "event_cancelled", {"event_id": 42, "plan": "service", "kind": "activity",
                                        "start": _z(SAT_9)})
    wait_until(lambda: client.get("/shifts", params={"event_id": 42}).json()["items"][0]
               ["status"] == "cancelled", message="the shift cancelled with its event")
    assert client.get("/signups", params={"volunteer_id": a}).json()["items"][0]["status"] == \
        "cancelled"
    assert len(client.get("/shifts", params={"event_id": 42}).json()["items"]) == 1
    assert len(_event_log(stack, "shift_opened")) == 1


def test_hours_certificates_and_own_records_only(stack):
    stack.start("volunteers", "gateway")
    admin = stack.client()
    a = admin.post("/volunteers", json={"name": "林晓燕", "phone": "13812345678",
                                        "id_number": "35020319800101123X"}).json()["id"]
    b = admin.post("/volunteers", json={"name": "陈大伟", "phone": "13812345679"}).json()["id"]
    for username, vid in (("vol_a", a), ("vol_b", b)):
        r = admin.post("/users", json={"username": username, "password": "password-123",
                                       "role": "volunteer", "volunteer_id": vid})
        assert r.status_code == 201, r.text
    user_a = ApiClient(stack.url("gateway")).login("vol_a", "password-123")
    user_b = ApiClient(stack.url("gateway")).login("vol_b", "password-123")

    # A signs themselves up for a coming shift (not B), and only A may cancel it.
    coming = _shift(admin, places=2, start=datetime.now(UTC) + timedelta(days=3))
    assert user_a.post(f"/shifts/{coming['id']}/signups",
                       json={"volunteer_id": b}).status_code == 403
    own = user_a.post(f"/shifts/{coming['id']}/signups", json={"volunteer_id": a})
    assert own.status_code == 201, own.text
    assert user_b.delete(f"/signups/{own.json()['id']}").status_code == 403
    assert user_a.delete(f"/signups/{own.json()['id']}").json()["status"] == "cancelled"

    # A shift that is over: staff sign A up and record the times.
    shift = _shift(admin, places=2)
    assert user_a.post(f"/shifts/{shift['id']}/signups",
                       json={"volunteer_id": a}).status_code == 409
    signup = admin.post(f"/shifts/{shift['id']}/signups", json={"volunteer_id": a})
    assert signup.status_code == 201, signup.text
    sid = signup.json()["id"]
    assert user_b.post(f"/signups/{sid}/check-in", json={}).status_code == 403
    # Volunteers check in at the present moment; staff record the times of a past shift.
    assert user_a.post(f"/signups/{sid}/check-in",
                       json={"at": _z(SAT_9 - timedelta(minutes=10))}).status_code == 403
    assert admin.post(f"/signups/{sid}/check-in",
                      json={"at": _z(SAT_9 - timedelta(minutes=10))}).status_code == 200
    out = admin.post(f"/signups/{sid}/check-out", json={"at": _z(SAT_9 + timedelta(hours=2))})
    assert out.status_code == 200, out.text
    entry = out.json()["hours_entry"]
    assert entry["minutes"] == 130 and entry["status"] == "pending"

    assert user_a.post(f"/hours/{entry['id']}/approve", json={}).status_code == 403
    reviewer = _staff(stack, admin, "sw_review")
    rejected_manual = admin.post("/hours", json={"volunteer_id": a, "minutes": 45,
                                                 "service_date": "2026-11-20",
                                                 "reason": "补录入户探访"}).json()
    assert reviewer.post(f"/hours/{rejected_manual['id']}/reject", json={}).status_code == 422
    assert reviewer.post(f"/hours/{rejected_manual['id']}/reject",
                         json={"reason": "无签到记录"}).json()["status"] == "rejected"
    approved = reviewer.post(f"/hours/{entry['id']}/approve", json={})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert reviewer.post(f"/hours/{entry['id']}/approve", json={}).status_code == 409
    approvals = _event_log(stack, "hours_approved")
    assert [e["payload"]["counted_minutes"] for e in approvals] == [130]

    # Own records only: hours.
    assert user_a.get("/hours").json()["total"] == 2
    assert user_b.get("/hours").json()["total"] == 0
    assert user_b.get("/hours", params={"volunteer_id": a}).status_code == 403
    assert user_b.get(f"/volunteers/{a}").status_code == 403
    assert user_b.get("/signups", params={"volunteer_id": a}).status_code == 403

    cert = admin.post(f"/volunteers/{a}/certificates",
                      json={"period_from": "2026-11-01", "period_to": "2026-11-30"})
    assert cert.status_code == 201, cert.text
    cert = cert.json()
    assert cert["approved_minutes"] == 130 and cert["issuer"] == "和通社区"

    # Own records only: certificates.
    assert user_b.get(f"/volunteers/{a}/certificates").status_code == 403
    assert user_b.get(f"/certificates/{cert['number']}/pdf").status_code == 403
    assert user_a.get(f"/volunteers/{a}/certificates").json()["items"][0]["number"] == \
        cert["number"]
    pdf = user_a.get(f"/certificates/{cert['number']}/pdf")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    for expected in ("志愿服务证明", cert["number"], "林晓燕", "2.2", "和通社区",
                     cert["verification_code"]):
        assert expected in text, expected

    # Public verification, no login, no PII.
    verify_url = f"{stack.url('gateway')}/api/v1/certificates/{cert['number']}/verify"
    good = requests.get(verify_url, params={"code": cert["verification_code"]}, timeout=10)
    assert good.status_code == 200 and good.json()["valid"] is True
    assert good.json()["approved_hours"] == 2.2
    for secret in ("林晓燕", "13812345678", "35020319800101123X", "3502"):
        assert secret not in good.text
    bad = requests.get(verify_url, params={"code": "WRONG234"}, timeout=10)
    assert bad.status_code == 404 and bad.json()["error"] == "NOT_FOUND"
    assert "林" not in bad.text
    assert requests.get(verify_url, timeout=10).status_code == 422


def test_approved_hours_reach_the_reports_figure_exactly_once(stack):
    stack.start("volunteers", "reports", "gateway")
    client = stack.client()
    reviewer = _staff(stack, client, "sw_review")
    hours = lambda: stack.kpi(client, "volunteer_hours_approved")  # noqa: E731
    assert hours() == 0
    vid, = _register(client, 1)
    shift = _shift(client, places=1)
    sid = client.post(f"/shifts/{shift['id']}/signups", json={"volunteer_id": vid}).json()["id"]
    client.post(f"/signups/{sid}/check-in", json={"at": _z(SAT_9)})
    entry = client.post(f"/signups/{sid}/check-out",
                        json={"at": _z(SAT_9 + timedelta(hours=2))}).json()["hours_entry"]
    assert reviewer.post(f"/hours/{entry['id']}/approve", json={}).status_code == 200
    wait_until(lambda: hours() == 2.0, message="2 approved hours in the KPIs")

    # Rejected hours never count; an approved correction counts its difference.
    manual = client.post("/hours", json={"volunteer_id": vid, "minutes": 45,
                                         "service_date": "2026-11-20", "reason": "补录"}).json()
    reviewer.post(f"/hours/{manual['id']}/reject", json={"reason": "重复录入"})
    fix = client.post("/hours", json={"volunteer_id": vid, "minutes": 150,
                                      "service_date": "2026-11-28", "reason": "签退时间录错",
                                      "corrects_entry_id": entry["id"]}).json()
    reviewer.post(f"/hours/{fix['id']}/approve", json={})
    wait_until(lambda: hours() == 2.5, message="the correction in the KPIs")

    # Every hours fact delivered a second time changes nothing.
    with Connection(stack.rabbit_config["AMQP_URI"]) as conn:
        producer = Producer(conn.channel())
        for env in _event_log(stack, "hours_approved") + _event_log(stack, "hours_rejected"):
            env.pop("seq")
            producer.publish(json.dumps(env), exchange=Exchange(
                "volunteers.events", type="topic", durable=True),
                routing_key=env["event_type"], content_type="application/json",
                delivery_mode=2)
    _register(client, 1, prefix="137")  # a later fact of the same source, same queue
    wait_until(lambda: stack.kpi(client, "volunteers_registered") == 2,
               message="the later fact, after the redeliveries")
    assert hours() == 2.5


def test_a_certificate_follows_the_ledger_and_is_reissued_in_one_action(stack):
    stack.start("volunteers", "gateway")
    admin = stack.client()
    reviewer = _staff(stack, admin, "sw_review")
    vid = admin.post("/volunteers", json={"name": "林晓燕", "phone": "13812345678",
                                          "id_number": "35020319800101123X"}).json()["id"]
    assert admin.post("/users", json={"username": "vol_lin", "password": "password-123",
                                      "role": "volunteer", "volunteer_id": vid}).status_code == 201
    volunteer = ApiClient(stack.url("gateway")).login("vol_lin", "password-123")
    entry = admin.post("/hours", json={"volunteer_id": vid, "minutes": 240,
                                       "service_date": "2026-11-20", "reason": "纸质签到表补录"})
    assert entry.status_code == 201, entry.text
    entry = entry.json()
    assert reviewer.post(f"/hours/{entry['id']}/approve", json={}).status_code == 200
    cert = admin.post(f"/volunteers/{vid}/certificates",
                      json={"period_from": "2026-11-01", "period_to": "2026-11-30"}).json()
    assert (cert["status"], cert["approved_hours"]) == ("valid", 4.0)
    assert cert["services"][0] | {"recorded_by": "admin", "decided_by": "sw_review"} == \
        cert["services"][0]
    verify_url = f"{stack.url('gateway')}/api/v1/certificates/{cert['number']}/verify"
    code = {"code": cert["verification_code"]}
    assert requests.get(verify_url, params=code, timeout=10).json()["valid"] is True

    fix = admin.post("/hours", json={"volunteer_id": vid, "minutes": 210,
                                     "service_date": "2026-11-20", "reason": "签退时间录错",
                                     "corrects_entry_id": entry["id"]}).json()
    assert reviewer.post(f"/hours/{fix['id']}/approve", json={}).status_code == 200

    stale = requests.get(verify_url, params=code, timeout=10)
    assert stale.status_code == 200
    assert {k: stale.json()[k] for k in ("valid", "status", "approved_hours", "current_hours",
                                         "replaced_by")} == {
        "valid": False, "status": "superseded", "approved_hours": 4.0, "current_hours": 3.5,
        "replaced_by": None}
    for secret in ("林晓燕", "13812345678", "35020319800101123X", "3502"):
        assert secret not in stale.text
    listed = volunteer.get(f"/volunteers/{vid}/certificates").json()["items"]
    assert [(c["number"], c["status"]) for c in listed] == [(cert["number"], "superseded")]
    assert listed[0]["superseded_at"].endswith("Z") and listed[0]["superseded_reason"]
    pdf = volunteer.get(f"/certificates/{cert['number']}/pdf")
    assert "已作废" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    [superseded] = _event_log(stack, "certificate_superseded")
    assert superseded["payload"]["certificate_number"] == cert["number"]
    assert (superseded["payload"]["approved_minutes"],
            superseded["payload"]["current_minutes"]) == (240, 210)

    # Reissue: staff only, one action, once.
    reissue = f"/certificates/{cert['number']}/reissue"
    assert volunteer.post(reissue, json={}).status_code == 403
    new = admin.post(reissue, json={})
    assert new.status_code == 201, new.text
    new = new.json()
    assert (new["replaces"], new["approved_hours"], new["period_from"], new["period_to"]) == \
        (cert["number"], 3.5, "2026-11-01", "2026-11-30")
    again = admin.post(reissue, json={})
    assert again.status_code == 409 and again.json()["details"]["replaced_by"] == new["number"]
    assert requests.get(verify_url, params=code, timeout=10).json()["replaced_by"] == \
        new["number"]
    fresh = requests.get(f"{stack.url('gateway')}/api/v1/certificates/{new['number']}/verify",
                         params={"code": new["verification_code"]}, timeout=10).json()
    assert (fresh["valid"], fresh["status"], fresh["approved_hours"], fresh["replaces"]) == \
        (True, "valid", 3.5, cert["number"])
    issued = _event_log(stack, "certificate_issued")
    assert [e["payload"]["replaces"] for e in issued] == [None, cert["number"]]


def test_hours_are_decided_by_someone_else_for_service_done(stack):
    stack.start("volunteers", "gateway")
    admin = stack.client()
    a, b = _register(admin, 2)
    # A social worker who is also volunteer b (their account is linked to b).
    colleague = _staff(stack, admin, "sw_chen", volunteer_id=b)
    for_a = admin.post("/hours", json={"volunteer_id": a, "minutes": 60,
                                       "service_date": "2026-11-20", "reason": "补录"}).json()
    for_b = admin.post("/hours", json={"volunteer_id": b, "minutes": 60,
                                       "service_date": "2026-11-20", "reason": "补录"}).json()
    own = admin.post(f"/hours/{for_a['id']}/approve", json={})
    assert own.status_code == 403 and "本人录入" in own.json()["message"]
    assert admin.post(f"/hours/{for_a['id']}/reject",
                      json={"reason": "重复"}).status_code == 403
    mine = colleague.post(f"/hours/{for_b['id']}/approve", json={})
    assert mine.status_code == 403 and "本人" in mine.json()["message"]
    assert colleague.post(f"/hours/{for_b['id']}/reject",
                          json={"reason": "重复"}).status_code == 403
    assert admin.get("/hours", params={"status": "pending"}).json()["total"] == 2
    decided = colleague.post(f"/hours/{for_a['id']}/approve", json={})
    assert decided.status_code == 200, decided.text
    listed = admin.get("/hours", params={"volunteer_id": a}).json()["items"]
    assert [(e["recorded_by"], e["decided_by"]) for e in listed] == [("admin", "sw_chen")]

    # Service dates: not after the community's today; minutes: at most one day's.
    today = times.local_today()
    future = admin.post("/hours", json={"volunteer_id": a, "minutes": 60, "reason": "补录",
                                        "service_date": (today + timedelta(days=1)).isoformat()})
    assert future.status_code == 422 and list(future.json()["details"]) == ["service_date"]
    too_long = admin.post("/hours", json={"volunteer_id": a, "minutes": 1441, "reason": "补录",
                                          "service_date": today.isoformat()})
    assert too_long.status_code == 422 and list(too_long.json()["details"]) == ["minutes"]
    assert admin.post("/hours", json={"volunteer_id": a, "minutes": 1440, "reason": "补录",
                                      "service_date": today.isoformat()}).status_code == 201


def test_nobody_approves_their_own_hours_and_the_certificate_names_who_did(stack):
    """Hours are a funded figure: a social worker who is also a volunteer records a whole
    day for themself and tries to approve it; an admin approves what it just recorded;
    a service date in 2099. Each is refused; the hours approved by someone else appear
    on the certificate with who recorded and who approved them, by username."""
    stack.start("volunteers", "gateway")
    admin = stack.client()
    vid = admin.post("/volunteers", json={"name": "陈晓东", "phone": "13812345670",
                                          "id_number": "35020319800101123X"}).json()["id"]
    chen = _staff(stack, admin, "sw_chen", volunteer_id=vid)
    reviewer = _staff(stack, admin, "sw_review")

    day = chen.post("/hours", json={"volunteer_id": vid, "minutes": 1440,
                                    "service_date": "2026-11-20", "reason": "全天值守"})
    assert day.status_code == 201, day.text
    self_approved = chen.post(f"/hours/{day.json()['id']}/approve", json={})
    assert self_approved.status_code == 403
    assert "其他工作人员" in self_approved.json()["message"]

    recorded = admin.post("/hours", json={"volunteer_id": vid, "minutes": 120,
                                          "service_date": "2026-11-21", "reason": "纸质签到表补录"})
    assert recorded.status_code == 201, recorded.text
    own_service = chen.post(f"/hours/{recorded.json()['id']}/approve", json={})
    assert own_service.status_code == 403
    assert "本人的服务时长" in own_service.json()["message"]
    just_recorded = admin.post(f"/hours/{recorded.json()['id']}/approve", json={})
    assert just_recorded.status_code == 403
    assert "本人录入" in just_recorded.json()["message"]

    future = admin.post("/hours", json={"volunteer_id": vid, "minutes": 60, "reason": "补录",
                                        "service_date": "2099-12-01"})
    assert future.status_code == 422 and list(future.json()["details"]) == ["service_date"]
    assert admin.get("/hours", params={"status": "approved"}).json()["total"] == 0
    assert admin.get("/hours", params={"status": "pending"}).json()["total"] == 2

    assert reviewer.post(f"/hours/{recorded.json()['id']}/approve", json={}).status_code == 200
    cert = admin.post(f"/volunteers/{vid}/certificates",
                      json={"period_from": "2026-11-01", "period_to": "2026-11-30"}).json()
    assert cert["approved_hours"] == 2.0  # the whole day, still pending, does not count
    verified = requests.get(
        f"{stack.url('gateway')}/api/v1/certificates/{cert['number']}/verify",
        params={"code": cert["verification_code"]}, timeout=10).json()
    assert verified["valid"] is True
    assert verified["services"] == [{"date": "2026-11-21", "minutes": 120,
                                     "recorded_by": "admin", "decided_by": "sw_review"}]
    assert "陈晓东" not in json.dumps(verified, ensure_ascii=False)
    pdf = admin.get(f"/certificates/{cert['number']}/pdf")
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "记录人" in text and "审核人" in text
    assert "admin" in text and "sw_review" in text


def test_shifts_between_local_days_and_answers_in_utc(stack):
    stack.start("volunteers", "gateway")
    client = stack.client()
    local = {  # name: local start, local end (Asia/Shanghai, +08:00)
        "friday_late": ("2026-11-27T23:00:00", "2026-11-27T23:30:00"),
        "saturday_morning": ("2026-11-28T09:00:00", "2026-11-28T12:00:00"),
        "saturday_late": ("2026-11-28T23:00:00", "2026-11-28T23:30:00"),
        "sunday_early": ("2026-11-29T00:30:00", "2026-11-29T01:30:00"),
    }
    for name, (start, end) in local.items():
        r = client.post("/shifts", json={"name": name, "places": 1, "start": start,
                                         "end": end})
        assert r.status_code == 201, r.text
    morning = client.get("/shifts", params={"from": "2026-11-28T09:00", "to": "2026-11-28T10:00"})
    assert [s["name"] for s in morning.json()["items"]] == ["saturday_morning"]
    assert morning.json()["items"][0]["start"] == "2026-11-28T01:00:00Z"
    # A date alone is that local day: from its first instant up to the next day's.
    saturday = client.get("/shifts", params={"from": "2026-11-28", "to": "2026-11-28"})
    assert saturday.status_code == 200, saturday.text
    assert [s["name"] for s in saturday.json()["items"]] == ["saturday_morning",
                                                            "saturday_late"]
    assert client.get("/shifts", params={"from": "2026-11-29"}).json()["total"] == 1
    bad = client.get("/shifts", params={"from": "2026-13-01"})
    assert bad.status_code == 422 and "from" in bad.json()["details"]
