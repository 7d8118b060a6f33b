"""Sample facts count in no figure; a deleted partner or resource takes back exactly what
its registration counted; a rebuild from the logs, in any order, lands on the same."""
from datetime import datetime, timezone

import pytest

from common import contracts
from common.db import make_engine
from services.reports import domain
from services.reports.models import metadata
from sqlalchemy.orm import sessionmaker

REGISTERED_AT = datetime(2026, 11, 3, 2, 0, tzinfo=timezone.utc)
DELETED_AT = datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def session_factory(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/reports.db")
    metadata.create_all(engine)
    yield sessionmaker(bind=engine, expire_on_commit=False,
                       info={"outbox_table": metadata.tables["outbox"]})
    engine.dispose()


def envelope(event_type, payload, occurred_at=REGISTERED_AT):
    return contracts.envelope(event_type, payload, "resources", "hetong", occurred_at)


def partner(partner_id, sample=False):
    return {"partner_id": partner_id, "kind": "school", "five_society": "social_resource",
            "compounds": ["fulong_huayuan"], "registered_at": REGISTERED_AT, "sample": sample}


def resource(resource_id, value, sample=False):
    return {"resource_id": resource_id, "partner_id": None, "type": "material",
            "target_groups": ["children"], "need_categories": ["tutoring"], "quantity": 4,
            "value_yuan": value, "status": "active", "sample": sample}


def matched(match_id, value, sample=False, first=True):
    return {"need_id": 1, "match_id": match_id, "resource_id": match_id, "volunteer_id": None,
            "quantity": 1, "value_yuan": value, "category": "tutoring",
            "target_group": "children", "first_match": first, "hours_to_match": 2.0,
            "matched_at": REGISTERED_AT, "sample": sample}


def apply(factory, envelopes):
    with factory() as session:
        domain.apply_live(session, envelopes)
        session.commit()
        return domain.figure_dump(session)


def figures_of(factory, envelopes):
    return {key: value for key, value in apply(factory, envelopes).items()
            if key.endswith("|all|2026-11|all")}


def test_sample_facts_count_in_no_figure(session_factory):
    sample = [envelope("partner_registered", partner(1, sample=True)),
              envelope("resource_registered", resource(1, 24000, sample=True)),
              envelope("need_matched", matched(1, 100, sample=True, first=False)),
              envelope("resource_updated", {
                  "resource_id": 1, "changed_fields": ["quantity_left"], "status": "active",
                  "quantity_left": 3, "value_yuan": 24000, "sample": True})]
    assert apply(session_factory, sample) == {}
    real = [envelope("partner_registered", partner(2)),
            envelope("resource_registered", resource(2, 1000)),
            envelope("need_matched", matched(2, 250))]
    assert figures_of(session_factory, real) == {
        "partners_registered|all|2026-11|all": 1,
        "resources_registered|all|2026-11|all": 1,
        "resource_value_registered_fen|all|2026-11|all": 100000,
        "matches_made|all|2026-11|all": 1,
        "needs_matched|all|2026-11|all": 1,
        "resource_value_fen|all|2026-11|all": 25000,
        "match_wait_seconds|all|2026-11|all": 7200}


def test_a_deletion_takes_back_its_registration_and_replay_agrees(session_factory):
    kept = [envelope("partner_registered", partner(1)),
            envelope("resource_registered", resource(1, 1000))]
    before = apply(session_factory, kept)
    mistaken = [envelope("partner_registered", partner(2)),
                envelope("resource_registered", resource(2, 700))]
    deletions = [
        envelope("resource_deleted", dict(resource(2, 700), registered_at=REGISTERED_AT),
                 DELETED_AT),
        envelope("partner_deleted", partner(2), DELETED_AT),
        # Sample records deleted when sample data is cleared were never counted.
        envelope("partner_deleted", partner(3, sample=True), DELETED_AT),
        envelope("resource_deleted", dict(resource(3, 24000, sample=True),
                                          registered_at=REGISTERED_AT), DELETED_AT)]
    assert apply(session_factory, mistaken) != before
    assert apply(session_factory, deletions) == before
    # A rebuild from the log, deletions first, lands on the same figures.
    with session_factory() as session:
        generation = domain.begin_rebuild(session)
        domain.apply_page(session, generation, deletions + mistaken + kept)
        domain.finish_rebuild(session, generation)
        session.commit()
        assert domain.figure_dump(session) == before
