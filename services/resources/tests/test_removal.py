"""Domain rules of sample data, archiving and deleting: what the records and their facts
say, on a real database without a broker."""
import pytest
from sqlalchemy import func, select

from common.errors import Conflict, NotFound
from services.resources import domain, sample
from services.resources.models import Match, Need, Partner, Resource, Venue

CONFIG = {"PII_KEY": "k", "PII_HASH_KEY": "h"}


@pytest.fixture
def loaded(store):
    """The sample data as a first start loads it."""
    with store.uow() as uow:
        sample.load_sample_data(uow, CONFIG)


def count(store, model, *where):
    with store.session() as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def sample_resource(store, title="【示例】四点半课堂课业辅导"):
    with store.session() as session:
        return session.execute(select(Resource.id).where(Resource.title == title)).scalar_one()


def new_need(store, crypto, category="tutoring"):
    with store.uow() as uow:
        return domain.register_need(uow, crypto, {
            "target_group": "children", "category": category, "description": "放学后无人辅导"})


def match(store, crypto, need, resource_id, quantity=1):
    with store.uow() as uow:
        return domain.match_need(uow, crypto, need["id"],
                                 {"resource_id": resource_id, "quantity": quantity})


def test_the_stations_rooms_are_not_sample_data(store, loaded):
    with store.session() as session:
        venues = domain.list_venues(session)
    assert len(venues) == 11 and not any("sample" in v for v in venues)
    assert count(store, Partner, Partner.sample) == 6
    assert count(store, Resource, Resource.sample) == 8
    assert all(e["payload"]["sample"] for e in store.events("partner_registered"))
    assert all(e["payload"]["sample"] for e in store.events("resource_registered"))


def test_a_match_of_a_sample_resource_is_sample_and_not_the_first_that_counts(
        store, crypto, loaded):
    real = domain.register_resource
    with store.uow() as uow:
        books = real(uow, {"type": "material", "title": "爱心书包", "target_groups": ["children"],
                           "need_categories": ["tutoring"], "quantity": 4, "value_yuan": 1000})
    need = new_need(store, crypto)
    on_sample = match(store, crypto, need, sample_resource(store))
    assert on_sample["status"] == "matched" and on_sample["value_linked_yuan"] == 0
    assert on_sample["match"]["sample"] is True and on_sample["match"]["value_yuan"] == 100
    on_real = match(store, crypto, need, books["id"])
    assert [m["sample"] for m in on_real["matches"]] == [True, False]
    assert on_real["value_linked_yuan"] == 250
    again = match(store, crypto, need, books["id"])
    payloads = [e["payload"] for e in store.events("need_matched")]
    assert [(p["sample"], p["first_match"]) for p in payloads] == \
        [(True, False), (False, True), (False, False)]
    assert again["value_linked_yuan"] == 500
    # Its effect on the sample resource is a sample fact too.
    updated = store.events("resource_updated")
    assert [e["payload"]["sample"] for e in updated] == [True, False, False]


def test_clearing_removes_every_sample_record_and_reopens_needs_matched_only_to_them(
        store, crypto, loaded):
    with store.uow() as uow:
        books = domain.register_resource(uow, {
            "type": "material", "title": "爱心书包", "target_groups": ["children"],
            "need_categories": ["tutoring"], "quantity": 4, "value_yuan": 1000})
    only_sample = new_need(store, crypto)
    both = new_need(store, crypto)
    match(store, crypto, only_sample, sample_resource(store))
    match(store, crypto, both, sample_resource(store))
    match(store, crypto, both, books["id"])
    with store.session() as session:
        assert domain.count_sample_data(session) == {"partners": 6, "resources": 8,
                                                     "matches": 2}

    with store.uow() as uow:
        cleared = domain.clear_sample_data(uow)
    assert cleared == {"partners": 6, "resources": 8, "matches": 2}
    assert count(store, Partner, Partner.sample) == count(store, Resource, Resource.sample) == 0
    assert count(store, Resource) == 1 and count(store, Match) == 1
    assert count(store, Venue) == 11
    with store.session() as session:
        assert domain.count_sample_data(session) == {"partners": 0, "resources": 0,
                                                     "matches": 0}
        reopened = session.get(Need, only_sample["id"])
        assert (reopened.status, reopened.matched_at) == ("open", None)
        assert session.get(Need, both["id"]).status == "matched"
    deleted = store.events("resource_deleted") + store.events("partner_deleted")
    assert len(deleted) == 14 and all(e["payload"]["sample"] for e in deleted)
    (fact,) = store.events("sample_data_cleared")
    assert fact["payload"] == {"partners": 6, "resources": 8, "matches": 2,
                               "needs_reopened": [only_sample["id"]]}
    with store.uow() as uow:  # nothing left: nothing to say
        assert domain.clear_sample_data(uow) == {"partners": 0, "resources": 0, "matches": 0}
    assert len(store.events("sample_data_cleared")) == 1


def test_clearing_refuses_while_a_real_resource_names_a_sample_partner(store, crypto, loaded):
    with store.session() as session:
        school = session.execute(select(Partner.id).where(
            Partner.name == "【示例】和通社区周边小学")).scalar_one()
    with store.uow() as uow:
        real = domain.register_resource(uow, {"type": "service", "title": "周末托管",
                                              "partner_id": school,
                                              "target_groups": ["children"]})
    with pytest.raises(Conflict) as exc:
        with store.uow() as uow:
            domain.clear_sample_data(uow)
    assert exc.value.details == {"resources": [real["id"]], "partners": [school]}
    assert count(store, Partner, Partner.sample) == 6


def test_deleting_takes_back_what_the_registration_counted(store, crypto):
    with store.uow() as uow:
        partner = domain.register_partner(uow, crypto, {
            "name": "错录的单位", "kind": "merchant", "five_society": "social_resource",
            "compounds": ["fulong_huayuan"]})
        resource = domain.register_resource(uow, {
            "type": "material", "title": "旧桌椅", "partner_id": partner["id"],
            "target_groups": ["families"], "value_yuan": 1000})
    with store.uow() as uow:
        domain.update_partner(uow, crypto, partner["id"], {
            "five_society": "self_governance", "compounds": []})
        domain.update_resource(uow, resource["id"], {"value_yuan": 300, "type": "service",
                                                     "target_groups": ["elderly"]})
    with pytest.raises(Conflict) as exc:
        with store.uow() as uow:
            domain.delete_partner(uow, crypto, partner["id"])
    assert exc.value.details == {"partner_id": partner["id"], "resources": [resource["id"]]}

    with store.uow() as uow:
        gone = domain.delete_resource(uow, resource["id"])
        domain.delete_partner(uow, crypto, partner["id"])
    assert gone["value_yuan"] == 300  # the answer: the record as it was
    (registered,) = store.events("resource_registered")
    (deleted,) = store.events("resource_deleted")
    assert deleted["payload"] == dict(registered["payload"],
                                      registered_at=registered["occurred_at"])
    (registered,) = store.events("partner_registered")
    (deleted,) = store.events("partner_deleted")
    assert deleted["payload"] == registered["payload"]
    assert deleted["payload"]["five_society"] == "social_resource"
    with store.session() as session:
        with pytest.raises(NotFound):
            domain.get_partner(session, crypto, partner["id"])
    with pytest.raises(NotFound):
        with store.uow() as uow:
            domain.delete_resource(uow, resource["id"])


def test_a_resource_with_matches_is_archived_not_deleted(store, crypto):
    with store.uow() as uow:
        resource = domain.register_resource(uow, {
            "type": "material", "title": "爱心书包", "target_groups": ["children"],
            "need_categories": ["tutoring"], "quantity": 4, "value_yuan": 1000})
    need = new_need(store, crypto)
    matched = match(store, crypto, need, resource["id"])
    with pytest.raises(Conflict) as exc:
        with store.uow() as uow:
            domain.delete_resource(uow, resource["id"])
    assert exc.value.details == {"resource_id": resource["id"], "needs": [need["id"]],
                                 "matches": [matched["match"]["id"]]}
    assert "archive" in str(exc.value)


def test_an_archived_partner_is_out_of_the_current_listing(store, crypto):
    with store.uow() as uow:
        partner = domain.register_partner(uow, crypto, {
            "name": "和通小学", "kind": "school", "five_society": "social_resource"})
    with store.uow() as uow:
        archived = domain.archive_partner(uow, crypto, partner["id"])
        domain.archive_partner(uow, crypto, partner["id"])  # idempotent: one fact
    assert archived["status"] == "archived"
    (fact,) = store.events("partner_updated")
    assert fact["payload"]["changed_fields"] == ["status"] and fact["payload"]["sample"] is False
    with store.session() as session:
        assert domain.list_partners(session, crypto)["total"] == 0
        assert domain.list_partners(session, crypto, {"status": "archived"})["total"] == 1
