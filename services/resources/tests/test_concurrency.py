"""Race-freedom of the domain's read-then-write rules on SQLite and PostgreSQL, without a
broker: concurrent green threads book one slot or consume the last units of a resource."""
import eventlet
import pytest

from common.errors import Conflict
from services.resources import domain
from services.resources.tests.helpers import next_weekday

SATURDAY = next_weekday(5).isoformat()
BACKENDS = pytest.mark.parametrize(
    "store", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)


def run_concurrently(n, action):
    def attempt(i):
        try:
            return "ok", action(i)
        except Conflict as exc:
            return "conflict", exc.details

    return list(eventlet.GreenPool(n).imap(attempt, range(n)))


@BACKENDS
def test_concurrent_matches_never_consume_more_than_is_left(store, crypto):
    with store.uow() as uow:
        resource = domain.register_resource(uow, {
            "type": "material", "title": "爱心物资包", "target_groups": ["families"],
            "need_categories": ["material"], "quantity": 3, "value_yuan": 300})
    with store.uow() as uow:
        need = domain.register_need(uow, crypto, {
            "target_group": "families", "category": "material", "description": "困难家庭物资"})

    def match(_i):
        with store.uow() as uow:
            return domain.match_need(uow, crypto, need["id"], {"resource_id": resource["id"]})

    results = run_concurrently(10, match)
    assert sorted(kind for kind, _ in results) == ["conflict"] * 7 + ["ok"] * 3
    with store.session() as session:
        assert domain.get_resource(session, resource["id"])["quantity_left"] == 0
        assert len(domain.get_need(session, crypto, need["id"])["matches"]) == 3
    assert [e["payload"]["first_match"] for e in store.events("need_matched")].count(True) == 1


@BACKENDS
def test_concurrent_bookings_of_one_slot_on_the_domain(store):
    with store.uow() as uow:
        venue = domain.register_venue(uow, {"name": "长者活动厅", "wing": "elders",
                                            "kind": "hall", "capacity": 60})

    def book(i):
        with store.uow() as uow:
            return domain.book_venue(uow, {
                "venue_id": venue["id"], "start": f"{SATURDAY}T09:{i % 3}0:00",
                "end": f"{SATURDAY}T10:30:00", "purpose": f"活动 {i}"})

    results = run_concurrently(10, book)
    winners = [value for kind, value in results if kind == "ok"]
    assert len(winners) == 1
    assert all(value["booking_id"] == winners[0]["id"]
               for kind, value in results if kind == "conflict")
    # The other locking paths run on this backend too.
    with store.uow() as uow:
        assert domain.link_booking_to_event(uow, winners[0]["id"], 9)["event_id"] == 9
    with store.uow() as uow:
        assert domain.cancel_booking(uow, winners[0]["id"])["status"] == "cancelled"
    with store.session() as session:
        assert [v["id"] for v in domain.list_venues(session, {
            "free_from": f"{SATURDAY}T09:00:00", "free_to": f"{SATURDAY}T10:00:00"})] \
            == [venue["id"]]
