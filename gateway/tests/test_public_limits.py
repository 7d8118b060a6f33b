"""Public writes are limited per client and per phone: a flood of registrations from one
phone is refused with 429 whichever address it comes from, counted in a metric whose
labels carry no personal data."""
import re

from services.events.tests.test_interface import event_body, resident


def refused_count(metrics_text, limit):
    found = re.search(r'ronghe_public_writes_refused_total\{limit="%s",route="POST '
                      r'/events/<int:event_id>/registrations"\} ([0-9.]+)' % limit, metrics_text)
    return float(found.group(1)) if found else 0.0


def test_registrations_from_one_phone_are_429_after_the_limit_from_any_address(stack):
    stack.start("events", "gateway", PUBLIC_PHONE_RATE_LIMIT_PER_MINUTE="3",
                TRUSTED_PROXIES="127.0.0.1")
    staff = stack.client()
    events = []
    for n in range(5):
        created = staff.post("/events", json=event_body(title=f"活动{n}", capacity=0))
        assert created.status_code == 201, created.text
        assert staff.post(f"/events/{created.json()['id']}/publish").status_code == 200
        events.append(created.json()["id"])
    public = stack.client(login=False)
    before = refused_count(public.get(stack.url("gateway") + "/metrics").text, "phone")

    answers = [public.post(f"/events/{event_id}/registrations", json=resident(1),
                           headers={"X-Forwarded-For": f"10.0.0.{n + 1}"})
               for n, event_id in enumerate(events[:4])]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    assert answers[3].json()["error"] == "RATE_LIMITED"
    assert "phone" in answers[3].json()["details"]
    # Another resident, from the very address just refused, is not held up.
    other = public.post(f"/events/{events[3]}/registrations", json=resident(2),
                        headers={"X-Forwarded-For": "10.0.0.4"})
    assert other.status_code == 201, other.text
    # The refused registration wrote nothing.
    listed = staff.get(f"/events/{events[3]}/registrations").json()
    assert listed["total"] == 1

    metrics = public.get(stack.url("gateway") + "/metrics").text
    assert refused_count(metrics, "phone") == before + 1
    for line in metrics.splitlines():
        if line.startswith("ronghe_public_writes_refused_total"):
            assert resident(1)["phone"] not in line and "10.0.0" not in line


def test_public_writes_from_one_client_are_429_after_the_limit(stack):
    stack.start("events", "gateway", PUBLIC_RATE_LIMIT_PER_MINUTE="2")
    staff = stack.client()
    created = staff.post("/events", json=event_body(capacity=0))
    assert staff.post(f"/events/{created.json()['id']}/publish").status_code == 200
    public = stack.client(login=False)
    codes = [public.post(f"/events/{created.json()['id']}/registrations",
                         json=resident(n)).status_code for n in range(3)]
    assert codes == [201, 201, 429]
    metrics = public.get(stack.url("gateway") + "/metrics").text
    assert refused_count(metrics, "client") >= 1


def test_the_phone_limit_keeps_no_phone_number():
    from common.testing import make_crypto
    from gateway.public_limits import PhoneLimiter

    limiter = PhoneLimiter(2, make_crypto(), clock=lambda: 100.0)
    route = "POST /ideas"
    assert [limiter.allow(route, "13800001234") for _ in range(3)] == [True, True, False]
    # Spelled another way, the same phone is the same bucket; another phone has its own.
    assert limiter.allow(route, "+86 138-0000-1234") is False
    assert limiter.allow(route, "13800005678") is True
    assert limiter.allow("POST /events/<int:event_id>/registrations", "13800001234") is True
    kept = repr(limiter.buckets.buckets)
    assert "13800001234" not in kept and "13800005678" not in kept
