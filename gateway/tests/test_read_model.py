"""GET /events from the gateway's memory (gateway/read_models.py): the same answers as the
events service gives, kept fresh by its facts, with the real broker and services."""
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, unquote, urlencode, urlparse

import requests
from kombu import Connection, Exchange, Producer

from common.metrics import REGISTRY
from gateway.read_models import LISTING_FACTS, EventListingFeed
from tests.fixtures import wait_until

# How long a fact may take from its commit to the listing here. The stated lag is p99 ≤ 1 s
# on a quiet machine (make bench measures it); a test machine running other tests beside
# this one is given more.
LAG_ALLOWED_SECONDS = 10

PLANS = ("service", "culture", "system", "resources")
KINDS = ("group", "lecture", "activity", "festival")
GROUPS = (["children"], ["elderly"], ["children", "families"], ["youth", "elderly"])
QUERIES = [
    {}, {"page": 2, "per_page": 7}, {"page": 40}, {"per_page": 100},
    {"plan": "culture"}, {"kind": "lecture"}, {"series": "festivals"},
    {"target_group": "elderly"}, {"target_group": "children", "plan": "service"},
    {"from": "2026-12-20"}, {"to": "2026-12-18"},
    {"from": "2026-12-16T00:00:00Z", "to": "2026-12-22T12:00:00+08:00", "per_page": 5},
    {"status": "draft"}, {"status": "cancelled"}, {"status": "published", "kind": "group"},
]


def feed_of(stack):
    container = stack.containers["gateway"]
    return next(d for d in container.dependencies if isinstance(d, EventListingFeed))


def wait_warm(stack):
    wait_until(lambda: feed_of(stack).warm, timeout=20, message="the read model is warm")


def rpc_page(stack, query, staff):
    with stack.rpc() as rpc:
        return rpc.events.list_events(query, staff=staff)


def same_as_the_service(stack, staff_client, public_client):
    """Every query, as staff and as the public: the gateway's answer from memory equals
    the events service's own; the differences, if any."""
    differences = []
    for query in QUERIES:
        path = "/events?" + urlencode(query)
        for staff, client in ((True, staff_client), (False, public_client)):
            ours = client.get(path)
            assert ours.status_code == 200, ours.text
            if ours.json() != rpc_page(stack, query, staff):
                differences.append((query, staff))
    return differences


def day(d, hour=9):
    return datetime(2026, 12, 14, hour, tzinfo=timezone.utc) + timedelta(days=d)


def a_busy_fortnight(staff, public):
    """Thirty events, most published, some cancelled, one changed, residents registering
    and cancelling: the listing's every field moves."""
    ids = []
    for n in range(30):
        start = day(n % 12, 1 + n % 9)
        body = {"title": f"活动 {n}", "plan": PLANS[n % 4], "kind": KINDS[n % 4],
                "target_groups": GROUPS[n % 4], "compounds": ["fulong_huayuan"],
                "start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat(),
                "capacity": 2 if n % 3 == 0 else 0,
                "series": "festivals" if n % 5 == 0 else None}
        created = staff.post("/events", json=body)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    for event_id in ids[:24]:
        assert staff.post(f"/events/{event_id}/publish").status_code == 200
    for event_id in ids[20:23]:
        assert staff.post(f"/events/{event_id}/cancel", json={"reason": "台风"}).status_code == 200
    assert staff.patch(f"/events/{ids[1]}", json={"title": "改过的名字", "capacity": 5,
                                                   "target_groups": ["elderly"]}).status_code == 200
    codes = []
    for n, event_id in enumerate(ids[0:12:3]):  # capacity 2: two confirmed, one waitlisted
        for k in range(3):
            answer = public.post(f"/events/{event_id}/registrations", json={
                "name": f"居民{n}{k}", "phone": f"1380000{n:02d}{k:02d}",
                "target_group": "elderly"})
            assert answer.status_code == 201, answer.text
            codes.append(answer.json())
    first = codes[0]
    assert public.delete(f"/registrations/{first['id']}",
                         json={"code": first["cancel_code"]}).status_code == 200
    return ids


def test_the_listing_from_memory_answers_as_the_events_service_after_a_burst_and_a_replay(
        stack):
    stack.start("events", "gateway")
    wait_warm(stack)
    staff, public = stack.client(), stack.client(login=False)

    ids = a_busy_fortnight(staff, public)
    # Places left moved with the registrations: from memory as from the service.
    wait_until(lambda: not same_as_the_service(stack, staff, public), timeout=LAG_ALLOWED_SECONDS,
               message="the listing from memory to equal the service's")
    listed = {e["id"]: e for e in staff.get("/events?per_page=100").json()["items"]}
    assert listed[ids[0]]["places_left"] == 0 and listed[ids[0]]["confirmed"] == 2
    assert listed[ids[1]]["title"] == "改过的名字" and listed[ids[1]]["target_groups"] == ["elderly"]
    assert "confirmed" not in public.get("/events").json()["items"][0]

    # A replay: every fact of the events service's log delivered again (as after a relay
    # crash between publish and confirm). The model reads those events again: same answers.
    applied = lag_count()
    replayed = replay_event_log(stack)
    assert replayed >= 60
    wait_until(lambda: lag_count() > applied, message="the replayed facts applied")
    assert same_as_the_service(stack, staff, public) == []

    # A restart rebuilds it from the service: same answers.
    stack.stop("gateway")
    stack.start("gateway")
    wait_warm(stack)
    staff, public = stack.client(), stack.client(login=False)
    assert same_as_the_service(stack, staff, public) == []


def lag_count():
    return REGISTRY.get_sample_value("ronghe_read_model_lag_seconds_count",
                                     {"service": "gateway", "model": "events"}) or 0


def replay_event_log(stack):
    with stack.rpc() as rpc:
        log = rpc.events.read_event_log(0, 10_000)["events"]
    facts = [e for e in log if e["event_type"] in LISTING_FACTS]
    exchange = Exchange("events.events", type="topic", durable=True)
    with Connection(stack.rabbit_config["AMQP_URI"]) as conn:
        producer = Producer(conn.channel(), exchange=exchange)
        for fact in facts:
            producer.publish(json.dumps(fact, ensure_ascii=False), routing_key=fact["event_type"],
                             content_type="application/json", content_encoding="utf-8")
    return len(facts)


def test_an_event_published_elsewhere_appears_and_once_cancelled_disappears(stack):
    """Written through another gateway (here: straight to the events service): the
    public sees it from this gateway's memory once its fact arrives, and still sees the
    listing while the events service is down."""
    stack.start("events", "gateway")
    wait_warm(stack)
    staff, public = stack.client(), stack.client(login=False)
    created = staff.post("/events", json={
        "title": "重阳节敬老活动", "plan": "culture", "kind": "festival",
        "target_groups": ["elderly"], "start": "2026-12-20T01:00:00Z",
        "end": "2026-12-20T03:00:00Z", "capacity": 30})
    event_id = created.json()["id"]
    # The writer finds its draft at once; the public never sees drafts.
    assert [e["id"] for e in staff.get("/events?status=draft").json()["items"]] == [event_id]
    assert public.get("/events").json()["total"] == 0

    def public_ids():
        return [e["id"] for e in public.get("/events").json()["items"]]

    with stack.rpc() as rpc:
        rpc.events.publish_event(event_id)
    wait_until(lambda: public_ids() == [event_id], timeout=LAG_ALLOWED_SECONDS,
               message="the published event in the public listing")
    assert public.get("/events").json()["items"][0]["places_left"] == 30

    with stack.rpc() as rpc:
        rpc.events.update_event(event_id, {"title": "重阳节敬老茶话会", "capacity": 40})
    wait_until(lambda: public.get("/events").json()["items"][0]["title"] == "重阳节敬老茶话会",
               timeout=LAG_ALLOWED_SECONDS, message="the new title in the public listing")
    assert public.get("/events").json()["items"][0]["places_left"] == 40

    with stack.rpc() as rpc:
        rpc.events.cancel_event(event_id, {"reason": "天气"})
    wait_until(lambda: public_ids() == [], timeout=LAG_ALLOWED_SECONDS,
               message="the cancelled event gone from the public listing")
    assert staff.get("/events?status=cancelled").json()["items"][0]["id"] == event_id

    # The listing is the gateway's own: it answers with the events service stopped, while
    # what only the service knows is 503.
    stack.stop("events")
    listing = staff.get("/events?status=cancelled")
    assert listing.status_code == 200 and listing.json()["total"] == 1
    assert staff.get(f"/events/{event_id}").status_code == 503


def test_a_lost_broker_connection_turns_it_cold_and_it_misses_nothing(stack):
    """The feed's queue goes with its connection: the route asks the events service
    meanwhile, and the rebuilt model holds what changed while it was cold."""
    stack.start("events", "gateway", RPC_TIMEOUT_SECONDS="3")
    wait_warm(stack)
    staff, public = stack.client(), stack.client(login=False)
    feed = feed_of(stack)
    close_feed_connection(stack)
    wait_until(lambda: not feed.warm, message="the model cold once its connection is gone")
    with stack.rpc() as rpc:  # a change nobody here hears of while cold
        event = rpc.events.create_event({
            "title": "冷启动时的活动", "plan": "service", "kind": "group",
            "target_groups": ["children"], "start": "2026-12-21T01:00:00Z",
            "end": "2026-12-21T02:00:00Z"}, organiser="admin")
        rpc.events.publish_event(event["id"])
    assert public.get("/events").json()["items"][0]["title"] == "冷启动时的活动"  # by RPC
    wait_until(lambda: feed.warm, timeout=40, message="the model rebuilt")
    assert public.get("/events").json()["items"][0]["title"] == "冷启动时的活动"
    assert same_as_the_service(stack, staff, public) == []


def close_feed_connection(stack):
    """Through the broker's management API, as an operator (or a network fault) would."""
    api = "http://127.0.0.1:15672/api"
    auth = ("guest", "guest")
    vhost = quote(unquote(urlparse(stack.rabbit_config["AMQP_URI"]).path[1:]), safe="")

    def feed_connection():
        queues = requests.get(f"{api}/queues/{vhost}",
                              auth=auth, timeout=5).json()
        for queue in queues:
            if queue["name"].startswith("gateway.listing."):
                detail = requests.get(f"{api}/queues/{vhost}/"
                                      f"{queue['name']}", auth=auth, timeout=5).json()
                for consumer in detail.get("consumer_details", []):
                    channel = consumer.get("channel_details")
                    # Empty (a list) while the broker is still filling it in: ask again.
                    if isinstance(channel, dict) and channel.get("connection_name"):
                        return channel["connection_name"]
        return None

    name = wait_until(feed_connection, message="the feed's connection")
    assert requests.delete(f"{api}/connections/{quote(name, safe='')}",
                           auth=auth, timeout=5).status_code in (200, 204)


def test_switched_off_every_listing_asks_the_events_service(stack):
    stack.start("events", "gateway", READ_MODEL_ENABLED="false")
    staff = stack.client()
    assert staff.post("/events", json={
        "title": "读书会", "plan": "culture", "kind": "group", "target_groups": ["youth"],
        "start": "2026-12-22T01:00:00Z", "end": "2026-12-22T02:00:00Z"}).status_code == 201
    assert staff.get("/events").json()["total"] == 1
    assert not feed_of(stack).warm
    stack.stop("events")
    assert staff.get("/events").status_code == 503
